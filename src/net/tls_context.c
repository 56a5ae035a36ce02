/* src/net/tls_context.c - TLS contexts (asyncio's SSLContext): settings,
 * certificates, the trust store, ALPN, the client session cache, and the
 * thread's last TLS error.
 *
 * A context wraps one SSL_CTX, made once and shared by every connection
 * that uses it: loading the system trust store costs milliseconds, a
 * connection must not pay that. */
#ifdef CIO_HAVE_OPENSSL
#include "net/tls.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_HANDSHAKE_TIMEOUT 60.0 /* asyncio's constants.SSL_HANDSHAKE_TIMEOUT */
#define DEFAULT_SHUTDOWN_TIMEOUT  30.0 /* asyncio's constants.SSL_SHUTDOWN_TIMEOUT */

/* ---- the thread's last error -------------------------------------------------------------- */

static _Thread_local char last_error[512];

const char *cio_tls_last_error(void) {
    return last_error;
}

void cio__tls_set_error(const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, args);
    va_end(args);
}

/* OpenSSL's reason for the oldest error queued on this thread, cleared. */
static const char *openssl_reason(char *buf, size_t cap) {
    unsigned long err = ERR_get_error();
    ERR_clear_error();
    if (!err) return "unknown error";
    const char *reason = ERR_reason_error_string(err);
    if (reason) return reason;
    ERR_error_string_n(err, buf, cap);
    return buf;
}

static int verify_error(struct cio__tls *tls, const char *what) {
    long result = SSL_get_verify_result(tls->ssl);
    ERR_clear_error();
    cio__tls_set_error("TLS %s: certificate verify failed: %s", what,
                       X509_verify_cert_error_string(result));
    return -CIO_ECERTIFICATE;
}

/* SSL_ERROR_SSL: the protocol failed; the peer's certificate, a truncation
 * or anything else. */
static int protocol_error(struct cio__tls *tls, const char *what) {
    unsigned long err = ERR_peek_error();
    if (ERR_GET_LIB(err) == ERR_LIB_SSL && ERR_GET_REASON(err) == SSL_R_CERTIFICATE_VERIFY_FAILED &&
        SSL_get_verify_result(tls->ssl) != X509_V_OK)
        return verify_error(tls, what);
    if (ERR_GET_LIB(err) == ERR_LIB_SSL &&
        ERR_GET_REASON(err) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        ERR_clear_error();
        if (strcmp(what, "handshake") == 0) {
            cio__tls_set_error("TLS handshake: the peer closed the connection");
            return -ECONNRESET;
        }
        cio__tls_set_error("TLS %s: the peer closed the connection without close_notify", what);
        return -CIO_ETRUNCATED;
    }
    char buf[256];
    cio__tls_set_error("TLS %s: %s", what, openssl_reason(buf, sizeof buf));
    return -EPROTO;
}

int cio__tls_error(struct cio__tls *tls, int ssl_error, const char *what) {
    tls->broken = true; /* after SSL_ERROR_SSL or _SYSCALL, OpenSSL forbids SSL_shutdown */
    if (ssl_error == SSL_ERROR_SSL) return protocol_error(tls, what);
    ERR_clear_error();
    if (ssl_error == SSL_ERROR_SYSCALL && tls->sys_error) {
        cio__tls_set_error("TLS %s: %s", what, strerror(tls->sys_error));
        return -tls->sys_error;
    }
    if (ssl_error == SSL_ERROR_SYSCALL) { /* EOF where OpenSSL did not look for one */
        cio__tls_set_error("TLS %s: the peer closed the connection", what);
        return -ECONNRESET;
    }
    cio__tls_set_error("TLS %s: OpenSSL error %d", what, ssl_error);
    return -EPROTO;
}

/* ---- references ------------------------------------------------------------------------------ */

