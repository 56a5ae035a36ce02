/* src/net/transport.c - a stream driven by callbacks: asyncio's transports
 * and protocols over TCP, Unix and TLS streams.
 *
 * A transport is not a second stream: it owns a cio_stream and uses its
 * buffers and its write path as they are (cio_stream_writev, the flusher,
 * graceful close, the water marks). Only the reading differs: instead of a
 * task waiting in a read call, a fd watch (cio__io_watch) runs a read pass
 * when the socket is readable, reading through the stream's own receive
 * (cio__stream_fill_once: the same `in` buffer, EOF, reset and error
 * bookkeeping) and handing each chunk to the protocol. The stream tells the
 * transport what happens on the writing side through its hooks: the water
 * marks (pause_writing / resume_writing), a failed send, the fd closing.
 *
 * connection_lost always comes from the loop (cio_call_soon), never from
 * inside a transport call or a read pass, so a protocol may close or abort
 * its transport from any callback. The transport's memory is counted: its
 * own reference (dropped after connection_lost), each queued callback, and
 * a server connection's task while it waits. */
#include "net/transport.h"

#include <stdlib.h>
#include <string.h>

/* Read passes in a row on one readiness report before the transport lets
 * the rest of the loop run (the next pass is queued): a peer that sends
 * without pause must not starve the other connections. 16 recvs of 16 KiB
 * is 256 KiB, asyncio reads 256 KiB per turn too (max_size of its sockets'
 * recv_into buffer). */
#define READ_BURST 16
/* What a read offers recv: MIN_ROOM at first, doubled each time a recv fills
 * it up to MAX_ROOM (asyncio's 256 KiB), so an idle or chatty connection
 * keeps a 16 KiB buffer while a bulk one gets few large reads and writes:
 * with 16 KiB reads an echo of 100 KiB messages ran at 0.67x the stream echo
 * server (bench/echo.sh, 50 connections, loaded machine), with growth at par. */
#define MIN_ROOM (16u * 1024u)
#define MAX_ROOM (256u * 1024u)

static const struct cio__stream_hooks hooks;

/* ---- handles ----------------------------------------------------------------------------- */

/* A transport frees itself after connection_lost, so a protocol that keeps
 * the handle and uses it later holds a stale pointer. Freed transports go
 * through the core's quarantine of freed handles (core/handle.c), poisoned,
 * as every other handle does: such a call is refused with a report instead
 * of reading memory malloc may have handed to something else. */

int cio__transport_check(const cio_transport *transport, const char *caller) {
    if (!transport) return -EINVAL;
    if (transport->magic != CIO__TRANSPORT_MAGIC) {
        cio__complain(transport->magic == CIO__DEAD_MAGIC
                          ? "%s: the transport was freed after its connection_lost (a stale handle)"
                          : "%s: not a transport (a stale or corrupt handle)",
                      caller);
        return -EINVAL;
    }
    if (cio__running_loop == transport->loop) return 0;
    if (!cio__running_loop && pthread_equal(transport->thread, pthread_self())) return 0;
    cio__complain("%s: called from a thread that does not run the transport's loop", caller);
    return -EPERM;
}

/* A transport armed for its next read counts as a task waiting on an fd
 * would: a virtual-clock loop then waits for the peer instead of calling the
 * run a deadlock (loop.c's poll_idle_virtual). */
static void set_waiting(cio_transport *transport, bool waiting) {
    if (transport->waiting == waiting) return;
    transport->waiting = waiting;
    cio__loop_io_waiters_add(transport->loop, waiting ? 1 : -1);
}

void cio__transport_ref(cio_transport *transport) {
    transport->refs++;
}

void cio__transport_unref(cio_transport *transport) {
    if (--transport->refs > 0) return;
    set_waiting(transport, false);
    cio__loop_hook_remove(&transport->loop_hook);
    cio_stream *stream = transport->stream;
    stream->hooks = NULL;
    if (transport->owns_stream) cio_stream_free(stream);
    cio__stream_unref(stream);     /* the transport's own */
    cio__handle_retire(transport); /* a stale handle is reported (core/handle.c) */
}

/* Queue fn(transport) for the loop's next turn, holding a reference. */
static int defer(cio_transport *transport, cio_callback fn) {
    int rc = cio_call_soon(transport->loop, fn, transport, NULL);
    if (rc == 0) cio__transport_ref(transport);
    return rc;
}

/* ---- connection_lost ----------------------------------------------------------------------- */

