/* HTTP/1.1 parser: requests and responses whole and a byte at a time (the
 * buffer moving between calls), pipelining, framing and connection flags,
 * the chunked decoder, limits, and a table of every refusal with the status
 * a server answers. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

enum { SLOTS = 16 };

typedef struct parsed {
    cio_http_header slots[SLOTS];
    cio_http_head head;
    ssize_t rc;
} parsed;

static ssize_t parse_with(cio_http_kind kind, const char *msg, size_t len,
                          const cio_http_parser_options *opts, parsed *out) {
    cio_http_parser p;
    assert_int_equal(cio_http_parser_init(&p, kind, out->slots, SLOTS, opts), 0);
    return out->rc = cio_http_parser_parse(&p, msg, len, &out->head);
}

static ssize_t parse(cio_http_kind kind, const char *msg, parsed *out) {
    return parse_with(kind, msg, strlen(msg), NULL, out);
}

/* Feed msg a byte more each call, each time from a fresh copy (so the
 * buffer moves, as after realloc); every call before the last must say
 * -EAGAIN. The final buffer is kept in *keep for the slices (caller frees). */
static ssize_t parse_bytewise(cio_http_kind kind, const char *msg, size_t len,
                              const cio_http_parser_options *opts, parsed *out, char **keep) {
    cio_http_parser p;
    assert_int_equal(cio_http_parser_init(&p, kind, out->slots, SLOTS, opts), 0);
    char *copy = NULL;
    for (size_t n = 1; n <= len; n++) {
        free(copy);
        copy = malloc(n);
        memcpy(copy, msg, n);
        out->rc = cio_http_parser_parse(&p, copy, n, &out->head);
        if (out->rc != -EAGAIN) break;
    }
    *keep = copy;
    return out->rc;
}

static bool slice_is(cio_http_slice s, const char *text) {
    return s.len == strlen(text) && memcmp(s.ptr, text, s.len) == 0;
}

static bool same_slice(cio_http_slice a, cio_http_slice b) {
    return a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0;
}

/* Whole and byte-at-a-time parses of msg agree on everything. */
static void check_incremental(cio_http_kind kind, const char *msg) {
    parsed whole, bytes;
    char *keep;
    size_t len = strlen(msg);
    ssize_t rc = parse_with(kind, msg, len, NULL, &whole);
    assert_int_equal(parse_bytewise(kind, msg, len, NULL, &bytes, &keep), rc);
    if (rc > 0) {
        cio_http_head *a = &whole.head, *b = &bytes.head;
        assert_true(same_slice(a->method, b->method) && same_slice(a->target, b->target));
        assert_true(same_slice(a->reason, b->reason));
        assert_int_equal(a->status, b->status);
        assert_int_equal(a->version, b->version);
        assert_int_equal(a->nheaders, b->nheaders);
        for (size_t i = 0; i < a->nheaders; i++) {
            assert_true(same_slice(a->headers[i].name, b->headers[i].name));
            assert_true(same_slice(a->headers[i].value, b->headers[i].value));
            assert_true(b->headers[i].name.ptr >= keep && b->headers[i].value.ptr <= keep + len);
        }
        assert_int_equal(a->body, b->body);
        assert_true(a->content_length == b->content_length);
        assert_int_equal(a->keep_alive, b->keep_alive);
        assert_int_equal(a->expect_continue, b->expect_continue);
        assert_int_equal(a->upgrade, b->upgrade);
    }
    free(keep);
}

/* ---- requests ------------------------------------------------------------------ */

static const char GET[] = "GET /index.html?q=1 HTTP/1.1\r\n"
                          "Host: example.com\r\n"
                          "User-Agent:  curl/8.0 \t\r\n"
                          "Accept: */*\r\n"
                          "\r\n";

static void get_request(void **state) {
    (void)state;
    parsed r;
    assert_int_equal(parse(CIO_HTTP_REQUEST, GET, &r), (ssize_t)strlen(GET));
    assert_true(slice_is(r.head.method, "GET"));
    assert_true(slice_is(r.head.target, "/index.html?q=1"));
    assert_int_equal(r.head.version, 1);
    assert_int_equal(r.head.status, 0);
    assert_int_equal(r.head.nheaders, 3);
    assert_ptr_equal(r.head.headers, r.slots);
    assert_true(slice_is(r.slots[1].name, "User-Agent"));
    assert_true(slice_is(r.slots[1].value, "curl/8.0")); /* OWS trimmed both sides */
    assert_int_equal(r.head.body, CIO_HTTP_BODY_NONE);
    assert_true(r.head.keep_alive);
    assert_false(r.head.expect_continue);
    assert_false(r.head.upgrade);
    cio_http_slice v;
    assert_int_equal(cio_http_head_find(&r.head, "HOST", &v), 0);
    assert_true(slice_is(v, "example.com"));
    assert_int_equal(cio_http_head_find(&r.head, "Cookie", &v), -ENOENT);
    assert_int_equal(cio_http_head_find(&r.head, NULL, &v), -EINVAL);
    assert_int_equal(cio_http_head_find(NULL, "Host", &v), -EINVAL);
    assert_int_equal(cio_http_head_find(&r.head, "Host", NULL), -EINVAL);
}

static void post_content_length(void **state) {
    (void)state;
    const char *msg = "POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world";
    parsed r;
    ssize_t n = parse(CIO_HTTP_REQUEST, msg, &r);
    assert_int_equal(n, (ssize_t)strlen(msg) - 11);
    assert_int_equal(r.head.body, CIO_HTTP_BODY_LENGTH);
    assert_true(r.head.content_length == 11);
    assert_memory_equal(msg + n, "hello world", 11);
    /* Content-Length: 0 is a body of length 0 */
    parse(CIO_HTTP_REQUEST, "POST / HTTP/1.1\r\nHost: a\r\nContent-length: 0\r\n\r\n", &r);
    assert_int_equal(r.head.body, CIO_HTTP_BODY_LENGTH);
    assert_true(r.head.content_length == 0);
}

