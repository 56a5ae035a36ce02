/* src/net/net.h - the networking layer's shared structures and cross-file
 * functions.
 *
 * Invariants worth knowing before reading any net file:
 *  - Sockets are non-blocking and are closed only through cio_close() (via
 *    cio__stream_close_fd and friends), which wakes their waiters and makes
 *    the poller forget them.
 *  - Reads and writes wait for readiness with cio__io_wait(recheck=false)
 *    right after EAGAIN or a short read/write: on the edge-triggered epoll
 *    backend that costs no syscall. Every socket this layer makes or accepts
 *    is first passed to cio__net_adopt_fd(), so the poller's table cannot
 *    hold a stale registration under its number and the first arm really
 *    registers it.
 *  - A stream's memory is reference-counted: the user's handle, its flusher
 *    task while one runs, its server connection while one holds it, and each
 *    suspending call in progress (so a free() from another task while one
 *    sleeps cannot pull the memory from under it). The last release poisons
 *    it (CIO__DEAD_MAGIC) and puts it in the handles' quarantine
 *    (core/handle.c) that frees it only later, so a stale handle used soon after is refused, not
 *    read from freed memory.
 *  - One reader at a time: stream->reader is set for the whole of a read
 *    call, and any other read call meanwhile gets -EBUSY. Reads compute
 *    where bytes go only after their last wait. */
#ifndef CIO_NET_NET_H
#define CIO_NET_NET_H

#include "core/core.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>

/* ---- wait lists: tasks parked until something about an object changes ---------- */

/* Thin names over the core's wait queues (core.h). Waiters re-check their
 * condition when they resume: a wake only says "look again". */

/* Park the current task on list until cio__net_wake_all(). Returns the
 * status it was woken with, or an interrupt. */
static inline int cio__net_park(cio_task *task, struct cio__waitq *list) {
    return cio__waitq_park(list, task, NULL, NULL);
}
/* cio__net_park, shown by introspection as kind (a cio_wait_kind) on object,
 * with detail (static text, or NULL). */
static inline int cio__net_park_as(cio_task *task, struct cio__waitq *list, uint8_t kind,
                                   const void *object, const char *detail) {
    cio__wait_tag_detail(task, kind, object, detail);
    return cio__waitq_park(list, task, NULL, NULL);
}
/* Wake every task parked on list with status. */
static inline void cio__net_wake_all(struct cio__waitq *list, int status) {
    cio__waitq_wake_all(list, status);
}
/* Wake task out of its current interruptible wait (whatever it waits on)
 * with status, if it is in one: for closing an object under a waiter. */
static inline void cio__net_interrupt(cio_task *task, int status) {
    cio__wait_end(task, status);
}

/* A stream whose handle another object owns (a process's pipe) refuses
 * cio_stream_free until the owner lends it no more (stream.c). */
void cio__stream_set_borrowed(cio_stream *stream, bool borrowed);

/* ---- byte buffers ----------------------------------------------------------------- */

/* data[start, end) holds the live bytes; cap is data's size. Empty buffers
 * keep start == end == 0, so appends and fills begin at the front. */
struct cio__buffer {
    char *data;
    size_t start, end, cap;
};

static inline size_t cio__buffer_len(const struct cio__buffer *buffer) {
    return buffer->end - buffer->start;
}

/* The first live byte (NULL for a buffer that never held any). */
static inline char *cio__buffer_head(const struct cio__buffer *buffer) {
    return buffer->data ? buffer->data + buffer->start : NULL;
}

/* Make room for at least `room` bytes after end, moving the live bytes to
 * the front or growing (doubling, at least to `room`). 0 or -ENOMEM. The
 * check is inline: every read of a transport and every fill makes it, and
 * it almost always finds the room there. */
int cio__buffer_make_room(struct cio__buffer *buffer, size_t room);
static inline int cio__buffer_reserve(struct cio__buffer *buffer, size_t room) {
    return buffer->cap - buffer->end >= room ? 0 : cio__buffer_make_room(buffer, room);
}
int cio__buffer_append(struct cio__buffer *buffer, const void *data, size_t len);
void cio__buffer_consume(struct cio__buffer *buffer, size_t len);
void cio__buffer_clear(struct cio__buffer *buffer); /* drops the bytes, keeps the memory */
void cio__buffer_free(struct cio__buffer *buffer);

/* ---- streams ------------------------------------------------------------------------ */

#define CIO__STREAM_MAGIC 0x63696f53u /* "cioS" */

enum cio__stream_state {
    CIO__STREAM_OPEN,
    CIO__STREAM_CLOSING, /* closed for the user; the flusher sends the rest, then closes fd */
    CIO__STREAM_CLOSED,  /* fd closed (fd == -1) */
};

