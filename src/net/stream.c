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

bool cio__stream_valid(const cio_stream *stream) {
    return stream && stream->magic == CIO__STREAM_MAGIC && !stream->handle_released;
}

/* Take a task that will never resume off the stream; 1 for the reference
 * to the stream it holds (every parked read, drain and wait_closed takes
 * one, as does the flusher), 0 for none. */
static int forget_task(cio_task *task) {
    if (!task) return 0;
    if (task->wait_abort) task->wait_abort(task);
    task->wait_abort = NULL;
    return 1;
}

static int forget_list(struct cio__list *list) {
    int forgotten = 0;
    struct cio__list *node;
    while ((node = cio__list_pop_front(list)) != NULL)
        forgotten += forget_task(cio__container_of(node, cio_task, wait_link.node));
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

int cio__stream_new(cio_loop *loop, int fd, size_t limit, cio_stream **out) {
    cio_stream *stream = calloc(1, sizeof *stream);
    if (!stream) return -ENOMEM;
    stream->magic = CIO__STREAM_MAGIC;
    stream->fd = fd;
    stream->refs = 1; /* the user's handle */
    stream->loop = loop;
    stream->limit = limit ? limit : CIO_STREAM_LIMIT;
    stream->high = CIO_STREAM_HIGH_WATER;
    stream->low = CIO_STREAM_HIGH_WATER / 4;
    cio__list_init(&stream->drainers);
    cio__list_init(&stream->closers);
    cio__loop_hook_add(loop, &stream->loop_hook, loop_closing, stream);
    *out = stream;
    return 0;
}

void cio__net_adopt_fd(cio_loop *loop, int fd) {
    loop->poller_ops->forget(loop->poller, fd);
}

void cio__stream_ref(cio_stream *stream) {
    stream->refs++;
}

void cio__stream_unref(cio_stream *stream) {
    if (--stream->refs > 0) return;
    cio__loop_hook_remove(&stream->loop_hook);
    cio__buffer_free(&stream->in);
    cio__buffer_free(&stream->out);
    stream->magic = CIO__DEAD_MAGIC;
    free(stream);
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

/* ---- waiting for the socket ------------------------------------------------------------- */

int cio__stream_wait(cio_stream *stream, cio_task *task, unsigned events) {
    bool reading = events & CIO__READABLE;
    if (reading && stream->reader) return -EBUSY;
    if (reading) stream->reader = task;
    int rc = cio__io_wait(task, stream->fd, events, false);
    if (reading) stream->reader = NULL;
    /* Closing ends reading at once; writing (the flusher) goes on until CLOSED. */
    if (stream->state == CIO__STREAM_CLOSED || (reading && stream->state != CIO__STREAM_OPEN))
        return -CIO_ECLOSED;
    return rc;
}

/* ---- closing ------------------------------------------------------------------------------- */

void cio__stream_close_fd(cio_stream *stream) {
    int fd = stream->fd;
    stream->state = CIO__STREAM_CLOSED;
    stream->fd = -1;
    if (fd >= 0) cio_close(fd); /* wakes its reader and flusher with -EBADF */
    cio__net_wake_all(&stream->drainers, -CIO_ECLOSED);
    cio__net_wake_all(&stream->closers, 0);
}

int cio_stream_close(cio_stream *stream) {
    if (!cio__stream_valid(stream)) return -EINVAL;
    if (stream->state != CIO__STREAM_OPEN) return -CIO_ECLOSED;
    stream->state = CIO__STREAM_CLOSING;
    cio__net_interrupt(stream->reader, -CIO_ECLOSED);
    if (!stream->flusher) cio__stream_close_fd(stream); /* else the flusher closes it when done */
    return 0;
}

int cio_stream_abort(cio_stream *stream) {
    if (!cio__stream_valid(stream)) return -EINVAL;
    if (stream->state == CIO__STREAM_CLOSED) return -CIO_ECLOSED;
    cio__buffer_clear(&stream->out);
    stream->paused = false;
    cio__stream_close_fd(stream);
    return 0;
}

bool cio_stream_is_closing(const cio_stream *stream) {
    if (!cio__stream_valid(stream)) return false;
    return stream->state != CIO__STREAM_OPEN || stream->eof_wanted;
}

int cio_stream_wait_closed(cio_stream *stream) {
    cio_task *task = cio__task_current_or_complain("cio_stream_wait_closed");
    if (!task) return -EPERM;
    if (!cio__stream_valid(stream) || stream->loop != task->future.loop) return -EINVAL;
    int rc = 0;
    cio__stream_ref(stream); /* a free() meanwhile must not pull it from under us */
    while (rc == 0 && stream->state != CIO__STREAM_CLOSED)
        rc = cio__net_park(task, &stream->closers);
    cio__stream_unref(stream);
    return rc;
}

void cio_stream_free(cio_stream *stream) {
    if (!cio__stream_valid(stream)) return;
    if (stream->borrowed) {
        cio__complain("cio_stream_free: this stream belongs to a process; "
                      "cio_process_free() frees it (cio_stream_close() ends it)");
        return;
    }
    if (stream->state == CIO__STREAM_OPEN) cio_stream_close(stream);
    stream->handle_released = true;
    cio__stream_unref(stream);
}

/* ---- information ---------------------------------------------------------------------------- */

int cio_stream_fd(const cio_stream *stream) {
    if (!cio__stream_valid(stream)) return -EINVAL;
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
