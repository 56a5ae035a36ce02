/* Streams on real sockets: reading (read, readexactly, readline, readuntil,
 * read_all, limits, EOF), writing (buffering, drain and backpressure,
 * write_eof), closing (graceful with data buffered, abort, use after close),
 * errors (reset, broken pipe), cancellation at every await, IPv6 and Unix
 * sockets. Virtual clock; no fd may leak. */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* Two connected streams over a Unix socketpair: a and b. */
static void stream_pair(cio_stream **a, cio_stream **b, size_t limit) {
    int fds[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    assert_int_equal(cio_stream_from_socket(fds[0], limit, a), 0);
    assert_int_equal(cio_stream_from_socket(fds[1], limit, b), 0);
}

static void free_pair(cio_stream *a, cio_stream *b) {
    cio_stream_free(a);
    cio_stream_free(b);
}

/* A TCP listener on loopback (family AF_INET or AF_INET6), with its port. */
static int tcp_listener(int family, int *port) {
    int fd = cio_socket(family, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_storage addr = {0};
    socklen_t len;
    if (family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&addr;
        *in =
            (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        len = sizeof *in;
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&addr;
        *in6 = (struct sockaddr_in6){.sin6_family = AF_INET6, .sin6_addr = in6addr_loopback};
        len = sizeof *in6;
    }
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, len), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    *port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&addr)->sin_port
                                    : ((struct sockaddr_in6 *)&addr)->sin6_port);
    assert_int_equal(listen(fd, 8), 0);
    return fd;
}

static int listener_fd;

static void *accept_stream(void *arg) {
    (void)arg;
    int fd = cio_sock_accept(listener_fd, NULL, NULL);
    if (fd < 0) return cio_fail(fd);
    cio_stream *stream;
    assert_int_equal(cio_stream_from_socket(fd, 0, &stream), 0);
    return stream;
}

/* A TCP connection over loopback: client from cio_open_connection, server
 * side accepted by hand. */
static void tcp_pair(const char *host, int family, cio_stream **client, cio_stream **server) {
    int port;
    listener_fd = tcp_listener(family, &port);
    cio_task *acceptor;
    assert_int_equal(cio_create_task(accept_stream, NULL, &acceptor), 0);
    assert_int_equal(cio_open_connection(host, port, NULL, client), 0);
    void *accepted;
    assert_int_equal(cio_await(acceptor, &accepted), 0);
    *server = accepted;
    cio_close(listener_fd);
}

/* ---- reading ------------------------------------------------------------------------------- */

static void *read_functions(void *arg) {
    (void)arg;
    cio_stream *a, *b;
    stream_pair(&a, &b, 0);
    assert_int_equal(cio_stream_write(a, "line one\nline two\nAB--CD--tail", 30), 0);
    char buf[64];
    assert_int_equal(cio_stream_readline(b, buf, sizeof buf), 9);
    assert_memory_equal(buf, "line one\n", 9);
    assert_int_equal(cio_stream_read(b, buf, 5), 5); /* from the buffer */
    assert_memory_equal(buf, "line ", 5);
    size_t got;
    assert_int_equal(cio_stream_readexactly(b, buf, 4, &got), 0);
    assert_int_equal(got, 4);
    assert_memory_equal(buf, "two\n", 4);
    assert_int_equal(cio_stream_readuntil(b, "--", 2, buf, sizeof buf), 4);
    assert_memory_equal(buf, "AB--", 4);
    assert_int_equal(cio_stream_readuntil(b, "--", 2, buf, sizeof buf), 4);
    assert_memory_equal(buf, "CD--", 4);
    assert_int_equal(cio_stream_write_eof(a), 0);
    /* EOF before the separator: the partial line stays readable. */
    assert_int_equal(cio_stream_readuntil(b, "--", 2, buf, sizeof buf), -CIO_EINCOMPLETE);
    assert_false(cio_stream_at_eof(b));
    assert_int_equal(cio_stream_readline(b, buf, sizeof buf), 4); /* the last line, no '\n' */
    assert_memory_equal(buf, "tail", 4);
    assert_true(cio_stream_at_eof(b));
    assert_int_equal(cio_stream_readline(b, buf, sizeof buf), 0);
    assert_int_equal(cio_stream_read(b, buf, sizeof buf), 0);
    assert_int_equal(cio_stream_read(b, buf, 0), 0);
    free_pair(a, b);
    return NULL;
}

static void read_readline_readuntil_readexactly(void **state) {
    (void)state;
    test_run_on_both_pollers(read_functions);
}

static void *slow_writer(void *arg) {
    cio_stream *stream = arg;
    const char *parts[] = {"par", "tial li", "ne\nrest"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(cio_sleep(1.0), 0);
        assert_int_equal(cio_stream_write(stream, parts[i], strlen(parts[i])), 0);
    }
    assert_int_equal(cio_sleep(1.0), 0);
    assert_int_equal(cio_stream_write_eof(stream), 0);
    return NULL;
}

static void *lines_in_pieces(void *arg) {
    (void)arg;
    cio_stream *a, *b;
    stream_pair(&a, &b, 0);
    cio_task *writer;
    assert_int_equal(cio_create_task(slow_writer, a, &writer), 0);
    char buf[64];
    assert_int_equal(cio_stream_readline(b, buf, sizeof buf), 13);
    assert_memory_equal(buf, "partial line\n", 13);
    assert_true(test_now() == 3.0);
    size_t got = 99;
    assert_int_equal(cio_stream_readexactly(b, buf, 10, &got), -CIO_EINCOMPLETE);
    assert_int_equal(got, 4); /* the partial count */
    assert_memory_equal(buf, "rest", 4);
    assert_true(test_now() == 4.0);
    assert_int_equal(cio_await(writer, NULL), 0);
    free_pair(a, b);
    return NULL;
}

static void lines_across_reads_and_readexactly_at_eof(void **state) {
    (void)state;
    test_run_on_both_pollers(lines_in_pieces);
}

