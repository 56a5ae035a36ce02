/* echo_floor - the echo benchmark's floor: a plain single-threaded C echo
 * server on edge-triggered epoll, the way one writes it without a framework:
 * after each readiness event, read until EAGAIN and write back at once
 * (read, write, read-EAGAIN: 3 syscalls a message). What a write leaves
 * over waits for EPOLLOUT, and reading pauses meanwhile.
 *
 *     echo_floor PORT [THREADS]   serve on 127.0.0.1:PORT until killed;
 *                                 THREADS > 1 (bench/cores.sh): as many
 *                                 threads, each with its own SO_REUSEPORT
 *                                 listener and epoll, sharing nothing */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUFFER (64 * 1024)

struct conn {
    int fd;
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

static void serve(struct conn *c) {
    int rc = flush(c);
    while (rc == 1) {
        ssize_t n = recv(c->fd, c->buf, BUFFER, 0);
        if (n < 0 && errno == EAGAIN) return;
        if (n <= 0) break;
        c->pending = (size_t)n;
        c->offset = 0;
        rc = flush(c);
    }
    if (rc != 0) drop(c);
}

static void accept_all(int listener, int epfd) {
    for (;;) {
        int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
        if (fd < 0) return;
        int on = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        struct conn *c = calloc(1, sizeof *c);
        c->fd = fd;
        struct epoll_event event = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                                    .data.ptr = c};
        epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event);
    }
}

static int port;

/* One server: its own listener (SO_REUSEPORT) and epoll. */
static void *run(void *arg) {
    (void)arg;
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int on = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    setsockopt(listener, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(listener, 128) < 0) {
        perror("echo_floor");
        exit(1);
    }
    int epfd = epoll_create1(0);
    struct epoll_event event = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(epfd, EPOLL_CTL_ADD, listener, &event);
    struct epoll_event events[256];
    for (;;) {
        int ready = epoll_wait(epfd, events, 256, -1);
        for (int i = 0; i < ready; i++) {
            if (events[i].data.ptr)
                serve(events[i].data.ptr);
            else
                accept_all(listener, epfd);
        }
    }
}

int main(int argc, char **argv) {
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: echo_floor PORT [THREADS]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    port = atoi(argv[1]);
    int threads = argc == 3 ? atoi(argv[2]) : 1;
    for (int i = 1; i < threads; i++) {
        pthread_t thread;
        if (pthread_create(&thread, NULL, run, NULL) != 0) return 1;
    }
    run(NULL);
}
