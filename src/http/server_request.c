/* src/http/server_request.c - the request a handler sees: its head, path,
 * query, headers and parameters (slices of the connection's buffer), and
 * its body, read on demand.
 *
 * A Content-Length body is copied from the buffer while bytes are there,
 * then read from the stream straight into the caller's memory. A chunked
 * body is read into the buffer after the head and decoded in place; the
 * decoded runs are copied out. Whatever the handler leaves unread is
 * skipped after the answer (up to CIO__HTTP_SKIP_LIMIT bytes; more closes the
 * connection), so the next request on the connection starts where it
 * should. */
#include "http/server.h"

#include "core/core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char CONTINUE[] = "HTTP/1.1 100 Continue\r\n\r\n";

static void split_target(cio_http_request *req) {
    cio_http_slice t = req->head.target;
    const char *p = t.ptr, *end = t.ptr + t.len;
    /* absolute-form: skip "scheme://authority" to the path */
    const char *scheme = t.len && t.ptr[0] != '/' ? memchr(p, ':', t.len) : NULL;
    if (scheme && end - scheme > 3 && scheme[1] == '/' && scheme[2] == '/') {
        const char *slash = memchr(scheme + 3, '/', (size_t)(end - scheme - 3));
        p = slash ? slash : end;
    }
    const char *q = memchr(p, '?', (size_t)(end - p));
    req->path = (cio_http_slice){p, (size_t)((q ? q : end) - p)};
    req->query = q ? (cio_http_slice){q + 1, (size_t)(end - q - 1)} : (cio_http_slice){end, 0};
    if (req->path.len == 0) req->path = (cio_http_slice){"/", 1};
}

void cio__http_request_prepare(struct cio__http_conn *conn, size_t head_len) {
    cio_http_request *req = &conn->req;
    req->conn = conn;
    req->head_len = head_len;
    req->nparams = 0;
    req->pend_len = 0;
    req->body_error = 0;
    req->body_started = false;
    req->continue_sent = !req->head.expect_continue;
    req->body_left = req->head.body == CIO_HTTP_BODY_LENGTH ? req->head.content_length : 0;
    req->body_done = req->head.body == CIO_HTTP_BODY_NONE ||
                     (req->head.body == CIO_HTTP_BODY_LENGTH && req->body_left == 0);
    if (req->head.body == CIO_HTTP_BODY_CHUNKED)
        cio_http_chunked_init(&req->chunked, NULL, 0, &conn->server->opts.limits);
    conn->pos = head_len;
    split_target(req);
}

/* ---- accessors ------------------------------------------------------------------------ */

const cio_http_head *cio_http_request_head(const cio_http_request *req) {
    return req ? &req->head : NULL;
}

cio_http_slice cio_http_request_path(const cio_http_request *req) {
    return req ? req->path : (cio_http_slice){"", 0};
}

cio_http_slice cio_http_request_query(const cio_http_request *req) {
    return req ? req->query : (cio_http_slice){"", 0};
}

bool cio_http_request_is(const cio_http_request *req, const char *method) {
    if (!req || !method) return false;
    size_t n = strlen(method);
    return req->head.method.len == n && memcmp(req->head.method.ptr, method, n) == 0;
}

int cio_http_request_header(const cio_http_request *req, const char *name, cio_http_slice *value) {
    if (!req) return -EINVAL;
    return cio_http_head_find(&req->head, name, value);
}

int cio_http_request_param(const cio_http_request *req, const char *name, cio_http_slice *value) {
    if (!req || !name || !value) return -EINVAL;
    size_t n = strlen(name);
    for (size_t i = 0; i < req->nparams; i++) {
        if (req->param_names[i].len == n && memcmp(req->param_names[i].ptr, name, n) == 0) {
            *value = req->param_values[i];
            return 0;
        }
    }
    return -ENOENT;
}

cio_stream *cio_http_request_stream(cio_http_request *req) {
    return req ? req->conn->stream : NULL;
}

