/* src/net/stream_read.c - a stream's reading side (asyncio's StreamReader).
 *
 * The hot path is two syscalls a message: a recv (read, for a pipe) that
 * returns less than it asked for means the fd is drained (`drained`), so the
 * next read waits for readiness first instead of paying a recv that says
 * EAGAIN; the wait costs no syscall on the edge-triggered epoll backend. A FIN that came with
 * the last data is not lost: after a hang-up report every later wait
 * returns at once (see cio__fd_waiters.hangup).
 *
 * Large reads go straight into the caller's buffer; small ones and line
 * reads fill the stream's own buffer (`in`), which is kept and reused. */
#include "net/net.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

/* ---- one reader at a time -------------------------------------------------------------- */

/* Every read call begins here: checks, then makes the calling task the
 * stream's one reader until end_read. Any other read call meanwhile gets
 * -EBUSY, also one that could complete at once from what is buffered: while
 * a reader waits, `in` is its own. */
static int begin_read(cio_stream *stream, cio_task **task, const char *caller) {
    int rc = stream ? cio__stream_check(stream, caller) : 0; /* -EPERM from a foreign thread */
    if (rc < 0) return rc;
    *task = cio__task_current_or_complain(caller);
    if (!*task) return -EPERM;
    if (!stream || stream->loop != cio__task_loop(*task)) return -EINVAL;
    if (stream->kind == CIO__STREAM_WRITE_END) return -EBADF; /* it would never be readable */
    if (stream->state != CIO__STREAM_OPEN) return -CIO_ECLOSED;
    if (stream->reader) return -EBUSY;
    stream->reader = *task;
    cio__stream_ref(stream); /* a free() meanwhile must not pull it from under us */
    return 0;
}

static void end_read(cio_stream *stream) {
    stream->reader = NULL;
    cio__stream_unref(stream);
}

/* ---- receiving -------------------------------------------------------------------------- */

/* Before a recv: 1 to go ahead, 0 at EOF, or an error. Waits for
 * readiness first if the fd is known to be drained. */
static int ready_to_receive(cio_stream *stream, cio_task *task) {
    if (stream->read_error) return stream->read_error;
    if (stream->eof) return 0;
    if (!stream->drained) return 1;
    int rc = cio__stream_wait(stream, task, CIO__READABLE);
    if (rc < 0) return rc;
    stream->drained = false;
    return 1;
}

/* One recv into dst: the count, 0 at EOF, -EAGAIN (now drained), or an
 * error (kept in read_error). An EOF after a send saw the peer's reset is
 * that reset: the send took the socket's ECONNRESET, and recv then says 0. */
static ssize_t receive_once(cio_stream *stream, void *dst, size_t len) {
    ssize_t n = stream->io->recv(stream, dst, len);
    if (n > 0) {
        stream->drained = (size_t)n < len;
        return n;
    }
    if (n == -EAGAIN) {
        stream->drained = true;
        return n;
    }
    if (n == 0 && !stream->reset) {
        stream->eof = true;
        return 0;
    }
    return stream->read_error = n == 0 ? -ECONNRESET : (int)n;
}

ssize_t cio__stream_receive_once(cio_stream *stream, void *dst, size_t len) {
    return receive_once(stream, dst, len);
}

ssize_t cio__stream_fill_once(cio_stream *stream, size_t room) {
    int rc = cio__buffer_reserve(&stream->in, room ? room : FILL_ROOM);
    if (rc < 0) return rc;
    struct cio__buffer *in = &stream->in;
    ssize_t n = receive_once(stream, in->data + in->end, in->cap - in->end);
    if (n > 0) in->end += (size_t)n;
    return n;
}

/* Receive into dst: the count, 0 at EOF, or an error. */
static ssize_t receive(cio_stream *stream, cio_task *task, void *dst, size_t len) {
    for (;;) {
        int rc = ready_to_receive(stream, task);
        if (rc <= 0) return rc;
        ssize_t n = receive_once(stream, dst, len);
        if (n != -EAGAIN) return n;
    }
}

/* Receive at least one byte more into buffer, offering recv `room` bytes:
 * the count, 0 at EOF, or an error. Where the bytes go is computed after
 * the wait, never before it. */
static ssize_t receive_more(cio_stream *stream, cio_task *task, struct cio__buffer *buffer,
                            size_t room) {
    for (;;) {
        int rc = ready_to_receive(stream, task);
        if (rc <= 0) return rc;
        rc = cio__buffer_reserve(buffer, room);
        if (rc < 0) return rc;
        ssize_t n = receive_once(stream, buffer->data + buffer->end, buffer->cap - buffer->end);
        if (n > 0) buffer->end += (size_t)n;
        if (n != -EAGAIN) return n;
    }
}

/* Receive more into `in`: the count, 0 at EOF, or an error. */
static ssize_t fill(cio_stream *stream, cio_task *task) {
    return receive_more(stream, task, &stream->in, FILL_ROOM);
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
    if (!buf && n) return -EINVAL;
    cio_task *task;
    int rc = begin_read(stream, &task, "cio_stream_read");
    if (rc < 0) return rc;
    if (n && cio__budget_spend(stream->loop) && (rc = cio__budget_yield(task)) < 0) {
        end_read(stream);
        return rc;
    }
    ssize_t got = n ? read_some(stream, task, buf, n) : 0;
    end_read(stream);
    return got;
}

