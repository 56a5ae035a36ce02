/* Lock: ownership, FIFO hand-off, cancellation and timeouts while waiting,
 * use from callbacks. All on the virtual clock. */
#include "testutil.h"

#include <string.h>

static cio_lock lock;
static int order[16], order_len;

/* Acquire, note the arrival order, hold the lock for 1 s, release. */
static void *take_and_hold(void *arg) {
    int rc = cio_lock_acquire(&lock);
    if (rc < 0) return cio_fail(rc);
    order[order_len++] = (int)(intptr_t)arg;
    assert_int_equal(cio_sleep(1.0), 0);
    assert_int_equal(cio_lock_release(&lock), 0);
    return NULL;
}

static void *basics(void *arg) {
    (void)arg;
    assert_false(cio_lock_locked(&lock));
    assert_int_equal(cio_lock_acquire(&lock), 0);
    assert_true(cio_lock_locked(&lock));
    assert_int_equal(cio_lock_acquire(&lock), -EDEADLK); /* not re-entrant */
    assert_int_equal(cio_lock_try_acquire(&lock), -EDEADLK);
    assert_int_equal(cio_lock_release(&lock), 0);
    assert_false(cio_lock_locked(&lock));
    assert_int_equal(cio_lock_release(&lock), -EPERM); /* not held */
    assert_int_equal(cio_lock_try_acquire(&lock), 0);
    assert_int_equal(cio_lock_release(&lock), 0);
    return NULL;
}

static void lock_basics(void **state) {
    (void)state;
    assert_int_equal(cio_lock_init(&lock), 0);
    assert_int_equal(test_run(basics, NULL, NULL, NULL), 0);
}

static void *fifo(void *arg) {
    (void)arg;
    order_len = 0;
    assert_int_equal(cio_lock_acquire(&lock), 0);
    cio_task *tasks[5];
    for (int i = 0; i < 5; i++) cio_create_task(take_and_hold, (void *)(intptr_t)i, &tasks[i]);
    assert_int_equal(cio_sleep(0.5), 0); /* all five queue up, in order */
    assert_int_equal(cio_lock_release(&lock), 0);
    /* Handed to task 0 already: a newcomer cannot overtake the queue. */
    assert_true(cio_lock_locked(&lock));
    assert_int_equal(cio_lock_try_acquire(&lock), -EAGAIN);
    for (int i = 0; i < 5; i++) assert_int_equal(cio_await(tasks[i], NULL), 0);
    assert_true(test_now() == 5.5);
    assert_int_equal(order_len, 5);
    for (int i = 0; i < 5; i++) assert_int_equal(order[i], i);
    assert_false(cio_lock_locked(&lock));
    return NULL;
}

static void lock_is_fifo(void **state) {
    (void)state;
    assert_int_equal(cio_lock_init(&lock), 0);
    assert_int_equal(test_run(fifo, NULL, NULL, NULL), 0);
}

static void *release_foreign(void *arg) {
    (void)arg;
    return cio_fail(cio_lock_release(&lock)); /* expected to fail */
}

static void *non_owner(void *arg) {
    (void)arg;
    assert_int_equal(cio_lock_acquire(&lock), 0);
    assert_int_equal(cio_await(test_spawn(release_foreign, NULL), NULL), -EPERM);
    assert_true(cio_lock_locked(&lock)); /* still ours */
    assert_int_equal(cio_lock_release(&lock), 0);
    return NULL;
}

static void release_by_non_owner_is_eperm(void **state) {
    (void)state;
    assert_int_equal(cio_lock_init(&lock), 0);
    assert_int_equal(test_run(non_owner, NULL, NULL, NULL), 0);
}

/* ---- cancellation and timeouts ------------------------------------------------ */

static void *cancel_waiter(void *arg) {
    (void)arg;
    order_len = 0;
    assert_int_equal(cio_lock_acquire(&lock), 0);
    cio_task *b;
    assert_int_equal(cio_create_task(take_and_hold, (void *)1, &b), 0);
    cio_task *c;
    assert_int_equal(cio_create_task(take_and_hold, (void *)2, &c), 0);
    assert_int_equal(cio_sleep(0.5), 0);
    assert_int_equal(cio_task_cancel(b), 0);
    assert_int_equal(cio_await(b, NULL), -ECANCELED); /* took nothing */
    assert_int_equal(cio_lock_release(&lock), 0);     /* so c is next */
    assert_int_equal(cio_await(c, NULL), 0);
    assert_int_equal(order_len, 1);
    assert_int_equal(order[0], 2);
    assert_true(test_now() == 1.5);
    assert_false(cio_lock_locked(&lock)); /* no lock left held */
    return NULL;
}

static void cancel_while_waiting_wakes_next(void **state) {
    (void)state;
    assert_int_equal(cio_lock_init(&lock), 0);
    assert_int_equal(test_run(cancel_waiter, NULL, NULL, NULL), 0);
}

/* Cancelled after the lock was handed over: acquire still succeeds (nothing
 * lost), the cancellation arrives at the next await. */
static void *acquire_then_sleep(void *arg) {
    (void)arg;
    assert_int_equal(cio_lock_acquire(&lock), 0);
    assert_true(cio_lock_locked(&lock));
    int rc = cio_sleep(1.0);
    assert_int_equal(cio_lock_release(&lock), 0);
    return cio_fail(rc);
}

