/* tests/testutil.h - shared helpers for cio's cmocka tests. */
#ifndef CIO_TESTUTIL_H
#define CIO_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cio.h>

/* A fresh loop on the virtual clock; fails the test if it cannot be made. */
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

/* A stress size n scaled by $CIO_TEST_SCALE, a fraction in (0, 1] (unset or
 * invalid: 1), never below min. `make test-tsan` sets it: ThreadSanitizer
 * makes every task's fiber costly and dies past ~8k fibers alive. Use it only
 * where the count is load, never where the number itself is what is tested
 * (a pool bound, a limit). */
int test_scaled(int n, int min);

#endif
