/* CPython's own asyncio tests, ported: where cio behaves as asyncio does
 * for tasks, futures and cancellation (issue 19), and where it differs on
 * purpose (docs/asyncio-differences.md). Each test names the CPython test
 * it ports (Lib/test/test_asyncio/test_tasks.py unless said otherwise).
 * All on the virtual clock. */
#include "testutil.h"

#include <signal.h>

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct two_futures {
    cio_future *fut1, *fut2, *fut3;
    cio_task *task;
};

/* await fut1; try: await fut2 except CancelledError: return 42 */
static void *catching(void *arg) {
    struct two_futures *s = arg;
    assert_int_equal(cio_future_await(s->fut1, NULL), 0);
    if (cio_future_await(s->fut2, NULL) == -ECANCELED) return (void *)(intptr_t)42;
    return NULL;
}

/* test_cancel_task_catching: cancel() cancels the future the task awaits at
 * once, and a task that catches the cancellation and returns ends normally. */
static void *cancel_task_catching_main(void *arg) {
    (void)arg;
    struct two_futures s = {0};
    assert_int_equal(cio_future_new(NULL, &s.fut1), 0);
    assert_int_equal(cio_future_new(NULL, &s.fut2), 0);
    cio_task *t = test_spawn(catching, &s);
    assert_int_equal(cio_yield(), 0); /* run_briefly: t awaits fut1 */
    assert_int_equal(cio_future_set_result(s.fut1, NULL), 0);
    assert_int_equal(cio_yield(), 0); /* t awaits fut2 */
    assert_false(cio_future_done(s.fut2));
    assert_int_equal(cio_task_cancel(t), 0);
    assert_true(cio_future_cancelled(s.fut2)); /* at once, before t resumes */
    cio_task_ref(t);
    void *result = NULL;
    assert_int_equal(cio_await(t, &result), 0);
    assert_int_equal((intptr_t)result, 42);
    assert_false(cio_task_cancelled(t));
    cio_task_unref(t);
    cio_future_unref(s.fut1);
    cio_future_unref(s.fut2);
    return NULL;
}

static void cancel_task_catching(void **state) {
    (void)state;
    assert_int_equal(test_run(cancel_task_catching_main, NULL, NULL, NULL), 0);
}

/* await fut1; try: await fut2 except CancelledError: pass; return await fut3
 * - with cio_task_uncancel where asyncio needs nothing: cio's cancellation
 * is level-triggered (a deliberate difference), so a task that goes on
 * awaiting after it handled one withdraws it first. */
static void *ignoring(void *arg) {
    struct two_futures *s = arg;
    assert_int_equal(cio_future_await(s->fut1, NULL), 0);
    if (cio_future_await(s->fut2, NULL) == -ECANCELED) cio_task_uncancel(cio_current_task());
    void *result = NULL;
    int rc = cio_future_await(s->fut3, &result);
    return rc < 0 ? cio_fail(rc) : result;
}

/* test_cancel_task_ignoring */
static void *cancel_task_ignoring_main(void *arg) {
    (void)arg;
    struct two_futures s = {0};
    assert_int_equal(cio_future_new(NULL, &s.fut1), 0);
    assert_int_equal(cio_future_new(NULL, &s.fut2), 0);
    assert_int_equal(cio_future_new(NULL, &s.fut3), 0);
    cio_task *t = test_spawn(ignoring, &s);
    assert_int_equal(cio_yield(), 0);
    assert_int_equal(cio_future_set_result(s.fut1, NULL), 0);
    assert_int_equal(cio_yield(), 0);
    assert_int_equal(cio_task_cancel(t), 0);
    assert_true(cio_future_cancelled(s.fut2));
    assert_int_equal(cio_yield(), 0); /* t now awaits fut3 */
    assert_false(cio_task_done(t));
    assert_int_equal(cio_future_set_result(s.fut3, (void *)(intptr_t)42), 0);
    cio_task_ref(t);
    void *result = NULL;
    assert_int_equal(cio_await(t, &result), 0);
    assert_int_equal((intptr_t)result, 42);
    assert_false(cio_future_cancelled(s.fut3));
    assert_false(cio_task_cancelled(t));
    cio_task_unref(t);
    cio_future_unref(s.fut1);
    cio_future_unref(s.fut2);
    cio_future_unref(s.fut3);
    return NULL;
}

static void cancel_task_ignoring(void **state) {
    (void)state;
    assert_int_equal(test_run(cancel_task_ignoring_main, NULL, NULL, NULL), 0);
}

/* The same for an awaited task: the awaiter's cancellation reaches the
 * task it awaits inside cio_task_cancel, so a done-callback on it runs
 * before the awaiter resumes. */