static void call_lost(cio_transport *transport) {
    transport->lost = true;
    transport->stream->hooks = NULL;
    const cio_protocol *protocol = transport->protocol;
    if (protocol->connection_lost)
        protocol->connection_lost(transport, transport->error, transport->arg);
    cio__net_wake_all(&transport->finished, 0);
}

static void lost_soon(void *arg) {
    cio_transport *transport = arg;
    call_lost(transport);
    transport->refs--;               /* the queued callback's (the own one is still held) */
    cio__transport_unref(transport); /* the transport's own: connection_lost was the end */
}

/* The stream's fd closed: tell the protocol from the loop. */
static void stream_closed(cio_stream *stream) {
    cio_transport *transport = stream->hooks_arg;
    set_waiting(transport, false);
    if (transport->lost_queued) return;
    transport->lost_queued = true;
    transport->closing = true;
    /* Out of memory for the callback record: the loop's close hook calls it. */
    (void)defer(transport, lost_soon);
}

/* The loop closes before connection_lost could run: run it now, so the
 * protocol can release what it holds, then let the memory go. */
static void loop_closing(cio_loop *loop, void *arg) {
    (void)loop;
    cio_transport *transport = arg;
    cio_stream *stream = transport->stream;
    stream->hooks = NULL;
    cio_task *task; /* a server's task: it will never resume */
    while ((task = cio__waitq_pop(&transport->finished)) != NULL) cio__wait_forget(task);
    if (stream->state != CIO__STREAM_CLOSED) {
        cio__buffer_clear(&stream->out);
        cio__stream_close_fd(stream);
    }
    if (!transport->lost) {
        if (!transport->error) transport->error = -ECANCELED;
        call_lost(transport);
    }
    transport->refs = 1; /* queued callbacks will never run */
    cio__transport_unref(transport);
}

/* ---- ending the connection ------------------------------------------------------------------- */

/* Close the fd now, dropping what is buffered; err (0: none) is what
 * connection_lost will get. */
static void abort_now(cio_transport *transport, int err) {
    cio_stream *stream = transport->stream;
    if (err && !transport->error) transport->error = err;
    transport->closing = true;
    if (stream->state == CIO__STREAM_CLOSED) return;
    cio__buffer_clear(&stream->out);
    stream->paused = false;
    cio__stream_close_fd(stream); /* the closed hook queues connection_lost */
}

static void stream_failed(cio_stream *stream, int err) {
    abort_now(stream->hooks_arg, err);
}

static void stream_paused(cio_stream *stream, bool paused) {
    cio_transport *transport = stream->hooks_arg;
    const cio_protocol *protocol = transport->protocol;
    void (*fn)(cio_transport *, void *) =
        paused ? protocol->pause_writing : protocol->resume_writing;
    if (fn) fn(transport, transport->arg);
}

static const struct cio__stream_hooks hooks = {
    .paused = stream_paused,
    .failed = stream_failed,
    .closed = stream_closed,
};

/* ---- reading -----------------------------------------------------------------------------------
 */

/* True while a read pass should go on reading. */
static bool wants_data(const cio_transport *transport) {
    return transport->reading && transport->stream->kind != CIO__STREAM_WRITE_END &&
           !transport->eof && !transport->closing && transport->stream->state == CIO__STREAM_OPEN;
}

/* Hand what `in` holds to the protocol: data_received, or copied into the
 * buffered protocol's buffers. 0, or get_buffer's error. */
static int deliver_buffered(cio_transport *transport) {
    cio_stream *stream = transport->stream;
    const cio_protocol *protocol = transport->protocol;
    while (cio__buffer_len(&stream->in) > 0 && wants_data(transport)) {
        const char *head = cio__buffer_head(&stream->in);
        size_t len = cio__buffer_len(&stream->in);
        if (!protocol->get_buffer) {
            cio__buffer_clear(&stream->in); /* before the call: it may close or re-enter */
            if (protocol->data_received)
                protocol->data_received(transport, head, len, transport->arg);
            continue;
        }
        void *buf = NULL;
        size_t room = 0;
        int rc = protocol->get_buffer(transport, len, &buf, &room, transport->arg);
        if (rc == 0 && (!buf || room == 0)) rc = -EINVAL;
        if (rc < 0) return rc;
        size_t n = room < len ? room : len;
        memcpy(buf, head, n);
        cio__buffer_consume(&stream->in, n);
        if (protocol->buffer_updated) protocol->buffer_updated(transport, n, transport->arg);
    }
    return 0;
}