static void connection_flags(void **state) {
    (void)state;
    parsed r;
    parse(CIO_HTTP_REQUEST, "GET / HTTP/1.0\r\n\r\n", &r); /* 1.0: no Host needed */
    assert_true(r.rc > 0);
    assert_int_equal(r.head.version, 0);
    assert_false(r.head.keep_alive);
    parse(CIO_HTTP_REQUEST, "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &r);
    assert_true(r.head.keep_alive);
    parse(CIO_HTTP_REQUEST, "GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, close\r\n\r\n", &r);
    assert_false(r.head.keep_alive);
    parse(CIO_HTTP_REQUEST, "GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\n\r\n", &r);
    assert_true(r.head.expect_continue);
    parse(CIO_HTTP_REQUEST, "GET / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", &r);
    assert_false(r.head.expect_continue); /* RFC 9110 10.1.1: ignored from 1.0 */
    parse(CIO_HTTP_REQUEST,
          "GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: keep-alive, "
          "Upgrade\r\n\r\n",
          &r);
    assert_true(r.head.upgrade);
    assert_true(r.head.keep_alive);
    parse(CIO_HTTP_REQUEST, "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n", &r);
    assert_false(r.head.upgrade); /* Connection must list it too */
}

static void pipelined(void **state) {
    (void)state;
    const char *buf = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
                      "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
                      "GET /3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    const char *targets[] = {"/1", "/2", "/3"};
    cio_http_header slots[4];
    cio_http_parser p;
    cio_http_head head;
    assert_int_equal(cio_http_parser_init(&p, CIO_HTTP_REQUEST, slots, 4, NULL), 0);
    size_t pos = 0, len = strlen(buf);
    for (int i = 0; i < 3; i++) {
        ssize_t n = cio_http_parser_parse(&p, buf + pos, len - pos, &head);
        assert_true(n > 0);
        assert_true(slice_is(head.target, targets[i]));
        pos += (size_t)n + (size_t)head.content_length;
        cio_http_parser_reset(&p);
    }
    assert_int_equal(pos, len);
    assert_false(head.keep_alive);
    assert_int_equal(cio_http_parser_parse(&p, buf + pos, 0, &head), -EAGAIN);
}

static void repeat_calls(void **state) {
    (void)state;
    cio_http_header slots[4];
    cio_http_parser p;
    cio_http_head head;
    cio_http_parser_init(&p, CIO_HTTP_REQUEST, slots, 4, NULL);
    size_t len = strlen(GET);
    assert_int_equal(cio_http_parser_parse(&p, GET, 10, &head), -EAGAIN);
    assert_int_equal(cio_http_parser_parse(&p, GET, len, &head), (ssize_t)len);
    char copy[sizeof GET];
    memcpy(copy, GET, sizeof GET);
    memset(&head, 0, sizeof head);
    assert_int_equal(cio_http_parser_parse(&p, copy, len, &head), (ssize_t)len); /* same again */
    assert_ptr_equal(head.headers[2].value.ptr, copy + len - 7);                 /* from copy */
    assert_int_equal(cio_http_parser_parse(&p, copy, len - 1, &head), -EINVAL);
    cio_http_parser_reset(&p);
    assert_int_equal(cio_http_parser_parse(&p, "BAD\r\n", 5, &head), -CIO_EHTTP_METHOD);
    assert_int_equal(cio_http_parser_parse(&p, GET, len, &head), -CIO_EHTTP_METHOD); /* sticks */
}

static void bad_arguments(void **state) {
    (void)state;
    cio_http_header slots[1];
    cio_http_parser p;
    cio_http_head head;
    assert_int_equal(cio_http_parser_init(NULL, CIO_HTTP_REQUEST, slots, 1, NULL), -EINVAL);
    assert_int_equal(cio_http_parser_init(&p, CIO_HTTP_REQUEST, NULL, 1, NULL), -EINVAL);
    assert_int_equal(cio_http_parser_init(&p, (cio_http_kind)7, slots, 1, NULL), -EINVAL);
    assert_int_equal(cio_http_parser_init(&p, CIO_HTTP_REQUEST, NULL, 0, NULL), 0);
    assert_int_equal(cio_http_parser_parse(NULL, "x", 1, &head), -EINVAL);
    assert_int_equal(cio_http_parser_parse(&p, NULL, 1, &head), -EINVAL);
    assert_int_equal(cio_http_parser_parse(&p, "x", 1, NULL), -EINVAL);
    /* no slots: the first field is one too many */
    assert_int_equal(cio_http_parser_parse(&p, GET, strlen(GET), &head),
                     -CIO_EHTTP_TOO_MANY_HEADERS);
    cio_http_chunked dec;
    cio_http_slice data;
    assert_int_equal(cio_http_chunked_init(NULL, NULL, 0, NULL), -EINVAL);
    assert_int_equal(cio_http_chunked_init(&dec, NULL, 2, NULL), -EINVAL);
    assert_int_equal(cio_http_chunked_init(&dec, NULL, 0, NULL), 0);
    assert_int_equal(cio_http_chunked_decode(NULL, "0", 1, &data), -EINVAL);
    assert_int_equal(cio_http_chunked_decode(&dec, "0", 1, NULL), -EINVAL);
    assert_int_equal(cio_http_chunked_decode(&dec, NULL, 1, &data), -EINVAL);
    assert_int_equal(cio_http_chunked_decode(&dec, NULL, 0, &data), -EAGAIN);
}

/* ---- responses ----------------------------------------------------------------- */

typedef struct framing_case {
    cio_http_kind kind;
    const char *msg;
    cio_http_body body;
    uint64_t length;
    bool keep_alive;
} framing_case;

static const framing_case framings[] = {
    {CIO_HTTP_RESPONSE, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", CIO_HTTP_BODY_LENGTH, 5,
     true},
    {CIO_HTTP_RESPONSE, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
     CIO_HTTP_BODY_CHUNKED, 0, true},
    {CIO_HTTP_RESPONSE, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
     CIO_HTTP_BODY_CHUNKED, 0, true},
    {CIO_HTTP_RESPONSE, "HTTP/1.1 200 OK\r\n\r\n", CIO_HTTP_BODY_EOF, 0, false},
    {CIO_HTTP_RESPONSE, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", CIO_HTTP_BODY_EOF, 0,
     false},
    {CIO_HTTP_RESPONSE, "HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n", CIO_HTTP_BODY_NONE,
     0, true},
    {CIO_HTTP_RESPONSE, "HTTP/1.1 304 Not Modified\r\n\r\n", CIO_HTTP_BODY_NONE, 0, true},
    {CIO_HTTP_RESPONSE, "HTTP/1.1 100 Continue\r\n\r\n", CIO_HTTP_BODY_NONE, 0, true},
    {CIO_HTTP_RESPONSE, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
     CIO_HTTP_BODY_NONE, 0, true},
    {CIO_HTTP_RESPONSE_TO_HEAD, "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", CIO_HTTP_BODY_NONE,
     0, true},
    {CIO_HTTP_RESPONSE, "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n", CIO_HTTP_BODY_LENGTH, 1,
     false},
    {CIO_HTTP_RESPONSE, "HTTP/1.1 200\r\nContent-Length: 1\r\n\r\n", CIO_HTTP_BODY_LENGTH, 1, true},
    {CIO_HTTP_REQUEST, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
     CIO_HTTP_BODY_CHUNKED, 0, true},
    {CIO_HTTP_REQUEST, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:  Chunked \r\n\r\n",
     CIO_HTTP_BODY_CHUNKED, 0, true},
};

static const framing_case framings2[] = {
    {CIO_HTTP_REQUEST, "GET /x HTTP/1.1\r\nHost: a\r\nTransfer-EncodingX: gzip\r\n\r\n",
     CIO_HTTP_BODY_NONE, 0, true},
    {CIO_HTTP_REQUEST, "GET http://a/b HTTP/1.1\r\nHost: a\r\n\r\n", CIO_HTTP_BODY_NONE, 0, true},
    {CIO_HTTP_REQUEST, "GET svn+ssh://x HTTP/1.1\r\nHost: a\r\n\r\n", CIO_HTTP_BODY_NONE, 0, true},
    {CIO_HTTP_REQUEST, "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", CIO_HTTP_BODY_NONE, 0, true},
    {CIO_HTTP_REQUEST, "CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n", CIO_HTTP_BODY_NONE, 0, true},
};

static void request_targets(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof framings2 / sizeof framings2[0]; i++) {
        parsed r;
        assert_int_equal(parse(framings2[i].kind, framings2[i].msg, &r),
                         (ssize_t)strlen(framings2[i].msg));
        assert_int_equal(r.head.body, framings2[i].body);
    }
}

