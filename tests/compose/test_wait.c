/* cio_wait on the virtual clock: the three modes, the done/pending
 * partition, timeouts that fire exactly and cancel nothing, cancellation,
 * nested timeouts, zero tasks, duplicates, finished tasks, misuse. */
#include "compose_test.h"

#include <limits.h>
#include <stdlib.h>

/* Await (and so release) every task after a wait: cio_wait borrows. */
/* ---- the modes ----------------------------------------------------------------- */

static void *all_completed(void *arg) {
    (void)arg;
    struct job jobs[3] = {{.delay = 3}, {.delay = 1}, {.delay = 2}};
    cio_task *tasks[3] = {job_start(&jobs[0]), job_start(&jobs[1]), job_start(&jobs[2])};
    cio_task *out[3];
    assert_int_equal(cio_wait(tasks, 3, CIO_ALL_COMPLETED, INFINITY, out), 3);
    assert_true(test_now() == 3.0);
    assert_ptr_equal(out[0], tasks[0]); /* input order */
    assert_ptr_equal(out[2], tasks[2]);
    await_all(tasks, 3);
    assert_nothing_leaked();
    return NULL;
}

static void *first_completed(void *arg) {
    (void)arg;
    struct job jobs[3] = {{.delay = 3}, {.delay = 1}, {.delay = 2}};
    cio_task *tasks[3] = {job_start(&jobs[0]), job_start(&jobs[1]), job_start(&jobs[2])};
    cio_task *out[3];
    assert_int_equal(cio_wait(tasks, 3, CIO_FIRST_COMPLETED, INFINITY, out), 1);
    assert_true(test_now() == 1.0);
    assert_ptr_equal(out[0], tasks[1]); /* done */
    assert_ptr_equal(out[1], tasks[0]); /* pending, in input order */
    assert_ptr_equal(out[2], tasks[2]);
    assert_int_equal(cio_wait(tasks, 3, CIO_FIRST_COMPLETED, INFINITY, NULL), 1); /* no wait */
    assert_true(test_now() == 1.0);
    await_all(tasks, 3);
    assert_nothing_leaked();
    return NULL;
}

/* asyncio: a cancelled task is not an exception for FIRST_EXCEPTION. */
static void *first_exception(void *arg) {
    (void)arg;
    struct job jobs[4] = {{.delay = 1}, {.delay = 5}, {.delay = 2, .error = -EIO}, {.delay = 3}};
    cio_task *tasks[4] = {job_start(&jobs[0]), job_start(&jobs[1]), job_start(&jobs[2]),
                          job_start(&jobs[3])};
    cio_task_cancel(tasks[1]);
    cio_task *out[4];
    assert_int_equal(cio_wait(tasks, 4, CIO_FIRST_EXCEPTION, INFINITY, out), 3);
    assert_true(test_now() == 2.0);
    assert_ptr_equal(out[0], tasks[0]);
    assert_ptr_equal(out[1], tasks[1]);
    assert_ptr_equal(out[2], tasks[2]);
    assert_ptr_equal(out[3], tasks[3]);
    await_all(tasks, 4);

    struct job fine[2] = {{.delay = 1}, {.delay = 2}}; /* no failure: waits for all */
    cio_task *more[2] = {job_start(&fine[0]), job_start(&fine[1])};
    assert_int_equal(cio_wait(more, 2, CIO_FIRST_EXCEPTION, INFINITY, NULL), 2);
    assert_true(test_now() == 5.0); /* 3 (the awaits above) + 2 */
    await_all(more, 2);
    assert_nothing_leaked();
    return NULL;
}

static void wait_modes(void **state) {
    (void)state;
    assert_int_equal(test_run(all_completed, NULL, NULL, NULL), 0);
    assert_int_equal(test_run(first_completed, NULL, NULL, NULL), 0);
    assert_int_equal(test_run(first_exception, NULL, NULL, NULL), 0);
}

