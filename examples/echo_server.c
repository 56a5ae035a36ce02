/* echo_server - the asyncio docs' TCP echo server, in C.
 *
 *     echo_server [PORT]      serve on 127.0.0.1:PORT (default 8888) until
 *                             SIGINT or SIGTERM
 *
 * One task per connection echoes what it reads until the client closes. */
#include <cio.h>

#include <stdio.h>
#include <stdlib.h>

static void echo(cio_stream *stream, void *arg) {
    (void)arg;
    char buf[65536];
    ssize_t n;
    while ((n = cio_stream_read(stream, buf, sizeof buf)) > 0) {
        if (cio_stream_write(stream, buf, (size_t)n) < 0) break;
        if (cio_stream_drain(stream) < 0) break; /* waits only while the client is slow */
    }
    /* Returning closes the stream; data still buffered is sent first. */
}

static void *serve(void *arg) {
    int port = *(int *)arg;
    cio_server *server;
    int rc = cio_start_server("127.0.0.1", port, echo, NULL, NULL, &server);
    if (rc < 0) {
        fprintf(stderr, "echo_server: cannot listen on port %d: %s\n", port, cio_strerror(rc));
        return cio_fail(rc);
    }
    printf("Serving on 127.0.0.1:%d\n", cio_server_port(server));
    fflush(stdout);
    int stop[] = {SIGINT, SIGTERM};
    rc = cio_wait_signals(stop, 2);
    cio_server_close(server);         /* stop accepting */
    cio_server_close_clients(server); /* and end the connections gracefully */
    cio_server_wait_closed(server);
    cio_server_free(server);
    return rc < 0 ? cio_fail(rc) : NULL;
}

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 8888;
    int rc = cio_run(serve, &port, NULL);
    return rc == 0 ? 0 : 1;
}
