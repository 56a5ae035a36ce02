/* cio_wait_for and cio_shield on the virtual clock: results, timeouts that
 * fire exactly at the deadline (and cancel and wait), the same-instant race
 * asyncio fixed in 3.12, cancellation, nested timeouts, misuse. */
#include "compose_test.h"

#include <stdlib.h>
#include <string.h>

/* ---- wait_for ------------------------------------------------------------------- */

static void *result_before_deadline(void *arg) {
    (void)arg;
    struct job job = {.delay = 1, .value = 42};
    void *result;
    assert_int_equal(cio_wait_for(job_start(&job), 2.0, &result), 0);
    assert_int_equal((intptr_t)result, 42);
    assert_true(test_now() == 1.0);
    struct job bad = {.delay = 1, .error = -EPIPE};
    assert_int_equal(cio_wait_for(job_start(&bad), 2.0, &result), -EPIPE);
    assert_int_equal(cio_wait_for(job_start(&job), INFINITY, &result), 0); /* = cio_await */
    assert_true(test_now() == 3.0);
    assert_nothing_leaked();
    return NULL;
}

static void *timeout_cancels_and_waits(void *arg) {
    (void)arg;
    struct job job = {.delay = 5, .value = 42};
    void *result = &result;
    assert_int_equal(cio_wait_for(job_start(&job), 2.0, &result), -ETIMEDOUT);
    assert_true(test_now() == 2.0); /* exactly at the deadline */
    assert_null(result);
    assert_int_equal(job.slept, -ECANCELED); /* cancelled... */
    assert_true(job.ended == 2.0);           /* ...and finished before we returned */
    assert_nothing_leaked();
    return NULL;
}

/* The inner task finishes in the same instant the deadline passes: its
 * wake-up was already handed over, so it returns its result, which wins. */
static void *same_instant_result_wins(void *arg) {
    (void)arg;
    struct job job = {.delay = 2, .value = 7};
    void *result;
    assert_int_equal(cio_wait_for(job_start(&job), 2.0, &result), 0);
    assert_int_equal((intptr_t)result, 7);
    assert_true(test_now() == 2.0);
    assert_int_equal(job.slept, 0);
    /* A task that catches the cancellation and returns: its result wins too;
     * one that fails instead: that error is returned. */
    struct job stubborn = {.delay = 1, .value = 8, .stubborn = true};
    assert_int_equal(cio_wait_for(job_start(&stubborn), 0.5, &result), 0);
    assert_int_equal((intptr_t)result, 8);
    assert_true(test_now() == 3.5);
    struct job failing = {.delay = 1, .error = -EIO, .stubborn = true};
    assert_int_equal(cio_wait_for(job_start(&failing), 0.5, &result), -EIO);
    assert_nothing_leaked();
    return NULL;
}

static void *zero_timeout(void *arg) {
    (void)arg;
    struct job done = {.delay = -1, .value = 3};
    cio_task *task = job_start(&done);
    cio_yield();
    void *result;
    assert_int_equal(cio_wait_for(task, 0, &result), 0); /* already done: its result */
    assert_int_equal((intptr_t)result, 3);
    struct job pending = {.delay = 1, .value = 3};
    assert_int_equal(cio_wait_for(job_start(&pending), 0, &result), -ETIMEDOUT);
    assert_true(test_now() == 0.0);
    assert_true(pending.ended == 0.0); /* cancelled before it started: never ran */
    assert_nothing_leaked();
    return NULL;
}

static void wait_for_results_and_timeouts(void **state) {
    (void)state;
    assert_int_equal(test_run(result_before_deadline, NULL, NULL, NULL), 0);
    assert_int_equal(test_run(timeout_cancels_and_waits, NULL, NULL, NULL), 0);
    assert_int_equal(test_run(same_instant_result_wins, NULL, NULL, NULL), 0);
    assert_int_equal(test_run(zero_timeout, NULL, NULL, NULL), 0);
}

static void *cancel_later(void *arg) {
    cio_sleep(1);
    cio_task_cancel(arg);
    return NULL;
}

static struct job inner = {.delay = 10};
static int inner_status;

static void *wait_for_inner(void *arg) {
    (void)arg;
    inner_status = cio_wait_for(job_start(&inner), 5.0, NULL);
    return NULL;
}

