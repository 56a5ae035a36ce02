/* src/net/transport_datagram.c - UDP endpoints driven by a datagram
 * protocol (asyncio's create_datagram_endpoint with a protocol).
 *
 * The endpoint is a cio_datagram (datagram.c makes and closes it); a fd
 * watch runs a read pass when the socket is readable, which receives whole
 * datagrams until EAGAIN into one buffer the transport keeps, so reading
 * allocates nothing. connection_lost comes from the loop, as for stream
 * transports, and the memory goes after it.
 *
 * Sending (asyncio's _SelectorDatagramTransport): sendto sends at once
 * while nothing is queued; a datagram the socket refuses with EAGAIN, and
 * every one after it until the queue drains, is copied once into its own
 * queue entry, and the watch's WRITABLE reports flush the queue in order.
 * An error from a flushed send goes to error_received (the datagram is
 * dropped) and the flush goes on. pause_writing / resume_writing follow the
 * queue's size against the water marks, and a bound stops a protocol that
 * ignores them. close waits for the queue to drain; abort drops it. */
#include "net/transport.h"

#include <stdlib.h>
#include <string.h>

#define DGRAM_MAGIC 0x63696f55u /* "cioU" */
/* The largest UDP payload (65535 - 8 - 20): no datagram is ever cut. */
#define DGRAM_MAX 65507
/* Datagrams per read pass before the rest of the loop gets a turn. */
#define DGRAM_BURST 64
/* What each queued datagram adds to get_write_buffer_size beside its bytes
 * (asyncio's _header_size), and the default water marks (asyncio's). */
#define QUEUED_OVERHEAD 8
#define DEFAULT_HIGH    (64 * 1024)
/* The queue's bound: this many times the high-water mark, at least QUEUE_FLOOR. */
#define QUEUE_FACTOR 16
#define QUEUE_FLOOR  (1024 * 1024)

/* A datagram waiting for the socket: one allocation, its bytes copied once. */
struct queued {
    struct queued *next;
    size_t len;
    socklen_t addrlen; /* 0: to the connected peer */
    struct sockaddr_storage addr;
    char data[];
};

struct cio_datagram_transport {
    uint32_t magic;
    int refs; /* its own (until connection_lost) and each queued callback */
    bool closing;
    bool lost;
    bool waiting; /* counted in the loop's io waiters (cio__loop_io_waiters_add) while open */
    cio_loop *loop;
    pthread_t thread;
    cio_datagram *ep;
    const cio_datagram_protocol *protocol;
    void *arg;
    struct cio__fd_watch watch;
    struct cio__close_hook loop_hook;
    char *buf;                   /* DGRAM_MAX bytes */
    struct queued *head, **tail; /* datagrams not sent yet, oldest first */
    size_t queued;               /* get_write_buffer_size */
    size_t high, low;            /* water marks */
    bool writing_paused;         /* pause_writing was called, resume_writing not yet */
    bool ended;                  /* the socket is closed: connection_lost is due */
};

static int check(const cio_datagram_transport *t, const char *caller) {
    if (cio__handle_check(t, DGRAM_MAGIC, "datagram transport", caller) < 0) return -EINVAL;
    if (cio__running_loop == t->loop) return 0;
    if (!cio__running_loop && pthread_equal(t->thread, pthread_self())) return 0;
    cio__complain("%s: called from a thread that does not run the transport's loop", caller);
    return -EPERM;
}

/* An open datagram transport waits for datagrams as a task parked on its fd
 * would: counted in the loop's io waiters (cio__loop_io_waiters_add), so a virtual-clock loop waits
 * for the peer rather than calling the run a deadlock. */
static void set_waiting(cio_datagram_transport *t, bool waiting) {
    if (t->waiting == waiting) return;
    t->waiting = waiting;
    cio__loop_io_waiters_add(t->loop, waiting ? 1 : -1);
}

static void drop_queue(cio_datagram_transport *t) {
    while (t->head) {
        struct queued *q = t->head;
        t->head = q->next;
        free(q);
    }
    t->tail = &t->head;
    t->queued = 0;
}

