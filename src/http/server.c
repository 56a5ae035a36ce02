/* src/http/server.c - the HTTP server's life: start on a TCP or Unix
 * listener, serve_forever, graceful shutdown, free.
 *
 * The connections are cio_server's tasks (server_conn.c); this file keeps
 * the list of them so a shutdown can close the idle ones at once and cancel
 * the ones still busy when the grace period ends. The server's memory is
 * counted: the handle and each connection hold a reference. */
#include "http/server.h"

#include "core/core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_HEADER_TIMEOUT 10.0
#define DEFAULT_IDLE_TIMEOUT   60.0
#define DEFAULT_BODY_TIMEOUT   30.0
#define DEFAULT_BUFFER         (16u * 1024u)
#define MIN_BUFFER             1024u
#define DEFAULT_MAX_CONNS      10000u
#define DEFAULT_BACKLOG        1024

static bool valid(const cio_http_server *server) {
    return server && server->magic == CIO__HTTP_SERVER_MAGIC;
}

static bool bad_timeout(double t) {
    return isnan(t) || t < 0;
}

static int check_options(const cio_http_server_options *o) {
    if (bad_timeout(o->header_timeout) || bad_timeout(o->idle_timeout) ||
        bad_timeout(o->body_timeout) || bad_timeout(o->request_timeout))
        return -EINVAL;
    return 0;
}

/* Defaults for zeroed fields; the head limit never exceeds the buffer (a
 * head must fit in it: past it is 431, as the parser says). */
static void fill_defaults(cio_http_server_options *o) {
    if (o->header_timeout == 0) o->header_timeout = DEFAULT_HEADER_TIMEOUT;
    if (o->idle_timeout == 0) o->idle_timeout = DEFAULT_IDLE_TIMEOUT;
    if (o->body_timeout == 0) o->body_timeout = DEFAULT_BODY_TIMEOUT;
    if (o->buffer_size == 0) o->buffer_size = DEFAULT_BUFFER;
    if (o->buffer_size < MIN_BUFFER) o->buffer_size = MIN_BUFFER;
    if (o->max_connections == 0) o->max_connections = DEFAULT_MAX_CONNS;
    if (o->backlog <= 0) o->backlog = DEFAULT_BACKLOG;
    cio_http_parser_options *l = &o->limits;
    if (l->max_header_bytes == 0 || l->max_header_bytes > o->buffer_size)
        l->max_header_bytes = o->buffer_size;
    if (l->max_start_line > l->max_header_bytes) l->max_start_line = l->max_header_bytes;
}

static int make(cio_http_handler handler, void *arg, const cio_http_server_options *opts,
                cio_http_server **out) {
    cio_http_server *server = calloc(1, sizeof *server);
    if (!server) return -ENOMEM;
    if (opts) server->opts = *opts;
    fill_defaults(&server->opts);
    if (opts && opts->server_name && !(server->server_name = strdup(opts->server_name))) {
        free(server);
        return -ENOMEM;
    }
    server->opts.server_name = server->server_name;
    server->magic = CIO__HTTP_SERVER_MAGIC;
    server->refs = 1;
    server->handler = handler;
    server->arg = arg;
    cio__list_init(&server->conns);
    cio_event_init(&server->drained);
    cio_event_init(&server->done);
    *out = server;
    return 0;
}

static void destroy(cio_http_server *server) {
    server->magic = 0;
    free(server->server_name);
    free(server);
}

void cio__http_server_unref(cio_http_server *server) {
    if (--server->refs == 0) destroy(server);
}

static cio_server_options listener_options(const cio_http_server *server) {
    return (cio_server_options){.backlog = server->opts.backlog,
                                .reuse_port = server->opts.reuse_port,
                                .max_connections = server->opts.max_connections};
}