size_t cio_http_request_take_buffered(cio_http_request *req, const char **data) {
    if (!req || !data) return 0;
    struct cio__http_conn *conn = req->conn;
    *data = conn->buf + conn->pos;
    size_t n = conn->len - conn->pos;
    conn->pos = conn->len;
    return n;
}

/* ---- reading the body ------------------------------------------------------------------ */

/* Answer Expect: 100-continue before the first read that needs the client's
 * bytes (not once an answer was started: that answer is the refusal). */
static void send_continue(cio_http_request *req) {
    if (req->continue_sent) return;
    req->continue_sent = true;
    if (req->conn->res.state == CIO__RES_NONE)
        cio_stream_write(req->conn->stream, CONTINUE, sizeof CONTINUE - 1);
}

/* One read from the stream under the body timeout (bounded by the request's
 * own deadline). */
static ssize_t read_stream(cio_http_request *req, void *buf, size_t n) {
    struct cio__http_conn *conn = req->conn;
    const cio_http_server_options *o = &conn->server->opts;
    send_continue(req);
    double request_deadline =
        o->request_timeout > 0 ? conn->started + o->request_timeout : INFINITY;
    double body_deadline = cio__http_now() + o->body_timeout;
    cio__http_conn_deadline(conn,
                            body_deadline < request_deadline ? body_deadline : request_deadline);
    ssize_t got = cio_stream_read(conn->stream, buf, n);
    cio__http_conn_deadline(conn, request_deadline);
    if (got == 0) return -CIO_EINCOMPLETE;
    if (got == -ETIMEDOUT) req->body_error = 408;
    return got;
}

static ssize_t read_length(cio_http_request *req, char *buf, size_t n) {
    struct cio__http_conn *conn = req->conn;
    size_t want = req->body_left < n ? (size_t)req->body_left : n;
    ssize_t got;
    if (conn->pos < conn->len) {
        got = (ssize_t)(conn->len - conn->pos < want ? conn->len - conn->pos : want);
        memcpy(buf, conn->buf + conn->pos, (size_t)got);
        conn->pos += (size_t)got;
    } else if ((got = read_stream(req, buf, want)) < 0) {
        return got;
    }
    req->body_left -= (uint64_t)got;
    req->body_done = req->body_left == 0;
    return got;
}

/* Room for more chunked bytes: move the undecoded ones back to the end of
 * the head. -CIO_EHTTP_CHUNK if the buffer is full of one framing line. */
static int make_room(cio_http_request *req) {
    struct cio__http_conn *conn = req->conn;
    if (conn->len < conn->cap) return 0;
    size_t live = conn->len - conn->pos;
    if (conn->pos == req->head_len) return -CIO_EHTTP_CHUNK;
    memmove(conn->buf + req->head_len, conn->buf + conn->pos, live);
    conn->pos = req->head_len;
    conn->len = conn->pos + live;
    return 0;
}

/* Decode what the buffer holds: > 0 data runs pending, 0 need more bytes
 * or done, < 0 a refused body. */
static int decode_buffered(cio_http_request *req) {
    struct cio__http_conn *conn = req->conn;
    cio_http_slice data;
    while (!req->pend_len && conn->pos < conn->len && !cio_http_chunked_done(&req->chunked)) {
        ssize_t used = cio_http_chunked_decode(&req->chunked, conn->buf + conn->pos,
                                               conn->len - conn->pos, &data);
        if (used == -EAGAIN) return 0;
        if (used < 0) {
            req->body_error = cio_http_error_status((int)used);
            return (int)used;
        }
        conn->pos += (size_t)used;
        req->pend_off = (size_t)(data.ptr - conn->buf);
        req->pend_len = data.len;
    }
    return req->pend_len > 0;
}

