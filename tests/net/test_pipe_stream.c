/* Streams over pipes, FIFOs and character devices (cio_stream_from_fd):
 * 4 MiB through a pipe with backpressure, EOF by closing the write end,
 * a reader gone (-EPIPE, no SIGPIPE), read-write FIFOs, /dev/null, the
 * kinds of fd refused, cancellation and timeouts in a pipe read, close under
 * a waiting reader. Both pollers; virtual clock; no fd may leak. */
#include "testutil.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* A pipe as two streams: reader (the read end) and writer (the write end). */
static void pipe_pair(cio_stream **reader, cio_stream **writer) {
    int fds[2];
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    assert_int_equal(cio_stream_from_fd(fds[0], 0, reader), 0);
    assert_int_equal(cio_stream_from_fd(fds[1], 0, writer), 0);
}

/* ---- data through a pipe -------------------------------------------------------------- */

#define BIG (4u << 20)

static unsigned char pattern(size_t i) {
    return (unsigned char)(i * 7 + i / 4096);
}

static void *write_big(void *arg) {
    cio_stream *writer = arg;
    unsigned char *data = malloc(BIG);
    for (size_t i = 0; i < BIG; i++) data[i] = pattern(i);
    int rc = 0;
    for (size_t sent = 0; rc == 0 && sent < BIG; sent += 256 * 1024) {
        rc = cio_stream_write(writer, data + sent, 256 * 1024);
        if (rc == 0) rc = cio_stream_drain(writer); /* backpressure: the reader is slower */
        if (rc == 0) assert_true(cio_stream_write_buffer_size(writer) <= CIO_STREAM_HIGH_WATER);
    }
    free(data);
    if (rc == 0) rc = cio_stream_write_eof(writer); /* closes the write end once sent */
    if (rc < 0) cio_stream_abort(writer);           /* the reader sees EOF early, not a hang */
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void *big_main(void *arg) {
    (void)arg;
    cio_stream *reader, *writer;
    pipe_pair(&reader, &writer);
    assert_true(cio_stream_can_write_eof(writer));
    assert_false(cio_stream_can_write_eof(reader));
    cio_task *task;
    assert_int_equal(cio_create_task(write_big, writer, &task), 0);
    unsigned char *got = malloc(BIG);
    size_t done = 0;
    assert_int_equal(cio_stream_readexactly(reader, got, 1000, &done), 0);
    char *rest;
    size_t len;
    assert_int_equal(cio_stream_read_all(reader, &rest, &len), 0);
    assert_int_equal(len, BIG - 1000);
    memcpy(got + 1000, rest, len);
    free(rest);
    for (size_t i = 0; i < BIG; i++)
        if (got[i] != pattern(i)) fail_msg("byte %zu differs", i);
    free(got);
    assert_int_equal(cio_await(task, NULL), 0);
    assert_int_equal(cio_stream_wait_closed(writer), 0); /* write_eof closed it */
    assert_int_equal(cio_stream_write(writer, "x", 1), -CIO_ECLOSED);
    assert_true(cio_stream_at_eof(reader));
    cio_stream_free(reader);
    cio_stream_free(writer);
    return NULL;
}

static void four_mib_through_a_pipe(void **state) {
    (void)state;
    test_run_on_both_pollers(big_main);
}

/* ---- a reader that is gone --------------------------------------------------------------- */

static void *epipe_main(void *arg) {
    (void)arg;
    cio_stream *reader, *writer;
    pipe_pair(&reader, &writer);
    assert_int_equal(cio_stream_write(writer, "hello", 5), 0);
    cio_stream_free(reader);
    static char chunk[256 * 1024];
    assert_int_equal(cio_stream_write(writer, chunk, sizeof chunk), -EPIPE);
    assert_int_equal(cio_stream_drain(writer), -EPIPE); /* sticky */
    sigset_t pending;
    sigpending(&pending);
    assert_false(sigismember(&pending, SIGPIPE)); /* taken back, not left pending */
    cio_stream_free(writer);

    /* The same with data buffered: the flusher meets the broken pipe. */
    pipe_pair(&reader, &writer);
    assert_int_equal(cio_stream_write(writer, chunk, sizeof chunk), 0); /* 64 KiB fit, rest kept */
    assert_true(cio_stream_write_buffer_size(writer) > 0);
    cio_stream_free(reader);
    assert_int_equal(cio_stream_drain(writer), -EPIPE);
    cio_stream_free(writer);
    return NULL;
}

/* SIGPIPE stays at its default (which would kill the test): a broken pipe
 * must come back as -EPIPE. */
static void broken_pipe_is_epipe_without_sigpipe(void **state) {
    (void)state;
    signal(SIGPIPE, SIG_DFL);
    test_run_on_both_pollers(epipe_main);
}

/* ---- other fds -------------------------------------------------------------------------- */

static char fifo_path[64];

static void *fifo_main(void *arg) {
    (void)arg;
    int fd = open(fifo_path, O_RDWR | O_CLOEXEC); /* both ends in one fd */
    assert_true(fd >= 0);
    cio_stream *stream;
    assert_int_equal(cio_stream_from_fd(fd, 0, &stream), 0);
    assert_false(cio_stream_can_write_eof(stream));
    assert_int_equal(cio_stream_write_eof(stream), -ENOTSUP);
    assert_int_equal(cio_stream_write(stream, "ping\n", 5), 0);
    char line[16];
    assert_int_equal(cio_stream_readline(stream, line, sizeof line), 5);
    assert_memory_equal(line, "ping\n", 5);
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;
    assert_int_equal(cio_stream_sockname(stream, (struct sockaddr *)&addr, &len), -ENOTSOCK);
    cio_stream_free(stream);

    fd = open("/dev/null", O_RDONLY | O_CLOEXEC); /* a character device */
    assert_int_equal(cio_stream_from_fd(fd, 0, &stream), 0);
    assert_int_equal(cio_stream_read(stream, line, sizeof line), 0); /* EOF at once */
    cio_stream_free(stream);
    return NULL;
}

static void fifo_and_device(void **state) {
    (void)state;
    snprintf(fifo_path, sizeof fifo_path, "/tmp/cio-test-fifo.%d", (int)getpid());
    unlink(fifo_path);
    assert_int_equal(mkfifo(fifo_path, 0600), 0);
    test_run_on_both_pollers(fifo_main);
    unlink(fifo_path);
}

static void *refused_main(void *arg) {
    (void)arg;
    cio_stream *stream = (cio_stream *)&stream;
    assert_int_equal(cio_stream_from_fd(-1, 0, &stream), -EINVAL);
    assert_null(stream);
    int fds[2];
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    assert_int_equal(cio_stream_from_fd(fds[0], 0, NULL), -EINVAL);
    close(fds[0]);
    close(fds[1]);
    assert_int_equal(cio_stream_from_fd(fds[0], 0, &stream), -EBADF); /* closed */

    char path[64];
    snprintf(path, sizeof path, "/tmp/cio-test-file.%d", (int)getpid());
    int file = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(file >= 0);
    unlink(path);
    assert_int_equal(cio_stream_from_fd(file, 0, &stream), -EINVAL); /* a regular file */
    assert_int_equal(fcntl(file, F_GETFL) & O_NONBLOCK, 0);          /* left as it was */
    close(file);
    int dir = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_int_equal(cio_stream_from_fd(dir, 0, &stream), -EINVAL); /* a directory */
    close(dir);
    int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_int_equal(cio_stream_from_fd(udp, 0, &stream), -EINVAL); /* not a stream socket */
    close(udp);

    int pair[2]; /* a stream socket: a socket stream, half-close and all */
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
    assert_int_equal(cio_stream_from_fd(pair[0], 0, &stream), 0);
    assert_true(cio_stream_can_write_eof(stream));
    assert_int_equal(cio_stream_write_eof(stream), 0);
    char byte;
    assert_int_equal(read(pair[1], &byte, 1), 0);
    cio_stream_free(stream);
    close(pair[1]);
    return NULL;
}

static void fds_a_stream_refuses(void **state) {
    (void)state;
    test_run_checked(refused_main, "epoll");
    cio_stream *stream;
    assert_int_equal(cio_stream_from_fd(0, 0, &stream), -EINVAL); /* no running loop */
}

/* ---- waiting: cancel, timeout, close ------------------------------------------------------- */

static void *read_one(void *arg) {
    char buf[8];
    ssize_t n = cio_stream_read(arg, buf, sizeof buf);
    return n < 0 ? cio_fail((int)n) : (void *)(intptr_t)n;
}

static void *close_later(void *arg) {
    cio_sleep(2.0);
    cio_stream_close(arg);
    return NULL;
}

static void *waits_main(void *arg) {
    (void)arg;
    cio_stream *reader, *writer;
    pipe_pair(&reader, &writer);

    cio_task *task;
    assert_int_equal(cio_create_task(read_one, reader, &task), 0);
    cio_sleep(1.0);
    assert_int_equal(cio_stream_read(reader, &(char){0}, 1), -EBUSY); /* one reader at a time */
    cio_task_cancel(task);
    assert_int_equal(cio_await(task, NULL), -ECANCELED);

    cio_timeout scope;
    char buf[8];
    double start = test_now();
    cio_timeout_begin(&scope, 0.5);
    ssize_t n = cio_stream_readline(reader, buf, sizeof buf);
    assert_int_equal(cio_timeout_end(&scope), -ETIMEDOUT);
    assert_int_equal(n, -ETIMEDOUT);
    assert_true(test_now() - start == 0.5);

    assert_int_equal(cio_stream_write(writer, "late\n", 5), 0); /* nothing was lost */
    assert_int_equal(cio_stream_readline(reader, buf, sizeof buf), 5);

    cio_task *closer;
    assert_int_equal(cio_create_task(close_later, reader, &closer), 0);
    assert_int_equal(cio_stream_read(reader, buf, sizeof buf), -CIO_ECLOSED);
    assert_int_equal(cio_await(closer, NULL), 0);
    cio_stream_free(reader);
    cio_stream_free(writer);
    return NULL;
}

static void cancel_timeout_and_close_in_a_read(void **state) {
    (void)state;
    test_run_on_both_pollers(waits_main);
}

/* ---- the application's own SIGPIPE handler ------------------------------------------------ */

static volatile sig_atomic_t app_sigpipes;

static void count_sigpipe(int sig) {
    (void)sig;
    app_sigpipes++;
}

static void *epipe_with_a_handler(void *arg) {
    (void)arg;
    cio_stream *reader, *writer;
    pipe_pair(&reader, &writer);
    assert_int_equal(cio_stream_write(writer, "one", 3), 0);
    cio_stream_free(reader);
    assert_int_equal(cio_stream_write(writer, "two", 3), -EPIPE);
    assert_int_equal(app_sigpipes, 0); /* cio's broken pipe never reaches the handler */
    /* The application's own write in the loop thread: its SIGPIPE waits while
     * the loop runs, and is delivered when the loop closes. */
    int fds[2];
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    close(fds[0]);
    assert_int_equal(write(fds[1], "x", 1), -1);
    assert_int_equal(errno, EPIPE);
    close(fds[1]);
    cio_stream_free(writer);
    return NULL;
}

static void sigpipe_handler_of_the_application(void **state) {
    (void)state;
    struct sigaction sa = {.sa_handler = count_sigpipe}, old;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPIPE, &sa, &old);
    app_sigpipes = 0;
    test_run_checked(epipe_with_a_handler, NULL);
    assert_int_equal(app_sigpipes, 1); /* the application's own, once the loop closed */
    sigset_t now;
    pthread_sigmask(SIG_BLOCK, NULL, &now);
    assert_false(sigismember(&now, SIGPIPE)); /* the thread's mask is its own again */
    sigaction(SIGPIPE, &old, NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(four_mib_through_a_pipe),
        cmocka_unit_test(broken_pipe_is_epipe_without_sigpipe),
        cmocka_unit_test(sigpipe_handler_of_the_application),
        cmocka_unit_test(fifo_and_device),
        cmocka_unit_test(fds_a_stream_refuses),
        cmocka_unit_test(cancel_timeout_and_close_in_a_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
