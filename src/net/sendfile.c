/* src/net/sendfile.c - sending a file's bytes to a stream or a socket
 * (asyncio's loop.sendfile and loop.sock_sendfile).
 *
 * The kernel copies file pages straight to the socket with sendfile(2): no
 * pass through user memory. Where it cannot (a TLS stream, whose bytes must
 * be encrypted here; a file it refuses with EINVAL/ENOSYS/ESPIPE: a pipe),
 * the fallback reads chunks with pread and sends them like a write, unless
 * the caller said no_fallback. Either way the file's own position is neither
 * used nor moved (the pread convention); *sent says how far it got.
 *
 * One "sink" abstracts where bytes go: a stream (through its transport, its
 * waits, its closing) or a bare socket fd (cio_sock_*'s waits). */
#include "net/net.h"

#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

/* The fallback's chunk: big enough that syscalls are not the cost (a
 * 64 KiB copy is ~10 us), small enough to malloc per call. */
#define COPY_CHUNK (64u * 1024u)
/* One sendfile(2) call's most (Linux caps it at 0x7ffff000 anyway); a
 * non-blocking socket takes only what fits, so calls are short regardless. */
#define NATIVE_CHUNK ((size_t)1 << 30)

struct sink {
    cio_task *task;
    cio_loop *loop;
    cio_stream *stream; /* NULL: a bare socket */
    int fd;
};

/* Wait until the sink can take more bytes. 0, an interrupt, -CIO_ECLOSED. */
static int sink_wait(struct sink *sink) {
    if (sink->stream) return cio__stream_wait(sink->stream, sink->task, CIO__WRITABLE);
    return cio__io_wait(sink->task, sink->fd, CIO__WRITABLE, false);
}

/* Let other tasks run when the budget is spent. A stream may be closed
 * meanwhile: its fd is gone then (its number may be another file's). */
static int sink_spend(struct sink *sink) {
    if (!cio__budget_spend(sink->loop)) return 0;
    int rc = cio__budget_yield(sink->task);
    if (rc == 0 && sink->stream && sink->stream->state == CIO__STREAM_CLOSED) rc = -CIO_ECLOSED;
    return rc;
}

/* Bytes left to send, or SIZE_MAX for "to EOF" (count 0). */
static size_t left(size_t count, size_t done) {
    return count ? count - done : SIZE_MAX;
}

/* ---- sendfile(2) --------------------------------------------------------------------------- */

struct native_args {
    int out_fd, in_fd;
    off_t *offset;
    size_t len;
};

static ssize_t do_sendfile(void *ctx) {
    struct native_args *args = ctx;
    return sendfile(args->out_fd, args->in_fd, args->offset, args->len);
}

/* One sendfile(2): the count (0 at EOF), -EAGAIN when the socket is full,
 * or -errno (EINTR retried; SIGPIPE never raised). */
static ssize_t native_once(struct sink *sink, int file_fd, off_t *offset, size_t len) {
    struct native_args args = {sink->fd, file_fd, offset, len < NATIVE_CHUNK ? len : NATIVE_CHUNK};
    for (;;) {
        ssize_t n = cio__net_quietly(sink->loop, do_sendfile, &args);
        if (n >= 0) return n;
        if (errno == EWOULDBLOCK) return -EAGAIN;
        if (errno != EINTR) return -errno;
    }
}

/* Send with sendfile(2) until count bytes (or EOF). 0; -ENOTSUP when the
 * kernel refuses this file or fd (nothing was lost: the caller may copy from
 * *done on); or another error. */
static int send_native(struct sink *sink, int file_fd, off_t offset, size_t count, size_t *done) {
    while (left(count, *done) > 0) {
        off_t at = offset + (off_t)*done;
        ssize_t n = native_once(sink, file_fd, &at, left(count, *done));
        if (n == 0) return 0; /* EOF */
        int rc = 0;
        if (n > 0) {
            *done += (size_t)n;
            rc = sink_spend(sink);
        } else if (n == -EAGAIN) {
            rc = sink_wait(sink);
        } else {
            return n == -EINVAL || n == -ENOSYS || n == -ESPIPE ? -ENOTSUP : (int)n;
        }
        if (rc < 0) return rc;
    }
    return 0;
}

/* ---- the read/write copy ---------------------------------------------------------------- */

/* Read up to len bytes of the file at offset: pread, or read for a file
 * that cannot seek (a pipe: offset counts what was read from it already). */
static ssize_t read_file_at(int file_fd, void *buf, size_t len, off_t offset, bool seekable) {
    for (;;) {
        ssize_t n = seekable ? pread(file_fd, buf, len, offset) : read(file_fd, buf, len);
        if (n >= 0) return n;
        if (errno != EINTR) return -errno;
    }
}

/* Send all of buf through the sink, waiting for room as needed. */
static int sink_send_all(struct sink *sink, const char *buf, size_t len) {
    if (!sink->stream) return cio_sock_send_all(sink->fd, buf, len, NULL);
    size_t done = 0;
    while (done < len) {
        struct iovec iov = {.iov_base = (void *)(buf + done), .iov_len = len - done};
        ssize_t n = sink->stream->io->send(sink->stream, &iov, 1);
        if (n < 0) return (int)n;
        done += (size_t)n;
        int rc = done < len ? sink_wait(sink) : 0;
        if (rc < 0) return rc;
    }
    return 0;
}