static void *over_the_limit(void *arg) {
    (void)arg;
    cio_stream *a, *b;
    stream_pair(&a, &b, 16); /* reader limit 16 bytes */
    char big[40];
    memset(big, 'x', sizeof big);
    big[39] = '\n';
    assert_int_equal(cio_stream_write(a, big, sizeof big), 0);
    assert_int_equal(cio_stream_write(a, "ok\n", 3), 0);
    char buf[64];
    assert_int_equal(cio_stream_readline(b, buf, sizeof buf), -CIO_ELIMIT);
    assert_int_equal(cio_stream_readline(b, buf, sizeof buf), -CIO_ELIMIT); /* still there */
    assert_int_equal(cio_stream_readexactly(b, buf, 40, NULL), 0);          /* and readable */
    assert_memory_equal(buf, big, 40);
    assert_int_equal(cio_stream_readline(b, buf, sizeof buf), 3);
    /* A line that fits the limit but not the caller's buffer. */
    assert_int_equal(cio_stream_write(a, "0123456789\n", 11), 0);
    assert_int_equal(cio_stream_readline(b, buf, 5), -CIO_ELIMIT);
    assert_int_equal(cio_stream_readline(b, buf, 11), -CIO_ELIMIT); /* and its NUL */
    assert_int_equal(cio_stream_readline(b, buf, 12), 11);
    assert_string_equal(buf, "0123456789\n");
    /* The separator itself may end past the limit, as in asyncio. */
    assert_int_equal(cio_stream_write(a, "0123456789abcdef\n", 17), 0);
    assert_int_equal(cio_stream_readline(b, buf, sizeof buf), 17);
    assert_int_equal(cio_stream_readuntil(b, "", 0, buf, sizeof buf), -EINVAL);
    assert_int_equal(cio_stream_readline(b, NULL, 5), -EINVAL);
    free_pair(a, b);
    return NULL;
}

static void readline_over_the_limit_keeps_the_data(void **state) {
    (void)state;
    test_run_on_both_pollers(over_the_limit);
}

static void *everything(void *arg) {
    (void)arg;
    cio_stream *a, *b;
    stream_pair(&a, &b, 0);
    size_t size = 3 << 20;
    char *data = malloc(size);
    for (size_t i = 0; i < size; i++) data[i] = (char)(i % 251);
    assert_int_equal(cio_stream_write(a, data, size), 0); /* mostly buffered */
    assert_int_equal(cio_stream_close(a), 0);             /* graceful: all of it goes */
    char *all;
    size_t len;
    assert_int_equal(cio_stream_read_all(b, &all, &len), 0);
    assert_int_equal(len, size);
    assert_memory_equal(all, data, size);
    assert_int_equal(all[len], 0);
    free(all);
    assert_int_equal(cio_stream_wait_closed(a), 0);
    assert_int_equal(cio_stream_read_all(b, &all, &len), 0); /* at EOF: empty */
    assert_int_equal(len, 0);
    free(all);
    free(data);
    free_pair(a, b);
    return NULL;
}

static void read_all_after_a_graceful_close_with_data_buffered(void **state) {
    (void)state;
    test_run_on_both_pollers(everything);
}

/* ---- writing and backpressure -----------------------------------------------------------------
 */

#define CHUNK (64u * 1024u)
#define TOTAL (8u << 20)

static size_t most_buffered;

static void *drain_writer(void *arg) {
    cio_stream *stream = arg;
    static char chunk[CHUNK];
    for (size_t sent = 0; sent < TOTAL; sent += CHUNK) {
        memset(chunk, (int)(sent / CHUNK), CHUNK);
        assert_int_equal(cio_stream_write(stream, chunk, CHUNK), 0);
        size_t buffered = cio_stream_write_buffer_size(stream);
        if (buffered > most_buffered) most_buffered = buffered;
        assert_int_equal(cio_stream_drain(stream), 0);
        assert_true(cio_stream_write_buffer_size(stream) <= 256u * 1024u);
    }
    assert_int_equal(cio_stream_write_eof(stream), 0);
    return NULL;
}

static void *slow_reader(void *arg) {
    (void)arg;
    cio_stream *a, *b;
    stream_pair(&a, &b, 0);
    assert_int_equal(cio_stream_set_write_buffer_limits(a, 256u * 1024u, 0), 0);
    most_buffered = 0;
    cio_task *writer;
    assert_int_equal(cio_create_task(drain_writer, a, &writer), 0);
    char *buf = malloc(CHUNK);
    size_t total = 0;
    ssize_t n;
    while ((n = cio_stream_read(b, buf, 16384)) > 0) {
        for (ssize_t i = 0; i < n; i++)
            assert_int_equal((unsigned char)buf[i], (total + (size_t)i) / CHUNK % 256);
        total += (size_t)n;
        assert_int_equal(cio_sleep(0.001), 0); /* a slow consumer */
    }
    assert_int_equal(n, 0);
    assert_int_equal(total, TOTAL);
    /* Memory stayed bounded: never more than high water + one write. */
    assert_true(most_buffered > 0);
    assert_true(most_buffered <= 256u * 1024u + CHUNK);
    assert_true(test_now() > 0.1); /* the writer really waited for the reader */
    assert_int_equal(cio_await(writer, NULL), 0);
    free(buf);
    free_pair(a, b);
    return NULL;
}

static void writer_backpressure_with_a_slow_reader(void **state) {
    (void)state;
    test_run_on_both_pollers(slow_reader);
}

static void *writes_in_order(void *arg) {
    (void)arg;
    cio_stream *a, *b;
    stream_pair(&a, &b, 0);
    size_t big = 1 << 20;
    char *data = calloc(1, big);
    assert_int_equal(cio_stream_write(a, data, big), 0); /* fills the socket, queues the rest */
    assert_true(cio_stream_write_buffer_size(a) > 0);
    struct iovec iov[3] = {{"x", 1}, {"", 0}, {"yz", 2}};
    assert_int_equal(cio_stream_writev(a, iov, 3), 0); /* behind the queue, not before it */
    assert_int_equal(cio_stream_write(a, NULL, 0), 0);
    char *in = malloc(big + 3);
    assert_int_equal(cio_stream_readexactly(b, in, big + 3, NULL), 0);
    assert_memory_equal(in + big, "xyz", 3);
    assert_int_equal(cio_stream_drain(a), 0);
    assert_int_equal(cio_stream_set_write_buffer_limits(a, 10, 20), -EINVAL);
    assert_int_equal(cio_stream_set_write_buffer_limits(a, 0, 1000), 0); /* high = 4000 */
    assert_int_equal(cio_stream_writev(a, NULL, 1), -EINVAL);
    free(data);
    free(in);
    free_pair(a, b);
    return NULL;
}

static void writes_keep_their_order(void **state) {
    (void)state;
    test_run_on_both_pollers(writes_in_order);
}

/* ---- half close
 * ---------------------------------------------------------------------------------- */

