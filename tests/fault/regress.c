/* tests/fault/regress.c - the hangs fault injection found, each failing the
 * exact call that caused it (tests/fault/fault.h). Built and run only in a
 * -DCIO_FAULT_INJECTION=ON build (make fault, and ctest in build-fault). */
#include "testutil.h"

#include "fault/fault.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- src/core/timeout.c: the deadline timer could not be armed ---- */

static void *wait_in_scope(void *arg) {
    (void)arg;
    cio_event never;
    cio_event_init(&never);
    cio_timeout scope;
    /* The loop's timer heap is empty: arming the deadline grows it (realloc). */
    assert_int_equal(cio_fault_arm("realloc", 0), 0);
    assert_int_equal(cio_timeout_begin(&scope, 1.0), 0);
    int rc = cio_event_wait(&never); /* parked: only the deadline can end it */
    assert_int_equal(cio_timeout_end(&scope), -ETIMEDOUT);
    assert_true(cio_timeout_expired(&scope));
    return cio_fail(rc);
}

static void unarmed_deadline_times_out(void **state) {
    (void)state;
    assert_int_equal(test_run(wait_in_scope, NULL, NULL, NULL), -ETIMEDOUT);
    cio_fault_disarm();
}

/* ---- src/core/wakeup.c: the eventfd write of a threadsafe call failed ---- */

static void count_and_stop(void *arg) {
    int *ran = arg;
    if (++*ran == 2) cio_loop_stop(cio_get_running_loop());
}

static void failed_wakeup_is_reported_and_not_sticky(void **state) {
    (void)state;
    cio_loop *loop;
    assert_int_equal(cio_loop_new(NULL, &loop), 0); /* real clock: poll blocks */
    int ran = 0;
    /* Three failed writes in a row: the call is refused (it will not run),
     * and the next ones still wake the loop (before the fix: 0, and no
     * post ever woke it again). */
    assert_int_equal(cio_fault_arm_times("write", 3), 0);
    assert_int_equal(cio_call_soon_threadsafe(loop, count_and_stop, &ran), -EIO);
    /* One failed write is tried again: the call goes through (a worker
     * thread's result has nobody to repost it). */
    assert_int_equal(cio_fault_arm("write", 0), 0);
    assert_int_equal(cio_call_soon_threadsafe(loop, count_and_stop, &ran), 0);
    assert_int_equal(cio_call_soon_threadsafe(loop, count_and_stop, &ran), 0);
    assert_int_equal(cio_loop_run_forever(loop), 0);
    assert_int_equal(ran, 2);
    cio_loop_free(loop);
}

/* ---- src/net/accept.c: no memory to watch the listening socket ---- */

static void echo_line(cio_stream *stream, void *arg) {
    (void)arg;
    char line[64];
    ssize_t n = cio_stream_readline(stream, line, sizeof line);
    if (n > 0) cio_stream_write(stream, line, (size_t)n);
    cio_stream_close(stream);
}

static void *connect_after_failed_watch(void *arg) {
    (void)arg;
    cio_server *server;
    assert_int_equal(cio_start_server("127.0.0.1", 0, echo_line, NULL, NULL, &server), 0);
    /* The acceptor's first wait for a connection grows the loop's fd
     * tables (realloc): it fails. Before the fix the acceptor stopped for
     * good and the client below waited for an answer forever. */
    assert_int_equal(cio_fault_arm("realloc", 0), 0);
    assert_int_equal(cio_yield(), 0); /* the acceptor runs */
    cio_stream *stream;
    assert_int_equal(cio_open_connection("127.0.0.1", cio_server_port(server), NULL, &stream), 0);
    char back[64];
    cio_timeout scope;
    cio_timeout_begin(&scope, 30.0);
    int rc = cio_stream_write(stream, "hello\n", 6);
    ssize_t n = rc < 0 ? rc : cio_stream_readline(stream, back, sizeof back);
    cio_timeout_end(&scope);
    cio_fault_disarm();
    cio_stream_free(stream);
    cio_server_close(server);
    cio_server_wait_closed(server);
    cio_server_free(server);
    assert_int_equal(n, 6);
    return NULL;
}

