/* asyncio.Runner: a loop kept across runs, leftovers cancelled and waited
 * for at close, the thread pool shut down, misuse, and Ctrl-C (two SIGINTs,
 * in child processes). Reference: CPython's test_asyncio/test_runners.py. */
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static cio_runner *new_runner(void) {
    test_recover_loop();
    cio_loop_options opts = {.clock = CIO_CLOCK_VIRTUAL};
    cio_runner *runner = NULL;
    assert_int_equal(cio_runner_new(&opts, &runner), 0);
    assert_non_null(runner);
    return runner;
}

/* ---- a loop across runs ------------------------------------------------------------ */

static int background_steps;
static bool background_cancelled;

static void *background(void *arg) {
    (void)arg;
    for (;;) {
        int rc = cio_sleep(1);
        if (rc == -ECANCELED) {
            cio_shield_begin(); /* cleanup that awaits: close waits for it */
            cio_sleep(1);
            cio_shield_end();
            background_cancelled = true;
            return cio_fail(rc);
        }
        background_steps++;
    }
}

static void *first_run(void *arg) {
    cio_loop **loop = arg;
    *loop = cio_get_running_loop();
    cio_create_task(background, NULL, NULL); /* left running */
    cio_sleep(2.5);
    return "one";
}

static void *second_run(void *arg) {
    cio_loop **loop = arg;
    assert_ptr_equal(cio_get_running_loop(), *loop);
    int before = background_steps;
    cio_sleep(3);
    assert_true(background_steps >= before + 2); /* the leftover went on */
    return "two";
}

static void runs_share_a_loop_and_close_cancels_leftovers(void **state) {
    (void)state;
    background_steps = 0;
    background_cancelled = false;
    cio_runner *runner = new_runner();
    cio_loop *loop = NULL;
    void *result;
    assert_int_equal(cio_runner_run(runner, first_run, &loop, &result), 0);
    assert_string_equal(result, "one");
    assert_ptr_equal(cio_runner_loop(runner), loop);
    assert_int_equal(cio_runner_run(runner, second_run, &loop, &result), 0);
    assert_string_equal(result, "two");
    assert_false(background_cancelled);
    assert_int_equal(cio_runner_close(runner), 0);
    assert_true(background_cancelled); /* cancelled, and waited for */
    assert_null(cio_runner_loop(runner));
    assert_int_equal(cio_runner_close(runner), -CIO_ECLOSED);
    assert_int_equal(cio_runner_run(runner, first_run, &loop, NULL), -CIO_ECLOSED);
    cio_runner_free(runner);
}

/* ---- the thread pool ------------------------------------------------------------------ */

static void *slow_job(void *arg) {
    usleep(20000);
    *(int *)arg = 1;
    return NULL;
}

static int job_done;

static void *starts_a_job(void *arg) {
    (void)arg;
    cio_to_thread(slow_job, &job_done, NULL); /* done before the run ends */
    return NULL;
}

static void close_shuts_down_the_thread_pool(void **state) {
    (void)state;
    job_done = 0;
    cio_runner *runner = new_runner();
    assert_int_equal(cio_runner_run(runner, starts_a_job, NULL, NULL), 0);
    assert_int_equal(job_done, 1);
    cio_loop *loop = cio_runner_loop(runner);
    assert_int_equal(cio_runner_close(runner), 0);
    assert_true(cio_loop_is_closed(loop));
    cio_runner_free(runner);
}

/* ---- options, outcomes, misuse ------------------------------------------------------------- */

static void *named(void *arg) {
    (void)arg;
    /* the name goes with the task: hand back static text */
    return strcmp(cio_task_name(cio_current_task()), "main") == 0 ? "main" : "other";
}

static void *fails(void *arg) {
    (void)arg;
    return cio_fail(-EIO);
}