static void *cancel_after_handoff(void *arg) {
    (void)arg;
    assert_int_equal(cio_lock_acquire(&lock), 0);
    cio_task *b;
    assert_int_equal(cio_create_task(acquire_then_sleep, NULL, &b), 0);
    assert_int_equal(cio_yield(), 0);
    assert_int_equal(cio_lock_release(&lock), 0);
    assert_int_equal(cio_task_cancel(b), 0);
    assert_int_equal(cio_await(b, NULL), -ECANCELED);
    assert_false(cio_lock_locked(&lock));
    return NULL;
}

static void cancelled_after_handoff_keeps_lock(void **state) {
    (void)state;
    assert_int_equal(cio_lock_init(&lock), 0);
    assert_int_equal(test_run(cancel_after_handoff, NULL, NULL, NULL), 0);
}

static void *acquire_with_timeout(void *arg) {
    (void)arg;
    cio_timeout scope;
    assert_int_equal(cio_timeout_begin(&scope, 2.0), 0);
    int rc = cio_lock_acquire(&lock);
    assert_int_equal(cio_timeout_end(&scope), -ETIMEDOUT);
    return cio_fail(rc);
}

static void *timeout(void *arg) {
    (void)arg;
    assert_int_equal(cio_lock_acquire(&lock), 0);
    cio_task *b;
    assert_int_equal(cio_create_task(acquire_with_timeout, NULL, &b), 0);
    assert_int_equal(cio_await(b, NULL), -ETIMEDOUT);
    assert_true(test_now() == 2.0);
    assert_int_equal(cio_lock_release(&lock), 0);
    assert_false(cio_lock_locked(&lock)); /* the timed-out waiter is gone */
    return NULL;
}

static void acquire_times_out_in_scope(void **state) {
    (void)state;
    assert_int_equal(cio_lock_init(&lock), 0);
    assert_int_equal(test_run(timeout, NULL, NULL, NULL), 0);
}

/* ---- callbacks ---------------------------------------------------------------- */

static int callback_rc[4];

static void take_in_callback(void *arg) {
    (void)arg;
    callback_rc[0] = cio_lock_try_acquire(&lock);
    callback_rc[1] = cio_lock_acquire(&lock); /* suspending: tasks only */
}

static void release_in_callback(void *arg) {
    (void)arg;
    callback_rc[2] = cio_lock_release(&lock);
}

static void *callbacks(void *arg) {
    (void)arg;
    cio_loop *loop = cio_get_running_loop();
    assert_int_equal(cio_call_soon(loop, take_in_callback, NULL, NULL), 0);
    assert_int_equal(cio_yield(), 0);
    assert_int_equal(callback_rc[0], 0);
    assert_int_equal(callback_rc[1], -EPERM);
    assert_true(cio_lock_locked(&lock));
    assert_int_equal(cio_lock_release(&lock), -EPERM); /* held by callback code */
    assert_int_equal(cio_call_later(loop, 3.0, release_in_callback, NULL, NULL), 0);
    assert_int_equal(cio_lock_acquire(&lock), 0); /* handed over by the callback */
    assert_int_equal(callback_rc[2], 0);
    assert_true(test_now() == 3.0);
    assert_int_equal(cio_lock_release(&lock), 0);
    return NULL;
}

static void usable_from_callbacks(void **state) {
    (void)state;
    assert_int_equal(cio_lock_init(&lock), 0);
    assert_int_equal(test_run(callbacks, NULL, NULL, NULL), 0);
}

/* ---- many waiters ------------------------------------------------------------- */

static void *take_briefly(void *arg) {
    assert_int_equal(cio_lock_acquire(&lock), 0);
    assert_int_equal((int)(intptr_t)arg, order_len); /* strictly in arrival order */
    order_len++;
    assert_int_equal(cio_yield(), 0); /* others pile up meanwhile */
    assert_int_equal(cio_lock_release(&lock), 0);
    return NULL;
}

static void *contended(void *arg) {
    (void)arg;
    order_len = 0;
    enum { N = 1000 };
    static cio_task *tasks[N];
    int n = test_scaled(N, 100); /* load: the order is what is checked */
    for (int i = 0; i < n; i++) cio_create_task(take_briefly, (void *)(intptr_t)i, &tasks[i]);
    for (int i = 0; i < n; i++) assert_int_equal(cio_await(tasks[i], NULL), 0);
    assert_int_equal(order_len, n);
    assert_false(cio_lock_locked(&lock));
    return NULL;
}

static void thousand_contenders(void **state) {
    (void)state;
    assert_int_equal(cio_lock_init(&lock), 0);
    assert_int_equal(test_run(contended, NULL, NULL, NULL), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lock_basics),
        cmocka_unit_test(lock_is_fifo),
        cmocka_unit_test(release_by_non_owner_is_eperm),
        cmocka_unit_test(cancel_while_waiting_wakes_next),
        cmocka_unit_test(cancelled_after_handoff_keeps_lock),
        cmocka_unit_test(acquire_times_out_in_scope),
        cmocka_unit_test(usable_from_callbacks),
        cmocka_unit_test(thousand_contenders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