static void *half_close(void *arg) {
    (void)arg;
    cio_stream *client, *server;
    tcp_pair("127.0.0.1", AF_INET, &client, &server);
    char buf[32];
    /* client -> server half-closed; server still answers. */
    assert_int_equal(cio_stream_write(client, "question", 8), 0);
    assert_true(cio_stream_can_write_eof(client));
    assert_int_equal(cio_stream_write_eof(client), 0);
    assert_true(cio_stream_is_closing(client));
    assert_int_equal(cio_stream_write(client, "x", 1), -CIO_ECLOSED);
    char *all;
    size_t len;
    assert_int_equal(cio_stream_read_all(server, &all, &len), 0);
    assert_int_equal(len, 8);
    free(all);
    assert_int_equal(cio_stream_write(server, "answer", 6), 0);
    assert_int_equal(cio_stream_readexactly(client, buf, 6, NULL), 0);
    assert_memory_equal(buf, "answer", 6);
    /* and the other way: server half-closes, client still sends nothing. */
    assert_int_equal(cio_stream_write_eof(server), 0);
    assert_int_equal(cio_stream_read(client, buf, sizeof buf), 0);
    assert_true(cio_stream_at_eof(client));
    free_pair(client, server);
    return NULL;
}

static void half_close_both_ways(void **state) {
    (void)state;
    test_run_on_both_pollers(half_close);
}

/* ---- errors: reset, broken pipe
 * ------------------------------------------------------------------- */

static void reset(cio_stream *stream) {
    struct linger linger = {.l_onoff = 1, .l_linger = 0};
    assert_int_equal(
        setsockopt(cio_stream_fd(stream), SOL_SOCKET, SO_LINGER, &linger, sizeof linger), 0);
    assert_int_equal(cio_stream_abort(stream), 0);
}

static void *reset_later(void *arg) {
    assert_int_equal(cio_sleep(1.0), 0);
    reset(arg);
    return NULL;
}

static void *writer_until_error(void *arg) {
    cio_stream *stream = arg;
    static char chunk[CHUNK];
    for (;;) {
        int rc = cio_stream_write(stream, chunk, sizeof chunk);
        if (rc == 0) rc = cio_stream_drain(stream);
        if (rc < 0) return cio_fail(rc);
    }
}

static void *resets(void *arg) {
    (void)arg;
    cio_stream *client, *server;
    tcp_pair("127.0.0.1", AF_INET, &client, &server);
    cio_task *resetter;
    assert_int_equal(cio_create_task(reset_later, server, &resetter), 0);
    char buf[16];
    assert_int_equal(cio_stream_read(client, buf, sizeof buf), -ECONNRESET); /* mid-read */
    assert_true(test_now() == 1.0);
    assert_int_equal(cio_stream_read(client, buf, sizeof buf), -ECONNRESET); /* sticky */
    assert_int_equal(cio_await(resetter, NULL), 0);
    free_pair(client, server);

    tcp_pair("127.0.0.1", AF_INET, &client, &server);
    cio_task *writer;
    assert_int_equal(cio_create_task(writer_until_error, client, &writer), 0);
    assert_int_equal(cio_sleep(1.0), 0); /* the writer is blocked in drain by now */
    reset(server);
    int rc = cio_await(writer, NULL);
    assert_true(rc == -ECONNRESET || rc == -EPIPE);         /* mid-write */
    assert_int_equal(cio_stream_write(client, "x", 1), rc); /* kept */
    assert_int_equal(cio_stream_drain(client), rc);
    free_pair(client, server);
    return NULL;
}

static void peer_reset_mid_read_and_mid_write(void **state) {
    (void)state;
    signal(SIGPIPE, SIG_DFL); /* a SIGPIPE would kill the test */
    test_run_on_both_pollers(resets);
}

/* ---- closing
 * ----------------------------------------------------------------------------------------- */

static void *read_forever(void *arg) {
    char buf[8];
    return cio_fail((int)cio_stream_read(arg, buf, sizeof buf));
}

static void *closing(void *arg) {
    (void)arg;
    cio_stream *a, *b;
    stream_pair(&a, &b, 0);
    cio_task *reader;
    assert_int_equal(cio_create_task(read_forever, a, &reader), 0);
    assert_int_equal(cio_yield(), 0);
    char buf[8];
    assert_int_equal(cio_stream_read(a, buf, sizeof buf), -EBUSY); /* one reader at a time */
    assert_int_equal(cio_stream_close(a), 0);
    assert_int_equal(cio_await(reader, NULL), -CIO_ECLOSED); /* woken by the close */
    assert_true(cio_stream_is_closing(a));
    assert_int_equal(cio_stream_close(a), -CIO_ECLOSED);
    assert_int_equal(cio_stream_abort(a), -CIO_ECLOSED);
    assert_int_equal(cio_stream_read(a, buf, sizeof buf), -CIO_ECLOSED);
    assert_int_equal(cio_stream_readline(a, buf, sizeof buf), -CIO_ECLOSED);
    assert_int_equal(cio_stream_write(a, "x", 1), -CIO_ECLOSED);
    assert_int_equal(cio_stream_drain(a), -CIO_ECLOSED);
    assert_int_equal(cio_stream_write_eof(a), -CIO_ECLOSED);
    assert_int_equal(cio_stream_fd(a), -CIO_ECLOSED);
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;
    assert_int_equal(cio_stream_peername(a, (struct sockaddr *)&addr, &len), -CIO_ECLOSED);
    assert_int_equal(cio_stream_wait_closed(a), 0);
    assert_int_equal(cio_stream_read(b, buf, sizeof buf), 0); /* the peer sees EOF */

    /* abort drops what is buffered; the peer sees no more than the socket took */
    assert_int_equal(cio_stream_write(b, "gone", 4), -EPIPE);
    free_pair(a, b);

    assert_int_equal(cio_stream_read(NULL, buf, 1), -EINVAL);
    assert_int_equal(cio_stream_write(NULL, buf, 1), -EINVAL);
    assert_int_equal(cio_stream_close(NULL), -EINVAL);
    assert_int_equal(cio_stream_wait_closed(NULL), -EINVAL);
    assert_int_equal(cio_stream_drain(NULL), -EINVAL);
    assert_false(cio_stream_at_eof(NULL));
    cio_stream_free(NULL);
    assert_int_equal(cio_stream_from_socket(-1, 0, &a), -EINVAL);
    int udp = socket(AF_INET, SOCK_DGRAM, 0);
    assert_int_equal(cio_stream_from_socket(udp, 0, &a), -EINVAL);
    close(udp);
    return NULL;
}

static void close_wakes_readers_and_use_after_close_is_an_error(void **state) {
    (void)state;
    signal(SIGPIPE, SIG_DFL);
    test_run_on_both_pollers(closing);
}

