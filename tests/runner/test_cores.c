/* cio_run_cores (a loop per thread, stopped together) and cio_loop_submit
 * (a task awaiting a task that runs on another loop). These run on real
 * threads with the real clock: nothing here waits for time to pass, only for
 * other threads (a sleep of an hour is a "wait until cancelled"). */
#include "testutil.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

static atomic_int seen_mask;
static atomic_int seen_count;

static void *record_index(void *arg) {
    (void)arg;
    int index = cio_cores_index();
    if (index < 0 || cio_cores_count() != 3) return cio_fail(-EPROTO);
    for (int i = 0; i < 3; i++) /* every loop exists before any main starts */
        if (!cio_cores_loop(i)) return cio_fail(-ENOENT);
    if (cio_cores_loop(3) || cio_cores_loop(-1)) return cio_fail(-ERANGE);
    atomic_fetch_or(&seen_mask, 1 << index);
    atomic_fetch_add(&seen_count, 1);
    /* No main ends before all have checked: a loop leaves the table as its
     * main ends. */
    while (atomic_load(&seen_count) < 3) cio_sleep(0.001);
    return NULL;
}

static void every_loop_runs_main_once(void **state) {
    (void)state;
    atomic_store(&seen_mask, 0);
    atomic_store(&seen_count, 0);
    cio_cores_options opts = {.loops = 3, .pin = true};
    assert_int_equal(cio_run_cores_ex(record_index, NULL, &opts), 0);
    assert_int_equal(atomic_load(&seen_mask), 7);
    assert_int_equal(atomic_load(&seen_count), 3);
    /* Outside a group. */
    assert_int_equal(cio_cores_index(), -EPERM);
    assert_int_equal(cio_cores_count(), -EPERM);
    assert_null(cio_cores_loop(0));
    assert_int_equal(cio_cores_stop(), -EPERM);
}

static void *count_main(void *arg) {
    (void)arg;
    atomic_fetch_add(&seen_count, 1);
    return NULL;
}

static void default_is_one_loop_per_usable_cpu(void **state) {
    (void)state;
    cpu_set_t set;
    assert_int_equal(sched_getaffinity(0, sizeof set, &set), 0);
    atomic_store(&seen_count, 0);
    assert_int_equal(cio_run_cores(count_main, NULL), 0);
    assert_int_equal(atomic_load(&seen_count), CPU_COUNT(&set));
}

/* Index 1 fails at once; the others wait to be cancelled. */
static atomic_int cancelled_count;

