/* Task references (issues 11.4 and 12): a release too many is refused with a
 * report; cio_await consumes on every return but -EINVAL; stale pointers are
 * refused, and freed task memory is not handed to the next task at once.
 * Each case runs in a child process so its report can be read. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static char err[4096];

static void *return_arg(void *arg) {
    return arg;
}

static void *sleep_a_bit(void *arg) {
    cio_sleep(0.5);
    return arg;
}

/* ---- a double release ----------------------------------------------------------- */

static void double_release_child(void) {
    cio_loop *loop = test_loop_new();
    cio_task *task;
    cio_loop_create_task(loop, sleep_a_bit, NULL, &task);
    cio_task_unref(task);
    cio_task_unref(task); /* one too many: must not take the loop's */
    cio_task *last;
    cio_loop_create_task(loop, sleep_a_bit, NULL, &last);
    if (cio_loop_run_until_complete(loop, last, NULL) != 0) _exit(3);
    cio_loop_free(loop);
    _exit(0);
}

static void double_release_is_refused(void **state) {
    (void)state;
    int status = test_in_child(double_release_child, err, sizeof err);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_non_null(strstr(err, "has no reference left to release"));
}

/* ---- cio_await's rule --------------------------------------------------------------- */

static void *await_self(void *arg) {
    (void)arg;
    cio_task *self = cio_task_ref(cio_current_task());
    if (cio_await(self, NULL) != -EDEADLK) _exit(4);
    fputs("-- after EDEADLK\n", stderr);
    cio_task_unref(self); /* the creator's: cio_loop_run_until_complete's unref is refused */
    return NULL;
}

static void *await_foreign(void *arg) {
    if (cio_await(arg, NULL) != -EINVAL) _exit(5);
    return NULL;
}

static void await_rule_child(void) {
    cio_loop *loop = test_loop_new();
    cio_task *task;
    cio_loop_create_task(loop, return_arg, NULL, &task);
    if (cio_await(task, NULL) != -EPERM) _exit(6); /* outside a task: consumed */
    fputs("-- after EPERM\n", stderr);
    cio_task_unref(task); /* refused and reported */
    fputs("-- self\n", stderr);
    cio_task *main_task;
    cio_loop_create_task(loop, await_self, NULL, &main_task);
    if (cio_loop_run_until_complete(loop, main_task, NULL) != 0) _exit(7);
    cio_loop_free(loop);

    /* a task of another loop: -EINVAL, nothing consumed */
    fputs("-- foreign\n", stderr);
    cio_loop *other = test_loop_new();
    cio_task *foreign;
    cio_loop_create_task(other, return_arg, NULL, &foreign);
    loop = test_loop_new();
    cio_loop_create_task(loop, await_foreign, foreign, &main_task);
    if (cio_loop_run_until_complete(loop, main_task, NULL) != 0) _exit(8);
    if (cio_loop_run_until_complete(other, foreign, NULL) != 0) _exit(9); /* still ours */
    fputs("-- end\n", stderr);
    cio_loop_free(loop);
    cio_loop_free(other);
    _exit(0);
}

static const char *between(const char *text, const char *from) {
    const char *at = strstr(text, from);
    return at ? at : "";
}

static void await_consumes_except_on_einval(void **state) {
    (void)state;
    int status = test_in_child(await_rule_child, err, sizeof err);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    const char *eperm = between(err, "-- after EPERM");
    const char *self = between(err, "-- self");
    const char *edeadlk = between(err, "-- after EDEADLK");
    const char *foreign = between(err, "-- foreign");
    assert_true(*eperm && *self && *edeadlk && *foreign);
    /* one refusal after EPERM, one after EDEADLK, none for the foreign task */
    const char *first = strstr(eperm, "no reference left");
    assert_true(first && first < self);
    const char *second = strstr(edeadlk, "cio_task_unref:"); /* no reference left, or stale */
    assert_true(second && second < foreign);
    assert_null(strstr(foreign, "cio_task_unref:"));
}

/* ---- stale pointers --------------------------------------------------------------------- */

static void *stale_main(void *arg) {
    (void)arg;
    cio_task *task = test_spawn(return_arg, NULL);
    cio_task *held = cio_task_ref(task);
    if (cio_await(task, NULL) != 0) _exit(10);
    cio_task_unref(held); /* the last reference: freed */
    fputs("-- freed\n", stderr);
    cio_task_unref(held); /* stale: refused, reported */
    if (cio_await(held, NULL) != -EINVAL) _exit(11);
    if (cio_task_cancel(held) != -EINVAL) _exit(12);
    /* The next tasks do not reuse its memory at once (quarantine). */
    for (int i = 0; i < 100; i++) {
        cio_task *next = test_spawn(return_arg, NULL);
        if (next == held) _exit(13);
        cio_await(next, NULL);
    }
    return NULL;
}

static void stale_child(void) {
    _exit(test_run(stale_main, NULL, NULL, NULL) == 0 ? 0 : 14);
}

static void stale_pointers_are_refused(void **state) {
    (void)state;
    int status = test_in_child(stale_child, err, sizeof err);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    const char *after = between(err, "-- freed");
    assert_non_null(strstr(after, "cio_task_unref: stale task pointer"));
    assert_non_null(strstr(after, "cio_await: stale task pointer"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(double_release_is_refused),
        cmocka_unit_test(await_consumes_except_on_einval),
        cmocka_unit_test(stale_pointers_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