static void *abort_buffered(void *arg) {
    (void)arg;
    cio_stream *a, *b;
    stream_pair(&a, &b, 0);
    size_t big = 4 << 20;
    char *data = calloc(1, big);
    assert_int_equal(cio_stream_write(a, data, big), 0);
    assert_true(cio_stream_write_buffer_size(a) > 0);
    assert_int_equal(cio_stream_abort(a), 0);
    assert_int_equal(cio_stream_write_buffer_size(a), 0);
    char *all;
    size_t len;
    assert_int_equal(cio_stream_read_all(b, &all, &len), 0);
    assert_true(len < big);
    free(all);
    free(data);
    free_pair(a, b);
    return NULL;
}

static void abort_drops_buffered_data(void **state) {
    (void)state;
    test_run_on_both_pollers(abort_buffered);
}

/* ---- cancellation at every await
 * -------------------------------------------------------------------- */

static void *drain_forever(void *arg) {
    static char chunk[CHUNK];
    for (;;) {
        int rc = cio_stream_write(arg, chunk, sizeof chunk);
        if (rc == 0) rc = cio_stream_drain(arg);
        if (rc < 0) return cio_fail(rc);
    }
}

static void *wait_closed_forever(void *arg) {
    return cio_fail(cio_stream_wait_closed(arg));
}

static void *readline_forever(void *arg) {
    char buf[64];
    return cio_fail((int)cio_stream_readline(arg, buf, sizeof buf));
}

static void cancel_after_one_second(cio_task_fn fn, void *arg) {
    double start = test_now();
    cio_task *task;
    assert_int_equal(cio_create_task(fn, arg, &task), 0);
    assert_int_equal(cio_sleep(1.0), 0);
    assert_false(cio_task_done(task));
    cio_task_cancel(task);
    assert_int_equal(cio_await(task, NULL), -ECANCELED);
    assert_true(test_now() == start + 1.0);
}

static void *cancels(void *arg) {
    (void)arg;
    cio_stream *a, *b;
    stream_pair(&a, &b, 0);
    assert_int_equal(cio_stream_write(b, "partial", 7), 0);
    cancel_after_one_second(read_forever, b);
    cancel_after_one_second(readline_forever, a); /* the buffered partial line survives */
    cancel_after_one_second(drain_forever, a);
    cancel_after_one_second(wait_closed_forever, a);
    char buf[9]; /* the line and its NUL */
    assert_int_equal(cio_stream_write(b, "\n", 1), 0);
    assert_int_equal(cio_stream_readline(a, buf, sizeof buf), 8);
    assert_memory_equal(buf, "partial\n", 8);
    /* a still holds unsent data; its peer going away ends the flushing. */
    assert_true(cio_stream_write_buffer_size(a) > 0);
    assert_int_equal(cio_stream_close(a), 0);
    cio_stream_free(b);
    assert_int_equal(cio_stream_wait_closed(a), 0);
    assert_int_equal(cio_stream_write_buffer_size(a), 0);
    cio_stream_free(a);
    return NULL;
}

static void cancel_in_read_readline_drain_wait_closed(void **state) {
    (void)state;
    test_run_on_both_pollers(cancels);
}

static void *open_to_full_backlog(void *arg) {
    int port = *(int *)arg;
    cio_stream *stream;
    return cio_fail(cio_open_connection("127.0.0.1", port, NULL, &stream));
}

static void *connect_timeouts(void *arg) {
    (void)arg;
    int port;
    int listener = cio_socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    assert_int_equal(bind(listener, (struct sockaddr *)&addr, len), 0);
    assert_int_equal(getsockname(listener, (struct sockaddr *)&addr, &len), 0);
    assert_int_equal(listen(listener, 0), 0);
    port = ntohs(addr.sin_port);
    int queued[2];
    for (int i = 0; i < 2; i++) { /* fill the accept queue: later SYNs are dropped */
        queued[i] = cio_socket(AF_INET, SOCK_STREAM, 0);
        connect(queued[i], (struct sockaddr *)&addr, len);
    }
    assert_int_equal(cio_sleep(0.5), 0);
    double start = test_now();
    cio_stream *stream;
    cio_connect_options opts = {.timeout = 2.0};
    assert_int_equal(cio_open_connection("127.0.0.1", port, &opts, &stream), -ETIMEDOUT);
    assert_true(test_now() == start + 2.0);
    assert_null(stream);
    cancel_after_one_second(open_to_full_backlog, &port);
    for (int i = 0; i < 2; i++) cio_close(queued[i]);
    cio_close(listener);
    return NULL;
}

static void connect_timeout_and_cancel_in_connect(void **state) {
    (void)state;
    test_run_on_both_pollers(connect_timeouts);
}

/* ---- TCP options, IPv6, Unix sockets
 * ------------------------------------------------------------------ */

static int option(cio_stream *stream, int level, int name) {
    int value = -1;
    socklen_t len = sizeof value;
    assert_int_equal(getsockopt(cio_stream_fd(stream), level, name, &value, &len), 0);
    return value;
}

static void *tcp_details(void *arg) {
    (void)arg;
    cio_stream *client, *server;
    tcp_pair("::1", AF_INET6, &client, &server);
    assert_true(option(client, IPPROTO_TCP, TCP_NODELAY)); /* asyncio's default */
    assert_false(option(client, SOL_SOCKET, SO_KEEPALIVE));
    struct sockaddr_storage peer, local;
    socklen_t peer_len = sizeof peer, local_len = sizeof local;
    assert_int_equal(cio_stream_peername(client, (struct sockaddr *)&peer, &peer_len), 0);
    assert_int_equal(cio_stream_sockname(server, (struct sockaddr *)&local, &local_len), 0);
    char a[CIO_ADDRSTRLEN], b[CIO_ADDRSTRLEN];
    cio_format_address((struct sockaddr *)&peer, peer_len, a, sizeof a);
    cio_format_address((struct sockaddr *)&local, local_len, b, sizeof b);
    assert_string_equal(a, b);
    assert_int_equal(strncmp(a, "[::1]:", 6), 0);
    assert_int_equal(cio_stream_write(client, "v6", 2), 0);
    char buf[2];
    assert_int_equal(cio_stream_readexactly(server, buf, 2, NULL), 0);
    free_pair(client, server);

    int port;
    listener_fd = tcp_listener(AF_INET, &port);
    cio_task *acceptor;
    assert_int_equal(cio_create_task(accept_stream, NULL, &acceptor), 0);
    cio_connect_options opts = {.nagle = true, .keepalive = true};
    assert_int_equal(cio_open_connection("127.0.0.1", port, &opts, &client), 0);
    assert_false(option(client, IPPROTO_TCP, TCP_NODELAY));
    assert_true(option(client, SOL_SOCKET, SO_KEEPALIVE));
    void *accepted;
    assert_int_equal(cio_await(acceptor, &accepted), 0);
    free_pair(client, accepted);
    cio_close(listener_fd);
    assert_int_equal(cio_open_connection("127.0.0.1", port, NULL, &client), -ECONNREFUSED);
    assert_int_equal(cio_open_connection("127.0.0.1", 70000, NULL, &client), -EINVAL);
    assert_int_equal(cio_open_connection(NULL, port, NULL, &client), -EINVAL);
    return NULL;
}

