/* Subprocesses, each test run with both exit watchers (pidfd and SIGCHLD):
 * 10 MiB through cat both ways, exit codes, signals, a program that does not
 * exist, 100 children at once, stdio modes, env and cwd, cancellation that
 * kills or leaves the child, handles freed and loops closed while children
 * run - and after every test, no child left (not even a zombie, checked in
 * /proc) and no fd leaked. */
#include "testutil.h"

#include "process/process.h" /* to see which watcher a process got */

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static cio_child_watcher watcher; /* the one the current test runs with */
static int fds_before;
static bool body_passed; /* the current test's body ran to its end */

/* Children of this process in /proc, zombies included; SIGKILLed too when
 * `kill_them`. */
static int find_children(bool kill_them) {
    DIR *dir = opendir("/proc");
    if (!dir) return -1;
    int children = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
        char path[300], stat[512];
        snprintf(path, sizeof path, "/proc/%s/stat", entry->d_name);
        FILE *file = fopen(path, "r");
        if (!file) continue;
        size_t got = fread(stat, 1, sizeof stat - 1, file);
        fclose(file);
        stat[got] = '\0';
        const char *after_name = strrchr(stat, ')'); /* "pid (comm) S ppid ..." */
        int ppid = 0;
        char state;
        if (after_name && sscanf(after_name + 1, " %c %d", &state, &ppid) == 2 &&
            ppid == getpid()) {
            children++;
            if (kill_them) kill((pid_t)atoi(entry->d_name), SIGKILL);
        }
    }
    closedir(dir);
    return children;
}

static int count_children(void) {
    return find_children(false);
}

/* Background reaping takes a moment: poll for up to 5 s. */
static bool no_children_within_5s(void) {
    for (int i = 0; i < 500 && count_children() > 0; i++) usleep(10000);
    return count_children() == 0;
}

static void assert_no_children(void) {
    assert_true(no_children_within_5s());
}

/* What a failed test left: its children killed and reaped (by the loop's
 * background reaping, else here), so that neither it nor the tests after it
 * wait out the 5 s for them (under make fault that read as a hang). */
static void clear_children(void) {
    find_children(true);
    for (int i = 0; i < 100 && count_children() > 0; i++) {
        while (waitpid(-1, NULL, WNOHANG) > 0) {
        }
        usleep(10000);
    }
}

/* Each test runs once per watcher: the table entry's state is a variant. */
struct variant {
    cio_child_watcher watcher;
    void (*test)(void **state);
};

static int setup(void **state) {
    watcher = ((struct variant *)*state)->watcher;
    fds_before = test_count_fds();
    body_passed = false;
    return 0;
}

/* cmocka's skip() only works in a test body, so every test goes through here. */
static void run_variant(void **state) {
    const struct variant *variant = *state;
    int probe =
        variant->watcher == CIO_WATCHER_PIDFD ? (int)syscall(SYS_pidfd_open, getpid(), 0) : 0;
    if (probe < 0) {
        fprintf(stderr, "skipping the pidfd run: pidfd_open: %s (old kernel, or valgrind)\n",
                strerror(errno));
        skip();
    }
    if (probe > 0) close(probe);
    variant->test(state);
    body_passed = true; /* not reached when an assertion failed */
}

static int teardown(void **state) {
    (void)state;
    if (!body_passed) { /* its children are the wreck's: none will end by itself */
        clear_children();
        return 0;
    }
    if (!no_children_within_5s()) {
        clear_children();
        fail_msg("a child was left running or unreaped");
    }
    for (int i = 0; i < 100 && test_count_fds() != fds_before; i++) usleep(10000);
    assert_int_equal(test_count_fds(), fds_before);
    return 0;
}

static cio_process_options piped(void) {
    return (cio_process_options){.stdin_mode = CIO_STDIO_PIPE,
                                 .stdout_mode = CIO_STDIO_PIPE,
                                 .stderr_mode = CIO_STDIO_PIPE,
                                 .watcher = watcher};
}

static cio_process *shell(const char *cmd, const cio_process_options *opts) {
    cio_process *process = NULL;
    assert_int_equal(cio_create_subprocess_shell(cmd, opts, &process), 0);
    assert_true(cio_process_pid(process) > 0);
    return process;
}

static int run_real_clock(cio_task_fn fn) {
    cio_loop_options opts = {.clock = CIO_CLOCK_MONOTONIC};
    return cio_run_ex(fn, NULL, &opts, NULL);
}

