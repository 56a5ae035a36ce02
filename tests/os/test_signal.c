/* Signals: handlers run on the loop thread, waits (kept signals, sets,
 * cancellation, timeouts), dispositions restored, two loops at once, bad
 * input, and cio_run()'s SIGINT (in child processes). */
#include "testutil.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void resolve(void *arg) {
    cio_future *future = arg;
    cio_future_set_result(future, (void *)pthread_self());
}

static bool default_disposition(int signo) {
    struct sigaction current;
    assert_int_equal(sigaction(signo, NULL, &current), 0);
    return current.sa_handler == SIG_DFL;
}

/* ---- handlers -------------------------------------------------------------------- */

static void *handler_main(void *arg) {
    (void)arg;
    cio_future *fired;
    assert_int_equal(cio_future_new(NULL, &fired), 0);
    assert_int_equal(cio_add_signal_handler(NULL, SIGUSR1, resolve, fired), 0);
    assert_false(default_disposition(SIGUSR1));
    assert_int_equal(raise(SIGUSR1), 0);
    void *thread;
    assert_int_equal(cio_future_await(fired, &thread), 0);
    assert_true(pthread_equal((pthread_t)thread, pthread_self())); /* on the loop thread */
    assert_int_equal(cio_remove_signal_handler(NULL, SIGUSR1), 0);
    assert_int_equal(cio_remove_signal_handler(NULL, SIGUSR1), -ENOENT);
    assert_true(default_disposition(SIGUSR1));
    cio_future_unref(fired);
    return NULL;
}

static void handler_runs_on_loop(void **state) {
    (void)state;
    int fds = test_count_fds();
    assert_int_equal(test_run(handler_main, NULL, NULL, NULL), 0);
    assert_int_equal(test_count_fds(), fds);
}

static int counted;
static void count(void *arg) {
    counted += (int)(intptr_t)arg;
}

static void *replace_main(void *arg) {
    (void)arg;
    assert_int_equal(cio_add_signal_handler(NULL, SIGUSR1, count, (void *)1), 0);
    assert_int_equal(cio_add_signal_handler(NULL, SIGUSR1, count, (void *)10), 0); /* replaces */
    raise(SIGUSR1);
    assert_int_equal(cio_wait_signal(SIGUSR1), SIGUSR1); /* handler and waiter both see it */
    assert_int_equal(counted, 10);
    return NULL;
}

static void previous_disposition_restored(int signo) {
    (void)signo;
}

static void handler_replaces_and_restores(void **state) {
    (void)state;
    struct sigaction mine = {0}, old;
    mine.sa_handler = previous_disposition_restored;
    sigaction(SIGUSR1, &mine, &old);
    counted = 0;
    assert_int_equal(test_run(replace_main, NULL, NULL, NULL), 0);
    struct sigaction now;
    sigaction(SIGUSR1, NULL, &now);
    assert_ptr_equal(now.sa_handler, previous_disposition_restored); /* closed loop let go */
    sigaction(SIGUSR1, &old, NULL);
}

/* ---- waiting ------------------------------------------------------------------------ */

static void *raise_usr2(void *arg) {
    (void)arg;
    raise(SIGUSR2);
    return NULL;
}

static void *raise_usr1(void *arg) {
    (void)arg;
    raise(SIGUSR1);
    return NULL;
}

static void *wait_main(void *arg) {
    (void)arg;
    cio_create_task(raise_usr2, NULL, NULL);
    assert_int_equal(cio_wait_signal(SIGUSR2), SIGUSR2);
    /* Nobody waits now: the next SIGUSR2 is kept, not lost to the default
     * action. SIGUSR1's handler marks when the loop has dispatched both (the
     * pump posts in order; one dispatch takes both). */
    cio_future *marker;
    assert_int_equal(cio_future_new(NULL, &marker), 0);
    assert_int_equal(cio_add_signal_handler(NULL, SIGUSR1, resolve, marker), 0);
    raise(SIGUSR2);
    raise(SIGUSR1);
    assert_int_equal(cio_future_await(marker, NULL), 0);
    assert_int_equal(cio_wait_signal(SIGUSR2), SIGUSR2); /* kept: returns at once */
    assert_int_equal(cio_remove_signal_handler(NULL, SIGUSR1), 0);
    cio_future_unref(marker);
    int both[] = {SIGUSR2, SIGUSR1};
    cio_create_task(raise_usr1, NULL, NULL); /* raises once we wait */
    assert_int_equal(cio_wait_signals(both, 2), SIGUSR1);
    assert_true(test_now() == 0.0);
    return NULL;
}

