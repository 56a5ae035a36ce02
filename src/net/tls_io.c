/* src/net/tls_io.c - the TLS transport under a stream (struct
 * cio__stream_io): SSL_read / SSL_write over a BIO on the stream's fd, and
 * close_notify as a graceful close's goodbye.
 *
 * Each call makes one attempt and never waits, as the interface asks; what
 * OpenSSL wants next (the fd readable or writable, whichever direction the
 * call was) is kept in read_wants / write_wants for wait_events.
 *
 * A read loops SSL_read until the caller's buffer is full or OpenSSL wants
 * the fd: a short count then really means "drained", as the stream assumes,
 * and decrypted bytes OpenSSL holds (SSL_pending, read-ahead) are never left
 * behind a wait on an fd that will not fire again. */
#ifdef CIO_HAVE_OPENSSL
#include "net/tls.h"

#include <limits.h>
#include <openssl/err.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Small iovecs are gathered into one record of up to this many bytes
 * (TLS's largest record payload) rather than sent one record each. */
#define SCRATCH_SIZE (16u * 1024u)

/* ---- the BIO over the fd ----------------------------------------------------------------- */

static int bio_read(BIO *bio, char *buf, int len) {
    struct cio__tls *tls = BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    size_t buffered = cio__buffer_len(&tls->prefix);
    if (buffered) { /* start_tls: what the stream had already received goes first */
        size_t n = buffered < (size_t)len ? buffered : (size_t)len;
        memcpy(buf, cio__buffer_head(&tls->prefix), n);
        cio__buffer_consume(&tls->prefix, n);
        return (int)n;
    }
    for (;;) {
        ssize_t n = recv(tls->fd, buf, (size_t)len, 0);
        if (n == 0) tls->fd_eof = true;
        if (n >= 0) return (int)n;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            BIO_set_retry_read(bio);
        else
            tls->sys_error = errno;
        return -1;
    }
}

static int bio_write(BIO *bio, const char *buf, int len) {
    struct cio__tls *tls = BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    for (;;) {
        ssize_t n = send(tls->fd, buf, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n >= 0) return (int)n;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            BIO_set_retry_write(bio);
        else
            tls->sys_error = errno;
        return -1;
    }
}

static long bio_ctrl(BIO *bio, int cmd, long num, void *ptr) {
    (void)num, (void)ptr;
    if (cmd == BIO_CTRL_FLUSH) return 1; /* sends are never held back */
    /* How OpenSSL tells an EOF without close_notify from a failed recv. */
    if (cmd == BIO_CTRL_EOF) return ((struct cio__tls *)BIO_get_data(bio))->fd_eof;
    return 0;
}

static int bio_create(BIO *bio) {
    BIO_set_init(bio, 1);
    return 1;
}

static BIO_METHOD *bio_method;
static pthread_once_t bio_once = PTHREAD_ONCE_INIT;

static void make_bio_method(void) {
    BIO_METHOD *method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "cio fd");
    if (!method) return;
    BIO_meth_set_read(method, bio_read);
    BIO_meth_set_write(method, bio_write);
    BIO_meth_set_ctrl(method, bio_ctrl);
    BIO_meth_set_create(method, bio_create);
    bio_method = method;
}

BIO_METHOD *cio__tls_bio_method(void) {
    pthread_once(&bio_once, make_bio_method);
    return bio_method;
}

/* At exit, so leak checkers see nothing held. */
__attribute__((destructor)) static void free_bio_method(void) {
    BIO_meth_free(bio_method);
}

/* ---- the transport ----------------------------------------------------------------------- */

static unsigned wanted(int ssl_error) {
    if (ssl_error == SSL_ERROR_WANT_READ) return CIO__READABLE;
    if (ssl_error == SSL_ERROR_WANT_WRITE) return CIO__WRITABLE;
    return 0;
}

/* What a read that got nothing returns: -EAGAIN (with what it waits for),
 * 0 at a clean EOF, or an error. */
static ssize_t read_failed(cio_stream *stream, struct cio__tls *tls, int ret) {
    int err = SSL_get_error(tls->ssl, ret);
    if ((tls->read_wants = wanted(err)) != 0) return -EAGAIN;
    if (err == SSL_ERROR_ZERO_RETURN) return 0; /* close_notify */
    int rc = cio__tls_error(tls, err, "read");
    if (rc == -CIO_ETRUNCATED && tls->ctx->accept_truncation) return 0;
    (void)stream;
    return rc;
}

static ssize_t tls_recv(cio_stream *stream, void *dst, size_t len) {
    struct cio__tls *tls = stream->io_state;
    if (tls->read_ended) return tls->read_end;
    size_t got = 0;
    tls->read_wants = CIO__READABLE;
    while (got < len) {
        size_t n;
        ERR_clear_error();
        int ret = SSL_read_ex(tls->ssl, (char *)dst + got, len - got, &n);
        if (ret > 0) {
            got += n;
            continue;
        }
        ssize_t rc = read_failed(stream, tls, ret);
        if (rc != -EAGAIN) { /* kept: bytes first, the end at the next call */
            tls->read_ended = true;
            tls->read_end = (int)rc;
        }
        if (got) break;
        return rc;
    }
    return (ssize_t)got;
}

