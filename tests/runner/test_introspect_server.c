/* cio_loop_serve_introspection, cio_introspection_path and
 * cio_loop_dump_on_signal: a request answered in-process, and the errors
 * (NULL loop, path too long, already serving, closed loop). */
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static char sock_path[108];

static void *sleeper(void *arg) {
    (void)arg;
    int rc = cio_sleep(100);
    return rc ? cio_fail(rc) : NULL;
}

/* Connect, send request, read the answer to EOF (the server answers in the
 * loop turn that sees the connection, so wait for readability first). */
static char *request(const char *line) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    strcpy(addr.sun_path, sock_path);
    assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(write(fd, line, strlen(line)), (ssize_t)strlen(line));
    assert_int_equal(cio_wait_readable(fd, 5), 0);
    char *text = calloc(1, 65536);
    size_t got = 0;
    ssize_t n;
    while ((n = read(fd, text + got, 65535 - got)) > 0) got += (size_t)n;
    cio_close(fd);
    return text;
}

static void *serve_and_ask(void *arg) {
    (void)arg;
    cio_loop *loop = cio_get_running_loop();
    cio_task *task = test_spawn(sleeper, NULL);
    assert_int_equal(cio_task_set_name(task, "served-sleeper"), 0);
    assert_int_equal(cio_yield(), 0);
    assert_int_equal(cio_loop_serve_introspection(loop, sock_path), 0);
    assert_int_equal(cio_loop_serve_introspection(loop, sock_path), -EALREADY);
    char *text = request("ps\n");
    if (!strstr(text, "served-sleeper") || !strstr(text, "sleep until 100.000"))
        fail_msg("ps answer:\n%s", text);
    free(text);
    text = request("pstree\n");
    if (!strstr(text, "* served-sleeper #")) fail_msg("pstree answer:\n%s", text);
    free(text);
    text = request("bogus\n");
    assert_non_null(strstr(text, "unknown request 'bogus'"));
    free(text);
    assert_int_equal(cio_task_cancel(task), 0);
    assert_int_equal(cio_await(task, NULL), -ECANCELED);
    return NULL;
}

static void serves_requests(void **state) {
    (void)state;
    snprintf(sock_path, sizeof sock_path, "/tmp/cio-test-introspect-%d.sock", (int)getpid());
    assert_int_equal(test_run(serve_and_ask, NULL, NULL, NULL), 0);
    assert_int_equal(access(sock_path, F_OK), -1); /* removed when the loop closed */
}

static void *misuse(void *arg) {
    (void)arg;
    cio_loop *loop = cio_get_running_loop();
    char longpath[200];
    memset(longpath, 'x', sizeof longpath - 1);
    longpath[0] = '/';
    longpath[sizeof longpath - 1] = '\0';
    assert_int_equal(cio_loop_serve_introspection(loop, longpath), -ENAMETOOLONG);
    assert_int_equal(cio_loop_serve_introspection(loop, ""), -EINVAL);
    assert_int_equal(cio_loop_serve_introspection(NULL, sock_path), -EINVAL);
    assert_int_equal(cio_loop_serve_introspection(loop, "/nonexistent-dir/x.sock"), -ENOENT);
    assert_int_equal(cio_loop_dump_on_signal(NULL, SIGUSR1), -EINVAL);
    assert_int_equal(cio_loop_dump_on_signal(loop, SIGKILL), -EINVAL);
    return NULL;
}

static void errors(void **state) {
    (void)state;
    assert_int_equal(test_run(misuse, NULL, NULL, NULL), 0);
    char buf[64];
    assert_int_equal(cio_introspection_path(0, buf, sizeof buf), -EINVAL);
    assert_int_equal(cio_introspection_path(42, NULL, 10), -EINVAL);
    assert_int_equal(cio_introspection_path(42, buf, 8), -ENAMETOOLONG);
    cio_loop *closed = test_loop_new();
    cio_loop_close(closed);
    assert_int_equal(cio_loop_serve_introspection(closed, NULL), -CIO_ECLOSED);
    cio_loop_free(closed);
}

static void default_path(void **state) {
    (void)state;
    char buf[108], expect[108];
    setenv("XDG_RUNTIME_DIR", "/tmp", 1);
    assert_int_equal(cio_introspection_path(1234, buf, sizeof buf), 0);
    assert_string_equal(buf, "/tmp/cio-1234.sock");
    setenv("XDG_RUNTIME_DIR", "/nonexistent-dir", 1);
    assert_int_equal(cio_introspection_path(1234, buf, sizeof buf), 0);
    snprintf(expect, sizeof expect, "/tmp/cio-%u-1234.sock", (unsigned)getuid());
    assert_string_equal(buf, expect);
    unsetenv("XDG_RUNTIME_DIR");
}

/* The default path is used when path is NULL, and the signal dump reaches
 * stderr (checked in a child, whose stderr the test captures). */
static void *serve_default_and_signal(void *arg) {
    (void)arg;
    cio_loop *loop = cio_get_running_loop();
    if (cio_loop_serve_introspection(loop, NULL) != 0) return cio_fail(-EIO);
    if (cio_introspection_path((int)getpid(), sock_path, sizeof sock_path) != 0 ||
        access(sock_path, F_OK) != 0)
        return cio_fail(-ENOENT);
    if (cio_loop_dump_on_signal(loop, SIGUSR1) != 0) return cio_fail(-EIO);
    raise(SIGUSR1);
    /* The signal comes through the os layer's signal thread and a pipe the
     * loop polls: let the loop turn (real time) until it had time to land. */
    for (int i = 0; i < 300; i++) {
        cio_yield();
        usleep(1000);
    }
    return NULL;
}

static void in_child(void) {
    unsetenv("XDG_RUNTIME_DIR");
    exit(test_run(serve_default_and_signal, NULL, NULL, NULL) == 0 ? 0 : 1);
}

static void default_socket_and_signal_dump(void **state) {
    (void)state;
    char err[4096];
    int status = test_in_child(in_child, err, sizeof err);
    if (status != 0) fail_msg("child failed (%d):\n%s", status, err);
    if (!strstr(err, "unfinished tasks at loop time") || !strstr(err, "Stack for task Task-1"))
        fail_msg("no dump on SIGUSR1:\n%s", err);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(serves_requests),
        cmocka_unit_test(errors),
        cmocka_unit_test(default_path),
        cmocka_unit_test(default_socket_and_signal_dump),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