static void ipv6_loopback_and_tcp_options(void **state) {
    (void)state;
    test_run_on_both_pollers(tcp_details);
}

/* The port a socket is bound to. */
static int port_of(int fd, bool peer) {
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    int rc = peer ? getpeername(fd, (struct sockaddr *)&addr, &len)
                  : getsockname(fd, (struct sockaddr *)&addr, &len);
    assert_int_equal(rc, 0);
    return ntohs(addr.sin_port);
}

/* A port nobody uses right now on 127.0.0.1 (bound and released). */
static int free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    int port = port_of(fd, false);
    close(fd);
    return port;
}

static void *local_address_main(void *arg) {
    (void)arg;
    int port;
    listener_fd = tcp_listener(AF_INET, &port);
    int local_port = free_port();
    cio_connect_options opts = {.local_host = "127.0.0.1", .local_port = local_port};
    cio_task *acceptor;
    assert_int_equal(cio_create_task(accept_stream, NULL, &acceptor), 0);
    cio_stream *client;
    assert_int_equal(cio_open_connection("127.0.0.1", port, &opts, &client), 0);
    void *accepted;
    assert_int_equal(cio_await(acceptor, &accepted), 0);
    assert_int_equal(port_of(cio_stream_fd(client), false), local_port);
    assert_int_equal(port_of(cio_stream_fd(accepted), true), local_port); /* the server sees it */
    free_pair(client, accepted);

    opts =
        (cio_connect_options){.local_host = "127.0.0.1", .local_port = port}; /* the listener's */
    assert_int_equal(cio_open_connection("127.0.0.1", port, &opts, &client), -EADDRINUSE);
    opts = (cio_connect_options){.local_host = "::1"}; /* no IPv4 address to bind to */
    assert_int_equal(cio_open_connection("127.0.0.1", port, &opts, &client), -EADDRNOTAVAIL);
    opts = (cio_connect_options){.local_port = 65536};
    assert_int_equal(cio_open_connection("127.0.0.1", port, &opts, &client), -EINVAL);
    assert_null(client);
    cio_close(listener_fd);
    return NULL;
}

static void open_connection_from_a_local_address(void **state) {
    (void)state;
    test_run_on_both_pollers(local_address_main);
}

