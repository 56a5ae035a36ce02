/* cio/tls.h - TLS for streams and servers (asyncio's ssl= arguments, on
 * OpenSSL 3).
 *
 *     cio_tls_context *tls;                           // asyncio: ssl.create_default_context()
 *     cio_tls_context_new(NULL, &tls);                // system CAs, verify, hostname check
 *     cio_connect_options opts = {.tls = tls};
 *     cio_stream *s;
 *     int rc = cio_open_connection("example.org", 443, &opts, &s);
 *     if (rc == -CIO_ECERTIFICATE) fprintf(stderr, "%s\n", cio_tls_last_error());
 *     ... cio_stream_read / write / readline as on any stream ...
 *     cio_stream_close(s);                            // sends close_notify
 *
 * A TLS stream is an ordinary cio_stream: every stream call (read,
 * readline, readexactly, write, drain, water marks, close, cancellation)
 * works on it unchanged. A context (asyncio's SSLContext) holds the
 * settings, the loaded certificates and trust store, and the client's
 * session cache: make one and use it for many connections (loading the
 * system trust store costs milliseconds).
 *
 * Errors: -CIO_ECERTIFICATE (the peer's certificate failed verification:
 * expired, unknown CA, self-signed, wrong host name), -EPROTO (any other TLS
 * failure: no shared protocol or cipher, an alert from the peer such as a
 * required client certificate missing, garbage on the wire), -CIO_ETRUNCATED
 * (the peer closed the connection without TLS's close_notify: the data may
 * have been cut short by an attacker), -ETIMEDOUT (handshake or shutdown
 * timeout), -ENOTSUP (cio was built without OpenSSL). cio_tls_last_error()
 * says why in words.
 *
 * Threads: contexts may be shared by every loop and thread of the process
 * (made and freed on any thread); the stream functions are for the stream's
 * loop thread, as every stream function. */
#ifndef CIO_TLS_H
#define CIO_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cio_stream cio_stream;
typedef struct cio_tls_context cio_tls_context;

/* Protocol versions, as on the wire. */
#define CIO_TLS_VERSION_1_2 0x0303
#define CIO_TLS_VERSION_1_3 0x0304

/* A server's request for client certificates (ssl.CERT_NONE / CERT_OPTIONAL
 * / CERT_REQUIRED on a server context). */
typedef enum cio_tls_verify_client {
    CIO_TLS_CLIENT_CERT_NONE = 0, /* ask for none */
    CIO_TLS_CLIENT_CERT_OPTIONAL, /* ask; verify one if sent */
    CIO_TLS_CLIENT_CERT_REQUIRED, /* ask; the handshake fails without a valid one */
} cio_tls_verify_client;

/* Settings of a context; zero-initialise and set what you need. Strings are
 * copied or loaded by cio_tls_context_new: none needs to outlive the call. */
typedef struct cio_tls_options {
    bool server; /* a server's context (ssl.PROTOCOL_TLS_SERVER); else a client's */
    /* Client: do not verify the server (check_hostname=False,
     * verify_mode=CERT_NONE). For tests; never for real traffic. */
    bool insecure;
    /* Trust store (load_verify_locations): a PEM file and/or a hashed
     * directory. Both NULL: the system's (a client), none (a server). */
    const char *ca_file, *ca_path;
    /* Our certificate chain (PEM, leaf first) and its private key (PEM;
     * NULL: in cert_file). A server needs them; a client sends them when
     * the server asks. */
    const char *cert_file, *key_file;
    /* ALPN protocols in order of preference, NULL-terminated (e.g.
     * {"h2", "http/1.1", NULL}); NULL: no ALPN. A server picks the first of
     * its own list the client offers, and refuses a client that offers
     * ALPN but none of them (RFC 7301's no_application_protocol). */
    const char *const *alpn;
    int min_version;                     /* CIO_TLS_VERSION_*; 0: TLS 1.2 */
    int max_version;                     /* 0: the newest OpenSSL has */
    cio_tls_verify_client verify_client; /* a server's */
    /* Seconds a handshake may take (asyncio's ssl_handshake_timeout); 0: 60.
     * Past it: -ETIMEDOUT (a server drops the client). */
    double handshake_timeout;
    /* Seconds a graceful close may spend sending close_notify (asyncio's
     * ssl_shutdown_timeout); 0: 30. Past it the connection is closed anyway. */
    double shutdown_timeout;
    /* Read an EOF that comes without close_notify as a plain EOF (0) instead
     * of -CIO_ETRUNCATED: for peers and protocols (HTTP/1.1 with a length)
     * known to close that way. */
    bool accept_truncation;
    /* Clients: keep the session tickets servers send and offer them again
     * on the next connection to the same host and port (resumption), until
     * the context is freed. Off: each connection makes a full handshake. */
    bool no_session_cache;
} cio_tls_options;

