/* http_hello: the plaintext benchmark server.
 *
 *     http_hello PORT          then: curl http://127.0.0.1:PORT/
 *     http_hello PORT LOOPS    on LOOPS loops (0: one per CPU), each
 *                              listening with SO_REUSEPORT (cio/cores.h)
 *
 * Answers every request with "Hello, World!" (text/plain) on 127.0.0.1:PORT.
 * On SIGTERM or SIGINT it shuts down gracefully (stops accepting, lets the
 * requests in flight finish within 5 s, closes idle keep-alive connections)
 * and exits 0. */
#include <cio.h>
#include <cio/http_server.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#define GRACE_SECONDS 5.0

static const char HELLO[] = "Hello, World!";

static void hello(cio_http_request *req, cio_http_response *res, void *arg) {
    (void)req, (void)arg;
    cio_http_response_add_header(res, "Content-Type", "text/plain");
    cio_http_response_send(res, 200, HELLO, sizeof HELLO - 1);
}

static void *stop(void *server) {
    cio_http_server_shutdown(server, GRACE_SECONDS);
    return NULL;
}

/* A signal arrived: shut down in a task of its own (shutting down waits). */
static void on_signal(void *server) {
    cio_create_task(stop, server, NULL);
}

static void *serve(void *arg) {
    int port = atoi(arg);
    cio_http_server *server;
    int rc = cio_http_serve("127.0.0.1", port, hello, NULL, NULL, &server);
    if (rc < 0) {
        fprintf(stderr, "http_hello: port %d: %s\n", port, cio_strerror(rc));
        return cio_fail(rc);
    }
    cio_add_signal_handler(NULL, SIGTERM, on_signal, server);
    cio_add_signal_handler(NULL, SIGINT, on_signal, server);
    printf("listening on 127.0.0.1:%d\n", cio_http_server_port(server));
    fflush(stdout);
    rc = cio_http_server_serve_forever(server);
    cio_http_server_free(server);
    return rc < 0 ? cio_fail(rc) : NULL;
}

/* One of several loops: the same server with SO_REUSEPORT. SIGINT stops
 * every loop (cio_run_cores); requests in flight are cut short. */
static void *serve_on_core(void *arg) {
    int port = atoi(arg);
    cio_http_server_options opts = {.reuse_port = true};
    cio_http_server *server;
    int rc = cio_http_serve("127.0.0.1", port, hello, NULL, &opts, &server);
    if (rc < 0) {
        fprintf(stderr, "http_hello: port %d: %s\n", port, cio_strerror(rc));
        return cio_fail(rc);
    }
    if (cio_cores_index() == 0) {
        printf("listening on 127.0.0.1:%d with %d loops\n", port, cio_cores_count());
        fflush(stdout);
    }
    rc = cio_http_server_serve_forever(server);
    cio_http_server_free(server);
    return rc < 0 && rc != -ECANCELED ? cio_fail(rc) : NULL;
}

int main(int argc, char **argv) {
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: http_hello PORT [LOOPS]\n");
        return 2;
    }
    /* As nginx's worker_rlimit_nofile: many clients need many fds. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (argc == 3) {
        cio_cores_options opts = {.loops = atoi(argv[2]), .pin = true};
        int rc = cio_run_cores_ex(serve_on_core, argv[1], &opts);
        return rc == 0 || rc == -EINTR ? 0 : 1;
    }
    return cio_run(serve, argv[1], NULL) == 0 ? 0 : 1;
}
