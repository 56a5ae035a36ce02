/* echo_load - the echo benchmark's load client: plain C, one thread,
 * edge-triggered epoll, N connections with one message in flight on each.
 *
 *     echo_load PORT CONNECTIONS SIZE SECONDS [MESSAGES]
 *
 * Connects to 127.0.0.1:PORT, then for SECONDS sends a SIZE-byte message on
 * every connection and sends the next as soon as the whole echo is back.
 * Prints the completed round trips per second. With MESSAGES it starts
 * exactly that many messages in all and stops when their echoes are back
 * (or SECONDS ran out): a fixed amount of work, for counting the server's
 * instructions per message (bench/echo_instr.sh). Exits non-zero if the
 * server misbehaves (wrong bytes, early close) or, with MESSAGES, if not
 * all of them came back in time. */
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
    int busy;              /* a message is in flight (not once MESSAGES were begun) */
};

static size_t size;
static char *message, *sink;
static unsigned long long round_trips;
static unsigned long long started, limit = ~0ull; /* messages begun, MESSAGES */

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
    while (c->busy && c->sent < size) {
        ssize_t n = send(c->fd, message + c->sent, size - c->sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EAGAIN) return;
        if (n < 0) die("send");
        c->sent += (size_t)n;
    }
}

/* Begin the next message on c, unless MESSAGES were all begun. */
static void start_message(struct conn *c) {
    c->sent = c->received = 0;
    c->busy = started < limit;
    if (!c->busy) return;
    started++;
    pump_out(c);
}

/* Read until EAGAIN; each complete echo counts and starts the next message. */
static void pump_in(struct conn *c) {
    while (c->busy) {
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
            start_message(c);
        }
    }
}

int main(int argc, char **argv) {
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: echo_load PORT CONNECTIONS SIZE SECONDS [MESSAGES]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    int port = atoi(argv[1]), count = atoi(argv[2]);
    size = (size_t)atol(argv[3]);
    double seconds = atof(argv[4]);
    if (argc == 6) limit = strtoull(argv[5], NULL, 10);
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
    for (int i = 0; i < count; i++) start_message(&conns[i]);
    struct epoll_event events[256];
    while (now() < end && round_trips < limit) {
        int ready = epoll_wait(epfd, events, 256, 100);
        for (int i = 0; i < ready; i++) {
            struct conn *c = events[i].data.ptr;
            if (events[i].events & EPOLLOUT) pump_out(c);
            if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) pump_in(c);
        }
    }
    printf("%.0f\n", (double)round_trips / (now() - start));
    if (argc == 6 && round_trips < limit) {
        fprintf(stderr, "echo_load: %llu of %llu messages echoed in time\n", round_trips, limit);
        return 1;
    }
    return 0;
}
