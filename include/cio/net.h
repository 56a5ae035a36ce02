/* cio/net.h - sockets, streams, servers, datagrams and DNS.
 *
 * This header holds the low-level socket calls (asyncio's loop.sock_*
 * family), address helpers and name resolution, and includes the rest of
 * the networking API:
 *   cio/stream.h    TCP and Unix streams (open_connection, reader/writer)
 *   cio/server.h    servers (start_server), one task per connection
 *   cio/datagram.h  UDP endpoints
 * docs/streams.md maps asyncio's networking API to these.
 *
 * Errors are negative errnos, as everywhere in cio: -ECONNREFUSED,
 * -ECONNRESET (peer reset), -EPIPE (writing after the peer closed),
 * -ENETUNREACH / -EHOSTUNREACH, -ETIMEDOUT, -ECANCELED; name resolution adds
 * -CIO_ENOTFOUND and -CIO_ERESOLVE. cio never lets SIGPIPE kill the process:
 * every send uses MSG_NOSIGNAL, so a write to a closed peer is -EPIPE.
 *
 * Threads: every function here is loop-thread only; the suspending ones must
 * run inside a task (else -EPERM and a one-line diagnostic). */
#ifndef CIO_NET_H
#define CIO_NET_H

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "datagram.h"
#include "server.h"
#include "stream.h"
#include "task.h"

