/* graceful_server: an echo server that shuts down gracefully on SIGTERM.
 *
 *     graceful_server [PORT=8888]       then: kill -TERM <pid>  (or Ctrl-C)
 *
 * On SIGTERM or SIGINT it stops accepting, gives open connections up to 5 s
 * to finish, cancels those still open, and exits 0. Plain non-blocking
 * sockets and cio_wait_readable keep it independent of the stream API. */
#define _GNU_SOURCE /* lstat, accept4, ... */
#include <cio.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CONNECTIONS 256
#define GRACE_SECONDS   5.0

static cio_task *connections[MAX_CONNECTIONS]; /* running connection tasks */

static int listen_on(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 128) != 0) {
        perror("listen");
        if (fd >= 0) close(fd);
        return -1;
    }
    return fd;
}

/* Echo until the peer closes (or we are cancelled). */
static void *serve(void *arg) {
    int fd = (int)(intptr_t)arg;
    char buf[4096];
    for (;;) {
        ssize_t got = read(fd, buf, sizeof buf);
        if (got == 0 || (got < 0 && errno != EAGAIN)) break;
        if (got > 0 && write(fd, buf, (size_t)got) < 0)
            break; /* small replies: the buffer takes them */
        if (got < 0 && cio_wait_readable(fd, -1) < 0) break; /* cancelled at shutdown */
    }
    cio_close(fd);
    return NULL;
}

static void remember(cio_task *task) {
    for (int i = 0; i < MAX_CONNECTIONS; i++) {
        if (connections[i] && cio_task_done(connections[i])) {
            cio_task_unref(connections[i]); /* reuse slots of finished connections */
            connections[i] = NULL;
        }
        if (!connections[i]) {
            connections[i] = task;
            return;
        }
    }
    cio_task_cancel(task); /* full: turn it away */
    cio_task_unref(task);
}

static void *accept_loop(void *arg) {
    int listener = (int)(intptr_t)arg;
    for (;;) {
        int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            cio_task *task;
            if (cio_create_task(serve, (void *)(intptr_t)fd, &task) == 0)
                remember(task);
            else
                close(fd);
        } else if (errno != EAGAIN || cio_wait_readable(listener, -1) < 0) {
            return NULL; /* listener closed at shutdown */
        }
    }
}

/* Wait for the open connections, up to the grace period; cancel the rest. */
static void drain(void) {
    cio_timeout grace;
    cio_timeout_begin(&grace, GRACE_SECONDS);
    int finished = 0, cancelled = 0;
    for (int i = 0; i < MAX_CONNECTIONS; i++) {
        if (!connections[i]) continue;
        int rc = cio_await(connections[i], NULL); /* past the deadline: cancels it, waits */
        if (rc == 0)
            finished++;
        else
            cancelled++;
        connections[i] = NULL;
    }
    cio_timeout_end(&grace);
    printf("drained: %d connections finished, %d cancelled\n", finished, cancelled);
}

static void *main_task(void *arg) {
    int listener = listen_on((int)(intptr_t)arg);
    if (listener < 0) return cio_fail(-EADDRINUSE);
    printf("echo server on 127.0.0.1:%d, pid %d; SIGTERM to stop\n", (int)(intptr_t)arg,
           (int)getpid());
    fflush(stdout);
    cio_task *acceptor;
    cio_create_task(accept_loop, (void *)(intptr_t)listener, &acceptor);
    const int stop_signals[] = {SIGTERM, SIGINT};
    int signo = cio_wait_signals(stop_signals, 2);
    printf("got %s: shutting down\n", signo == SIGTERM ? "SIGTERM" : "SIGINT");
    cio_close(listener); /* the acceptor wakes with -EBADF and ends */
    cio_await(acceptor, NULL);
    drain();
    return NULL;
}

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 8888;
    int rc = cio_run(main_task, (void *)(intptr_t)port, NULL);
    if (rc < 0) fprintf(stderr, "graceful_server: %s\n", cio_strerror(rc));
    return rc == 0 ? 0 : 1;
}