static void *unix_streams(void *arg) {
    (void)arg;
    char path[64];
    snprintf(path, sizeof path, "/tmp/cio-test-stream-%d.sock", (int)getpid());
    unlink(path);
    cio_stream *stream;
    assert_int_equal(cio_open_unix_connection(path, NULL, &stream), -ENOENT);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    strcpy(addr.sun_path, path);
    listener_fd = cio_socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(bind(listener_fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(listen(listener_fd, 4), 0);
    cio_task *acceptor;
    assert_int_equal(cio_create_task(accept_stream, NULL, &acceptor), 0);
    assert_int_equal(cio_open_unix_connection(path, NULL, &stream), 0);
    void *accepted;
    assert_int_equal(cio_await(acceptor, &accepted), 0);
    assert_int_equal(cio_stream_write(stream, "over unix\n", 10), 0);
    char buf[16];
    assert_int_equal(cio_stream_readline(accepted, buf, sizeof buf), 10);
    struct sockaddr_un peer;
    socklen_t len = sizeof peer;
    assert_int_equal(cio_stream_peername(stream, (struct sockaddr *)&peer, &len), 0);
    char text[CIO_ADDRSTRLEN];
    assert_true(cio_format_address((struct sockaddr *)&peer, len, text, sizeof text) > 0);
    assert_string_equal(text, path);
    free_pair(stream, accepted);
    cio_close(listener_fd);
    unlink(path);
    char long_path[200];
    memset(long_path, 'a', sizeof long_path - 1);
    long_path[sizeof long_path - 1] = '\0';
    assert_int_equal(cio_open_unix_connection(long_path, NULL, &stream), -ENAMETOOLONG);
    return NULL;
}

static void unix_socket_streams(void **state) {
    (void)state;
    test_run_on_both_pollers(unix_streams);
}

static void outside_a_task(void **state) {
    (void)state;
    cio_stream *stream = NULL;
    char buf[4];
    assert_int_equal(cio_open_connection("127.0.0.1", 1, NULL, &stream), -EPERM);
    assert_int_equal(cio_open_unix_connection("/x", NULL, &stream), -EPERM);
    assert_int_equal(cio_stream_read(stream, buf, 1), -EPERM);
    assert_int_equal(cio_stream_drain(stream), -EPERM);
    assert_int_equal(cio_stream_from_socket(0, 0, &stream), -EINVAL); /* no running loop */
}

/* ---- one reader at a time: every read call against every other ------------------------- */

enum read_op { OP_READ, OP_READ_ALL, OP_READEXACTLY, OP_READUNTIL, OP_READLINE, OP_READLINE_ALLOC };
#define READ_OPS 6
#define FULL     "abcd\n--efgh"

/* Run op on stream; got gets the bytes it read. Returns its result. */
static ssize_t read_op(enum read_op op, cio_stream *stream, char got[64], size_t *len) {
    *len = 0;
    char *data = NULL;
    ssize_t rc;
    switch (op) {
    case OP_READ:
        rc = cio_stream_read(stream, got, 64);
        *len = rc > 0 ? (size_t)rc : 0;
        return rc;
    case OP_READEXACTLY:
        return cio_stream_readexactly(stream, got, 6, len);
    case OP_READUNTIL:
        rc = cio_stream_readuntil(stream, "--", 2, got, 64);
        break;
    case OP_READLINE:
        rc = cio_stream_readline(stream, got, 64);
        break;
    case OP_READ_ALL:
        rc = cio_stream_read_all(stream, &data, len);
        break;
    default:
        rc = cio_stream_readline_alloc(stream, &data, len);
        break;
    }
    if (rc > 0) *len = (size_t)rc;
    if (data) memcpy(got, data, *len);
    free(data);
    return rc;
}

/* What op returns once all of FULL has come, and its length. */
static size_t expected_len(enum read_op op) {
    static const size_t lens[READ_OPS] = {11, 11, 6, 7, 5, 5};
    return lens[op];
}

struct first_read {
    cio_stream *stream;
    enum read_op op;
};

static void *first_reader(void *arg) {
    struct first_read *first = arg;
    enum read_op op = first->op;
    char got[64];
    size_t len;
    ssize_t rc = read_op(op, first->stream, got, &len);
    assert_true(rc >= 0);
    assert_int_equal(len, expected_len(op));
    assert_memory_equal(got, FULL, len);
    return NULL;
}

static void second_reader_refused(enum read_op first, enum read_op second) {
    cio_stream *a, *b;
    stream_pair(&a, &b, 0);
    size_t early = first == OP_READ ? 0 : 2; /* "ab" buffered while the first one waits */
    assert_int_equal(cio_stream_write(a, FULL, early), 0);
    struct first_read arg = {b, first};
    cio_task *task;
    assert_int_equal(cio_create_task(first_reader, &arg, &task), 0);
    assert_int_equal(cio_yield(), 0); /* it reads what is there, then waits */
    assert_false(cio_task_done(task));
    char got[64];
    size_t len;
    ssize_t rc = read_op(second, b, got, &len);
    if (rc != -EBUSY) fail_msg("op %d while op %d waits: %zd, not -EBUSY", second, first, rc);
    assert_int_equal(cio_stream_write(a, &FULL[early], strlen(FULL) - early), 0);
    assert_int_equal(cio_stream_write_eof(a), 0);
    assert_int_equal(cio_await(task, NULL), 0);
    char *rest;
    assert_int_equal(cio_stream_read_all(b, &rest, &len), 0); /* nothing lost, nothing twice */
    assert_int_equal(len, strlen(FULL) - expected_len(first));
    assert_string_equal(rest, &FULL[expected_len(first)]);
    free(rest);
    free_pair(a, b);
}

static void *read_matrix(void *arg) {
    (void)arg;
    for (int first = 0; first < READ_OPS; first++)
        for (int second = 0; second < READ_OPS; second++)
            second_reader_refused((enum read_op)first, (enum read_op)second);
    return NULL;
}

static void every_read_call_refuses_a_second_reader(void **state) {
    (void)state;
    test_run_on_both_pollers(read_matrix);
}

/* ---- calls from another thread ------------------------------------------------------------ */

struct foreign {
    cio_stream *stream;
    long rc[10];
    bool closing, can_write_eof;
    size_t buffered;
};

static void *foreign_thread(void *arg) {
    struct foreign *f = arg;
    char buf[4];
    struct iovec iov = {"x", 1};
    f->rc[0] = cio_stream_write(f->stream, "x", 1);
    f->rc[1] = cio_stream_writev(f->stream, &iov, 1);
    f->rc[2] = cio_stream_write_eof(f->stream);
    f->rc[3] = cio_stream_close(f->stream);
    f->rc[4] = cio_stream_abort(f->stream);
    f->rc[5] = cio_stream_read(f->stream, buf, sizeof buf);
    f->rc[6] = cio_stream_drain(f->stream);
    f->rc[7] = cio_stream_fd(f->stream);
    f->rc[8] = cio_stream_set_write_buffer_limits(f->stream, 0, 0);
    f->rc[9] = cio_stream_wait_closed(f->stream);
    f->closing = cio_stream_is_closing(f->stream);
    f->can_write_eof = cio_stream_can_write_eof(f->stream);
    f->buffered = cio_stream_write_buffer_size(f->stream);
    cio_stream_free(f->stream); /* refused: the stream stays usable */
    return NULL;
}

static void *from_another_thread(void *arg) {
    (void)arg;
    cio_stream *a, *b;
    stream_pair(&a, &b, 0);
    struct foreign f = {.stream = a};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, foreign_thread, &f), 0);
    assert_int_equal(pthread_join(thread, NULL), 0); /* the loop thread blocks meanwhile */
    for (int i = 0; i < 10; i++)
        if (f.rc[i] != -EPERM) fail_msg("call %d from another thread: %ld, not -EPERM", i, f.rc[i]);
    assert_false(f.closing);
    assert_false(f.can_write_eof);
    assert_int_equal(f.buffered, 0);
    assert_int_equal(cio_stream_write(a, "ok", 2), 0); /* untouched */
    char buf[2];
    assert_int_equal(cio_stream_readexactly(b, buf, 2, NULL), 0);
    assert_memory_equal(buf, "ok", 2);
    free_pair(a, b);
    return NULL;
}

static void calls_from_another_thread_are_refused(void **state) {
    (void)state;
    test_run_checked(from_another_thread, NULL);
}

/* ---- a reset that a write saw first ------------------------------------------------------- */

static void *reset_seen_by_a_write(void *arg) {
    (void)arg;
    cio_stream *client, *server;
    tcp_pair("127.0.0.1", AF_INET, &client, &server);
    reset(server); /* SO_LINGER 0: an RST */
    assert_int_equal(cio_wait_readable(cio_stream_fd(client), 1.0), 0);
    assert_int_equal(cio_stream_write(client, "x", 1), -ECONNRESET); /* takes the socket's error */
    char buf[8];
    assert_int_equal(cio_stream_read(client, buf, sizeof buf), -ECONNRESET);     /* not EOF */
    assert_int_equal(cio_stream_readline(client, buf, sizeof buf), -ECONNRESET); /* kept */
    free_pair(client, server);
    return NULL;
}

static void reset_seen_by_a_write_is_reported_to_readers(void **state) {
    (void)state;
    test_run_on_both_pollers(reset_seen_by_a_write);
}

/* ---- stale and foreign handles ------------------------------------------------------------- */

static void *stale(void *arg) {
    (void)arg;
    cio_stream *a, *b;
    stream_pair(&a, &b, 0);
    cio_stream_free(a); /* closed and released at once: poisoned, in the quarantine */
    char buf[4];
    assert_int_equal(cio_stream_write(a, "x", 1), -EINVAL);
    assert_int_equal(cio_stream_read(a, buf, 1), -EINVAL);
    assert_int_equal(cio_stream_close(a), -EINVAL);
    assert_false(cio_stream_is_closing(a));
    cio_stream_free(a); /* a double free: reported, nothing done */
    /* Freed while its flusher still sends: the memory lives, the handle is stale. */
    cio_stream *c, *d;
    stream_pair(&c, &d, 0);
    char *big = calloc(1, 1 << 20);
    assert_int_equal(cio_stream_write(c, big, 1 << 20), 0);
    assert_true(cio_stream_write_buffer_size(c) > 0);
    cio_stream_free(c);
    assert_int_equal(cio_stream_write(c, "x", 1), -EINVAL);
    assert_int_equal(cio_stream_write_buffer_size(c), 0);
    cio_stream_free(c);
    char *all;
    size_t len;
    assert_int_equal(cio_stream_read_all(d, &all, &len), 0); /* all of it still came */
    assert_int_equal(len, 1 << 20);
    free(all);
    free(big);
    cio_stream_free(d);
    cio_stream_free(b);
    return NULL;
}

