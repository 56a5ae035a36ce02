/* The harness itself (testutil.h): a failed assertion inside a task does not
 * fail the program's later tests, a program whose every test skipped exits
 * with TEST_SKIPPED, and a lost wake-up on the virtual clock ends the run with
 * -EDEADLK in well under a second instead of at ctest's timeout. The first
 * two run an inner cmocka group in a child (this program re-executed). */
#include "testutil.h"

#include <errno.h> /* program_invocation_name */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- the inner groups, run in the child ---------------------------------------------------- */

static void *fail_inside(void *arg) {
    (void)arg;
    assert_int_equal(cio_sleep(1.0), 0);
    assert_int_equal(1, 2); /* longjmps out of this task's stack */
    return NULL;
}
static void *pass_inside(void *arg) {
    (void)arg;
    assert_int_equal(cio_sleep(1.0), 0);
    return (void *)7;
}

static void inner_fails_in_task(void **state) {
    (void)state;
    test_run(fail_inside, NULL, NULL, NULL);
}
static void inner_passes_after(void **state) {
    (void)state;
    void *result = NULL;
    assert_int_equal(test_run(pass_inside, NULL, &result, NULL), 0);
    assert_ptr_equal(result, (void *)7);
}
static void inner_cio_run_after(void **state) {
    (void)state;
    assert_int_equal(cio_run(pass_inside, NULL, NULL), 0); /* recovered by the test's setup */
}
static void inner_skips(void **state) {
    (void)state;
    skip();
}

static int inner_main(const char *which) {
    if (strcmp(which, "recover") == 0) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(inner_fails_in_task),
            cmocka_unit_test(inner_cio_run_after),
            cmocka_unit_test(inner_fails_in_task),
            cmocka_unit_test(inner_passes_after),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(inner_skips),
        cmocka_unit_test(inner_skips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Run this program with argument which; returns its exit code, output in buf. */
static int run_inner(const char *which, char *buf, size_t len) {
    char cmd[600];
    /* argv[0], not /proc/self/exe: under valgrind that is valgrind's tool. */
    const char *emulator = test_emulator();
    snprintf(cmd, sizeof cmd, "%s %s %s 2>&1", emulator ? emulator : "", program_invocation_name,
             which);
    fflush(NULL);
    FILE *out = popen(cmd, "r");
    assert_non_null(out);
    size_t used = fread(buf, 1, len - 1, out);
    buf[used] = '\0';
    int status = pclose(out);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void failure_in_task_does_not_leak_into_later_tests(void **state) {
    (void)state;
    /* cmocka's fortified longjmp refuses to jump from a task's stack to a
     * frame below it, and qemu-user puts the main stack below the mmap'd task
     * stacks (real Linux puts it above them): nothing to learn there. */
    if (test_emulator()) skip();
    char out[16384];
    int code = run_inner("recover", out, sizeof out);
    assert_int_equal(code, 2); /* exactly the two failing tests */
    assert_non_null(strstr(out, "[       OK ] inner_passes_after"));
    assert_non_null(strstr(out, "[       OK ] inner_cio_run_after"));
    assert_null(strstr(out, "EBUSY"));
}

static void all_skipped_exits_with_skip_code(void **state) {
    (void)state;
    char out[16384];
    assert_int_equal(run_inner("skip", out, sizeof out), TEST_SKIPPED);
}

/* ---- deadlock check ------------------------------------------------------------------------ */

static double real_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *wait_forever(void *arg) {
    return cio_fail(cio_event_wait(arg));
}
static void *lost_wakeup_main(void *arg) {
    cio_event *never_set = arg;
    cio_task *child = test_spawn(wait_forever, never_set);
    cio_task_set_name(child, "parked-child");
    assert_int_equal(cio_sleep(5.0), 0); /* timers still run first */
    cio_event_wait(never_set);           /* nobody will ever set it */
    return NULL;
}

static void lost_wakeup_fails_fast_with_edeadlk(void **state) {
    (void)state;
    cio_event event;
    cio_event_init(&event);
    double start = real_now();
    double elapsed = 0;
    assert_int_equal(test_run(lost_wakeup_main, &event, NULL, &elapsed), -EDEADLK);
    assert_true(elapsed >= 5.0); /* the virtual clock ran the sleep before giving up */
    assert_true(real_now() - start < 2.0);
}

/* Not a deadlock: another thread wakes the loop through its inbox, later
 * than an instant but within the grace period. */
struct late_wake {
    cio_loop *loop;
    cio_event event;
};
static void set_event(void *arg) {
    cio_event_set(arg);
}
static void *wake_later(void *arg) {
    struct late_wake *late = arg;
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
    cio_call_soon_threadsafe(late->loop, set_event, &late->event);
    return NULL;
}
static void *wait_for_thread(void *arg) {
    struct late_wake *late = arg;
    late->loop = cio_get_running_loop();
    assert_int_equal(cio_event_init(&late->event), 0);
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, wake_later, late), 0);
    int rc = cio_event_wait(&late->event);
    pthread_join(thread, NULL);
    return rc ? cio_fail(rc) : NULL;
}

static void wake_from_another_thread_is_not_a_deadlock(void **state) {
    (void)state;
    struct late_wake late;
    assert_int_equal(test_run(wait_for_thread, &late, NULL, NULL), 0);
}

int main(int argc, char **argv) {
    if (argc > 1) return inner_main(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(failure_in_task_does_not_leak_into_later_tests),
        cmocka_unit_test(all_skipped_exits_with_skip_code),
        cmocka_unit_test(lost_wakeup_fails_fast_with_edeadlk),
        cmocka_unit_test(wake_from_another_thread_is_not_a_deadlock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