static void response_framing(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof framings / sizeof framings[0]; i++) {
        const framing_case *c = &framings[i];
        parsed r;
        print_message("framing case %zu\n", i);
        assert_int_equal(parse(c->kind, c->msg, &r), (ssize_t)strlen(c->msg));
        assert_int_equal(r.head.body, c->body);
        assert_true(r.head.content_length == c->length);
        assert_int_equal(r.head.keep_alive, c->keep_alive);
        check_incremental(c->kind, c->msg);
    }
}

static void status_line(void **state) {
    (void)state;
    parsed r;
    parse(CIO_HTTP_RESPONSE, "HTTP/1.1 404 Not  Found\t\r\nContent-Length: 0\r\n\r\n", &r);
    assert_int_equal(r.head.status, 404);
    assert_true(slice_is(r.head.reason, "Not  Found\t"));
    assert_int_equal(r.head.method.len + r.head.target.len, 0);
    parse(CIO_HTTP_RESPONSE, "HTTP/1.1 599 \r\n\r\n", &r);
    assert_int_equal(r.head.status, 599);
    assert_int_equal(r.head.reason.len, 0);
}

static void incremental_equals_whole(void **state) {
    (void)state;
    check_incremental(CIO_HTTP_REQUEST, GET);
    check_incremental(CIO_HTTP_REQUEST, "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
                                        "Expect: 100-continue\r\n\r\nabc");
    check_incremental(CIO_HTTP_REQUEST, "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
    check_incremental(CIO_HTTP_REQUEST, "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n");
    check_incremental(CIO_HTTP_RESPONSE, "HTTP/1.1 404 Not Found\r\nServer: x\r\n\r\n");
}

/* ---- refusals ------------------------------------------------------------------ */

typedef struct refusal {
    cio_http_kind kind;
    const char *msg;
    int err;
    int status;
} refusal;

#define REQ(head)  "GET / HTTP/1.1\r\nHost: a\r\n" head "\r\n"
#define POST(head) "POST / HTTP/1.1\r\nHost: a\r\n" head "\r\n"

static const refusal refusals[] = {
    /* Content-Length: conflicting, repeated (even equal), lists, not digits, overflow */
    {CIO_HTTP_REQUEST, POST("Content-Length: 5\r\nContent-Length: 6\r\n"), CIO_EHTTP_CONTENT_LENGTH,
     400},
    {CIO_HTTP_REQUEST, POST("Content-Length: 5\r\nContent-Length: 5\r\n"), CIO_EHTTP_CONTENT_LENGTH,
     400},
    {CIO_HTTP_REQUEST, POST("Content-Length: 5, 5\r\n"), CIO_EHTTP_CONTENT_LENGTH, 400},
    {CIO_HTTP_REQUEST, POST("Content-Length: abc\r\n"), CIO_EHTTP_CONTENT_LENGTH, 400},
    {CIO_HTTP_REQUEST, POST("Content-Length: -1\r\n"), CIO_EHTTP_CONTENT_LENGTH, 400},
    {CIO_HTTP_REQUEST, POST("Content-Length: +5\r\n"), CIO_EHTTP_CONTENT_LENGTH, 400},
    {CIO_HTTP_REQUEST, POST("Content-Length: 0x10\r\n"), CIO_EHTTP_CONTENT_LENGTH, 400},
    {CIO_HTTP_REQUEST, POST("Content-Length: 1 2\r\n"), CIO_EHTTP_CONTENT_LENGTH, 400},
    {CIO_HTTP_REQUEST, POST("Content-Length:\r\n"), CIO_EHTTP_CONTENT_LENGTH, 400},
    {CIO_HTTP_REQUEST, POST("Content-Length: 18446744073709551616\r\n"), CIO_EHTTP_CONTENT_LENGTH,
     400},
    {CIO_HTTP_REQUEST, POST("Content-Length: 2\r\nTransfer-Encoding: chunked\r\n"),
     CIO_EHTTP_LENGTH_AND_CODING, 400},
    {CIO_HTTP_REQUEST, POST("Transfer-Encoding: chunked\r\nContent-Length: 2\r\n"),
     CIO_EHTTP_LENGTH_AND_CODING, 400},
    /* Transfer-Encoding other than a final chunked */
    {CIO_HTTP_REQUEST, POST("Transfer-Encoding: gzip\r\n"), CIO_EHTTP_CODING_UNSUPPORTED, 501},
    {CIO_HTTP_REQUEST, POST("Transfer-Encoding: gzip, chunked\r\n"), CIO_EHTTP_CODING_UNSUPPORTED,
     501},
    {CIO_HTTP_REQUEST, POST("Transfer-Encoding: identity\r\n"), CIO_EHTTP_CODING_UNSUPPORTED, 501},
    {CIO_HTTP_REQUEST, POST("Transfer-Encoding: chunked, gzip\r\n"), CIO_EHTTP_TRANSFER_ENCODING,
     400},
    {CIO_HTTP_REQUEST, POST("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n"),
     CIO_EHTTP_TRANSFER_ENCODING, 400},
    {CIO_HTTP_REQUEST, POST("Transfer-Encoding: chunked, chunked\r\n"), CIO_EHTTP_TRANSFER_ENCODING,
     400},
    {CIO_HTTP_REQUEST, POST("Transfer-Encoding: \r\n"), CIO_EHTTP_TRANSFER_ENCODING, 400},
    {CIO_HTTP_REQUEST, POST("Transfer-Encoding: ,chunked\r\n"), CIO_EHTTP_TRANSFER_ENCODING, 400},
    {CIO_HTTP_REQUEST, POST("Transfer-Encoding: chunked, \r\n"), CIO_EHTTP_TRANSFER_ENCODING, 400},
    {CIO_HTTP_REQUEST, "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
     CIO_EHTTP_TRANSFER_ENCODING, 400},
    /* line folding, line endings */
    {CIO_HTTP_REQUEST, REQ("X: a\r\n b\r\n"), CIO_EHTTP_OBS_FOLD, 400},
    {CIO_HTTP_REQUEST, REQ("X: a\r\n\tb\r\n"), CIO_EHTTP_OBS_FOLD, 400},
    {CIO_HTTP_REQUEST, "GET / HTTP/1.1\r\n Host: a\r\n\r\n", CIO_EHTTP_OBS_FOLD, 400},
    {CIO_HTTP_REQUEST, "GET / HTTP/1.1\nHost: a\r\n\r\n", CIO_EHTTP_LINE_ENDING, 400},
    {CIO_HTTP_REQUEST, "GET / HTTP/1.1\r\nHost: a\n\r\n", CIO_EHTTP_LINE_ENDING, 400},
    {CIO_HTTP_REQUEST, "GET / HTTP/1.1\r\nHost: a\r\n\n", CIO_EHTTP_LINE_ENDING, 400},
    {CIO_HTTP_REQUEST, "\n", CIO_EHTTP_LINE_ENDING, 400},
    {CIO_HTTP_REQUEST, REQ("X: a\rb\r\n"), CIO_EHTTP_LINE_ENDING, 400},
    {CIO_HTTP_REQUEST, REQ("X\r: a\r\n"), CIO_EHTTP_LINE_ENDING, 400},
    {CIO_HTTP_REQUEST, "GET /\r HTTP/1.1\r\nHost: a\r\n\r\n", CIO_EHTTP_LINE_ENDING, 400},
    {CIO_HTTP_REQUEST, "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", CIO_EHTTP_START_LINE, 400},
    /* request line */
    {CIO_HTTP_REQUEST, "G(T / HTTP/1.1\r\n", CIO_EHTTP_METHOD, 400},
    {CIO_HTTP_REQUEST, " GET / HTTP/1.1\r\n", CIO_EHTTP_METHOD, 400},
    {CIO_HTTP_REQUEST, "GET\t/ HTTP/1.1\r\n", CIO_EHTTP_METHOD, 400},
    {CIO_HTTP_REQUEST, "GET\r\n", CIO_EHTTP_METHOD, 400},
    {CIO_HTTP_REQUEST, "GET  / HTTP/1.1\r\n", CIO_EHTTP_TARGET, 400},
    {CIO_HTTP_REQUEST, "GET /a\x7f HTTP/1.1\r\n", CIO_EHTTP_TARGET, 400},
    {CIO_HTTP_REQUEST, "GET /\x80 HTTP/1.1\r\n", CIO_EHTTP_TARGET, 400},
    {CIO_HTTP_REQUEST, "GET /\r\n", CIO_EHTTP_TARGET, 400},
    {CIO_HTTP_REQUEST, "GET index.html HTTP/1.1\r\n", CIO_EHTTP_TARGET, 400},
    {CIO_HTTP_REQUEST, "GET ** HTTP/1.1\r\n", CIO_EHTTP_TARGET, 400},
    {CIO_HTTP_REQUEST, "GET http:x HTTP/1.1\r\n", CIO_EHTTP_TARGET, 400},
    {CIO_HTTP_REQUEST, "GET 1http://a/ HTTP/1.1\r\n", CIO_EHTTP_TARGET, 400},
    {CIO_HTTP_REQUEST, "CONNECT /a HTTP/1.1\r\n", CIO_EHTTP_TARGET, 400},
    {CIO_HTTP_REQUEST, "GET / HTTP/1.1 \r\n", CIO_EHTTP_VERSION, 400},
    {CIO_HTTP_REQUEST, "GET / http/1.1\r\n", CIO_EHTTP_VERSION, 400},
    {CIO_HTTP_REQUEST, "GET / HTTP/1,1\r\n", CIO_EHTTP_VERSION, 400},
    {CIO_HTTP_REQUEST, "GET / HTTP/x.1\r\n", CIO_EHTTP_VERSION, 400},
    {CIO_HTTP_REQUEST, "GET / HTTP/1.x\r\n", CIO_EHTTP_VERSION, 400},
    {CIO_HTTP_REQUEST, "GET / HTTP/2.0\r\n", CIO_EHTTP_VERSION_UNSUPPORTED, 505},
    {CIO_HTTP_REQUEST, "GET / HTTP/1.2\r\n", CIO_EHTTP_VERSION_UNSUPPORTED, 505},
    {CIO_HTTP_REQUEST, "GET / HTTP/0.9\r\n", CIO_EHTTP_VERSION_UNSUPPORTED, 505},
    /* field names and values */
    {CIO_HTTP_REQUEST, REQ("X : a\r\n"), CIO_EHTTP_HEADER_NAME, 400},
    {CIO_HTTP_REQUEST, REQ("X\t: a\r\n"), CIO_EHTTP_HEADER_NAME, 400},
    {CIO_HTTP_REQUEST, REQ(": a\r\n"), CIO_EHTTP_HEADER_NAME, 400},
    {CIO_HTTP_REQUEST, REQ("X(y: a\r\n"), CIO_EHTTP_HEADER_NAME, 400},
    {CIO_HTTP_REQUEST, REQ("NoColon\r\n"), CIO_EHTTP_HEADER_NAME, 400},
    {CIO_HTTP_REQUEST, REQ("X\x01: a\r\n"), CIO_EHTTP_HEADER_NAME, 400},
    {CIO_HTTP_REQUEST, REQ("X: a\x01z\r\n"), CIO_EHTTP_HEADER_VALUE, 400},
    {CIO_HTTP_REQUEST, REQ("X: a\x7f\r\n"), CIO_EHTTP_HEADER_VALUE, 400},
    /* Host */
    {CIO_HTTP_REQUEST, "GET / HTTP/1.1\r\n\r\n", CIO_EHTTP_HOST, 400},
    {CIO_HTTP_REQUEST, REQ("host: b\r\n"), CIO_EHTTP_HOST, 400},
    /* responses */
    {CIO_HTTP_RESPONSE, "HTTP/1.1 20 OK\r\n", CIO_EHTTP_STATUS, 400},
    {CIO_HTTP_RESPONSE, "HTTP/1.1 2000 OK\r\n", CIO_EHTTP_STATUS, 400},
    {CIO_HTTP_RESPONSE, "HTTP/1.1 099 OK\r\n", CIO_EHTTP_STATUS, 400},
    {CIO_HTTP_RESPONSE, "HTTP/1.1 2x0 OK\r\n", CIO_EHTTP_STATUS, 400},
    {CIO_HTTP_RESPONSE, "HTTP/1.1 20x OK\r\n", CIO_EHTTP_STATUS, 400},
    {CIO_HTTP_RESPONSE, "HTTP/1.1200 OK\r\n", CIO_EHTTP_VERSION, 400},
    {CIO_HTTP_RESPONSE, "HTTP/1.1\r\n", CIO_EHTTP_VERSION, 400},
    {CIO_HTTP_RESPONSE, "HTTP/2 200 OK\r\n", CIO_EHTTP_VERSION, 400},
    {CIO_HTTP_RESPONSE, "HTTP/3.0 200 OK\r\n", CIO_EHTTP_VERSION_UNSUPPORTED, 505},
    {CIO_HTTP_RESPONSE, "HTTP/1.1 200 O\x01K\r\n", CIO_EHTTP_START_LINE, 400},
    {CIO_HTTP_RESPONSE,
     "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
     CIO_EHTTP_LENGTH_AND_CODING, 400},
    {CIO_HTTP_RESPONSE, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
     CIO_EHTTP_CONTENT_LENGTH, 400},
    {CIO_HTTP_RESPONSE, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
     CIO_EHTTP_TRANSFER_ENCODING, 400},
    {CIO_HTTP_RESPONSE, "HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\n\r\n",
     CIO_EHTTP_TRANSFER_ENCODING, 400},
    {CIO_HTTP_RESPONSE, "HTTP/1.1 200 OK\r\nContent-Length: 1048577\r\n\r\n",
     CIO_EHTTP_BODY_TOO_LARGE, 413},
};

static void refused(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
        const refusal *c = &refusals[i];
        size_t len = strlen(c->msg);
        parsed r;
        char *keep;
        print_message("refusal case %zu: %s\n", i, cio_strerror(c->err));
        assert_int_equal(parse_with(c->kind, c->msg, len, NULL, &r), -c->err);
        assert_int_equal(cio_http_error_status((int)r.rc), c->status);
        assert_int_equal(parse_bytewise(c->kind, c->msg, len, NULL, &r, &keep), -c->err);
        free(keep);
    }
}