static void *sleep_long(void *arg) {
    (void)arg;
    int rc = cio_sleep(100.0);
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void *await_inner(void *arg) {
    cio_task *inner = arg;
    int rc = cio_await(inner, NULL);
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void count_done(cio_future *f, void *arg) {
    if (cio_future_cancelled(f)) ++*(int *)arg;
}

static void *cancel_reaches_awaited_task_main(void *arg) {
    (void)arg;
    cio_task *inner = test_spawn(sleep_long, NULL);
    cio_task_ref(inner);
    cio_task *outer = test_spawn(await_inner, inner);
    int seen = 0;
    assert_int_equal(cio_future_add_done_callback(cio_task_future(inner), count_done, &seen), 0);
    assert_int_equal(cio_yield(), 0); /* inner sleeps, outer awaits it */
    assert_int_equal(cio_task_cancel(outer), 0);
    assert_int_equal(cio_task_cancelling(inner), 1); /* at once, and once only */
    assert_int_equal(cio_await(outer, NULL), -ECANCELED);
    assert_int_equal(seen, 1);
    assert_int_equal(cio_task_cancelling(inner), 1);
    assert_true(cio_task_cancelled(inner));
    cio_task_unref(inner);
    return NULL;
}

static void cancel_reaches_awaited_task(void **state) {
    (void)state;
    assert_int_equal(test_run(cancel_reaches_awaited_task_main, NULL, NULL, NULL), 0);
}

/* cio_wait borrows its tasks and, like asyncio.wait, does not cancel them
 * when the waiter is cancelled: only cio_await and cio_future_await do. */
static void *wait_on(void *arg) {
    cio_task *inner = arg;
    int rc = cio_wait(&inner, 1, CIO_ALL_COMPLETED, INFINITY, NULL);
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void *wait_does_not_cancel_main(void *arg) {
    (void)arg;
    cio_task *inner = test_spawn(sleep_long, NULL);
    cio_task *outer = test_spawn(wait_on, inner);
    assert_int_equal(cio_yield(), 0);
    assert_int_equal(cio_task_cancel(outer), 0);
    assert_int_equal(cio_task_cancelling(inner), 0);
    assert_int_equal(cio_await(outer, NULL), -ECANCELED);
    assert_false(cio_task_done(inner));
    assert_int_equal(cio_task_cancel(inner), 0);
    assert_int_equal(cio_await(inner, NULL), -ECANCELED);
    return NULL;
}

static void wait_does_not_cancel(void **state) {
    (void)state;
    assert_int_equal(test_run(wait_does_not_cancel_main, NULL, NULL, NULL), 0);
}

/* Two tasks awaiting each other (a deadlock of the caller's making):
 * cancelling one cancels the other through its await, which comes back to
 * the first - once: no endless recursion. (Each then waits, shielded, for
 * the other to finish, which never comes: the loop is freed under them.) */
static cio_task *cycle[2];

static void *await_other(void *arg) {
    int me = (int)(intptr_t)arg;
    int rc = cio_await(cio_task_ref(cycle[1 - me]), NULL);
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void *await_cycle_main(void *arg) {
    (void)arg;
    cycle[0] = test_spawn(await_other, (void *)(intptr_t)0);
    cycle[1] = test_spawn(await_other, (void *)(intptr_t)1);
    assert_int_equal(cio_yield(), 0); /* each awaits the other */
    assert_int_equal(cio_task_cancel(cycle[0]), 0);
    assert_int_equal(cio_task_cancelling(cycle[1]), 1);
    assert_int_equal(cio_task_cancelling(cycle[0]), 2); /* ours, and the one come back */
    cio_task_unref(cycle[0]);
    cio_task_unref(cycle[1]);
    return NULL;
}

static void cancel_through_an_await_cycle(void **state) {
    (void)state;
    assert_int_equal(test_run(await_cycle_main, NULL, NULL, NULL), 0);
}

/* test_cancel_at_end: a task that cancels itself and returns without
 * awaiting again ends cancelled. cio still hands the value it returned
 * over through *result (in C it may own memory). */
static void *cancel_self_then_return(void *arg) {
    (void)arg;
    assert_int_equal(cio_task_cancel(cio_current_task()), 0);
    return (void *)(intptr_t)12;
}

static void *cancel_at_end_main(void *arg) {
    (void)arg;
    cio_task *t = test_spawn(cancel_self_then_return, NULL);
    cio_task_ref(t);
    void *result = NULL;
    assert_int_equal(cio_await(t, &result), -ECANCELED);
    assert_int_equal((intptr_t)result, 12);
    assert_true(cio_task_done(t));
    assert_true(cio_task_cancelled(t));
    cio_task_unref(t);
    return NULL;
}

static void cancel_at_end(void **state) {
    (void)state;
    assert_int_equal(test_run(cancel_at_end_main, NULL, NULL, NULL), 0);
}

/* A task cancelled after a waker made it ready (its wait already succeeded)
 * that returns without awaiting again ends cancelled too; one that saw
 * -ECANCELED and returns normally ends normally, as in asyncio. */
static void *wait_event_then_return(void *arg) {
    int rc = cio_event_wait(arg);
    return rc < 0 ? cio_fail(rc) : (void *)(intptr_t)7;
}

static void *sleep_catch_return(void *arg) {
    (void)arg;
    int rc = cio_sleep(100.0);
    return (void *)(intptr_t)(rc == -ECANCELED ? 8 : 0);
}

static void *cancel_after_wake_main(void *arg) {
    (void)arg;
    cio_event ev;
    cio_event_init(&ev);
    cio_task *woken = test_spawn(wait_event_then_return, &ev);
    cio_task *handled = test_spawn(sleep_catch_return, NULL);
    cio_task_ref(woken);
    cio_task_ref(handled);
    assert_int_equal(cio_yield(), 0);
    cio_event_set(&ev); /* woken is ready: its wait returns 0 */
    assert_int_equal(cio_task_cancel(woken), 0);
    assert_int_equal(cio_task_cancel(handled), 0);
    void *result = NULL;
    assert_int_equal(cio_await(woken, &result), -ECANCELED);
    assert_int_equal((intptr_t)result, 7);
    assert_true(cio_task_cancelled(woken));
    assert_int_equal(cio_await(handled, &result), 0);
    assert_int_equal((intptr_t)result, 8);
    assert_false(cio_task_cancelled(handled));
    cio_task_unref(woken);
    cio_task_unref(handled);
    return NULL;
}

static void cancel_after_wake(void **state) {
    (void)state;
    assert_int_equal(test_run(cancel_after_wake_main, NULL, NULL, NULL), 0);
}

/* An uncancel down to zero before the return withdraws the request: the
 * task ends with its result (asyncio 3.13: uncancel() to zero clears
 * _must_cancel; test_uncancel_resets_must_cancel). */
static void *cancel_uncancel_return(void *arg) {
    (void)arg;
    cio_task_cancel(cio_current_task());
    cio_task_uncancel(cio_current_task());
    return (void *)(intptr_t)5;
}

static void *uncancel_before_end_main(void *arg) {
    (void)arg;
    void *result = NULL;
    assert_int_equal(cio_await(test_spawn(cancel_uncancel_return, NULL), &result), 0);
    assert_int_equal((intptr_t)result, 5);
    return NULL;
}

static void uncancel_before_end(void **state) {
    (void)state;
    assert_int_equal(test_run(uncancel_before_end_main, NULL, NULL, NULL), 0);
}

/* ---- cio_run (Lib/test/test_asyncio/test_runners.py) ------------------------------ */

static struct { bool started, cleaned_up; } leftover_state;

/* try: await asyncio.sleep(0.1) except CancelledError: 1 / 0 */
static void *leftover(void *arg) {
    (void)arg;
    leftover_state.started = true;
    int rc = cio_sleep(0.1);
    if (rc != -ECANCELED) return NULL;
    leftover_state.cleaned_up = true;
    return cio_fail_msg(-EDOM, "leftover's cleanup failed");
}

static void *main_leaves_a_task(void *arg) {
    (void)arg;
    assert_int_equal(cio_create_task(leftover, NULL, NULL), 0);
    return (void *)(intptr_t)123;
}

static void run_leaving_a_task(void) {
    /* No SIGINT handling (cio_run starts its signal thread only for a default
     * SIGINT): TSan kills a forked child of a threaded test that starts a
     * thread, and what this test checks has nothing to do with signals. */
    signal(SIGINT, SIG_IGN);
    cio_loop_options opts = {.clock = CIO_CLOCK_VIRTUAL};
    void *result = NULL;
    int rc = cio_run_ex(main_leaves_a_task, NULL, &opts, &result);
    bool ok =
        rc == 0 && (intptr_t)result == 123 && leftover_state.started && leftover_state.cleaned_up;
    _exit(ok ? 0 : 1);
}

/* test_asyncio_run_reports_hanging_tasks_errors (and _cancels_hanging_tasks):
 * a task main created just before returning gets its first turn before
 * cio_run cancels it, so its cleanup runs and its failure is reported. */
static void run_reports_hanging_tasks_errors(void **state) {
    (void)state;
    char err[2048];
    int status = test_in_child(run_leaving_a_task, err, sizeof err);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_non_null(strstr(err, "leftover's cleanup failed (error never retrieved)"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cancel_task_catching),
        cmocka_unit_test(cancel_task_ignoring),
        cmocka_unit_test(cancel_reaches_awaited_task),
        cmocka_unit_test(wait_does_not_cancel),
        cmocka_unit_test(cancel_through_an_await_cycle),
        cmocka_unit_test(cancel_at_end),
        cmocka_unit_test(cancel_after_wake),
        cmocka_unit_test(uncancel_before_end),
        cmocka_unit_test(run_reports_hanging_tasks_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