/* Write len bytes of buf: the count OpenSSL took; *err gets -EAGAIN (the fd
 * is full, or OpenSSL needs to read) or an error when it is short. */
static size_t write_chunk(struct cio__tls *tls, const char *buf, size_t len, int *err) {
    size_t done = 0;
    while (done < len) {
        size_t n;
        ERR_clear_error();
        int ret = SSL_write_ex(tls->ssl, buf + done, len - done, &n);
        if (ret > 0) {
            done += n;
            continue;
        }
        int ssl_error = SSL_get_error(tls->ssl, ret);
        tls->write_wants = wanted(ssl_error);
        *err = tls->write_wants ? -EAGAIN : cio__tls_error(tls, ssl_error, "write");
        break;
    }
    return done;
}

/* The next piece of iov from (*i, *off) to hand SSL_write: a large iovec
 * (or the last one) as it is, else small ones gathered into scratch. */
static size_t next_piece(struct cio__tls *tls, const struct iovec *iov, int iovcnt, int *i,
                         size_t *off, const char **piece) {
    size_t left = iov[*i].iov_len - *off;
    if (left >= SCRATCH_SIZE || *i == iovcnt - 1) {
        *piece = (const char *)iov[*i].iov_base + *off;
        ++*i, *off = 0;
        return left;
    }
    size_t len = 0;
    while (*i < iovcnt && len < SCRATCH_SIZE) {
        size_t take = iov[*i].iov_len - *off;
        if (take > SCRATCH_SIZE - len) take = SCRATCH_SIZE - len;
        memcpy(tls->scratch + len, (const char *)iov[*i].iov_base + *off, take);
        len += take;
        *off += take;
        if (*off == iov[*i].iov_len) ++*i, *off = 0;
    }
    *piece = tls->scratch;
    return len;
}

/* A short send leaves OpenSSL holding a record it has begun: the stream
 * queues everything from the count on and the flusher offers it again from
 * there, the same bytes at another address, which OpenSSL accepts
 * (ACCEPT_MOVING_WRITE_BUFFER). */
static ssize_t tls_send(cio_stream *stream, const struct iovec *iov, int iovcnt) {
    struct cio__tls *tls = stream->io_state;
    size_t total = 0;
    int i = 0;
    size_t off = 0;
    while (i < iovcnt) {
        const char *piece;
        size_t len = next_piece(tls, iov, iovcnt, &i, &off, &piece);
        int err = 0;
        size_t done = len ? write_chunk(tls, piece, len, &err) : 0;
        total += done;
        if (done < len) return err == -EAGAIN || total ? (ssize_t)total : err;
    }
    return (ssize_t)total;
}

/* TLS has a half-close of its own: close_notify, after which we may still
 * read. One attempt; the goodbye at close finishes sending it. */
static int tls_shutdown_write(cio_stream *stream) {
    struct cio__tls *tls = stream->io_state;
    if (tls->broken) return -EPIPE;
    ERR_clear_error();
    if (SSL_shutdown(tls->ssl) < 0) ERR_clear_error();
    return 0;
}

static int tls_goodbye(cio_stream *stream) {
    struct cio__tls *tls = stream->io_state;
    if (tls->broken || !SSL_is_init_finished(tls->ssl)) return 0;
    ERR_clear_error();
    int ret = SSL_shutdown(tls->ssl);
    if (ret >= 0) return 0; /* sent; the peer's reply is not awaited (RFC 8446 6.1) */
    int err = SSL_get_error(tls->ssl, ret);
    ERR_clear_error();
    if (err == SSL_ERROR_WANT_WRITE) {
        tls->write_wants = CIO__WRITABLE;
        return -EAGAIN;
    }
    return 0;
}

static unsigned tls_wait_events(cio_stream *stream, unsigned events) {
    struct cio__tls *tls = stream->io_state;
    if (events & CIO__READABLE) {
        /* Decrypted bytes OpenSSL holds, or an end it has already seen: no
         * wait. (Not SSL_has_pending: that counts a record's first half,
         * read ahead, which needs the fd to complete.) */
        if (tls->read_ended || SSL_pending(tls->ssl) > 0 || cio__buffer_len(&tls->prefix)) return 0;
        if (SSL_get_shutdown(tls->ssl) & SSL_RECEIVED_SHUTDOWN) return 0;
        return tls->read_wants ? tls->read_wants : CIO__READABLE;
    }
    return tls->write_wants ? tls->write_wants : CIO__WRITABLE;
}

void cio__tls_free(struct cio__tls *tls) {
    if (!tls) return;
    SSL_free(tls->ssl); /* and its BIO */
    cio__buffer_free(&tls->prefix);
    free(tls->session_key);
    free(tls->scratch);
    if (tls->ctx) cio__tls_context_release(tls->ctx);
    free(tls);
}

static void tls_close(cio_stream *stream) {
    cio__tls_free(stream->io_state);
    stream->io_state = NULL;
}

const struct cio__stream_io cio__tls_io = {
    .recv = tls_recv,
    .send = tls_send,
    .shutdown_write = tls_shutdown_write,
    .close = tls_close,
    .wait_events = tls_wait_events,
    .goodbye = tls_goodbye,
    .name = "tls",
};
#else
typedef int cio__tls_io_unused; /* built without OpenSSL */
#endif