static cio_runner *outer_runner;
static void *nested(void *arg) {
    (void)arg;
    assert_int_equal(cio_runner_run(outer_runner, named, NULL, NULL), -EBUSY);
    assert_int_equal(cio_runner_close(outer_runner), -EBUSY);
    return NULL;
}

static void outcomes_options_and_misuse(void **state) {
    (void)state;
    cio_runner *runner = new_runner();
    cio_task_options opts = {.name = "main"};
    void *result;
    assert_int_equal(cio_runner_run_ex(runner, named, NULL, &opts, &result), 0);
    assert_string_equal(result, "main");
    assert_int_equal(cio_runner_run(runner, fails, NULL, &result), -EIO);
    assert_null(result);
    outer_runner = runner;
    assert_int_equal(cio_runner_run(runner, nested, NULL, NULL), 0);
    assert_int_equal(cio_runner_run(runner, NULL, NULL, NULL), -EINVAL);
    assert_int_equal(cio_runner_run(NULL, named, NULL, NULL), -EINVAL);
    assert_int_equal(cio_runner_close(NULL), -EINVAL);
    assert_null(cio_runner_loop(NULL));
    assert_int_equal(cio_runner_new(NULL, NULL), -EINVAL);
    cio_loop_options bad = {.poller = "no-such-poller"};
    cio_runner *none = (cio_runner *)&none;
    assert_int_equal(cio_runner_new(&bad, &none), -EINVAL);
    assert_null(none);
    cio_runner_free(runner); /* closes */
    cio_runner_free(NULL);
}

/* ---- Ctrl-C (each in a child: SIGINT may kill it) ------------------------------------------- */

static void *interrupted(void *arg) {
    (void)arg;
    raise(SIGINT);
    int rc = cio_sleep(3600); /* real clock: only the cancellation ends this */
    return cio_fail(rc);
}

static void *after_interrupt(void *arg) {
    (void)arg;
    cio_sleep(0.001);
    return "again";
}

static bool default_disposition(void) {
    struct sigaction current;
    sigaction(SIGINT, NULL, &current);
    return current.sa_handler == SIG_DFL;
}

static void first_sigint_child(void) {
    cio_runner *runner;
    if (cio_runner_new(NULL, &runner) < 0) _exit(9);
    if (cio_runner_run(runner, interrupted, NULL, NULL) != -EINTR) _exit(10);
    if (!default_disposition()) _exit(11);
    void *result = NULL;
    /* the runner is still usable, and a later SIGINT is handled again */
    if (cio_runner_run(runner, after_interrupt, NULL, &result) != 0 || strcmp(result, "again"))
        _exit(12);
    if (cio_runner_run(runner, interrupted, NULL, NULL) != -EINTR) _exit(13);
    cio_runner_free(runner);
    _exit(0);
}

static void first_sigint_cancels_the_main_task(void **state) {
    (void)state;
    char err[512];
    int status = test_in_child(first_sigint_child, err, sizeof err);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void *stubborn(void *arg) {
    (void)arg;
    raise(SIGINT);
    cio_sleep(0.01);    /* cancelled here */
    cio_shield_begin(); /* ...and refuses to end */
    fputs("cancelled once\n", stderr);
    raise(SIGINT);
    cio_sleep(3600);
    return NULL;
}

static void second_sigint_child(void) {
    cio_runner *runner;
    if (cio_runner_new(NULL, &runner) < 0) _exit(9);
    cio_runner_run(runner, stubborn, NULL, NULL);
    _exit(12);
}

static void second_sigint_interrupts(void **state) {
    (void)state;
    char err[512];
    int status = test_in_child(second_sigint_child, err, sizeof err);
    assert_non_null(strstr(err, "cancelled once"));
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGINT);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(runs_share_a_loop_and_close_cancels_leftovers),
        cmocka_unit_test(close_shuts_down_the_thread_pool),
        cmocka_unit_test(outcomes_options_and_misuse),
        cmocka_unit_test(first_sigint_cancels_the_main_task),
        cmocka_unit_test(second_sigint_interrupts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
