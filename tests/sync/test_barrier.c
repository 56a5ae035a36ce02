/* Barrier: arrival indices, rounds, abort/reset and the broken state,
 * cancellation and timeouts while waiting, callbacks. */
#include "testutil.h"

static cio_barrier barrier;
static int index_of[8];
static double released_at[8];

/* Wait once; record the index (or error) this party got, and when. */
static void *party(void *arg) {
    int me = (int)(intptr_t)arg;
    int rc = cio_barrier_wait(&barrier);
    index_of[me] = rc;
    released_at[me] = test_now();
    if (rc >= 0) rc = cio_yield(); /* shows a cancellation that came after */
    return rc < 0 ? cio_fail(rc) : NULL;
}

static cio_task *arrive(int me, double after) {
    assert_int_equal(cio_sleep(after), 0);
    cio_task *task;
    assert_int_equal(cio_create_task(party, (void *)(intptr_t)me, &task), 0);
    assert_int_equal(cio_yield(), 0); /* it is waiting now */
    return task;
}

static void *rounds(void *arg) {
    (void)arg;
    assert_int_equal(cio_barrier_parties(&barrier), 3);
    for (int round = 0; round < 2; round++) {
        cio_task *tasks[3];
        for (int i = 0; i < 3; i++) tasks[i] = arrive(i, 1.0);
        assert_int_equal(cio_barrier_n_waiting(&barrier), 0); /* released, next round begun */
        for (int i = 0; i < 3; i++) {
            assert_int_equal(cio_await(tasks[i], NULL), 0);
            assert_int_equal(index_of[i], i); /* arrival order */
            assert_true(released_at[i] == 3.0 * (round + 1));
        }
    }
    return NULL;
}

static void indices_follow_arrival_in_every_round(void **state) {
    (void)state;
    assert_int_equal(cio_barrier_init(&barrier, 3), 0);
    assert_int_equal(test_run(rounds, NULL, NULL, NULL), 0);
}

static void *n_waiting(void *arg) {
    (void)arg;
    cio_task *a = arrive(0, 0);
    assert_int_equal(cio_barrier_n_waiting(&barrier), 1);
    cio_task *b = arrive(1, 0);
    assert_int_equal(cio_barrier_n_waiting(&barrier), 2);
    assert_int_equal(cio_barrier_wait(&barrier), 2); /* the last: no suspension */
    assert_int_equal(cio_await(a, NULL), 0);
    assert_int_equal(cio_await(b, NULL), 0);
    return NULL;
}

static void last_party_returns_at_once(void **state) {
    (void)state;
    assert_int_equal(cio_barrier_init(&barrier, 3), 0);
    assert_int_equal(test_run(n_waiting, NULL, NULL, NULL), 0);
}

static void *single_party(void *arg) {
    (void)arg;
    assert_int_equal(cio_barrier_wait(&barrier), 0);
    assert_int_equal(cio_barrier_wait(&barrier), 0);
    return NULL;
}

static void one_party_never_waits(void **state) {
    (void)state;
    assert_int_equal(cio_barrier_init(&barrier, 1), 0);
    assert_int_equal(test_run(single_party, NULL, NULL, NULL), 0);
    assert_int_equal(cio_barrier_init(&barrier, 0), -EINVAL);
    assert_int_equal(cio_barrier_init(NULL, 2), -EINVAL);
}

/* ---- abort and reset ---------------------------------------------------------- */

static void *abort_then_reset(void *arg) {
    (void)arg;
    cio_task *a = arrive(0, 1.0), *b = arrive(1, 1.0);
    assert_int_equal(cio_barrier_abort(&barrier), 0);
    assert_true(cio_barrier_broken(&barrier));
    assert_int_equal(cio_await(a, NULL), -CIO_EBROKEN);
    assert_int_equal(cio_await(b, NULL), -CIO_EBROKEN);
    assert_true(released_at[0] == 2.0 && released_at[1] == 2.0);
    assert_int_equal(cio_barrier_wait(&barrier), -CIO_EBROKEN); /* broken until reset */
    assert_int_equal(cio_barrier_n_waiting(&barrier), 0);
    assert_int_equal(cio_barrier_reset(&barrier), 0);
    assert_false(cio_barrier_broken(&barrier));
    a = arrive(0, 1.0);
    b = arrive(1, 1.0);
    assert_int_equal(cio_barrier_wait(&barrier), 2);
    assert_int_equal(cio_await(a, NULL), 0);
    assert_int_equal(cio_await(b, NULL), 0);
    return NULL;
}

static void abort_breaks_until_reset(void **state) {
    (void)state;
    assert_int_equal(cio_barrier_init(&barrier, 3), 0);
    assert_int_equal(test_run(abort_then_reset, NULL, NULL, NULL), 0);
}