struct cio_server;

/* What a stream's fd is, which decides its transport (below): sockets use
 * recv and sendmsg(MSG_NOSIGNAL) and half-close with shutdown(); pipes, FIFOs
 * and character devices use read and writev with SIGPIPE held off, and a
 * write-only one sends EOF by closing. */
enum cio__stream_kind {
    CIO__STREAM_SOCKET,
    CIO__STREAM_READ_END,  /* a pipe's or FIFO's read end (O_RDONLY) */
    CIO__STREAM_WRITE_END, /* a pipe's or FIFO's write end (O_WRONLY) */
    CIO__STREAM_DEVICE,    /* anything else pollable and read-write: a tty, a FIFO opened O_RDWR */
};

/* A stream's transport: where its bytes come from and go to. The stream
 * (buffers, waiting, one reader, the flusher, closing) sits on top and calls
 * only these; a TLS engine is one more of them. Each call makes one attempt
 * and never waits: the stream waits for the fd's readiness (stream->fd)
 * itself, after -EAGAIN.
 *  - recv: read up to len bytes into dst. The count, 0 at EOF, -EAGAIN when
 *    nothing can be read now, or another -errno (EINTR is retried inside).
 *  - send: write iov[0..iovcnt) in order. The count taken (0 when the fd is
 *    full), or -errno; a gone peer is -EPIPE, never a SIGPIPE.
 *  - shutdown_write: end the sending side once everything is sent. 0,
 *    -errno, or CIO__IO_CLOSE_INSTEAD: this transport has no half-close and
 *    sends EOF by closing (a pipe's write end), which the stream then does.
 *  - close: release the transport's own state (may be NULL). The fd itself
 *    is closed by the stream, with cio_close(), after this.
 *  - wait_events (may be NULL: the same): the fd readiness to wait for
 *    before retrying a direction (CIO__READABLE for reads, CIO__WRITABLE
 *    for sends) after -EAGAIN or a short count. A TLS read may need the fd
 *    writable and a send readable; 0 means "retry now, do not wait" (the
 *    engine holds bytes the fd no longer shows).
 *  - goodbye (may be NULL): what a graceful close sends last, after the
 *    write buffer (TLS's close_notify): 0 when done (or not possible), or
 *    -EAGAIN to wait (as wait_events says) and call again. The flusher runs
 *    it within stream->goodbye_timeout seconds; abort skips it. */
#define CIO__IO_CLOSE_INSTEAD 1
struct cio__stream_io {
    ssize_t (*recv)(cio_stream *stream, void *dst, size_t len);
    ssize_t (*send)(cio_stream *stream, const struct iovec *iov, int iovcnt);
    int (*shutdown_write)(cio_stream *stream);
    void (*close)(cio_stream *stream);
    unsigned (*wait_events)(cio_stream *stream, unsigned events);
    int (*goodbye)(cio_stream *stream);
    const char *name; /* what a task dump adds to a wait on it ("tls", "pipe"), or NULL */
};
extern const struct cio__stream_io cio__socket_io; /* stream.c */
extern const struct cio__stream_io cio__pipe_io;   /* pipe.c */

/* What a stream tells the object driving it by callbacks (a transport,
 * transport.c), NULL for a plain stream. Called from the stream's own code,
 * so they must not free the stream.
 *  - paused: the write buffer went above high (true) or came back down to
 *    low (false).
 *  - failed: a send failed with err; what was buffered is dropped.
 *  - closed: the fd was closed (state CLOSED). */
struct cio__stream_hooks {
    void (*paused)(cio_stream *stream, bool paused);
    void (*failed)(cio_stream *stream, int err);
    void (*closed)(cio_stream *stream);
};

struct cio_stream {
    uint32_t magic; /* CIO__STREAM_MAGIC; CIO__DEAD_MAGIC once the memory is released */
    uint8_t state;
    uint8_t kind;         /* enum cio__stream_kind */
    bool handle_released; /* cio_stream_free was called: the handle is stale */
    bool borrowed;        /* another object owns the handle (a process's pipe): no free */
    int fd;
    int refs;
    cio_loop *loop;
    pthread_t thread; /* the thread that made it (its loop's), for the thread check */
    const struct cio__stream_io *io;
    void *io_state;         /* the transport's own (TLS: struct cio__tls) */
    double goodbye_timeout; /* seconds io->goodbye may take; 0: no limit */
    bool upgrading;         /* start_tls is running its handshake: writes get -EBUSY */
    bool sending_file;      /* cio_stream_sendfile is running: writes get -EBUSY */
    const struct cio__stream_hooks *hooks; /* a transport drives it (NULL: none) */
    void *hooks_arg;

