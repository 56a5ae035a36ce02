/* tests/testutil.h - shared helpers for cio's cmocka tests. */
#ifndef CIO_TESTUTIL_H
#define CIO_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cio.h>

/* ---- the harness: every test program gets these by including this header ----
 *
 * - A failed assertion inside a task longjmps out of the task's stack back
 *   to cmocka, leaving its loop "running" on the thread: every later
 *   cio_loop_run* / cio_run of the program would fail with -EBUSY. Tests made
 *   with cmocka_unit_test(), and every test_loop_new / test_run /
 *   test_run_checked, first abandon such a loop (test_recover_loop), so one
 *   failure stays one failure.
 * - skip() is counted: a program whose every test skipped exits with
 *   TEST_SKIPPED (77), which ctest reports as "Skipped" (SKIP_RETURN_CODE).
 * - $CIO_TEST_FILTER (a cmocka glob, e.g. "* /uring" without the space) runs
 *   only the matching tests: tests/CMakeLists.txt splits a program's variants
 *   that may skip (io_uring, pidfd) into their own ctest entries with it. */
#define TEST_SKIPPED 77

void test_recover_loop(void);
int test__setup(void **state);
void test__skipped(void);
int test__group_exit(int failed, const struct CMUnitTest *tests, size_t count);
void test__apply_filter(void);

#undef cmocka_unit_test
#define cmocka_unit_test(f)                                                                        \
    { #f, f, test__setup, NULL, NULL }
#undef skip
#define skip() (test__skipped(), _skip(__FILE__, __LINE__))
#undef cmocka_run_group_tests
#define cmocka_run_group_tests(group_tests, group_setup, group_teardown)                           \
    (test__apply_filter(),                                                                         \
     test__group_exit(_cmocka_run_group_tests(#group_tests, group_tests,                           \
                                              sizeof(group_tests) / sizeof((group_tests)[0]),      \
                                              group_setup, group_teardown),                        \
                      group_tests, sizeof(group_tests) / sizeof((group_tests)[0])))

/* A fresh loop on the virtual clock; fails the test if it cannot be made.
 * Lost wake-ups fail fast on it: cio_loop_run_until_complete returns
 * -EDEADLK when nothing can ever wake its tasks. */
cio_loop *test_loop_new(void);

/* Run fn(arg) as the main task of a fresh virtual-clock loop, then close and
 * free the loop. Returns the task's status; *elapsed (may be NULL) gets the
 * loop time the run took. */
int test_run(cio_task_fn fn, void *arg, void **result, double *elapsed);

/* The running loop's time (cio_loop_time of cio_get_running_loop()). */
double test_now(void);

/* Run fn(NULL) as the main task of a fresh virtual-clock loop on poller
 * ("epoll", "poll"; NULL: the default), then free the loop. Fails the test
 * unless the task ends with status 0 and no fd is left open. */
void test_run_checked(cio_task_fn fn, const char *poller);

/* test_run_checked on epoll, then on poll. */
void test_run_on_both_pollers(cio_task_fn fn);

/* cio_create_task / cio_loop_create_task that fail the test on error, for
 * tests that use the task inline (cio_await(test_spawn(fn, arg), NULL)). */
cio_task *test_spawn(cio_task_fn fn, void *arg);
cio_task *test_spawn_on(cio_loop *loop, cio_task_fn fn, void *arg);

/* Number of open file descriptors of this process (/proc/self/fd). */
int test_count_fds(void);

/* Run fn in a child process; returns its wait status. The child's stderr is
 * captured into buf (NUL-terminated, at most len-1 bytes). */
int test_in_child(void (*fn)(void), char *buf, size_t len);

/* The emulator a test that re-executes its own program must run it under:
 * $CIO_TEST_EMULATOR (e.g. "qemu-aarch64" in CI's aarch64 step, where the
 * container has no binfmt_misc to run an arm64 file directly), or NULL. */
const char *test_emulator(void);

/* A stress size n scaled by $CIO_TEST_SCALE, a fraction in (0, 1] (unset or
 * invalid: 1), never below min. `make test-tsan` sets it: ThreadSanitizer
 * makes every task's fiber costly and dies past ~8k fibers alive. Use it only
 * where the count is load, never where the number itself is what is tested
 * (a pool bound, a limit). */
int test_scaled(int n, int min);

/* cio_loop_dump_tasks() of the running loop, as a malloc'd string the caller
 * frees (also written to stderr when $CIO_TEST_SHOW is set). */
char *test_dump_tasks(void);

#endif