static void clear_sessions(cio_tls_context *ctx) {
    for (size_t i = 0; i < CIO__TLS_SESSIONS; i++) {
        free(ctx->sessions[i].key);
        SSL_SESSION_free(ctx->sessions[i].session);
    }
}

void cio__tls_context_hold(cio_tls_context *ctx) {
    atomic_fetch_add(&ctx->refs, 1);
}

void cio__tls_context_release(cio_tls_context *ctx) {
    if (atomic_fetch_sub(&ctx->refs, 1) != 1) return;
    clear_sessions(ctx);
    pthread_mutex_destroy(&ctx->lock);
    SSL_CTX_free(ctx->ssl_ctx);
    free(ctx->alpn);
    free(ctx);
}

bool cio__tls_context_is_server(const cio_tls_context *ctx) {
    return ctx->server;
}

void cio_tls_context_free(cio_tls_context *ctx) {
    if (ctx) cio__tls_context_release(ctx);
}

/* ---- the client session cache ---------------------------------------------------------------- */

SSL_SESSION *cio__tls_session_find(cio_tls_context *ctx, const char *key) {
    SSL_SESSION *found = NULL;
    pthread_mutex_lock(&ctx->lock);
    for (size_t i = 0; i < CIO__TLS_SESSIONS && !found; i++) {
        struct cio__tls_session *slot = &ctx->sessions[i];
        if (!slot->key || strcmp(slot->key, key) != 0) continue;
        if (SSL_SESSION_is_resumable(slot->session) && SSL_SESSION_up_ref(slot->session))
            found = slot->session;
        slot->used = ++ctx->clock;
    }
    pthread_mutex_unlock(&ctx->lock);
    return found;
}

/* The slot for key: its own, a free one, or the least recently used. */
static struct cio__tls_session *slot_for(cio_tls_context *ctx, const char *key) {
    struct cio__tls_session *oldest = &ctx->sessions[0];
    for (size_t i = 0; i < CIO__TLS_SESSIONS; i++) {
        struct cio__tls_session *slot = &ctx->sessions[i];
        if (slot->key && strcmp(slot->key, key) == 0) return slot;
        if (!slot->key) return slot;
        if (slot->used < oldest->used) oldest = slot;
    }
    return oldest;
}

/* OpenSSL's new-session callback: keep the newest session per key. Returns
 * 1 when it keeps the reference OpenSSL gives it. */
static int new_session(SSL *ssl, SSL_SESSION *session) {
    struct cio__tls *tls = SSL_get_app_data(ssl);
    if (!tls || !tls->session_key) return 0;
    char *key = strdup(tls->session_key);
    if (!key) return 0;
    cio_tls_context *ctx = tls->ctx;
    pthread_mutex_lock(&ctx->lock);
    struct cio__tls_session *slot = slot_for(ctx, key);
    free(slot->key);
    SSL_SESSION_free(slot->session);
    *slot = (struct cio__tls_session){.key = key, .session = session, .used = ++ctx->clock};
    pthread_mutex_unlock(&ctx->lock);
    return 1;
}

/* ---- ALPN ---------------------------------------------------------------------------------- */

/* names (NULL-terminated) in the wire format: each name after its length. */
static int alpn_wire(const char *const *names, unsigned char **wire, size_t *len) {
    size_t total = 0;
    for (const char *const *name = names; *name; name++) {
        size_t n = strlen(*name);
        if (n == 0 || n > 255) return -EINVAL;
        total += 1 + n;
    }
    unsigned char *out = malloc(total ? total : 1);
    if (!out) return -ENOMEM;
    size_t at = 0;
    for (const char *const *name = names; *name; name++) {
        size_t n = strlen(*name);
        out[at++] = (unsigned char)n;
        memcpy(out + at, *name, n);
        at += n;
    }
    *wire = out;
    *len = total;
    return 0;
}