/* ---- timeouts --------------------------------------------------------------------- */

static void *timeout_cancels_nothing(void *arg) {
    (void)arg;
    struct job jobs[3] = {
        {.delay = 1, .value = 1}, {.delay = 2, .value = 2}, {.delay = 3, .value = 3}};
    cio_task *tasks[3] = {job_start(&jobs[0]), job_start(&jobs[1]), job_start(&jobs[2])};
    cio_task *out[3];
    assert_int_equal(cio_wait(tasks, 3, CIO_ALL_COMPLETED, 1.5, out), 1); /* not an error */
    assert_true(test_now() == 1.5);
    assert_ptr_equal(out[0], tasks[0]);
    assert_int_equal(cio_wait(tasks, 3, CIO_ALL_COMPLETED, 0, out), 1); /* 0: just look */
    assert_true(test_now() == 1.5);
    void *result;
    assert_int_equal(cio_await(tasks[2], &result), 0); /* still running, uncancelled */
    assert_int_equal((intptr_t)result, 3);
    assert_true(test_now() == 3.0);
    await_all(tasks, 2);
    assert_nothing_leaked();
    return NULL;
}

/* Nested timeouts: the outer scope fires first (an error: -ETIMEDOUT), or
 * the wait's own timeout does (a normal return). */
static void *nested_timeouts(void *arg) {
    (void)arg;
    struct job jobs[1] = {{.delay = 10}};
    cio_task *tasks[1] = {job_start(&jobs[0])};
    cio_timeout outer;
    cio_timeout_begin(&outer, 1.0);
    assert_int_equal(cio_wait(tasks, 1, CIO_ALL_COMPLETED, 5.0, NULL), -ETIMEDOUT);
    assert_true(test_now() == 1.0);
    assert_int_equal(cio_timeout_end(&outer), -ETIMEDOUT);

    cio_timeout_begin(&outer, 5.0);
    assert_int_equal(cio_wait(tasks, 1, CIO_ALL_COMPLETED, 1.0, NULL), 0);
    assert_true(test_now() == 2.0);
    assert_int_equal(cio_timeout_end(&outer), 0);
    assert_false(cio_task_done(tasks[0]));
    await_all(tasks, 1);
    assert_nothing_leaked();
    return NULL;
}

static void wait_timeouts(void **state) {
    (void)state;
    assert_int_equal(test_run(timeout_cancels_nothing, NULL, NULL, NULL), 0);
    assert_int_equal(test_run(nested_timeouts, NULL, NULL, NULL), 0);
}

/* ---- cancellation -------------------------------------------------------------------- */

static cio_task *watched[2];
static int wait_status;

static void *wait_on_watched(void *arg) {
    (void)arg;
    wait_status = cio_wait(watched, 2, CIO_ALL_COMPLETED, INFINITY, NULL);
    return NULL;
}

static void *cancel_from_outside(void *arg) {
    (void)arg;
    struct job jobs[2] = {{.delay = 2}, {.delay = 3}};
    watched[0] = job_start(&jobs[0]);
    watched[1] = job_start(&jobs[1]);
    cio_task *waiter;
    assert_int_equal(cio_create_task(wait_on_watched, NULL, &waiter), 0);
    cio_sleep(1);
    cio_task_cancel(waiter);
    assert_int_equal(cio_await(waiter, NULL), 0);
    assert_int_equal(wait_status, -ECANCELED);
    assert_true(test_now() == 1.0);
    await_all(watched, 2);
    assert_int_equal(jobs[1].slept, 0); /* not cancelled */
    assert_true(test_now() == 3.0);
    assert_nothing_leaked();
    return NULL;
}

