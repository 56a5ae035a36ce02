/* cio/datagram.h - UDP endpoints (asyncio's create_datagram_endpoint, for
 * tasks rather than protocols).
 *
 *     cio_datagram *ep;
 *     cio_create_datagram_endpoint("127.0.0.1", 9999, NULL, 0, NULL, &ep);
 *     char buf[2048];
 *     struct sockaddr_storage from;
 *     socklen_t fromlen = sizeof from;
 *     ssize_t n = cio_datagram_recvfrom(ep, buf, sizeof buf, (struct sockaddr *)&from, &fromlen);
 *     cio_datagram_sendto(ep, buf, (size_t)n, (struct sockaddr *)&from, fromlen);
 *     cio_datagram_free(ep);
 *
 * Each send is one datagram and each receive returns one whole datagram
 * (message boundaries are kept). An endpoint is a handle: made by
 * cio_create_datagram_endpoint, closed by cio_datagram_close (tasks waiting
 * on it wake), freed by cio_datagram_free. At most one task may wait to
 * receive and one to send at a time (another gets -EBUSY). All functions:
 * loop thread only; the suspending ones inside a task (else -EPERM). A
 * closed endpoint gives -CIO_ECLOSED; NULL or a freed one gives -EINVAL. */
#ifndef CIO_DATAGRAM_H
#define CIO_DATAGRAM_H

#include <sys/socket.h>
#include <sys/types.h>

#include "task.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A UDP endpoint (opaque handle). */
typedef struct cio_datagram cio_datagram;

typedef struct cio_datagram_options {
    int family;      /* AF_UNSPEC (0): from the addresses given, else AF_INET */
    bool reuse_port; /* SO_REUSEPORT */
    bool broadcast;  /* SO_BROADCAST (asyncio's allow_broadcast) */
} cio_datagram_options;

/* Open a UDP socket, bound to local_host:local_port if local_host is
 * non-NULL (port 0: any), and connected to remote_host:remote_port if
 * remote_host is non-NULL (then cio_datagram_send works and only that peer's
 * datagrams arrive). Hosts are numeric addresses or names (resolved without
 * blocking the loop; the first address of the chosen family is used). opts
 * may be NULL. Returns 0, -EADDRINUSE, -EADDRNOTAVAIL, -CIO_ENOTFOUND,
 * -CIO_ERESOLVE, -EAFNOSUPPORT, -EMFILE, -ECANCELED, -EINVAL (NULL out, both
 * hosts NULL with no family, a port outside 0..65535), -EPERM (outside a
 * task). On success *out is the caller's endpoint, to free with
 * cio_datagram_free(); on failure *out is NULL. */
CIO_EXPORT int cio_create_datagram_endpoint(const char *local_host, int local_port,
                                            const char *remote_host, int remote_port,
                                            const cio_datagram_options *opts, cio_datagram **out);

/* Send one datagram to addr (transport.sendto), suspending only while the
 * socket's buffer is full. addr NULL: to the connected peer. Returns the
 * count sent, or -EMSGSIZE, -ECONNREFUSED (an earlier datagram to the
 * connected peer was refused), -EDESTADDRREQ (NULL addr, not connected),
 * -CIO_ECLOSED, -ECANCELED, -ETIMEDOUT, -EBUSY, -EPERM, -EINVAL. */
CIO_EXPORT ssize_t cio_datagram_sendto(cio_datagram *ep, const void *buf, size_t len,
                                       const struct sockaddr *addr, socklen_t addrlen);

/* cio_datagram_sendto(ep, buf, len, NULL, 0). */
CIO_EXPORT ssize_t cio_datagram_send(cio_datagram *ep, const void *buf, size_t len);

/* Receive one datagram (truncated to cap, as recvfrom(2) does), suspending
 * until one arrives. The sender's address goes to addr / *addrlen (both may
 * be NULL). Returns its length (0 for an empty datagram), or -ECONNREFUSED
 * (the connected peer refused an earlier datagram), -CIO_ECLOSED (also when
 * closed while waiting), -ECANCELED, -ETIMEDOUT, -EBUSY, -EPERM, -EINVAL. */
CIO_EXPORT ssize_t cio_datagram_recvfrom(cio_datagram *ep, void *buf, size_t cap,
                                         struct sockaddr *addr, socklen_t *addrlen);

/* The local address (transport.get_extra_info('sockname')), as
 * getsockname(2). Returns 0, -CIO_ECLOSED, -EINVAL. */
CIO_EXPORT int cio_datagram_sockname(const cio_datagram *ep, struct sockaddr *addr,
                                     socklen_t *addrlen);

/* The endpoint's socket (borrowed), or -CIO_ECLOSED / -EINVAL. */
CIO_EXPORT int cio_datagram_fd(const cio_datagram *ep);

/* Close the socket; tasks waiting on it wake with -CIO_ECLOSED. Returns 0,
 * -CIO_ECLOSED if already closed, -EINVAL. Does not suspend. */
CIO_EXPORT int cio_datagram_close(cio_datagram *ep);

/* Close (if open) and free the endpoint. NULL is a no-op; a freed endpoint
 * is reported on stderr and left alone. Does not suspend. */
CIO_EXPORT void cio_datagram_free(cio_datagram *ep);

#ifdef __cplusplus
}
#endif
#endif
