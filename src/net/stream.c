/* src/net/stream.c - a stream's life: making one, references, closing,
 * aborting, freeing, and the address queries. Streams over pipes are made in
 * pipe.c.
 *
 * States: OPEN -> CLOSING (close() with data still buffered: the flusher
 * sends it, then closes) -> CLOSED (fd closed). OPEN -> CLOSED directly when
 * nothing is buffered, on abort(), or when the flusher ends on an error. */
#include "net/net.h"

#include <fcntl.h>
#include <stdlib.h>

/* ---- handles: the check and stale handles (core/handle.c's quarantine)
 * ---------------------------------- */

/* Take a task that will never resume off the stream; 1 for the reference
 * to the stream it holds (every parked read, drain and wait_closed takes
 * one, as does the flusher), 0 for none. */
static int forget_task(cio_task *task) {
    if (!task) return 0;
    cio__wait_forget(task);
    return 1;
}

static int forget_list(struct cio__waitq *list) {
    int forgotten = 0;
    cio_task *task;
    while ((task = cio__waitq_pop(list)) != NULL) forgotten += forget_task(task);
    return forgotten;
}

/* The loop is closing and will free every task without resuming it: take
 * them off the stream and drop the references they held, so the stream can
 * still be closed and freed afterwards and never reaches a freed task. */
static void loop_closing(cio_loop *loop, void *arg) {
    (void)loop;
    cio_stream *stream = arg;
    int held = forget_task(stream->reader) + forget_list(&stream->drainers) +
               forget_list(&stream->closers);
    stream->reader = NULL;
    if (stream->flusher) {
        held += forget_task(stream->flusher);
        stream->flusher = NULL;
        if (stream->state == CIO__STREAM_CLOSING) cio__stream_close_fd(stream);
    }
    if (held == 0) return;
    stream->refs -= held - 1; /* the last one through unref: it may free */
    cio__stream_unref(stream);
}

int cio__stream_check_slow(const cio_stream *stream, const char *caller) {
    if (!stream) return -EINVAL;
    if (stream->magic == CIO__DEAD_MAGIC ||
        (stream->magic == CIO__STREAM_MAGIC && stream->handle_released)) {
        cio__complain("%s: the stream was freed (a stale handle)", caller);
        return -EINVAL;
    }
    if (stream->magic != CIO__STREAM_MAGIC) {
        cio__complain("%s: not a stream (a stale or corrupt handle)", caller);
        return -EINVAL;
    }
    if (cio__running_loop == stream->loop) return 0;
    /* Not running its loop: only the thread that made it may touch it (its
     * loop is idle), never another one while the loop runs elsewhere. */
    if (!cio__running_loop && pthread_equal(stream->thread, pthread_self())) return 0;
    cio__complain("%s: called from a thread that does not run the stream's loop", caller);
    return -EPERM;
}

bool cio__stream_valid(const cio_stream *stream, const char *caller) {
    return cio__stream_check(stream, caller) == 0;
}

/* ---- making one --------------------------------------------------------------------------- */

int cio__stream_new(cio_loop *loop, int fd, size_t limit, cio_stream **out) {
    cio_stream *stream = calloc(1, sizeof *stream);
    if (!stream) return -ENOMEM;
    stream->magic = CIO__STREAM_MAGIC;
    stream->fd = fd;
    stream->refs = 1; /* the user's handle */
    stream->loop = loop;
    stream->thread = pthread_self();
    stream->io = &cio__socket_io;
    stream->limit = limit ? limit : CIO_STREAM_LIMIT;
    stream->high = CIO_STREAM_HIGH_WATER;
    stream->low = CIO_STREAM_HIGH_WATER / 4;
    cio__waitq_init(&stream->drainers);
    cio__waitq_init(&stream->closers);
    cio__loop_hook_add(loop, &stream->loop_hook, loop_closing, stream);
    *out = stream;
    return 0;
}

void cio__net_adopt_fd(cio_loop *loop, int fd) {
    cio__io_forget(loop, fd);
}

void cio__stream_ref(cio_stream *stream) {
    stream->refs++;
}

void cio__stream_unref(cio_stream *stream) {
    if (--stream->refs > 0) return;
    cio__loop_hook_remove(&stream->loop_hook);
    cio__buffer_free(&stream->in);
    cio__buffer_free(&stream->out);
    stream->handle_released = true;
    stream->loop = NULL;
    cio__handle_retire(stream); /* poisoned and quarantined (core/handle.c) */
}

int cio__fd_set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) return -errno;
    if (!(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return -errno;
    return flags;
}

int cio_stream_from_socket(int fd, size_t limit, cio_stream **out) {
    if (out) *out = NULL;
    cio_loop *loop = cio__running_loop;
    if (fd < 0 || !out || !loop) return -EINVAL;
    int type;
    socklen_t len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) return -errno;
    if (type != SOCK_STREAM) return -EINVAL;
    int rc = cio__fd_set_nonblocking(fd);
    if (rc < 0) return rc;
    rc = cio__stream_new(loop, fd, limit, out);
    if (rc == 0) cio__net_adopt_fd(loop, fd);
    return rc;
}

/* ---- the socket transport (see struct cio__stream_io) ----------------------------------- */

static ssize_t socket_recv(cio_stream *stream, void *dst, size_t len) {
    for (;;) {
        ssize_t n = recv(stream->fd, dst, len, 0);
        if (n >= 0) return n;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return -EAGAIN;
        if (errno != EINTR) return -errno;
    }
}

static ssize_t socket_send(cio_stream *stream, const struct iovec *iov, int iovcnt) {
    struct msghdr msg = {.msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt};
    for (;;) {
        ssize_t n = sendmsg(stream->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n >= 0) return n;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
        if (errno != EINTR) return -errno;
    }
}

