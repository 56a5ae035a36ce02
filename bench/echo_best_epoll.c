/* echo_best_epoll - the echo benchmark's strongest plain epoll server (the
 * "best epoll" row, beside the floor of bench/echo_floor.c): single-threaded
 * C, each connection registered once, edge-triggered, with
 * EPOLLIN | EPOLLOUT | EPOLLRDHUP. A read that returns fewer bytes than asked
 * is taken as "drained": the next read waits for the next readiness edge
 * instead of confirming with a read that fails with EAGAIN. That makes
 * 2 syscalls a message (read, write) where the floor makes 3 (read, write,
 * read-EAGAIN), which is what cio's stream reads do too.
 *
 * EPOLLRDHUP is what makes the short-read rule safe: when data and the FIN
 * arrive before one read, that read is short and no new edge comes for the
 * FIN; the RDHUP bit says so, and then we keep reading to the 0.
 *
 *     echo_best_epoll PORT      serve on 127.0.0.1:PORT until killed */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUFFER (64 * 1024)

struct conn {
    int fd;
    bool readable;          /* an edge came and no short read has drained it since */
    bool peer_done;         /* EPOLLRDHUP seen: read on to the 0 */
    size_t pending, offset; /* bytes of buf still to write back */
    char buf[BUFFER];
};

static void drop(struct conn *c) {
    close(c->fd);
    free(c);
}

/* Write back what is pending: 1 all written, 0 wait for EPOLLOUT, -1 error. */
static int flush(struct conn *c) {
    while (c->pending) {
        ssize_t n = send(c->fd, c->buf + c->offset, c->pending, MSG_NOSIGNAL);
        if (n < 0) return errno == EAGAIN ? 0 : -1;
        c->offset += (size_t)n;
        c->pending -= (size_t)n;
    }
    return 1;
}

/* One read: 1 got data (now pending), 0 nothing to read yet, -1 close. */
static int fill(struct conn *c) {
    ssize_t n = recv(c->fd, c->buf, BUFFER, 0);
    if (n < 0) {
        if (errno != EAGAIN) return -1;
        c->readable = false;
        return 0;
    }
    if (n == 0) return -1;
    if ((size_t)n < BUFFER && !c->peer_done) c->readable = false; /* drained */
    c->pending = (size_t)n;
    c->offset = 0;
    return 1;
}

static void serve(struct conn *c, uint32_t events) {
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) c->readable = true;
    if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) c->peer_done = true;
    for (;;) {
        int rc = flush(c);
        if (rc == 0) return; /* the EPOLLOUT edge resumes us */
        if (rc < 0) break;
        if (!c->readable) return;
        rc = fill(c);
        if (rc == 0) return;
        if (rc < 0) break;
    }
    drop(c);
}

static void accept_all(int listener, int epfd) {
    for (;;) {
        int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
        if (fd < 0) return;
        int on = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        struct conn *c = calloc(1, sizeof *c);
        if (!c) {
            close(fd);
            continue;
        }
        c->fd = fd;
        c->readable = true; /* data may have come before the registration */
        struct epoll_event event = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                                    .data.ptr = c};
        epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event);
    }
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: echo_best_epoll PORT\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int on = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)atoi(argv[1])),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(listener, 128) < 0) {
        perror("echo_best_epoll");
        return 1;
    }
    int epfd = epoll_create1(0);
    struct epoll_event event = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(epfd, EPOLL_CTL_ADD, listener, &event);
    struct epoll_event events[256];
    for (;;) {
        int ready = epoll_wait(epfd, events, 256, -1);
        for (int i = 0; i < ready; i++) {
            if (events[i].data.ptr)
                serve(events[i].data.ptr, events[i].events);
            else
                accept_all(listener, epfd);
        }
    }
}
