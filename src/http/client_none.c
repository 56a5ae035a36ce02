/* src/http/client_none.c - the HTTP client's API when cio is built without
 * libcurl: every call says -ENOTSUP, so programs still link and can tell. */
#ifndef CIO_HAVE_CURL
#include <cio.h>

#include <errno.h>

int cio_http_session_new(const cio_http_session_options *opts, cio_http_session **session) {
    (void)opts, (void)session;
    return -ENOTSUP;
}
void cio_http_session_free(cio_http_session *session) {
    (void)session;
}
const char *cio_http_session_last_error(const cio_http_session *session) {
    (void)session;
    return "";
}
int cio_http_session_request(cio_http_session *session, const char *method, const char *url,
                             const cio_http_client_options *opts,
                             cio_http_client_response **response) {
    (void)session, (void)method, (void)url, (void)opts, (void)response;
    return -ENOTSUP;
}
int cio_http_session_get(cio_http_session *session, const char *url,
                         cio_http_client_response **response) {
    return cio_http_session_request(session, "GET", url, NULL, response);
}
ssize_t cio_http_client_response_read(cio_http_client_response *response, void *buf, size_t cap) {
    (void)response, (void)buf, (void)cap;
    return -ENOTSUP;
}
int cio_http_client_response_status(const cio_http_client_response *response) {
    (void)response;
    return 0;
}
const char *cio_http_client_response_header(const cio_http_client_response *response,
                                            const char *name) {
    (void)response, (void)name;
    return NULL;
}
size_t cio_http_client_response_header_count(const cio_http_client_response *response) {
    (void)response;
    return 0;
}
int cio_http_client_response_header_at(const cio_http_client_response *response, size_t i,
                                       const char **name, const char **value) {
    (void)response, (void)i, (void)name, (void)value;
    return -ERANGE;
}
const char *cio_http_client_response_body(const cio_http_client_response *response, size_t *len) {
    (void)response;
    if (len) *len = 0;
    return "";
}
const char *cio_http_client_response_url(const cio_http_client_response *response) {
    (void)response;
    return "";
}
int cio_http_client_response_redirects(const cio_http_client_response *response) {
    (void)response;
    return 0;
}
int cio_http_client_response_version(const cio_http_client_response *response) {
    (void)response;
    return 0;
}
void cio_http_client_response_free(cio_http_client_response *response) {
    (void)response;
}
#else
typedef int cio__http_client_none_unused; /* ISO C wants a declaration in every file */
#endif