int cio_stream_readexactly(cio_stream *stream, void *buf, size_t n, size_t *got) {
    if (got) *got = 0;
    if (!buf && n) return -EINVAL;
    cio_task *task;
    int rc = begin_read(stream, &task, "cio_stream_readexactly");
    if (rc < 0) return rc;
    size_t done = 0;
    ssize_t step = 1;
    while (done < n && step > 0) {
        step = read_some(stream, task, (char *)buf + done, n - done);
        if (step > 0) done += (size_t)step;
    }
    end_read(stream);
    if (got) *got = done;
    if (step == 0) return -CIO_EINCOMPLETE;
    return step < 0 ? (int)step : 0;
}

/* ---- read until EOF ------------------------------------------------------------------- */

static int read_rest(cio_stream *stream, cio_task *task, struct cio__buffer *all) {
    int rc = cio__buffer_append(all, cio__buffer_head(&stream->in), cio__buffer_len(&stream->in));
    if (rc < 0) return rc;
    cio__buffer_clear(&stream->in);
    ssize_t n;
    while ((n = receive_more(stream, task, all, READ_ALL_ROOM)) > 0) {
    }
    return (int)n;
}

int cio_stream_read_all(cio_stream *stream, char **data, size_t *len) {
    if (!data || !len) return -EINVAL;
    cio_task *task;
    int rc = begin_read(stream, &task, "cio_stream_read_all");
    if (rc < 0) return rc;
    struct cio__buffer all = {0};
    rc = read_rest(stream, task, &all);
    end_read(stream);
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
    const struct iovec *seps; /* at least one, none empty */
    size_t nseps;
    size_t max_seplen;
    size_t room;    /* the longest line the caller takes, separator included */
    size_t scanned; /* bytes of `in` already known to hold no separator start */
    size_t which;   /* the separator the line ends with (seps[which]) */
};

/* Where the first line of data[0, len) ends: the separator occurrence that
 * ends first (asyncio 3.13's rule for a tuple of separators; of two ending
 * at the same byte, the shorter). SIZE_MAX if none; *start gets where it
 * begins. */
static size_t first_end(struct line_search *search, const char *data, size_t len, size_t *start) {
    size_t best = SIZE_MAX;
    for (size_t i = 0; i < search->nseps && len > search->scanned; i++) {
        const struct iovec *sep = &search->seps[i];
        const char *hit =
            memmem(data + search->scanned, len - search->scanned, sep->iov_base, sep->iov_len);
        size_t end = hit ? (size_t)(hit - data) + sep->iov_len : SIZE_MAX;
        if (end < best ||
            (end == best && hit && sep->iov_len < search->seps[search->which].iov_len)) {
            best = end;
            *start = (size_t)(hit - data);
            search->which = i;
        }
    }
    return best;
}

/* The length of the line (with its separator) at the front of `in`, 0 if
 * more data is needed, or -CIO_ELIMIT. The limit rule is asyncio's: the
 * separator must start within `limit` bytes. */
static ssize_t find_line(cio_stream *stream, struct line_search *search) {
    size_t len = cio__buffer_len(&stream->in);
    if (len == 0) return search->room == 0 ? -CIO_ELIMIT : 0;
    const char *data = cio__buffer_head(&stream->in);
    size_t start = 0;
    size_t line = first_end(search, data, len, &start);
    if (line != SIZE_MAX) {
        if (start > stream->limit || line > search->room) return -CIO_ELIMIT;
        return (ssize_t)line;
    }
    if (len >= stream->limit + search->max_seplen || len >= search->room) return -CIO_ELIMIT;
    search->scanned = len >= search->max_seplen ? len - search->max_seplen + 1 : 0;
    return 0;
}

/* Wait until a line is at the front of `in`: its length (not yet taken),
 * or what ended the search: EOF gives 0. */
static ssize_t wait_line(cio_stream *stream, cio_task *task, struct line_search *search) {
    for (;;) {
        ssize_t line = find_line(stream, search);
        if (line != 0) return line;
        ssize_t rc = fill(stream, task);
        if (rc <= 0) return rc;
    }
}

/* Move the first len bytes of `in` to buf as a string. */
static ssize_t take_string(cio_stream *stream, char *buf, size_t len) {
    take(stream, buf, len);
    buf[len] = '\0';
    return (ssize_t)len;
}

/* A line goes to a buffer of cap bytes with its NUL: at most cap - 1.
 * Separators: at least one, none empty. Sets search's separators. */
static int check_line_args(const struct iovec *seps, size_t nseps, const void *buf, size_t cap,
                           struct line_search *search) {
    if (!seps || nseps == 0 || !buf || cap == 0) return -EINVAL;
    *search = (struct line_search){.seps = seps, .nseps = nseps, .room = cap - 1};
    for (size_t i = 0; i < nseps; i++) {
        if (!seps[i].iov_base || seps[i].iov_len == 0) return -EINVAL;
        if (seps[i].iov_len > search->max_seplen) search->max_seplen = seps[i].iov_len;
    }
    return 0;
}

