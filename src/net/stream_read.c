/* src/net/stream_read.c - a stream's reading side (asyncio's StreamReader).
 *
 * The hot path is two syscalls a message: a recv (read, for a pipe) that
 * returns less than it asked for means the fd is drained (`drained`), so the
 * next read waits for readiness first instead of paying a recv that says
 * EAGAIN; the wait costs no syscall on the edge-triggered epoll backend. A FIN that came with
 * the last data is not lost: the core marks the fd readable again on any
 * hang-up report (see cio__fd_waiters.missed).
 *
 * Large reads go straight into the caller's buffer; small ones and line
 * reads fill the stream's own buffer (`in`), which is kept and reused. */
#include "net/net.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Reads of at least this many bytes bypass `in` when it is empty; smaller
 * ones fill it, so a task reading a few bytes at a time pays one recv per
 * fill, not one per call. */
#define DIRECT_READ (16u * 1024u)
/* Room a fill offers recv: at least this much (asyncio asks for 64 KiB; 16
 * KiB keeps an idle line-reading connection's buffer small). */
#define FILL_ROOM (16u * 1024u)
/* What read_all asks recv for each time. */
#define READ_ALL_ROOM (64u * 1024u)

static int check_read(cio_stream *stream, cio_task **task, const char *caller) {
    *task = cio__task_current_or_complain(caller);
    if (!*task) return -EPERM;
    if (!cio__stream_valid(stream) || stream->loop != (*task)->future.loop) return -EINVAL;
    if (stream->kind == CIO__STREAM_WRITE_END) return -EBADF; /* it would never be readable */
    return stream->state == CIO__STREAM_OPEN ? 0 : -CIO_ECLOSED;
}

/* One recv into dst, waiting first if the socket is known to be drained.
 * Returns the count, 0 at EOF, or an error (kept in read_error). */
