/* cio/transport.h - transports and protocols (asyncio's callback API), for
 * code and libraries built on callbacks rather than tasks.
 *
 *     static void on_data(cio_transport *t, const void *data, size_t len, void *arg) {
 *         cio_transport_write(t, data, len);            // echo
 *     }
 *     static const cio_protocol echo = {.data_received = on_data};
 *
 *     cio_server *server;
 *     cio_create_server("127.0.0.1", 8888, &echo, NULL, NULL, NULL, &server);
 *
 * A transport is a stream (cio/stream.h) driven by callbacks: the same
 * buffers and the same write path, so a write sends at once when it can and
 * buffers the rest, and a graceful close still sends everything written. The
 * loop reads for the protocol when the socket is readable and calls it:
 *
 *   connection_made   once, first;
 *   data_received     with each chunk read (borrowed: valid during the call),
 *     or, for a buffered protocol (get_buffer set), get_buffer to ask where
 *     to read to and buffer_updated to say how much came;
 *   eof_received      when the peer ended its side; return true to keep the
 *     transport open for writing (half-close), false to close it;
 *   pause_writing / resume_writing   when the write buffer goes above the
 *     high-water mark / comes back down to the low one;
 *   connection_lost   once, last, with 0 (closed by either side) or the
 *     error that broke the connection (-ECONNRESET...).
 *
 * Every callback may be NULL (ignored). They run on the loop's thread,
 * outside any task: they must not suspend (a suspending call returns
 * -EPERM there); start a task for that. They may call every transport
 * function, close and abort included.
 *
 * Ownership: the transport owns its stream and its memory. It is freed right
 * after connection_lost returns: the handle must not be used after that (the
 * last 64 freed transports are kept poisoned, so a call soon after is refused
 * with -EINVAL and a report; later it is a use after free). Until then calls
 * on a closed transport return -CIO_ECLOSED. Every function is for the thread
 * running the transport's loop (else -EPERM and a report); NULL gives
 * -EINVAL. */
#ifndef CIO_TRANSPORT_H
#define CIO_TRANSPORT_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "datagram.h"
#include "process.h"
#include "server.h"
#include "stream.h"
#include "tls.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cio_transport cio_transport;

/* A stream protocol's callbacks (asyncio.Protocol and BufferedProtocol); arg
 * is the one given with the protocol. Keep the struct alive as long as the
 * transports using it (a static const, typically). */
typedef struct cio_protocol {
    void (*connection_made)(cio_transport *transport, void *arg);
    void (*data_received)(cio_transport *transport, const void *data, size_t len, void *arg);
    bool (*eof_received)(cio_transport *transport, void *arg);
    void (*connection_lost)(cio_transport *transport, int err, void *arg);
    void (*pause_writing)(cio_transport *transport, void *arg);
    void (*resume_writing)(cio_transport *transport, void *arg);
    /* Buffered protocol: set get_buffer to have bytes read straight into
     * the protocol's memory (data_received is then not called). get_buffer
     * stores a buffer of at least one byte (sizehint is what the transport
     * would like) and returns 0, or a negative errno that aborts the
     * connection (connection_lost gets it); buffer_updated says how many
     * bytes came into it. */
    int (*get_buffer)(cio_transport *transport, size_t sizehint, void **buf, size_t *len,
                      void *arg);
    void (*buffer_updated)(cio_transport *transport, size_t nbytes, void *arg);
} cio_protocol;

/* A server's protocol factory: called once per accepted connection with the
 * server's arg; stores the connection's protocol arg in *protocol_arg and
 * returns 0, or a negative errno to refuse the connection (it is closed). */
typedef int (*cio_protocol_factory)(void *arg, void **protocol_arg);

/* ---- making transports ------------------------------------------------------------ */