static void *reset_round(void *arg) {
    (void)arg;
    cio_task *a = arrive(0, 1.0), *b = arrive(1, 1.0);
    assert_int_equal(cio_barrier_reset(&barrier), 0);
    assert_int_equal(cio_await(a, NULL), -CIO_EBROKEN); /* those waiting are sent away */
    assert_int_equal(cio_await(b, NULL), -CIO_EBROKEN);
    assert_false(cio_barrier_broken(&barrier)); /* but it is not broken */
    a = arrive(0, 1.0);
    b = arrive(1, 1.0);
    assert_int_equal(cio_barrier_wait(&barrier), 2); /* a fresh round of three */
    assert_int_equal(cio_await(a, NULL), 0);
    assert_int_equal(cio_await(b, NULL), 0);
    assert_int_equal(index_of[0], 0);
    assert_int_equal(index_of[1], 1);
    return NULL;
}

static void reset_sends_waiters_away(void **state) {
    (void)state;
    assert_int_equal(cio_barrier_init(&barrier, 3), 0);
    assert_int_equal(test_run(reset_round, NULL, NULL, NULL), 0);
}

static void abort_in_callback(void *arg) {
    (void)arg;
    assert_int_equal(cio_barrier_abort(&barrier), 0);
    assert_int_equal(cio_barrier_wait(&barrier), -EPERM); /* suspending: tasks only */
}

static void *callbacks(void *arg) {
    (void)arg;
    assert_int_equal(cio_call_later(cio_get_running_loop(), 5.0, abort_in_callback, NULL, NULL), 0);
    assert_int_equal(cio_barrier_wait(&barrier), -CIO_EBROKEN);
    assert_true(test_now() == 5.0);
    return NULL;
}

static void abort_from_a_callback(void **state) {
    (void)state;
    assert_int_equal(cio_barrier_init(&barrier, 2), 0);
    assert_int_equal(test_run(callbacks, NULL, NULL, NULL), 0);
}

/* ---- cancellation and timeouts ------------------------------------------------ */

static void *cancel_waiter(void *arg) {
    (void)arg;
    cio_task *a = arrive(0, 1.0), *b = arrive(1, 1.0);
    assert_int_equal(cio_task_cancel(a), 0);
    assert_int_equal(cio_await(a, NULL), -ECANCELED);
    assert_int_equal(cio_barrier_n_waiting(&barrier), 1); /* a left; not broken */
    assert_false(cio_barrier_broken(&barrier));
    cio_task *c = arrive(2, 1.0);
    assert_int_equal(cio_barrier_wait(&barrier), 2);
    assert_int_equal(cio_await(b, NULL), 0);
    assert_int_equal(cio_await(c, NULL), 0);
    assert_int_equal(index_of[1], 0); /* indices stay unique: b, c, then us */
    assert_int_equal(index_of[2], 1);
    return NULL;
}

static void cancelled_waiter_leaves_the_barrier(void **state) {
    (void)state;
    assert_int_equal(cio_barrier_init(&barrier, 3), 0);
    assert_int_equal(test_run(cancel_waiter, NULL, NULL, NULL), 0);
}

static void *cancel_after_release(void *arg) {
    (void)arg;
    cio_task *a = arrive(0, 1.0);
    assert_int_equal(cio_barrier_wait(&barrier), 1);
    assert_int_equal(cio_task_cancel(a), 0); /* released, has not run yet */
    assert_int_equal(cio_await(a, NULL), -ECANCELED);
    assert_int_equal(index_of[0], 0); /* its wait still returned its index */
    return NULL;
}

static void cancelled_after_release_keeps_its_index(void **state) {
    (void)state;
    assert_int_equal(cio_barrier_init(&barrier, 2), 0);
    assert_int_equal(test_run(cancel_after_release, NULL, NULL, NULL), 0);
}

static void *wait_with_timeout(void *arg) {
    (void)arg;
    cio_timeout scope;
    assert_int_equal(cio_timeout_begin(&scope, 2.0), 0);
    int rc = cio_barrier_wait(&barrier);
    assert_int_equal(cio_timeout_end(&scope), -ETIMEDOUT);
    return cio_fail(rc);
}

static void *timeout(void *arg) {
    (void)arg;
    cio_task *a;
    assert_int_equal(cio_create_task(wait_with_timeout, NULL, &a), 0);
    assert_int_equal(cio_yield(), 0);
    assert_int_equal(cio_barrier_n_waiting(&barrier), 1);
    assert_int_equal(cio_await(a, NULL), -ETIMEDOUT);
    assert_true(test_now() == 2.0);
    assert_int_equal(cio_barrier_n_waiting(&barrier), 0);
    assert_false(cio_barrier_broken(&barrier));
    return NULL;
}

static void wait_times_out_in_scope(void **state) {
    (void)state;
    assert_int_equal(cio_barrier_init(&barrier, 2), 0);
    assert_int_equal(test_run(timeout, NULL, NULL, NULL), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(indices_follow_arrival_in_every_round),
        cmocka_unit_test(last_party_returns_at_once),
        cmocka_unit_test(one_party_never_waits),
        cmocka_unit_test(abort_breaks_until_reset),
        cmocka_unit_test(reset_sends_waiters_away),
        cmocka_unit_test(abort_from_a_callback),
        cmocka_unit_test(cancelled_waiter_leaves_the_barrier),
        cmocka_unit_test(cancelled_after_release_keeps_its_index),
        cmocka_unit_test(wait_times_out_in_scope),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
