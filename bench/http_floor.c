/* http_floor - the HTTP benchmark's floor: a hand-written single-threaded
 * epoll HTTP/1.1 server that answers every request with "Hello, World!",
 * as lean as an HTTP server can be while still being one: edge-triggered,
 * a short read taken as drained (2 syscalls a request: recv, send), each
 * request found by its blank line, the answers to pipelined requests sent
 * in one send, a Date header formatted once a second (as cio and nginx
 * send one). No parsing beyond finding "\r\n\r\n": this is the cost of the
 * syscalls and the bytes, against which cio's CPU per request is judged.
 *
 *     http_floor PORT      serve on 127.0.0.1:PORT until killed */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUFFER 16384

struct conn {
    int fd;
    bool readable, peer_done;
    size_t have;   /* request bytes kept (a partial head) */
    int blank_run; /* how much of "\r\n\r\n" ended the previous read */
    char in[BUFFER];
    char out[BUFFER];
    size_t out_len, out_off;
};

static char response[256];
static size_t response_len;
static time_t response_sec;

/* The answer, its Date refreshed when the second changed. */
static void refresh_response(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    if (ts.tv_sec == response_sec) return;
    response_sec = ts.tv_sec;
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char date[64];
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    response_len = (size_t)snprintf(response, sizeof response,
                                    "HTTP/1.1 200 OK\r\nDate: %s\r\nContent-Length: 13\r\n"
                                    "Content-Type: text/plain\r\n\r\nHello, World!",
                                    date);
}

static void drop(struct conn *c) {
    close(c->fd);
    free(c);
}

static int flush(struct conn *c) {
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n < 0) return errno == EAGAIN ? 0 : -1;
        c->out_off += (size_t)n;
    }
    c->out_len = c->out_off = 0;
    return 1;
}

/* Count the blank lines ending heads in what arrived; queue an answer each. */
static int scan(struct conn *c, const char *p, size_t n) {
    static const char end[] = "\r\n\r\n";
    refresh_response();
    for (size_t i = 0; i < n; i++) {
        c->blank_run = p[i] == end[c->blank_run] ? c->blank_run + 1 : (p[i] == '\r');
        if (c->blank_run < 4) continue;
        c->blank_run = 0;
        if (c->out_len + response_len > BUFFER) return -1;
        memcpy(c->out + c->out_len, response, response_len);
        c->out_len += response_len;
    }
    return 0;
}

static int fill(struct conn *c) {
    ssize_t n = recv(c->fd, c->in, BUFFER, 0);
    if (n < 0) {
        if (errno != EAGAIN) return -1;
        c->readable = false;
        return 0;
    }
    if (n == 0) return -1;
    if ((size_t)n < BUFFER && !c->peer_done) c->readable = false;
    return scan(c, c->in, (size_t)n) < 0 ? -1 : 1;
}

static void serve(struct conn *c, uint32_t events) {
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) c->readable = true;
    if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) c->peer_done = true;
    for (;;) {
        int rc = flush(c);
        if (rc == 0) return;
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
        c->readable = true;
        struct epoll_event event = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                                    .data.ptr = c};
        epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event);
    }
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: http_floor PORT\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int on = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)atoi(argv[1])),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(listener, 1024) < 0) {
        perror("http_floor");
        return 1;
    }
    int epfd = epoll_create1(0);
    struct epoll_event event = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(epfd, EPOLL_CTL_ADD, listener, &event);
    printf("listening on 127.0.0.1:%s\n", argv[1]);
    fflush(stdout);
    struct epoll_event events[256];
    for (;;) {
        int n = epoll_wait(epfd, events, 256, -1);
        for (int i = 0; i < n; i++) {
            if (!events[i].data.ptr)
                accept_all(listener, epfd);
            else
                serve(events[i].data.ptr, events[i].events);
        }
    }
}