/* A NUL inside a value: the table above cannot hold it in a C string. */
static void nul_in_value(void **state) {
    (void)state;
    static const char msg[] = "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n";
    parsed r;
    assert_int_equal(parse_with(CIO_HTTP_REQUEST, msg, sizeof msg - 1, NULL, &r),
                     -CIO_EHTTP_HEADER_VALUE);
}

/* ---- limits -------------------------------------------------------------------- */

static void limits(void **state) {
    (void)state;
    const cio_http_parser_options small = {
        .max_start_line = 20, .max_header_bytes = 60, .max_headers = 3, .max_body = 10};
    parsed r;
    char *keep;
    const char *ok = "GET /12345 HTTP/1.1\r\nHost: a\r\n\r\n"; /* start line: 21 with CRLF */
    assert_int_equal(parse_with(CIO_HTTP_REQUEST, ok, strlen(ok), &small, &r),
                     -CIO_EHTTP_START_LINE_TOO_LONG);
    assert_int_equal(cio_http_error_status((int)r.rc), 414);
    /* reported before the line ends */
    assert_int_equal(parse_with(CIO_HTTP_REQUEST, "GET /1234567890123456", 20, &small, &r),
                     -CIO_EHTTP_START_LINE_TOO_LONG);
    assert_int_equal(parse_with(CIO_HTTP_REQUEST, "GET /1234567890123456", 19, &small, &r),
                     -EAGAIN);
    ok = "GET /1234 HTTP/1.1\r\nHost: a\r\n\r\n"; /* exactly 20 */
    assert_true(parse_with(CIO_HTTP_REQUEST, ok, strlen(ok), &small, &r) > 0);
    /* header bytes: a head of exactly 60 passes, 61 does not, nor 60 unfinished */
    const char *h60 = "GET / HTTP/1.1\r\nHost: a\r\nX-Long: 12345678901234567890123\r\n\r\n";
    assert_int_equal(strlen(h60), 60);
    assert_int_equal(parse_with(CIO_HTTP_REQUEST, h60, 60, &small, &r), 60);
    const char *h61 = "GET / HTTP/1.1\r\nHost: a\r\nX-Long: 123456789012345678901234\r\n\r\n";
    assert_int_equal(parse_with(CIO_HTTP_REQUEST, h61, 61, &small, &r),
                     -CIO_EHTTP_HEADERS_TOO_LARGE);
    assert_int_equal(cio_http_error_status((int)r.rc), 431);
    assert_int_equal(parse_bytewise(CIO_HTTP_REQUEST, h61, 61, &small, &r, &keep),
                     -CIO_EHTTP_HEADERS_TOO_LARGE);
    free(keep);
    const char *four = "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
    assert_int_equal(parse_with(CIO_HTTP_REQUEST, four, strlen(four), &small, &r),
                     -CIO_EHTTP_TOO_MANY_HEADERS);
    assert_int_equal(cio_http_error_status((int)r.rc), 431);
    const char *big = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n";
    assert_int_equal(parse_with(CIO_HTTP_REQUEST, big, strlen(big), &small, &r),
                     -CIO_EHTTP_BODY_TOO_LARGE);
    assert_int_equal(cio_http_error_status((int)r.rc), 413);
    const cio_http_parser_options unlimited = {.max_body = UINT64_MAX};
    const char *huge = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551615\r\n\r\n";
    assert_true(parse_with(CIO_HTTP_REQUEST, huge, strlen(huge), &unlimited, &r) > 0);
    assert_true(r.head.content_length == UINT64_MAX);
}