static void stale_handles_are_refused(void **state) {
    (void)state;
    test_run_on_both_pollers(stale);
}

static void double_free_in_child(void) {
    test_run_checked(stale, NULL);
}

static void double_free_is_reported(void **state) {
    (void)state;
    char err[4096];
    int status = test_in_child(double_free_in_child, err, sizeof err);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_non_null(strstr(err, "cio: cio_stream_free: the stream was freed (a stale handle)"));
    assert_non_null(strstr(err, "cio: cio_stream_write: the stream was freed"));
}

static int handler_write_rc;

static void frees_its_stream(cio_stream *stream, void *arg) {
    (void)arg;
    cio_stream_free(stream); /* the server's: refused */
    handler_write_rc = cio_stream_write(stream, "still here\n", 11);
}

static void *server_stream(void *arg) {
    (void)arg;
    cio_server *server;
    assert_int_equal(cio_start_server("127.0.0.1", 0, frees_its_stream, NULL, NULL, &server), 0);
    cio_stream *client;
    assert_int_equal(cio_open_connection("127.0.0.1", cio_server_port(server), NULL, &client), 0);
    char line[16];
    assert_int_equal(cio_stream_readline(client, line, sizeof line), 11);
    assert_string_equal(line, "still here\n");
    assert_int_equal(handler_write_rc, 0);
    assert_int_equal(cio_stream_read(client, line, sizeof line), 0); /* the server closed it */
    cio_stream_free(client);
    cio_server_close(server);
    assert_int_equal(cio_server_wait_closed(server), 0);
    cio_server_free(server);
    return NULL;
}

static void freeing_the_servers_stream_is_refused(void **state) {
    (void)state;
    handler_write_rc = -1;
    test_run_checked(server_stream, NULL);
}

/* ---- typed, NUL-terminated reads ------------------------------------------------------------ */

