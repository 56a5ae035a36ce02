/* Sending files to streams and sockets (cio_stream_sendfile,
 * cio_sock_sendfile): sizes 0, 1, 16 KiB and a large sparse file, offsets
 * and counts, sendfile(2) and the read/write copy (forced, and chosen for a
 * file sendfile refuses), buffered writes first, errors. Virtual clock. */
#include "testutil.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const cio_sendfile_options copy_opts = {.copy = true};

static unsigned char pattern(off_t at) {
    return (unsigned char)(at * 31 + (at >> 10));
}

/* An unlinked temporary file of size bytes of pattern(). */
static int pattern_file(size_t size) {
    char path[] = "/tmp/cio-sendfile-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    unsigned char buf[4096];
    for (size_t at = 0; at < size; at += sizeof buf) {
        size_t n = size - at < sizeof buf ? size - at : sizeof buf;
        for (size_t i = 0; i < n; i++) buf[i] = pattern((off_t)(at + i));
        assert_int_equal(pwrite(fd, buf, n, (off_t)at), (ssize_t)n);
    }
    return fd;
}

static void stream_pair(cio_stream **a, cio_stream **b) {
    int fds[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    assert_int_equal(cio_stream_from_socket(fds[0], 0, a), 0);
    assert_int_equal(cio_stream_from_socket(fds[1], 0, b), 0);
}

/* Reads a stream to EOF, keeping up to cap bytes and counting all. */
struct receiver {
    cio_stream *stream;
    unsigned char *data;
    size_t cap, len;
    size_t total;
    unsigned char last[4096]; /* the stream's final bytes (up to 4 KiB) */
    size_t last_len;
};

static void keep_last(struct receiver *r, const unsigned char *buf, size_t n) {
    if (n >= sizeof r->last) {
        memcpy(r->last, buf + n - sizeof r->last, sizeof r->last);
        r->last_len = sizeof r->last;
        return;
    }
    size_t keep = r->last_len + n > sizeof r->last ? sizeof r->last - n : r->last_len;
    memmove(r->last, r->last + r->last_len - keep, keep);
    memcpy(r->last + keep, buf, n);
    r->last_len = keep + n;
}

static void *receive(void *arg) {
    struct receiver *r = arg;
    size_t size = 256 * 1024;
    unsigned char *buf = malloc(size);
    ssize_t n;
    while ((n = cio_stream_read(r->stream, buf, size)) > 0) {
        size_t keep = r->len + (size_t)n <= r->cap ? (size_t)n : r->cap - r->len;
        memcpy(r->data + r->len, buf, keep);
        r->len += keep;
        r->total += (size_t)n;
        keep_last(r, buf, (size_t)n);
    }
    free(buf);
    return n < 0 ? cio_fail((int)n) : NULL;
}

static cio_task *start_receiver(struct receiver *r, cio_stream *stream, size_t cap) {
    *r = (struct receiver){.stream = stream, .cap = cap};
    r->data = malloc(cap ? cap : 1);
    return test_spawn(receive, r);
}

static void check_pattern(const unsigned char *data, size_t len, off_t from) {
    for (size_t i = 0; i < len; i++)
        if (data[i] != pattern(from + (off_t)i)) fail_msg("byte %zu differs", i);
}

/* ---- sizes, offsets, counts: with sendfile(2) and with the copy -------------------------------
 */

struct send_case {
    size_t file_size;
    off_t offset;
    size_t count;
    size_t expect;
    const cio_sendfile_options *opts;
};

static void *send_one(void *arg) {
    const struct send_case *c = arg;
    int file = pattern_file(c->file_size);
    cio_stream *a, *b;
    stream_pair(&a, &b);
    struct receiver r;
    cio_task *reader = start_receiver(&r, b, c->expect);
    size_t sent = 99;
    assert_int_equal(cio_stream_sendfile_ex(a, file, c->offset, c->count, c->opts, &sent), 0);
    assert_int_equal(sent, c->expect);
    assert_int_equal(cio_stream_close(a), 0);
    assert_int_equal(cio_await(reader, NULL), 0);
    assert_int_equal(r.total, c->expect);
    check_pattern(r.data, r.len, c->offset);
    free(r.data);
    cio_stream_free(a);
    cio_stream_free(b);
    close(file);
    return NULL;
}

static void run_cases(const cio_sendfile_options *opts) {
    const struct send_case cases[] = {
        {0, 0, 0, 0, opts},                           /* empty file, to EOF */
        {1, 0, 0, 1, opts},                           /* one byte */
        {16384, 0, 0, 16384, opts},                   /* 16 KiB to EOF */
        {16384, 0, 16384, 16384, opts},               /* the same, counted */
        {16384, 100, 1000, 1000, opts},               /* a slice */
        {16384, 16000, 1000, 384, opts},              /* count past EOF: what there is */
        {16384, 20000, 0, 0, opts},                   /* offset past EOF */
        {1 << 20, 12345, 0, (1 << 20) - 12345, opts}, /* more than a socket buffer */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        void *result;
        assert_int_equal(test_run(send_one, (void *)&cases[i], &result, NULL), 0);
    }
}

static void sendfile_sizes_and_slices(void **state) {
    (void)state;
    run_cases(NULL);
}

static void sendfile_sizes_and_slices_copy(void **state) {
    (void)state;
    run_cases(&copy_opts);
}

/* ---- a large sparse file -------------------------------------------------------------- */

struct large {
    const cio_sendfile_options *opts;
    off_t size, offset;
};

static void *send_large(void *arg) {
    const struct large *l = arg;
    char path[] = "/tmp/cio-sendfile-XXXXXX";
    int file = mkstemp(path);
    assert_true(file >= 0);
    unlink(path);
    assert_int_equal(ftruncate(file, l->size), 0);
    unsigned char tail[4096];
    for (size_t i = 0; i < sizeof tail; i++) tail[i] = pattern(l->size - 4096 + (off_t)i);
    assert_int_equal(pwrite(file, tail, sizeof tail, l->size - 4096), 4096);

    int fds[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    cio_stream *a, *b;
    assert_int_equal(cio_stream_from_socket(fds[0], 0, &a), 0);
    assert_int_equal(cio_stream_from_socket(fds[1], 0, &b), 0);
    struct receiver r;
    cio_task *reader = start_receiver(&r, b, 0);
    size_t sent;
    assert_int_equal(cio_stream_sendfile_ex(a, file, l->offset, 0, l->opts, &sent), 0);
    assert_int_equal(sent, (size_t)(l->size - l->offset));
    cio_stream_close(a);
    assert_int_equal(cio_await(reader, NULL), 0);
    assert_int_equal(r.total, sent);
    assert_int_equal(r.last_len, 4096);
    assert_memory_equal(r.last, tail, 4096);
    free(r.data);
    cio_stream_free(a);
    cio_stream_free(b);
    close(file);
    return NULL;
}

/* 1 GiB sparse, the last 64 MiB of it: the pages are holes, so only the
 * socket's speed counts. */
static void sendfile_large_sparse(void **state) {
    (void)state;
    struct large l = {NULL, (off_t)1 << 30, ((off_t)1 << 30) - (64 << 20)};
    assert_int_equal(test_run(send_large, &l, NULL, NULL), 0);
    l.opts = &copy_opts;
    assert_int_equal(test_run(send_large, &l, NULL, NULL), 0);
}

/* Offsets past 4 GiB: 64-bit all the way. */
static void sendfile_offset_past_4g(void **state) {
    (void)state;
    struct large l = {NULL, ((off_t)5 << 30), ((off_t)5 << 30) - (1 << 20)};
    assert_int_equal(test_run(send_large, &l, NULL, NULL), 0);
    l.opts = &copy_opts;
    assert_int_equal(test_run(send_large, &l, NULL, NULL), 0);
}

/* ---- a file sendfile(2) refuses: the copy takes over, unless no_fallback -----------------------
 */

static void *from_pipe(void *arg) {
    (void)arg;
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(write(p[1], "piped bytes", 11), 11);
    close(p[1]);
    cio_stream *a, *b;
    stream_pair(&a, &b);
    size_t sent = 99;
    const cio_sendfile_options strict = {.no_fallback = true};
    assert_int_equal(cio_stream_sendfile_ex(a, p[0], 0, 0, &strict, &sent), -ENOTSUP);
    assert_int_equal(sent, 0);
    assert_int_equal(cio_stream_sendfile_ex(a, p[0], 5, 0, NULL, &sent), -ESPIPE);
    assert_int_equal(cio_stream_sendfile(a, p[0], 0, 0, &sent), 0);
    assert_int_equal(sent, 11);
    cio_stream_close(a);
    char *data;
    size_t len;
    assert_int_equal(cio_stream_read_all(b, &data, &len), 0);
    assert_int_equal(len, 11);
    assert_memory_equal(data, "piped bytes", 11);
    free(data);
    cio_stream_free(a);
    cio_stream_free(b);
    close(p[0]);
    return NULL;
}

/* Into a pipe's write end: sendfile(2) splices into pipes too. */
static void *into_pipe(void *arg) {
    const cio_sendfile_options *opts = arg;
    int file = pattern_file(100000);
    int p[2];
    assert_int_equal(pipe(p), 0);
    cio_stream *in, *out;
    assert_int_equal(cio_stream_from_fd(p[0], 0, &in), 0);
    assert_int_equal(cio_stream_from_fd(p[1], 0, &out), 0);
    struct receiver r;
    cio_task *reader = start_receiver(&r, in, 100000);
    size_t sent;
    assert_int_equal(cio_stream_sendfile_ex(out, file, 0, 0, opts, &sent), 0);
    assert_int_equal(sent, 100000);
    assert_int_equal(cio_stream_close(out), 0);
    assert_int_equal(cio_await(reader, NULL), 0);
    assert_int_equal(r.total, 100000);
    check_pattern(r.data, r.len, 0);
    free(r.data);
    /* A pipe's read end cannot be written to. */
    assert_int_equal(cio_stream_sendfile(in, file, 0, 0, &sent), -EBADF);
    cio_stream_free(in);
    cio_stream_free(out);
    close(file);
    return NULL;
}

static void sendfile_into_a_pipe(void **state) {
    (void)state;
    assert_int_equal(test_run(into_pipe, NULL, NULL, NULL), 0);
    assert_int_equal(test_run(into_pipe, (void *)&copy_opts, NULL, NULL), 0);
}

static void sendfile_falls_back_for_a_pipe(void **state) {
    (void)state;
    test_run_checked(from_pipe, NULL);
}

/* ---- order: what writes buffered goes first; writes wait meanwhile ------------------------------
 */

struct order {
    cio_stream *a;
    int write_rc;
};

static void *write_meanwhile(void *arg) {
    struct order *o = arg;
    o->write_rc = cio_stream_write(o->a, "late", 4);
    return NULL;
}

static void *buffered_first(void *arg) {
    (void)arg;
    int file = pattern_file(300000);
    cio_stream *a, *b;
    stream_pair(&a, &b);
    size_t head_len = 1 << 20; /* more than the socket takes: most stays buffered */
    unsigned char *head = malloc(head_len);
    memset(head, 'h', head_len);
    assert_int_equal(cio_stream_write(a, head, head_len), 0);
    assert_true(cio_stream_write_buffer_size(a) > 0);
    struct receiver r;
    cio_task *reader = start_receiver(&r, b, head_len + 4 + 300000);
    struct order o = {a, 1};
    cio_task *writer = test_spawn(write_meanwhile, &o);
    size_t sent;
    assert_int_equal(cio_stream_sendfile(a, file, 0, 0, &sent), 0);
    assert_int_equal(sent, 300000);
    assert_int_equal(cio_await(writer, NULL), 0);
    /* It ran while the sendfile waited for the buffer (-EBUSY), or before. */
    assert_true(o.write_rc == -EBUSY || o.write_rc == 0);
    cio_stream_close(a);
    assert_int_equal(cio_await(reader, NULL), 0);
    size_t late = o.write_rc == 0 ? 4 : 0;
    assert_int_equal(r.total, head_len + late + 300000);
    for (size_t i = 0; i < head_len; i++)
        if (r.data[i] != 'h') fail_msg("head byte %zu", i);
    check_pattern(r.data + head_len + late, 300000, 0);
    free(r.data);
    free(head);
    cio_stream_free(a);
    cio_stream_free(b);
    close(file);
    return NULL;
}

static void sendfile_after_buffered_writes(void **state) {
    (void)state;
    test_run_checked(buffered_first, NULL);
}

/* ---- errors ---------------------------------------------------------------------------------- */

static void *bad_arguments(void *arg) {
    (void)arg;
    int file = pattern_file(100);
    cio_stream *a, *b;
    stream_pair(&a, &b);
    size_t sent = 99;
    assert_int_equal(cio_stream_sendfile(a, -1, 0, 0, &sent), -EBADF);
    assert_int_equal(sent, 0);
    int closed = dup(file);
    close(closed);
    assert_int_equal(cio_stream_sendfile(a, closed, 0, 0, &sent), -EBADF);
    assert_int_equal(cio_stream_sendfile(a, file, -1, 0, &sent), -EINVAL);
    assert_int_equal(cio_stream_sendfile(a, file, 10, SIZE_MAX, &sent), -EOVERFLOW);
    const cio_sendfile_options both = {.copy = true, .no_fallback = true};
    assert_int_equal(cio_stream_sendfile_ex(a, file, 0, 0, &both, &sent), -EINVAL);
    assert_int_equal(cio_stream_sendfile(NULL, file, 0, 0, &sent), -EINVAL);
    /* A file open for writing only: sendfile and pread both refuse it. */
    char path[] = "/tmp/cio-sendfile-XXXXXX";
    int wronly = mkstemp(path);
    int w = open(path, O_WRONLY);
    unlink(path);
    close(wronly);
    assert_int_equal(cio_stream_sendfile(a, w, 0, 0, &sent), -EBADF);
    assert_int_equal(cio_stream_sendfile_ex(a, w, 0, 0, &copy_opts, &sent), -EBADF);
    close(w);
    /* Closed stream. */
    assert_int_equal(cio_stream_close(a), 0);
    assert_int_equal(cio_stream_sendfile(a, file, 0, 0, &sent), -CIO_ECLOSED);
    cio_stream_free(a);
    cio_stream_free(b);
    close(file);
    return NULL;
}

static void sendfile_bad_arguments(void **state) {
    (void)state;
    test_run_checked(bad_arguments, NULL);
    int file = pattern_file(10);
    size_t sent = 99;
    assert_int_equal(cio_sock_sendfile(0, file, 0, 0, NULL, &sent), -EPERM); /* outside a task */
    assert_int_equal(sent, 0);
    close(file);
}

static void *peer_gone(void *arg) {
    const cio_sendfile_options *opts = arg;
    int file = pattern_file(1 << 20);
    cio_stream *a, *b;
    stream_pair(&a, &b);
    cio_stream_free(b); /* the peer is gone: no SIGPIPE may kill us */
    size_t sent = 99;
    assert_int_equal(cio_stream_sendfile_ex(a, file, 0, 0, opts, &sent), -EPIPE);
    assert_int_equal(sent, 0);
    cio_stream_free(a);
    close(file);
    return NULL;
}

static void sendfile_to_a_gone_peer(void **state) {
    (void)state;
    signal(SIGPIPE, SIG_DFL);
    assert_int_equal(test_run(peer_gone, NULL, NULL, NULL), 0);
    assert_int_equal(test_run(peer_gone, (void *)&copy_opts, NULL, NULL), 0);
}

struct stuck {
    cio_stream *a;
    int file;
    size_t sent;
    const cio_sendfile_options *opts;
};

static void *send_stuck(void *arg) {
    struct stuck *s = arg;
    return cio_fail(cio_stream_sendfile_ex(s->a, s->file, 0, 0, s->opts, &s->sent));
}

/* Nobody reads: the sendfile waits, then is cancelled or its stream closed. */
static void *interrupted(void *arg) {
    const cio_sendfile_options *opts = arg;
    struct stuck s = {.file = pattern_file(4 << 20), .opts = opts};
    cio_stream *b;
    stream_pair(&s.a, &b);
    cio_task *sender = test_spawn(send_stuck, &s);
    cio_sleep(1.0);
    assert_false(cio_task_done(sender));
    cio_task_cancel(sender);
    assert_int_equal(cio_await(sender, NULL), -ECANCELED);
    assert_true(s.sent > 0 && s.sent < (4 << 20));
    size_t first = s.sent;
    sender = test_spawn(send_stuck, &s);
    cio_sleep(1.0);
    assert_int_equal(cio_stream_write(s.a, "x", 1), -EBUSY);
    size_t other = 99;
    assert_int_equal(cio_stream_sendfile(s.a, s.file, 0, 0, &other), -EBUSY); /* one at a time */
    assert_int_equal(other, 0);
    assert_int_equal(cio_stream_close(s.a), 0);
    assert_int_equal(cio_await(sender, NULL), -CIO_ECLOSED);
    (void)first;
    cio_stream_free(s.a);
    cio_stream_free(b);
    close(s.file);
    return NULL;
}

static void sendfile_cancelled_and_closed(void **state) {
    (void)state;
    assert_int_equal(test_run(interrupted, NULL, NULL, NULL), 0);
    assert_int_equal(test_run(interrupted, (void *)&copy_opts, NULL, NULL), 0);
}

/* ---- the socket form ------------------------------------------------------------------------ */

static void *on_socket(void *arg) {
    const cio_sendfile_options *opts = arg;
    int file = pattern_file(16384);
    int fds[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    size_t sent;
    assert_int_equal(cio_sock_sendfile(fds[0], file, 10, 0, opts, &sent), 0);
    assert_int_equal(sent, 16374);
    unsigned char buf[16384];
    size_t got = 0;
    while (got < 16374) {
        ssize_t n = cio_sock_recv(fds[1], buf + got, sizeof buf - got);
        assert_true(n > 0);
        got += (size_t)n;
    }
    check_pattern(buf, got, 10);
    assert_int_equal(cio_sock_sendfile(-1, file, 0, 0, opts, &sent), -EBADF);
    assert_int_equal(cio_sock_sendfile(fds[0], -1, 0, 0, opts, &sent), -EBADF);
    assert_int_equal(cio_sock_sendfile(fds[0], file, -5, 0, opts, &sent), -EINVAL);
    cio_close(fds[0]);
    cio_close(fds[1]);
    close(file);
    return NULL;
}

static void sendfile_on_a_socket(void **state) {
    (void)state;
    test_run_on_both_pollers(on_socket);
    assert_int_equal(test_run(on_socket, (void *)&copy_opts, NULL, NULL), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sendfile_sizes_and_slices),
        cmocka_unit_test(sendfile_sizes_and_slices_copy),
        cmocka_unit_test(sendfile_large_sparse),
        cmocka_unit_test(sendfile_offset_past_4g),
        cmocka_unit_test(sendfile_falls_back_for_a_pipe),
        cmocka_unit_test(sendfile_into_a_pipe),
        cmocka_unit_test(sendfile_after_buffered_writes),
        cmocka_unit_test(sendfile_bad_arguments),
        cmocka_unit_test(sendfile_to_a_gone_peer),
        cmocka_unit_test(sendfile_cancelled_and_closed),
        cmocka_unit_test(sendfile_on_a_socket),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
