/* Futures: results, errors, cancel, done-callbacks in order, awaiting. */
#include "testutil.h"

#include <string.h>

static char order[32];
static void note(cio_future *f, void *arg) {
    (void)f;
    strncat(order, arg, sizeof order - strlen(order) - 1);
}

static void callbacks_run_in_order_on_completion(void **state) {
    (void)state;
    cio_loop *loop = test_loop_new();
    cio_future *f;
    assert_int_equal(cio_future_new(loop, &f), 0);
    order[0] = '\0';
    assert_int_equal(cio_future_add_done_callback(f, note, "a"), 0);
    assert_int_equal(cio_future_add_done_callback(f, note, "b"), 0);
    assert_int_equal(cio_future_add_done_callback(f, note, "c"), 0);
    assert_int_equal(cio_future_remove_done_callback(f, note, "b"), 1);
    assert_int_equal(cio_future_remove_done_callback(f, note, "zz"), 0);
    assert_false(cio_future_done(f));
    assert_int_equal(cio_future_set_result(f, order), 0);
    assert_int_equal(cio_future_set_result(f, NULL), -EALREADY);
    assert_int_equal(cio_future_set_error(f, -EIO), -EALREADY);
    assert_int_equal(cio_future_cancel(f), -EALREADY);
    assert_string_equal(order, ""); /* scheduled, not run inline */
    cio_loop_stop(loop);
    cio_loop_run_forever(loop);
    assert_string_equal(order, "ac");
    assert_int_equal(cio_future_add_done_callback(f, note, "d"), 0); /* already done: soon */
    cio_loop_stop(loop);
    cio_loop_run_forever(loop);
    assert_string_equal(order, "acd");
    void *result;
    assert_int_equal(cio_future_result(f, &result), 0);
    assert_ptr_equal(result, order);
    cio_future_unref(f);
    cio_loop_free(loop);
}

static void errors_and_cancel(void **state) {
    (void)state;
    cio_loop *loop = test_loop_new();
    cio_future *f, *g;
    assert_int_equal(cio_future_new(loop, &f), 0);
    assert_int_equal(cio_future_new(loop, &g), 0);
    void *result = &result;
    assert_int_equal(cio_future_result(f, &result), -EAGAIN);
    assert_int_equal(cio_future_set_error(f, 5), -EINVAL); /* must be negative */
    assert_int_equal(cio_future_set_error(f, -EIO), 0);
    assert_int_equal(cio_future_result(f, &result), -EIO);
    assert_null(result);
    assert_int_equal(cio_future_cancel(g), 0);
    assert_true(cio_future_cancelled(g));
    assert_int_equal(cio_future_result(g, NULL), -ECANCELED);
    assert_ptr_equal(cio_future_loop(f), loop);
    cio_future *none;
    assert_int_equal(cio_future_new(NULL, &none), -EINVAL); /* no running loop */
    assert_null(none);
    assert_int_equal(cio_future_set_result(NULL, NULL), -EINVAL);
    assert_int_equal(cio_future_add_done_callback(g, NULL, NULL), -EINVAL);
    cio_future_unref(g);
    cio_future_unref(cio_future_ref(f));
    cio_future_unref(f);
    cio_future_unref(NULL);
    cio_loop_free(loop);
}

static void set_later(void *arg) {
    cio_future_set_result(arg, arg);
}

static void *await_future(void *arg) {
    (void)arg;
    cio_future *f;
    assert_int_equal(cio_future_new(NULL, &f), 0);
    cio_call_later(cio_get_running_loop(), 2.0, set_later, f, NULL);
    void *result;
    assert_int_equal(cio_future_await(f, &result), 0);
    assert_ptr_equal(result, f);
    assert_true(test_now() == 2.0);
    assert_int_equal(cio_future_await(f, &result), 0); /* done: at once */
    cio_future_unref(f);
    return NULL;
}

static void awaiting_a_future(void **state) {
    (void)state;
    assert_int_equal(test_run(await_future, NULL, NULL, NULL), 0);
}

static void *cancelled_awaiter(void *arg) {
    cio_future *f = arg;
    return cio_fail(cio_future_await(f, NULL));
}

static void *cancel_awaiter_cancels_future(void *arg) {
    (void)arg;
    cio_future *f;
    cio_future_new(NULL, &f);
    cio_task *task;
    assert_int_equal(cio_create_task(cancelled_awaiter, f, &task), 0);
    cio_sleep(1.0);
    cio_task_cancel(task);
    assert_int_equal(cio_await(task, NULL), -ECANCELED);
    assert_true(cio_future_cancelled(f)); /* asyncio cancels the awaited future */
    cio_future_unref(f);
    return NULL;
}

static void cancelling_the_awaiter(void **state) {
    (void)state;
    assert_int_equal(test_run(cancel_awaiter_cancels_future, NULL, NULL, NULL), 0);
}

static void *task_as_future(void *arg) {
    if (arg) return (void *)2;
    cio_task *child;
    assert_int_equal(cio_create_task(task_as_future, (void *)1, &child), 0);
    cio_future *f = cio_task_future(child);
    void *result;
    assert_int_equal(cio_future_set_result(f, NULL), -EPERM); /* a task sets its own */
    assert_int_equal(cio_future_await(f, &result), 0);        /* borrows */
    assert_ptr_equal(result, (void *)2);
    assert_int_equal(cio_await(child, &result), 0); /* the reference is still ours */
    return NULL;
}

static void task_futures_are_borrowed(void **state) {
    (void)state;
    assert_int_equal(test_run(task_as_future, NULL, NULL, NULL), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(callbacks_run_in_order_on_completion),
        cmocka_unit_test(errors_and_cancel),
        cmocka_unit_test(awaiting_a_future),
        cmocka_unit_test(cancelling_the_awaiter),
        cmocka_unit_test(task_futures_are_borrowed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