static void wait_for_signals(void **state) {
    (void)state;
    assert_int_equal(test_run(wait_main, NULL, NULL, NULL), 0);
    assert_true(default_disposition(SIGUSR2));
}

static void *wait_usr2(void *arg) {
    (void)arg;
    int rc = cio_wait_signal(SIGUSR2);
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void *interrupted_main(void *arg) {
    (void)arg;
    cio_task *waiter;
    cio_create_task(wait_usr2, NULL, &waiter);
    cio_sleep(1.0);
    cio_task_cancel(waiter);
    assert_int_equal(cio_await(waiter, NULL), -ECANCELED);
    cio_timeout scope;
    cio_timeout_begin(&scope, 2.5);
    assert_int_equal(cio_wait_signal(SIGUSR2), -ETIMEDOUT);
    assert_int_equal(cio_timeout_end(&scope), -ETIMEDOUT);
    assert_true(test_now() == 3.5);
    return NULL;
}

static void wait_cancelled_and_timed_out(void **state) {
    (void)state;
    assert_int_equal(test_run(interrupted_main, NULL, NULL, NULL), 0);
}

/* ---- two loops in two threads ---------------------------------------------------------- */

static pthread_barrier_t both_waiting;

static void *barrier_then_wait(void *arg) {
    (void)arg;
    cio_future *fired;
    if (cio_future_new(NULL, &fired) < 0) return NULL;
    cio_add_signal_handler(NULL, SIGUSR1, resolve, fired);
    pthread_barrier_wait(&both_waiting); /* blocks this loop briefly: fine in a test */
    int rc = cio_future_await(fired, NULL);
    cio_future_unref(fired);
    return (void *)(intptr_t)(rc == 0 ? SIGUSR1 : rc);
}

static void *loop_thread(void *arg) {
    void *result = NULL;
    int rc = test_run(barrier_then_wait, arg, &result, NULL);
    return rc < 0 ? (void *)(intptr_t)rc : result;
}

/* Also under valgrind, which hands the process-directed signal to a loop
 * thread: its poll ends early with EINTR, which once read as the end of the
 * virtual clock's stall grace (-EDEADLK). */
static void two_loops_both_notified(void **state) {
    (void)state;
    pthread_barrier_init(&both_waiting, NULL, 3);
    pthread_t threads[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, loop_thread, NULL), 0);
    pthread_barrier_wait(&both_waiting);
    kill(getpid(), SIGUSR1); /* process-directed: both loops hear it */
    for (int i = 0; i < 2; i++) {
        void *result;
        pthread_join(threads[i], &result);
        assert_int_equal((intptr_t)result, SIGUSR1);
    }
    pthread_barrier_destroy(&both_waiting);
    assert_true(default_disposition(SIGUSR1));
}

/* ---- bad input ----------------------------------------------------------------------------- */

static void *bad_input_main(void *arg) {
    (void)arg;
    assert_int_equal(cio_add_signal_handler(NULL, SIGKILL, count, NULL), -EINVAL);
    assert_int_equal(cio_add_signal_handler(NULL, SIGSEGV, count, NULL), -EINVAL);
    assert_int_equal(cio_add_signal_handler(NULL, 0, count, NULL), -EINVAL);
    assert_int_equal(cio_add_signal_handler(NULL, 64, count, NULL), -EINVAL);
    assert_int_equal(cio_add_signal_handler(NULL, SIGUSR1, NULL, NULL), -EINVAL);
    assert_int_equal(cio_remove_signal_handler(NULL, SIGSTOP), -EINVAL);
    assert_int_equal(cio_wait_signal(SIGKILL), -EINVAL);
    int usr1 = SIGUSR1;
    assert_int_equal(cio_wait_signals(NULL, 1), -EINVAL);
    assert_int_equal(cio_wait_signals(&usr1, 0), -EINVAL);
    return NULL;
}