static void default_limits(void **state) {
    (void)state;
    enum { BIG = 40000 };
    char *msg = malloc(BIG);
    parsed r;
    /* the start line may be 8 KiB with its CRLF */
    memset(msg, 'a', BIG);
    memcpy(msg, "GET /", 5);
    memcpy(msg + 8192 - 11, " HTTP/1.1\r\nHost: a\r\n\r\n", 22);
    assert_int_equal(parse_with(CIO_HTTP_REQUEST, msg, 8192 + 11, NULL, &r), 8192 + 11);
    msg[8192 - 11] = 'a';
    memcpy(msg + 8192 - 10, " HTTP/1.1\r\n", 11);
    assert_int_equal(parse_with(CIO_HTTP_REQUEST, msg, 8193, NULL, &r),
                     -CIO_EHTTP_START_LINE_TOO_LONG);
    /* the head may be 32 KiB */
    memset(msg, 'a', BIG);
    memcpy(msg, "GET / HTTP/1.1\r\nHost: a\r\nX: ", 28);
    memcpy(msg + 32768 - 4, "\r\n\r\n", 4);
    assert_int_equal(parse_with(CIO_HTTP_REQUEST, msg, BIG, NULL, &r), 32768);
    memcpy(msg + 32768 - 4, "a\r\n\r\n", 5);
    assert_int_equal(parse_with(CIO_HTTP_REQUEST, msg, BIG, NULL, &r),
                     -CIO_EHTTP_HEADERS_TOO_LARGE);
    free(msg);
}