    /* reading */
    struct cio__buffer in;
    size_t limit;
    bool eof;         /* recv returned 0 */
    bool drained;     /* the last recv was short or EAGAIN: wait before the next one */
    bool reset;       /* a send saw ECONNRESET (and so took it from the socket): reads report it */
    int read_error;   /* sticky: a failed recv's -errno */
    cio_task *reader; /* the task inside a read call (one at a time), for close to wake */

    /* writing: out is non-empty only while a flusher task exists (or after
     * an error dropped it: then it is empty again) */
    struct cio__buffer out;
    size_t high, low;
    bool paused;     /* out went above high and has not yet come down to low */
    bool eof_wanted; /* write_eof called: shut down the sending side when out is sent */
    bool eof_sent;
    int write_error; /* sticky: a failed send's -errno; out was dropped */
    cio_task *flusher;
    struct cio__waitq drainers, closers;
    struct cio__close_hook loop_hook; /* the loop frees its tasks: forget reader, flusher */

    /* a server's connection: linked on server->clients while it counts */
    struct cio_server *server;
    struct cio__list server_link;
    bool connection_done; /* the server's accounting for it has run */
};

/* The check every public stream function makes first: 0 for a live handle
 * used on its loop's thread; else -EINVAL (NULL: silently; a freed or
 * foreign handle: with a report) or -EPERM (another thread, with a report).
 * "Its loop's thread": the thread running the stream's loop, or, while no
 * thread runs it, the thread that made the stream. */
int cio__stream_check_slow(const cio_stream *stream, const char *caller);
static inline int cio__stream_check(const cio_stream *stream, const char *caller) {
    if (__builtin_expect(stream && stream->magic == CIO__STREAM_MAGIC && !stream->handle_released &&
                             cio__running_loop == stream->loop,
                         1))
        return 0;
    return cio__stream_check_slow(stream, caller);
}

/* A stream over the connected, non-blocking socket fd (not yet owned: on
 * error the caller keeps fd), which the caller has adopted or already waited
 * on with a recheck. limit 0: the default. 0 or -ENOMEM. The stream is a
 * socket's; cio_stream_from_fd() sets another kind. */
int cio__stream_new(cio_loop *loop, int fd, size_t limit, cio_stream **out);
/* cio__stream_check without the report, for the accessors that cannot fail. */
bool cio__stream_valid(const cio_stream *stream, const char *caller);
/* Add O_NONBLOCK to fd's status flags. Returns the flags it had (>= 0), or
 * -errno. */
int cio__fd_set_nonblocking(int fd);
void cio__stream_ref(cio_stream *stream);
void cio__stream_unref(cio_stream *stream);
/* stream_write.c: cio_stream_writev for a caller that has already made
 * its handle and thread check (a transport holding the stream): the same
 * returns but the check's. */
int cio__stream_writev(cio_stream *stream, const struct iovec *iov, int iovcnt);
/* stream_write.c: after close(): close fd once the flusher has sent what
 * is buffered and the transport's goodbye (at once if there is neither). */
void cio__stream_close_when_flushed(cio_stream *stream);
/* Close fd now and wake everyone waiting for that; state becomes CLOSED. */
void cio__stream_close_fd(cio_stream *stream);
/* A socket fd this layer just made or accepted, on loop: drop whatever
 * registration the poller still keeps under its number (an earlier fd closed
 * with plain close()). Free when there is none. */
void cio__net_adopt_fd(cio_loop *loop, int fd);
/* datagram.c: an endpoint of the datagram socket fd (made non-blocking; the
 * endpoint owns it on success). Returns 0, -EINVAL (fd < 0 or not
 * SOCK_DGRAM, no running loop), -ENOTSOCK, -ENOMEM. */
int cio__datagram_adopt(int fd, cio_datagram **out);
/* Wait for fd readiness as the stream's reader (the caller is
 * stream->reader, so close can wake it) or writer; see the recheck rule
 * above. Returns 0, an interrupt, or -CIO_ECLOSED once the stream is closed
 * for this direction. */
int cio__stream_wait(cio_stream *stream, cio_task *task, unsigned events);
/* stream_read.c: one recv into dst, never waiting, with the stream's
 * bookkeeping (drained, eof, read_error): the count, 0 at EOF, -EAGAIN, or
 * an error. */
ssize_t cio__stream_receive_once(cio_stream *stream, void *dst, size_t len);
/* The same into the stream's own buffer `in` (appending), offering recv at
 * least room bytes (0: the stream's usual 16 KiB). */
ssize_t cio__stream_fill_once(cio_stream *stream, size_t room);
/* The fd events to wait for before reading (events CIO__READABLE) or sending
 * again; 0: retry now (a TLS engine holds bytes). Inline: a transport asks
 * after every short read. */
