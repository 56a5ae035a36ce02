/* src/http/server_response.c - the answer: status line and headers built in
 * the connection's head buffer, sent with the body in one writev; bodies
 * from memory, streamed (Content-Length or chunked), or from a file.
 *
 * The head buffer keeps the user's headers from byte PREFIX on; the
 * server's lines (status, Server, Date, framing, Connection) are written
 * just before them when the head goes out, so the head is one contiguous
 * run without copying the user's part. After every write comes a drain:
 * that is the backpressure (it returns at once unless the stream's buffer
 * is above its high-water mark). */
#include "http/server.h"

#include "core/core.h"

#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <unistd.h>

#define PREFIX     400 /* room for the server's lines before the user's headers */
#define MAX_SERVER 128 /* longest Server value put in the head */
#define FILE_CHUNK (1u << 30)

static const char CRLF[] = "\r\n";
static const char LAST_CHUNK[] = "0\r\n\r\n";

void cio__http_response_prepare(struct cio__http_conn *conn) {
    cio_http_response *res = &conn->res;
    res->conn = conn;
    res->status = 0;
    res->state = CIO__RES_NONE;
    res->length = 0;
    res->body_sent = 0;
    res->user_len = 0;
    res->close = false;
    res->head_only = cio_http_request_is(&conn->req, "HEAD");
}

/* ---- the Date header, once a second ---------------------------------------------------- */

static size_t put(char *p, const char *s, size_t n) {
    memcpy(p, s, n);
    return n;
}

static size_t put_uint(char *p, uint64_t v) {
    char tmp[20];
    size_t n = 0;
    do tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10) > 0);
    for (size_t i = 0; i < n; i++) p[i] = tmp[n - 1 - i];
    return n;
}

const char *cio__http_date(cio_http_server *server, size_t *len) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    if (ts.tv_sec != server->date_sec || server->date_len == 0) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        server->date_len =
            strftime(server->date, sizeof server->date, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
        server->date_sec = ts.tv_sec;
    }
    *len = server->date_len;
    return server->date;
}

/* ---- the head ------------------------------------------------------------------------ */

static bool no_body_status(int status) {
    return status < 200 || status == 204 || status == 304;
}

/* Decide whether the connection survives this answer: not if the client
 * or a shutdown says so, the body runs until close, or the request's body
 * cannot be skipped (the client waits for 100 Continue, or it is too big
 * to read and drop). */
static void decide_close(cio_http_response *res) {
    struct cio__http_conn *conn = res->conn;
    const cio_http_request *req = &conn->req;
    if (!req->head.keep_alive || conn->server->stopping || res->length == -2) res->close = true;
    if (!req->body_done && (!req->continue_sent || req->body_error ||
                            req->body_left > CIO__HTTP_SKIP_LIMIT + (conn->len - conn->pos)))
        res->close = true;
}

/* The server's lines of the head into p (at most PREFIX bytes). */
static size_t server_lines(cio_http_response *res, char *p) {
    struct cio__http_conn *conn = res->conn;
    const char *reason = cio_http_status_reason(res->status);
    size_t n = put(p, "HTTP/1.1 ", 9);
    n += put_uint(p + n, (uint64_t)res->status);
    p[n++] = ' ';
    n += put(p + n, reason, strlen(reason));
    n += put(p + n, CRLF, 2);
    if (conn->server->server_name) {
        size_t sl = strnlen(conn->server->server_name, MAX_SERVER);
        n += put(p + n, "Server: ", 8);
        n += put(p + n, conn->server->server_name, sl);
        n += put(p + n, CRLF, 2);
    }
    size_t dl;
    const char *date = cio__http_date(conn->server, &dl);
    n += put(p + n, date, dl);
    if (res->status == 101) return n; /* the new protocol's headers are the user's */
    if (res->length >= 0 && !(no_body_status(res->status))) {
        n += put(p + n, "Content-Length: ", 16);
        n += put_uint(p + n, (uint64_t)res->length);
        n += put(p + n, CRLF, 2);
    } else if (res->length == -1 && !no_body_status(res->status)) {
        n += put(p + n, "Transfer-Encoding: chunked\r\n", 28);
    }
    if (res->close)
        n += put(p + n, "Connection: close\r\n", 19);
    else if (conn->req.head.version == 0)
        n += put(p + n, "Connection: keep-alive\r\n", 24);
    return n;
}

/* Assemble the head in the buffer; returns it as one iovec. */
static struct iovec build_head(cio_http_response *res) {
    char prefix[PREFIX];
    decide_close(res);
    if (res->status == 101) res->close = true; /* the connection is the new protocol's */
    size_t n = server_lines(res, prefix);
    char *start = res->head + PREFIX - n;
    memcpy(start, prefix, n);
    memcpy(res->head + PREFIX + res->user_len, CRLF, 2);
    return (struct iovec){start, n + res->user_len + 2};
}

