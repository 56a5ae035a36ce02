/* src/net/tls_handshake.c - turning a plain stream into a TLS one: the
 * engine, the handshake (client or server) within the context's timeout,
 * and start_tls on a live stream.
 *
 * The handshake waits for the fd through the wait primitive like any read
 * (cio__io_wait after OpenSSL saw EAGAIN), so it is cancellable, honours
 * timeout scopes and uses no thread. Until it succeeds the stream keeps its
 * plain transport; only then does it switch to cio__tls_io. */
#ifdef CIO_HAVE_OPENSSL
#include "net/tls.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the engine ------------------------------------------------------------------------------ */

static bool is_ip_address(const char *host) {
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

/* The session cache's key: the name checked and the peer's address. */
static char *session_key(int fd, const char *hostname) {
    struct sockaddr_storage peer;
    socklen_t len = sizeof peer;
    char addr[CIO_ADDRSTRLEN] = "";
    if (getpeername(fd, (struct sockaddr *)&peer, &len) == 0)
        (void)cio_format_address((struct sockaddr *)&peer, len, addr, sizeof addr);
    size_t size = strlen(hostname ? hostname : "") + strlen(addr) + 2;
    char *key = malloc(size);
    if (key) snprintf(key, size, "%s|%s", hostname ? hostname : "", addr);
    return key;
}

/* The name to check and send: SNI for a name, an IP check for an address. */
static int set_peer_name(struct cio__tls *tls, const char *hostname) {
    if (!hostname || !*hostname) {
        if (tls->ctx->insecure) return 0;
        cio__tls_set_error("TLS: a client needs server_hostname to verify the server");
        return -EINVAL;
    }
    if (is_ip_address(hostname)) {
        if (tls->ctx->insecure) return 0;
        return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(tls->ssl), hostname) ? 0 : -EINVAL;
    }
    if (!SSL_set_tlsext_host_name(tls->ssl, hostname)) return -EINVAL;
    if (tls->ctx->insecure) return 0;
    SSL_set_hostflags(tls->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    return SSL_set1_host(tls->ssl, hostname) ? 0 : -ENOMEM;
}

static void resume_session(struct cio__tls *tls, const char *hostname) {
    if (!tls->ctx->session_cache) return;
    tls->session_key = session_key(tls->fd, hostname);
    SSL_SESSION *session =
        tls->session_key ? cio__tls_session_find(tls->ctx, tls->session_key) : NULL;
    if (!session) return;
    SSL_set_session(tls->ssl, session);
    SSL_SESSION_free(session); /* SSL_set_session took its own reference */
}

static int attach_bio(struct cio__tls *tls) {
    BIO_METHOD *method = cio__tls_bio_method();
    BIO *bio = method ? BIO_new(method) : NULL;
    if (!bio) return -ENOMEM;
    BIO_set_data(bio, tls);
    SSL_set_bio(tls->ssl, bio, bio); /* the SSL owns it now */
    return 0;
}

/* A new engine for fd: a client's (with hostname) or a server's. */
static int engine_new(cio_tls_context *ctx, int fd, const char *hostname, struct cio__tls **out) {
    struct cio__tls *tls = calloc(1, sizeof *tls);
    if (!tls) return -ENOMEM;
    cio__tls_context_hold(ctx);
    tls->ctx = ctx;
    tls->fd = fd;
    tls->ssl = SSL_new(ctx->ssl_ctx);
    tls->scratch = malloc(16u * 1024u);
    int rc = tls->ssl && tls->scratch ? attach_bio(tls) : -ENOMEM;
    if (rc == 0) {
        SSL_set_app_data(tls->ssl, tls);
        if (ctx->server) {
            SSL_set_accept_state(tls->ssl);
        } else {
            SSL_set_connect_state(tls->ssl);
            rc = set_peer_name(tls, hostname);
            if (rc == 0) resume_session(tls, hostname);
        }
    }
    if (rc < 0) {
        cio__tls_free(tls);
        return rc;
    }
    *out = tls;
    return 0;
}

/* ---- the handshake --------------------------------------------------------------------------- */

static int handshake_steps(struct cio__tls *tls, cio_task *task) {
    for (;;) {
        ERR_clear_error();
        int ret = SSL_do_handshake(tls->ssl);
        if (ret == 1) return 0;
        int err = SSL_get_error(tls->ssl, ret);
        unsigned events = err == SSL_ERROR_WANT_READ    ? CIO__READABLE
                          : err == SSL_ERROR_WANT_WRITE ? CIO__WRITABLE
                                                        : 0;
        if (!events) return cio__tls_error(tls, err, "handshake");
        /* OpenSSL's BIO just saw EAGAIN (or served start_tls's buffered
         * bytes first, then saw it): no recheck needed. */
        int rc = cio__io_wait_as(task, tls->fd, events, false, CIO_WAIT_TLS_HANDSHAKE, tls, NULL);
        if (rc < 0) return rc;
    }
}

static int handshake(struct cio__tls *tls, cio_task *task) {
    cio_timeout scope;
    cio_timeout_begin(&scope, tls->ctx->handshake_timeout);
    int rc = handshake_steps(tls, task);
    int expired = cio_timeout_end(&scope);
    if (expired < 0 && (rc == 0 || rc == -ETIMEDOUT)) {
        rc = expired;
        cio__tls_set_error("TLS handshake: timed out");
    } else if (rc == -ECANCELED) {
        cio__tls_set_error("TLS handshake: cancelled");
    }
    return rc;
}

/* Run the handshake on stream's fd, then give stream the TLS transport. */
static int secure(cio_stream *stream, cio_tls_context *ctx, const char *hostname,
                  struct cio__buffer *prefix) {
    cio_task *task = cio__task_current_or_complain("cio_stream_start_tls");
    if (!task) return -EPERM;
    struct cio__tls *tls;
    int rc = engine_new(ctx, stream->fd, hostname, &tls);
    if (rc < 0) return rc;
    if (prefix) {
        tls->prefix = *prefix;
        *prefix = (struct cio__buffer){0};
    }
    rc = handshake(tls, task);
    if (rc < 0) {
        cio__tls_free(tls);
        return rc;
    }
    stream->io = &cio__tls_io;
    stream->io_state = tls;
    stream->goodbye_timeout = ctx->shutdown_timeout;
    stream->drained = false; /* the handshake's last recv may have taken the fd's edge */
    return 0;
}

int cio__tls_connect(cio_stream *stream, cio_tls_context *ctx, const char *hostname) {
    if (ctx->server) {
        cio__tls_set_error("TLS: a server context given to a client");
        return -EINVAL;
    }
    return secure(stream, ctx, hostname, NULL);
}

int cio__tls_accept(cio_stream *stream, cio_tls_context *ctx) {
    return secure(stream, ctx, NULL, NULL);
}

/* ---- start_tls ------------------------------------------------------------------------------ */

static int check_upgrade(cio_stream *stream, cio_task **task) {
    int rc = cio__stream_check(stream, "cio_stream_start_tls");
    if (rc < 0) return rc;
    *task = cio__task_current_or_complain("cio_stream_start_tls");
    if (!*task) return -EPERM;
    if (stream->loop != cio__task_loop(*task) || stream->kind != CIO__STREAM_SOCKET) return -EINVAL;
    if (stream->io == &cio__tls_io) return -EALREADY;
    if (stream->state != CIO__STREAM_OPEN || stream->eof_wanted) return -CIO_ECLOSED;
    if (stream->read_error || stream->write_error)
        return stream->read_error ? stream->read_error : stream->write_error;
    if (stream->reader || stream->upgrading) return -EBUSY;
    return 0;
}

/* The upgrade proper, with the stream held as reader (no read meanwhile)
 * and writes refused. */
/* Send everything queued: drain with the low-water mark at 0 for once. The
 * flusher wakes us when `out` is empty and ends before we run. */
static int drain_all(cio_stream *stream) {
    if (cio__buffer_len(&stream->out) == 0) return 0;
    size_t low = stream->low;
    stream->low = 0;
    stream->paused = true;
    int rc = cio_stream_drain(stream);
    stream->low = low;
    stream->paused = cio__buffer_len(&stream->out) > stream->high;
    return rc;
}

static int upgrade(cio_stream *stream, cio_tls_context *ctx, const char *hostname) {
    int rc = drain_all(stream);
    if (rc < 0) return rc;
    if (ctx->server) hostname = NULL;
    return secure(stream, ctx, hostname, &stream->in);
}

int cio_stream_start_tls(cio_stream *stream, cio_tls_context *ctx, const char *server_hostname) {
    cio_task *task;
    int rc = check_upgrade(stream, &task);
    if (rc < 0) return rc;
    if (!ctx) return -EINVAL;
    stream->reader = task;
    stream->upgrading = true;
    cio__stream_ref(stream);
    rc = upgrade(stream, ctx, server_hostname);
    stream->upgrading = false;
    stream->reader = NULL;
    if (rc < 0 && stream->state != CIO__STREAM_CLOSED) cio_stream_abort(stream);
    cio__stream_unref(stream);
    return rc;
}
#else
typedef int cio__tls_handshake_unused; /* built without OpenSSL */
#endif
