/* echo_load - the echo benchmark's load client: plain C, one thread,
 * edge-triggered epoll, N connections with one message in flight on each.
 *
 *     echo_load PORT CONNECTIONS SIZE SECONDS
 *
 * Connects to 127.0.0.1:PORT, then for SECONDS sends a SIZE-byte message on
 * every connection and sends the next as soon as the whole echo is back.
 * Prints the completed round trips per second. Exits non-zero if the server
 * misbehaves (wrong bytes, early close). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct conn {
    int fd;
    size_t sent, received; /* of the message in flight */
};

static size_t size;
static char *message, *sink;
static unsigned long long round_trips;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what) {
    fprintf(stderr, "echo_load: %s: %s\n", what, strerror(errno));
    exit(1);
}

static int open_connection(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) die("connect");
    int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0) die("fcntl");
    return fd;
}

/* Send what the socket takes of the message in flight. */
static void pump_out(struct conn *c) {
    while (c->sent < size) {
        ssize_t n = send(c->fd, message + c->sent, size - c->sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EAGAIN) return;
        if (n < 0) die("send");
        c->sent += (size_t)n;
    }
}

/* Read until EAGAIN; each complete echo counts and starts the next message. */
static void pump_in(struct conn *c) {
    for (;;) {
        ssize_t n = recv(c->fd, sink, size - c->received, 0);
        if (n < 0 && errno == EAGAIN) return;
        if (n <= 0) die(n == 0 ? "server closed" : "recv");
        if (memcmp(sink, message + c->received, (size_t)n) != 0) {
            fprintf(stderr, "echo_load: wrong bytes echoed\n");
            exit(1);
        }
        c->received += (size_t)n;
        if (c->received == size) {
            round_trips++;
            c->sent = c->received = 0;
            pump_out(c);
        }
    }
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: echo_load PORT CONNECTIONS SIZE SECONDS\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    int port = atoi(argv[1]), count = atoi(argv[2]);
    size = (size_t)atol(argv[3]);
    double seconds = atof(argv[4]);
    message = malloc(size);
    sink = malloc(size);
    for (size_t i = 0; i < size; i++) message[i] = (char)('a' + i % 26);
    struct conn *conns = calloc((size_t)count, sizeof *conns);
    int epfd = epoll_create1(0);
    for (int i = 0; i < count; i++) {
        conns[i].fd = open_connection(port);
        struct epoll_event event = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = &conns[i]};
        epoll_ctl(epfd, EPOLL_CTL_ADD, conns[i].fd, &event);
    }
    double start = now(), end = start + seconds;
    for (int i = 0; i < count; i++) pump_out(&conns[i]);
    struct epoll_event events[256];
    while (now() < end) {
        int ready = epoll_wait(epfd, events, 256, 100);
        for (int i = 0; i < ready; i++) {
            struct conn *c = events[i].data.ptr;
            if (events[i].events & EPOLLOUT) pump_out(c);
            if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) pump_in(c);
        }
    }
    printf("%.0f\n", (double)round_trips / (now() - start));
    return 0;
}
