/* src/net/transport.h - the transports' shared structure (transport*.c). */
#ifndef CIO_NET_TRANSPORT_H
#define CIO_NET_TRANSPORT_H

#include "cio/transport.h"
#include "net/net.h"

#define CIO__TRANSPORT_MAGIC 0x63696f54u /* "cioT" */

struct cio_transport {
    uint32_t magic;
    int refs; /* its own (until connection_lost), queued callbacks, a server's task */
    cio_loop *loop;
    pthread_t thread; /* the thread that made it, for the thread check */
    cio_stream *stream;
    bool owns_stream; /* the user's handle was handed over (else a server's connection) */
    const cio_protocol *protocol;
    void *arg;
    bool reading;     /* not paused by pause_reading */
    bool eof;         /* the peer's EOF came (eof_received was called) */
    bool closing;     /* close, abort or an error began the end */
    bool read_queued; /* a read pass is queued on the loop */
    bool lost_queued; /* connection_lost is queued */
    bool lost;        /* connection_lost has been called */
    bool waiting;     /* armed for the next read: counted in loop->io_waiters */
    bool hangup;      /* the poller reported a hang-up: read until EOF or EAGAIN */
    bool armed;       /* the watch is armed and stays so (a persistent poller): no re-arm */
    int error;        /* what connection_lost gets */
    size_t room;      /* what the next read offers recv (transport.c) */
    struct cio__fd_watch watch;
    struct cio__waitq finished; /* woken after connection_lost (a server's task) */
    struct cio__close_hook loop_hook;
};

/* The check every public transport function makes first: 0, or -EINVAL
 * (NULL silently; a stale or foreign handle with a report), -EPERM (another
 * thread, with a report). */
int cio__transport_check(const cio_transport *transport, const char *caller);
void cio__transport_ref(cio_transport *transport);
void cio__transport_unref(cio_transport *transport);
/* Drive stream with protocol. owns_stream: the user's handle was handed
 * over (freed with the transport); else the stream's owner (a server) frees
 * it. On failure stream is untouched. 0, -CIO_ECLOSED, -EINVAL, -ENOMEM. */
int cio__transport_start(cio_stream *stream, const cio_protocol *protocol, void *arg,
                         bool owns_stream, cio_transport **out);

#endif