static void *one_fails(void *arg) {
    (void)arg;
    if (cio_cores_index() == 1) return cio_fail(-EIO);
    int rc = cio_sleep(3600);
    if (rc == -ECANCELED) atomic_fetch_add(&cancelled_count, 1);
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void failing_main_stops_the_others(void **state) {
    (void)state;
    atomic_store(&cancelled_count, 0);
    cio_cores_options opts = {.loops = 3};
    assert_int_equal(cio_run_cores_ex(one_fails, NULL, &opts), -EIO);
    assert_int_equal(atomic_load(&cancelled_count), 2);
}

static void *stop_from_loop_zero(void *arg) {
    (void)arg;
    if (cio_cores_index() == 0) {
        if (cio_cores_stop() != 0) return cio_fail(-EPROTO);
    }
    int rc = cio_sleep(3600);
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void stop_cancels_every_main(void **state) {
    (void)state;
    cio_cores_options opts = {.loops = 2};
    assert_int_equal(cio_run_cores_ex(stop_from_loop_zero, NULL, &opts), -ECANCELED);
}

static void *returns_zero(void *arg) {
    (void)arg;
    return NULL;
}

static void *nested_run(void *arg) {
    (void)arg;
    return cio_fail(cio_run_cores(returns_zero, NULL) == -EBUSY ? -EALREADY : -EPROTO);
}

static void bad_arguments(void **state) {
    (void)state;
    assert_int_equal(cio_run_cores(NULL, NULL), -EINVAL);
    cio_cores_options opts = {.loops = -1};
    assert_int_equal(cio_run_cores_ex(returns_zero, NULL, &opts), -EINVAL);
    /* From inside a loop: -EBUSY. */
    assert_int_equal(cio_run(nested_run, NULL, NULL), -EALREADY);
}

/* ---- cio_loop_submit ------------------------------------------------------------------ */

static void *where_am_i(void *arg) {
    (void)arg;
    return (void *)(intptr_t)(cio_cores_index() + 100);
}

static void *fail_remotely(void *arg) {
    (void)arg;
    return cio_fail(-ENOSPC);
}

static atomic_int remote_started, remote_cancelled;

static void *wait_remotely(void *arg) {
    (void)arg;
    atomic_store(&remote_started, 1);
    int rc = cio_sleep(3600);
    if (rc == -ECANCELED) atomic_store(&remote_cancelled, 1);
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void *submit_and_wait(void *arg) {
    cio_loop *target = arg;
    void *result = (void *)1;
    int rc = cio_loop_submit(target, wait_remotely, NULL, &result);
    return cio_fail(rc == -ECANCELED && result == NULL ? -EALREADY : -EPROTO);
}

/* Loop 0 drives the checks against loop 1, then stops both. */
static void *submitter(void *arg) {
    int *failures = arg;
    if (cio_cores_index() != 0) {
        int rc = cio_sleep(3600);
        return rc < 0 ? cio_fail(rc) : NULL;
    }
    cio_loop *other = cio_cores_loop(1);
    void *result = NULL;
    if (cio_loop_submit(other, where_am_i, NULL, &result) != 0 || result != (void *)101)
        (*failures)++;
    if (cio_loop_submit(other, where_am_i, NULL, NULL) != 0) (*failures)++;
    if (cio_loop_submit(other, fail_remotely, NULL, &result) != -ENOSPC || result) (*failures)++;
    if (cio_loop_submit(NULL, where_am_i, NULL, NULL) != -EINVAL) (*failures)++;
    if (cio_loop_submit(other, NULL, NULL, NULL) != -EINVAL) (*failures)++;
    if (cio_loop_submit(cio_get_running_loop(), where_am_i, NULL, NULL) != -EDEADLK) (*failures)++;

    /* Cancelling the caller cancels the remote task, and waits for it. */
    cio_task *caller;
    if (cio_create_task(submit_and_wait, other, &caller) != 0) (*failures)++;
    while (!atomic_load(&remote_started)) cio_sleep(0.001);
    cio_task_cancel(caller);
    if (cio_await(caller, NULL) != -EALREADY) (*failures)++;
    if (!atomic_load(&remote_cancelled)) (*failures)++;

    cio_cores_stop();
    return NULL;
}

static void submit_runs_on_the_target_loop(void **state) {
    (void)state;
    int failures = 0;
    cio_cores_options opts = {.loops = 2};
    assert_int_equal(cio_run_cores_ex(submitter, &failures, &opts), -ECANCELED);
    assert_int_equal(failures, 0);
    assert_int_equal(cio_loop_submit(NULL, where_am_i, NULL, NULL), -EINVAL);
    cio_loop *loop = test_loop_new();
    assert_int_equal(cio_loop_submit(loop, where_am_i, NULL, NULL), -EPERM); /* no task */
    cio_loop_free(loop);
}

/* A loop whose main task ended still serves the others' submissions: the
 * loop cio_cores_loop() gave stays valid while any task of the group runs
 * (it was freed at once, and the submit read freed memory). */
static atomic_int early_main_done;

static void *submit_after_the_other_ended(void *arg) {
    int *failures = arg;
    if (cio_cores_index() == 1) {
        atomic_store(&early_main_done, 1);
        return NULL; /* loop 1 ends its part at once */
    }
    cio_loop *other = cio_cores_loop(1);
    while (!atomic_load(&early_main_done)) cio_sleep(0.001);
    cio_sleep(0.05); /* let loop 1 get past its main task and its leftovers */
    void *result = NULL;
    if (cio_loop_submit(other, where_am_i, NULL, &result) != 0 || result != (void *)101)
        (*failures)++;
    if (cio_cores_loop(1) != other) (*failures)++;
    return NULL;
}

static void loop_serves_submissions_after_its_main_ended(void **state) {
    (void)state;
    int failures = 0;
    cio_cores_options opts = {.loops = 2};
    assert_int_equal(cio_run_cores_ex(submit_after_the_other_ended, &failures, &opts), 0);
    assert_int_equal(failures, 0);
}

/* ---- SO_REUSEPORT: every loop serves one port ------------------------------------------- */

#define CONNECTIONS 64

struct reuse {
    atomic_int port;
    atomic_int accepted[2];
    atomic_int clients_done;
};

static void count_accept(cio_stream *stream, void *arg) {
    struct reuse *reuse = arg;
    atomic_fetch_add(&reuse->accepted[cio_cores_index()], 1);
    char byte;
    cio_stream_read(stream, &byte, 1); /* until the client closes */
}

static void *port_of_loop_zero(void *arg) {
    struct reuse *reuse = arg;
    while (!atomic_load(&reuse->port)) /* a stop (loop 0 could not serve) cancels the sleep */
        if (cio_sleep(0.001) < 0) return cio_fail(-ECANCELED);
    return NULL;
}

static void *serve_on_every_loop(void *arg) {
    struct reuse *reuse = arg;
    int index = cio_cores_index();
    if (index == 1 && cio_loop_submit(cio_cores_loop(0), port_of_loop_zero, reuse, NULL) != 0)
        return cio_fail(-EPROTO);
    cio_server_options opts = {.reuse_port = true, .family = AF_INET};
    cio_server *server;
    int rc = cio_start_server("127.0.0.1", atomic_load(&reuse->port), count_accept, reuse, &opts,
                              &server);
    if (rc < 0) return cio_fail(rc);
    if (index == 0) atomic_store(&reuse->port, cio_server_port(server));
    if (index == 1) { /* both listen now: connect, then stop everyone */
        for (int i = 0; i < CONNECTIONS; i++) {
            cio_stream *client;
            if (cio_open_connection("127.0.0.1", atomic_load(&reuse->port), NULL, &client) < 0)
                return cio_fail(-EPROTO);
            cio_stream_close(client);
            cio_stream_wait_closed(client);
            cio_stream_free(client);
        }
        while (atomic_load(&reuse->accepted[0]) + atomic_load(&reuse->accepted[1]) < CONNECTIONS)
            if (cio_sleep(0.001) < 0) return cio_fail(-ECANCELED);
        cio_cores_stop();
    }
    rc = cio_server_serve_forever(server);
    cio_server_free(server);
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void reuse_port_spreads_connections_over_loops(void **state) {
    (void)state;
    struct reuse reuse = {0};
    cio_cores_options opts = {.loops = 2};
    assert_int_equal(cio_run_cores_ex(serve_on_every_loop, &reuse, &opts), -ECANCELED);
    int zero = atomic_load(&reuse.accepted[0]), one = atomic_load(&reuse.accepted[1]);
    assert_int_equal(zero + one, CONNECTIONS);
    /* The kernel hashes each connection's ports: all 64 on one side has odds
     * of 2^-63. */
    assert_true(zero > 0 && one > 0);
}

/* ---- SIGINT (in a child: a SIGINT may kill it) ---------------------------------------- */

static void *raise_then_wait(void *arg) {
    (void)arg;
    if (cio_cores_index() == 0) kill(getpid(), SIGINT);
    int rc = cio_sleep(3600);
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void sigint_child(void) {
    cio_cores_options opts = {.loops = 2};
    _exit(cio_run_cores_ex(raise_then_wait, NULL, &opts) == -EINTR ? 0 : 10);
}

static void sigint_stops_every_loop(void **state) {
    (void)state;
    char err[512];
    int status = test_in_child(sigint_child, err, sizeof err);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_loop_runs_main_once),
        cmocka_unit_test(default_is_one_loop_per_usable_cpu),
        cmocka_unit_test(failing_main_stops_the_others),
        cmocka_unit_test(stop_cancels_every_main),
        cmocka_unit_test(bad_arguments),
        cmocka_unit_test(submit_runs_on_the_target_loop),
        cmocka_unit_test(loop_serves_submissions_after_its_main_ended),
        cmocka_unit_test(reuse_port_spreads_connections_over_loops),
        cmocka_unit_test(sigint_stops_every_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
