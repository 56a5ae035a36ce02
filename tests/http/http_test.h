/* Helpers of the HTTP server tests: a raw client in the test's loop. */
#ifndef CIO_TEST_HTTP_TEST_H
#define CIO_TEST_HTTP_TEST_H

#include "testutil.h"

#include <cio/http_server.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a raw client ------------------------------------------------------------------------ */

static inline cio_stream *dial(int port) {
    cio_stream *s;
    assert_int_equal(cio_open_connection("127.0.0.1", port, NULL, &s), 0);
    return s;
}

static inline void send_str(cio_stream *s, const char *text) {
    assert_int_equal(cio_stream_write(s, text, strlen(text)), 0);
}

/* Everything until EOF (or 10 s of loop time), NUL-terminated; the length. */
static inline size_t read_to_eof(cio_stream *s, char *buf, size_t cap) {
    cio_timeout scope;
    cio_timeout_begin(&scope, 10.0);
    size_t len = 0;
    ssize_t n;
    while (len + 1 < cap && (n = cio_stream_read(s, buf + len, cap - 1 - len)) > 0)
        len += (size_t)n;
    if (cio_timeout_end(&scope) < 0) fail_msg("no EOF; got %zu bytes: %.60s", len, buf);
    buf[len] = '\0';
    return len;
}

/* One response from s: its head (slices into buf) and body; returns the
 * bytes it used of buf (which holds *have bytes, read more as needed). */
struct reply {
    int status;
    char head[1024]; /* the head as received, NUL-terminated */
    char body[4096];
    size_t body_len;
    bool keep_alive;
    char connection[32];
};

static inline size_t read_reply_from(cio_stream *s, char *buf, size_t cap, size_t *have,
                                     struct reply *r, bool head_request) {
    cio_http_header slots[32];
    cio_http_parser p;
    cio_http_head head;
    cio_http_parser_init(&p, head_request ? CIO_HTTP_RESPONSE_TO_HEAD : CIO_HTTP_RESPONSE, slots,
                         32, NULL);
    ssize_t used;
    while ((used = cio_http_parser_parse(&p, buf, *have, &head)) == -EAGAIN) {
        ssize_t n = cio_stream_read(s, buf + *have, cap - *have);
        assert_true(n > 0);
        *have += (size_t)n;
    }
    assert_true(used > 0);
    memset(r, 0, sizeof *r);
    r->status = head.status;
    r->keep_alive = head.keep_alive;
    snprintf(r->head, sizeof r->head, "%.*s", (int)used, buf);
    cio_http_slice v;
    if (cio_http_head_find(&head, "Connection", &v) == 0)
        snprintf(r->connection, sizeof r->connection, "%.*s", (int)v.len, v.ptr);
    size_t body = head.body == CIO_HTTP_BODY_LENGTH ? (size_t)head.content_length : 0;
    assert_true(head.body != CIO_HTTP_BODY_CHUNKED && body < sizeof r->body);
    while (*have < (size_t)used + body) {
        ssize_t n = cio_stream_read(s, buf + *have, cap - *have);
        assert_true(n > 0);
        *have += (size_t)n;
    }
    memcpy(r->body, buf + used, body);
    r->body_len = body;
    size_t total = (size_t)used + body;
    memmove(buf, buf + total, *have - total);
    *have -= total;
    return total;
}

static inline struct reply read_reply(cio_stream *s) {
    static char buf[32768];
    size_t have = 0;
    static struct reply r;
    read_reply_from(s, buf, sizeof buf, &have, &r, false);
    assert_int_equal(have, 0);
    return r;
}

#endif