static void unref(cio_datagram_transport *t) {
    if (--t->refs > 0) return;
    drop_queue(t);
    cio__loop_hook_remove(&t->loop_hook);
    cio_datagram_free(t->ep);
    free(t->buf);
    cio__handle_retire(t); /* a stale handle is reported (core/handle.c) */
}

static void call_lost(cio_datagram_transport *t, int err) {
    t->lost = true;
    if (t->protocol->connection_lost) t->protocol->connection_lost(t, err, t->arg);
}

static void lost_soon(void *arg) {
    cio_datagram_transport *t = arg;
    call_lost(t, 0);
    t->refs--; /* the queued callback's; the own one goes below */
    unref(t);
}

static void loop_closing(cio_loop *loop, void *arg) {
    (void)loop;
    cio_datagram_transport *t = arg;
    t->closing = true;
    t->ended = true;
    set_waiting(t, false);
    (void)cio_datagram_close(t->ep);
    if (!t->lost) call_lost(t, -ECANCELED);
    t->refs = 1; /* a queued connection_lost will never run */
    unref(t);
}

/* ---- reading ------------------------------------------------------------------------- */

static void deliver(cio_datagram_transport *t, ssize_t n, const struct sockaddr_storage *from,
                    socklen_t fromlen) {
    const cio_datagram_protocol *p = t->protocol;
    if (n >= 0 && p->datagram_received)
        p->datagram_received(t, t->buf, (size_t)n, (const struct sockaddr *)from, fromlen, t->arg);
    else if (n < 0 && p->error_received)
        p->error_received(t, (int)n, t->arg);
}

static void read_pass(cio_datagram_transport *t) {
    t->refs++; /* a callback may close it */
    bool drained = false;
    for (int i = 0; i < DGRAM_BURST && !t->closing && !drained; i++) {
        struct sockaddr_storage from;
        socklen_t fromlen = sizeof from;
        ssize_t n = recvfrom(cio_datagram_fd(t->ep), t->buf, DGRAM_MAX, MSG_DONTWAIT,
                             (struct sockaddr *)&from, &fromlen);
        if (n < 0 && errno == EINTR) continue;
        drained = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
        if (!drained) deliver(t, n < 0 ? -errno : n, &from, fromlen);
    }
    /* Re-arm: after EAGAIN only a new edge matters (free on epoll; the poll
     * backend's arms last one report); a burst cut short leaves datagrams
     * that only a level check reports. */
    if (!t->closing &&
        cio__io_watch(t->loop, cio_datagram_fd(t->ep), &t->watch, CIO__READABLE, !drained) < 0)
        (void)cio_datagram_transport_close(t);
    unref(t);
}

static void flush(cio_datagram_transport *t);

static void watch_ready(struct cio__fd_watch *watch, int fd, unsigned events) {
    (void)fd;
    cio_datagram_transport *t = cio__container_of(watch, cio_datagram_transport, watch);
    t->refs++; /* the read pass may close it, and the loop's close may free it */
    if (events & CIO__READABLE) read_pass(t);
    if ((events & CIO__WRITABLE) && t->head && !t->ended) flush(t);
    unref(t);
}

/* ---- making one ---------------------------------------------------------------------------- */

static int start(cio_datagram *ep, const cio_datagram_protocol *protocol, void *arg,
                 cio_datagram_transport **out) {
    cio_datagram_transport *t = calloc(1, sizeof *t);
    char *buf = malloc(DGRAM_MAX);
    if (!t || !buf) {
        free(t);
        free(buf);
        return -ENOMEM;
    }
    *t = (cio_datagram_transport){.magic = DGRAM_MAGIC,
                                  .refs = 1,
                                  .loop = cio__running_loop,
                                  .thread = pthread_self(),
                                  .ep = ep,
                                  .protocol = protocol,
                                  .arg = arg,
                                  .buf = buf,
                                  .high = DEFAULT_HIGH,
                                  .low = DEFAULT_HIGH / 4};
    t->tail = &t->head;
    t->watch.ready = watch_ready;
    int rc = cio__io_watch(t->loop, cio_datagram_fd(ep), &t->watch, CIO__READABLE, true);
    if (rc < 0) {
        free(buf);
        free(t);
        return rc;
    }
    cio__loop_hook_add(t->loop, &t->loop_hook, loop_closing, t);
    set_waiting(t, true);
    *out = t;
    if (protocol->connection_made) protocol->connection_made(t, arg);
    return 0;
}

