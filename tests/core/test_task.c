/* Tasks: results, errors, awaiting, cancellation in every state, shields,
 * names, misuse, and many tasks. All on the virtual clock. */
#include "testutil.h"

#include "core/loop.h" /* white-box: the task id counter */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <sys/wait.h>
#include <valgrind/valgrind.h>

static void *return_arg(void *arg) {
    return arg;
}
static void *fail_with_reset(void *arg) {
    (void)arg;
    return cio_fail(-ECONNRESET);
}

static void *sleep_then_return(void *arg) {
    int rc = cio_sleep(1.0);
    return rc ? cio_fail(rc) : arg;
}

static void *await_result_and_error(void *arg) {
    (void)arg;
    int value = 7;
    cio_task *ok;
    assert_int_equal(cio_create_task(return_arg, &value, &ok), 0);
    cio_task *bad;
    assert_int_equal(cio_create_task(fail_with_reset, NULL, &bad), 0);
    void *result = NULL;
    assert_int_equal(cio_await(ok, &result), 0);
    assert_ptr_equal(result, &value);
    assert_int_equal(cio_await(bad, &result), -ECONNRESET);
    assert_null(result);
    return NULL;
}

static void task_result_and_error(void **state) {
    (void)state;
    assert_int_equal(test_run(await_result_and_error, NULL, NULL, NULL), 0);
}

static void *await_finished_task(void *arg) {
    (void)arg;
    int value = 1;
    cio_task *task;
    assert_int_equal(cio_create_task(return_arg, &value, &task), 0);
    cio_task_ref(task);
    assert_int_equal(cio_sleep(1.0), 0); /* task finishes meanwhile */
    assert_true(cio_task_done(task));
    void *result;
    assert_int_equal(cio_task_result(task, &result), 0);
    assert_ptr_equal(result, &value);
    assert_int_equal(cio_await(task, &result), 0); /* awaited after it finished */
    assert_ptr_equal(result, &value);
    assert_int_equal(cio_await(task, &result), 0); /* the second reference */
    return NULL;
}

static void await_after_finish_and_twice(void **state) {
    (void)state;
    assert_int_equal(test_run(await_finished_task, NULL, NULL, NULL), 0);
}

static void *pending_result(void *arg) {
    (void)arg;
    cio_task *task;
    assert_int_equal(cio_create_task(sleep_then_return, NULL, &task), 0);
    void *result = &result;
    assert_int_equal(cio_task_result(task, &result), -EAGAIN);
    assert_null(result);
    assert_int_equal(cio_await(task, NULL), 0);
    return NULL;
}

static void result_of_pending_task_is_eagain(void **state) {
    (void)state;
    assert_int_equal(test_run(pending_result, NULL, NULL, NULL), 0);
}

/* ---- cancellation ------------------------------------------------------------- */

static int started;
static void *mark_started(void *arg) {
    (void)arg;
    started = 1;
    return NULL;
}

static void *cancel_before_start(void *arg) {
    (void)arg;
    started = 0;
    cio_task *task;
    assert_int_equal(cio_create_task(mark_started, NULL, &task), 0);
    assert_int_equal(cio_task_cancel(task), 0);
    assert_int_equal(cio_await(task, NULL), -ECANCELED);
    assert_int_equal(started, 0); /* never ran */
    return NULL;
}

static void *cancel_while_sleeping(void *arg) {
    (void)arg;
    cio_task *task;
    assert_int_equal(cio_create_task(sleep_then_return, NULL, &task), 0);
    cio_task_ref(task);
    assert_int_equal(cio_sleep(0.5), 0);
    double before = test_now();
    assert_int_equal(cio_task_cancel(task), 0);
    assert_int_equal(cio_task_cancelling(task), 1);
    assert_int_equal(cio_await(task, NULL), -ECANCELED);
    assert_true(test_now() == before); /* at once, not after 1 s */
    assert_true(cio_task_cancelled(task));
    assert_int_equal(cio_task_cancel(task), -EALREADY); /* done */
    cio_task_unref(task);
    return NULL;
}

static void *cancel_self(void *arg) {
    (void)arg;
    cio_task *self = cio_current_task();
    assert_int_equal(cio_task_cancel(self), 0);
    assert_int_equal(cio_sleep(1.0), -ECANCELED);
    assert_int_equal(cio_yield(), -ECANCELED); /* level-triggered: again */
    assert_int_equal(cio_sleep(0), -ECANCELED);
    return cio_fail(-ECANCELED);
}

