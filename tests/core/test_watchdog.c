/* The stall detector: a task that keeps the loop from polling for 200 ms is
 * reported once, with its name and the frame that blocked; an idle loop is
 * never reported; the errors. Real time: the watchdog watches real time
 * (these runs last about 0.3 s each). Each run is in a child, whose stderr
 * the test reads. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Not inlined: when the signal lands inside clock_gettime (libc and the
 * vDSO keep no frame pointer), the chain still leads through this frame to
 * the spinning one. */
__attribute__((noinline)) static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Exported and not inlined: the report names it (backtrace_symbols_fd
 * knows only exported names; the test program exports its own). */
__attribute__((noinline)) void watchdog_test_spin(double seconds);
__attribute__((noinline)) void watchdog_test_spin(double seconds) {
    double until = now_s() + seconds;
    volatile unsigned sink = 0;
    while (now_s() < until) /* mostly computing here, not in the clock */
        for (unsigned i = 0; i < 100000; i++) sink = sink + i;
}

static void *blocker(void *arg) {
    watchdog_test_spin(*(double *)arg);
    return NULL;
}

static void *idler(void *arg) {
    int rc = cio_sleep(*(double *)arg);
    return rc ? cio_fail(rc) : NULL;
}

/* Runs fn(seconds) as task 'name' on a real-clock loop watched every 50 ms;
 * exits with the number of reports. */
static void run_watched(cio_task_fn fn, double seconds) {
    cio_loop *loop;
    if (cio_loop_new(NULL, &loop) < 0) _exit(100);
    if (cio_loop_start_watchdog(loop, 50) != 0) _exit(101);
    cio_task *task;
    if (cio_loop_create_task(loop, fn, &seconds, &task) < 0) _exit(102);
    cio_task_set_name(task, "blocker");
    if (cio_loop_run_until_complete(loop, task, NULL) != 0) _exit(103);
    unsigned reports = cio_loop_watchdog_reports(loop);
    cio_loop_free(loop);
    _exit((int)reports);
}

static void stall_child(void) {
    run_watched(blocker, 0.2);
}
static void idle_child(void) {
    run_watched(idler, 0.3);
}

static int count(const char *text, const char *needle) {
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p++) n++;
    return n;
}

static void stall_reported_once(void **state) {
    (void)state;
    char err[16384];
    int status = test_in_child(stall_child, err, sizeof err);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 1)
        fail_msg("status %d (want 1 report):\n%s", status, err);
    if (getenv("CIO_TEST_SHOW")) fputs(err, stderr);
    assert_int_equal(count(err, "cio: watchdog: the loop has not polled for 50 ms"), 1);
    if (!strstr(err, "it runs task 'blocker' #") || !strstr(err, "(watchdog_test_spin+0x"))
        fail_msg("report lacks the task or the blocking frame:\n%s", err);
}

static void idle_loop_not_reported(void **state) {
    (void)state;
    char err[4096];
    int status = test_in_child(idle_child, err, sizeof err);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("status %d (want no report):\n%s", status, err);
    assert_null(strstr(err, "watchdog"));
}

static void errors(void **state) {
    (void)state;
    assert_int_equal(cio_loop_start_watchdog(NULL, 10), -EINVAL);
    assert_int_equal(cio_loop_stop_watchdog(NULL), -EINVAL);
    assert_int_equal(cio_loop_watchdog_reports(NULL), 0);
    cio_loop *loop = test_loop_new();
    assert_int_equal(cio_loop_start_watchdog(loop, 0), -EINVAL);
    assert_int_equal(cio_loop_stop_watchdog(loop), -EALREADY);
    assert_int_equal(cio_loop_start_watchdog(loop, 10), 0);
    assert_int_equal(cio_loop_start_watchdog(loop, 10), -EALREADY);
    assert_int_equal(cio_loop_stop_watchdog(loop), 0);
    assert_int_equal(cio_loop_start_watchdog(loop, 10), 0); /* closing stops it */
    cio_loop_close(loop);
    assert_int_equal(cio_loop_start_watchdog(loop, 10), -CIO_ECLOSED);
    cio_loop_free(loop);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stall_reported_once),
        cmocka_unit_test(idle_loop_not_reported),
        cmocka_unit_test(errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
