/* cio/server.h - stream servers (asyncio.start_server and asyncio.Server).
 *
 *     static void handle(cio_stream *s, void *arg) {     // one task per client
 *         char buf[4096];
 *         ssize_t n;
 *         while ((n = cio_stream_read(s, buf, sizeof buf)) > 0)
 *             if (cio_stream_write(s, buf, (size_t)n) < 0 || cio_stream_drain(s) < 0) break;
 *     }                                                // the server closes s
 *
 *     cio_server *server;
 *     cio_start_server("127.0.0.1", 8888, handle, NULL, NULL, &server);
 *     cio_server_serve_forever(server);
 *
 * Each accepted connection gets its own task running handler(stream, arg).
 * The stream belongs to the server: the handler may read, write, close and
 * wait_closed it, but must not free it or use it after returning. When the
 * handler returns, the server closes the stream gracefully if the handler
 * did not (buffered data is still sent), waits until it is closed, and frees
 * it; the connection then stops counting as active. A handler task that is
 * cancelled (cio_run's shutdown, for instance) has its stream aborted.
 *
 * Ownership: starting a server gives the caller a handle, released with
 * cio_server_free(); until then calls on a closed server return
 * -CIO_ECLOSED. All functions: loop thread only, on the server's loop; those
 * that suspend, inside a task. NULL handles give -EINVAL. */
#ifndef CIO_SERVER_H
#define CIO_SERVER_H

#include "stream.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cio_server cio_server;

/* Runs in its own task, once per accepted connection. */
typedef void (*cio_connection_handler)(cio_stream *stream, void *arg);

/* Options for starting servers; zero-initialise and set what you need. */
typedef struct cio_server_options {
    int backlog; /* listen(2) backlog; 0: 100, asyncio's default */
    int family;  /* AF_UNSPEC (0): every family the host has; AF_INET / AF_INET6 */
    /* SO_REUSEPORT, so several processes or loops can serve one port (the
     * kernel spreads connections among them). SO_REUSEADDR is always set on
     * TCP listeners, as asyncio does on Unix. */
    bool reuse_port;
    /* At most this many connections at once (0: no cap). At the cap the
     * server stops accepting; new clients wait in the kernel's backlog until a
     * handler finishes. */
    size_t max_connections;
    size_t limit;   /* reader limit of each connection's stream; 0: CIO_STREAM_LIMIT */
    bool keepalive; /* SO_KEEPALIVE on accepted connections */
    bool nagle;     /* keep Nagle's algorithm (cio sets TCP_NODELAY unless this is true) */
    /* TLS (asyncio's ssl=): a server context from cio_tls_context_new
     * (cio/tls.h), which the server keeps until it is freed; NULL: plain.
     * Each connection's handshake runs in its task before the handler, within
     * the context's handshake timeout; a connection whose handshake fails or
     * times out is dropped and never reaches the handler. */
    struct cio_tls_context *tls;
    /* asyncio's start_serving=False: listen (the kernel queues connections
     * in the backlog) but accept none until cio_server_start_serving() or
     * cio_server_serve_forever(). */
    bool no_start_serving;
} cio_server_options;

/* Listen on host:port and serve each connection with handler(stream, arg)
 * (asyncio.start_server). host NULL or "" listens on all interfaces, IPv4
 * (0.0.0.0) and IPv6 (::, with IPV6_V6ONLY); a name or address listens on
 * every address it resolves to (e.g. "localhost": 127.0.0.1 and ::1). Port 0
 * picks a free port; with several addresses, all listen on the port the first
 * one got (cio_server_port()). Serving starts at once, unless
 * opts->no_start_serving. Must run inside a task
 * (names are resolved without blocking). opts may be NULL. On success *out
 * holds the caller's handle. Returns 0, -EADDRINUSE, -EACCES, -EADDRNOTAVAIL,
 * -CIO_ENOTFOUND, -CIO_ERESOLVE, -EMFILE, -ENOMEM, -ECANCELED, -EPERM,
 * -EINVAL (NULL handler or out, port outside 0..65535). */