static int socket_shutdown_write(cio_stream *stream) {
    return shutdown(stream->fd, SHUT_WR) == 0 ? 0 : -errno;
}

const struct cio__stream_io cio__socket_io = {
    .recv = socket_recv,
    .send = socket_send,
    .shutdown_write = socket_shutdown_write,
};

/* ---- waiting for the socket ------------------------------------------------------------- */

/* The fd events the transport needs for this direction: 0 to retry now. */
int cio__stream_wait(cio_stream *stream, cio_task *task, unsigned events) {
    bool reading = events & CIO__READABLE;
    unsigned wanted = cio__stream_events_wanted(stream, events);
    uint8_t kind = reading ? CIO_WAIT_STREAM_READ : CIO_WAIT_STREAM_WRITE;
    int rc = wanted
                 ? cio__io_wait_as(task, stream->fd, wanted, false, kind, stream, stream->io->name)
                 : 0;
    /* A TLS read that needs the fd writable while the flusher waits for that
     * (or a send that needs it readable while the reader does): rare (key
     * updates), so let the other side make progress and try again. */
    if (rc == -EBUSY && wanted != events) rc = cio_yield();
    /* Closing ends reading at once; writing (the flusher) goes on until CLOSED. */
    if (stream->state == CIO__STREAM_CLOSED || (reading && stream->state != CIO__STREAM_OPEN))
        return -CIO_ECLOSED;
    return rc;
}

/* ---- closing ------------------------------------------------------------------------------- */

void cio__stream_close_fd(cio_stream *stream) {
    int fd = stream->fd;
    if (stream->state != CIO__STREAM_CLOSED && stream->io->close) stream->io->close(stream);
    stream->state = CIO__STREAM_CLOSED;
    stream->fd = -1;
    if (fd >= 0) cio_close(fd); /* wakes its reader and flusher with -EBADF */
    cio__net_wake_all(&stream->drainers, -CIO_ECLOSED);
    cio__net_wake_all(&stream->closers, 0);
    if (stream->hooks) stream->hooks->closed(stream);
}

int cio_stream_close(cio_stream *stream) {
    int rc = cio__stream_check(stream, "cio_stream_close");
    if (rc < 0) return rc;
    if (stream->state != CIO__STREAM_OPEN) return -CIO_ECLOSED;
    stream->state = CIO__STREAM_CLOSING;
    cio__net_interrupt(stream->reader, -CIO_ECLOSED);
    cio__stream_close_when_flushed(stream);
    return 0;
}

int cio_stream_abort(cio_stream *stream) {
    int rc = cio__stream_check(stream, "cio_stream_abort");
    if (rc < 0) return rc;
    if (stream->state == CIO__STREAM_CLOSED) return -CIO_ECLOSED;
    cio__buffer_clear(&stream->out);
    stream->paused = false;
    cio__stream_close_fd(stream);
    return 0;
}

bool cio_stream_is_closing(const cio_stream *stream) {
    if (!cio__stream_valid(stream, "cio_stream_is_closing")) return false;
    return stream->state != CIO__STREAM_OPEN || stream->eof_wanted;
}

int cio_stream_wait_closed(cio_stream *stream) {
    int rc = stream ? cio__stream_check(stream, "cio_stream_wait_closed") : 0;
    if (rc < 0) return rc;
    cio_task *task = cio__task_current_or_complain("cio_stream_wait_closed");
    if (!task) return -EPERM;
    if (!stream || stream->loop != cio__task_loop(task)) return -EINVAL;
    cio__stream_ref(stream); /* a free() meanwhile must not pull it from under us */
    while (rc == 0 && stream->state != CIO__STREAM_CLOSED)
        rc = cio__net_park_as(task, &stream->closers, CIO_WAIT_STREAM_WRITE, stream, "close");
    cio__stream_unref(stream);
    return rc;
}

void cio_stream_free(cio_stream *stream) {
    if (!stream || cio__stream_check(stream, "cio_stream_free") < 0) return; /* reported */
    if (stream->borrowed) {
        cio__complain("cio_stream_free: this stream belongs to a process; "
                      "cio_process_free() frees it (cio_stream_close() ends it)");
        return;
    }
    if (stream->server && !stream->connection_done) {
        cio__complain("cio_stream_free: this stream belongs to its server; the server frees it "
                      "when the handler returns (cio_stream_close() ends it)");
        return;
    }
    if (stream->state == CIO__STREAM_OPEN) cio_stream_close(stream);
    stream->handle_released = true;
    cio__stream_unref(stream);
}

/* ---- information ---------------------------------------------------------------------------- */

int cio_stream_fd(const cio_stream *stream) {
    int rc = cio__stream_check(stream, "cio_stream_fd");
    if (rc < 0) return rc;
    return stream->state == CIO__STREAM_CLOSED ? -CIO_ECLOSED : stream->fd;
}

int cio_stream_peername(const cio_stream *stream, struct sockaddr *addr, socklen_t *addrlen) {
    int fd = cio_stream_fd(stream);
    if (fd < 0) return fd;
    if (!addr || !addrlen) return -EINVAL;
    return getpeername(fd, addr, addrlen) == 0 ? 0 : -errno;
}

int cio_stream_sockname(const cio_stream *stream, struct sockaddr *addr, socklen_t *addrlen) {
    int fd = cio_stream_fd(stream);
    if (fd < 0) return fd;
    if (!addr || !addrlen) return -EINVAL;
    return getsockname(fd, addr, addrlen) == 0 ? 0 : -errno;
}

void cio__stream_set_borrowed(cio_stream *stream, bool borrowed) {
    stream->borrowed = borrowed;
}