/* ---- chunked bodies ------------------------------------------------------------ */

typedef struct decoded {
    char data[256];
    size_t len;
    cio_http_header trailers[4];
    size_t ntrailers;
    char trailer0[32]; /* the first trailer's value */
    size_t consumed;
    int rc;
} decoded;

/* Decode body whole (step 0) or arriving step bytes at a time: the caller's
 * buffer holds what is not consumed yet, copied afresh each call. Returns 0
 * when done, -EAGAIN if the body ends before the chunked coding does, or the
 * decoder's error. */
static int decode(const char *body, size_t len, size_t step, const cio_http_parser_options *opts,
                  decoded *out) {
    cio_http_chunked dec;
    assert_int_equal(cio_http_chunked_init(&dec, out->trailers, 4, opts), 0);
    memset(out->trailer0, 0, sizeof out->trailer0);
    out->len = out->consumed = out->ntrailers = 0;
    out->rc = -EAGAIN;
    size_t arrived = step ? 0 : len;
    char *buf = NULL;
    while (!cio_http_chunked_done(&dec)) {
        size_t n = arrived - out->consumed;
        free(buf);
        buf = malloc(n + 1);
        memcpy(buf, body + out->consumed, n);
        cio_http_slice data;
        ssize_t rc = cio_http_chunked_decode(&dec, buf, n, &data);
        if (rc == -EAGAIN && arrived < len) {
            arrived = arrived + step < len ? arrived + step : len;
            continue;
        }
        if (rc < 0) {
            out->rc = (int)rc;
            break;
        }
        assert_true(data.len <= (size_t)rc && data.ptr >= buf && data.ptr + data.len <= buf + n);
        memcpy(out->data + out->len, data.ptr, data.len);
        out->len += data.len;
        out->consumed += (size_t)rc;
    }
    if (cio_http_chunked_done(&dec)) {
        out->rc = 0;
        out->ntrailers = cio_http_chunked_trailers(&dec);
        if (out->ntrailers)
            memcpy(out->trailer0, out->trailers[0].value.ptr, out->trailers[0].value.len);
    }
    free(buf);
    return out->rc;
}