static void *cancel_self_runner(void *arg) {
    (void)arg;
    cio_task *task;
    assert_int_equal(cio_create_task(cancel_self, NULL, &task), 0);
    cio_task_ref(task);
    assert_int_equal(cio_await(task, NULL), -ECANCELED);
    assert_true(cio_task_cancelled(task)); /* returning cio_fail(-ECANCELED) ends as cancelled */
    cio_task_unref(task);
    return NULL;
}

static void cancel_in_every_state(void **state) {
    (void)state;
    assert_int_equal(test_run(cancel_before_start, NULL, NULL, NULL), 0);
    assert_int_equal(test_run(cancel_while_sleeping, NULL, NULL, NULL), 0);
    assert_int_equal(test_run(cancel_self_runner, NULL, NULL, NULL), 0);
}

static void *ignores_cancel(void *arg) {
    int *awaits = arg;
    for (int i = 0; i < 3; i++)
        if (cio_sleep(1.0) == -ECANCELED) (*awaits)++;
    return NULL; /* swallowed the error: finishes normally, as in asyncio */
}

static void *level_triggered(void *arg) {
    (void)arg;
    int awaits = 0;
    cio_task *task;
    assert_int_equal(cio_create_task(ignores_cancel, &awaits, &task), 0);
    cio_sleep(0.5);
    cio_task_cancel(task);
    assert_int_equal(cio_await(task, NULL), 0);
    assert_int_equal(awaits, 3);
    assert_true(test_now() == 0.5);
    return NULL;
}

static void cancellation_is_level_triggered(void **state) {
    (void)state;
    assert_int_equal(test_run(level_triggered, NULL, NULL, NULL), 0);
}

static void *cleanup_in_shield(void *arg) {
    int *cleaned = arg;
    int rc = cio_sleep(10.0);
    assert_int_equal(rc, -ECANCELED);
    cio_shield_begin();
    assert_int_equal(cio_sleep(1.0), 0); /* cleanup that must await */
    *cleaned = 1;
    cio_shield_end();
    assert_int_equal(cio_yield(), -ECANCELED); /* delivered again after the shield */
    return cio_fail(rc);
}

static void *shield_runner(void *arg) {
    (void)arg;
    int cleaned = 0;
    cio_task *task;
    assert_int_equal(cio_create_task(cleanup_in_shield, &cleaned, &task), 0);
    cio_sleep(0.5);
    cio_task_cancel(task);
    assert_int_equal(cio_await(task, NULL), -ECANCELED);
    assert_int_equal(cleaned, 1);
    assert_true(test_now() == 1.5);
    assert_int_equal(cio_shield_end(), -EINVAL); /* no begin */
    return NULL;
}

static void shield_protects_cleanup(void **state) {
    (void)state;
    assert_int_equal(test_run(shield_runner, NULL, NULL, NULL), 0);
}

static void *uncancel_runner(void *arg) {
    (void)arg;
    cio_task *self = cio_current_task();
    cio_task_cancel(self);
    cio_task_cancel(self);
    assert_int_equal(cio_task_cancelling(self), 2);
    assert_int_equal(cio_task_uncancel(self), 1);
    assert_int_equal(cio_yield(), -ECANCELED);
    assert_int_equal(cio_task_uncancel(self), 0);
    assert_int_equal(cio_task_uncancel(self), 0);
    assert_int_equal(cio_sleep(1.0), 0); /* no longer cancelled */
    assert_int_equal(cio_task_uncancel(NULL), -EINVAL);
    return NULL;
}

static void uncancel_counts_down(void **state) {
    (void)state;
    assert_int_equal(test_run(uncancel_runner, NULL, NULL, NULL), 0);
}

static void *inner_sleeper(void *arg) {
    int *inner_cancelled = arg;
    if (cio_sleep(5.0) == -ECANCELED) *inner_cancelled = 1;
    return cio_fail(-ECANCELED);
}

static void *outer_awaiter(void *arg) {
    cio_task *inner;
    assert_int_equal(cio_create_task(inner_sleeper, arg, &inner), 0);
    return cio_fail(cio_await(inner, NULL));
}

static void *cancel_propagates(void *arg) {
    (void)arg;
    int inner_cancelled = 0;
    cio_task *outer;
    assert_int_equal(cio_create_task(outer_awaiter, &inner_cancelled, &outer), 0);
    cio_sleep(1.0);
    cio_task_cancel(outer);
    assert_int_equal(cio_await(outer, NULL), -ECANCELED);
    assert_int_equal(inner_cancelled, 1); /* awaiting a task: its cancel reaches it */
    return NULL;
}

static void cancelling_an_awaiter_cancels_the_awaited(void **state) {
    (void)state;
    assert_int_equal(test_run(cancel_propagates, NULL, NULL, NULL), 0);
}

/* ---- misuse -------------------------------------------------------------------- */

