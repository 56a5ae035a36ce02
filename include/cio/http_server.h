/* cio/http_server.h - an HTTP/1.1 server on cio streams, a small router and
 * a static file handler (aiohttp.web's place in asyncio).
 *
 *     static void hello(cio_http_request *req, cio_http_response *res, void *arg) {
 *         cio_http_response_add_header(res, "Content-Type", "text/plain");
 *         cio_http_response_send(res, 200, "Hello, World!", 13);
 *     }
 *
 *     cio_http_server *server;
 *     int rc = cio_http_serve("127.0.0.1", 8080, hello, NULL, NULL, &server);
 *     if (rc == 0) rc = cio_http_server_serve_forever(server);
 *     cio_http_server_free(server);
 *
 * Each connection is one task (cio_start_server); the handler runs in it,
 * once per request, with a request (method, target, path, query, headers,
 * body) and a response writer. Requests on a connection are answered in
 * order: the next request is parsed from the connection's buffer only after
 * the current one was answered (pipelining). Heads are parsed in place by
 * the strict parser of cio/http_parser.h in one read buffer per connection;
 * a malformed request is answered with the parser's status (400, 413, 414,
 * 431, 501, 505) and the connection is closed. See docs/http-server.md.
 *
 * The request and the response are valid only during the handler call; the
 * slices they hand out borrow the connection's buffer. All functions: loop
 * thread only, the suspending ones inside a task (the handler's), as every
 * cio call. NULL handles give -EINVAL. */
#ifndef CIO_HTTP_SERVER_H
#define CIO_HTTP_SERVER_H

#include <sys/types.h>

#include "http_parser.h"
#include "stream.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cio_http_server cio_http_server;
typedef struct cio_http_request cio_http_request;
typedef struct cio_http_response cio_http_response;

/* Called once per request, in the connection's task. When it returns
 * without having answered, the server answers 500; a streamed body not
 * ended is ended (or, with a Content-Length not reached, the connection is
 * closed). */
typedef void (*cio_http_handler)(cio_http_request *req, cio_http_response *res, void *arg);

/* The access-log hook: called after each answered request with its status,
 * the body bytes sent and the seconds from the head's arrival to the end of
 * the answer (loop time). req is valid for the call only. */
typedef void (*cio_http_access_log)(const cio_http_request *req, int status, uint64_t body_bytes,
                                    double seconds, void *arg);

/* Options; zero-initialise and set what you need (0 means the default). */
typedef struct cio_http_server_options {
    /* Seconds from a request's first byte until its head is complete: 10.
     * A client trickling a header (slowloris) is cut here (408, closed). */
    double header_timeout;
    /* Seconds a keep-alive connection may wait for its next request: 60. */
    double idle_timeout;
    /* Seconds the body may go without a byte arriving: 30 (408, closed). */
    double body_timeout;
    /* Seconds from a request's first byte until its answer is sent, handler
     * included; 0: no limit. When it passes, the handler's awaits return
     * -ETIMEDOUT and the connection is closed. */
    double request_timeout;
    /* At most this many connections at once (0: 10000); further clients
     * wait in the listen backlog. */
    size_t max_connections;
    /* Each connection's read buffer, which also bounds a request head
     * (431 past it): 16 KiB. */
    size_t buffer_size;
    /* Parser limits (start line 8 KiB, 100 fields, body 1 MiB...). The body
     * limit applies to Content-Length and chunked bodies (413). */
    cio_http_parser_options limits;
    /* Called after each request when set (off by default). */
    cio_http_access_log access_log;
    void *access_log_arg;
    /* The Server header's value; NULL: none is sent. */
    const char *server_name;
    int backlog;     /* listen(2) backlog: 0 means 1024 */
    bool reuse_port; /* SO_REUSEPORT */
} cio_http_server_options;

/* ---- serving ---------------------------------------------------------------------- */

/* Listen on host:port (as cio_start_server: NULL host is every interface,
 * port 0 picks one) and answer each request with handler(req, res, arg).
 * Serving starts at once. opts may be NULL; it is copied (server_name too).
 * Inside a task. On success *out is the caller's handle. Returns 0, or the
 * errors of cio_start_server (-EADDRINUSE, -EACCES, -CIO_ENOTFOUND...),
 * -ENOMEM, -EINVAL (NULL handler or out, a negative timeout). */
CIO_EXPORT int cio_http_serve(const char *host, int port, cio_http_handler handler, void *arg,
                              const cio_http_server_options *opts, cio_http_server **out);

/* As cio_http_serve on the Unix socket at path (cio_start_unix_server). */
CIO_EXPORT int cio_http_serve_unix(const char *path, cio_http_handler handler, void *arg,
                                   const cio_http_server_options *opts, cio_http_server **out);