/* ---- pipes ------------------------------------------------------------------------- */

#define BIG (10u * 1024u * 1024u)

static void *big_echo_main(void *arg) {
    (void)arg;
    unsigned char *input = malloc(BIG);
    for (size_t i = 0; i < BIG; i++) input[i] = (unsigned char)(i * 7 + i / 4096);
    cio_process_options opts = piped();
    const char *const argv[] = {"cat", NULL};
    cio_process *process;
    assert_int_equal(cio_create_subprocess_exec(argv, &opts, &process), 0);
    char *out, *err;
    size_t out_len, err_len;
    assert_int_equal(cio_process_communicate(process, input, BIG, &out, &out_len, &err, &err_len),
                     0);
    assert_int_equal(out_len, BIG);
    assert_memory_equal(out, input, BIG);
    assert_int_equal(err_len, 0);
    int returncode = -1;
    assert_int_equal(cio_process_returncode(process, &returncode), 0);
    assert_int_equal(returncode, 0);
    free(out);
    free(err);
    free(input);
    cio_process_free(process);
    return NULL;
}

static void echo_10mib_each_way(void **state) {
    (void)state;
    assert_int_equal(test_run(big_echo_main, NULL, NULL, NULL), 0);
}

static void *both_outputs_main(void *arg) {
    (void)arg;
    cio_process_options opts = piped();
    cio_process *process = shell("echo out; echo err >&2; exit 3", &opts);
    char *out, *err;
    size_t out_len, err_len;
    assert_int_equal(cio_process_communicate(process, NULL, 0, &out, &out_len, &err, &err_len), 0);
    assert_string_equal(out, "out\n");
    assert_string_equal(err, "err\n");
    int returncode;
    assert_int_equal(cio_process_wait(process, &returncode), 0); /* again: at once */
    assert_int_equal(returncode, 3);
    free(out);
    free(err);
    cio_process_free(process);
    return NULL;
}

static void stdout_stderr_and_exit_code(void **state) {
    (void)state;
    assert_int_equal(test_run(both_outputs_main, NULL, NULL, NULL), 0);
}

static void *by_hand_main(void *arg) {
    (void)arg;
    cio_process_options opts = piped();
    const char *const argv[] = {"cat", NULL};
    cio_process *process;
    assert_int_equal(cio_create_subprocess_exec(argv, &opts, &process), 0);
    cio_stream *in = cio_process_stdin(process), *out = cio_process_stdout(process);
    assert_non_null(in);
    assert_non_null(out);
    assert_ptr_equal(cio_process_stderr(process), cio_process_stderr(process));
    assert_true(cio_stream_can_write_eof(in));
    assert_false(cio_stream_can_write_eof(out));
    assert_int_equal(cio_stream_write(in, "hello\nwor", 9), 0);
    assert_int_equal(cio_stream_drain(in), 0);
    char buf[16];
    assert_int_equal(cio_stream_readline(out, buf, sizeof buf), 6);
    assert_memory_equal(buf, "hello\n", 6);
    assert_int_equal(cio_stream_write(in, "ld", 2), 0);
    assert_int_equal(cio_stream_read(in, buf, 1), -EBADF);   /* stdin is a write end */
    assert_int_equal(cio_stream_write(out, "x", 1), -EBADF); /* stdout a read end */
    assert_int_equal(cio_stream_write_eof(out), -EBADF);
    int fd = cio_stream_fd(in);
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;
    assert_int_equal(cio_stream_peername(in, (struct sockaddr *)&addr, &len), -ENOTSOCK);
    assert_true(fd > 2);
    assert_int_equal(cio_stream_close(in), 0); /* EOF for cat, once "ld" is written */
    assert_int_equal(cio_stream_close(in), -CIO_ECLOSED);
    assert_int_equal(cio_stream_write(in, "x", 1), -CIO_ECLOSED);
    ssize_t got = cio_stream_readline(out, buf, sizeof buf);
    assert_int_equal(got, 5); /* a last line without \n */
    assert_memory_equal(buf, "world", 5);
    assert_int_equal(cio_stream_readline(out, buf, sizeof buf), 0); /* EOF */
    assert_true(cio_stream_at_eof(out));
    cio_stream_free(out); /* refused: the process owns it */
    assert_int_equal(cio_stream_read(out, buf, 1), 0);
    assert_int_equal(cio_process_wait(process, NULL), 0);
    cio_process_free(process);
    return NULL;
}