static void *cancel_from_outside(void *arg) {
    (void)arg;
    inner = (struct job){.delay = 10};
    cio_task *waiter;
    assert_int_equal(cio_create_task(wait_for_inner, NULL, &waiter), 0);
    cio_sleep(1);
    cio_task_cancel(waiter);
    assert_int_equal(cio_await(waiter, NULL), 0);
    assert_int_equal(inner_status, -ECANCELED);
    assert_int_equal(inner.slept, -ECANCELED);
    assert_true(inner.ended == 1.0);
    assert_nothing_leaked();
    return NULL;
}

/* From inside: the caller's own pending cancellation; the awaited task
 * cancelled by a third party (asyncio: CancelledError from wait_for). */
static void *cancel_from_inside(void *arg) {
    (void)arg;
    struct job job = {.delay = 1};
    cio_task_cancel(cio_current_task());
    assert_int_equal(cio_wait_for(job_start(&job), 5.0, NULL), -ECANCELED);
    assert_true(job.ended == 0.0); /* cancelled before it ran */
    cio_task_uncancel(cio_current_task());
    struct job victim = {.delay = 3};
    cio_task *task = job_start(&victim);
    cio_task *canceller;
    assert_int_equal(cio_create_task(cancel_later, task, &canceller), 0);
    assert_int_equal(cio_wait_for(task, 5.0, NULL), -ECANCELED);
    assert_true(test_now() == 1.0);
    assert_int_equal(cio_await(canceller, NULL), 0);
    assert_nothing_leaked();
    return NULL;
}

static void *nested(void *arg) {
    (void)arg;
    struct job job = {.delay = 10};
    cio_timeout outer;
    cio_timeout_begin(&outer, 1.0); /* the outer fires first */
    assert_int_equal(cio_wait_for(job_start(&job), 5.0, NULL), -ETIMEDOUT);
    assert_true(test_now() == 1.0);
    assert_int_equal(cio_timeout_end(&outer), -ETIMEDOUT);
    assert_int_equal(job.slept, -ECANCELED);

    cio_timeout_begin(&outer, 5.0); /* the inner fires first */
    assert_int_equal(cio_wait_for(job_start(&job), 1.0, NULL), -ETIMEDOUT);
    assert_true(test_now() == 2.0);
    assert_int_equal(cio_sleep(1), 0);
    assert_int_equal(cio_timeout_end(&outer), 0);
    assert_nothing_leaked();
    return NULL;
}

/* CPython test_wait_for_self_cancellation: the deadline fired and wait_for
 * waits for the cancelled task, which catches it and goes on; the caller is
 * cancelled during that wait. The caller's cancellation is not dropped: it
 * gets -ECANCELED, not the task's late result. */
static struct job late = {.delay = 2, .value = 8, .stubborn = true};
static int late_status;
static void *late_result;

static void *wait_for_late(void *arg) {
    (void)arg;
    late_status = cio_wait_for(job_start(&late), 1.0, &late_result);
    return NULL;
}

static void *cancelled_while_draining(void *arg) {
    (void)arg;
    late = (struct job){.delay = 2, .value = 8, .stubborn = true};
    late_result = &late_result;
    cio_task *waiter;
    assert_int_equal(cio_create_task(wait_for_late, NULL, &waiter), 0);
    cio_sleep(2); /* the deadline fired at 1; the task finishes at 3 */
    cio_task_cancel(waiter);
    assert_int_equal(cio_await(waiter, NULL), 0);
    assert_int_equal(late_status, -ECANCELED);
    assert_null(late_result);
    assert_true(late.ended == 3.0); /* still waited for */
    assert_nothing_leaked();
    return NULL;
}

static void wait_for_cancellation_and_nesting(void **state) {
    (void)state;
    assert_int_equal(test_run(cancelled_while_draining, NULL, NULL, NULL), 0);
    assert_int_equal(test_run(cancel_from_outside, NULL, NULL, NULL), 0);
    assert_int_equal(test_run(cancel_from_inside, NULL, NULL, NULL), 0);
    assert_int_equal(test_run(nested, NULL, NULL, NULL), 0);
}

/* ---- shield ------------------------------------------------------------------------- */

static struct job precious;
static int shield_status;

static void *await_shielded(void *arg) {
    cio_task *task = arg;
    shield_status = cio_shield(task, NULL);
    return NULL;
}

