/* cio/http_client.h - an HTTP client (aiohttp's ClientSession) on libcurl.
 *
 * Requests run inside tasks and suspend until the response arrives; many
 * tasks' requests run at once over one libcurl multi handle per loop, whose
 * sockets and timer the loop itself watches (no extra thread). A session holds
 * what requests share: default headers, timeouts, limits and a cookie jar.
 *
 *     cio_http_session *s;
 *     cio_http_session_new(NULL, &s);
 *     cio_http_client_response *r;
 *     if (cio_http_session_get(s, "http://example.com/", &r) == 0) {
 *         size_t len;
 *         const char *body = cio_http_client_response_body(r, &len);
 *         printf("%d, %zu bytes\n", cio_http_client_response_status(r), len);
 *         cio_http_client_response_free(r);
 *     }
 *     cio_http_session_free(s);
 *
 * An HTTP error status (404, 500) is a response, not an error: the request
 * returns 0 and the status says what happened. Errors are transport errors:
 * -CIO_ENOTFOUND (host not found), -ECONNREFUSED, -ETIMEDOUT, -ELOOP (too many
 * redirects), -EFBIG (body over the limit), -EPROTO (TLS or protocol error),
 * -ECONNRESET, -CIO_EINCOMPLETE (body cut short), -EINVAL (bad URL), ...;
 * libcurl's own message for the last failure is kept for the user (see
 * cio_http_client_options.error and cio_http_session_last_error).
 *
 * Without libcurl at build time every function here returns -ENOTSUP (the
 * accessors return empty values). Threads: a session and its responses belong
 * to the loop they were first used on; loop thread only. */
#ifndef CIO_HTTP_CLIENT_H
#define CIO_HTTP_CLIENT_H

#include "base.h"

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cio_http_session cio_http_session;
typedef struct cio_http_client_response cio_http_client_response;

/* Room for libcurl's error text (CURL_ERROR_SIZE). */
#define CIO_HTTP_ERROR_SIZE 256

/* Session settings; zero-initialise and set what you need. */
typedef struct cio_http_session_options {
    /* Headers sent with every request, "Name: value" each, NULL-terminated.
     * Copied. A request's own header of the same name replaces it. */
    const char *const *headers;
    const char *user_agent; /* NULL: "cio/<version>" */
    /* Seconds; 0: none. timeout bounds the whole request (connect, redirects,
     * body); connect_timeout each connection attempt (0: libcurl's 300 s);
     * idle_timeout aborts a transfer that receives nothing for that long
     * (whole seconds, rounded up). Each fails the request with -ETIMEDOUT. */
    double timeout, connect_timeout, idle_timeout;
    /* Redirects followed per request: 0 means 10 (aiohttp's default);
     * negative: none (a 3xx is returned as the response). */
    int max_redirects;
    /* Largest body kept in memory (CIO_HTTP_BODY_MEMORY); 0: 64 MiB. A larger
     * one fails the request with -EFBIG. */
    size_t max_body_size;
    /* Concurrent requests of this session; more wait in the request call
     * (FIFO). 0: 100 (aiohttp's default); negative: unlimited. */
    int limit;
    /* Connections per host and in total, for the loop's shared pool (libcurl's
     * CURLMOPT_MAX_HOST_CONNECTIONS / MAX_TOTAL_CONNECTIONS): the tightest
     * nonzero value among the loop's live sessions applies. 0: no limit.
     * Transfers beyond it queue inside libcurl until a connection frees. */
    int limit_per_host, limit_connections;
    bool no_cookies;    /* no cookie jar (by default one per session, in memory) */
    bool insecure;      /* do not verify TLS certificates and host names */
    bool http1_only;    /* never HTTP/2 (by default: HTTP/2 over TLS where offered) */
    bool no_decompress; /* no Accept-Encoding (by default gzip, deflate, br, zstd) */
} cio_http_session_options;

/* Where a response body goes. */
typedef enum cio_http_client_body_mode {
    CIO_HTTP_BODY_MEMORY = 0, /* whole, in memory: cio_http_client_response_body() */
    CIO_HTTP_BODY_STREAM,     /* chunk by chunk: cio_http_client_response_read() */
    CIO_HTTP_BODY_FD,         /* written to body_fd (a file: the write blocks the loop) */
} cio_http_client_body_mode;