static void pipes_by_hand(void **state) {
    (void)state;
    assert_int_equal(test_run(by_hand_main, NULL, NULL, NULL), 0);
}

static void *epipe_main(void *arg) {
    (void)arg;
    cio_process_options opts = piped();
    const char *const argv[] = {"true", NULL};
    cio_process *process;
    assert_int_equal(cio_create_subprocess_exec(argv, &opts, &process), 0);
    assert_int_equal(cio_process_wait(process, NULL), 0);
    static char chunk[1 << 20];
    cio_stream *in = cio_process_stdin(process);
    assert_int_equal(cio_stream_write(in, chunk, sizeof chunk), -EPIPE); /* no SIGPIPE */
    assert_int_equal(cio_stream_write(in, "x", 1), -EPIPE);              /* it sticks */
    assert_int_equal(cio_stream_drain(in), -EPIPE);
    cio_process_free(process);
    assert_int_equal(cio_create_subprocess_exec(argv, &opts, &process), 0);
    assert_int_equal(cio_process_communicate(process, chunk, sizeof chunk, NULL, NULL, NULL, NULL),
                     0);
    cio_process_free(process);
    return NULL;
}

static void child_not_reading_is_epipe(void **state) {
    (void)state;
    assert_int_equal(test_run(epipe_main, NULL, NULL, NULL), 0);
}

/* ---- exit codes and signals ----------------------------------------------------------- */

static void *codes_main(void *arg) {
    (void)arg;
    cio_process_options opts = {.watcher = watcher};
    int returncode;
    cio_process *process = shell("exit 7", &opts);
    assert_int_equal(cio_process_wait(process, &returncode), 0);
    assert_int_equal(returncode, 7);
    assert_int_equal(cio_process_send_signal(process, SIGTERM), -ESRCH); /* reaped */
    cio_process_free(process);

    process = shell("exec sleep 100", &opts);
    assert_int_equal(cio_process_returncode(process, &returncode), -EAGAIN);
    assert_int_equal(cio_process_kill(process), 0);
    assert_int_equal(cio_process_wait(process, &returncode), 0);
    assert_int_equal(returncode, -SIGKILL);
    cio_process_free(process);

    process = shell("exec sleep 100", &opts);
    assert_int_equal(cio_process_terminate(process), 0);
    assert_int_equal(cio_process_wait(process, &returncode), 0);
    assert_int_equal(returncode, -SIGTERM);
    cio_process_free(process);
    return NULL;
}

static void exit_codes_and_signals(void **state) {
    (void)state;
    assert_int_equal(test_run(codes_main, NULL, NULL, NULL), 0);
}

static void *missing_main(void *arg) {
    (void)arg;
    cio_process_options opts = {.watcher = watcher};
    cio_process *process = (cio_process *)&process;
    const char *const nowhere[] = {"/nonexistent/program", NULL};
    assert_int_equal(cio_create_subprocess_exec(nowhere, &opts, &process), -ENOENT);
    assert_null(process);
    const char *const unknown[] = {"cio-no-such-program-xyz", NULL};
    assert_int_equal(cio_create_subprocess_exec(unknown, &opts, &process), -ENOENT);
    const char *const directory[] = {"/tmp", NULL};
    assert_int_equal(cio_create_subprocess_exec(directory, &opts, &process), -EACCES);
    opts.cwd = "/nonexistent/dir";
    const char *const ok[] = {"true", NULL};
    assert_int_equal(cio_create_subprocess_exec(ok, &opts, &process), -ENOENT);
    opts.cwd = NULL;
    process = shell("cio-no-such-program-xyz 2>/dev/null", &opts);
    int returncode;
    assert_int_equal(cio_process_wait(process, &returncode), 0);
    assert_int_equal(returncode, 127);
    cio_process_free(process);
    return NULL;
}

static void nonexistent_program(void **state) {
    (void)state;
    if (RUNNING_ON_VALGRIND) { /* its fork stands in for posix_spawn's vfork, which reports exec
                                  errors */
        fprintf(stderr, "skipping: under valgrind posix_spawn cannot report a failed exec\n");
        skip();
    }
    assert_int_equal(test_run(missing_main, NULL, NULL, NULL), 0);
}

/* ---- many at once ------------------------------------------------------------------------- */