int cio_http_response_add_header(cio_http_response *res, const char *name, const char *value) {
    if (!res || !name || !value || !*name) return -EINVAL;
    if (res->state != CIO__RES_NONE && res->state != CIO__RES_BEGUN) return -EALREADY;
    if (strpbrk(name, "\r\n: ") || strpbrk(value, "\r\n")) return -EINVAL;
    size_t nl = strlen(name), vl = strlen(value);
    if (PREFIX + res->user_len + nl + vl + 4 + 2 > CIO__HTTP_HEAD_CAP) return -ENOSPC;
    char *p = res->head + PREFIX + res->user_len;
    p += put(p, name, nl);
    p += put(p, ": ", 2);
    p += put(p, value, vl);
    put(p, CRLF, 2);
    res->user_len += nl + vl + 4;
    return 0;
}

static int fail(cio_http_response *res, int rc) {
    res->close = true;
    return rc;
}

/* writev then drain; any failure means the connection must close. */
static int push(cio_http_response *res, const struct iovec *iov, int n) {
    cio_stream *stream = res->conn->stream;
    int rc = cio_stream_writev(stream, iov, n);
    if (rc == 0) rc = cio_stream_drain(stream);
    return rc < 0 ? fail(res, rc) : 0;
}

int cio_http_response_send(cio_http_response *res, int status, const void *body, size_t len) {
    if (!res || status < 100 || status > 999 || (!body && len)) return -EINVAL;
    if (res->state != CIO__RES_NONE) return -EALREADY;
    res->status = status;
    res->length = (int64_t)len;
    res->state = CIO__RES_DONE;
    struct iovec iov[2] = {build_head(res), {(void *)body, len}};
    bool with_body = len && !res->head_only && !no_body_status(status);
    res->body_sent = with_body || res->head_only ? len : 0;
    return push(res, iov, with_body ? 2 : 1);
}

int cio_http_response_begin(cio_http_response *res, int status, int64_t content_length) {
    if (!res || status < 100 || status > 999 || content_length < -1) return -EINVAL;
    if (res->state != CIO__RES_NONE) return -EALREADY;
    res->status = status;
    res->length = content_length;
    if (content_length == -1 && res->conn->req.head.version == 0) res->length = -2;
    res->state = CIO__RES_BEGUN;
    return 0;
}

/* The head (if not yet sent), then the piece's framing and data. */
static int write_piece(cio_http_response *res, const void *data, size_t len) {
    struct iovec iov[4];
    int n = 0;
    if (res->state == CIO__RES_BEGUN) {
        iov[n++] = build_head(res);
        res->state = CIO__RES_BODY;
    }
    bool send_body = len && !res->head_only && !no_body_status(res->status);
    char size_line[20];
    if (send_body && res->length == -1) {
        int sl = snprintf(size_line, sizeof size_line, "%zx\r\n", len);
        iov[n++] = (struct iovec){size_line, (size_t)sl};
    }
    if (send_body) iov[n++] = (struct iovec){(void *)data, len};
    if (send_body && res->length == -1) iov[n++] = (struct iovec){(void *)CRLF, 2};
    res->body_sent += len;
    return n ? push(res, iov, n) : 0;
}

static int check_piece(cio_http_response *res, size_t len) {
    if (res->state != CIO__RES_BEGUN && res->state != CIO__RES_BODY) return -EPROTO;
    if (res->length >= 0 && len > (uint64_t)res->length - res->body_sent) return -EMSGSIZE;
    return 0;
}

int cio_http_response_write(cio_http_response *res, const void *data, size_t len) {
    if (!res || (!data && len)) return -EINVAL;
    int rc = check_piece(res, len);
    if (rc < 0) return rc;
    return write_piece(res, data, len);
}

/* ---- files --------------------------------------------------------------------------- */

/* Copy instead of sendfile: when the stream still buffers earlier bytes
 * (which must go first), or the socket cannot take sendfile. */
static int copy_file(cio_http_response *res, int fd, off_t *offset, size_t *left) {
    char buf[16384];
    size_t want = *left < sizeof buf ? *left : sizeof buf;
    ssize_t got = pread(fd, buf, want, *offset);
    if (got <= 0) return got == 0 ? -CIO_EINCOMPLETE : -errno;
    *offset += got;
    *left -= (size_t)got;
    struct iovec iov = {buf, (size_t)got};
    return push(res, &iov, 1);
}

/* One sendfile(2) step from fd to the socket: 0 to go on, 1 to fall back
 * to copying, < 0 an error. */
