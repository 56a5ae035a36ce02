/* CPython's own asyncio stream tests, ported (issue 19): where cio's
 * streams behave as asyncio's (Lib/test/test_asyncio/test_streams.py; each
 * test names the one it ports). Virtual clock; no fd may leak. */
#include "testutil.h"

#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void socket_pair(cio_stream **a, cio_stream **b) {
    int fds[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    assert_int_equal(cio_stream_from_socket(fds[0], 0, a), 0);
    assert_int_equal(cio_stream_from_socket(fds[1], 0, b), 0);
}

/* test_at_eof: at_eof is false while data is buffered or the peer is still
 * open, and true as soon as the last line is consumed after the peer's EOF
 * arrived - before any read has met the EOF. */
static void *at_eof_socket(void *arg) {
    (void)arg;
    cio_stream *peer, *s;
    socket_pair(&peer, &s);
    char buf[64];
    assert_false(cio_stream_at_eof(s));
    assert_int_equal(cio_stream_write(peer, "some data\n", 10), 0);
    assert_int_equal(cio_stream_drain(peer), 0);
    assert_false(cio_stream_at_eof(s));
    assert_int_equal(cio_stream_readline(s, buf, sizeof buf), 10);
    assert_false(cio_stream_at_eof(s));
    assert_int_equal(cio_stream_write(peer, "some data\n", 10), 0);
    assert_int_equal(cio_stream_write_eof(peer), 0);
    assert_int_equal(cio_stream_drain(peer), 0);
    assert_int_equal(cio_stream_readline(s, buf, sizeof buf), 10);
    assert_true(cio_stream_at_eof(s));
    assert_int_equal(cio_stream_readline(s, buf, sizeof buf), 0); /* and a read agrees */
    assert_true(cio_stream_at_eof(s));
    cio_stream_free(peer);
    cio_stream_free(s);
    return NULL;
}

/* The same over a pipe: true once its write end is closed and it is empty. */
static void *at_eof_pipe(void *arg) {
    (void)arg;
    int fds[2];
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    cio_stream *s;
    assert_int_equal(cio_stream_from_fd(fds[0], 0, &s), 0);
    char buf[64];
    assert_int_equal(write(fds[1], "some data\n", 10), 10);
    assert_false(cio_stream_at_eof(s));
    assert_int_equal(cio_stream_readline(s, buf, sizeof buf), 10);
    assert_false(cio_stream_at_eof(s)); /* the writer is still open */
    assert_int_equal(write(fds[1], "last\n", 5), 5);
    close(fds[1]);
    assert_false(cio_stream_at_eof(s)); /* data still unread */
    assert_int_equal(cio_stream_readline(s, buf, sizeof buf), 5);
    assert_true(cio_stream_at_eof(s));
    cio_stream_free(s);
    return NULL;
}

static void at_eof(void **state) {
    (void)state;
    test_run_on_both_pollers(at_eof_socket);
    test_run_on_both_pollers(at_eof_pipe);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(at_eof),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