static void *typed(void *arg) {
    (void)arg;
    cio_stream *a, *b;
    stream_pair(&a, &b, 8); /* reader limit 8 */
    assert_int_equal(cio_stream_write(a, "one\nlonger than 8\nAB--last", 26), 0);
    assert_int_equal(cio_stream_write_eof(a), 0);
    char *line = NULL;
    size_t len = 99;
    assert_int_equal(cio_stream_readline_alloc(b, &line, &len), 0);
    assert_int_equal(len, 4);
    assert_string_equal(line, "one\n");
    free(line);
    assert_int_equal(cio_stream_readline_alloc(b, &line, &len), -CIO_ELIMIT);
    char buf[16];
    assert_int_equal(cio_stream_readexactly(b, buf, 15, NULL), 0); /* still there */
    assert_memory_equal(buf, "longer than 8\n", 14);
    assert_int_equal(cio_stream_readuntil(b, "--", 2, buf, sizeof buf), 3);
    assert_string_equal(buf, "B--");                                /* NUL-terminated */
    assert_int_equal(cio_stream_readline_alloc(b, &line, &len), 0); /* the last line */
    assert_int_equal(len, 4);
    assert_string_equal(line, "last");
    free(line);
    assert_int_equal(cio_stream_readline_alloc(b, &line, &len), 0); /* EOF */
    assert_null(line);
    assert_int_equal(len, 0);
    assert_int_equal(cio_stream_readline(b, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
    assert_int_equal(cio_stream_readline(b, buf, 0), -EINVAL);
    assert_int_equal(cio_stream_readline_alloc(b, NULL, &len), -EINVAL);
    free_pair(a, b);
    return NULL;
}

static void readline_alloc_and_nul_terminated_lines(void **state) {
    (void)state;
    test_run_on_both_pollers(typed);
}

/* ---- issue 20 ------------------------------------------------------------------------------ */

static void *one_byte_left(void *arg) {
    (void)arg;
    cio_stream *a, *b;
    stream_pair(&a, &b, 0);
    assert_int_equal(cio_stream_write(a, "line\nX", 6), 0);
    char buf[64];
    assert_int_equal(cio_stream_readline(b, buf, sizeof buf), 5);
    assert_int_equal(cio_stream_read(b, buf, sizeof buf), 1); /* the one byte left */
    assert_int_equal(buf[0], 'X');
    assert_int_equal(cio_stream_write(a, "line\nY", 6), 0);
    assert_int_equal(cio_stream_readline(b, buf, sizeof buf), 5);
    static char large[64 * 1024];
    assert_int_equal(cio_stream_read(b, large, sizeof large), 1); /* a direct-sized read too */
    assert_int_equal(large[0], 'Y');
    free_pair(a, b);
    return NULL;
}

static void a_byte_left_by_readline_is_read_next(void **state) {
    (void)state;
    test_run_on_both_pollers(one_byte_left);
}

#define MIB (1u << 20)

static void *slow_big_reader(void *arg) {
    cio_stream *stream = arg;
    char *buf = malloc(16384);
    size_t total = 0;
    ssize_t n = 1;
    /* Exactly 4 MiB, not until EOF: a reader that is not parked when the
     * last bytes and the FIN arrive together misses the FIN (the core's one
     * `missed` bit is spent on the wait for the bytes): a core issue,
     * reported separately. */
    while (total < 4 * MIB && (n = cio_stream_read(stream, buf, 16384)) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            size_t at = total + (size_t)i;
            if ((unsigned char)buf[i] != (unsigned char)(at / MIB * 37 + at % 251))
                fail_msg("byte %zu out of order", at);
        }
        total += (size_t)n;
        assert_int_equal(cio_sleep(0.001), 0);
    }
    free(buf);
    return (void *)total;
}

static void *big_iovecs(void *arg) {
    (void)arg;
    cio_stream *a, *b;
    stream_pair(&a, &b, 0);
    int small = 4096;
    setsockopt(cio_stream_fd(a), SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    setsockopt(cio_stream_fd(b), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    struct iovec iov[4];
    for (int i = 0; i < 4; i++) {
        char *chunk = malloc(MIB);
        for (size_t j = 0; j < MIB; j++) chunk[j] = (char)((size_t)i * 37 + (i * MIB + j) % 251);
        iov[i] = (struct iovec){chunk, MIB};
    }
    cio_task *reader;
    assert_int_equal(cio_create_task(slow_big_reader, b, &reader), 0);
    assert_int_equal(cio_stream_writev(a, iov, 4), 0);
    size_t buffered = cio_stream_write_buffer_size(a);
    assert_true(buffered > 0 && buffered < 4 * MIB); /* the first send was partial */
    for (int i = 0; i < 4; i++) free(iov[i].iov_base);
    void *total;
    assert_int_equal(cio_await(reader, &total), 0);
    assert_int_equal((size_t)total, 4 * MIB);
    free_pair(a, b);
    return NULL;
}

/* Reads arg's stream until EXPECTED bytes came, checking byte k is k % 251. */
#define MANY_SMALL_TOTAL (64 * 1000 + 1024 * 1024)
static void *sequence_reader(void *arg) {
    char buf[8192];
    size_t seen = 0;
    while (seen < MANY_SMALL_TOTAL) {
        ssize_t got = cio_stream_read(arg, buf, sizeof buf);
        if (got <= 0) return cio_fail(got < 0 ? (int)got : -EPIPE);
        for (ssize_t i = 0; i < got; i++)
            if ((unsigned char)buf[i] != (seen + (size_t)i) % 251) return cio_fail(-EBADMSG);
        seen += (size_t)got;
    }
    return NULL;
}

/* The first send covers several whole iovecs and part of the next: the
 * queued rest must start exactly after them (no iovec sent twice). */
static void *many_small_iovecs(void *arg) {
    (void)arg;
    cio_stream *a, *b;
    stream_pair(&a, &b, 0);
    char *data = malloc(MANY_SMALL_TOTAL);
    for (size_t k = 0; k < MANY_SMALL_TOTAL; k++) data[k] = (char)(k % 251);
    struct iovec iov[65];
    for (int i = 0; i < 64; i++) iov[i] = (struct iovec){data + i * 1000, 1000};
    iov[64] = (struct iovec){data + 64 * 1000, 1024 * 1024};
    cio_task *reader;
    assert_int_equal(cio_stream_writev(a, iov, 65), 0);
    size_t buffered = cio_stream_write_buffer_size(a);
    assert_true(buffered > 0 && buffered < 1024 * 1024); /* past the small ones at once */
    free(data);
    assert_int_equal(cio_create_task(sequence_reader, b, &reader), 0);
    assert_int_equal(cio_await(reader, NULL), 0);
    free_pair(a, b);
    return NULL;
}

static void writev_of_big_iovecs_after_a_partial_send(void **state) {
    (void)state;
    test_run_on_both_pollers(big_iovecs);
    test_run_on_both_pollers(many_small_iovecs);
}

/* Lost EOF (regression): a reader that is not parked when the last bytes and
 * the FIN arrive together. Its wait for those bytes used up the one "missed"
 * edge, and an edge-triggered poller reports no other: the next read parked
 * forever. The reader sleeps before each read, so it is never parked when the
 * writer's data lands; the timeout turns a hang into a failure. */
static void *write_then_eof(void *arg) {
    cio_stream *stream = arg;
    /* t=1.5 ms: wakes the reader parked since t=1 ms (the fd is now armed);
     * t=2 ms: the rest and the FIN land while it sleeps. */
    assert_int_equal(cio_sleep(0.0015), 0);
    assert_int_equal(cio_stream_write(stream, "abc", 3), 0);
    assert_int_equal(cio_sleep(0.0005), 0);
    assert_int_equal(cio_stream_write(stream, "end", 3), 0);
    assert_int_equal(cio_stream_write_eof(stream), 0);
    return NULL;
}

static void *sleepy_reader_sees_eof(void *arg) {
    (void)arg;
    cio_stream *a, *b;
    stream_pair(&a, &b, 0);
    cio_task *writer;
    assert_int_equal(cio_create_task(write_then_eof, a, &writer), 0);
    cio_timeout scope;
    cio_timeout_begin(&scope, 10.0);
    size_t total = 0;
    ssize_t n;
    char buf[64];
    do {
        assert_int_equal(cio_sleep(0.001), 0);
        n = cio_stream_read(b, buf, sizeof buf);
        if (n > 0) total += (size_t)n;
    } while (n > 0);
    assert_int_equal(n, 0);
    assert_int_equal(cio_timeout_end(&scope), 0);
    assert_int_equal(total, 6);
    assert_int_equal(cio_await(writer, NULL), 0);
    free_pair(a, b);
    return NULL;
}

static void a_reader_not_parked_at_the_fin_sees_eof(void **state) {
    (void)state;
    test_run_on_both_pollers(sleepy_reader_sees_eof);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_reader_not_parked_at_the_fin_sees_eof),
        cmocka_unit_test(read_readline_readuntil_readexactly),
        cmocka_unit_test(lines_across_reads_and_readexactly_at_eof),
        cmocka_unit_test(readline_over_the_limit_keeps_the_data),
        cmocka_unit_test(read_all_after_a_graceful_close_with_data_buffered),
        cmocka_unit_test(writer_backpressure_with_a_slow_reader),
        cmocka_unit_test(writes_keep_their_order),
        cmocka_unit_test(half_close_both_ways),
        cmocka_unit_test(peer_reset_mid_read_and_mid_write),
        cmocka_unit_test(close_wakes_readers_and_use_after_close_is_an_error),
        cmocka_unit_test(abort_drops_buffered_data),
        cmocka_unit_test(cancel_in_read_readline_drain_wait_closed),
        cmocka_unit_test(connect_timeout_and_cancel_in_connect),
        cmocka_unit_test(ipv6_loopback_and_tcp_options),
        cmocka_unit_test(open_connection_from_a_local_address),
        cmocka_unit_test(unix_socket_streams),
        cmocka_unit_test(outside_a_task),
        cmocka_unit_test(every_read_call_refuses_a_second_reader),
        cmocka_unit_test(calls_from_another_thread_are_refused),
        cmocka_unit_test(reset_seen_by_a_write_is_reported_to_readers),
        cmocka_unit_test(stale_handles_are_refused),
        cmocka_unit_test(double_free_is_reported),
        cmocka_unit_test(freeing_the_servers_stream_is_refused),
        cmocka_unit_test(readline_alloc_and_nul_terminated_lines),
        cmocka_unit_test(a_byte_left_by_readline_is_read_next),
        cmocka_unit_test(writev_of_big_iovecs_after_a_partial_send),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