/* One recv for the protocol: the count (already delivered), 0 at EOF,
 * -EAGAIN, or an error. Called only while wants_data(), which the recv
 * cannot change: what it read goes to data_received without asking again.
 * `in` is emptied before the call (it may close or re-enter), so a write of
 * the data from inside data_received that the socket takes whole copies
 * nothing. */
static ssize_t receive(cio_transport *transport) {
    cio_stream *stream = transport->stream;
    const cio_protocol *protocol = transport->protocol;
    if (!protocol->get_buffer) {
        size_t room = transport->room;
        ssize_t n = cio__stream_fill_once(stream, room);
        if (n <= 0) return n;
        if ((size_t)n >= room && room < MAX_ROOM) transport->room = room * 2;
        const char *head = cio__buffer_head(&stream->in);
        size_t len = cio__buffer_len(&stream->in);
        cio__buffer_clear(&stream->in);
        if (protocol->data_received) protocol->data_received(transport, head, len, transport->arg);
        return n;
    }
    void *buf = NULL;
    size_t room = 0;
    int rc = protocol->get_buffer(transport, transport->room, &buf, &room, transport->arg);
    if (rc == 0 && (!buf || room == 0)) rc = -EINVAL;
    if (rc < 0) return rc;
    ssize_t n = cio__stream_receive_once(stream, buf, room);
    if (n > 0 && protocol->buffer_updated)
        protocol->buffer_updated(transport, (size_t)n, transport->arg);
    return n;
}

/* Wait for the next readiness report (after EAGAIN or a short read): true
 * if armed, false if that failed (the transport is aborted). On a poller
 * whose arms persist (epoll) the first arm is the only one: re-arming after
 * each read would be a call per message that changes nothing. */
static bool arm(cio_transport *transport) {
    if (transport->armed) {
        set_waiting(transport, true);
        return true;
    }
    cio_stream *stream = transport->stream;
    unsigned events = cio__stream_events_wanted(stream, CIO__READABLE);
    if (events == 0) events = CIO__READABLE; /* cannot happen after a short read: be safe */
    int rc = cio__io_watch(transport->loop, stream->fd, &transport->watch, events, false);
    if (rc < 0) {
        abort_now(transport, rc);
        return false;
    }
    transport->armed = cio__io_watch_persists(transport->loop);
    set_waiting(transport, true);
    return true;
}

/* The peer ended its side: eof_received decides whether to close. */
static void got_eof(cio_transport *transport) {
    transport->eof = true;
    const cio_protocol *protocol = transport->protocol;
    bool keep_open = protocol->eof_received && protocol->eof_received(transport, transport->arg);
    if (!keep_open && transport->stream->state == CIO__STREAM_OPEN) cio_transport_close(transport);
}

static void read_later(void *arg);

/* Read while the socket has data and the protocol wants it. Runs from the
 * fd watch (inside the poller's dispatch) or from the loop. A transport
 * that was waiting and arms again stays counted as waiting throughout (no
 * loop can see the count meanwhile); one that stops reading is not. */
static void read_pass(cio_transport *transport) {
    cio__transport_ref(transport); /* a callback may close it: connection_lost is queued anyway */
    cio_stream *stream = transport->stream;
    bool armed = false;
    int rc = deliver_buffered(transport); /* what the stream read before (a TLS handshake's) */
    for (int i = 0; rc == 0 && wants_data(transport); i++) {
        if (i == READ_BURST) {
            if (!transport->read_queued && defer(transport, read_later) == 0)
                transport->read_queued = true;
            break;
        }
        ssize_t n = receive(transport);
        /* A short read means drained, unless the peer hung up: its FIN may
         * have come with the last data, and the edge that said so is spent. */
        bool drained = n > 0 && stream->drained && !transport->hangup;
        if (n == -EAGAIN || (drained && wants_data(transport) &&
                             cio__stream_events_wanted(stream, CIO__READABLE))) {
            armed = arm(transport);
            break;
        }
        if (n == 0) got_eof(transport);
        if (n < 0) rc = (int)n;
    }
    if (!armed) set_waiting(transport, false);
    if (rc < 0) abort_now(transport, rc);
    cio__transport_unref(transport);
}

static void read_later(void *arg) {
    cio_transport *transport = arg;
    transport->read_queued = false;
    read_pass(transport);
    cio__transport_unref(transport); /* the queued callback's */
}

static void watch_ready(struct cio__fd_watch *watch, int fd, unsigned events) {
    (void)fd;
    cio_transport *transport = cio__container_of(watch, cio_transport, watch);
    if (events & CIO__HANGUP) transport->hangup = true; /* read on to the EOF, past short reads */
    if (events & CIO__READABLE ||
        cio__stream_events_wanted(transport->stream, CIO__READABLE) & CIO__WRITABLE)
        read_pass(transport);
}