static const char CHUNKED[] = "5;name=value;x\r\nhello\r\n"
                              "6 ; e\r\n world\r\n"
                              "A\r\n from cio!\r\n"
                              "0\r\nX-Trailer: yes\r\nX-Other:  2 \r\n\r\n"
                              "GET /next";

static void chunked_body(void **state) {
    (void)state;
    size_t len = strlen(CHUNKED);
    for (size_t step = 0; step <= 7; step++) {
        decoded d;
        print_message("chunked step %zu\n", step);
        assert_int_equal(decode(CHUNKED, len, step, NULL, &d), 0);
        assert_int_equal(d.len, 21);
        assert_memory_equal(d.data, "hello world from cio!", 21);
        assert_int_equal(d.consumed, len - 9); /* "GET /next" is the next message's */
        assert_int_equal(d.ntrailers, 2);
        assert_string_equal(d.trailer0, "yes");
    }
}

static void chunked_trailers(void **state) {
    (void)state;
    const char body[] = "1\r\na\r\n0\r\nA: 1\r\nB:2\r\n\r\n";
    cio_http_header slots[2];
    cio_http_chunked dec;
    cio_http_slice data;
    cio_http_chunked_init(&dec, slots, 2, NULL);
    assert_int_equal(cio_http_chunked_decode(&dec, body, sizeof body - 1, &data),
                     (ssize_t)sizeof body - 1);
    assert_true(cio_http_chunked_done(&dec));
    assert_int_equal(cio_http_chunked_trailers(&dec), 2);
    assert_true(slice_is(slots[1].name, "B") && slice_is(slots[1].value, "2"));
    assert_int_equal(cio_http_chunked_decode(&dec, "x", 1, &data), 0); /* done: nothing more */
    /* without slots, trailers are checked and dropped */
    cio_http_chunked_init(&dec, NULL, 0, NULL);
    assert_int_equal(cio_http_chunked_decode(&dec, body, sizeof body - 1, &data),
                     (ssize_t)sizeof body - 1);
    assert_int_equal(cio_http_chunked_trailers(&dec), 0);
    /* a partial size line is not consumed */
    cio_http_chunked_init(&dec, NULL, 0, NULL);
    assert_int_equal(cio_http_chunked_decode(&dec, "1f", 2, &data), -EAGAIN);
    assert_int_equal(cio_http_chunked_decode(&dec, "1f\r", 3, &data), -EAGAIN);
    assert_int_equal(cio_http_chunked_decode(&dec, "1f\r\nab", 6, &data), 6);
    assert_true(slice_is(data, "ab"));
    assert_false(cio_http_chunked_done(&dec));
}

typedef struct chunk_refusal {
    const char *body;
    int err;
    int status;
} chunk_refusal;

static const chunk_refusal chunk_refusals[] = {
    {"g\r\n", CIO_EHTTP_CHUNK, 400},
    {"\r\n", CIO_EHTTP_CHUNK, 400},
    {"-1\r\n", CIO_EHTTP_CHUNK, 400},
    {"5 \r\nhello\r\n", CIO_EHTTP_CHUNK, 400},
    {"5 x\r\nhello\r\n", CIO_EHTTP_CHUNK, 400},
    {"5;a\x01\r\nhello\r\n", CIO_EHTTP_CHUNK, 400},
    {"5\nhello\r\n", CIO_EHTTP_CHUNK, 400},
    {"5\r\nhelloX\r\n", CIO_EHTTP_CHUNK, 400},
    {"5\r\nhello\rX", CIO_EHTTP_CHUNK, 400},
    {"5\r\nhello\n", CIO_EHTTP_CHUNK, 400},
    {"10000000000000000\r\n", CIO_EHTTP_CHUNK, 400},
    {"100001\r\n", CIO_EHTTP_BODY_TOO_LARGE, 413},
    {"0\r\n folded: x\r\n\r\n", CIO_EHTTP_OBS_FOLD, 400},
    {"0\r\nX : y\r\n\r\n", CIO_EHTTP_HEADER_NAME, 400},
    {"0\r\nX: y\n\r\n", CIO_EHTTP_LINE_ENDING, 400},
    {"0\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\n", CIO_EHTTP_TOO_MANY_HEADERS, 431},
};