int cio_create_datagram_transport(const char *local_host, int local_port, const char *remote_host,
                                  int remote_port, const cio_datagram_protocol *protocol, void *arg,
                                  const cio_datagram_options *opts, cio_datagram_transport **out) {
    if (out) *out = NULL;
    if (!protocol || !out) return -EINVAL;
    cio_datagram *ep;
    int rc =
        cio_create_datagram_endpoint(local_host, local_port, remote_host, remote_port, opts, &ep);
    if (rc < 0) return rc;
    rc = start(ep, protocol, arg, out);
    if (rc < 0) cio_datagram_free(ep);
    return rc;
}

int cio_datagram_transport_from_socket(int fd, const cio_datagram_protocol *protocol, void *arg,
                                       cio_datagram_transport **out) {
    if (out) *out = NULL;
    if (!protocol || !out) return -EINVAL;
    cio_datagram *ep;
    int rc = cio__datagram_adopt(fd, &ep);
    if (rc < 0) return rc;
    rc = start(ep, protocol, arg, out);
    if (rc < 0) free(ep); /* on failure fd stays the caller's: not cio_datagram_free */
    return rc;
}

/* ---- sending --------------------------------------------------------------------------------- */

/* One datagram now: 0, -EAGAIN (the socket is full) or the send's error. */
static int send_one(cio_datagram_transport *t, const void *buf, size_t len,
                    const struct sockaddr *addr, socklen_t addrlen) {
    ssize_t n;
    do
        n = sendto(cio_datagram_fd(t->ep), buf, len, MSG_DONTWAIT | MSG_NOSIGNAL, addr,
                   addr ? addrlen : 0);
    while (n < 0 && errno == EINTR);
    if (n >= 0) return 0;
    return errno == EWOULDBLOCK ? -EAGAIN : -errno;
}

/* Ask for a WRITABLE report: the socket just said EAGAIN. */
static void want_writable(cio_datagram_transport *t) {
    if (cio__io_watch(t->loop, cio_datagram_fd(t->ep), &t->watch, CIO__WRITABLE, false) < 0)
        (void)cio_datagram_transport_abort(t); /* no way to ever flush */
}

static void maybe_pause(cio_datagram_transport *t) {
    if (t->writing_paused || t->queued <= t->high) return;
    t->writing_paused = true;
    if (t->protocol->pause_writing) t->protocol->pause_writing(t, t->arg);
}

static void maybe_resume(cio_datagram_transport *t) {
    if (!t->writing_paused || t->queued > t->low) return;
    t->writing_paused = false;
    if (t->protocol->resume_writing) t->protocol->resume_writing(t, t->arg);
}

static size_t queue_bound(const cio_datagram_transport *t) {
    return t->high > QUEUE_FLOOR / QUEUE_FACTOR ? t->high * QUEUE_FACTOR : QUEUE_FLOOR;
}

static int enqueue(cio_datagram_transport *t, const void *buf, size_t len,
                   const struct sockaddr *addr, socklen_t addrlen) {
    size_t cost = len + QUEUED_OVERHEAD;
    if (t->queued + cost > queue_bound(t)) return -ENOBUFS;
    struct queued *q = malloc(sizeof *q + len);
    if (!q) return -ENOMEM;
    q->next = NULL;
    q->len = len;
    q->addrlen = addr ? addrlen : 0;
    if (addr) memcpy(&q->addr, addr, addrlen);
    if (len) memcpy(q->data, buf, len);
    bool first = !t->head;
    *t->tail = q;
    t->tail = &q->next;
    t->queued += cost;
    if (first) want_writable(t);
    return 0;
}

static void finish_close(cio_datagram_transport *t);

/* Send the queue in order until the socket is full again or it is empty.
 * A send's error goes to error_received; the datagram is dropped. */
