/* tests/core/test_stale_handles.c - the stale-handle rule for every heap
 * handle (core/handle.c): a future, queue, task group, datagram endpoint,
 * server, process, executor, context, channel or runner used after its free, or freed twice, gets a
 * one-line report and -EINVAL, never a read of freed memory (this program
 * runs clean under ASan and valgrind). Streams and tasks have tests of their
 * own (test_stream.c, test_refs.c).
 *
 * Each case runs in a child whose stderr the parent reads: the child prints
 * "MISMATCH" for any return code it did not expect. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#define EXPECT(cond)                                                                               \
    do {                                                                                           \
        if (!(cond)) fprintf(stderr, "MISMATCH line %d: %s\n", __LINE__, #cond);                   \
    } while (0)

/* Run main as a checked task in a child; the child's stderr must hold every
 * one of the expected lines (NULL-terminated) and no mismatch. */
static cio_task_fn child_main;

static bool unchecked_fds; /* a child process left to reap: its fds close when it is */

static void in_child(void) {
    if (unchecked_fds)
        EXPECT(test_run(child_main, NULL, NULL, NULL) == 0);
    else
        test_run_checked(child_main, NULL);
}

static void expect_reports(cio_task_fn fn, const char *const expected[]) {
    char err[8192];
    child_main = fn;
    int status = test_in_child(in_child, err, sizeof err);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || strstr(err, "MISMATCH"))
        fprintf(stderr, "child said:\n%s", err);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_null(strstr(err, "MISMATCH"));
    for (size_t i = 0; expected[i]; i++) {
        if (!strstr(err, expected[i]))
            fprintf(stderr, "missing: %s\nchild said:\n%s", expected[i], err);
        assert_non_null(strstr(err, expected[i]));
    }
}

/* ---- futures -------------------------------------------------------------------- */

static void *stale_future(void *arg) {
    (void)arg;
    cio_future *f;
    EXPECT(cio_future_new(NULL, &f) == 0);
    cio_future_unref(f);
    EXPECT(!cio_future_done(f));
    EXPECT(cio_future_set_result(f, NULL) == -EINVAL);
    EXPECT(cio_future_cancel(f) == -EINVAL);
    cio_future_unref(f); /* a double free */
    return NULL;
}

static void a_stale_future_is_reported(void **state) {
    (void)state;
    const char *const expected[] = {
        "cio: cio_future_done: the future was freed (a stale handle)",
        "cio: cio_future_set_result: the future was freed",
        "cio: cio_future_cancel: the future was freed",
        "cio: cio_future_unref: the future was freed",
        NULL,
    };
    expect_reports(stale_future, expected);
}

/* ---- queues --------------------------------------------------------------------- */

static void *stale_queue(void *arg) {
    (void)arg;
    cio_queue *q;
    int item = 1;
    EXPECT(cio_queue_new(0, &q) == 0);
    cio_queue_free(q);
    EXPECT(cio_queue_put_nowait(q, &item) == -EINVAL);
    EXPECT(cio_queue_qsize(q) == 0);
    cio_queue_free(q);
    return NULL;
}

static void a_stale_queue_is_reported(void **state) {
    (void)state;
    const char *const expected[] = {
        "cio: cio_queue_put_nowait: the queue was freed (a stale handle)",
        "cio: cio_queue_qsize: the queue was freed",
        "cio: cio_queue_free: the queue was freed",
        NULL,
    };
    expect_reports(stale_queue, expected);
}

/* ---- task groups ---------------------------------------------------------------- */

static void *nothing(void *arg) {
    return arg;
}

static void *stale_group(void *arg) {
    (void)arg;
    cio_taskgroup *tg;
    cio_task *child = NULL;
    EXPECT(cio_taskgroup_new(&tg) == 0);
    EXPECT(cio_taskgroup_create_task(tg, nothing, NULL, &child) == 0);
    EXPECT(cio_taskgroup_join(tg) == 0);
    EXPECT(cio_taskgroup_free(tg) == 0);
    EXPECT(cio_taskgroup_create_task(tg, nothing, NULL, &child) == -EINVAL);
    EXPECT(cio_taskgroup_free(tg) == -EINVAL);
    return NULL;
}