/* Make a context (asyncio's ssl.create_default_context / SSLContext) from
 * opts (NULL: a client context with every default). Loads the trust store
 * and our certificate and key now, so a bad file fails here. On success
 * *out holds the caller's handle (NULL on failure). Returns 0, -ENOENT (a file is missing),
 * -EINVAL (NULL out, bad version, a server without cert_file, a key that
 * does not match the certificate, an unreadable PEM: cio_tls_last_error()
 * says which), -ENOMEM, -ENOTSUP (built without OpenSSL). Any thread; needs
 * no loop. */
CIO_EXPORT int cio_tls_context_new(const cio_tls_options *opts, cio_tls_context **out);

/* Release the caller's handle. Streams and servers using the context keep
 * it alive until they close. NULL is a no-op. Any thread. */
CIO_EXPORT void cio_tls_context_free(cio_tls_context *ctx);

/* Upgrade a plain stream to TLS in place (asyncio's loop.start_tls /
 * StreamWriter.start_tls), for STARTTLS protocols: runs the handshake as a
 * client or a server as ctx says, suspending until it is done. A client
 * checks the server's certificate against server_hostname (also sent as
 * SNI; NULL: no SNI and, unless ctx is insecure, -EINVAL), a server ignores
 * it. The write buffer is drained first.
 *
 * Buffered bytes: bytes the stream has already received and not yet handed
 * to the user are taken as the first bytes of the TLS conversation (a client
 * may send its ClientHello right behind a STARTTLS command). So read
 * exactly the plain-text protocol's last message before the upgrade (a
 * readline for a line protocol), never read ahead into what follows.
 *
 * Returns 0 (the handle now speaks TLS), -EBUSY (a read is in progress),
 * -EALREADY (already TLS), -CIO_ECLOSED, -CIO_ECERTIFICATE, -EPROTO,
 * -ETIMEDOUT (ctx's handshake timeout, or a timeout scope), -ECANCELED,
 * -EPERM (outside a task), -EINVAL, -ENOMEM, -ENOTSUP. After a failure the
 * stream is aborted (closed without close_notify): close or free it. */
CIO_EXPORT int cio_stream_start_tls(cio_stream *stream, cio_tls_context *ctx,
                                    const char *server_hostname);

/* What a TLS stream negotiated (asyncio's get_extra_info('ssl_object'),
 * 'peercert', 'cipher'). Strings point into the stream and are valid until
 * it closes. */
typedef struct cio_tls_info {
    const char *version;     /* "TLSv1.3" */
    const char *cipher;      /* "TLS_AES_256_GCM_SHA384" */
    const char *alpn;        /* the protocol agreed, "" if none */
    const char *server_name; /* the SNI name: sent (a client) or received (a server); "" if none */
    bool session_reused;     /* resumed from an earlier session: no full handshake */
    bool peer_verified;      /* the peer sent a certificate and it verified */
    bool has_peer_certificate;
    /* The peer certificate's subject and issuer, one line each
     * ("CN=localhost,O=cio test"); "" without a certificate. */
    char subject[256], issuer[256];
} cio_tls_info;

/* Fill *info for a TLS stream. Returns 0, -ENOTCONN (not a TLS stream),
 * -CIO_ECLOSED, -EINVAL, -EPERM (another thread), -ENOTSUP. */
CIO_EXPORT int cio_stream_tls_info(const cio_stream *stream, cio_tls_info *info);

/* The peer's certificate, PEM (pem true) or DER, in a new buffer: *data
 * (the caller's, free() it; NUL-terminated for PEM) and *len. Returns 0,
 * -ENOENT (the peer sent none), -ENOTCONN (not TLS), -CIO_ECLOSED, -EINVAL,
 * -ENOMEM, -EPERM, -ENOTSUP. */
CIO_EXPORT int cio_stream_tls_peer_certificate(const cio_stream *stream, bool pem, char **data,
                                               size_t *len);

/* True if stream speaks TLS (false for NULL or a stale handle). */
CIO_EXPORT bool cio_stream_is_tls(const cio_stream *stream);

/* Why the last TLS call on this thread failed, in words: the certificate
 * check's verdict ("certificate has expired", "unable to get local issuer
 * certificate", "self-signed certificate", "hostname mismatch"), the peer's
 * alert, OpenSSL's reason. "" if none failed yet. It belongs to the calling
 * thread and is replaced by the next failure on it, which may be another
 * task's: read it right after the failing call, before suspending again.
 * The text stays valid until then. */
CIO_EXPORT const char *cio_tls_last_error(void);

#ifdef __cplusplus
}
#endif
#endif