#ifdef __cplusplus
extern "C" {
#endif

struct addrinfo;

/* ---- low-level socket calls (asyncio's loop.sock_*) -------------------------------
 *
 * They work on any socket fd the caller owns. recv/send-style calls pass
 * MSG_DONTWAIT, so the fd may even be in blocking mode; connect and accept
 * need a non-blocking fd (-EINVAL otherwise), as asyncio requires. Each waits
 * through the loop when the socket is not ready, so other tasks run
 * meanwhile, and each is cancellable and honours timeout scopes
 * (-ECANCELED, -ETIMEDOUT). At most one task may wait to read and one to write
 * on an fd at a time: a second gets -EBUSY. Close such fds with cio_close(),
 * which wakes their waiters with -EBADF. */

/* A new non-blocking, close-on-exec socket (socket(2) with SOCK_NONBLOCK |
 * SOCK_CLOEXEC). Returns the fd (owned by the caller) or -errno. Needs no
 * task. */
CIO_EXPORT int cio_socket(int domain, int type, int protocol);

/* Connect fd to addr (asyncio's sock_connect), suspending until the
 * connection is made or fails. Returns 0, -ECONNREFUSED, -ENETUNREACH,
 * -EHOSTUNREACH, -ETIMEDOUT (the kernel's, or a timeout scope), -ECANCELED,
 * -EINVAL (NULL addr, blocking fd), -EBUSY, -EPERM, or another -errno of
 * connect(2). After an error or cancellation the socket's state is
 * unspecified: close it. */
CIO_EXPORT int cio_sock_connect(int fd, const struct sockaddr *addr, socklen_t addrlen);

/* Accept a connection on the listening fd (asyncio's sock_accept). Returns
 * the new connection's fd, non-blocking and close-on-exec, owned by the
 * caller; the peer's address goes to addr / *addrlen as for accept(2) (both
 * may be NULL). Returns -EINVAL (blocking fd, not listening), -EMFILE /
 * -ENFILE (out of fds: the caller should back off), -ECANCELED, -ETIMEDOUT,
 * -EBUSY, -EPERM, -EBADF or another -errno of accept4(2). */
CIO_EXPORT int cio_sock_accept(int fd, struct sockaddr *addr, socklen_t *addrlen);

/* Receive up to len bytes into buf (asyncio's sock_recv), suspending until at
 * least one byte or EOF arrives. Returns the count, 0 at EOF (or len 0), or
 * -ECONNRESET, -ECANCELED, -ETIMEDOUT, -EBUSY, -EPERM, -EINVAL (NULL buf),
 * -EBADF or another -errno of recv(2). */
CIO_EXPORT ssize_t cio_sock_recv(int fd, void *buf, size_t len);

/* As cio_sock_recv, scattering into iovcnt buffers (asyncio's
 * sock_recv_into, which fills a buffer the caller provides; in C every
 * receive does, so this one takes several). Returns the total count. */
CIO_EXPORT ssize_t cio_sock_recv_into(int fd, const struct iovec *iov, int iovcnt);

/* Send once: suspend until some of buf can be sent, send what fits, and
 * return the count (1..len; 0 for len 0). Errors as cio_sock_send_all. */
CIO_EXPORT ssize_t cio_sock_send(int fd, const void *buf, size_t len);

/* Send all len bytes of buf (asyncio's sock_sendall), suspending as needed.
 * Returns 0, or -EPIPE (peer closed), -ECONNRESET, -ECANCELED, -ETIMEDOUT,
 * -EBUSY, -EPERM, -EINVAL (NULL buf with len > 0), -EBADF or another -errno
 * of send(2). *sent (may be NULL) gets the bytes sent, also on error. */
CIO_EXPORT int cio_sock_send_all(int fd, const void *buf, size_t len, size_t *sent);

/* Send count bytes of file_fd from offset (0: to its end) on the connected,
 * non-blocking socket fd (asyncio's loop.sock_sendfile), as
 * cio_stream_sendfile_ex does for a stream (opts may be NULL). fd and
 * file_fd are borrowed. *sent (may be NULL) gets the bytes sent, on error
 * too. Returns 0, or the errors of cio_stream_sendfile_ex that apply (not
 * -CIO_ECLOSED), and -EBADF for fd too. Inside a task, loop thread only. */
CIO_EXPORT int cio_sock_sendfile(int fd, int file_fd, off_t offset, size_t count,
                                 const cio_sendfile_options *opts, size_t *sent);

/* Send one datagram to addr (NULL on a connected socket), suspending while
 * the socket's buffer is full (asyncio's sock_sendto). Returns the count
 * sent, or -EMSGSIZE, -ECONNREFUSED (an earlier datagram was refused),
 * -ECANCELED, -ETIMEDOUT, -EBUSY, -EPERM or another -errno of sendto(2). */
CIO_EXPORT ssize_t cio_sock_sendto(int fd, const void *buf, size_t len, const struct sockaddr *addr,
                                   socklen_t addrlen);

/* Receive one datagram into buf (asyncio's sock_recvfrom), suspending until
 * one arrives; a datagram longer than len is truncated to len, as by
 * recvfrom(2). The sender's address goes to addr / *addrlen (both may be
 * NULL). Returns the count, or -ECONNREFUSED, -ECANCELED, -ETIMEDOUT, -EBUSY,
 * -EPERM, -EINVAL or another -errno of recvfrom(2). */
CIO_EXPORT ssize_t cio_sock_recvfrom(int fd, void *buf, size_t len, struct sockaddr *addr,
                                     socklen_t *addrlen);

/* ---- addresses ------------------------------------------------------------------ */

/* Longest text cio_format_address writes, with its NUL: "[v6%scope]:port",
 * or a Unix socket path. */
#define CIO_ADDRSTRLEN 112

/* Write addr as text into buf: "127.0.0.1:8080", "[::1]:8080", a Unix path
 * ("@name" for an abstract socket, "" when unnamed). Returns the length
 * written (without the NUL), -EAFNOSUPPORT for other families, -EINVAL (NULL,
 * short addrlen) or -ENOSPC if cap is too small (CIO_ADDRSTRLEN always
 * suffices). Thread-safe; needs no loop. */
CIO_EXPORT int cio_format_address(const struct sockaddr *addr, socklen_t addrlen, char *buf,
                                  size_t cap);

/* ---- name resolution ------------------------------------------------------------
 *
 * Lookups that need a resolver run getaddrinfo(3) / getnameinfo(3) on the
 * loop's default thread pool (see cio/thread.h), so the loop never blocks;
 * numeric hosts are answered on the spot, without a thread hop. Nothing is
 * cached: each call asks the system resolver, which applies /etc/hosts and
 * nsswitch as usual. Errors map as:
 *   EAI_NONAME, EAI_NODATA, EAI_ADDRFAMILY, EAI_SERVICE  -> -CIO_ENOTFOUND
 *   EAI_AGAIN, EAI_FAIL                                 -> -CIO_ERESOLVE
 *   EAI_FAMILY -> -EAFNOSUPPORT; EAI_SOCKTYPE -> -ESOCKTNOSUPPORT;
 *   EAI_BADFLAGS -> -EINVAL; EAI_MEMORY -> -ENOMEM; EAI_OVERFLOW -> -ENOSPC;
 *   EAI_SYSTEM -> -errno. */

/* Resolve host and service (either may be NULL, not both) as getaddrinfo(3)
 * does, with hints (may be NULL: any family, AI_ADDRCONFIG is not set). On
 * success *res holds the list, owned by the caller: free it with
 * freeaddrinfo(3). Returns 0, an error mapped as above, -EINVAL (NULL res or
 * both names NULL), -ECANCELED, -ETIMEDOUT (the lookup then finishes on its
 * thread and its result is freed there: nothing leaks), -ENOMEM, -EPERM. */
CIO_EXPORT int cio_getaddrinfo(const char *host, const char *service, const struct addrinfo *hints,
                               struct addrinfo **res);

/* Turn addr into host and service names as getnameinfo(3) does with flags
 * (NI_NUMERICHOST etc.), writing NUL-terminated text into host[0..hostlen)
 * and serv[0..servlen) (either may be NULL with length 0). Numeric requests
 * (NI_NUMERICHOST|NI_NUMERICSERV) are answered on the spot. Returns 0, an
 * error mapped as above, -EINVAL, -ECANCELED, -ETIMEDOUT, -ENOMEM, -EPERM. */
CIO_EXPORT int cio_getnameinfo(const struct sockaddr *addr, socklen_t addrlen, char *host,
                               size_t hostlen, char *serv, size_t servlen, int flags);

#ifdef __cplusplus
}
#endif
#endif