static int sendfile_step(cio_http_response *res, int fd, off_t *offset, size_t *left) {
    int sock = cio_stream_fd(res->conn->stream);
    if (sock < 0) return fail(res, sock);
    ssize_t sent = sendfile(sock, fd, offset, *left < FILE_CHUNK ? *left : FILE_CHUNK);
    if (sent > 0) {
        *left -= (size_t)sent;
        return 0;
    }
    if (sent == 0) return fail(res, -CIO_EINCOMPLETE);
    if (errno == EAGAIN || errno == EINTR) {
        int rc = cio_wait_writable(sock, -1);
        return rc < 0 ? fail(res, rc) : 0;
    }
    if (errno == EINVAL || errno == ENOSYS) return 1;
    return fail(res, -errno);
}

static int file_body(cio_http_response *res, int fd, off_t offset, size_t len) {
    size_t left = len;
    bool copy = false;
    int rc = 0;
    while (rc >= 0 && left > 0) {
        /* sendfile bypasses the stream: only with its buffer empty, so the
         * bytes keep their order. */
        if (copy || cio_stream_write_buffer_size(res->conn->stream) > 0)
            rc = copy_file(res, fd, &offset, &left);
        else if ((rc = sendfile_step(res, fd, &offset, &left)) == 1)
            copy = true, rc = 0;
    }
    return rc;
}

int cio_http_response_sendfile(cio_http_response *res, int fd, off_t offset, size_t len) {
    if (!res || fd < 0 || offset < 0) return -EINVAL;
    int rc = check_piece(res, len);
    if (rc < 0) return rc;
    bool send_body = len && !res->head_only && !no_body_status(res->status);
    if (!send_body) { /* HEAD: the head only, the length counted */
        rc = write_piece(res, NULL, 0);
        res->body_sent += len;
        return rc;
    }
    char size_line[20];
    struct iovec iov[2];
    int n = 0;
    if (res->state == CIO__RES_BEGUN) {
        iov[n++] = build_head(res);
        res->state = CIO__RES_BODY;
    }
    if (res->length == -1) {
        int sl = snprintf(size_line, sizeof size_line, "%zx\r\n", len);
        iov[n++] = (struct iovec){size_line, (size_t)sl};
    }
    if (n && (rc = cio_stream_writev(res->conn->stream, iov, n)) < 0) return fail(res, rc);
    if ((rc = file_body(res, fd, offset, len)) < 0) return rc;
    res->body_sent += len;
    if (res->length == -1) return cio_stream_write(res->conn->stream, CRLF, 2);
    return 0;
}

/* ---- ending ---------------------------------------------------------------------------- */

int cio_http_response_end(cio_http_response *res) {
    if (!res) return -EINVAL;
    if (res->state == CIO__RES_DONE) return 0;
    if (res->state == CIO__RES_NONE) return -EPROTO;
    int rc = 0;
    if (res->state == CIO__RES_BEGUN) {
        if (res->length == -1) res->length = 0; /* nothing written: say so plainly */
        struct iovec head = build_head(res);
        rc = push(res, &head, 1);
    } else if (res->length == -1 && !res->head_only && !no_body_status(res->status)) {
        struct iovec last = {(void *)LAST_CHUNK, sizeof LAST_CHUNK - 1};
        rc = push(res, &last, 1);
    }
    res->state = CIO__RES_DONE;
    if (rc == 0 && res->length >= 0 && res->body_sent < (uint64_t)res->length)
        rc = fail(res, -EPROTO);
    return rc;
}

int cio_http_response_close_connection(cio_http_response *res) {
    if (!res) return -EINVAL;
    res->close = true;
    return 0;
}

bool cio_http_response_started(const cio_http_response *res) {
    return res && res->state != CIO__RES_NONE;
}

int cio__http_response_finish(cio_http_response *res) {
    int rc;
    if (res->state == CIO__RES_NONE) {
        int status = res->conn->req.body_error ? res->conn->req.body_error : 500;
        if (res->conn->req.body_error) res->close = true;
        rc = cio_http_response_send(res, status, NULL, 0);
    } else {
        rc = cio_http_response_end(res);
    }
    return rc < 0 || res->close ? -1 : 0;
}

/* ---- errors before a handler ran --------------------------------------------------------- */

void cio__http_send_error(struct cio__http_conn *conn, int status) {
    char head[256];
    const char *reason = cio_http_status_reason(status);
    size_t n = put(head, "HTTP/1.1 ", 9);
    n += put_uint(head + n, (uint64_t)status);
    head[n++] = ' ';
    n += put(head + n, reason, strlen(reason));
    n += put(head + n, CRLF, 2);
    size_t dl;
    const char *date = cio__http_date(conn->server, &dl);
    n += put(head + n, date, dl);
    static const char tail[] = "Content-Length: 0\r\nConnection: close\r\n\r\n";
    n += put(head + n, tail, sizeof tail - 1);
    cio_stream_write(conn->stream, head, n);
}