static void *one_child(void *arg) {
    intptr_t i = (intptr_t)arg;
    char cmd[64], expect[32];
    snprintf(cmd, sizeof cmd, "echo child %d; exit %d", (int)i, (int)(i % 50));
    snprintf(expect, sizeof expect, "child %d\n", (int)i);
    cio_process_options opts = {.stdout_mode = CIO_STDIO_PIPE, .watcher = watcher};
    cio_process *process;
    int rc = cio_create_subprocess_shell(cmd, &opts, &process);
    if (rc < 0) return cio_fail(rc);
    char *out = NULL;
    rc = cio_process_communicate(process, NULL, 0, &out, NULL, NULL, NULL);
    int returncode = -1;
    cio_process_returncode(process, &returncode);
    bool good = rc == 0 && strcmp(out, expect) == 0 && returncode == i % 50;
    free(out);
    cio_process_free(process);
    return good ? NULL : cio_fail(-EPROTO);
}

static void *hundred_main(void *arg) {
    (void)arg;
    cio_task *tasks[100];
    for (intptr_t i = 0; i < 100; i++) cio_create_task(one_child, (void *)i, &tasks[i]);
    for (int i = 0; i < 100; i++) assert_int_equal(cio_await(tasks[i], NULL), 0);
    return NULL;
}

static void hundred_concurrent_children(void **state) {
    (void)state;
    assert_int_equal(test_run(hundred_main, NULL, NULL, NULL), 0);
}

static void *sleeper(void *arg) {
    (void)arg;
    cio_sleep(10.0);
    return NULL;
}

static void *waiter(void *arg) {
    int returncode = -1;
    int rc = cio_process_wait(arg, &returncode);
    return rc < 0 ? cio_fail(rc) : (void *)(intptr_t)returncode;
}

/* Two tasks wait for one child; the virtual clock waits for it too. */
static void *two_waiters_main(void *arg) {
    (void)arg;
    cio_process_options opts = {.watcher = watcher};
    cio_process *process = shell("sleep 0.05; exit 4", &opts);
    cio_task *other_sleeper;
    assert_int_equal(cio_create_task(sleeper, NULL, &other_sleeper), 0);
    cio_task *a, *b;
    assert_int_equal(cio_create_task(waiter, process, &a), 0);
    assert_int_equal(cio_create_task(waiter, process, &b), 0);
    void *ra, *rb;
    assert_int_equal(cio_await(a, &ra), 0);
    assert_int_equal(cio_await(b, &rb), 0);
    assert_int_equal((intptr_t)ra, 4);
    assert_int_equal((intptr_t)rb, 4);
    assert_true(test_now() == 0.0);
    assert_int_equal(cio_await(other_sleeper, NULL), 0);
    cio_process_free(process);
    return NULL;
}

static void many_waiters_and_the_clock(void **state) {
    (void)state;
    assert_int_equal(test_run(two_waiters_main, NULL, NULL, NULL), 0);
}

/* ---- stdio modes, env, cwd ------------------------------------------------------------------ */

static void *modes_main(void *arg) {
    (void)arg;
    cio_process_options opts = {.stdin_mode = CIO_STDIO_DEVNULL,
                                .stdout_mode = CIO_STDIO_PIPE,
                                .stderr_mode = CIO_STDIO_STDOUT,
                                .watcher = watcher};
    cio_process *process = shell("cat; echo a; echo b >&2", &opts);
    char *out;
    size_t len;
    assert_int_equal(cio_process_communicate(process, NULL, 0, &out, &len, NULL, NULL), 0);
    assert_string_equal(out, "a\nb\n");
    free(out);
    cio_process_free(process);

    const char *env[] = {"FOO=bar baz", NULL};
    opts = (cio_process_options){
        .stdout_mode = CIO_STDIO_PIPE, .env = env, .cwd = "/tmp", .watcher = watcher};
    process = shell("echo \"$FOO\"; pwd", &opts);
    assert_int_equal(cio_process_communicate(process, NULL, 0, &out, &len, NULL, NULL), 0);
    assert_string_equal(out, "bar baz\n/tmp\n");
    free(out);
    cio_process_free(process);

    char path[] = "/tmp/cio-process-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd > 2);
    opts = (cio_process_options){.stdout_mode = CIO_STDIO_FD, .stdout_fd = fd, .watcher = watcher};
    process = shell("echo into the file", &opts);
    assert_int_equal(cio_process_wait(process, NULL), 0);
    cio_process_free(process);
    char buf[64] = {0};
    assert_int_equal(pread(fd, buf, sizeof buf - 1, 0), 14);
    assert_string_equal(buf, "into the file\n");
    close(fd);
    unlink(path);
    return NULL;
}

