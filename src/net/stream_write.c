/* src/net/stream_write.c - a stream's writing side (asyncio's StreamWriter
 * and the write half of its transport).
 *
 * write() never suspends: with nothing queued it sends at once (one syscall,
 * no copy, the hot path), and queues in `out` only what the socket did not
 * take. While `out` holds data a flusher task owns the sending: it waits for
 * writability, sends, wakes drainers once `out` is down to the low-water
 * mark, and exits when `out` is empty - closing the socket if close() came
 * meanwhile, or shutting down its sending side for write_eof(). So bytes are
 * handed to the kernel in the order they were written, and a graceful close
 * loses nothing. Sends use MSG_NOSIGNAL (pipes: SIGPIPE held off around the
 * writev): a dead peer is -EPIPE, never SIGPIPE. */
#include "net/net.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* The flusher's stack: it runs only this file's short loop. */
#define FLUSHER_STACK (64u * 1024u)

/* Whether a checked handle (cio__stream_check) can take a write now. */
static int writable_state(const cio_stream *stream) {
    if (stream->kind == CIO__STREAM_READ_END) return -EBADF;
    if (stream->write_error) return stream->write_error;
    if (stream->state != CIO__STREAM_OPEN || stream->eof_wanted) return -CIO_ECLOSED;
    if (stream->upgrading || stream->sending_file) return -EBUSY;
    return 0;
}

static int check_write(const cio_stream *stream, const char *caller) {
    int rc = cio__stream_check(stream, caller);
    return rc < 0 ? rc : writable_state(stream);
}

/* One send of iov through the transport: the count the fd took (0 if it
 * was full), or -errno. */
static ssize_t send_now(cio_stream *stream, const struct iovec *iov, int iovcnt) {
    return stream->io->send(stream, iov, iovcnt);
}

/* The write buffer crossed a water mark: tell a transport's protocol. */
static void set_paused(cio_stream *stream, bool paused) {
    if (stream->paused == paused) return;
    stream->paused = paused;
    if (stream->hooks) stream->hooks->paused(stream, paused);
}

/* A send failed: the connection is broken. Keep the error for every later
 * write and drain, drop what can no longer be sent, wake drainers. */
static int fail_writes(cio_stream *stream, int err) {
    if (!stream->write_error) stream->write_error = err;
    if (err == -ECONNRESET) stream->reset = true; /* the send took it: reads must see it too */
    cio__buffer_clear(&stream->out);
    stream->paused = false;
    cio__net_wake_all(&stream->drainers, stream->write_error);
    if (stream->hooks) stream->hooks->failed(stream, stream->write_error);
    return stream->write_error;
}

/* ---- the flusher ------------------------------------------------------------------------ */

/* Send what `out` holds once, waiting for room first when the last send
 * showed the socket full. 0 to go on, or an error that ends the flushing. */
static int flush_step(cio_stream *stream, cio_task *task, bool *full) {
    if (*full) {
        int rc = cio__stream_wait(stream, task, CIO__WRITABLE);
        if (rc < 0) return rc;
    }
    struct cio__buffer *out = &stream->out;
    struct iovec iov = {.iov_base = cio__buffer_head(out), .iov_len = cio__buffer_len(out)};
    ssize_t n = send_now(stream, &iov, 1);
    if (n < 0) return (int)n;
    *full = (size_t)n < iov.iov_len; /* a short send: the socket's buffer is full */
    cio__buffer_consume(out, (size_t)n);
    if (stream->paused && cio__buffer_len(out) <= stream->low) {
        cio__net_wake_all(&stream->drainers, 0);
        set_paused(stream, false);
    }
    return 0;
}

/* End the sending side: a socket shuts it down and reads on; a pipe's write
 * end has no other side, so it closes. 0 or -errno. */
static int send_eof(cio_stream *stream) {
    stream->eof_sent = true;
    int rc = stream->io->shutdown_write(stream);
    if (rc == CIO__IO_CLOSE_INSTEAD) {
        cio__stream_close_fd(stream);
        return 0;
    }
    return rc;
}

