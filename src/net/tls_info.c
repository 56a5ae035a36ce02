/* src/net/tls_info.c - what a TLS stream negotiated (asyncio's
 * get_extra_info: 'ssl_object', 'peercert', 'cipher'). */
#ifdef CIO_HAVE_OPENSSL
#include "net/tls.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

/* The stream's engine, or an error: -ENOTCONN for a plain stream. */
static int engine_of(const cio_stream *stream, const char *caller, struct cio__tls **tls) {
    int rc = cio__stream_check(stream, caller);
    if (rc < 0) return rc;
    if (stream->state == CIO__STREAM_CLOSED) return -CIO_ECLOSED;
    if (stream->io != &cio__tls_io) return -ENOTCONN;
    *tls = stream->io_state;
    return 0;
}

bool cio_stream_is_tls(const cio_stream *stream) {
    return cio__stream_valid(stream, "cio_stream_is_tls") && stream->io == &cio__tls_io;
}

static void name_line(X509_NAME *name, char *buf, size_t cap) {
    buf[0] = '\0';
    BIO *mem = BIO_new(BIO_s_mem());
    if (!mem) return;
    if (X509_NAME_print_ex(mem, name, 0, XN_FLAG_RFC2253) >= 0) {
        int n = BIO_read(mem, buf, (int)cap - 1);
        buf[n > 0 ? n : 0] = '\0';
    }
    BIO_free(mem);
}

static void fill_peer(SSL *ssl, cio_tls_info *info) {
    X509 *peer = SSL_get0_peer_certificate(ssl);
    info->has_peer_certificate = peer != NULL;
    info->peer_verified = peer && SSL_get_verify_result(ssl) == X509_V_OK &&
                          (SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER);
    info->subject[0] = info->issuer[0] = '\0';
    if (!peer) return;
    name_line(X509_get_subject_name(peer), info->subject, sizeof info->subject);
    name_line(X509_get_issuer_name(peer), info->issuer, sizeof info->issuer);
}

int cio_stream_tls_info(const cio_stream *stream, cio_tls_info *info) {
    struct cio__tls *tls;
    int rc = engine_of(stream, "cio_stream_tls_info", &tls);
    if (rc < 0) return rc;
    if (!info) return -EINVAL;
    SSL *ssl = tls->ssl;
    const unsigned char *alpn;
    unsigned alpn_len;
    SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
    /* OpenSSL's selected protocol is not NUL-terminated: keep a copy. */
    memcpy(tls->alpn, alpn ? (const char *)alpn : "", alpn_len);
    tls->alpn[alpn_len] = '\0';
    const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    *info = (cio_tls_info){.version = SSL_get_version(ssl),
                           .cipher = SSL_get_cipher_name(ssl),
                           .alpn = tls->alpn,
                           .server_name = sni ? sni : "",
                           .session_reused = SSL_session_reused(ssl) == 1};
    fill_peer(ssl, info);
    return 0;
}

static int encode(X509 *cert, bool pem, char **data, size_t *len) {
    BIO *mem = BIO_new(BIO_s_mem());
    if (!mem) return -ENOMEM;
    int ok = pem ? PEM_write_bio_X509(mem, cert) : i2d_X509_bio(mem, cert);
    char *bytes;
    long n = ok ? BIO_get_mem_data(mem, &bytes) : -1;
    char *copy = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (copy) {
        memcpy(copy, bytes, (size_t)n);
        copy[n] = '\0';
        *data = copy;
        *len = (size_t)n;
    }
    BIO_free(mem);
    return copy ? 0 : -ENOMEM;
}

int cio_stream_tls_peer_certificate(const cio_stream *stream, bool pem, char **data, size_t *len) {
    struct cio__tls *tls;
    int rc = engine_of(stream, "cio_stream_tls_peer_certificate", &tls);
    if (rc < 0) return rc;
    if (!data || !len) return -EINVAL;
    X509 *peer = SSL_get0_peer_certificate(tls->ssl);
    return peer ? encode(peer, pem, data, len) : -ENOENT;
}
#else
typedef int cio__tls_info_unused; /* built without OpenSSL */
#endif