static ssize_t read_until(cio_stream *stream, const struct iovec *seps, size_t nseps, char *buf,
                          size_t cap, size_t *which, const char *caller) {
    struct line_search search;
    int rc = check_line_args(seps, nseps, buf, cap, &search);
    cio_task *task;
    if (rc == 0) rc = begin_read(stream, &task, caller);
    if (rc < 0) return rc;
    ssize_t line = wait_line(stream, task, &search);
    if (line > 0) take_string(stream, buf, (size_t)line);
    end_read(stream);
    if (line > 0 && which) *which = search.which;
    return line == 0 ? -CIO_EINCOMPLETE : line; /* the partial line stays in `in` */
}

ssize_t cio_stream_readuntil(cio_stream *stream, const void *sep, size_t seplen, char *buf,
                             size_t cap) {
    struct iovec one = {.iov_base = (void *)sep, .iov_len = seplen};
    return read_until(stream, &one, 1, buf, cap, NULL, "cio_stream_readuntil");
}

ssize_t cio_stream_readuntil_any(cio_stream *stream, const struct iovec *seps, size_t nseps,
                                 char *buf, size_t cap, size_t *which) {
    return read_until(stream, seps, nseps, buf, cap, which, "cio_stream_readuntil_any");
}

static const struct iovec newline = {.iov_base = (void *)"\n", .iov_len = 1};

/* The line readline hands out: the next one, or at EOF what is left (a last
 * line without '\n', or nothing: 0). Its length at the front of `in`. */
static ssize_t next_line(cio_stream *stream, cio_task *task, size_t room) {
    struct line_search search = {.seps = &newline, .nseps = 1, .max_seplen = 1, .room = room};
    ssize_t line = wait_line(stream, task, &search);
    if (line != 0) return line;
    size_t left = cio__buffer_len(&stream->in);
    return left > room ? -CIO_ELIMIT : (ssize_t)left;
}

ssize_t cio_stream_readline(cio_stream *stream, char *buf, size_t cap) {
    struct line_search unused;
    int rc = check_line_args(&newline, 1, buf, cap, &unused);
    cio_task *task;
    if (rc == 0) rc = begin_read(stream, &task, "cio_stream_readline");
    if (rc < 0) return rc;
    ssize_t line = next_line(stream, task, cap - 1);
    if (line >= 0) take_string(stream, buf, (size_t)line);
    end_read(stream);
    return line;
}

/* The line at the front of `in`, len bytes, in a new string. */
static int take_new_string(cio_stream *stream, size_t len, char **line) {
    char *copy = malloc(len + 1);
    if (!copy) return -ENOMEM; /* the line stays buffered */
    take_string(stream, copy, len);
    *line = copy;
    return 0;
}

int cio_stream_readline_alloc(cio_stream *stream, char **line, size_t *len) {
    if (!line || !len) return -EINVAL;
    cio_task *task;
    int rc = begin_read(stream, &task, "cio_stream_readline_alloc");
    if (rc < 0) return rc;
    ssize_t n = next_line(stream, task, SIZE_MAX); /* the stream's limit bounds it */
    char *copy = NULL;
    rc = n < 0 ? (int)n : 0;
    if (n > 0) rc = take_new_string(stream, (size_t)n, &copy);
    end_read(stream);
    if (rc < 0) return rc;
    *line = copy; /* NULL at EOF */
    *len = copy ? (size_t)n : 0;
    return 0;
}

/* The peer has ended its side and nothing of it is left unread: asked of
 * the kernel without consuming anything - a peek on a socket, a zero-timeout
 * poll on a pipe's read end (POLLHUP with nothing to read). asyncio's
 * protocol is told of EOF (eof_received) without a read; cio learns of it
 * from a recv returning 0, which at_eof must not wait for. A TLS stream
 * (its engine may hold decrypted bytes) and a device are not asked. */
static bool peer_done(const cio_stream *stream) {
    if (stream->io == &cio__socket_io) {
        char byte;
        return recv(stream->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
    }
    if (stream->io == &cio__pipe_io && stream->kind == CIO__STREAM_READ_END) {
        struct pollfd probe = {.fd = stream->fd, .events = POLLIN};
        return poll(&probe, 1, 0) == 1 && (probe.revents & POLLHUP) && !(probe.revents & POLLIN);
    }
    return false;
}

/* asyncio's at_eof(): true once EOF has arrived and the buffer is consumed,
 * also before a read has met the EOF (test_streams: test_at_eof). */
bool cio_stream_at_eof(const cio_stream *stream) {
    if (!cio__stream_valid(stream, "cio_stream_at_eof") || cio__buffer_len(&stream->in) > 0)
        return false;
    if (stream->eof) return true;
    if (stream->read_error || stream->state != CIO__STREAM_OPEN) return false;
    return peer_done(stream);
}