static void *cancel_from_inside(void *arg) {
    (void)arg;
    struct job jobs[2] = {{.delay = 2}, {.delay = 3}};
    cio_task *tasks[2] = {job_start(&jobs[0]), job_start(&jobs[1])};
    cio_task_cancel(cio_current_task());
    cio_task *out[2];
    assert_int_equal(cio_wait(tasks, 2, CIO_FIRST_COMPLETED, INFINITY, out), -ECANCELED);
    assert_ptr_equal(out[1], tasks[1]); /* out is filled even so */
    cio_task_uncancel(cio_current_task());
    await_all(tasks, 2);
    assert_int_equal(jobs[0].slept, 0);
    assert_nothing_leaked();
    return NULL;
}

static void wait_cancellation(void **state) {
    (void)state;
    assert_int_equal(test_run(cancel_from_outside, NULL, NULL, NULL), 0);
    assert_int_equal(test_run(cancel_from_inside, NULL, NULL, NULL), 0);
}

/* ---- edge cases and misuse --------------------------------------------------------------- */

static void *edge_cases(void *arg) {
    (void)arg;
    struct job jobs[2] = {{.delay = -1}, {.delay = 2}};
    cio_task *a = job_start(&jobs[0]), *b = job_start(&jobs[1]);
    cio_yield(); /* a finishes */
    cio_task *twice[3] = {b, a, b};
    cio_task *out[3];
    assert_int_equal(cio_wait(twice, 3, CIO_FIRST_COMPLETED, INFINITY, out), 1); /* a: no wait */
    assert_true(test_now() == 0.0);
    assert_ptr_equal(out[0], a);
    assert_int_equal(cio_wait(twice, 3, CIO_ALL_COMPLETED, INFINITY, out), 3); /* b counts twice */
    assert_true(test_now() == 2.0);
    assert_ptr_equal(out[0], b);
    assert_ptr_equal(out[2], b);
    assert_int_equal(cio_wait(NULL, 0, CIO_ALL_COMPLETED, INFINITY, NULL),
                     -EINVAL); /* zero tasks */
    await_all((cio_task *[]){a, b}, 2);
    assert_nothing_leaked();
    return NULL;
}

static void *misuse(void *arg) {
    cio_task *foreign = arg;
    struct job job = {.delay = 1};
    cio_task *mine = job_start(&job);
    cio_task *tasks[2] = {mine, foreign};
    assert_int_equal(cio_wait(tasks, 2, CIO_ALL_COMPLETED, INFINITY, NULL), -EINVAL);
    assert_int_equal(cio_wait(tasks, 1, (cio_wait_mode)7, INFINITY, NULL), -EINVAL);
    assert_int_equal(cio_wait(tasks, 1, CIO_ALL_COMPLETED, NAN, NULL), -EINVAL);
    assert_int_equal(cio_wait(tasks, 1, CIO_ALL_COMPLETED, INFINITY, tasks), -EINVAL);
    assert_int_equal(cio_wait(tasks, (size_t)INT_MAX + 1, CIO_ALL_COMPLETED, INFINITY, NULL),
                     -EINVAL);
    assert_int_equal(cio_wait(NULL, 1, CIO_ALL_COMPLETED, INFINITY, NULL), -EINVAL);
    cio_task *self[2] = {mine, cio_current_task()};
    assert_int_equal(cio_wait(self, 2, CIO_FIRST_COMPLETED, INFINITY, NULL), -EDEADLK);
    assert_int_equal(cio_await(mine, NULL), 0);
    assert_nothing_leaked();
    return NULL;
}

static void wait_edge_cases_and_misuse(void **state) {
    (void)state;
    assert_int_equal(test_run(edge_cases, NULL, NULL, NULL), 0);
    cio_loop_free(run_with_foreign_task(misuse));
    setenv("CIO_QUIET", "1", 1);
    assert_int_equal(cio_wait(NULL, 0, CIO_ALL_COMPLETED, 0, NULL), -EPERM);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(wait_modes),
        cmocka_unit_test(wait_timeouts),
        cmocka_unit_test(wait_cancellation),
        cmocka_unit_test(wait_edge_cases_and_misuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