/* Per-request settings; zero-initialise and set what you need. */
typedef struct cio_http_client_options {
    const char *const *headers; /* "Name: value", NULL-terminated; "Name:" removes one */
    /* Request body from memory (borrowed: valid until the request call
     * returns, or in stream mode until the body is read to its end). */
    const void *body;
    size_t body_len;
    /* Or from a file descriptor (read from its current offset; a regular
     * file's size is sent as Content-Length, else chunked). -1 or 0 with
     * has_body_fd false: none. */
    int body_fd;
    bool has_body_fd;
    cio_http_client_body_mode mode;
    int output_fd;        /* CIO_HTTP_BODY_FD: where the body goes (borrowed) */
    double timeout;       /* > 0: replaces the session's */
    size_t max_body_size; /* > 0: replaces the session's */
    /* If non-NULL, receives libcurl's text for a failure (or "" on success);
     * CIO_HTTP_ERROR_SIZE bytes. */
    char *error;
} cio_http_client_options;

/* Make a session. opts may be NULL (every default). *session is the caller's
 * to free with cio_http_session_free(). Returns 0, -EINVAL (NULL session),
 * -ENOMEM, -ENOTSUP (built without libcurl). Loop thread. */
CIO_EXPORT int cio_http_session_new(const cio_http_session_options *opts,
                                    cio_http_session **session);

/* Free a session. Requests still running keep what they need of it until
 * they finish. NULL is a no-op. Loop thread. */
CIO_EXPORT void cio_http_session_free(cio_http_session *session);

/* libcurl's text for the session's most recent failed request ("" if none).
 * Borrowed: valid until the session is freed or its next request fails. */
CIO_EXPORT const char *cio_http_session_last_error(const cio_http_session *session);

/* Send a request and wait for its response, inside a task. session NULL: the
 * loop's default session (default options). method NULL: "GET" (or "POST"
 * with a body). url: http:// or https:// (copied). On success *response is
 * the caller's to free with cio_http_client_response_free(); in memory and fd modes
 * it holds the whole body, in stream mode the status and headers (read the
 * body with cio_http_client_response_read). Returns 0, the transport errors in this
 * header's comment, -EINVAL (NULL url or response), -ENOMEM, -EPERM (outside
 * a task), -ECANCELED, -ETIMEDOUT (also from an enclosing timeout scope).
 * Cancelling the task aborts the transfer at once. */
CIO_EXPORT int cio_http_session_request(cio_http_session *session, const char *method,
                                        const char *url, const cio_http_client_options *opts,
                                        cio_http_client_response **response);

/* cio_http_session_request(session, "GET", url, NULL, response). */
CIO_EXPORT int cio_http_session_get(cio_http_session *session, const char *url,
                                    cio_http_client_response **response);

/* Stream mode: wait for the next body bytes, copy up to cap of them to buf.
 * Returns the count, 0 at the end of the body, or the transfer's error (as
 * for cio_http_session_request), -ECANCELED, -ETIMEDOUT, -EPERM (outside a task),
 * -EINVAL (not a stream-mode response). libcurl is paused while unread bytes
 * pile up (backpressure), so a slow reader slows the transfer. */
CIO_EXPORT ssize_t cio_http_client_response_read(cio_http_client_response *response, void *buf,
                                                 size_t cap);

/* The final response's status code (after redirects); 0 for NULL. */
CIO_EXPORT int cio_http_client_response_status(const cio_http_client_response *response);

/* The value of the final response's first header named name (any case), or
 * NULL. Borrowed: valid until the response is freed. */
CIO_EXPORT const char *cio_http_client_response_header(const cio_http_client_response *response,
                                                       const char *name);

/* The number of header lines of the final response, and the i-th one's name
 * and value (borrowed). header_at returns 0, or -ERANGE for a bad index. */
CIO_EXPORT size_t cio_http_client_response_header_count(const cio_http_client_response *response);
CIO_EXPORT int cio_http_client_response_header_at(const cio_http_client_response *response,
                                                  size_t i, const char **name, const char **value);

/* Memory mode: the body (NUL-terminated for convenience; *len without the
 * NUL) and its length in *len (may be NULL). Borrowed. "" for other modes. */
CIO_EXPORT const char *cio_http_client_response_body(const cio_http_client_response *response,
                                                     size_t *len);

/* The URL the final response came from (after redirects). Borrowed. */
CIO_EXPORT const char *cio_http_client_response_url(const cio_http_client_response *response);

/* Redirects followed to get this response. */
CIO_EXPORT int cio_http_client_response_redirects(const cio_http_client_response *response);

/* HTTP version of the final response: 10, 11, 20, 30 (0 unknown). */
CIO_EXPORT int cio_http_client_response_version(const cio_http_client_response *response);

/* Free a response; a stream-mode transfer still running is aborted. NULL is a
 * no-op. Loop thread. */
CIO_EXPORT void cio_http_client_response_free(cio_http_client_response *response);

#ifdef __cplusplus
}
#endif
#endif