static ssize_t receive(cio_stream *stream, cio_task *task, void *dst, size_t len) {
    if (stream->read_error) return stream->read_error;
    if (stream->eof) return 0;
    for (;;) {
        if (stream->drained) {
            int rc = cio__stream_wait(stream, task, CIO__READABLE);
            if (rc < 0) return rc;
            stream->drained = false;
        }
        ssize_t n = stream->kind == CIO__STREAM_SOCKET ? recv(stream->fd, dst, len, 0)
                                                       : read(stream->fd, dst, len);
        if (n > 0) {
            stream->drained = (size_t)n < len;
            return n;
        }
        if (n == 0) {
            stream->eof = true;
            return 0;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            stream->drained = true;
        else if (errno != EINTR)
            return stream->read_error = -errno;
    }
}

/* Receive more into `in`: the count, 0 at EOF, or an error. */
static ssize_t fill(cio_stream *stream, cio_task *task) {
    int rc = cio__buffer_reserve(&stream->in, FILL_ROOM);
    if (rc < 0) return rc;
    struct cio__buffer *in = &stream->in;
    ssize_t n = receive(stream, task, in->data + in->end, in->cap - in->end);
    if (n > 0) in->end += (size_t)n;
    return n;
}

/* Move up to n buffered bytes to buf. */
static size_t take(cio_stream *stream, void *buf, size_t n) {
    size_t len = cio__buffer_len(&stream->in);
    if (n > len) n = len;
    if (n == 0) return 0;
    memcpy(buf, cio__buffer_head(&stream->in), n);
    cio__buffer_consume(&stream->in, n);
    return n;
}

/* reader.read(n) for n > 0: buffered bytes, else at least one new one. */
static ssize_t read_some(cio_stream *stream, cio_task *task, void *buf, size_t n) {
    if (cio__buffer_len(&stream->in) == 0) {
        if (n >= DIRECT_READ) return receive(stream, task, buf, n);
        ssize_t rc = fill(stream, task);
        if (rc <= 0) return rc;
    }
    return (ssize_t)take(stream, buf, n);
}

ssize_t cio_stream_read(cio_stream *stream, void *buf, size_t n) {
    cio_task *task;
    int rc = check_read(stream, &task, "cio_stream_read");
    if (rc < 0) return rc;
    if (!buf && n) return -EINVAL;
    if (n == 0) return 0;
    if (cio__budget_spend(stream->loop) && (rc = cio__budget_yield(task)) < 0) return rc;
    cio__stream_ref(stream);
    ssize_t got = read_some(stream, task, buf, n);
    cio__stream_unref(stream);
    return got;
}

int cio_stream_readexactly(cio_stream *stream, void *buf, size_t n, size_t *got) {
    if (got) *got = 0;
    cio_task *task;
    int rc = check_read(stream, &task, "cio_stream_readexactly");
    if (rc < 0) return rc;
    if (!buf && n) return -EINVAL;
    size_t done = 0;
    ssize_t step = 1;
    cio__stream_ref(stream);
    while (done < n && step > 0) {
        step = read_some(stream, task, (char *)buf + done, n - done);
        if (step > 0) done += (size_t)step;
    }
    cio__stream_unref(stream);
    if (got) *got = done;
    if (step == 0) return -CIO_EINCOMPLETE;
    return step < 0 ? (int)step : 0;
}

/* ---- read until EOF ------------------------------------------------------------------- */

static int read_rest(cio_stream *stream, cio_task *task, struct cio__buffer *all) {
    int rc = cio__buffer_append(all, cio__buffer_head(&stream->in), cio__buffer_len(&stream->in));
    if (rc < 0) return rc;
    cio__buffer_clear(&stream->in);
    for (;;) {
        rc = cio__buffer_reserve(all, READ_ALL_ROOM);
        if (rc < 0) return rc;
        ssize_t n = receive(stream, task, all->data + all->end, all->cap - all->end);
        if (n <= 0) return (int)n;
        all->end += (size_t)n;
    }
}

int cio_stream_read_all(cio_stream *stream, void **data, size_t *len) {
    if (data) *data = NULL;
    if (len) *len = 0;
    cio_task *task;
    int rc = check_read(stream, &task, "cio_stream_read_all");
    if (rc < 0) return rc;
    if (!data || !len) return -EINVAL;
    struct cio__buffer all = {0};
    cio__stream_ref(stream);
    rc = read_rest(stream, task, &all);
    cio__stream_unref(stream);
    if (rc == 0) rc = cio__buffer_reserve(&all, 1); /* room for the NUL */
    if (rc < 0) {
        cio__buffer_free(&all);
        return rc;
    }
    all.data[all.end] = '\0';
    *data = all.data;
    *len = all.end;
    return 0;
}

/* ---- lines ------------------------------------------------------------------------------- */

struct line_search {
    const char *sep;
    size_t seplen, cap;
    size_t scanned; /* bytes of `in` already known to hold no separator start */
};

/* The length of the line (with its separator) at the front of `in`, 0 if
 * more data is needed, or -CIO_ELIMIT. The limit rule is asyncio's: the
 * separator must start within `limit` bytes. */
static ssize_t find_line(cio_stream *stream, struct line_search *search) {
    size_t len = cio__buffer_len(&stream->in);
    if (len == 0) return search->cap == 0 ? -CIO_ELIMIT : 0;
    const char *data = cio__buffer_head(&stream->in);
    const char *hit = len > search->scanned ? memmem(data + search->scanned, len - search->scanned,
                                                     search->sep, search->seplen)
                                            : NULL;
    if (hit) {
        size_t line = (size_t)(hit - data) + search->seplen;
        if ((size_t)(hit - data) > stream->limit || line > search->cap) return -CIO_ELIMIT;
        return (ssize_t)line;
    }
    if (len >= stream->limit + search->seplen || len >= search->cap) return -CIO_ELIMIT;
    search->scanned = len >= search->seplen ? len - search->seplen + 1 : 0;
    return 0;
}

/* The line at the front of `in`, or what ended the search: EOF gives 0. */
static ssize_t read_line(cio_stream *stream, cio_task *task, struct line_search *search,
                         void *buf) {
    for (;;) {
        ssize_t line = find_line(stream, search);
        if (line > 0) return (ssize_t)take(stream, buf, (size_t)line);
        if (line < 0) return line;
        ssize_t rc = fill(stream, task);
        if (rc <= 0) return rc;
    }
}

static int check_line_args(const void *sep, size_t seplen, const void *buf, size_t cap) {
    return !sep || seplen == 0 || (!buf && cap) ? -EINVAL : 0;
}

ssize_t cio_stream_readuntil(cio_stream *stream, const void *sep, size_t seplen, void *buf,
                             size_t cap) {
    cio_task *task;
    int rc = check_read(stream, &task, "cio_stream_readuntil");
    if (rc == 0) rc = check_line_args(sep, seplen, buf, cap);
    if (rc < 0) return rc;
    struct line_search search = {.sep = sep, .seplen = seplen, .cap = cap};
    cio__stream_ref(stream);
    ssize_t line = read_line(stream, task, &search, buf);
    cio__stream_unref(stream);
    return line == 0 ? -CIO_EINCOMPLETE : line; /* the partial line stays in `in` */
}

/* At EOF, readline hands out what is left: a last line without '\n'. */
static ssize_t last_line(cio_stream *stream, void *buf, size_t cap) {
    size_t len = cio__buffer_len(&stream->in);
    if (len > cap) return -CIO_ELIMIT;
    return (ssize_t)take(stream, buf, len);
}

ssize_t cio_stream_readline(cio_stream *stream, void *buf, size_t cap) {
    cio_task *task;
    int rc = check_read(stream, &task, "cio_stream_readline");
    if (rc == 0) rc = check_line_args("\n", 1, buf, cap);
    if (rc < 0) return rc;
    struct line_search search = {.sep = "\n", .seplen = 1, .cap = cap};
    cio__stream_ref(stream);
    ssize_t line = read_line(stream, task, &search, buf);
    if (line == 0) line = last_line(stream, buf, cap);
    cio__stream_unref(stream);
    return line;
}

bool cio_stream_at_eof(const cio_stream *stream) {
    return cio__stream_valid(stream) && stream->eof && cio__buffer_len(&stream->in) == 0;
}