/* Read at the loop's next turn (a new transport, resume_reading): what came
 * meanwhile may have left no edge to report. */
static int read_soon(cio_transport *transport) {
    if (transport->read_queued) return 0;
    int rc = defer(transport, read_later);
    if (rc == 0) transport->read_queued = true;
    return rc;
}

/* ---- making one ---------------------------------------------------------------------------------
 */

static int check_stream(cio_stream *stream) {
    if (stream->state != CIO__STREAM_OPEN) return -CIO_ECLOSED;
    if (stream->reader || stream->hooks) return -EINVAL;
    return 0;
}

int cio__transport_start(cio_stream *stream, const cio_protocol *protocol, void *arg,
                         bool owns_stream, cio_transport **out) {
    int rc = check_stream(stream);
    if (rc < 0) return rc;
    cio_transport *transport = calloc(1, sizeof *transport);
    if (!transport) return -ENOMEM;
    transport->magic = CIO__TRANSPORT_MAGIC;
    transport->refs = 1;
    transport->loop = stream->loop;
    transport->thread = pthread_self();
    transport->stream = stream;
    transport->owns_stream = owns_stream;
    transport->protocol = protocol;
    transport->arg = arg;
    transport->reading = true;
    transport->room = MIN_ROOM;
    transport->watch.ready = watch_ready;
    cio__waitq_init(&transport->finished);
    rc = read_soon(transport);
    if (rc < 0) {
        free(transport);
        return rc;
    }
    cio__stream_ref(stream);
    stream->hooks = &hooks;
    stream->hooks_arg = transport;
    cio__loop_hook_add(transport->loop, &transport->loop_hook, loop_closing, transport);
    *out = transport;
    if (protocol->connection_made) protocol->connection_made(transport, arg);
    return 0;
}

int cio_transport_new(cio_stream *stream, const cio_protocol *protocol, void *arg,
                      cio_transport **out) {
    if (out) *out = NULL;
    int rc = cio__stream_check(stream, "cio_transport_new");
    if (rc < 0) return rc;
    if (!protocol || !out || stream->server || stream->borrowed) rc = -EINVAL;
    if (rc == 0) rc = cio__transport_start(stream, protocol, arg, true, out);
    if (rc < 0) cio_stream_free(stream); /* it was handed over: on failure too */
    return rc;
}

int cio_create_connection(const char *host, int port, const cio_protocol *protocol, void *arg,
                          const cio_connect_options *opts, cio_transport **out) {
    if (out) *out = NULL;
    if (!protocol || !out) return -EINVAL;
    cio_stream *stream;
    int rc = cio_open_connection(host, port, opts, &stream);
    if (rc < 0) return rc;
    return cio_transport_new(stream, protocol, arg, out);
}

int cio_create_unix_connection(const char *path, const cio_protocol *protocol, void *arg,
                               const cio_connect_options *opts, cio_transport **out) {
    if (out) *out = NULL;
    if (!protocol || !out) return -EINVAL;
    cio_stream *stream;
    int rc = cio_open_unix_connection(path, opts, &stream);
    if (rc < 0) return rc;
    return cio_transport_new(stream, protocol, arg, out);
}

int cio_connect_accepted_socket(int fd, const cio_protocol *protocol, void *arg,
                                cio_transport **out) {
    if (out) *out = NULL;
    if (!protocol || !out) return -EINVAL;
    cio_stream *stream;
    int rc = cio_stream_from_socket(fd, 0, &stream);
    if (rc < 0) return rc;
    rc = cio__transport_start(stream, protocol, arg, true, out);
    if (rc < 0) {
        stream->fd = -1; /* on failure fd stays the caller's */
        stream->state = CIO__STREAM_CLOSED;
        cio_stream_free(stream);
    }
    return rc;
}

/* ---- writing
 * --------------------------------------------------------------------------------------- */

int cio_transport_write(cio_transport *transport, const void *buf, size_t len) {
    int rc = cio__transport_check(transport, "cio_transport_write");
    if (rc < 0) return rc;
    if (!buf && len) return -EINVAL;
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
    return cio__stream_writev(transport->stream, &iov, 1); /* checked: its stream is live */
}

int cio_transport_writelines(cio_transport *transport, const struct iovec *iov, int iovcnt) {
    int rc = cio__transport_check(transport, "cio_transport_writelines");
    return rc < 0 ? rc : cio__stream_writev(transport->stream, iov, iovcnt);
}