static void acceptor_backs_off_without_memory(void **state) {
    (void)state;
    assert_int_equal(test_run(connect_after_failed_watch, NULL, NULL, NULL), 0);
}

/* ---- src/net/pipe.c: the SIGPIPE of a failed write could not be taken back ---- */

static void *write_to_closed_pipe(void *arg) {
    (void)arg;
    int fds[2];
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    close(fds[0]);
    cio_stream *writer;
    assert_int_equal(cio_stream_from_fd(fds[1], 0, &writer), 0);
    assert_int_equal(cio_fault_arm("sigtimedwait", 0), 0); /* fails with EINTR */
    int rc = cio_stream_write(writer, "x", 1);             /* written at once: -EPIPE */
    if (rc == 0) rc = cio_stream_drain(writer);
    cio_stream_free(writer);
    return cio_fail(rc);
}

static void interrupted_sigpipe_take_back_does_not_kill(void **state) {
    (void)state;
    /* Before the fix the SIGPIPE stayed pending and killed the program
     * when the loop's end unblocked it. */
    assert_int_equal(test_run(write_to_closed_pipe, NULL, NULL, NULL), -EPIPE);
}

/* ---- src/process/process.c, childwatch.c: the reaping call was interrupted ---- */

/* Runs `true` and waits for it with the reaping call (waitpid under
 * SIGCHLD, waitid of the pidfd watcher) failing once with EINTR. Before the
 * fix the exit was lost: the wait ran into the scope's 10 s. */
static void *reap_interrupted(void *arg) {
    cio_process_options opts = {.watcher = *(cio_child_watcher *)arg};
    const char *const argv[] = {"true", NULL};
    cio_process *process;
    int rc = cio_create_subprocess_exec(argv, &opts, &process);
    if (rc == -ENOSYS) return cio_fail(rc); /* no pidfd here */
    assert_int_equal(rc, 0);
    const char *reaper = opts.watcher == CIO_WATCHER_SIGCHLD ? "waitpid" : "waitid";
    assert_int_equal(cio_fault_arm(reaper, 0), 0);
    int code = -1;
    cio_timeout scope;
    cio_timeout_begin(&scope, 10.0);
    rc = cio_process_wait(process, &code);
    cio_timeout_end(&scope);
    cio_fault_disarm();
    cio_process_free(process);
    assert_int_equal(rc, 0);
    assert_int_equal(code, 0);
    return NULL;
}

static void run_reap_interrupted(cio_child_watcher watcher) {
    cio_loop *loop;
    assert_int_equal(cio_loop_new(NULL, &loop), 0); /* real clock: a real child */
    cio_task *task;
    assert_int_equal(cio_loop_create_task(loop, reap_interrupted, &watcher, &task), 0);
    int rc = cio_loop_run_until_complete(loop, task, NULL);
    cio_loop_free(loop);
    if (rc == -ENOSYS) skip();
    assert_int_equal(rc, 0);
}

static void interrupted_waitpid_still_reaps(void **state) {
    (void)state;
    run_reap_interrupted(CIO_WATCHER_SIGCHLD);
}

static void interrupted_waitid_still_reaps(void **state) {
    (void)state;
    run_reap_interrupted(CIO_WATCHER_PIDFD);
}

/* ---- src/process/process.c: the spawn plan could not be initialised ---- */

static void *spawn_without_file_actions(void *arg) {
    (void)arg;
    const char *const argv[] = {"true", NULL};
    cio_process *process = NULL;
    /* Before the fix the uninitialised actions were destroyed: a bad free. */
    assert_int_equal(cio_fault_arm("posix_spawn_file_actions_init", 0), 0);
    assert_int_equal(cio_create_subprocess_exec(argv, NULL, &process), -ENOMEM);
    assert_null(process);
    return NULL;
}

