#include "testutil.h"

#include "core/loop.h" /* white-box: abandoning a loop a failed test left running */

#include <dirent.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- the harness ---------------------------------------------------------- */

/* A cmocka assertion that fails inside a task longjmps from the task's stack
 * to the test runner: the loop stays marked running on this thread, with the
 * task mid-switch. Nothing of it can be resumed; mark it stopped so it can be
 * freed, and free it (its tasks' stacks are no longer in use: we are on the
 * thread's own stack). */
void test_recover_loop(void) {
    cio_loop *loop = cio_get_running_loop();
    if (!loop) return;
    fprintf(stderr, "testutil: a loop was left running (an assertion failed inside a task?); "
                    "tearing it down\n");
    loop->head.running = false;
    loop->stopping = false;
    loop->until = NULL;
    loop->head.current = NULL;
    cio__running_loop = NULL;
    cio_loop_free(loop);
}

int test__setup(void **state) {
    (void)state;
    test_recover_loop();
    return 0;
}

static int skipped_tests;

void test__skipped(void) {
    skipped_tests++;
}

static const char *test_filter(void) {
    const char *filter = getenv("CIO_TEST_FILTER");
    return filter && *filter ? filter : NULL;
}

void test__apply_filter(void) {
    if (test_filter()) cmocka_set_test_filter(test_filter());
}

/* cmocka's result, or TEST_SKIPPED when every test that ran skipped. */
int test__group_exit(int failed, const struct CMUnitTest *tests, size_t count) {
    if (failed) return failed;
    int ran = 0;
    for (size_t i = 0; i < count; i++)
        if (!test_filter() || fnmatch(test_filter(), tests[i].name, 0) == 0) ran++;
    if (ran > 0 && skipped_tests >= ran) {
        fprintf(stderr, "testutil: every test skipped\n");
        return TEST_SKIPPED;
    }
    return 0;
}

/* ---- loops ----------------------------------------------------------------- */

cio_loop *test_loop_new(void) {
    test_recover_loop();
    cio_loop_options opts = {.clock = CIO_CLOCK_VIRTUAL};
    cio_loop *loop = NULL;
    assert_int_equal(cio_loop_new(&opts, &loop), 0);
    assert_non_null(loop);
    return loop;
}

int test_run(cio_task_fn fn, void *arg, void **result, double *elapsed) {
    cio_loop *loop = test_loop_new();
    double start = cio_loop_time(loop);
    cio_task *task;
    cio_loop_create_task(loop, fn, arg, &task);
    assert_non_null(task);
    int rc = cio_loop_run_until_complete(loop, task, result);
    if (elapsed) *elapsed = cio_loop_time(loop) - start;
    cio_loop_free(loop);
    return rc;
}

double test_now(void) {
    return cio_loop_time(cio_get_running_loop());
}

void test_run_checked(cio_task_fn fn, const char *poller) {
    test_recover_loop();
    int before = test_count_fds();
    cio_loop *loop;
    cio_loop_options opts = {.clock = CIO_CLOCK_VIRTUAL, .poller = poller};
    assert_int_equal(cio_loop_new(&opts, &loop), 0);
    cio_task *task;
    cio_loop_create_task(loop, fn, NULL, &task);
    assert_non_null(task);
    assert_int_equal(cio_loop_run_until_complete(loop, task, NULL), 0);
    cio_loop_free(loop);
    assert_int_equal(test_count_fds(), before);
}

void test_run_on_both_pollers(cio_task_fn fn) {
    test_run_checked(fn, "epoll");
    test_run_checked(fn, "poll");
}

int test_count_fds(void) {
    DIR *dir = opendir("/proc/self/fd");
    if (!dir) return -1;
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL)
        if (entry->d_name[0] != '.') count++;
    closedir(dir);
    return count - 1; /* the DIR's own fd */
}

int test_in_child(void (*fn)(void), char *buf, size_t len) {
    int pipefd[2];
    if (pipe(pipefd) != 0) return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pipefd[1], 2);
        close(pipefd[0]);
        close(pipefd[1]);
        fn();
        _exit(0);
    }
    close(pipefd[1]);
    size_t used = 0;
    ssize_t n;
    while (len > 1 && used < len - 1 && (n = read(pipefd[0], buf + used, len - 1 - used)) > 0)
        used += (size_t)n;
    if (len) buf[used] = '\0';
    char rest[512]; /* drained, or a child with more to say dies of SIGPIPE (CIO_DEBUG=1) */
    while (read(pipefd[0], rest, sizeof rest) > 0) continue;
    close(pipefd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

const char *test_emulator(void) {
    const char *emulator = getenv("CIO_TEST_EMULATOR");
    return emulator && *emulator ? emulator : NULL;
}

int test_scaled(int n, int min) {
    const char *env = getenv("CIO_TEST_SCALE");
    char *end = NULL;
    double scale = env ? strtod(env, &end) : 1.0;
    if (!env || end == env || *end || !(scale > 0.0 && scale <= 1.0)) scale = 1.0;
    int scaled = (int)(n * scale);
    return scaled < min ? min : scaled;
}

cio_task *test_spawn(cio_task_fn fn, void *arg) {
    cio_task *task = NULL;
    assert_int_equal(cio_create_task(fn, arg, &task), 0);
    return task;
}

cio_task *test_spawn_on(cio_loop *loop, cio_task_fn fn, void *arg) {
    cio_task *task = NULL;
    assert_int_equal(cio_loop_create_task(loop, fn, arg, &task), 0);
    return task;
}

char *test_dump_tasks(void) {
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    assert_int_equal(cio_loop_dump_tasks(NULL, out, false), 0);
    fclose(out);
    if (getenv("CIO_TEST_SHOW")) fputs(text, stderr);
    return text;
}
