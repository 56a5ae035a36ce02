/* echo_cores - the echo server on every core: one loop per CPU, each
 * listening on the same port with SO_REUSEPORT, the kernel spreading the
 * connections among them.
 *
 *     echo_cores [PORT [LOOPS]]    serve on 127.0.0.1:PORT (default 8888)
 *                                  with LOOPS loops (default: one per CPU)
 *                                  until SIGINT
 *
 * The loops share nothing; Ctrl-C cancels every loop's main task. */
#include <cio.h>

#include <stdio.h>
#include <stdlib.h>

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

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 8888;
    cio_cores_options opts = {.loops = argc > 2 ? atoi(argv[2]) : 0, .pin = true};
    int rc = cio_run_cores_ex(serve, &port, &opts);
    if (rc < 0 && rc != -EINTR) fprintf(stderr, "echo_cores: %s\n", cio_strerror(rc));
    return rc == 0 || rc == -EINTR ? 0 : 1;
}