/* Drive stream with protocol (arg for its callbacks). The transport takes the
 * caller's stream handle (do not use or free it any more): on success and on
 * failure alike. Bytes the stream had already buffered are delivered first.
 * connection_made runs before this returns. *out gets the transport.
 * Returns 0, -EINVAL (NULL stream, protocol or out; a stream in a read call,
 * a process's pipe or a server's connection), -CIO_ECLOSED, -ENOMEM. */
CIO_EXPORT int cio_transport_new(cio_stream *stream, const cio_protocol *protocol, void *arg,
                                 cio_transport **out);

/* Connect to host:port (as cio_open_connection, opts as there: TLS too) and
 * drive the connection with protocol (loop.create_connection). Must run
 * inside a task. Returns 0, cio_open_connection's errors, or
 * cio_transport_new's. */
CIO_EXPORT int cio_create_connection(const char *host, int port, const cio_protocol *protocol,
                                     void *arg, const cio_connect_options *opts,
                                     cio_transport **out);

/* Connect to the Unix stream socket at path (as cio_open_unix_connection:
 * '@' first names a Linux abstract socket; opts as there) and drive the
 * connection with protocol (loop.create_unix_connection): the same
 * transport, buffers and write path as a TCP one. Must run inside a task.
 * Returns 0, cio_open_unix_connection's errors (-ENOENT, -ECONNREFUSED,
 * -ENAMETOOLONG, ...), cio_transport_new's, or -EINVAL (NULL protocol or
 * out). */
CIO_EXPORT int cio_create_unix_connection(const char *path, const cio_protocol *protocol, void *arg,
                                          const cio_connect_options *opts, cio_transport **out);

/* Drive the connected stream socket fd (loop.connect_accepted_socket): made
 * non-blocking, owned by the transport on success (on failure it stays the
 * caller's). Returns 0, -EINVAL (fd not a stream socket, NULL protocol or
 * out, no running loop), -ENOTSOCK, -ENOMEM. */
CIO_EXPORT int cio_connect_accepted_socket(int fd, const cio_protocol *protocol, void *arg,
                                           cio_transport **out);

/* Serve host:port (loop.create_server): as cio_start_server (opts, TLS and
 * the server handle's functions alike), but each connection is driven by
 * protocol, with the arg factory(factory_arg, &arg) gives (factory NULL: every
 * connection gets factory_arg). The connection counts as active until its
 * transport's connection_lost. Must run inside a task. Returns
 * cio_start_server's errors; -EINVAL for a NULL protocol. */
CIO_EXPORT int cio_create_server(const char *host, int port, const cio_protocol *protocol,
                                 cio_protocol_factory factory, void *factory_arg,
                                 const cio_server_options *opts, cio_server **out);

/* Serve the Unix socket at path (loop.create_unix_server): as
 * cio_start_unix_server (path rules: '@' abstract, a stale socket file
 * replaced, the file removed at close; opts as there) with each connection
 * driven by protocol as cio_create_server does. Must run inside a task.
 * Returns cio_start_unix_server's errors (-EADDRINUSE, -EACCES,
 * -ENAMETOOLONG, ...); -EINVAL for a NULL protocol or out. */
CIO_EXPORT int cio_create_unix_server(const char *path, const cio_protocol *protocol,
                                      cio_protocol_factory factory, void *factory_arg,
                                      const cio_server_options *opts, cio_server **out);

/* ---- writing ---------------------------------------------------------------------- */

/* Send len bytes of buf (transport.write): at once as far as the socket
 * takes them, the rest buffered (copied) and sent in the background. Never
 * suspends. Returns 0, -CIO_ECLOSED (closing, closed or after write_eof),
 * the error that broke the connection (-EPIPE, -ECONNRESET), -ENOMEM,
 * -EINVAL. */
CIO_EXPORT int cio_transport_write(cio_transport *transport, const void *buf, size_t len);
/* The same for iov[0..iovcnt), in order (transport.writelines). */
CIO_EXPORT int cio_transport_writelines(cio_transport *transport, const struct iovec *iov,
                                        int iovcnt);
/* End the sending side once the buffer is sent (transport.write_eof); reads
 * go on. Returns 0, -ENOTSUP (cannot), -CIO_ECLOSED, -EINVAL. */