/* The transport's last words before a graceful close (TLS's close_notify),
 * within stream->goodbye_timeout; a failure or timeout just ends them. */
static void say_goodbye(cio_stream *stream, cio_task *task) {
    cio_timeout scope;
    bool bounded = stream->goodbye_timeout > 0;
    if (bounded) cio_timeout_begin(&scope, stream->goodbye_timeout);
    int rc;
    while ((rc = stream->io->goodbye(stream)) == -EAGAIN &&
           cio__stream_wait(stream, task, CIO__WRITABLE) == 0) {
    }
    if (bounded) cio_timeout_end(&scope);
}

static void finish_flushing(cio_stream *stream, cio_task *task, int rc) {
    stream->flusher = NULL;
    if (rc < 0 && rc != -CIO_ECLOSED) fail_writes(stream, rc);
    /* A sendfile waits for `out` to be sent (after fail_writes: drain must
     * see the error, not a 0). */
    cio__net_wake_all(&stream->drainers, stream->write_error);
    if (stream->state != CIO__STREAM_CLOSED && stream->eof_wanted && !stream->eof_sent)
        (void)send_eof(stream);
    if (stream->state != CIO__STREAM_CLOSING) return;
    if (rc == 0 && stream->io->goodbye) say_goodbye(stream, task);
    if (stream->state == CIO__STREAM_CLOSING) cio__stream_close_fd(stream);
}

/* The flusher task: holds a reference to the stream until it is done. */
static void *flush(void *arg) {
    cio_stream *stream = arg;
    cio_task *task = cio_current_task();
    bool full = true; /* it starts because a send came up short */
    int rc = 0;
    while (rc == 0 && cio__buffer_len(&stream->out) > 0) rc = flush_step(stream, task, &full);
    finish_flushing(stream, task, rc);
    cio__stream_unref(stream);
    return NULL;
}

static int start_flusher(cio_stream *stream) {
    if (stream->flusher) return 0;
    cio_task_options opts = {.name = "cio-stream-flush", .stack_size = FLUSHER_STACK};
    cio_task *task;
    int rc = cio_loop_create_task_ex(stream->loop, flush, stream, &opts, &task);
    if (rc < 0) return fail_writes(stream, rc);
    cio__stream_ref(stream);
    stream->flusher = task;
    cio_task_unref(task); /* it runs on its own; stream->flusher is cleared when it ends */
    return 0;
}

/* A graceful close with nothing left to send: close now, unless the
 * transport has last words to send (then the flusher says them and closes). */
void cio__stream_close_when_flushed(cio_stream *stream) {
    if (stream->flusher) return; /* it closes the fd when done */
    if (stream->io->goodbye && start_flusher(stream) == 0) return;
    cio__stream_close_fd(stream);
}

/* ---- write, writev --------------------------------------------------------------------- */

/* Queue iov[0..iovcnt) from byte `skip` on, and make sure a flusher runs. */
static int queue(cio_stream *stream, const struct iovec *iov, int iovcnt, size_t skip) {
    for (int i = 0; i < iovcnt; i++) {
        size_t len = iov[i].iov_len;
        size_t from = skip < len ? skip : len;
        skip -= from;
        int rc = cio__buffer_append(&stream->out, (const char *)iov[i].iov_base + from, len - from);
        if (rc < 0) return fail_writes(stream, rc);
    }
    if (cio__buffer_len(&stream->out) > stream->high) set_paused(stream, true);
    return start_flusher(stream);
}

static size_t total_length(const struct iovec *iov, int iovcnt) {
    if (iovcnt == 1) return iov[0].iov_len; /* write(), transport_write: no loop to set up */
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++) total += iov[i].iov_len;
    return total;
}