static void a_stale_task_group_is_reported(void **state) {
    (void)state;
    const char *const expected[] = {
        "cio: cio_taskgroup_create_task: the task group was freed (a stale handle)",
        "cio: cio_taskgroup_free: the task group was freed",
        NULL,
    };
    expect_reports(stale_group, expected);
}

/* ---- datagram endpoints --------------------------------------------------------- */

static void *stale_datagram(void *arg) {
    (void)arg;
    cio_datagram *ep;
    EXPECT(cio_create_datagram_endpoint("127.0.0.1", 0, NULL, 0, NULL, &ep) == 0);
    cio_datagram_free(ep);
    EXPECT(cio_datagram_send(ep, "x", 1) == -EINVAL);
    EXPECT(cio_datagram_fd(ep) == -EINVAL);
    cio_datagram_free(ep);
    return NULL;
}

static void a_stale_datagram_endpoint_is_reported(void **state) {
    (void)state;
    const char *const expected[] = {
        "cio: cio_datagram_sendto: the datagram endpoint was freed (a stale handle)",
        "cio: cio_datagram_fd: the datagram endpoint was freed",
        "cio: cio_datagram_free: the datagram endpoint was freed",
        NULL,
    };
    expect_reports(stale_datagram, expected);
}

/* ---- servers -------------------------------------------------------------------- */

static void unused_handler(cio_stream *stream, void *arg) {
    (void)arg;
    cio_stream_close(stream);
}

static void *stale_server(void *arg) {
    (void)arg;
    cio_server *server;
    EXPECT(cio_start_server("127.0.0.1", 0, unused_handler, NULL, NULL, &server) == 0);
    cio_server_free(server);
    EXPECT(cio_server_port(server) == -EINVAL);
    EXPECT(cio_server_close(server) == -EINVAL);
    cio_server_free(server);
    return NULL;
}

static void a_stale_server_is_reported(void **state) {
    (void)state;
    const char *const expected[] = {
        "cio: cio_server_port: the server was freed (a stale handle)",
        "cio: cio_server_close: the server was freed",
        "cio: cio_server_free: the server was freed",
        NULL,
    };
    expect_reports(stale_server, expected);
}

/* ---- processes ------------------------------------------------------------------ */

static void *stale_process(void *arg) {
    (void)arg;
    const char *const argv[] = {"true", NULL};
    cio_process *reaped, *running;
    int returncode = -1;
    EXPECT(cio_create_subprocess_exec(argv, NULL, &reaped) == 0);
    EXPECT(cio_process_wait(reaped, &returncode) == 0 && returncode == 0);
    cio_process_free(reaped); /* reaped: the struct goes to the quarantine */
    EXPECT(cio_process_pid(reaped) == -EINVAL);
    EXPECT(cio_create_subprocess_exec(argv, NULL, &running) == 0);
    cio_process_free(running); /* not reaped yet: the struct lives on, the handle does not */
    EXPECT(cio_process_wait(running, NULL) == -EINVAL);
    cio_process_free(running);
    return NULL;
}

static void a_stale_process_is_reported(void **state) {
    (void)state;
    const char *const expected[] = {
        "cio: cio_process_pid: the process was freed (a stale handle)",
        "cio: cio_process_wait: the process was freed",
        "cio: cio_process_free: the process was freed",
        NULL,
    };
    unchecked_fds = true; /* the freed, running child is reaped in the background */
    expect_reports(stale_process, expected);
    unchecked_fds = false;
}

/* ---- executors ------------------------------------------------------------------ */

static void *stale_executor(void *arg) {
    (void)arg;
    cio_executor *executor;
    EXPECT(cio_executor_new(1, &executor) == 0);
    EXPECT(cio_run_in_executor(executor, nothing, NULL, NULL, NULL) == 0);
    cio_executor_free(executor);
    EXPECT(cio_executor_max_workers(executor) == -EINVAL);
    EXPECT(cio_executor_shutdown(executor, false) == -EINVAL);
    EXPECT(cio_run_in_executor(executor, nothing, NULL, NULL, NULL) == -EINVAL);
    cio_executor_free(executor);
    return NULL;
}