static inline unsigned cio__stream_events_wanted(cio_stream *stream, unsigned events) {
    return stream->io->wait_events ? stream->io->wait_events(stream, events) : events;
}
/* Set TCP_NODELAY (unless nagle) and SO_KEEPALIVE (if keepalive) on a TCP
 * socket; Unix sockets are left as they are. Failures are ignored: they are
 * tuning, not correctness. */
void cio__net_tune(int fd, int family, bool nagle, bool keepalive);

/* pipe.c: op(ctx), a write(2)-like call (writev, sendfile) that has no
 * MSG_NOSIGNAL, run so that it never raises SIGPIPE (see pipe.c for how):
 * its result, with errno set as op left it. */
ssize_t cio__net_quietly(cio_loop *loop, ssize_t (*op)(void *), void *ctx);

/* ---- TLS (tls*.c; tls_none.c without OpenSSL) -------------------------------------------- */

/* Run a client handshake on stream (plain so far) with ctx, checking the
 * server's certificate against hostname (NULL: none; SNI too), within ctx's
 * handshake timeout, on success leaving stream a TLS stream. On failure the
 * stream is still plain; its fd's state is unknown: abort it. 0 or an error
 * (-CIO_ECERTIFICATE, -EPROTO, -ETIMEDOUT, -ECANCELED, -ENOMEM...). */
int cio__tls_connect(cio_stream *stream, struct cio_tls_context *ctx, const char *hostname);
/* The same as a server (a server's connection, before its handler). */
int cio__tls_accept(cio_stream *stream, struct cio_tls_context *ctx);
/* Take and drop a reference to ctx (a server keeps its context). */
void cio__tls_context_hold(struct cio_tls_context *ctx);
void cio__tls_context_release(struct cio_tls_context *ctx);
bool cio__tls_context_is_server(const struct cio_tls_context *ctx);

/* ---- servers ---------------------------------------------------------------------------- */

#define CIO__SERVER_MAGIC 0x63696f56u /* "cioV" */

struct cio__listener {
    cio_server *server;
    int fd; /* -1 once closed */
    int family;
    cio_task *acceptor; /* its accept loop, or NULL once that ended */
};

struct cio_server {
    uint32_t magic;
    bool closed;          /* no longer accepting; listeners closed */
    bool serving;         /* its acceptors were started (cio_server_start_serving) */
    bool handle_released; /* cio_server_free was called */
    int refs;             /* the handle, the loop's close hook, each acceptor and connection */
    cio_loop *loop;
    cio_connection_handler handler;
    void *arg;
    void *handler_state; /* freed with the server (cio_create_server's, transport_server.c) */
    cio_server_options opts;
    struct cio__listener *listeners;
    size_t listener_count;
    char *unix_path; /* a Unix server's socket file, removed on close */
    dev_t unix_dev;  /* ... if it is still the one we made */
    ino_t unix_ino;
    size_t active;            /* connections not yet finished */
    struct cio__list clients; /* their streams (server_link) */
    /* Tasks waiting for the server to change: a connection ended or it
     * closed (acceptors at the connection cap, serve_forever, wait_closed). */
    struct cio__waitq changes;
};

/* A live server handle; false, with a report naming caller, if stale. */
bool cio__server_valid(const cio_server *server, const char *caller);
void cio__server_ref(cio_server *server);
void cio__server_unref(cio_server *server);
/* accept.c: start the accept loop of listener. 0 or -ENOMEM. */
int cio__server_start_acceptor(struct cio__listener *listener);
/* accept.c: end every connection still counted, without waiting (the loop is
 * closing). */
void cio__server_end_connections(cio_server *server);

/* ---- addresses and resolution ---------------------------------------------------- */

/* Resolve host:port for socktype (SOCK_STREAM / SOCK_DGRAM) and family with
 * extra getaddrinfo flags (AI_PASSIVE...), through cio_getaddrinfo(). */
int cio__net_resolve(const char *host, int port, int family, int socktype, int flags,
                     struct addrinfo **res);
/* Fill addr for a Unix socket path ('@' first: abstract); *len gets its
 * length. 0, -EINVAL (empty), -ENAMETOOLONG. */
int cio__net_unix_address(const char *path, struct sockaddr_un *addr, socklen_t *len);
/* connect.c: connect a TCP socket to one of list's addresses, racing them
 * (happy eyeballs) as opts says, each socket bound first to opts' local
 * address if it names one; *fd gets the connected socket. */
int cio__net_connect_any(struct addrinfo *list, const cio_connect_options *opts, int *fd);
/* Map a getaddrinfo/getnameinfo error (with errno for EAI_SYSTEM). */

#endif