static void stdio_modes_env_and_cwd(void **state) {
    (void)state;
    assert_int_equal(test_run(modes_main, NULL, NULL, NULL), 0);
}

/* ---- cancellation, freeing, closing -----------------------------------------------------------
 */

static void *cancel_main(void *arg) {
    (void)arg;
    cio_process_options opts = {.kill_on_cancel = true, .watcher = watcher};
    cio_process *process = shell("exec sleep 100", &opts);
    cio_timeout scope;
    cio_timeout_begin(&scope, 0.05);
    assert_int_equal(cio_process_wait(process, NULL), -ETIMEDOUT);
    cio_timeout_end(&scope);
    int returncode;
    assert_int_equal(cio_process_wait(process, &returncode), 0);
    assert_int_equal(returncode, -SIGKILL); /* killed, as chosen */
    cio_process_free(process);

    opts.kill_on_cancel = false;
    opts.stdout_mode = CIO_STDIO_PIPE;
    process = shell("exec sleep 100", &opts);
    cio_task *waiting;
    assert_int_equal(cio_create_task(waiter, process, &waiting), 0);
    cio_sleep(0.02);
    cio_task_cancel(waiting);
    assert_int_equal(cio_await(waiting, NULL), -ECANCELED);
    cio_timeout_begin(&scope, 0.02);
    assert_int_equal(cio_process_communicate(process, NULL, 0, NULL, NULL, NULL, NULL), -ETIMEDOUT);
    cio_timeout_end(&scope);
    assert_int_equal(cio_process_returncode(process, &returncode), -EAGAIN); /* left running */
    assert_int_equal(cio_process_kill(process), 0); /* else the wait below never ends */
    assert_int_equal(cio_process_wait(process, &returncode), 0);
    cio_process_free(process);
    return NULL;
}

static void cancel_kills_or_leaves(void **state) {
    (void)state;
    assert_int_equal(run_real_clock(cancel_main), 0);
}

static void *free_running_main(void *arg) {
    (void)arg;
    cio_process_options opts = {.stdout_mode = CIO_STDIO_PIPE, .watcher = watcher};
    cio_process *process = shell("sleep 0.1", &opts);
    cio_process_free(process); /* reaped in the background by this loop */
    for (int i = 0; i < 500 && count_children() > 0; i++) cio_sleep(0.01);
    assert_int_equal(count_children(), 0);
    return NULL;
}

static void freed_while_running_is_reaped(void **state) {
    (void)state;
    assert_int_equal(run_real_clock(free_running_main), 0);
}

static cio_process *left_behind;

static void *leave_running_main(void *arg) {
    (void)arg;
    cio_process_options opts = {.stdin_mode = CIO_STDIO_PIPE, .watcher = watcher};
    left_behind = shell("sleep 0.1", &opts);
    return NULL;
}

static void loop_closed_while_child_runs(void **state) {
    (void)state;
    assert_int_equal(test_run(leave_running_main, NULL, NULL, NULL), 0);
    int returncode;
    assert_int_equal(cio_process_returncode(left_behind, &returncode), -CIO_ECLOSED);
    assert_int_equal(cio_process_kill(left_behind), -CIO_ECLOSED);
    cio_process_free(left_behind); /* after the loop: still fine */
    assert_no_children();          /* reaped in the background */
}

/* ---- bad input
 * ----------------------------------------------------------------------------------- */