/* A server's choice: its own first preference the client offers. */
static int select_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned inlen, void *arg) {
    (void)ssl;
    cio_tls_context *ctx = arg;
    unsigned char *chosen;
    if (SSL_select_next_proto(&chosen, outlen, ctx->alpn, (unsigned)ctx->alpn_len, in, inlen) !=
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_ALERT_FATAL; /* RFC 7301: no_application_protocol */
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
}

static int set_alpn(cio_tls_context *ctx, const char *const *names) {
    if (!names || !names[0]) return 0;
    int rc = alpn_wire(names, &ctx->alpn, &ctx->alpn_len);
    if (rc < 0) return rc;
    if (ctx->server) {
        SSL_CTX_set_alpn_select_cb(ctx->ssl_ctx, select_alpn, ctx);
        return 0;
    }
    /* 0 is success here, unlike the rest of OpenSSL */
    return SSL_CTX_set_alpn_protos(ctx->ssl_ctx, ctx->alpn, (unsigned)ctx->alpn_len) == 0 ? 0
                                                                                          : -ENOMEM;
}

/* ---- settings -------------------------------------------------------------------------------- */

static int check_file(const char *path, const char *what) {
    struct stat st;
    if (!path || stat(path, &st) == 0) return 0;
    cio__tls_set_error("TLS: %s %s: %s", what, path, strerror(errno));
    return -errno;
}

static int openssl_failed(const char *what, const char *path) {
    char buf[256];
    cio__tls_set_error("TLS: %s %s: %s", what, path ? path : "", openssl_reason(buf, sizeof buf));
    return -EINVAL;
}

static int set_versions(SSL_CTX *ssl_ctx, const cio_tls_options *opts) {
    int min = opts->min_version ? opts->min_version : CIO_TLS_VERSION_1_2;
    bool bad = (min != CIO_TLS_VERSION_1_2 && min != CIO_TLS_VERSION_1_3) ||
               (opts->max_version && opts->max_version != CIO_TLS_VERSION_1_2 &&
                opts->max_version != CIO_TLS_VERSION_1_3) ||
               (opts->max_version && opts->max_version < min);
    if (bad) {
        cio__tls_set_error("TLS: unsupported protocol version (TLS 1.2 and 1.3 only)");
        return -EINVAL;
    }
    SSL_CTX_set_min_proto_version(ssl_ctx, min);
    SSL_CTX_set_max_proto_version(ssl_ctx, opts->max_version);
    return 0;
}

static int load_trust(cio_tls_context *ctx, const cio_tls_options *opts) {
    int rc = check_file(opts->ca_file, "CA file");
    if (rc == 0) rc = check_file(opts->ca_path, "CA directory");
    if (rc < 0) return rc;
    if (opts->ca_file || opts->ca_path) {
        if (!SSL_CTX_load_verify_locations(ctx->ssl_ctx, opts->ca_file, opts->ca_path))
            return openssl_failed("cannot load CA", opts->ca_file ? opts->ca_file : opts->ca_path);
        return 0;
    }
    if (!ctx->server && !ctx->insecure && !SSL_CTX_set_default_verify_paths(ctx->ssl_ctx))
        return openssl_failed("cannot load the system trust store", NULL);
    return 0;
}

static int load_identity(cio_tls_context *ctx, const cio_tls_options *opts) {
    if (!opts->cert_file) {
        if (!ctx->server) return 0;
        cio__tls_set_error("TLS: a server context needs cert_file");
        return -EINVAL;
    }
    const char *key = opts->key_file ? opts->key_file : opts->cert_file;
    int rc = check_file(opts->cert_file, "certificate");
    if (rc == 0) rc = check_file(key, "key");
    if (rc < 0) return rc;
    if (SSL_CTX_use_certificate_chain_file(ctx->ssl_ctx, opts->cert_file) != 1)
        return openssl_failed("cannot load certificate", opts->cert_file);
    if (SSL_CTX_use_PrivateKey_file(ctx->ssl_ctx, key, SSL_FILETYPE_PEM) != 1)
        return openssl_failed("cannot load key", key);
    if (SSL_CTX_check_private_key(ctx->ssl_ctx) != 1)
        return openssl_failed("key does not match certificate", opts->cert_file);
    return 0;
}

static void set_verification(cio_tls_context *ctx, const cio_tls_options *opts) {
    int mode = SSL_VERIFY_NONE;
    if (!ctx->server && !ctx->insecure) mode = SSL_VERIFY_PEER;
    if (ctx->server && opts->verify_client == CIO_TLS_CLIENT_CERT_OPTIONAL) mode = SSL_VERIFY_PEER;
    if (ctx->server && opts->verify_client == CIO_TLS_CLIENT_CERT_REQUIRED)
        mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(ctx->ssl_ctx, mode, NULL);
}

/* Modes every connection gets. A send that OpenSSL could not finish is
 * retried by the flusher from the stream's own buffer: same bytes, another
 * address (ACCEPT_MOVING_WRITE_BUFFER), and a send returns after each
 * record (ENABLE_PARTIAL_WRITE) so the stream knows what was taken. */
static void set_modes(cio_tls_context *ctx) {
    SSL_CTX_set_mode(ctx->ssl_ctx,
                     SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    /* Renegotiation would let a write read from the fd under the reader. */
    SSL_CTX_set_options(ctx->ssl_ctx, SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_read_ahead(ctx->ssl_ctx, 1); /* one recv for a record's header and body */
    if (!ctx->server && ctx->session_cache) {
        SSL_CTX_set_session_cache_mode(ctx->ssl_ctx,
                                       SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
        SSL_CTX_sess_set_new_cb(ctx->ssl_ctx, new_session);
    }
}

static int configure(cio_tls_context *ctx, const cio_tls_options *opts) {
    int rc = set_versions(ctx->ssl_ctx, opts);
    if (rc == 0) rc = load_trust(ctx, opts);
    if (rc == 0) rc = load_identity(ctx, opts);
    if (rc == 0) rc = set_alpn(ctx, opts->alpn);
    if (rc < 0) return rc;
    set_verification(ctx, opts);
    set_modes(ctx);
    return 0;
}

static cio_tls_context *context_alloc(const cio_tls_options *opts) {
    cio_tls_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return NULL;
    ctx->ssl_ctx = SSL_CTX_new(opts->server ? TLS_server_method() : TLS_client_method());
    if (!ctx->ssl_ctx) {
        free(ctx);
        return NULL;
    }
    atomic_init(&ctx->refs, 1);
    pthread_mutex_init(&ctx->lock, NULL);
    ctx->server = opts->server;
    ctx->insecure = opts->insecure;
    ctx->accept_truncation = opts->accept_truncation;
    ctx->session_cache = !opts->no_session_cache;
    ctx->handshake_timeout =
        opts->handshake_timeout > 0 ? opts->handshake_timeout : DEFAULT_HANDSHAKE_TIMEOUT;
    ctx->shutdown_timeout =
        opts->shutdown_timeout > 0 ? opts->shutdown_timeout : DEFAULT_SHUTDOWN_TIMEOUT;
    return ctx;
}

int cio_tls_context_new(const cio_tls_options *opts, cio_tls_context **out) {
    if (!out) return -EINVAL;
    *out = NULL; /* a caller that frees it on every path must not free garbage */
    cio_tls_options defaults = {0};
    if (!opts) opts = &defaults;
    if (opts->handshake_timeout < 0 || opts->shutdown_timeout < 0) return -EINVAL;
    ERR_clear_error();
    cio_tls_context *ctx = context_alloc(opts);
    if (!ctx) return -ENOMEM;
    int rc = configure(ctx, opts);
    if (rc < 0) {
        cio__tls_context_release(ctx);
        return rc;
    }
    *out = ctx;
    return 0;
}
#else
typedef int cio__tls_context_unused; /* built without OpenSSL */
#endif
