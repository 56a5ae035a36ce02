/* chat_server - a line-based chat: every line a client sends goes to all the
 * others.
 *
 *     chat_server [PORT]     serve on 127.0.0.1:PORT (default 8889) until
 *                            SIGINT or SIGTERM; try it with `nc 127.0.0.1 8889`
 *
 * Broadcasting never waits for a slow client: writes are buffered, and a
 * client that lets more than MAX_BACKLOG bytes pile up is dropped instead
 * of holding everyone else back. */
#include <cio.h>

#include <stdio.h>
#include <stdlib.h>

#define MAX_CLIENTS 1024
#define MAX_BACKLOG (1u << 20)

static cio_stream *clients[MAX_CLIENTS];
static size_t client_count;

static void join(cio_stream *stream) {
    clients[client_count++] = stream;
}

static void leave(cio_stream *stream) {
    for (size_t i = 0; i < client_count; i++)
        if (clients[i] == stream) clients[i] = clients[--client_count];
}

static void broadcast(cio_stream *from, const char *line, size_t len) {
    for (size_t i = 0; i < client_count; i++) {
        cio_stream *to = clients[i];
        if (to == from) continue;
        if (cio_stream_write(to, line, len) < 0 || cio_stream_write_buffer_size(to) > MAX_BACKLOG)
            cio_stream_abort(to); /* its handler's next read ends it */
    }
}

static void chat(cio_stream *stream, void *arg) {
    (void)arg;
    if (client_count == MAX_CLIENTS) return; /* full: the server closes it */
    join(stream);
    char line[1024];
    ssize_t n;
    broadcast(stream, "* someone joined\n", 17);
    while ((n = cio_stream_readline(stream, line, sizeof line)) > 0)
        broadcast(stream, line, (size_t)n);
    if (n == -CIO_ELIMIT) cio_stream_write(stream, "* line too long, bye\n", 21);
    leave(stream);
    broadcast(stream, "* someone left\n", 15);
}

static void *serve(void *arg) {
    int port = *(int *)arg;
    cio_server *server;
    int rc = cio_start_server("127.0.0.1", port, chat, NULL, NULL, &server);
    if (rc < 0) {
        fprintf(stderr, "chat_server: cannot listen on port %d: %s\n", port, cio_strerror(rc));
        return cio_fail(rc);
    }
    printf("Chat on 127.0.0.1:%d\n", cio_server_port(server));
    fflush(stdout);
    int stop[] = {SIGINT, SIGTERM};
    cio_wait_signals(stop, 2);
    cio_server_close(server);
    cio_server_close_clients(server);
    cio_server_wait_closed(server);
    cio_server_free(server);
    return NULL;
}

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 8889;
    return cio_run(serve, &port, NULL) == 0 ? 0 : 1;
}
