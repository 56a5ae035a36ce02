/* bench/tls/tls_echo_cio.c - TLS echo server on cio: tls_echo_cio PORT CERT KEY. */
#include <cio.h>
#include <stdio.h>
#include <stdlib.h>

static void echo(cio_stream *stream, void *arg) {
    (void)arg;
    char buf[65536];
    ssize_t n;
    while ((n = cio_stream_read(stream, buf, sizeof buf)) > 0)
        if (cio_stream_write(stream, buf, (size_t)n) < 0 || cio_stream_drain(stream) < 0) break;
}

static char **args;

static void *serve(void *arg) {
    (void)arg;
    cio_tls_options o = {.server = true, .cert_file = args[2], .key_file = args[3]};
    cio_tls_context *tls;
    int rc = cio_tls_context_new(&o, &tls);
    if (rc < 0) return cio_fail_msg(rc, "%s", cio_tls_last_error());
    cio_server_options so = {.tls = tls, .backlog = 512};
    cio_server *server;
    rc = cio_start_server("127.0.0.1", atoi(args[1]), echo, NULL, &so, &server);
    if (rc < 0) return cio_fail(rc);
    printf("ready\n");
    fflush(stdout);
    cio_server_serve_forever(server);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4) return 2;
    args = argv;
    return cio_run(serve, NULL, NULL) < 0;
}