static int send_copy(struct sink *sink, int file_fd, off_t offset, size_t count, size_t *done) {
    bool seekable = lseek(file_fd, 0, SEEK_CUR) >= 0 || errno != ESPIPE;
    if (!seekable && offset != 0) return -ESPIPE; /* a pipe has no offsets to start from */
    char *chunk = malloc(COPY_CHUNK);
    if (!chunk) return -ENOMEM;
    int rc = 0;
    while (rc == 0 && left(count, *done) > 0) {
        size_t want = left(count, *done) < COPY_CHUNK ? left(count, *done) : COPY_CHUNK;
        ssize_t n = read_file_at(file_fd, chunk, want, offset + (off_t)*done, seekable);
        if (n <= 0) {
            rc = (int)n; /* 0: EOF */
            break;
        }
        rc = sink_send_all(sink, chunk, (size_t)n);
        if (rc == 0) *done += (size_t)n; /* a failed send's partial count is lost with it */
        if (rc == 0) rc = sink_spend(sink);
    }
    free(chunk);
    return rc;
}

/* ---- both forms --------------------------------------------------------------------------- */

static int send_file(struct sink *sink, int file_fd, off_t offset, size_t count, bool native,
                     const cio_sendfile_options *opts, size_t *done) {
    bool copy = opts && opts->copy;
    bool fallback = !(opts && opts->no_fallback);
    if (copy && !fallback) return -EINVAL;
    if (native && !copy) {
        int rc = send_native(sink, file_fd, offset, count, done);
        if (rc != -ENOTSUP || !fallback) return rc;
    } else if (!fallback) {
        return -ENOTSUP;
    }
    return send_copy(sink, file_fd, offset, count, done);
}

/* The checks both forms make of the file and the numbers. A closed
 * file_fd needs no check of its own: sendfile(2) and pread say -EBADF. */
static int check_file(int file_fd, off_t offset, size_t count) {
    if (offset < 0) return -EINVAL;
    if (count > (size_t)INT64_MAX - (size_t)offset) return -EOVERFLOW;
    return file_fd < 0 ? -EBADF : 0;
}

/* Only plain fds can take sendfile(2); a TLS stream's bytes pass through
 * its engine. */
static bool stream_is_plain(const cio_stream *stream) {
    return stream->io == &cio__socket_io || stream->io == &cio__pipe_io;
}

static int check_stream(cio_stream *stream) {
    if (stream->kind == CIO__STREAM_READ_END) return -EBADF;
    if (stream->write_error) return stream->write_error;
    if (stream->state != CIO__STREAM_OPEN || stream->eof_wanted) return -CIO_ECLOSED;
    if (stream->upgrading || stream->sending_file) return -EBUSY;
    return 0;
}

/* Let what earlier writes buffered go first: wait until the flusher is done. */
static int wait_flushed(cio_stream *stream, cio_task *task) {
    int rc = 0;
    while (rc == 0 && stream->flusher)
        rc = cio__net_park_as(task, &stream->drainers, CIO_WAIT_STREAM_WRITE, stream, "drain");
    if (rc == 0) rc = check_stream(stream);
    return rc;
}

static int stream_sendfile(cio_stream *stream, cio_task *task, int file_fd, off_t offset,
                           size_t count, const cio_sendfile_options *opts, size_t *done) {
    int rc = wait_flushed(stream, task);
    if (rc < 0) return rc;
    stream->sending_file = true;
    struct sink sink = {task, stream->loop, stream, stream->fd};
    rc = send_file(&sink, file_fd, offset, count, stream_is_plain(stream), opts, done);
    stream->sending_file = false;
    if (rc == -EBADF && stream->state != CIO__STREAM_OPEN) rc = -CIO_ECLOSED; /* closed under us */
    return rc;
}

int cio_stream_sendfile_ex(cio_stream *stream, int file_fd, off_t offset, size_t count,
                           const cio_sendfile_options *opts, size_t *sent) {
    if (sent) *sent = 0;
    int rc = cio__stream_check(stream, "cio_stream_sendfile");
    if (rc < 0) return rc;
    cio_task *task = cio__task_current_or_complain("cio_stream_sendfile");
    if (!task) return -EPERM;
    if (stream->loop != cio__task_loop(task)) return -EINVAL;
    if ((rc = check_stream(stream)) < 0 || (rc = check_file(file_fd, offset, count)) < 0) return rc;
    size_t done = 0;
    cio__stream_ref(stream);
    rc = stream_sendfile(stream, task, file_fd, offset, count, opts, &done);
    cio__stream_unref(stream);
    if (sent) *sent = done;
    return rc;
}

int cio_stream_sendfile(cio_stream *stream, int file_fd, off_t offset, size_t count, size_t *sent) {
    return cio_stream_sendfile_ex(stream, file_fd, offset, count, NULL, sent);
}

int cio_sock_sendfile(int fd, int file_fd, off_t offset, size_t count,
                      const cio_sendfile_options *opts, size_t *sent) {
    if (sent) *sent = 0;
    cio_task *task = cio__task_current_or_complain("cio_sock_sendfile");
    if (!task) return -EPERM;
    if (fd < 0) return -EBADF;
    int rc = check_file(file_fd, offset, count);
    if (rc < 0) return rc;
    struct sink sink = {task, cio__task_loop(task), NULL, fd};
    size_t done = 0;
    rc = send_file(&sink, file_fd, offset, count, true, opts, &done);
    if (sent) *sent = done;
    return rc;
}