static ssize_t read_chunked(cio_http_request *req, char *buf, size_t n) {
    struct cio__http_conn *conn = req->conn;
    for (;;) {
        int rc = decode_buffered(req);
        if (rc < 0) return rc;
        if (req->pend_len) {
            size_t take = req->pend_len < n ? req->pend_len : n;
            memcpy(buf, conn->buf + req->pend_off, take);
            req->pend_off += take;
            req->pend_len -= take;
            return (ssize_t)take;
        }
        if (cio_http_chunked_done(&req->chunked)) {
            req->body_done = true;
            return 0;
        }
        if ((rc = make_room(req)) < 0) {
            req->body_error = 400;
            return rc;
        }
        ssize_t got = read_stream(req, conn->buf + conn->len, conn->cap - conn->len);
        if (got < 0) return got;
        conn->len += (size_t)got;
    }
}

ssize_t cio_http_request_read(cio_http_request *req, void *buf, size_t n) {
    if (!req || (!buf && n)) return -EINVAL;
    if (req->body_error) return -EPROTO;
    if (req->body_done || n == 0) return 0;
    req->body_started = true;
    if (req->head.body == CIO_HTTP_BODY_CHUNKED) return read_chunked(req, buf, n);
    return read_length(req, buf, n);
}

static int grow(char **data, size_t *cap, size_t need) {
    if (need <= *cap) return 0;
    size_t size = *cap ? *cap : 4096;
    while (size < need) size *= 2;
    char *bigger = realloc(*data, size);
    if (!bigger) return -ENOMEM;
    *data = bigger;
    *cap = size;
    return 0;
}

int cio_http_request_read_body(cio_http_request *req, size_t max, char **data, size_t *len) {
    if (!req || !data || !len) return -EINVAL;
    if (req->head.body == CIO_HTTP_BODY_LENGTH && req->head.content_length > max) {
        req->body_error = 413;
        return -CIO_EHTTP_BODY_TOO_LARGE;
    }
    char *buf = NULL;
    size_t cap = 0, used = 0;
    ssize_t got;
    int rc;
    do {
        if ((rc = grow(&buf, &cap, used + 4097)) < 0) break;
        got = cio_http_request_read(req, buf + used, cap - used - 1);
        if (got > 0) used += (size_t)got;
        if (used > max) {
            req->body_error = 413;
            got = -CIO_EHTTP_BODY_TOO_LARGE;
        }
        rc = got < 0 ? (int)got : 0;
    } while (got > 0);
    if (rc < 0) {
        free(buf);
        return rc;
    }
    buf[used] = '\0';
    *data = buf;
    *len = used;
    return 0;
}

/* ---- after the answer -------------------------------------------------------------------- */

static int skip_length(cio_http_request *req) {
    struct cio__http_conn *conn = req->conn;
    size_t buffered = conn->len - conn->pos;
    if (req->body_left <= buffered) {
        conn->pos += (size_t)req->body_left;
        return 0;
    }
    if (req->body_left > CIO__HTTP_SKIP_LIMIT) return -1;
    req->body_left -= buffered;
    conn->pos = conn->len = 0; /* the handler is done: the whole buffer is free */
    while (req->body_left > 0) {
        size_t want = req->body_left < conn->cap ? (size_t)req->body_left : conn->cap;
        ssize_t got = read_stream(req, conn->buf, want);
        if (got < 0) return -1;
        req->body_left -= (uint64_t)got;
    }
    return 0;
}

int cio__http_request_skip_body(cio_http_request *req) {
    if (req->body_done) return 0;
    if (req->body_error || !req->continue_sent) return -1; /* the client waits, or lies */
    if (req->head.body == CIO_HTTP_BODY_LENGTH) return skip_length(req);
    char scratch[1024];
    size_t skipped = 0;
    ssize_t got;
    while ((got = cio_http_request_read(req, scratch, sizeof scratch)) > 0)
        if ((skipped += (size_t)got) > CIO__HTTP_SKIP_LIMIT) return -1;
    return got == 0 ? 0 : -1;
}