/* writev past the handle check: send what the fd takes, queue the rest. */
static int write_checked(cio_stream *stream, const struct iovec *iov, int iovcnt) {
    int rc = writable_state(stream);
    if (rc < 0) return rc;
    if ((!iov && iovcnt) || iovcnt < 0 || iovcnt > IOV_MAX) return -EINVAL;
    size_t total = total_length(iov, iovcnt);
    if (total == 0) return 0;
    size_t sent = 0;
    if (cio__buffer_len(&stream->out) == 0 && !stream->flusher) {
        ssize_t n = send_now(stream, iov, iovcnt);
        if (n < 0) return fail_writes(stream, (int)n);
        sent = (size_t)n;
    }
    return sent == total ? 0 : queue(stream, iov, iovcnt, sent);
}

int cio__stream_writev(cio_stream *stream, const struct iovec *iov, int iovcnt) {
    return write_checked(stream, iov, iovcnt);
}

int cio_stream_writev(cio_stream *stream, const struct iovec *iov, int iovcnt) {
    int rc = cio__stream_check(stream, "cio_stream_writev");
    return rc < 0 ? rc : write_checked(stream, iov, iovcnt);
}

int cio_stream_write(cio_stream *stream, const void *buf, size_t len) {
    int rc = cio__stream_check(stream, "cio_stream_write");
    if (rc < 0) return rc;
    if (!buf && len) return -EINVAL;
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
    return write_checked(stream, &iov, 1);
}

/* ---- drain, limits, write_eof ------------------------------------------------------------ */

int cio_stream_drain(cio_stream *stream) {
    int rc = stream ? cio__stream_check(stream, "cio_stream_drain") : 0;
    if (rc < 0) return rc;
    cio_task *task = cio__task_current_or_complain("cio_stream_drain");
    if (!task) return -EPERM;
    if (!stream || stream->loop != cio__task_loop(task)) return -EINVAL;
    if (stream->write_error) return stream->write_error;
    if (stream->state != CIO__STREAM_OPEN) return -CIO_ECLOSED;
    if (cio__budget_spend(stream->loop) && (rc = cio__budget_yield(task)) < 0) return rc;
    cio__stream_ref(stream);
    while (rc == 0 && stream->paused)
        rc = cio__net_park_as(task, &stream->drainers, CIO_WAIT_STREAM_WRITE, stream, "drain");
    cio__stream_unref(stream);
    return rc;
}

int cio_stream_set_write_buffer_limits(cio_stream *stream, size_t high, size_t low) {
    int rc = cio__stream_check(stream, "cio_stream_set_write_buffer_limits");
    if (rc < 0) return rc;
    /* asyncio's defaults: high 64 KiB, or 4 * low if only low is given. */
    if (high == 0) high = low ? (low > SIZE_MAX / 4 ? SIZE_MAX : 4 * low) : CIO_STREAM_HIGH_WATER;
    if (low == 0) low = high / 4;
    if (low > high) return -EINVAL;
    stream->high = high;
    stream->low = low;
    size_t buffered = cio__buffer_len(&stream->out);
    if (buffered > high) set_paused(stream, true);
    if (stream->paused && buffered <= low) {
        cio__net_wake_all(&stream->drainers, 0);
        set_paused(stream, false);
    }
    return 0;
}

size_t cio_stream_write_buffer_size(const cio_stream *stream) {
    return cio__stream_valid(stream, "cio_stream_write_buffer_size") ? cio__buffer_len(&stream->out)
                                                                     : 0;
}

int cio_stream_write_eof(cio_stream *stream) {
    int rc = check_write(stream, "cio_stream_write_eof");
    if (rc < 0) return rc;
    if (!cio_stream_can_write_eof(stream)) return -ENOTSUP;
    stream->eof_wanted = true;
    if (stream->flusher) return 0; /* it ends the sending side when out is sent */
    return send_eof(stream);
}

bool cio_stream_can_write_eof(const cio_stream *stream) {
    return cio__stream_valid(stream, "cio_stream_can_write_eof") &&
           (stream->kind == CIO__STREAM_SOCKET || stream->kind == CIO__STREAM_WRITE_END);
}