CIO_EXPORT int cio_start_server(const char *host, int port, cio_connection_handler handler,
                                void *arg, const cio_server_options *opts, cio_server **out);

/* As cio_start_server, on the Unix socket at path (asyncio.start_unix_server;
 * '@' first names a Linux abstract socket). A stale socket file at path is
 * removed first; any other file there gives -EADDRINUSE. The socket file is
 * removed again when the server closes. Only backlog, max_connections and
 * limit apply. Returns 0, -EADDRINUSE, -EACCES, -ENAMETOOLONG, -ENOENT,
 * -EMFILE, -ENOMEM, -EPERM, -EINVAL. */
CIO_EXPORT int cio_start_unix_server(const char *path, cio_connection_handler handler, void *arg,
                                     const cio_server_options *opts, cio_server **out);

/* Start accepting connections on a server made with opts->no_start_serving
 * (server.start_serving()); a server already serving is left as it is.
 * Does not suspend. Returns 0, -CIO_ECLOSED (closed), -EINVAL (NULL or freed
 * handle), -EPERM (another thread), -ENOMEM. */
CIO_EXPORT int cio_server_start_serving(cio_server *server);

/* Start serving if it has not started, then suspend until the server is
 * closed (server.serve_forever()); 0 then. If the calling task is cancelled
 * (or its timeout scope expires), the server is closed and -ECANCELED
 * (-ETIMEDOUT) is returned. Also -EPERM, -EINVAL, -ENOMEM, -CIO_ECLOSED
 * (already closed). */
CIO_EXPORT int cio_server_serve_forever(cio_server *server);

/* Stop accepting (server.close()): the listening sockets close; connections
 * already accepted go on. Does not suspend. Returns 0, -CIO_ECLOSED if
 * already closed, -EINVAL. */
CIO_EXPORT int cio_server_close(cio_server *server);

/* Close every connection gracefully (server.close_clients(), 3.13): their
 * buffered data is still sent; handlers see -CIO_ECLOSED from reads and
 * writes. Returns the number of connections closed, or -EINVAL. */
CIO_EXPORT int cio_server_close_clients(cio_server *server);

/* Abort every connection (server.abort_clients()): buffered data is dropped.
 * Returns the number of connections aborted, or -EINVAL. */
CIO_EXPORT int cio_server_abort_clients(cio_server *server);

/* Suspend until the server is closed and every connection's handler has
 * finished and its stream is closed (server.wait_closed(), 3.12). Returns 0,
 * -ECANCELED, -ETIMEDOUT, -EPERM, -EINVAL. */
CIO_EXPORT int cio_server_wait_closed(cio_server *server);

/* True while the server accepts connections (server.is_serving()): started
 * serving and not closed. */
CIO_EXPORT bool cio_server_is_serving(const cio_server *server);

/* Connections whose handlers are running or whose streams are still
 * closing. 0 for NULL. */
CIO_EXPORT size_t cio_server_connections(const cio_server *server);

/* The address of listening socket index (server.sockets[index]
 * .getsockname()), as getsockname(2). Returns 0, -ENOENT (no such socket),
 * -CIO_ECLOSED, -EINVAL. */
CIO_EXPORT int cio_server_sockname(const cio_server *server, size_t index, struct sockaddr *addr,
                                   socklen_t *addrlen);

/* The TCP port the server listens on, or -CIO_ECLOSED, -EINVAL (NULL, Unix
 * server). */
CIO_EXPORT int cio_server_port(const cio_server *server);

/* Release the caller's handle, closing the server first if it is open.
 * Connections keep running to their end; the server's memory goes with the
 * last of them. NULL is a no-op. Does not suspend. */
CIO_EXPORT void cio_server_free(cio_server *server);

#ifdef __cplusplus
}
#endif
#endif
