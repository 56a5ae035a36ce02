/* src/http/server_conn.c - one HTTP connection: read a head into the
 * connection's buffer, parse it in place, run the handler, finish the
 * answer, and go on with the next request while the connection may be kept.
 *
 * The connection has one deadline (a timeout scope around its whole life),
 * moved as its phase changes: idle (waiting for a request), header (from
 * the request's first byte), body (from each body read), request (the
 * handler). So a client trickling its head is cut header_timeout after its
 * first byte, whatever it sends. A malformed head is answered with the
 * parser's status and the connection closed; after an error answer the
 * connection lingers a little, reading and dropping what the client still
 * sends, so closing with unread data does not reset the connection before
 * the client read the answer. */
#include "http/server.h"

#include "core/core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LINGER_SECONDS 2.0
#define LINGER_BYTES   (256u * 1024u)

enum { HEAD_EOF = 0 }; /* the client closed between requests (a head is never 0 bytes) */

double cio__http_now(void) {
    return cio_loop_time(cio_get_running_loop());
}

void cio__http_conn_deadline(struct cio__http_conn *conn, double when) {
    if (cio_timeout_when(&conn->scope) != when) cio_timeout_reschedule(&conn->scope, when);
}

/* Make the connection's block: the struct, the header slots, the read
 * buffer and the response head buffer, in one allocation. */
static struct cio__http_conn *conn_new(cio_http_server *server, cio_stream *stream) {
    const cio_http_server_options *o = &server->opts;
    size_t nslots = o->limits.max_headers ? o->limits.max_headers : 100;
    size_t size = sizeof(struct cio__http_conn) + nslots * sizeof(cio_http_header) +
                  o->buffer_size + CIO__HTTP_HEAD_CAP;
    struct cio__http_conn *conn = malloc(size);
    if (!conn) return NULL;
    memset(conn, 0, sizeof *conn);
    conn->server = server;
    conn->stream = stream;
    conn->task = cio_current_task();
    conn->slots = (cio_http_header *)(conn + 1);
    conn->buf = (char *)(conn->slots + nslots);
    conn->cap = o->buffer_size;
    conn->res.head = conn->buf + conn->cap;
    cio_http_parser_init(&conn->parser, CIO_HTTP_REQUEST, conn->slots, nslots, &o->limits);
    return conn;
}

/* Read until a complete head is at the buffer's start. Returns its length,
 * HEAD_EOF (closed cleanly between requests), or an error: -CIO_EHTTP_*
 * (answer its status), -ETIMEDOUT, -CIO_ECLOSED, a stream error. */
static ssize_t read_head(struct cio__http_conn *conn) {
    cio_http_server *server = conn->server;
    cio_http_parser_reset(&conn->parser);
    for (;;) {
        if (conn->len > 0) {
            ssize_t n = cio_http_parser_parse(&conn->parser, conn->buf, conn->len, &conn->req.head);
            if (n != -EAGAIN) return n;
            if (conn->len == conn->cap) return -CIO_EHTTP_HEADERS_TOO_LARGE;
            cio__http_conn_deadline(conn, conn->started + server->opts.header_timeout);
        } else {
            if (server->stopping) return HEAD_EOF;
            conn->idle = true;
            cio__http_conn_deadline(conn, cio__http_now() + server->opts.idle_timeout);
        }
        ssize_t got = cio_stream_read(conn->stream, conn->buf + conn->len, conn->cap - conn->len);
        conn->idle = false;
        if (got <= 0) return got == 0 ? (conn->len ? -CIO_EINCOMPLETE : HEAD_EOF) : got;
        if (conn->len == 0) conn->started = cio__http_now();
        conn->len += (size_t)got;
    }
}

static void log_access(struct cio__http_conn *conn) {
    const cio_http_server_options *o = &conn->server->opts;
    if (!o->access_log) return;
    o->access_log(&conn->req, conn->res.status, conn->res.body_sent,
                  cio__http_now() - conn->started, o->access_log_arg);
}

/* One request, from its parsed head to its answered end. Returns 0 to go on
 * with the next request, < 0 to close the connection. */
static int serve_one(struct cio__http_conn *conn, size_t head_len) {
    cio_http_server *server = conn->server;
    cio__http_request_prepare(conn, head_len);
    cio__http_response_prepare(conn);
    double rt = server->opts.request_timeout;
    cio__http_conn_deadline(conn, rt > 0 ? conn->started + rt : INFINITY);
    server->handler(&conn->req, &conn->res, server->arg);
    int rc = cio__http_response_finish(&conn->res);
    log_access(conn);
    /* Closing with unread bytes (a body, pipelined requests) needs the
     * linger; a clean end of the exchange does not. */
    conn->closing = !conn->req.body_done || conn->pos < conn->len;
    if (rc < 0 || conn->res.close) return -1;
    if (cio__http_request_skip_body(&conn->req) < 0) return -1;
    conn->closing = false;
    /* Pipelining: what follows this request moves to the buffer's start. */
    conn->len -= conn->pos;
    if (conn->len) memmove(conn->buf, conn->buf + conn->pos, conn->len);
    conn->pos = 0;
    if (conn->len) conn->started = cio__http_now();
    return 0;
}

static void serve_requests(struct cio__http_conn *conn) {
    for (;;) {
        ssize_t n = read_head(conn);
        if (n == HEAD_EOF) return;
        if (n < 0) {
            int status = cio_http_error_status((int)n);
            if (n == -ETIMEDOUT && conn->len > 0) status = 408;
            if (status) cio__http_send_error(conn, status);
            conn->closing = status != 0;
            return;
        }
        if (serve_one(conn, (size_t)n) < 0) return;
    }
}

/* After an answer that closes the connection: stop sending, then read and
 * drop what the client still sends, for a while, so our close does not
 * reset the connection (and the answer with it) under unread data. */
static void linger(struct cio__http_conn *conn) {
    if (cio_stream_write_eof(conn->stream) < 0) return;
    cio_timeout scope;
    cio_timeout_begin(&scope, LINGER_SECONDS);
    size_t dropped = 0;
    ssize_t got;
    while (dropped < LINGER_BYTES &&
           (got = cio_stream_read(conn->stream, conn->buf, conn->cap)) > 0)
        dropped += (size_t)got;
    cio_timeout_end(&scope);
}

void cio__http_conn_serve(cio_stream *stream, void *arg) {
    cio_http_server *server = arg;
    struct cio__http_conn *conn = conn_new(server, stream);
    if (!conn) {
        cio__http_send_error(&(struct cio__http_conn){.server = server, .stream = stream}, 503);
        return;
    }
    server->refs++;
    server->nconns++;
    cio__list_push_back(&server->conns, &conn->link);
    cio_timeout_begin(&conn->scope, INFINITY);
    serve_requests(conn);
    cio_timeout_end(&conn->scope);
    if (conn->closing) linger(conn);
    cio__list_remove(&conn->link);
    if (--server->nconns == 0 && server->stopping) cio_event_set(&server->drained);
    free(conn);
    cio__http_server_unref(server);
}