static void *await_self(void *arg) {
    (void)arg;
    cio_task *self = cio_task_ref(cio_current_task()); /* cio_await consumes it */
    assert_int_equal(cio_await(self, NULL), -EDEADLK);
    assert_int_equal(cio_await(NULL, NULL), -EINVAL);
    return NULL;
}

static void misuse_returns_errors(void **state) {
    (void)state;
    setenv("CIO_QUIET", "1", 1);
    assert_int_equal(cio_sleep(1.0), -EPERM); /* outside a task */
    assert_int_equal(cio_yield(), -EPERM);
    assert_int_equal(cio_await(NULL, NULL), -EINVAL); /* nothing given: before -EPERM */
    assert_int_equal(cio_shield_begin(), -EPERM);
    cio_task *none = (cio_task *)&none;
    assert_int_equal(cio_create_task(return_arg, NULL, &none), -EPERM); /* no running loop */
    assert_null(none);
    assert_null(cio_current_task());
    assert_int_equal(cio_task_cancel(NULL), -EINVAL);
    assert_false(cio_task_done(NULL));
    assert_int_equal(test_run(await_self, NULL, NULL, NULL), 0);
    cio_loop *loop = test_loop_new();
    cio_task *task = NULL;
    assert_int_equal(cio_loop_create_task_ex(loop, NULL, NULL, NULL, &task), -EINVAL);
    assert_int_equal(cio_loop_create_task_ex(NULL, return_arg, NULL, NULL, &task), -EINVAL);
    assert_int_equal(cio_loop_run_until_complete(loop, NULL, NULL), -EINVAL);
    assert_int_equal(cio_sleep(NAN), -EINVAL);
    cio_loop_free(loop);
    unsetenv("CIO_QUIET");
}

static void *other_loop_task(void *arg) {
    cio_task *foreign = arg;
    assert_int_equal(cio_await(foreign, NULL), -EINVAL);
    return NULL;
}

static void tasks_of_another_loop_are_refused(void **state) {
    (void)state;
    cio_loop *other = test_loop_new();
    cio_task *foreign;
    assert_int_equal(cio_loop_create_task(other, return_arg, NULL, &foreign), 0);
    assert_int_equal(test_run(other_loop_task, foreign, NULL, NULL), 0);
    assert_int_equal(cio_loop_run_until_complete(other, foreign, NULL), 0);
    cio_loop_free(other);
}

/* ---- names, listing, many tasks ----------------------------------------------------- */

static void *names_runner(void *arg) {
    (void)arg;
    cio_task *task;
    assert_int_equal(cio_create_task(sleep_then_return, NULL, &task), 0);
    assert_int_equal(strncmp(cio_task_name(task), "Task-", 5), 0);
    assert_int_equal(cio_task_set_name(task, "fetcher"), 0);
    assert_string_equal(cio_task_name(task), "fetcher");
    assert_int_equal(cio_task_set_name(task, NULL), -EINVAL);
    cio_task *all[4];
    assert_int_equal(cio_all_tasks(NULL, all, 4), 2); /* this one and the sleeper */
    assert_ptr_equal(cio_task_loop(task), cio_get_running_loop());
    assert_non_null(cio_task_future(task));
    assert_int_equal(cio_await(task, NULL), 0);
    assert_int_equal(cio_all_tasks(NULL, NULL, 0), 1);
    cio_task_options opts = {.name = "small", .stack_size = 16 * 1024};
    assert_int_equal(
        cio_loop_create_task_ex(cio_get_running_loop(), sleep_then_return, NULL, &opts, &task), 0);
    assert_string_equal(cio_task_name(task), "small");
    assert_int_equal(cio_await(task, NULL), 0);
    return NULL;
}

/* The default name of the largest id fits its buffer ("Task-" and 20
 * digits: the buffer was 24 bytes, two short). */
static void default_name_of_the_largest_id(void **state) {
    (void)state;
    cio_loop *loop = test_loop_new();
    loop->next_task_id = UINT64_MAX - 1;
    cio_task *task;
    assert_int_equal(cio_loop_create_task(loop, return_arg, NULL, &task), 0);
    assert_string_equal(cio_task_name(task), "Task-18446744073709551615");
    assert_int_equal(cio_loop_run_until_complete(loop, task, NULL), 0);
    cio_task_unref(task);
    cio_loop_free(loop);
}

static void names_and_listing(void **state) {
    (void)state;
    assert_int_equal(test_run(names_runner, NULL, NULL, NULL), 0);
}

#define MANY 10000

