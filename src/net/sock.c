/* src/net/sock.c - the low-level socket calls (asyncio's loop.sock_*).
 *
 * Each call tries the syscall first and waits for readiness only after
 * EAGAIN, so a ready socket costs exactly one syscall. The wait is
 * cio__io_wait(recheck=false): the EAGAIN just seen is what makes the next
 * edge a reliable wake-up. */
#include "net/net.h"

#include <fcntl.h>
#include <unistd.h>

/* How long a Unix-socket connect waits before retrying when the listener's
 * backlog is full: non-blocking AF_UNIX connects fail with EAGAIN then, and
 * no readiness event tells when room appears. */
#define UNIX_CONNECT_RETRY 0.01

int cio_socket(int domain, int type, int protocol) {
    int fd = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
    return fd < 0 ? -errno : fd;
}

/* connect and accept cannot be made non-blocking per call, as sends and
 * receives can with MSG_DONTWAIT, so they need the fd's flag. */
static int check_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) return -errno;
    return flags & O_NONBLOCK ? 0 : -EINVAL;
}

/* ---- the retry loop ------------------------------------------------------------------ */

struct sock_op {
    int fd;
    unsigned events; /* what to wait for after EAGAIN */
    void *buf;
    size_t len;
    const struct iovec *iov;
    int iovcnt;
    const struct sockaddr *to;
    socklen_t tolen;
    struct sockaddr *from;
    socklen_t *fromlen;
};

typedef ssize_t (*attempt_fn)(struct sock_op *op); /* a syscall: >= 0, or -1 with errno */

static ssize_t run(struct sock_op *op, attempt_fn attempt, const char *caller) {
    cio_task *task = cio__task_current_or_complain(caller);
    if (!task) return -EPERM;
    if (op->fd < 0) return -EBADF;
    for (;;) {
        ssize_t n = attempt(op);
        if (n >= 0) return n;
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return -errno;
        int rc = cio__io_wait(task, op->fd, op->events, false);
        if (rc < 0) return rc;
    }
}

static ssize_t try_recv(struct sock_op *op) {
    return recv(op->fd, op->buf, op->len, MSG_DONTWAIT);
}

static ssize_t try_recvmsg(struct sock_op *op) {
    struct msghdr msg = {.msg_iov = (struct iovec *)op->iov, .msg_iovlen = (size_t)op->iovcnt};
    return recvmsg(op->fd, &msg, MSG_DONTWAIT);
}

