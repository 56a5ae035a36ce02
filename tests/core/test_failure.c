/* Errors that carry a message, and application error codes (issue 12). */
#include "testutil.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

static char err[4096];

static void *parse_fails(void *arg) {
    (void)arg;
    return cio_fail_msg(-CIO_EUSER(7), "syntax error at line %d: '%s'", 3, "SELEC");
}

static void *fails_then_succeeds(void *arg) {
    (void)arg;
    (void)cio_fail_msg(-EIO, "never mind");
    return arg;
}

static void *read_message(void *arg) {
    (void)arg;
    cio_task *task = test_spawn(parse_fails, NULL);
    cio_task_ref(task); /* cio_await consumes one: keep the task to read its message */
    assert_int_equal(cio_await(task, NULL), -CIO_EUSER(7));
    /* NULL when the message could not be kept (no memory): a failure, not a crash */
    assert_non_null(cio_task_error_message(task));
    assert_string_equal(cio_task_error_message(task), "syntax error at line 3: 'SELEC'");
    cio_task_unref(task);

    task = test_spawn(fails_then_succeeds, NULL);
    cio_task_ref(task);
    assert_int_equal(cio_await(task, NULL), 0);
    assert_null(cio_task_error_message(task)); /* kept only for a failure */
    cio_task_unref(task);
    return NULL;
}

static void message_reaches_the_awaiter(void **state) {
    (void)state;
    assert_int_equal(test_run(read_message, NULL, NULL, NULL), 0);
}

static void unretrieved_child(void) {
    cio_loop *loop = test_loop_new();
    cio_loop_create_task(loop, parse_fails, NULL, NULL); /* detached: no one retrieves it */
    cio_task *last = test_spawn_on(loop, fails_then_succeeds, NULL);
    cio_loop_run_until_complete(loop, last, NULL);
    cio_loop_free(loop);
    _exit(0);
}

static void message_is_in_the_unretrieved_report(void **state) {
    (void)state;
    int status = test_in_child(unretrieved_child, err, sizeof err);
    assert_true(WIFEXITED(status));
    assert_non_null(strstr(err, "failed: application error 7: syntax error at line 3: 'SELEC' "
                                "(error never retrieved)"));
}

static void user_codes(void **state) {
    (void)state;
    assert_string_equal(cio_strerror(-CIO_EUSER(0)), "application error 0");
    assert_string_equal(cio_strerror(CIO_EUSER(1023)), "application error 1023");
    assert_int_equal(CIO_EUSER(1023), CIO_ERROR_MAX);
    assert_int_equal(cio_error_of(cio_fail(-CIO_EUSER(5))), -CIO_EUSER(5));
    /* out of range: visible as such, not as a plausible -EINVAL */
    assert_int_equal(cio_error_of(cio_fail(-5000)), -CIO_EBADCODE);
    assert_int_equal(cio_error_of(cio_fail(0)), -EINVAL);
    assert_non_null(strstr(cio_strerror(-CIO_EBADCODE), "outside"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(message_reaches_the_awaiter),
        cmocka_unit_test(message_is_in_the_unretrieved_report),
        cmocka_unit_test(user_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