static void *many_runner(void *arg) {
    (void)arg;
    static cio_task *tasks[MANY];
    intptr_t many = test_scaled(MANY, 100); /* load, not a limit */
    for (intptr_t i = 0; i < many; i++) {
        assert_int_equal(cio_create_task(sleep_then_return, (void *)i, &tasks[i]), 0);
        assert_non_null(tasks[i]);
    }
    for (intptr_t i = 0; i < many; i++) {
        void *result;
        assert_int_equal(cio_await(tasks[i], &result), 0);
        assert_int_equal((intptr_t)result, i);
    }
    return NULL;
}

static void ten_thousand_tasks(void **state) {
    (void)state;
    double elapsed;
    assert_int_equal(test_run(many_runner, NULL, NULL, &elapsed), 0);
    assert_true(elapsed == 1.0); /* they all slept at once */
}

/* ---- reports in a child process ---------------------------------------------------- */

static void leave_error_unretrieved(void) {
    cio_loop *loop = test_loop_new();
    cio_task *task;
    assert_int_equal(cio_loop_create_task(loop, fail_with_reset, NULL, &task), 0);
    cio_task_set_name(task, "fetcher");
    cio_task_unref(task); /* nobody will look at its error */
    cio_loop_stop(loop);
    cio_loop_run_forever(loop);
    cio_loop_free(loop);
}

static void unretrieved_error_is_reported(void **state) {
    (void)state;
    char err[1024];
    test_in_child(leave_error_unretrieved, err, sizeof err);
    assert_non_null(strstr(err, "task 'fetcher' failed: Connection reset by peer"));
}

static int recurse(int depth) {
    volatile char pad[512];
    pad[0] = (char)depth;
    return depth > 1000000 ? pad[0] : recurse(depth + 1) + pad[0];
}

static void *overflow(void *arg) {
    (void)arg;
    return (void *)(intptr_t)recurse(0);
}

static void overflow_stack(void) {
    cio_loop *loop = test_loop_new();
    cio_task *task;
    cio_task_options opts = {.name = "deep", .stack_size = 64 * 1024};
    assert_int_equal(cio_loop_create_task_ex(loop, overflow, NULL, &opts, &task), 0);
    cio_loop_run_until_complete(loop, task, NULL);
}

static void stack_overflow_is_reported(void **state) {
    (void)state;
    if (RUNNING_ON_VALGRIND) {
        /* valgrind runs its own stack bookkeeping for task stacks and may spin
         * on the overflow; tests/core/test_stack.c covers the handler there. */
        skip();
    }
    char err[1024];
    int status = test_in_child(overflow_stack, err, sizeof err);
    assert_true(WIFSIGNALED(status));
    assert_non_null(strstr(err, "cio: task 'deep' overflowed its 64 KiB stack"));
}

/* A default name is written out only when asked for: the overflow report
 * (a signal handler, which may not write it) formats it from the id. */
static void overflow_unnamed_stack(void) {
    cio_loop *loop = test_loop_new();
    cio_task *first, *task;
    assert_int_equal(cio_loop_create_task(loop, overflow, NULL, &first), 0);
    cio_task_cancel(first); /* Task-1: never runs */
    cio_task_unref(first);
    cio_task_options opts = {.stack_size = 64 * 1024};
    assert_int_equal(cio_loop_create_task_ex(loop, overflow, NULL, &opts, &task), 0);
    cio_loop_run_until_complete(loop, task, NULL);
}

static void default_name_in_overflow_report(void **state) {
    (void)state;
    if (RUNNING_ON_VALGRIND) skip(); /* as above */
    char err[1024];
    int status = test_in_child(overflow_unnamed_stack, err, sizeof err);
    assert_true(WIFSIGNALED(status));
    assert_non_null(strstr(err, "cio: task 'Task-2' overflowed its 64 KiB stack"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(task_result_and_error),
        cmocka_unit_test(default_name_in_overflow_report),
        cmocka_unit_test(await_after_finish_and_twice),
        cmocka_unit_test(result_of_pending_task_is_eagain),
        cmocka_unit_test(cancel_in_every_state),
        cmocka_unit_test(cancellation_is_level_triggered),
        cmocka_unit_test(shield_protects_cleanup),
        cmocka_unit_test(uncancel_counts_down),
        cmocka_unit_test(cancelling_an_awaiter_cancels_the_awaited),
        cmocka_unit_test(misuse_returns_errors),
        cmocka_unit_test(tasks_of_another_loop_are_refused),
        cmocka_unit_test(names_and_listing),
        cmocka_unit_test(default_name_of_the_largest_id),
        cmocka_unit_test(ten_thousand_tasks),
        cmocka_unit_test(unretrieved_error_is_reported),
        cmocka_unit_test(stack_overflow_is_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