static int start(const char *host, int port, const char *path, cio_http_handler handler, void *arg,
                 const cio_http_server_options *opts, cio_http_server **out) {
    if (!handler || !out || (opts && check_options(opts) < 0)) return -EINVAL;
    cio_http_server *server;
    int rc = make(handler, arg, opts, &server);
    if (rc < 0) return rc;
    cio_server_options lo = listener_options(server);
    rc = path ? cio_start_unix_server(path, cio__http_conn_serve, server, &lo, &server->server)
              : cio_start_server(host, port, cio__http_conn_serve, server, &lo, &server->server);
    if (rc < 0) {
        destroy(server);
        return rc;
    }
    *out = server;
    return 0;
}

int cio_http_serve(const char *host, int port, cio_http_handler handler, void *arg,
                   const cio_http_server_options *opts, cio_http_server **out) {
    return start(host, port, NULL, handler, arg, opts, out);
}

int cio_http_serve_unix(const char *path, cio_http_handler handler, void *arg,
                        const cio_http_server_options *opts, cio_http_server **out) {
    if (!path) return -EINVAL;
    return start(NULL, 0, path, handler, arg, opts, out);
}

int cio_http_server_port(const cio_http_server *server) {
    if (!valid(server)) return -EINVAL;
    return cio_server_port(server->server);
}

size_t cio_http_server_connections(const cio_http_server *server) {
    return valid(server) ? server->nconns : 0;
}

/* ---- shutdown ------------------------------------------------------------------------ */

/* Close the connections waiting for a request: their reads return
 * -CIO_ECLOSED and their tasks end. Busy ones see `stopping` when they
 * answer and close after it. */
static void close_idle(cio_http_server *server) {
    for (struct cio__list *n = server->conns.next; n != &server->conns; n = n->next) {
        struct cio__http_conn *conn = cio__container_of(n, struct cio__http_conn, link);
        if (conn->idle) cio_stream_close(conn->stream);
    }
}

static void cancel_all(cio_http_server *server) {
    for (struct cio__list *n = server->conns.next; n != &server->conns; n = n->next) {
        struct cio__http_conn *conn = cio__container_of(n, struct cio__http_conn, link);
        cio_task_cancel(conn->task);
    }
}

/* Wait up to grace seconds for the busy connections to finish. */
static void wait_drained(cio_http_server *server, double grace) {
    if (server->nconns == 0) return;
    cio_timeout scope;
    cio_timeout_begin(&scope, grace);
    while (server->nconns > 0 && cio_event_wait(&server->drained) == 0)
        cio_event_clear(&server->drained);
    cio_timeout_end(&scope);
}

static int shutdown_now(cio_http_server *server, double grace) {
    server->stopping = true;
    server->refs++; /* a free() from a handler must not pull the memory away */
    cio_server_close(server->server);
    close_idle(server);
    wait_drained(server, grace);
    cancel_all(server);
    int rc = cio_server_wait_closed(server->server);
    cio_event_set(&server->done);
    cio__http_server_unref(server);
    return rc;
}

int cio_http_server_shutdown(cio_http_server *server, double grace) {
    if (!cio__task_current_or_complain("cio_http_server_shutdown")) return -EPERM;
    if (!valid(server) || isnan(grace) || grace < 0) return -EINVAL;
    if (server->stopping) return -CIO_ECLOSED;
    return shutdown_now(server, grace);
}

int cio_http_server_serve_forever(cio_http_server *server) {
    if (!cio__task_current_or_complain("cio_http_server_serve_forever")) return -EPERM;
    if (!valid(server)) return -EINVAL;
    int rc = cio_event_wait(&server->done);
    if (rc < 0 && !server->stopping) {
        /* Cancelled: shut down with no grace, shielded so the cleanup's
         * own awaits are not interrupted too. */
        cio_shield_begin();
        shutdown_now(server, 0);
        cio_shield_end();
    }
    return rc;
}

void cio_http_server_free(cio_http_server *server) {
    if (!server) return;
    if (!valid(server)) {
        cio__complain("cio_http_server_free: invalid or freed server %p", (void *)server);
        return;
    }
    if (!server->stopping) {
        server->stopping = true;
        cio_server_close(server->server);
        cio_server_abort_clients(server->server);
    }
    cio_server_free(server->server);
    server->server = NULL;
    cio__http_server_unref(server);
}