CIO_EXPORT int cio_transport_write_eof(cio_transport *transport);
CIO_EXPORT bool cio_transport_can_write_eof(const cio_transport *transport);
/* The write buffer's high and low water marks (set_write_buffer_limits):
 * pause_writing is called when the buffer goes above high, resume_writing
 * when it is back down to low. 0: asyncio's defaults (64 KiB; high / 4).
 * Returns 0, -EINVAL (low > high). */
CIO_EXPORT int cio_transport_set_write_buffer_limits(cio_transport *transport, size_t high,
                                                     size_t low);
/* Bytes buffered, not yet sent (get_write_buffer_size); 0 for NULL. */
CIO_EXPORT size_t cio_transport_get_write_buffer_size(const cio_transport *transport);

/* ---- reading ---------------------------------------------------------------------- */

/* Stop / restart calling data_received (pause_reading, resume_reading). Bytes
 * that arrive meanwhile wait in the kernel, which then slows the peer down.
 * Return 0, or -CIO_ECLOSED, -EINVAL. Pausing a paused transport or resuming a
 * reading one does nothing (0). */
CIO_EXPORT int cio_transport_pause_reading(cio_transport *transport);
CIO_EXPORT int cio_transport_resume_reading(cio_transport *transport);
/* True while data_received may be called (is_reading): open, not paused, no
 * EOF yet. */
CIO_EXPORT bool cio_transport_is_reading(const cio_transport *transport);

/* ---- closing ---------------------------------------------------------------------- */

/* Close gracefully (transport.close): no more data_received; what is buffered
 * is still sent, then the socket closes and connection_lost(0) is called
 * (from the loop, never inside this call). Returns 0, -CIO_ECLOSED (a second
 * call), -EINVAL. */
CIO_EXPORT int cio_transport_close(cio_transport *transport);
/* Close now, dropping what is buffered (transport.abort); connection_lost(0)
 * follows from the loop. Returns 0, -CIO_ECLOSED (already closed), -EINVAL. */
CIO_EXPORT int cio_transport_abort(cio_transport *transport);
/* True once close, abort or an error began ending it (is_closing). */
CIO_EXPORT bool cio_transport_is_closing(const cio_transport *transport);

/* ---- information (get_extra_info) ------------------------------------------------- */

/* The socket (get_extra_info('socket')): the fd, or -CIO_ECLOSED, -EINVAL.
 * Borrowed: do not close it. */
CIO_EXPORT int cio_transport_fd(const cio_transport *transport);
/* 'peername' / 'sockname', as getpeername(2) / getsockname(2). 0 or
 * -errno, -CIO_ECLOSED, -EINVAL. */
CIO_EXPORT int cio_transport_peername(const cio_transport *transport, struct sockaddr *addr,
                                      socklen_t *addrlen);
CIO_EXPORT int cio_transport_sockname(const cio_transport *transport, struct sockaddr *addr,
                                      socklen_t *addrlen);
/* 'ssl_object' / 'cipher' / 'peercert': as cio_stream_tls_info (-ENOTCONN
 * for a plain connection). */
CIO_EXPORT int cio_transport_tls_info(const cio_transport *transport, cio_tls_info *info);
/* The arg the protocol's callbacks get. NULL for NULL. */
CIO_EXPORT void *cio_transport_protocol_arg(const cio_transport *transport);

/* ---- datagram transports (UDP) -------------------------------------------------- */

typedef struct cio_datagram_transport cio_datagram_transport;

/* A datagram protocol's callbacks (asyncio.DatagramProtocol), each may be
 * NULL. datagram_received gets one whole datagram (borrowed for the call)
 * and its sender's address; error_received an error the socket reported
 * for an earlier send (-ECONNREFUSED on a connected endpoint) or the error
 * of a queued datagram's send (that datagram is dropped); pause_writing /
 * resume_writing when the send queue goes above the high-water mark /
 * comes back down to the low one. */