static void flush(cio_datagram_transport *t) {
    while (t->head && !t->ended) {
        struct queued *q = t->head;
        int rc = send_one(t, q->data, q->len, q->addrlen ? (struct sockaddr *)&q->addr : NULL,
                          q->addrlen);
        if (rc == -EAGAIN) {
            want_writable(t);
            return;
        }
        t->head = q->next;
        if (!t->head) t->tail = &t->head;
        t->queued -= q->len + QUEUED_OVERHEAD;
        free(q);
        if (rc < 0 && t->protocol->error_received) t->protocol->error_received(t, rc, t->arg);
    }
    if (t->ended) return;
    maybe_resume(t); /* may send again, and queue */
    if (!t->head && t->closing && !t->ended) finish_close(t);
}

/* ---- the rest -------------------------------------------------------------------------------- */

int cio_datagram_transport_sendto(cio_datagram_transport *t, const void *buf, size_t len,
                                  const struct sockaddr *addr, socklen_t addrlen) {
    int rc = check(t, "cio_datagram_transport_sendto");
    if (rc < 0) return rc;
    if (t->closing) return -CIO_ECLOSED;
    if ((!buf && len) || (addr && addrlen > sizeof(struct sockaddr_storage))) return -EINVAL;
    if (!t->head) { /* nothing queued: order allows sending now */
        rc = send_one(t, buf, len, addr, addrlen);
        if (rc != -EAGAIN) return rc;
    }
    rc = enqueue(t, buf, len, addr, addrlen);
    if (rc < 0) return rc;
    t->refs++; /* pause_writing may close it */
    maybe_pause(t);
    unref(t);
    return 0;
}

/* Close the socket and have connection_lost(0) called from the loop. */
static void finish_close(cio_datagram_transport *t) {
    t->ended = true;
    set_waiting(t, false);
    (void)cio_datagram_close(t->ep); /* cio_close ends the watch */
    if (cio_call_soon(t->loop, lost_soon, t, NULL) == 0)
        t->refs++; /* out of memory: the loop's close hook calls connection_lost */
}

int cio_datagram_transport_close(cio_datagram_transport *t) {
    int rc = check(t, "cio_datagram_transport_close");
    if (rc < 0) return rc;
    if (t->closing) return -CIO_ECLOSED;
    t->closing = true;
    if (!t->head) finish_close(t); /* else the last flush does */
    return 0;
}

int cio_datagram_transport_abort(cio_datagram_transport *t) {
    int rc = check(t, "cio_datagram_transport_abort");
    if (rc < 0) return rc;
    if (t->ended) return -CIO_ECLOSED;
    t->closing = true;
    drop_queue(t);
    finish_close(t);
    return 0;
}

int cio_datagram_transport_set_write_buffer_limits(cio_datagram_transport *t, size_t high,
                                                   size_t low) {
    int rc = check(t, "cio_datagram_transport_set_write_buffer_limits");
    if (rc < 0) return rc;
    if (!high) high = low ? 4 * low : DEFAULT_HIGH;
    if (!low) low = high / 4;
    if (low > high) return -EINVAL;
    t->high = high;
    t->low = low;
    t->refs++; /* a callback may close it */
    maybe_pause(t);
    maybe_resume(t);
    unref(t);
    return 0;
}

size_t cio_datagram_transport_get_write_buffer_size(const cio_datagram_transport *t) {
    return check(t, "cio_datagram_transport_get_write_buffer_size") == 0 ? t->queued : 0;
}

bool cio_datagram_transport_is_closing(const cio_datagram_transport *t) {
    return check(t, "cio_datagram_transport_is_closing") == 0 && t->closing;
}

int cio_datagram_transport_fd(const cio_datagram_transport *t) {
    int rc = check(t, "cio_datagram_transport_fd");
    return rc < 0 ? rc : cio_datagram_fd(t->ep);
}

int cio_datagram_transport_sockname(const cio_datagram_transport *t, struct sockaddr *addr,
                                    socklen_t *addrlen) {
    int rc = check(t, "cio_datagram_transport_sockname");
    return rc < 0 ? rc : cio_datagram_sockname(t->ep, addr, addrlen);
}
