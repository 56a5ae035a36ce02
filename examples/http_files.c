/* http_files: serve a directory over HTTP.
 *
 *     http_files DIR PORT      then: curl http://127.0.0.1:PORT/some/file
 *
 * GET and HEAD, index.html for directories, ranges, conditional requests
 * (ETag, Last-Modified), files sent with sendfile(2); nothing outside DIR
 * is reachable ("..", encoded dots, symlinks out). Every request is logged
 * to stderr through the access-log hook. SIGTERM or SIGINT: graceful exit 0. */
#include <cio.h>
#include <cio/http_server.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static void log_request(const cio_http_request *req, int status, uint64_t bytes, double seconds,
                        void *arg) {
    (void)arg;
    const cio_http_head *h = cio_http_request_head(req);
    fprintf(stderr, "%.*s %.*s %d %llu %.3fms\n", (int)h->method.len, h->method.ptr,
            (int)h->target.len, h->target.ptr, status, (unsigned long long)bytes, seconds * 1e3);
}

static void *stop(void *server) {
    cio_http_server_shutdown(server, 5.0);
    return NULL;
}

static void on_signal(void *server) {
    cio_create_task(stop, server, NULL);
}

static void *serve(void *arg) {
    char **argv = arg;
    cio_http_static *files;
    int rc = cio_http_static_new(argv[1], &files);
    if (rc < 0) {
        fprintf(stderr, "http_files: %s: %s\n", argv[1], cio_strerror(rc));
        return cio_fail(rc);
    }
    cio_http_server_options opts = {.access_log = log_request};
    cio_http_server *server;
    rc = cio_http_serve("127.0.0.1", atoi(argv[2]), cio_http_static_handle, files, &opts, &server);
    if (rc < 0) {
        fprintf(stderr, "http_files: port %s: %s\n", argv[2], cio_strerror(rc));
        cio_http_static_free(files);
        return cio_fail(rc);
    }
    cio_add_signal_handler(NULL, SIGTERM, on_signal, server);
    cio_add_signal_handler(NULL, SIGINT, on_signal, server);
    printf("listening on 127.0.0.1:%d, serving %s\n", cio_http_server_port(server), argv[1]);
    fflush(stdout);
    rc = cio_http_server_serve_forever(server);
    cio_http_server_free(server);
    cio_http_static_free(files);
    return rc < 0 ? cio_fail(rc) : NULL;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: http_files DIR PORT\n");
        return 2;
    }
    return cio_run(serve, argv, NULL) == 0 ? 0 : 1;
}