static void *misuse_main(void *arg) {
    (void)arg;
    cio_process *process;
    const char *const empty[] = {NULL};
    const char *const ok[] = {"true", NULL};
    assert_int_equal(cio_create_subprocess_exec(NULL, NULL, &process), -EINVAL);
    assert_int_equal(cio_create_subprocess_exec(empty, NULL, &process), -EINVAL);
    assert_int_equal(cio_create_subprocess_exec(ok, NULL, NULL), -EINVAL);
    assert_int_equal(cio_create_subprocess_shell(NULL, NULL, &process), -EINVAL);
    cio_process_options bad = {.watcher = (cio_child_watcher)42};
    assert_int_equal(cio_create_subprocess_exec(ok, &bad, &process), -EINVAL);
    bad = (cio_process_options){.stdin_mode = CIO_STDIO_STDOUT};
    assert_int_equal(cio_create_subprocess_exec(ok, &bad, &process), -EINVAL);
    bad = (cio_process_options){.stdout_mode = CIO_STDIO_FD, .stdout_fd = -1};
    assert_int_equal(cio_create_subprocess_exec(ok, &bad, &process), -EINVAL);
    cio_process_options opts = {.watcher = watcher};
    assert_int_equal(cio_create_subprocess_exec(ok, &opts, &process), 0);
    assert_null(cio_process_stdin(process)); /* not pipes */
    assert_null(cio_process_stdout(process));
    assert_null(cio_process_stderr(process));
    assert_int_equal(cio_stream_write(cio_process_stdin(process), "x", 1), -EINVAL);
    assert_int_equal(cio_process_wait(process, NULL), 0);
    cio_process_free(process);
    /* A process's pipe stream is the process's: freeing it is refused and
     * the stream goes on working. */
    cio_process_options piped = {.watcher = watcher, .stdout_mode = CIO_STDIO_PIPE};
    const char *const echo[] = {"echo", "still here", NULL};
    assert_int_equal(cio_create_subprocess_exec(echo, &piped, &process), 0);
    cio_stream_free(cio_process_stdout(process));
    char line[32];
    assert_int_equal(cio_stream_readline(cio_process_stdout(process), line, sizeof line), 11);
    assert_string_equal(line, "still here\n");
    assert_int_equal(cio_process_wait(process, NULL), 0);
    cio_process_free(process);
    assert_int_equal(cio_process_wait(NULL, NULL), -EINVAL);
    assert_int_equal(cio_process_pid(NULL), -EINVAL);
    assert_int_equal(cio_process_kill(NULL), -EINVAL);
    assert_int_equal(cio_process_returncode(NULL, NULL), -EINVAL);
    assert_null(cio_process_stdout(NULL));
    cio_process_free(NULL);
    return NULL;
}

static void bad_input(void **state) {
    (void)state;
    setenv("CIO_QUIET", "1", 1);
    const char *const ok[] = {"true", NULL};
    cio_process *process;
    assert_int_equal(cio_create_subprocess_exec(ok, NULL, &process), -EPERM); /* no loop */
    assert_int_equal(test_run(misuse_main, NULL, NULL, NULL), 0);
}

/* $CIO_CHILD_WATCHER picks the watcher when the options do not. */
static void *env_watcher_main(void *arg) {
    (void)arg;
    cio_process *process = shell("exit 5", NULL);
    assert_int_equal(process->pidfd < 0, watcher == CIO_WATCHER_SIGCHLD);
    int returncode;
    assert_int_equal(cio_process_wait(process, &returncode), 0);
    assert_int_equal(returncode, 5);
    cio_process_free(process);
    return NULL;
}

static void watcher_from_environment(void **state) {
    (void)state;
    setenv("CIO_CHILD_WATCHER", watcher == CIO_WATCHER_PIDFD ? "pidfd" : "sigchld", 1);
    assert_int_equal(test_run(env_watcher_main, NULL, NULL, NULL), 0);
    unsetenv("CIO_CHILD_WATCHER");
}

#define BOTH(test)                                                                                 \
    {#test "/pidfd", run_variant, setup, teardown, &(struct variant){CIO_WATCHER_PIDFD, test}}, {  \
#test "/sigchld", run_variant, setup, teardown, &(struct variant) {                        \
            CIO_WATCHER_SIGCHLD, test                                                              \
        }                                                                                          \
    }

int main(void) {
    const struct CMUnitTest tests[] = {
        BOTH(echo_10mib_each_way),
        BOTH(stdout_stderr_and_exit_code),
        BOTH(pipes_by_hand),
        BOTH(child_not_reading_is_epipe),
        BOTH(exit_codes_and_signals),
        BOTH(nonexistent_program),
        BOTH(hundred_concurrent_children),
        BOTH(many_waiters_and_the_clock),
        BOTH(stdio_modes_env_and_cwd),
        BOTH(cancel_kills_or_leaves),
        BOTH(freed_while_running_is_reaped),
        BOTH(loop_closed_while_child_runs),
        BOTH(bad_input),
        BOTH(watcher_from_environment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