typedef struct cio_datagram_protocol {
    void (*connection_made)(cio_datagram_transport *transport, void *arg);
    void (*datagram_received)(cio_datagram_transport *transport, const void *data, size_t len,
                              const struct sockaddr *addr, socklen_t addrlen, void *arg);
    void (*error_received)(cio_datagram_transport *transport, int err, void *arg);
    void (*connection_lost)(cio_datagram_transport *transport, int err, void *arg);
    void (*pause_writing)(cio_datagram_transport *transport, void *arg);
    void (*resume_writing)(cio_datagram_transport *transport, void *arg);
} cio_datagram_protocol;

/* Open a UDP endpoint as cio_create_datagram_endpoint does (the same
 * arguments and errors) and drive it with protocol
 * (loop.create_datagram_endpoint with a protocol factory). Must run inside
 * a task. connection_made runs before this returns. The transport is freed
 * after connection_lost returns, as a stream transport is. Returns 0,
 * cio_create_datagram_endpoint's errors, -EINVAL (NULL protocol or out),
 * -ENOMEM. */
CIO_EXPORT int cio_create_datagram_transport(const char *local_host, int local_port,
                                             const char *remote_host, int remote_port,
                                             const cio_datagram_protocol *protocol, void *arg,
                                             const cio_datagram_options *opts,
                                             cio_datagram_transport **out);

/* Drive the datagram socket fd (UDP, a Unix SOCK_DGRAM socket, bound or
 * connected as the caller made it) with protocol
 * (loop.create_datagram_endpoint(sock=...)): made non-blocking, owned by
 * the transport on success (on failure it stays the caller's).
 * connection_made runs before this returns. Returns 0, -EINVAL (fd not a
 * datagram socket, NULL protocol or out, no running loop), -ENOTSOCK,
 * -ENOMEM. Loop thread, in a task or a callback. */
CIO_EXPORT int cio_datagram_transport_from_socket(int fd, const cio_datagram_protocol *protocol,
                                                  void *arg, cio_datagram_transport **out);

/* Send one datagram to addr (NULL: the connected peer) (sendto). Never
 * suspends. While nothing is queued it is sent at once; if the socket's
 * buffer is full it is queued (copied) and sent, in order, when the socket
 * is writable, as is every datagram after it until the queue is empty. The
 * queue's size (get_write_buffer_size: bytes plus 8 per datagram, as
 * asyncio counts) drives pause_writing / resume_writing; it is bounded at
 * 16 times the high-water mark (at least 1 MiB), past which a datagram is
 * refused with -ENOBUFS. Errors of a send made now are returned; those of a
 * queued datagram go to error_received. Returns 0, -ENOBUFS, -EMSGSIZE,
 * -EDESTADDRREQ, -ECONNREFUSED (a send made now), -CIO_ECLOSED (closing or
 * closed), -ENOMEM, -EINVAL (NULL buf with len, addrlen too large, NULL or
 * stale transport), -EPERM (another thread). */
CIO_EXPORT int cio_datagram_transport_sendto(cio_datagram_transport *transport, const void *buf,
                                             size_t len, const struct sockaddr *addr,
                                             socklen_t addrlen);
/* The send queue's high and low water marks (set_write_buffer_limits):
 * pause_writing when the queue goes above high, resume_writing when it is
 * back down to low. 0: asyncio's defaults (64 KiB; high / 4; low 0 with high
 * 0: 4 * low). Returns 0, -EINVAL (low > high, NULL), -EPERM. */
CIO_EXPORT int cio_datagram_transport_set_write_buffer_limits(cio_datagram_transport *transport,
                                                              size_t high, size_t low);
/* Bytes queued, not yet sent, plus 8 per datagram (get_write_buffer_size);
 * 0 for NULL. */
CIO_EXPORT size_t
cio_datagram_transport_get_write_buffer_size(const cio_datagram_transport *transport);
/* Close (close): no more datagram_received or sendto; queued datagrams are
 * still sent, then the socket closes and connection_lost(0) follows from
 * the loop. Returns 0, -CIO_ECLOSED (a second call), -EINVAL, -EPERM. */
