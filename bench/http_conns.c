/* http_conns - many concurrent keep-alive connections against an HTTP
 * server: opens N connections (scaled down to what RLIMIT_NOFILE allows,
 * raised to its hard limit first), then ROUNDS times sends one GET on
 * every connection and waits for every answer, all connections at once.
 * Plain epoll C, bounded: it gives up after 60 s.
 *
 *     http_conns PORT [N=10000] [ROUNDS=3]
 *
 * Prints "RESULT http_conns <connections> <answers> <seconds>" and exits 0
 * when every connection got every answer, 1 otherwise. */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char REQUEST[] = "GET / HTTP/1.1\r\nHost: bench\r\n\r\n";

struct conn {
    int fd;
    int answers;  /* complete answers received */
    size_t seen;  /* bytes of the current answer so far */
    bool waiting; /* a request is out */
};

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int raise_limit(int want) {
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    int room = (int)rl.rlim_cur - 64;
    return want < room ? want : room;
}

static int dial(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    return fd;
}

/* Read what is there; an answer is complete at its 13-byte body, which
 * ends "World!" (the server answers every request the same way). */
static void on_readable(struct conn *c, int *pending) {
    char buf[4096];
    ssize_t n;
    while ((n = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT)) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            c->seen++;
            if (buf[i] == '!' && c->seen > 13 && c->waiting) {
                c->answers++;
                c->waiting = false;
                c->seen = 0;
                (*pending)--;
            }
        }
    }
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: http_conns PORT [N] [ROUNDS]\n");
        return 2;
    }
    int port = atoi(argv[1]);
    int n = raise_limit(argc > 2 ? atoi(argv[2]) : 10000);
    int rounds = argc > 3 ? atoi(argv[3]) : 3;
    struct conn *conns = calloc((size_t)n, sizeof *conns);
    int epfd = epoll_create1(0);
    double start = now();
    for (int i = 0; i < n; i++) {
        if ((conns[i].fd = dial(port)) < 0) {
            fprintf(stderr, "http_conns: connection %d: %s\n", i, strerror(errno));
            return 1;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &conns[i]};
        epoll_ctl(epfd, EPOLL_CTL_ADD, conns[i].fd, &ev);
    }
    double deadline = start + 60;
    struct epoll_event events[512];
    for (int r = 0; r < rounds; r++) {
        int pending = n;
        for (int i = 0; i < n; i++) {
            conns[i].waiting = true;
            if (send(conns[i].fd, REQUEST, sizeof REQUEST - 1, MSG_NOSIGNAL) < 0) return 1;
        }
        while (pending > 0 && now() < deadline) {
            int k = epoll_wait(epfd, events, 512, 1000);
            for (int i = 0; i < k; i++) on_readable(events[i].data.ptr, &pending);
        }
    }
    int answers = 0;
    for (int i = 0; i < n; i++) answers += conns[i].answers;
    printf("RESULT http_conns %d %d %.2f\n", n, answers, now() - start);
    for (int i = 0; i < n; i++) close(conns[i].fd);
    return answers == n * rounds ? 0 : 1;
}
