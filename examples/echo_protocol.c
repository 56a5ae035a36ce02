/* echo_protocol - the echo server of asyncio's "Transports and Protocols"
 * docs (EchoServerProtocol), in C: callbacks instead of a task per client.
 *
 *     echo_protocol [PORT]    serve on 127.0.0.1:PORT (default 8888) until
 *                             SIGINT or SIGTERM
 *
 * data_received writes back what came. A client that does not read makes
 * the write buffer grow past the high-water mark: pause_writing then stops
 * reading from that client until resume_writing, so memory stays bounded. */
#include <cio.h>

#include <stdio.h>
#include <stdlib.h>

static void data_received(cio_transport *t, const void *data, size_t len, void *arg) {
    (void)arg;
    if (cio_transport_write(t, data, len) < 0) cio_transport_abort(t);
}

static void pause_writing(cio_transport *t, void *arg) {
    (void)arg;
    cio_transport_pause_reading(t);
}

static void resume_writing(cio_transport *t, void *arg) {
    (void)arg;
    cio_transport_resume_reading(t);
}

/* eof_received NULL: the client's EOF closes the transport once the echo
 * is sent. */
static const cio_protocol echo = {
    .data_received = data_received,
    .pause_writing = pause_writing,
    .resume_writing = resume_writing,
};

static void *serve(void *arg) {
    int port = *(int *)arg;
    cio_server *server;
    int rc = cio_create_server("127.0.0.1", port, &echo, NULL, NULL, NULL, &server);
    if (rc < 0) {
        fprintf(stderr, "echo_protocol: cannot listen on port %d: %s\n", port, cio_strerror(rc));
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