int cio_transport_write_eof(cio_transport *transport) {
    int rc = cio__transport_check(transport, "cio_transport_write_eof");
    return rc < 0 ? rc : cio_stream_write_eof(transport->stream);
}

bool cio_transport_can_write_eof(const cio_transport *transport) {
    return cio__transport_check(transport, "cio_transport_can_write_eof") == 0 &&
           cio_stream_can_write_eof(transport->stream);
}

int cio_transport_set_write_buffer_limits(cio_transport *transport, size_t high, size_t low) {
    int rc = cio__transport_check(transport, "cio_transport_set_write_buffer_limits");
    return rc < 0 ? rc : cio_stream_set_write_buffer_limits(transport->stream, high, low);
}

size_t cio_transport_get_write_buffer_size(const cio_transport *transport) {
    return cio__transport_check(transport, "cio_transport_get_write_buffer_size") == 0
               ? cio__buffer_len(&transport->stream->out)
               : 0;
}

/* ---- reading control
 * ---------------------------------------------------------------------------------- */

int cio_transport_pause_reading(cio_transport *transport) {
    int rc = cio__transport_check(transport, "cio_transport_pause_reading");
    if (rc < 0) return rc;
    if (cio_transport_is_closing(transport)) return -CIO_ECLOSED;
    transport->reading = false;
    set_waiting(transport, false);
    return 0;
}

int cio_transport_resume_reading(cio_transport *transport) {
    int rc = cio__transport_check(transport, "cio_transport_resume_reading");
    if (rc < 0) return rc;
    if (cio_transport_is_closing(transport)) return -CIO_ECLOSED;
    if (transport->reading) return 0;
    transport->reading = true;
    return read_soon(transport);
}

bool cio_transport_is_reading(const cio_transport *transport) {
    return cio__transport_check(transport, "cio_transport_is_reading") == 0 &&
           wants_data(transport);
}

/* ---- closing
 * ------------------------------------------------------------------------------------------- */

int cio_transport_close(cio_transport *transport) {
    int rc = cio__transport_check(transport, "cio_transport_close");
    if (rc < 0) return rc;
    cio_stream *stream = transport->stream;
    if (transport->closing || stream->state != CIO__STREAM_OPEN) return -CIO_ECLOSED;
    transport->closing = true;
    stream->state = CIO__STREAM_CLOSING;
    cio__stream_close_when_flushed(stream);
    return 0;
}

int cio_transport_abort(cio_transport *transport) {
    int rc = cio__transport_check(transport, "cio_transport_abort");
    if (rc < 0) return rc;
    if (transport->stream->state == CIO__STREAM_CLOSED) return -CIO_ECLOSED;
    abort_now(transport, 0);
    return 0;
}

bool cio_transport_is_closing(const cio_transport *transport) {
    return cio__transport_check(transport, "cio_transport_is_closing") == 0 &&
           (transport->closing || transport->stream->state != CIO__STREAM_OPEN);
}

/* ---- information
 * ---------------------------------------------------------------------------------------- */

int cio_transport_fd(const cio_transport *transport) {
    int rc = cio__transport_check(transport, "cio_transport_fd");
    if (rc < 0) return rc;
    return transport->stream->state == CIO__STREAM_CLOSED ? -CIO_ECLOSED : transport->stream->fd;
}

int cio_transport_peername(const cio_transport *transport, struct sockaddr *addr,
                           socklen_t *addrlen) {
    int fd = cio_transport_fd(transport);
    if (fd < 0) return fd;
    if (!addr || !addrlen) return -EINVAL;
    return getpeername(fd, addr, addrlen) == 0 ? 0 : -errno;
}

int cio_transport_sockname(const cio_transport *transport, struct sockaddr *addr,
                           socklen_t *addrlen) {
    int fd = cio_transport_fd(transport);
    if (fd < 0) return fd;
    if (!addr || !addrlen) return -EINVAL;
    return getsockname(fd, addr, addrlen) == 0 ? 0 : -errno;
}

int cio_transport_tls_info(const cio_transport *transport, cio_tls_info *info) {
    int rc = cio__transport_check(transport, "cio_transport_tls_info");
    return rc < 0 ? rc : cio_stream_tls_info(transport->stream, info);
}

void *cio_transport_protocol_arg(const cio_transport *transport) {
    return cio__transport_check(transport, "cio_transport_protocol_arg") == 0 ? transport->arg
                                                                              : NULL;
}
