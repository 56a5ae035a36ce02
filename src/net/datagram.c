/* src/net/datagram.c - UDP endpoints.
 *
 * An endpoint is a non-blocking UDP socket and a magic number: sends and
 * receives are the low-level calls of sock.c (one datagram per syscall, so
 * message boundaries hold), after a check that the endpoint is open. Closing
 * goes through cio_close(), which wakes a task waiting on the socket; that
 * task then finds the endpoint closed. */
#include "net/net.h"

#include <stdlib.h>

#define DATAGRAM_MAGIC 0x63696f44u /* "cioD": a live endpoint */

struct cio_datagram {
    uint32_t magic; /* DATAGRAM_MAGIC until freed (then quarantined: core/handle.c) */
    int fd;         /* -1 once closed */
};

/* The open endpoint's fd, or -EINVAL (NULL; freed, reported) / -CIO_ECLOSED. */
static int open_fd(const cio_datagram *ep, const char *caller) {
    int rc = cio__handle_check(ep, DATAGRAM_MAGIC, "datagram endpoint", caller);
    if (rc < 0) return rc;
    return ep->fd >= 0 ? ep->fd : -CIO_ECLOSED;
}

/* ---- opening ---------------------------------------------------------------------------- */

static int set_flag(int fd, int name) {
    int on = 1;
    return setsockopt(fd, SOL_SOCKET, name, &on, sizeof on) == 0 ? 0 : -errno;
}

struct addresses {
    struct addrinfo *local, *remote;
    int family;
};

static int resolve_both(const char *local_host, int local_port, const char *remote_host,
                        int remote_port, struct addresses *addrs) {
    int rc = 0;
    if (local_host) {
        rc = cio__net_resolve(local_host, local_port, addrs->family, SOCK_DGRAM, AI_PASSIVE,
                              &addrs->local);
        if (rc == 0) addrs->family = addrs->local->ai_family;
    }
    if (rc == 0 && remote_host) {
        rc = cio__net_resolve(remote_host, remote_port, addrs->family, SOCK_DGRAM, 0,
                              &addrs->remote);
        if (rc == 0) addrs->family = addrs->remote->ai_family;
    }
    return rc;
}

static int configure(int fd, const cio_datagram_options *opts, const struct addresses *addrs) {
    int rc = 0;
    if (opts && opts->reuse_port) rc = set_flag(fd, SO_REUSEPORT);
    if (rc == 0 && opts && opts->broadcast) rc = set_flag(fd, SO_BROADCAST);
    if (rc == 0 && addrs->local && bind(fd, addrs->local->ai_addr, addrs->local->ai_addrlen) < 0)
        rc = -errno;
    /* A UDP connect only records the peer: it never waits. */
    if (rc == 0 && addrs->remote &&
        connect(fd, addrs->remote->ai_addr, addrs->remote->ai_addrlen) < 0)
        rc = -errno;
    return rc;
}

static int open_socket(const cio_datagram_options *opts, const struct addresses *addrs) {
    int fd = cio_socket(addrs->family, SOCK_DGRAM, 0);
    if (fd < 0) return fd;
    cio__net_adopt_fd(cio__running_loop, fd);
    int rc = configure(fd, opts, addrs);
    if (rc < 0) cio_close(fd);
    return rc < 0 ? rc : fd;
}

int cio_create_datagram_endpoint(const char *local_host, int local_port, const char *remote_host,
                                 int remote_port, const cio_datagram_options *opts,
                                 cio_datagram **out) {
    if (!out) return -EINVAL;
    *out = NULL;
    if (!cio__task_current_or_complain("cio_create_datagram_endpoint")) return -EPERM;
    struct addresses addrs = {.family = opts ? opts->family : AF_UNSPEC};
    if (!local_host && !remote_host && addrs.family == AF_UNSPEC) return -EINVAL;
    int rc = resolve_both(local_host, local_port, remote_host, remote_port, &addrs);
    int fd = rc == 0 ? open_socket(opts, &addrs) : rc;
    if (addrs.local) freeaddrinfo(addrs.local);
    if (addrs.remote) freeaddrinfo(addrs.remote);
    if (fd < 0) return fd;
    cio_datagram *ep = malloc(sizeof *ep);
    if (!ep) {
        cio_close(fd);
        return -ENOMEM;
    }
    *ep = (cio_datagram){.magic = DATAGRAM_MAGIC, .fd = fd};
    *out = ep;
    return 0;
}