static void bad_input(void **state) {
    (void)state;
    setenv("CIO_QUIET", "1", 1);
    assert_int_equal(test_run(bad_input_main, NULL, NULL, NULL), 0);
    assert_int_equal(cio_wait_signal(SIGUSR1), -EPERM);
    cio_loop *loop = test_loop_new();
    assert_int_equal(cio_loop_close(loop), 0);
    assert_int_equal(cio_add_signal_handler(loop, SIGUSR1, count, NULL), -CIO_ECLOSED);
    assert_int_equal(cio_remove_signal_handler(loop, SIGUSR1), -CIO_ECLOSED);
    cio_loop_free(loop);
    assert_int_equal(cio_add_signal_handler(NULL, SIGUSR1, count, NULL), -EINVAL); /* no loop */
}

/* ---- cio_run and SIGINT (each in a child: SIGINT may kill it) ----------------------------- */

static int cleaned_up;

static void *interrupted_main_task(void *arg) {
    (void)arg;
    raise(SIGINT);
    int rc = cio_sleep(3600); /* real clock: only the cancellation ends this */
    if (rc == -ECANCELED) cleaned_up = 1;
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void sigint_child(void) {
    int rc = cio_run(interrupted_main_task, NULL, NULL);
    if (rc != -EINTR || !cleaned_up) _exit(10);
    if (!default_disposition(SIGINT)) _exit(11);
    _exit(0);
}

static void sigint_cancels_main_task(void **state) {
    (void)state;
    char err[512];
    int status = test_in_child(sigint_child, err, sizeof err);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void *stubborn_main_task(void *arg) {
    (void)arg;
    raise(SIGINT);
    cio_sleep(0.01);    /* cancelled here */
    cio_shield_begin(); /* ...and refuses to end */
    raise(SIGINT);
    cio_sleep(3600);
    return NULL;
}

static void second_sigint_child(void) {
    cio_run(stubborn_main_task, NULL, NULL);
    _exit(12);
}

static void second_sigint_kills(void **state) {
    (void)state;
    char err[512];
    int status = test_in_child(second_sigint_child, err, sizeof err);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGINT);
}

/* Issue 11.3: after the first SIGINT every await returns -ECANCELED at once;
 * a task that ignores it spins and the loop may never turn. The second
 * SIGINT must end the process from the signal handler itself: the raise()
 * below never returns. */
static void *spinning_main_task(void *arg) {
    (void)arg;
    raise(SIGINT);
    while (cio_sleep(0.01) != -ECANCELED) {
    } /* the first SIGINT arrives */
    struct sigaction current;
    sigaction(SIGINT, NULL, &current);
    if (current.sa_handler != SIG_DFL && current.sa_handler != SIG_IGN)
        fputs("handler installed\n", stderr);
    for (int i = 0; i < 100; i++) cio_sleep(1.0); /* ignores -ECANCELED: no suspension */
    raise(SIGINT);
    fputs("survived the second SIGINT\n", stderr);
    _exit(14);
}

static void spinning_child(void) {
    cio_run(spinning_main_task, NULL, NULL);
    _exit(15);
}

static void second_sigint_ends_a_spinning_task(void **state) {
    (void)state;
    char err[512];
    int status = test_in_child(spinning_child, err, sizeof err);
    assert_non_null(strstr(err, "handler installed"));
    assert_null(strstr(err, "survived"));
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGINT);
}

static void note_sigint(void *arg) {
    *(int *)arg += 1;
}

static void *own_sigint_main(void *arg) {
    (void)arg;
    int seen = 0;
    cio_add_signal_handler(NULL, SIGINT, note_sigint, &seen);
    raise(SIGINT);
    while (seen == 0)
        if (cio_sleep(0.001) < 0) return cio_fail(-ECANCELED);
    return NULL;
}

static void own_handler_child(void) {
    _exit(cio_run(own_sigint_main, NULL, NULL) == 0 ? 0 : 13);
}

static void program_handling_sigint_is_not_cancelled(void **state) {
    (void)state;
    char err[512];
    int status = test_in_child(own_handler_child, err, sizeof err);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(handler_runs_on_loop),
        cmocka_unit_test(handler_replaces_and_restores),
        cmocka_unit_test(wait_for_signals),
        cmocka_unit_test(wait_cancelled_and_timed_out),
        cmocka_unit_test(two_loops_both_notified),
        cmocka_unit_test(bad_input),
        cmocka_unit_test(sigint_cancels_main_task),
        cmocka_unit_test(second_sigint_kills),
        cmocka_unit_test(second_sigint_ends_a_spinning_task),
        cmocka_unit_test(program_handling_sigint_is_not_cancelled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