static void *shield_keeps_task_alive(void *arg) {
    (void)arg;
    struct job job = {.delay = 1, .value = 4};
    void *result;
    assert_int_equal(cio_shield(job_start(&job), &result), 0);
    assert_int_equal((intptr_t)result, 4);
    struct job bad = {.delay = -1, .error = -ENOENT};
    assert_int_equal(cio_shield(job_start(&bad), &result), -ENOENT); /* its status */
    assert_null(result);

    precious = (struct job){.delay = 3, .value = 9};
    cio_task *task = job_start(&precious);
    cio_task_ref(task); /* to await it after the shield is interrupted */
    cio_task *waiter;
    assert_int_equal(cio_create_task(await_shielded, task, &waiter), 0);
    cio_sleep(1);
    cio_task_cancel(waiter);
    cio_await(waiter, NULL);
    assert_int_equal(shield_status, -ECANCELED);
    assert_true(test_now() == 2.0); /* returned at once */
    assert_false(cio_task_done(task));
    assert_int_equal(cio_await(task, &result), 0); /* uncancelled: finished normally */
    assert_int_equal((intptr_t)result, 9);
    assert_true(test_now() == 4.0); /* started at 1, slept 3 */

    cio_timeout scope; /* a timeout interrupts the same way */
    cio_timeout_begin(&scope, 0.5);
    struct job slow = {.delay = 1, .value = 1};
    assert_int_equal(cio_shield(job_start(&slow), NULL), -ETIMEDOUT);
    assert_int_equal(cio_timeout_end(&scope), -ETIMEDOUT);
    assert_true(test_now() == 4.5);
    cio_sleep(1);
    assert_int_equal(slow.slept, 0); /* detached, and it ran to the end */
    assert_true(slow.ended == 5.0);
    assert_nothing_leaked();
    return NULL;
}

static void shield_protects_the_task(void **state) {
    (void)state;
    assert_int_equal(test_run(shield_keeps_task_alive, NULL, NULL, NULL), 0);
}

/* A shielded task whose waiter left fails later: nobody retrieved the error,
 * so it is reported when the task is freed (as asyncio logs it). */
static void *detached_failure(void *arg) {
    (void)arg;
    struct job job = {.delay = 1, .error = -ECONNRESET};
    cio_task_cancel(cio_current_task());
    assert_int_equal(cio_shield(job_start(&job), NULL), -ECANCELED);
    cio_task_uncancel(cio_current_task());
    cio_sleep(2);
    return NULL;
}

static void run_detached_failure(void) {
    test_run(detached_failure, NULL, NULL, NULL);
}

static void shield_reports_unretrieved_error(void **state) {
    (void)state;
    char err[512];
    assert_int_equal(test_in_child(run_detached_failure, err, sizeof err), 0);
    assert_non_null(strstr(err, "failed: Connection reset by peer (error never retrieved)"));
}

/* ---- misuse --------------------------------------------------------------------------- */

static void *misuse(void *arg) {
    cio_task *foreign = arg;
    struct job job = {.delay = 1};
    cio_task *mine = job_start(&job);
    assert_int_equal(cio_wait_for(foreign, 1.0, NULL), -EINVAL);
    assert_int_equal(cio_wait_for(NULL, 1.0, NULL), -EINVAL);
    assert_int_equal(cio_wait_for(mine, NAN, NULL), -EINVAL);
    assert_int_equal(cio_wait_for(cio_current_task(), 1.0, NULL), -EDEADLK);
    assert_int_equal(cio_shield(foreign, NULL), -EINVAL);
    assert_int_equal(cio_shield(NULL, NULL), -EINVAL);
    assert_int_equal(cio_shield(cio_current_task(), NULL), -EDEADLK);
    assert_int_equal(cio_await(mine, NULL), 0); /* nothing consumed */
    assert_nothing_leaked();
    return NULL;
}

static void wait_for_and_shield_misuse(void **state) {
    (void)state;
    cio_loop_free(run_with_foreign_task(misuse));
    setenv("CIO_QUIET", "1", 1);
    assert_int_equal(cio_wait_for(NULL, 1, NULL), -EPERM);
    assert_int_equal(cio_shield(NULL, NULL), -EPERM);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(wait_for_results_and_timeouts),
        cmocka_unit_test(wait_for_cancellation_and_nesting),
        cmocka_unit_test(shield_protects_the_task),
        cmocka_unit_test(shield_reports_unretrieved_error),
        cmocka_unit_test(wait_for_and_shield_misuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
