/* src/net/tls_none.c - the TLS API when cio is built without OpenSSL: every
 * call says -ENOTSUP, so programs still link and can tell. */
#ifndef CIO_HAVE_OPENSSL
#include "net/net.h"

#include <cio/tls.h>

int cio_tls_context_new(const cio_tls_options *opts, cio_tls_context **out) {
    (void)opts, (void)out;
    return -ENOTSUP;
}
void cio_tls_context_free(cio_tls_context *ctx) {
    (void)ctx;
}
int cio_stream_start_tls(cio_stream *stream, cio_tls_context *ctx, const char *server_hostname) {
    (void)stream, (void)ctx, (void)server_hostname;
    return -ENOTSUP;
}
int cio_stream_tls_info(const cio_stream *stream, cio_tls_info *info) {
    (void)stream, (void)info;
    return -ENOTSUP;
}
int cio_stream_tls_peer_certificate(const cio_stream *stream, bool pem, char **data, size_t *len) {
    (void)stream, (void)pem, (void)data, (void)len;
    return -ENOTSUP;
}
bool cio_stream_is_tls(const cio_stream *stream) {
    (void)stream;
    return false;
}
const char *cio_tls_last_error(void) {
    return "cio was built without OpenSSL";
}
/* No context can exist, so nothing reaches these. */
int cio__tls_connect(cio_stream *stream, struct cio_tls_context *ctx, const char *hostname) {
    (void)stream, (void)ctx, (void)hostname;
    return -ENOTSUP;
}
int cio__tls_accept(cio_stream *stream, struct cio_tls_context *ctx) {
    (void)stream, (void)ctx;
    return -ENOTSUP;
}
void cio__tls_context_hold(struct cio_tls_context *ctx) {
    (void)ctx;
}
void cio__tls_context_release(struct cio_tls_context *ctx) {
    (void)ctx;
}
bool cio__tls_context_is_server(const struct cio_tls_context *ctx) {
    (void)ctx;
    return false;
}
#else
typedef int cio__tls_none_unused; /* ISO C wants a declaration in every file */
#endif