static void chunked_refused(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof chunk_refusals / sizeof chunk_refusals[0]; i++) {
        const chunk_refusal *c = &chunk_refusals[i];
        size_t len = strlen(c->body);
        decoded d;
        print_message("chunk refusal %zu\n", i);
        assert_int_equal(decode(c->body, len, 0, NULL, &d), -c->err);
        assert_int_equal(cio_http_error_status(d.rc), c->status);
        assert_int_equal(decode(c->body, len, 1, NULL, &d), -c->err);
    }
}

/* The limit is on the sum of the chunks: two of 512 KiB + 1 pass 1 MiB. */
static void chunked_too_large(void **state) {
    (void)state;
    static char chunk[0x80001 + 2];
    cio_http_chunked dec;
    cio_http_slice data;
    memset(chunk, 'x', sizeof chunk);
    memcpy(chunk + 0x80001, "\r\n", 2);
    cio_http_chunked_init(&dec, NULL, 0, NULL);
    assert_int_equal(cio_http_chunked_decode(&dec, "80001\r\n", 7, &data), 7);
    assert_int_equal(cio_http_chunked_decode(&dec, chunk, sizeof chunk, &data),
                     (ssize_t)sizeof chunk);
    assert_int_equal(data.len, 0x80001);
    assert_int_equal(cio_http_chunked_decode(&dec, "80001\r\n", 7, &data),
                     -CIO_EHTTP_BODY_TOO_LARGE);
    assert_int_equal(cio_http_chunked_decode(&dec, "0\r\n\r\n", 5, &data),
                     -CIO_EHTTP_BODY_TOO_LARGE); /* sticks */
}

static void chunked_limits(void **state) {
    (void)state;
    cio_http_chunked dec;
    cio_http_slice data;
    static char line[5000];
    memset(line, ' ', sizeof line);
    memcpy(line, "1;", 2);
    cio_http_chunked_init(&dec, NULL, 0, NULL);
    assert_int_equal(cio_http_chunked_decode(&dec, line, 4095, &data), -EAGAIN);
    assert_int_equal(cio_http_chunked_decode(&dec, line, 4096, &data), -CIO_EHTTP_CHUNK);
    /* the trailer section is bounded by max_header_bytes */
    const cio_http_parser_options small = {.max_header_bytes = 16};
    const char *trail = "0\r\nX: 12345678901234\r\n\r\n";
    cio_http_chunked_init(&dec, NULL, 0, &small);
    assert_int_equal(cio_http_chunked_decode(&dec, trail, strlen(trail), &data), 3);
    assert_int_equal(cio_http_chunked_decode(&dec, trail + 3, strlen(trail) - 3, &data),
                     -CIO_EHTTP_HEADERS_TOO_LARGE);
    cio_http_chunked_init(&dec, NULL, 0, &small); /* 16 bytes unfinished: refused too */
    assert_int_equal(cio_http_chunked_decode(&dec, trail, 3, &data), 3);
    assert_int_equal(cio_http_chunked_decode(&dec, trail + 3, 15, &data), -EAGAIN);
    assert_int_equal(cio_http_chunked_decode(&dec, trail + 3, 16, &data),
                     -CIO_EHTTP_HEADERS_TOO_LARGE);
    assert_int_equal(cio_http_error_status(-CIO_EHTTP_HEADERS_TOO_LARGE), 431);
}

/* ---- status mapping ----------------------------------------------------------- */

static void statuses(void **state) {
    (void)state;
    assert_int_equal(cio_http_error_status(-EAGAIN), 0);
    assert_int_equal(cio_http_error_status(0), 0);
    assert_int_equal(cio_http_error_status(CIO_EHTTP_START_LINE_TOO_LONG), 414);
    assert_int_equal(cio_http_error_status(-CIO_EHTTP_CODING_UNSUPPORTED), 501);
    assert_string_equal(cio_http_status_reason(400), "Bad Request");
    assert_string_equal(cio_http_status_reason(431), "Request Header Fields Too Large");
    assert_string_equal(cio_http_status_reason(799), "Unknown");
    assert_string_equal(cio_strerror(-CIO_EHTTP_OBS_FOLD), "obsolete line folding in HTTP header");
    for (int e = CIO_EHTTP_START_LINE; e <= CIO_EHTTP_CHUNK; e++) {
        int s = cio_http_error_status(-e);
        assert_true(s == 400 || s == 413 || s == 414 || s == 431 || s == 501 || s == 505);
        assert_string_not_equal(cio_http_status_reason(s), "Unknown");
        assert_string_not_equal(cio_strerror(-e), "Unknown error");
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(get_request),      cmocka_unit_test(post_content_length),
        cmocka_unit_test(connection_flags), cmocka_unit_test(pipelined),
        cmocka_unit_test(repeat_calls),     cmocka_unit_test(bad_arguments),
        cmocka_unit_test(request_targets),  cmocka_unit_test(response_framing),
        cmocka_unit_test(status_line),      cmocka_unit_test(incremental_equals_whole),
        cmocka_unit_test(refused),          cmocka_unit_test(nul_in_value),
        cmocka_unit_test(limits),           cmocka_unit_test(default_limits),
        cmocka_unit_test(chunked_body),     cmocka_unit_test(chunked_trailers),
        cmocka_unit_test(chunked_refused),  cmocka_unit_test(chunked_too_large),
        cmocka_unit_test(chunked_limits),   cmocka_unit_test(statuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