/* The TCP port listened on; -EINVAL (NULL, Unix), -CIO_ECLOSED. */
CIO_EXPORT int cio_http_server_port(const cio_http_server *server);

/* Connections open now (requests in flight and idle keep-alive ones). */
CIO_EXPORT size_t cio_http_server_connections(const cio_http_server *server);

/* Suspend until the server has shut down (cio_http_server_shutdown from
 * another task, or this task's cancellation, which shuts down at once with
 * no grace). Returns 0, -ECANCELED, -ETIMEDOUT, -EPERM, -EINVAL. */
CIO_EXPORT int cio_http_server_serve_forever(cio_http_server *server);

/* Shut down gracefully: stop accepting, close idle keep-alive connections
 * at once, let requests in flight finish (their answers carry
 * "Connection: close") for up to grace seconds, then abort what is left and
 * wait until every connection is closed. Suspends; inside a task, but not
 * one of this server's handlers (it would wait for itself: start a task,
 * as examples/http_hello.c does from its signal handler). Returns
 * 0, or -CIO_ECLOSED (already shut down), -ECANCELED, -EPERM, -EINVAL
 * (NULL, negative or NaN grace). */
CIO_EXPORT int cio_http_server_shutdown(cio_http_server *server, double grace);

/* Release the handle; an open server is first closed (no new connections;
 * those open are aborted). NULL is a no-op. Does not suspend. */
CIO_EXPORT void cio_http_server_free(cio_http_server *server);

/* ---- the request -------------------------------------------------------------------- */

/* The parsed head: method, target, version, fields, framing (borrowed). */
CIO_EXPORT const cio_http_head *cio_http_request_head(const cio_http_request *req);

/* The target's path (before '?', still percent-encoded) and query (after
 * '?', without it; empty if none). Borrowed slices. */
CIO_EXPORT cio_http_slice cio_http_request_path(const cio_http_request *req);
CIO_EXPORT cio_http_slice cio_http_request_query(const cio_http_request *req);

/* True if the method is exactly `method` ("GET"). */
CIO_EXPORT bool cio_http_request_is(const cio_http_request *req, const char *method);

/* The first header called name (case-insensitive). Returns 0 with *value
 * borrowed, -ENOENT, -EINVAL. */
CIO_EXPORT int cio_http_request_header(const cio_http_request *req, const char *name,
                                       cio_http_slice *value);

/* A router parameter (":id" in the pattern "/users/:id") of the route that
 * matched. Returns 0 with *value borrowed (percent-encoded as sent),
 * -ENOENT, -EINVAL. */
CIO_EXPORT int cio_http_request_param(const cio_http_request *req, const char *name,
                                      cio_http_slice *value);

/* Read up to n bytes of the body into buf (a read loop: call until 0).
 * Chunked bodies arrive decoded. The first read answers Expect: 100-continue.
 * Returns the count, 0 at the body's end, or -CIO_EHTTP_* (a malformed
 * chunked body, 400/413: the server answers it if nothing was sent yet;
 * later reads return -EPROTO),
 * -CIO_EINCOMPLETE (the client closed mid-body), -ETIMEDOUT (the body
 * timeout), the errors of cio_stream_read, -EINVAL. */
CIO_EXPORT ssize_t cio_http_request_read(cio_http_request *req, void *buf, size_t n);

/* Read the whole body into memory (*data, NUL-terminated, the caller's to
 * free(); *len without the NUL). More than max bytes: -CIO_EHTTP_BODY_TOO_LARGE
 * (413 is answered if nothing was sent). Returns 0 or the errors of
 * cio_http_request_read, -ENOMEM. */
CIO_EXPORT int cio_http_request_read_body(cio_http_request *req, size_t max, char **data,
                                          size_t *len);

/* The connection's stream (borrowed): for protocols taking over after a
 * 101 (see cio/websocket.h). Reading or writing it during an HTTP exchange
 * breaks the framing. */
CIO_EXPORT cio_stream *cio_http_request_stream(cio_http_request *req);

/* Bytes the server has buffered past this request's head and body (for an
 * upgrade: the first bytes of the new protocol). *data borrowed; consumed
 * by this call. Returns the count. */
CIO_EXPORT size_t cio_http_request_take_buffered(cio_http_request *req, const char **data);

/* ---- the response ------------------------------------------------------------------- */

/* Add a header to the answer (copied into the connection's head buffer).
 * Date, Content-Length, Transfer-Encoding and Connection are the server's.
 * Returns 0, -EALREADY (the head was sent), -ENOSPC (the head buffer is
 * full), -EINVAL (NULL, CR or LF in name or value, an empty name). */
CIO_EXPORT int cio_http_response_add_header(cio_http_response *res, const char *name,
                                            const char *value);