static void failed_spawn_plan_is_an_error(void **state) {
    (void)state;
    assert_int_equal(test_run(spawn_without_file_actions, NULL, NULL, NULL), 0);
}

/* ---- src/os/sigpump.c: the handler's wake-up write, the pump's read failed ---- */

static void count_signal(void *arg) {
    cio_event_set(arg);
}

/* SIGUSR1 caught by a handler, raised with `call` (write: the signal
 * handler's wake-up of the pump; read: the pump's first read) failing once.
 * Before the fix the signal was lost (write) or the pump thread ended
 * (read): the wait ran into the scope's 10 s. */
static void *signal_with_failed_call(void *arg) {
    const char *call = arg;
    cio_event arrived;
    cio_event_init(&arrived);
    /* read: armed before the pump starts, so its first read fails (this
     * thread makes none until the arm has fired: the pump's is the one) */
    bool pump_read = strcmp(call, "read") == 0;
    if (pump_read) assert_int_equal(cio_fault_arm(call, 0), 0);
    assert_int_equal(cio_add_signal_handler(NULL, SIGUSR1, count_signal, &arrived), 0);
    for (int i = 0; pump_read && i < 5000 && cio_fault_armed(call); i++) usleep(1000);
    if (strcmp(call, "write") == 0) assert_int_equal(cio_fault_arm(call, 0), 0);
    raise(SIGUSR1);
    cio_timeout scope;
    cio_timeout_begin(&scope, 10.0);
    int rc = cio_event_wait(&arrived);
    cio_timeout_end(&scope);
    cio_fault_disarm();
    cio_remove_signal_handler(NULL, SIGUSR1);
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void run_with_real_clock(cio_task_fn fn, void *arg) {
    cio_loop *loop;
    assert_int_equal(cio_loop_new(NULL, &loop), 0); /* real clock: a real signal, a real child */
    cio_task *task;
    assert_int_equal(cio_loop_create_task(loop, fn, arg, &task), 0);
    int rc = cio_loop_run_until_complete(loop, task, NULL);
    cio_loop_free(loop);
    if (rc == -ENOSYS) skip();
    assert_int_equal(rc, 0);
}

static void failed_signal_wakeup_is_tried_again(void **state) {
    (void)state;
    run_with_real_clock(signal_with_failed_call, "write");
}

static void failed_pump_read_is_tried_again(void **state) {
    (void)state;
    run_with_real_clock(signal_with_failed_call, "read");
}

/* ---- src/process/process_io.c: a read of communicate() failed ---- */

/* 1 MiB through cat with the first read of its stdout failing: before the
 * fix the feed waited for good on cat, which waited for its stdout to be
 * read (here: the scope's 10 s, -ETIMEDOUT). Now the read's error. */
static void *communicate_with_failed_read(void *arg) {
    (void)arg;
    enum { SIZE = 1 << 20 };
    static char input[SIZE];
    cio_process_options opts = {.stdin_mode = CIO_STDIO_PIPE, .stdout_mode = CIO_STDIO_PIPE};
    const char *const argv[] = {"cat", NULL};
    cio_process *process;
    assert_int_equal(cio_create_subprocess_exec(argv, &opts, &process), 0);
    /* The exit watcher's thread reads its wake-up for the new child: let it,
     * so that the armed read is the stdout pipe's. */
    assert_int_equal(cio_sleep(0.1), 0);
    assert_int_equal(cio_fault_arm("read", 0), 0);
    char *out = NULL;
    cio_timeout scope;
    cio_timeout_begin(&scope, 10.0);
    int rc = cio_process_communicate(process, input, SIZE, &out, NULL, NULL, NULL);
    cio_timeout_end(&scope);
    cio_fault_disarm();
    cio_process_kill(process);
    cio_process_wait(process, NULL);
    cio_process_free(process);
    assert_null(out);
    assert_int_equal(rc, -EIO);
    return NULL;
}

static void failed_communicate_read_stops_the_feed(void **state) {
    (void)state;
    run_with_real_clock(communicate_with_failed_read, NULL);
}

/* ---- src/process/process.c: an orphan's reaper thread could not start ---- */

static pid_t orphan_pid;

static void *leave_a_child(void *arg) {
    (void)arg;
    cio_process_options opts = {.watcher = CIO_WATCHER_SIGCHLD};
    const char *const argv[] = {"sleep", "100", NULL};
    cio_process *process;
    assert_int_equal(cio_create_subprocess_exec(argv, &opts, &process), 0);
    orphan_pid = cio_process_pid(process);
    cio_process_free(process); /* still running: reaped when the loop closes */
    return NULL;
}

static void orphan_without_reaper_is_reaped(void **state) {
    (void)state;
    cio_loop *loop;
    assert_int_equal(cio_loop_new(NULL, &loop), 0);
    cio_task *task;
    assert_int_equal(cio_loop_create_task(loop, leave_a_child, NULL, &task), 0);
    assert_int_equal(cio_loop_run_until_complete(loop, task, NULL), 0);
    assert_int_equal(cio_fault_arm("pthread_create", 0), 0);
    cio_loop_free(loop); /* orphans the child: its reaper cannot start (reported) */
    cio_fault_disarm();
    /* Before the fix the child went on running, a zombie after it, for good. */
    pid_t got = waitpid(orphan_pid, NULL, WNOHANG);
    if (got == 0) {
        kill(orphan_pid, SIGKILL);
        waitpid(orphan_pid, NULL, 0);
    }
    assert_int_equal(got, -1);
    assert_int_equal(errno, ECHILD);
}

/* ---- src/net/tls_context.c: no memory for a TLS context ---- */

static void failed_tls_context_leaves_out_null(void **state) {
    (void)state;
    cio_tls_context *ctx = (cio_tls_context *)&ctx; /* not NULL: what a caller may hold */
    /* Before the fix *out was left as it was, and test_tls freed it: a crash. */
    assert_int_equal(cio_fault_arm("calloc", 0), 0);
    int rc = cio_tls_context_new(NULL, &ctx);
    cio_fault_disarm();
    if (rc == -ENOTSUP) skip(); /* built without OpenSSL */
    assert_int_equal(rc, -ENOMEM);
    assert_null(ctx);
}

/* ---- src/core/run.c: no thread-specific key for the default loop ---- */

static void default_loop_without_a_key_is_null(void **state) {
    (void)state;
    /* The first cio_get_event_loop of the program makes the key (once): the
     * test must run last. Before the fix the loop was stored under an
     * unmade key (0: another library's) and crashed. */
    assert_int_equal(cio_fault_arm("pthread_key_create", 0), 0);
    assert_null(cio_get_event_loop());
    assert_null(cio_get_event_loop()); /* and stays so, without a report each time */
    cio_fault_disarm();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unarmed_deadline_times_out),
        cmocka_unit_test(failed_wakeup_is_reported_and_not_sticky),
        cmocka_unit_test(acceptor_backs_off_without_memory),
        cmocka_unit_test(interrupted_sigpipe_take_back_does_not_kill),
        cmocka_unit_test(failed_spawn_plan_is_an_error),
        cmocka_unit_test(failed_tls_context_leaves_out_null),
        cmocka_unit_test(interrupted_waitpid_still_reaps),
        cmocka_unit_test(interrupted_waitid_still_reaps),
        cmocka_unit_test(failed_signal_wakeup_is_tried_again),
        cmocka_unit_test(failed_pump_read_is_tried_again),
        cmocka_unit_test(failed_communicate_read_stops_the_feed),
        cmocka_unit_test(orphan_without_reaper_is_reaped),
        cmocka_unit_test(default_loop_without_a_key_is_null), /* last: see there */
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
