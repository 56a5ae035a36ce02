/* src/net/tls.h - what the OpenSSL files (tls_*.c) share. Kept apart from
 * net.h so that OpenSSL's headers reach only the files that need them, and
 * net.h compiles without OpenSSL installed.
 *
 * A TLS stream is a socket stream whose transport (struct cio__stream_io)
 * is cio__tls_io: its recv and send run SSL_read / SSL_write over a BIO of
 * our own on the stream's fd (recv, and send with MSG_NOSIGNAL: OpenSSL's
 * socket BIO uses write(), which raises SIGPIPE). Everything else, buffers,
 * waiting, the one reader, the flusher, closing, is the stream's. */
#ifndef CIO_NET_TLS_H
#define CIO_NET_TLS_H

#include "net/net.h"

#include <cio/tls.h>
#include <openssl/ssl.h>
#include <stdatomic.h>

/* Client sessions kept per context, one per host and port (the newest
 * ticket); the oldest goes when full. */
#define CIO__TLS_SESSIONS 64

struct cio__tls_session {
    char *key; /* "hostname|address:port"; NULL: a free slot */
    SSL_SESSION *session;
    unsigned long used; /* for replacing the oldest */
};

struct cio_tls_context {
    SSL_CTX *ssl_ctx;
    atomic_int refs; /* the handle, each stream and server using it */
    bool server, insecure, accept_truncation, session_cache;
    double handshake_timeout, shutdown_timeout;
    unsigned char *alpn; /* wire format: length-prefixed names */
    size_t alpn_len;
    pthread_mutex_t lock; /* the session cache: contexts may be shared by threads */
    struct cio__tls_session sessions[CIO__TLS_SESSIONS];
    unsigned long clock;
};

/* One TLS stream's engine (stream->io_state). */
struct cio__tls {
    SSL *ssl;
    cio_tls_context *ctx;
    int fd;
    /* Bytes the stream had buffered when start_tls began: the BIO reads
     * them before the fd. */
    struct cio__buffer prefix;
    unsigned read_wants, write_wants; /* fd events the last SSL_read / SSL_write wanted */
    int sys_error;                    /* errno of the BIO's last failed syscall */
    bool fd_eof;                      /* recv said 0 */
    bool read_ended;                  /* reads are over: read_end is what they return */
    int read_end;                     /* 0 (EOF) or the error */
    bool broken;                      /* a fatal error: no close_notify, ever */
    char *session_key;                /* where a client's new sessions go in ctx */
    char *scratch;                    /* gathers small iovecs into one record */
    char alpn[256];                   /* the protocol agreed, NUL-terminated (for info) */
};

extern const struct cio__stream_io cio__tls_io;

/* tls_io.c: free an engine (NULL: nothing), dropping its context. */
void cio__tls_free(struct cio__tls *tls);

/* tls_context.c */
void cio__tls_set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Turn a failed SSL call's SSL_get_error code into cio's error, with the
 * reason recorded for cio_tls_last_error(). what: "handshake", "read"... */
int cio__tls_error(struct cio__tls *tls, int ssl_error, const char *what);
/* A client's session for key (a new reference), or NULL. */
SSL_SESSION *cio__tls_session_find(cio_tls_context *ctx, const char *key);
/* The BIO type over a stream's fd (made once). NULL if out of memory. */
BIO_METHOD *cio__tls_bio_method(void);

#endif