static void a_stale_executor_is_reported(void **state) {
    (void)state;
    const char *const expected[] = {
        "cio: cio_executor_max_workers: the executor was freed (a stale handle)",
        "cio: cio_executor_shutdown: the executor was freed",
        "cio: cio_run_in_executor: the executor was freed",
        "cio: cio_executor_free: the executor was freed",
        NULL,
    };
    expect_reports(stale_executor, expected);
}

/* ---- contexts, channels, runners (issue 17's handles) ---------------------------- */

static void *stale_context(void *arg) {
    (void)arg;
    cio_context *ctx;
    EXPECT(cio_context_copy(&ctx) == 0);
    cio_context_unref(ctx);
    EXPECT(cio_context_run(ctx, stale_context, NULL, NULL) == -EINVAL);
    cio_context_unref(ctx); /* a double free */
    return NULL;
}

static void a_stale_context_is_reported(void **state) {
    (void)state;
    const char *const expected[] = {
        "cio: cio_context_run: the context was freed (a stale handle)",
        "cio: cio_context_unref: the context was freed",
        NULL,
    };
    expect_reports(stale_context, expected);
}

static void *stale_channel(void *arg) {
    (void)arg;
    cio_channel *channel;
    EXPECT(cio_channel_new(4, &channel) == 0);
    cio_channel_free(channel);
    EXPECT(cio_channel_try_send(channel, channel) == -EINVAL);
    cio_channel_free(channel); /* a double free */
    return NULL;
}

static void a_stale_channel_is_reported(void **state) {
    (void)state;
    const char *const expected[] = {
        "cio: cio_channel_try_send: the channel was freed (a stale handle)",
        "cio: cio_channel_free: the channel was freed",
        NULL,
    };
    expect_reports(stale_channel, expected);
}

static void *stale_runner(void *arg) {
    (void)arg;
    cio_runner *runner;
    EXPECT(cio_runner_new(NULL, &runner) == 0);
    cio_runner_free(runner);
    EXPECT(cio_runner_loop(runner) == NULL);
    EXPECT(cio_runner_close(runner) == -EINVAL);
    cio_runner_free(runner); /* a double free */
    return NULL;
}

static void a_stale_runner_is_reported(void **state) {
    (void)state;
    const char *const expected[] = {
        "cio: cio_runner_loop: the runner was freed (a stale handle)",
        "cio: cio_runner_close: the runner was freed",
        "cio: cio_runner_free: the runner was freed",
        NULL,
    };
    expect_reports(stale_runner, expected);
}

/* ---- not a handle at all -------------------------------------------------------- */

static void *not_a_queue(void *arg) {
    (void)arg;
    uint64_t garbage[8] = {0x1234};
    EXPECT(cio_queue_put_nowait((cio_queue *)(void *)garbage, garbage) == -EINVAL);
    EXPECT(cio_queue_put_nowait(NULL, garbage) == -EINVAL); /* NULL: an error, no report */
    return NULL;
}

static void a_pointer_to_something_else_is_reported(void **state) {
    (void)state;
    const char *const expected[] = {
        "cio: cio_queue_put_nowait: not a queue (a stale or corrupt handle)",
        NULL,
    };
    expect_reports(not_a_queue, expected);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_stale_future_is_reported),
        cmocka_unit_test(a_stale_queue_is_reported),
        cmocka_unit_test(a_stale_task_group_is_reported),
        cmocka_unit_test(a_stale_datagram_endpoint_is_reported),
        cmocka_unit_test(a_stale_server_is_reported),
        cmocka_unit_test(a_stale_process_is_reported),
        cmocka_unit_test(a_stale_executor_is_reported),
        cmocka_unit_test(a_stale_context_is_reported),
        cmocka_unit_test(a_stale_channel_is_reported),
        cmocka_unit_test(a_stale_runner_is_reported),
        cmocka_unit_test(a_pointer_to_something_else_is_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