/* Answer with status and a body from memory (Content-Length), head and body
 * in one write, then wait for the write buffer to drain below its high mark
 * (backpressure). HEAD requests get the head only. Returns 0, -EALREADY (an
 * answer was started), -EINVAL (status outside 100..999, NULL body with
 * len), the stream's write errors, -ECANCELED, -ETIMEDOUT. */
CIO_EXPORT int cio_http_response_send(cio_http_response *res, int status, const void *body,
                                      size_t len);

/* Start an answer whose body is written piece by piece: content_length >= 0
 * sends Content-Length, -1 chunked coding (HTTP/1.1; an HTTP/1.0 client
 * gets a body delimited by closing the connection). The head is sent with
 * the first piece or by cio_http_response_end. Returns 0, -EALREADY, -EINVAL. */
CIO_EXPORT int cio_http_response_begin(cio_http_response *res, int status, int64_t content_length);

/* Write a piece of the body started by cio_http_response_begin, then drain
 * (backpressure). More than a Content-Length allows: -EMSGSIZE. Returns 0,
 * -EMSGSIZE, -EPROTO (not begun), the stream's errors. */
CIO_EXPORT int cio_http_response_write(cio_http_response *res, const void *data, size_t len);

/* Write len bytes of the open file fd from offset as a piece of the body
 * (sendfile(2) when the socket can take it; the fd stays the caller's).
 * Returns 0, -EMSGSIZE, -EPROTO, -CIO_EINCOMPLETE (the file ended first),
 * the errors of sendfile(2) and of the stream. */
CIO_EXPORT int cio_http_response_sendfile(cio_http_response *res, int fd, off_t offset, size_t len);

/* End a begun answer (the last chunk for chunked coding). Returns 0,
 * -EPROTO (not begun, or Content-Length not reached: the connection will be
 * closed), the stream's errors. Called by the server if the handler did not. */
CIO_EXPORT int cio_http_response_end(cio_http_response *res);

/* Close the connection after this answer ("Connection: close" if the head
 * was not sent yet). Returns 0 or -EINVAL. */
CIO_EXPORT int cio_http_response_close_connection(cio_http_response *res);

/* True once the head was sent (or an answer started). */
CIO_EXPORT bool cio_http_response_started(const cio_http_response *res);

/* ---- router ------------------------------------------------------------------------- */

typedef struct cio_http_router cio_http_router;

/* A new, empty router (a handle). Returns 0, -ENOMEM, -EINVAL. */
CIO_EXPORT int cio_http_router_new(cio_http_router **out);

/* Route method ("GET"...; "*" for any) and pattern to handler(req, res,
 * arg). Patterns are paths whose segments are literal, ":name" (one
 * segment, a parameter) or a last "*name" (the rest of the path, possibly
 * empty). The first route added that matches wins. GET routes also answer
 * HEAD. Copies method and pattern. Returns 0, -ENOMEM, -EINVAL (NULL, a
 * pattern not starting with '/', '*' not last). */
CIO_EXPORT int cio_http_router_add(cio_http_router *router, const char *method, const char *pattern,
                                   cio_http_handler handler, void *arg);

/* The router as a handler: pass cio_http_router_handle and the router as
 * arg to cio_http_serve. No route for the path: 404; a route for the path
 * but not the method: 405 with Allow. */
CIO_EXPORT void cio_http_router_handle(cio_http_request *req, cio_http_response *res, void *router);

/* Release a router (NULL: no-op). Not while a server uses it. */
CIO_EXPORT void cio_http_router_free(cio_http_router *router);

/* ---- static files ------------------------------------------------------------------- */

typedef struct cio_http_static cio_http_static;

/* Serve the files under root (a directory; resolved now, symlinks
 * included). For a route ending in "*path" the file is that parameter;
 * used as a plain handler, the whole request path. GET and HEAD only (405
 * else); index.html for a directory; Content-Type by extension; ETag and
 * Last-Modified with If-None-Match / If-Modified-Since (304); a single
 * Range (206, 416); the body by sendfile. Paths with "..", NUL or encoded
 * slashes, and files whose real path leaves root (symlinks), get 404.
 * Returns 0, -ENOENT / -ENOTDIR (root), -ENOMEM, -EINVAL. */
CIO_EXPORT int cio_http_static_new(const char *root, cio_http_static **out);

/* The static file handler: arg is the cio_http_static. */
CIO_EXPORT void cio_http_static_handle(cio_http_request *req, cio_http_response *res, void *files);

/* Release (NULL: no-op). Not while a server uses it. */
CIO_EXPORT void cio_http_static_free(cio_http_static *files);

#ifdef __cplusplus
}
#endif
#endif
