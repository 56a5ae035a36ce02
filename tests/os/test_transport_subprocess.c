/* Subprocess transports: a child's stdout and stderr reach
 * pipe_data_received, stdin takes writes through its pipe transport,
 * process_exited and connection_lost come in order; error paths. Both
 * pollers; virtual clock; no fd may leak. */
#include "testutil.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#include <signal.h>
#include <string.h>

struct prec {
    char out[64], err[64];
    size_t out_len, err_len;
    int pipes_lost, exited, lost, made;
    int order; /* connection_lost came after process_exited and every pipe */
    cio_event changed;
};

static void made(cio_subprocess_transport *t, void *arg) {
    (void)t;
    ((struct prec *)arg)->made++;
}

static void data(cio_subprocess_transport *t, int fd, const void *bytes, size_t len, void *arg) {
    (void)t;
    struct prec *r = arg;
    char *to = fd == 1 ? r->out : r->err;
    size_t *at = fd == 1 ? &r->out_len : &r->err_len;
    assert_true(fd == 1 || fd == 2);
    assert_true(*at + len < sizeof r->out);
    memcpy(to + *at, bytes, len);
    *at += len;
    cio_event_set(&r->changed);
}

static void pipe_lost(cio_subprocess_transport *t, int fd, int err, void *arg) {
    (void)t;
    (void)fd;
    (void)err;
    ((struct prec *)arg)->pipes_lost++;
}

static void exited(cio_subprocess_transport *t, void *arg) {
    struct prec *r = arg;
    int rc;
    assert_int_equal(cio_subprocess_transport_returncode(t, &rc), 0);
    assert_int_equal(rc, 3);
    r->exited++;
}

static void lost(cio_subprocess_transport *t, int err, void *arg) {
    (void)t;
    struct prec *r = arg;
    assert_int_equal(err, 0);
    r->order = r->exited == 1 && r->pipes_lost == 3;
    r->lost++;
    cio_event_set(&r->changed);
}

static const cio_subprocess_protocol recorder = {made, data, pipe_lost, exited, lost};

static void *pipes_main(void *arg) {
    (void)arg;
    struct prec r = {0};
    cio_event_init(&r.changed);
    const char *argv[] = {"/bin/sh", "-c", "cat; echo oops >&2; exit 3", NULL};
    cio_process_options opts = {
        .stdin_mode = CIO_STDIO_PIPE, .stdout_mode = CIO_STDIO_PIPE, .stderr_mode = CIO_STDIO_PIPE};
    cio_subprocess_transport *t;
    assert_int_equal(cio_subprocess_exec(argv, &recorder, &r, &opts, &t), 0);
    assert_int_equal(r.made, 1);
    assert_true(cio_subprocess_transport_pid(t) > 0);
    int rc;
    assert_int_equal(cio_subprocess_transport_returncode(t, &rc), -EAGAIN);
    cio_transport *in;
    assert_int_equal(cio_subprocess_transport_pipe(t, 0, &in), 0);
    assert_int_equal(cio_transport_write(in, "hello", 5), 0);
    assert_int_equal(cio_transport_close(in), 0); /* EOF for cat */
    while (r.lost == 0) {
        assert_int_equal(cio_event_wait(&r.changed), 0);
        cio_event_clear(&r.changed);
    }
    assert_int_equal(r.out_len, 5);
    assert_memory_equal(r.out, "hello", 5);
    assert_int_equal(r.err_len, 5);
    assert_memory_equal(r.err, "oops\n", 5);
    assert_true(r.order);
    return NULL;
}

static void subprocess_protocol_gets_output_and_exit(void **state) {
    (void)state;
    test_run_on_both_pollers(pipes_main);
}

static void killed_lost(cio_subprocess_transport *t, int err, void *arg) {
    (void)t;
    (void)err;
    struct prec *r = arg;
    r->lost++;
    cio_event_set(&r->changed);
}

static const cio_subprocess_protocol quiet = {.connection_lost = killed_lost};

static void *close_main(void *arg) {
    (void)arg;
    struct prec r = {0};
    cio_event_init(&r.changed);
    cio_subprocess_transport *t = (cio_subprocess_transport *)&r;
    const char *argv[] = {"sleep", "100", NULL};
    const char *missing[] = {"/nonexistent/cio-test", NULL};
    assert_int_equal(cio_subprocess_exec(argv, NULL, &r, NULL, &t), -EINVAL);
    assert_null(t);
    assert_int_equal(cio_subprocess_exec(argv, &quiet, &r, NULL, NULL), -EINVAL);
    /* Under valgrind, whose fork stands in for posix_spawn's vfork, a failed
     * exec cannot be reported to the caller (as test_process says). */
    if (!RUNNING_ON_VALGRIND)
        assert_int_equal(cio_subprocess_exec(missing, &quiet, &r, NULL, &t), -ENOENT);
    assert_int_equal(cio_subprocess_transport_pid(NULL), -EINVAL);
    assert_int_equal(cio_subprocess_transport_close(NULL), -EINVAL);

    cio_process_options opts = {.stdout_mode = CIO_STDIO_PIPE};
    assert_int_equal(cio_subprocess_exec(argv, &quiet, &r, &opts, &t), 0);
    cio_transport *pipe;
    assert_int_equal(cio_subprocess_transport_pipe(t, 0, &pipe), -ENOENT); /* stdin inherited */
    assert_int_equal(cio_subprocess_transport_pipe(t, 3, &pipe), -EINVAL);
    assert_int_equal(cio_subprocess_transport_pipe(t, 1, &pipe), 0);
    assert_int_equal(cio_subprocess_transport_send_signal(t, 0), 0);
    assert_int_equal(cio_subprocess_transport_close(t), 0); /* kills the sleeper */
    assert_int_equal(cio_subprocess_transport_close(t), -CIO_ECLOSED);
    while (r.lost == 0) {
        assert_int_equal(cio_event_wait(&r.changed), 0);
        cio_event_clear(&r.changed);
    }
    return NULL;
}

static void subprocess_close_kills_and_error_paths(void **state) {
    (void)state;
    test_run_on_both_pollers(close_main);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(subprocess_protocol_gets_output_and_exit),
        cmocka_unit_test(subprocess_close_kills_and_error_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