int cio__datagram_adopt(int fd, cio_datagram **out) {
    *out = NULL;
    cio_loop *loop = cio__running_loop;
    if (fd < 0 || !loop) return -EINVAL;
    int type;
    socklen_t len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) return -errno;
    if (type != SOCK_DGRAM) return -EINVAL;
    int rc = cio__fd_set_nonblocking(fd);
    if (rc < 0) return rc;
    cio_datagram *ep = malloc(sizeof *ep);
    if (!ep) return -ENOMEM;
    cio__net_adopt_fd(loop, fd);
    *ep = (cio_datagram){.magic = DATAGRAM_MAGIC, .fd = fd};
    *out = ep;
    return 0;
}

/* ---- sending and receiving ------------------------------------------------------------------ */

/* A wait on the socket ended because the endpoint was closed under it. */
static ssize_t closed_while_waiting(const cio_datagram *ep, ssize_t rc) {
    bool gone = ep->magic != DATAGRAM_MAGIC || ep->fd < 0; /* closed or freed meanwhile */
    return rc == -EBADF && gone ? -CIO_ECLOSED : rc;
}

ssize_t cio_datagram_sendto(cio_datagram *ep, const void *buf, size_t len,
                            const struct sockaddr *addr, socklen_t addrlen) {
    int fd = open_fd(ep, "cio_datagram_sendto");
    if (fd < 0) return fd;
    cio_task *task = cio__task_current(); /* NULL: cio_sock_sendto complains */
    struct cio__wait_label label;
    cio__wait_label_begin(task, &label, CIO_WAIT_DATAGRAM, ep, NULL);
    ssize_t rc = cio_sock_sendto(fd, buf, len, addr, addrlen);
    cio__wait_label_end(task, &label);
    return closed_while_waiting(ep, rc);
}

ssize_t cio_datagram_send(cio_datagram *ep, const void *buf, size_t len) {
    return cio_datagram_sendto(ep, buf, len, NULL, 0);
}

ssize_t cio_datagram_recvfrom(cio_datagram *ep, void *buf, size_t cap, struct sockaddr *addr,
                              socklen_t *addrlen) {
    int fd = open_fd(ep, "cio_datagram_recvfrom");
    if (fd < 0) return fd;
    cio_task *task = cio__task_current(); /* NULL: cio_sock_recvfrom complains */
    struct cio__wait_label label;
    cio__wait_label_begin(task, &label, CIO_WAIT_DATAGRAM, ep, NULL);
    ssize_t rc = cio_sock_recvfrom(fd, buf, cap, addr, addrlen);
    cio__wait_label_end(task, &label);
    return closed_while_waiting(ep, rc);
}

/* ---- the rest ------------------------------------------------------------------------------- */

int cio_datagram_sockname(const cio_datagram *ep, struct sockaddr *addr, socklen_t *addrlen) {
    int fd = open_fd(ep, "cio_datagram_sockname");
    if (fd < 0) return fd;
    if (!addr || !addrlen) return -EINVAL;
    return getsockname(fd, addr, addrlen) == 0 ? 0 : -errno;
}

int cio_datagram_fd(const cio_datagram *ep) {
    return open_fd(ep, "cio_datagram_fd");
}

int cio_datagram_close(cio_datagram *ep) {
    int fd = open_fd(ep, "cio_datagram_close");
    if (fd < 0) return fd;
    ep->fd = -1;
    return cio_close(fd);
}

void cio_datagram_free(cio_datagram *ep) {
    if (!ep || cio__handle_check(ep, DATAGRAM_MAGIC, "datagram endpoint", "cio_datagram_free") < 0)
        return;
    cio_datagram_close(ep);
    cio__handle_retire(ep);
}
