/* echo_cores - the echo server on every core: one loop per CPU, each
 * listening on the same port with SO_REUSEPORT, the kernel spreading the
 * connections among them; or, with "handoff", loop 0 accepting every
 * connection and handing them to the loops in turn (cio/handoff.h).
 *
 *     echo_cores [PORT [LOOPS [handoff]]]
 *                       serve on 127.0.0.1:PORT (default 8888) with LOOPS
 *                       loops (default 0: one per CPU) until SIGINT
 *
 * The loops share nothing; Ctrl-C cancels every loop's main task. */
#define _GNU_SOURCE /* CPU_COUNT */
#include <cio.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void echo(cio_stream *stream, void *arg) {
    (void)arg;
    char buf[65536];
    ssize_t n;
    while ((n = cio_stream_read(stream, buf, sizeof buf)) > 0) {
        if (cio_stream_write(stream, buf, (size_t)n) < 0) break;
        if (cio_stream_drain(stream) < 0) break;
    }
}

static void *serve(void *arg) { /* runs once on each loop */
    int port = *(int *)arg;
    cio_server_options opts = {.reuse_port = true};
    cio_server *server;
    int rc = cio_start_server("127.0.0.1", port, echo, NULL, &opts, &server);
    if (rc < 0) { /* a failing main task stops every loop */
        fprintf(stderr, "echo_cores: loop %d cannot listen on port %d: %s\n", cio_cores_index(),
                port, cio_strerror(rc));
        return cio_fail(rc);
    }
    if (cio_cores_index() == 0) {
        printf("Serving on 127.0.0.1:%d with %d loops\n", port, cio_cores_count());
        fflush(stdout);
    }
    rc = cio_server_serve_forever(server); /* until Ctrl-C: -ECANCELED */
    cio_server_free(server);
    return rc == -ECANCELED ? NULL : cio_fail(rc);
}

/* ---- hand-off mode ------------------------------------------------------------------ */

static cio_handoff *handoff;
static int listen_fd = -1;

static void *accept_main(void *arg) {
    (void)arg;
    int rc = cio_handoff_accept(handoff, listen_fd); /* until cancelled */
    return rc == -ECANCELED ? NULL : cio_fail(rc);
}

static void *serve_handed(void *arg) { /* runs once on each loop */
    int port = *(int *)arg;
    cio_task *acceptor = NULL;
    if (cio_cores_index() == 0) { /* loop 0 accepts, and serves its share too */
        int rc = cio_create_task(accept_main, NULL, &acceptor);
        if (rc < 0) return cio_fail(rc);
        printf("Serving on 127.0.0.1:%d with %d loops, loop 0 handing off\n", port,
               cio_cores_count());
        fflush(stdout);
    }
    int rc = cio_handoff_serve(handoff, echo, NULL); /* until Ctrl-C: -ECANCELED */
    if (acceptor) {
        cio_task_cancel(acceptor);
        cio_await(acceptor, NULL);
    }
    return rc == -ECANCELED ? NULL : cio_fail(rc);
}

/* A non-blocking listening socket on 127.0.0.1:port. */
static int listen_on(int port) {
    int fd = cio_socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return fd;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 1024) < 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    return fd;
}

static int run_handoff(int port, cio_cores_options *opts) {
    int loops = opts->loops;
    if (loops == 0) {
        cpu_set_t set;
        loops = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
        opts->loops = loops;
    }
    listen_fd = listen_on(port);
    if (listen_fd < 0) return listen_fd;
    int rc = cio_handoff_new(loops, &handoff);
    if (rc == 0) rc = cio_run_cores_ex(serve_handed, &port, opts);
    cio_handoff_free(handoff);
    close(listen_fd);
    return rc;
}

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 8888;
    cio_cores_options opts = {.loops = argc > 2 ? atoi(argv[2]) : 0, .pin = true};
    bool handed = argc > 3 && strcmp(argv[3], "handoff") == 0;
    int rc = handed ? run_handoff(port, &opts) : cio_run_cores_ex(serve, &port, &opts);
    if (rc < 0 && rc != -EINTR) fprintf(stderr, "echo_cores: %s\n", cio_strerror(rc));
    return rc == 0 || rc == -EINTR ? 0 : 1;
}