static ssize_t try_send(struct sock_op *op) {
    return send(op->fd, op->buf, op->len, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static ssize_t try_sendto(struct sock_op *op) {
    return sendto(op->fd, op->buf, op->len, MSG_DONTWAIT | MSG_NOSIGNAL, op->to, op->tolen);
}

static ssize_t try_recvfrom(struct sock_op *op) {
    return recvfrom(op->fd, op->buf, op->len, MSG_DONTWAIT, op->from, op->fromlen);
}

static ssize_t try_accept(struct sock_op *op) {
    return accept4(op->fd, op->from, op->fromlen, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

/* ---- the public calls --------------------------------------------------------------- */

ssize_t cio_sock_recv(int fd, void *buf, size_t len) {
    if (!buf && len) return -EINVAL;
    struct sock_op op = {.fd = fd, .events = CIO__READABLE, .buf = buf, .len = len};
    return run(&op, try_recv, "cio_sock_recv");
}

ssize_t cio_sock_recv_into(int fd, const struct iovec *iov, int iovcnt) {
    if ((!iov && iovcnt) || iovcnt < 0) return -EINVAL;
    struct sock_op op = {.fd = fd, .events = CIO__READABLE, .iov = iov, .iovcnt = iovcnt};
    return run(&op, try_recvmsg, "cio_sock_recv_into");
}

ssize_t cio_sock_send(int fd, const void *buf, size_t len) {
    if (!buf && len) return -EINVAL;
    struct sock_op op = {.fd = fd, .events = CIO__WRITABLE, .buf = (void *)buf, .len = len};
    return run(&op, try_send, "cio_sock_send");
}

int cio_sock_send_all(int fd, const void *buf, size_t len, size_t *sent) {
    if (sent) *sent = 0;
    if (!cio__task_current_or_complain("cio_sock_send_all")) return -EPERM;
    if (!buf && len) return -EINVAL;
    size_t done = 0;
    ssize_t n = 0;
    while (done < len) {
        n = cio_sock_send(fd, (const char *)buf + done, len - done);
        if (n < 0) break;
        done += (size_t)n;
    }
    if (sent) *sent = done;
    return n < 0 ? (int)n : 0;
}

ssize_t cio_sock_sendto(int fd, const void *buf, size_t len, const struct sockaddr *addr,
                        socklen_t addrlen) {
    if (!buf && len) return -EINVAL;
    struct sock_op op = {.fd = fd,
                         .events = CIO__WRITABLE,
                         .buf = (void *)buf,
                         .len = len,
                         .to = addr,
                         .tolen = addr ? addrlen : 0};
    return run(&op, try_sendto, "cio_sock_sendto");
}

ssize_t cio_sock_recvfrom(int fd, void *buf, size_t len, struct sockaddr *addr,
                          socklen_t *addrlen) {
    if ((!buf && len) || (addr && !addrlen)) return -EINVAL;
    struct sock_op op = {.fd = fd,
                         .events = CIO__READABLE,
                         .buf = buf,
                         .len = len,
                         .from = addr,
                         .fromlen = addr ? addrlen : NULL};
    return run(&op, try_recvfrom, "cio_sock_recvfrom");
}

int cio_sock_accept(int fd, struct sockaddr *addr, socklen_t *addrlen) {
    if (!cio__task_current_or_complain("cio_sock_accept")) return -EPERM;
    if (addr && !addrlen) return -EINVAL;
    int rc = fd < 0 ? -EBADF : check_nonblocking(fd);
    if (rc < 0) return rc;
    struct sock_op op = {
        .fd = fd, .events = CIO__READABLE, .from = addr, .fromlen = addr ? addrlen : NULL};
    return (int)run(&op, try_accept, "cio_sock_accept");
}

/* ---- connect --------------------------------------------------------------------------- */

/* Start a non-blocking connect: 0 connected at once, 1 in progress, or -errno. */
static int start_connect(int fd, const struct sockaddr *addr, socklen_t addrlen) {
    for (;;) {
        if (connect(fd, addr, addrlen) == 0) return 0;
        /* EINTR: the connect goes on asynchronously, exactly as EINPROGRESS. */
        if (errno == EINPROGRESS || errno == EINTR) return 1;
        if (errno != EAGAIN) return -errno;
        int rc = cio_sleep(UNIX_CONNECT_RETRY);
        if (rc < 0) return rc;
    }
}

/* 0 connected, 1 not yet (a spurious wake-up), or the connect's -errno. */
static int connect_outcome(int fd) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) return -errno;
    if (err) return -err;
    struct sockaddr_storage peer;
    len = sizeof peer;
    if (getpeername(fd, (struct sockaddr *)&peer, &len) == 0) return 0;
    return errno == ENOTCONN ? 1 : -errno;
}

int cio_sock_connect(int fd, const struct sockaddr *addr, socklen_t addrlen) {
    cio_task *task = cio__task_current_or_complain("cio_sock_connect");
    if (!task) return -EPERM;
    if (!addr) return -EINVAL;
    int rc = fd < 0 ? -EBADF : check_nonblocking(fd);
    if (rc == 0) rc = start_connect(fd, addr, addrlen);
    /* recheck=true: the socket is new to the poller (level check, once). */
    while (rc == 1) {
        rc = cio__io_wait_as(task, fd, CIO__WRITABLE, true, CIO_WAIT_CONNECT, NULL, NULL);
        if (rc == 0) rc = connect_outcome(fd);
    }
    return rc;
}