CIO_EXPORT int cio_datagram_transport_close(cio_datagram_transport *transport);
/* Close now, dropping the queue (abort); also after close while the queue
 * drains. connection_lost(0) follows from the loop. Returns 0, -CIO_ECLOSED
 * (the socket is closed already), -EINVAL, -EPERM. */
CIO_EXPORT int cio_datagram_transport_abort(cio_datagram_transport *transport);
CIO_EXPORT bool cio_datagram_transport_is_closing(const cio_datagram_transport *transport);
/* The socket's fd and address (get_extra_info 'socket', 'sockname'):
 * as cio_datagram_fd / cio_datagram_sockname. */
CIO_EXPORT int cio_datagram_transport_fd(const cio_datagram_transport *transport);
CIO_EXPORT int cio_datagram_transport_sockname(const cio_datagram_transport *transport,
                                               struct sockaddr *addr, socklen_t *addrlen);

/* ---- subprocess transports ---------------------------------------------------------- */

typedef struct cio_subprocess_transport cio_subprocess_transport;

/* A subprocess protocol's callbacks (asyncio.SubprocessProtocol), each may
 * be NULL. fd is 1 (stdout) or 2 (stderr) for data, 0-2 for
 * pipe_connection_lost. connection_lost comes last, once the process has
 * exited and every pipe is closed. */
typedef struct cio_subprocess_protocol {
    void (*connection_made)(cio_subprocess_transport *transport, void *arg);
    void (*pipe_data_received)(cio_subprocess_transport *transport, int fd, const void *data,
                               size_t len, void *arg);
    void (*pipe_connection_lost)(cio_subprocess_transport *transport, int fd, int err, void *arg);
    void (*process_exited)(cio_subprocess_transport *transport, void *arg);
    void (*connection_lost)(cio_subprocess_transport *transport, int err, void *arg);
} cio_subprocess_protocol;

/* Start argv as cio_create_subprocess_exec does (opts as there: pipes are
 * what opts makes CIO_STDIO_PIPE) and drive it with protocol
 * (loop.subprocess_exec). Does not suspend. The transport is freed after
 * connection_lost returns. Returns 0, cio_create_subprocess_exec's errors,
 * -EINVAL (NULL protocol or out), -ENOMEM. */
CIO_EXPORT int cio_subprocess_exec(const char *const argv[],
                                   const cio_subprocess_protocol *protocol, void *arg,
                                   const cio_process_options *opts, cio_subprocess_transport **out);
/* The child's pid (get_pid), or -EINVAL. */
CIO_EXPORT int cio_subprocess_transport_pid(const cio_subprocess_transport *transport);
/* As cio_process_returncode (get_returncode): 0, -EAGAIN (still running). */
CIO_EXPORT int cio_subprocess_transport_returncode(const cio_subprocess_transport *transport,
                                                   int *returncode);
/* The transport of pipe fd (0: stdin, to write to; 1, 2), borrowed
 * (get_pipe_transport): valid until its pipe_connection_lost. Returns 0,
 * -ENOENT (not a pipe, or closed already), -EINVAL. */
CIO_EXPORT int cio_subprocess_transport_pipe(cio_subprocess_transport *transport, int fd,
                                             cio_transport **out);
/* Send signo to the child (send_signal; terminate and kill are SIGTERM and
 * SIGKILL). Returns 0, -ESRCH (exited), -EINVAL. */
CIO_EXPORT int cio_subprocess_transport_send_signal(cio_subprocess_transport *transport, int signo);
/* Close the pipes and, if the child still runs, kill it (close). Returns 0,
 * -CIO_ECLOSED (a second call), -EINVAL. */
CIO_EXPORT int cio_subprocess_transport_close(cio_subprocess_transport *transport);

#ifdef __cplusplus
}
#endif
#endif
