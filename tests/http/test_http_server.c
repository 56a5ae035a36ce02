/* The HTTP/1.1 server over real loopback sockets, with raw clients in the
 * same loop: keep-alive, pipelining, every malformed or smuggling request
 * from a table (its status, then the connection closed, nothing else),
 * chunked uploads, 100-continue, HEAD, timeouts (slowloris), the connection
 * cap, graceful shutdown. Virtual clock; no fd may leak. */
#include "testutil.h"

#include "http_test.h"

#include <unistd.h>

/* ---- handlers ------------------------------------------------------------------------------ */

static int requests_seen;

/* Echoes the method, path, query and body: "GET /a?b=1 body". */
static void echo(cio_http_request *req, cio_http_response *res, void *arg) {
    (void)arg;
    requests_seen++;
    const cio_http_head *h = cio_http_request_head(req);
    char *body = NULL;
    size_t len = 0;
    int rc = cio_http_request_read_body(req, 100000, &body, &len);
    if (rc < 0) return;
    char out[256];
    cio_http_slice path = cio_http_request_path(req), query = cio_http_request_query(req);
    int n = snprintf(out, sizeof out, "%.*s %.*s?%.*s %zu:%.40s", (int)h->method.len, h->method.ptr,
                     (int)path.len, path.ptr, (int)query.len, query.ptr, len, body);
    free(body);
    cio_http_response_add_header(res, "Content-Type", "text/plain");
    cio_http_response_send(res, 200, out, (size_t)n);
}

static cio_http_server *start(cio_http_handler handler, const cio_http_server_options *opts) {
    cio_http_server *server;
    assert_int_equal(cio_http_serve("127.0.0.1", 0, handler, NULL, opts, &server), 0);
    return server;
}

static void stop(cio_http_server *server) {
    assert_int_equal(cio_http_server_shutdown(server, 1.0), 0);
    cio_http_server_free(server);
}

/* ---- basics ------------------------------------------------------------------------------- */

static void *body_keep_alive_and_pipelining(void *arg) {
    (void)arg;
    cio_http_server *server = start(echo, NULL);
    cio_stream *s = dial(cio_http_server_port(server));
    send_str(s, "GET /a?x=1 HTTP/1.1\r\nHost: h\r\n\r\n");
    struct reply r = read_reply(s);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "GET /a?x=1 0:");
    assert_true(r.keep_alive);
    /* three pipelined requests in one write, answered in order */
    send_str(s, "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
                "GET /q HTTP/1.1\r\nHost: h\r\n\r\n"
                "GET /last HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
    char buf[8192];
    size_t have = 0;
    read_reply_from(s, buf, sizeof buf, &have, &r, false);
    assert_string_equal(r.body, "POST /p? 3:abc");
    read_reply_from(s, buf, sizeof buf, &have, &r, false);
    assert_string_equal(r.body, "GET /q? 0:");
    read_reply_from(s, buf, sizeof buf, &have, &r, false);
    assert_string_equal(r.body, "GET /last? 0:");
    assert_string_equal(r.connection, "close");
    assert_int_equal(read_to_eof(s, buf, sizeof buf), have); /* then EOF */
    cio_stream_free(s);
    stop(server);
    return NULL;
}

static void test_keep_alive_and_pipelining(void **state) {
    (void)state;
    test_run_checked(body_keep_alive_and_pipelining, NULL);
}

static void *body_http10(void *arg) {
    (void)arg;
    cio_http_server *server = start(echo, NULL);
    int port = cio_http_server_port(server);
    cio_stream *s = dial(port);
    send_str(s, "GET /old HTTP/1.0\r\n\r\n"); /* 1.0 without keep-alive: closed after */
    char buf[4096];
    size_t len = read_to_eof(s, buf, sizeof buf);
    assert_non_null(strstr(buf, "Connection: close"));
    assert_non_null(strstr(buf, "GET /old? 0:"));
    assert_true(len > 0);
    cio_stream_free(s);
    s = dial(port);
    send_str(s, "GET /ka HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    struct reply r = read_reply(s);
    assert_string_equal(r.connection, "keep-alive");
    send_str(s, "GET /ka2 HTTP/1.0\r\n\r\n");
    read_to_eof(s, buf, sizeof buf);
    assert_non_null(strstr(buf, "GET /ka2? 0:"));
    cio_stream_free(s);
    stop(server);
    return NULL;
}

static void test_http10(void **state) {
    (void)state;
    test_run_checked(body_http10, NULL);
}

static void *body_head(void *arg) {
    (void)arg;
    cio_http_server *server = start(echo, NULL);
    cio_stream *s = dial(cio_http_server_port(server));
    send_str(s, "HEAD /h HTTP/1.1\r\nHost: h\r\n\r\nGET /g HTTP/1.1\r\nHost: h\r\n\r\n");
    char buf[4096];
    size_t have = 0;
    struct reply r;
    read_reply_from(s, buf, sizeof buf, &have, &r, true); /* a length, no body */
    assert_int_equal(r.status, 200);
    read_reply_from(s, buf, sizeof buf, &have, &r, false);
    assert_string_equal(r.body, "GET /g? 0:"); /* the next answer follows at once */
    cio_stream_free(s);
    stop(server);
    return NULL;
}

static void test_head(void **state) {
    (void)state;
    test_run_checked(body_head, NULL);
}

/* ---- malformed and smuggling requests ---------------------------------------------------------
 */

struct bad_case {
    const char *name;
    const char *request; /* NULL: built by the case's index */
    int status;
};

static const struct bad_case bad_cases[] = {
    {"CL and TE",
     "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: "
     "chunked\r\n\r\n0\r\n\r\n",
     400},
    {"two CL", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
     400},
    {"CL list", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\n\r\nabc", 400},
    {"TE gzip", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
    {"TE chunked twice",
     "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400},
    {"TE in 1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
    {"obs-fold", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", 400},
    {"bare LF", "GET / HTTP/1.1\nHost: h\n\n", 400},
    {"bare CR", "GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", 400},
    {"space before colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400},
    {"method chars", "G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400},
    {"no host", "GET / HTTP/1.1\r\n\r\n", 400},
    {"two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
    {"HTTP/2.0", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505},
    {"bad version", "GET / HTTP/1.x\r\nHost: h\r\n\r\n", 400},
    {"NUL in value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\001b\r\n\r\n", 400},
    {"bad target", "GET foo HTTP/1.1\r\nHost: h\r\n\r\n", 400},
    {"body too large", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999\r\n\r\n", 413},
    {"bad chunk size", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
     400},
    {"request line over the limit", NULL, 414},
    {"huge header", NULL, 431},
    {"too many headers", NULL, 431},
    {"leading CRLF", "\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400},
};

static char *build_big(size_t index) {
    size_t cap = 70000;
    char *req = malloc(cap);
    size_t n = 0;
    if (index == 19) {
        n += (size_t)sprintf(req, "GET /");
        memset(req + n, 'a', 9000), n += 9000;
        n += (size_t)sprintf(req + n, " HTTP/1.1\r\nHost: h\r\n\r\n");
    } else if (index == 20) {
        n += (size_t)sprintf(req, "GET / HTTP/1.1\r\nHost: h\r\nX-Big: ");
        memset(req + n, 'b', 20000), n += 20000;
        n += (size_t)sprintf(req + n, "\r\n\r\n");
    } else {
        n += (size_t)sprintf(req, "GET / HTTP/1.1\r\nHost: h\r\n");
        for (int i = 0; i < 120; i++) n += (size_t)sprintf(req + n, "X-%d: v\r\n", i);
        n += (size_t)sprintf(req + n, "\r\n");
    }
    req[n] = '\0';
    return req;
}

static void *body_malformed(void *arg) {
    (void)arg;
    requests_seen = 0;
    cio_http_server *server = start(echo, NULL);
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *c = &bad_cases[i];
        char *big = c->request ? NULL : build_big(i);
        cio_stream *s = dial(cio_http_server_port(server));
        send_str(s, c->request ? c->request : big);
        if (getenv("DEBUG_CASES")) fprintf(stderr, "case %s\n", c->name);
        static char buf[4096];
        size_t len = read_to_eof(s, buf, sizeof buf);
        char expect[128];
        snprintf(expect, sizeof expect, "HTTP/1.1 %d ", c->status);
        if (strncmp(buf, expect, strlen(expect)) != 0) fail_msg("%s: got %.40s", c->name, buf);
        /* exactly one response, ending with an empty body, then EOF */
        const char *end = strstr(buf, "\r\n\r\n");
        assert_non_null(end);
        if ((size_t)(end + 4 - buf) != len) fail_msg("%s: more than one answer", c->name);
        assert_non_null(strstr(buf, "Connection: close\r\n"));
        cio_stream_free(s);
        free(big);
    }
    /* No handler ran, except for the bad chunk: its head is good, the
     * handler's body read failed and the server answered 400 for it. */
    assert_int_equal(requests_seen, 1);
    stop(server);
    return NULL;
}

static void test_malformed(void **state) {
    (void)state;
    test_run_checked(body_malformed, NULL);
}

/* A smuggling attempt after a good request on the same connection: the
 * good one is answered, the bad one gets its status, nothing else runs. */
static void *body_smuggle_pipelined(void *arg) {
    (void)arg;
    requests_seen = 0;
    cio_http_server *server = start(echo, NULL);
    cio_stream *s = dial(cio_http_server_port(server));
    send_str(s,
             "GET /ok HTTP/1.1\r\nHost: h\r\n\r\n"
             "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
             "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n");
    char buf[4096];
    read_to_eof(s, buf, sizeof buf);
    assert_non_null(strstr(buf, "GET /ok? 0:"));
    assert_non_null(strstr(buf, "HTTP/1.1 400 "));
    assert_null(strstr(buf, "smuggled"));
    assert_int_equal(requests_seen, 1);
    cio_stream_free(s);
    stop(server);
    return NULL;
}

static void test_smuggle_pipelined(void **state) {
    (void)state;
    test_run_checked(body_smuggle_pipelined, NULL);
}

/* ---- bodies ------------------------------------------------------------------------------------
 */

/* Counts the body in a read loop: "N bytes, sum S". */
static void count_body(cio_http_request *req, cio_http_response *res, void *arg) {
    (void)arg;
    char buf[7];
    size_t total = 0;
    unsigned sum = 0;
    ssize_t n;
    while ((n = cio_http_request_read(req, buf, sizeof buf)) > 0) {
        total += (size_t)n;
        for (ssize_t i = 0; i < n; i++) sum += (unsigned char)buf[i];
    }
    if (n < 0) return;
    char out[64];
    int len = snprintf(out, sizeof out, "%zu bytes, sum %u", total, sum);
    cio_http_response_send(res, 200, out, (size_t)len);
}

struct upload {
    cio_stream *stream;
    int chunks;
};

/* Send a chunked body slowly, a chunk per second of loop time. */
static void *send_chunks(void *arg) {
    struct upload *u = arg;
    send_str(u->stream, "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < u->chunks; i++) {
        cio_sleep(1.0);
        send_str(u->stream, "a;ext=1\r\n0123456789\r\n"); /* 10 bytes per chunk */
    }
    send_str(u->stream, "0\r\nTrailer: x\r\n\r\n");
    return NULL;
}

static void *body_chunked_upload(void *arg) {
    (void)arg;
    cio_http_server *server = start(count_body, NULL);
    cio_stream *s = dial(cio_http_server_port(server));
    struct upload u = {s, 5};
    cio_task *sender;
    cio_create_task(send_chunks, &u, &sender);
    struct reply r = read_reply(s);
    cio_await(sender, NULL);
    assert_int_equal(r.status, 200);
    unsigned sum = 0;
    for (const char *p = "0123456789"; *p; p++) sum += (unsigned char)*p;
    char expect[64];
    snprintf(expect, sizeof expect, "50 bytes, sum %u", sum * 5);
    assert_string_equal(r.body, expect);
    /* a big chunked body through a small window, then a normal request */
    char *big = malloc(300000);
    size_t n =
        (size_t)sprintf(big, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 100; i++) {
        n += (size_t)sprintf(big + n, "3e8\r\n");
        memset(big + n, 'z', 1000), n += 1000;
        n += (size_t)sprintf(big + n, "\r\n");
    }
    n += (size_t)sprintf(big + n, "0\r\n\r\nGET /after HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(cio_stream_write(s, big, n), 0);
    free(big);
    char buf[4096];
    size_t have = 0;
    read_reply_from(s, buf, sizeof buf, &have, &r, false);
    snprintf(expect, sizeof expect, "100000 bytes, sum %u", 100000u * 'z');
    assert_string_equal(r.body, expect);
    read_reply_from(s, buf, sizeof buf, &have, &r, false);
    assert_string_equal(r.body, "0 bytes, sum 0");
    cio_stream_free(s);
    stop(server);
    return NULL;
}

static void test_chunked_upload(void **state) {
    (void)state;
    test_run_checked(body_chunked_upload, NULL);
}

static void *body_expect_continue(void *arg) {
    (void)arg;
    cio_http_server *server = start(count_body, NULL);
    cio_stream *s = dial(cio_http_server_port(server));
    send_str(s, "PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
    char buf[256];
    ssize_t n = cio_stream_read(s, buf, sizeof buf - 1);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_string_equal(buf, "HTTP/1.1 100 Continue\r\n\r\n");
    send_str(s, "abcd");
    struct reply r = read_reply(s);
    assert_int_equal(r.status, 200);
    assert_true(strncmp(r.body, "4 bytes", 7) == 0);
    cio_stream_free(s);
    stop(server);
    return NULL;
}

static void test_expect_continue(void **state) {
    (void)state;
    test_run_checked(body_expect_continue, NULL);
}

/* A handler that refuses without reading: no 100 Continue is sent, and the
 * connection closes after the answer (the client would otherwise wait). */
static void refuse(cio_http_request *req, cio_http_response *res, void *arg) {
    (void)req, (void)arg;
    cio_http_response_send(res, 403, "no", 2);
}

static void *body_expect_refused(void *arg) {
    (void)arg;
    cio_http_server *server = start(refuse, NULL);
    cio_stream *s = dial(cio_http_server_port(server));
    send_str(s, "PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
    char buf[1024];
    read_to_eof(s, buf, sizeof buf);
    assert_true(strncmp(buf, "HTTP/1.1 403 ", 13) == 0);
    assert_null(strstr(buf, "100 Continue"));
    cio_stream_free(s);
    stop(server);
    return NULL;
}

static void test_expect_refused(void **state) {
    (void)state;
    test_run_checked(body_expect_refused, NULL);
}

/* Chunked answers and a Content-Length answer written in pieces. */
static void streamer(cio_http_request *req, cio_http_response *res, void *arg) {
    (void)arg;
    if (cio_http_request_is(req, "GET")) {
        cio_http_response_begin(res, 200, -1);
        cio_http_response_write(res, "hello ", 6);
        cio_http_response_write(res, "world", 5);
    } else {
        cio_http_response_begin(res, 200, 10);
        cio_http_response_write(res, "01234", 5);
        assert_int_equal(cio_http_response_write(res, "5678901", 7), -EMSGSIZE);
        cio_http_response_write(res, "56789", 5);
        cio_http_response_end(res);
    }
}

static void *body_streamed_answers(void *arg) {
    (void)arg;
    cio_http_server *server = start(streamer, NULL);
    cio_stream *s = dial(cio_http_server_port(server));
    send_str(
        s,
        "GET / HTTP/1.1\r\nHost: h\r\n\r\nPOST / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
    char buf[4096];
    read_to_eof(s, buf, sizeof buf);
    assert_non_null(strstr(buf, "Transfer-Encoding: chunked\r\n"));
    assert_non_null(strstr(buf, "\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\nHTTP/1.1 200 OK"));
    assert_non_null(strstr(buf, "Content-Length: 10\r\n"));
    assert_non_null(strstr(buf, "\r\n\r\n0123456789"));
    cio_stream_free(s);
    stop(server);
    return NULL;
}

static void test_streamed_answers(void **state) {
    (void)state;
    test_run_checked(body_streamed_answers, NULL);
}

/* ---- timeouts ------------------------------------------------------------------------------- */

/* slowloris: a byte a second never completes the head; the connection is
 * cut header_timeout after the first byte with 408. */
static void *trickle(void *arg) {
    cio_stream *s = arg;
    const char *req =
        "GET / HTTP/1.1\r\nHost: h\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    for (const char *p = req; *p; p++)
        if (cio_stream_write(s, p, 1) < 0 || cio_sleep(1.0) < 0) break;
    return NULL;
}

static void *body_slowloris(void *arg) {
    (void)arg;
    cio_http_server_options opts = {.header_timeout = 5.0};
    cio_http_server *server = start(echo, &opts);
    cio_stream *s = dial(cio_http_server_port(server));
    double t0 = test_now();
    cio_task *sender;
    cio_create_task(trickle, s, &sender);
    char buf[1024];
    read_to_eof(s, buf, sizeof buf);
    double elapsed = test_now() - t0;
    assert_true(strncmp(buf, "HTTP/1.1 408 ", 13) == 0);
    assert_true(elapsed >= 5.0 && elapsed < 6.0);
    cio_task_cancel(sender);
    cio_await(sender, NULL);
    cio_stream_free(s);
    stop(server);
    return NULL;
}

static void test_slowloris(void **state) {
    (void)state;
    test_run_checked(body_slowloris, NULL);
}

static void *body_idle_timeout(void *arg) {
    (void)arg;
    cio_http_server_options opts = {.idle_timeout = 3.0};
    cio_http_server *server = start(echo, &opts);
    cio_stream *s = dial(cio_http_server_port(server));
    send_str(s, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    read_reply(s);
    double t0 = test_now();
    char buf[64];
    assert_int_equal(read_to_eof(s, buf, sizeof buf), 0); /* closed quietly */
    assert_true(test_now() - t0 >= 3.0 && test_now() - t0 < 3.5);
    cio_stream_free(s);
    stop(server);
    return NULL;
}

static void test_idle_timeout(void **state) {
    (void)state;
    test_run_checked(body_idle_timeout, NULL);
}

/* ---- connection cap, graceful shutdown --------------------------------------------------------
 */

static void *body_max_connections(void *arg) {
    (void)arg;
    cio_http_server_options opts = {.max_connections = 2};
    cio_http_server *server = start(echo, &opts);
    int port = cio_http_server_port(server);
    cio_stream *a = dial(port), *b = dial(port), *c = dial(port);
    send_str(a, "GET /a HTTP/1.1\r\nHost: h\r\n\r\n");
    send_str(b, "GET /b HTTP/1.1\r\nHost: h\r\n\r\n");
    read_reply(a);
    read_reply(b);
    send_str(c, "GET /c HTTP/1.1\r\nHost: h\r\n\r\n");
    cio_timeout scope;
    cio_timeout_begin(&scope, 2.0);
    char ch;
    assert_int_equal(cio_stream_read(c, &ch, 1), -ETIMEDOUT); /* waits in the backlog */
    cio_timeout_end(&scope);
    assert_int_equal(cio_http_server_connections(server), 2);
    cio_stream_free(a); /* a slot frees: c is served */
    struct reply r = read_reply(c);
    assert_string_equal(r.body, "GET /c? 0:");
    cio_stream_free(b);
    cio_stream_free(c);
    stop(server);
    return NULL;
}

static void test_max_connections(void **state) {
    (void)state;
    test_run_checked(body_max_connections, NULL);
}

static void slow(cio_http_request *req, cio_http_response *res, void *arg) {
    (void)req, (void)arg;
    cio_sleep(2.0);
    cio_http_response_send(res, 200, "slow", 4);
}

static void *shutdown_task(void *server) {
    assert_int_equal(cio_http_server_shutdown(server, 5.0), 0);
    return NULL;
}

static void *body_graceful_shutdown(void *arg) {
    (void)arg;
    cio_http_server *server = start(slow, NULL);
    int port = cio_http_server_port(server);
    cio_stream *idle = dial(port), *busy = dial(port);
    send_str(idle, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    read_reply(idle); /* now idle, kept alive */
    send_str(busy, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    cio_sleep(0.5);
    double t0 = test_now();
    cio_task *stopper;
    cio_create_task(shutdown_task, server, &stopper);
    char buf[1024];
    assert_int_equal(read_to_eof(idle, buf, sizeof buf), 0); /* idle: closed at once */
    assert_true(test_now() - t0 < 0.1);
    read_to_eof(busy, buf, sizeof buf); /* busy: answered, with Connection: close */
    assert_non_null(strstr(buf, "Connection: close\r\n"));
    assert_non_null(strstr(buf, "\r\n\r\nslow"));
    cio_await(stopper, NULL);
    assert_true(test_now() - t0 >= 1.5 && test_now() - t0 < 2.0);
    assert_int_equal(cio_http_server_connections(server), 0);
    cio_stream *late;
    assert_int_equal(cio_open_connection("127.0.0.1", port, NULL, &late), -ECONNREFUSED);
    cio_stream_free(idle);
    cio_stream_free(busy);
    cio_http_server_free(server);
    return NULL;
}

static void test_graceful_shutdown(void **state) {
    (void)state;
    test_run_checked(body_graceful_shutdown, NULL);
}

/* A handler that outlives the grace period is cancelled. */
static void forever(cio_http_request *req, cio_http_response *res, void *arg) {
    (void)req, (void)arg;
    int rc = cio_sleep(1000.0);
    assert_int_equal(rc, -ECANCELED);
    (void)res;
}

static void *body_shutdown_deadline(void *arg) {
    (void)arg;
    cio_http_server *server = start(forever, NULL);
    cio_stream *s = dial(cio_http_server_port(server));
    send_str(s, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    cio_sleep(0.1);
    double t0 = test_now();
    assert_int_equal(cio_http_server_shutdown(server, 3.0), 0);
    assert_true(test_now() - t0 >= 3.0 && test_now() - t0 < 3.5);
    char buf[256];
    read_to_eof(s, buf, sizeof buf);
    cio_stream_free(s);
    cio_http_server_free(server);
    return NULL;
}

static void test_shutdown_deadline(void **state) {
    (void)state;
    test_run_checked(body_shutdown_deadline, NULL);
}

/* ---- Unix sockets, the access log, body and request timeouts --------------------------------- */

static int logged, logged_status;
static uint64_t logged_bytes;
static char logged_target[64];

static void access_log(const cio_http_request *req, int status, uint64_t bytes, double seconds,
                       void *arg) {
    (void)seconds;
    assert_ptr_equal(arg, &logged);
    const cio_http_head *h = cio_http_request_head(req);
    snprintf(logged_target, sizeof logged_target, "%.*s", (int)h->target.len, h->target.ptr);
    logged++;
    logged_status = status;
    logged_bytes = bytes;
}

static void *body_unix_and_log(void *arg) {
    (void)arg;
    char path[64];
    snprintf(path, sizeof path, "/tmp/cio-http-test-%d.sock", (int)getpid());
    cio_http_server_options opts = {.access_log = access_log, .access_log_arg = &logged};
    cio_http_server *server;
    assert_int_equal(cio_http_serve_unix(path, echo, NULL, &opts, &server), 0);
    assert_int_equal(cio_http_server_port(server), -EINVAL);
    cio_stream *s;
    assert_int_equal(cio_open_unix_connection(path, NULL, &s), 0);
    logged = 0;
    send_str(s, "GET /unix?q HTTP/1.1\r\nHost: h\r\n\r\n");
    struct reply r = read_reply(s);
    assert_string_equal(r.body, "GET /unix?q 0:");
    assert_int_equal(logged, 1);
    assert_int_equal(logged_status, 200);
    assert_int_equal(logged_bytes, strlen("GET /unix?q 0:"));
    assert_string_equal(logged_target, "/unix?q");
    cio_stream_free(s);
    stop(server);
    return NULL;
}

static void test_unix_and_log(void **state) {
    (void)state;
    test_run_checked(body_unix_and_log, NULL);
}

/* A body that stops arriving: the handler's read times out, 408, closed. */
static void *body_body_timeout(void *arg) {
    (void)arg;
    cio_http_server_options opts = {.body_timeout = 2.0};
    cio_http_server *server = start(echo, &opts);
    cio_stream *s = dial(cio_http_server_port(server));
    double t0 = test_now();
    send_str(s, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc");
    char buf[1024];
    read_to_eof(s, buf, sizeof buf);
    assert_true(strncmp(buf, "HTTP/1.1 408 ", 13) == 0);
    assert_true(test_now() - t0 >= 2.0 && test_now() - t0 < 2.5);
    cio_stream_free(s);
    stop(server);
    return NULL;
}

static void test_body_timeout(void **state) {
    (void)state;
    test_run_checked(body_body_timeout, NULL);
}

static int slow_rc;

static void slow_handler(cio_http_request *req, cio_http_response *res, void *arg) {
    (void)req, (void)arg;
    slow_rc = cio_sleep(10.0);
    if (slow_rc == 0) cio_http_response_send(res, 200, "late", 4);
}

static void *body_request_timeout(void *arg) {
    (void)arg;
    cio_http_server_options opts = {.request_timeout = 3.0};
    cio_http_server *server = start(slow_handler, &opts);
    cio_stream *s = dial(cio_http_server_port(server));
    double t0 = test_now();
    send_str(s, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    char buf[1024];
    read_to_eof(s, buf, sizeof buf); /* the handler was cut: the connection closes */
    assert_int_equal(slow_rc, -ETIMEDOUT);
    assert_true(test_now() - t0 >= 3.0 && test_now() - t0 < 3.5);
    cio_stream_free(s);
    stop(server);
    return NULL;
}

static void test_request_timeout(void **state) {
    (void)state;
    test_run_checked(body_request_timeout, NULL);
}

/* Freeing a server with connections open aborts them; misuse is refused. */
static void *body_free_open(void *arg) {
    (void)arg;
    cio_http_server *server = start(echo, NULL);
    cio_stream *s = dial(cio_http_server_port(server));
    send_str(s, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    read_reply(s);
    cio_http_server_free(server);
    char buf[64];
    read_to_eof(s, buf, sizeof buf);
    cio_stream_free(s);
    cio_http_server *bad;
    assert_int_equal(cio_http_serve("127.0.0.1", 0, NULL, NULL, NULL, &bad), -EINVAL);
    cio_http_server_options neg = {.idle_timeout = -1};
    assert_int_equal(cio_http_serve("127.0.0.1", 0, echo, NULL, &neg, &bad), -EINVAL);
    cio_sleep(0.01);
    return NULL;
}

static void test_free_open(void **state) {
    (void)state;
    test_run_checked(body_free_open, NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keep_alive_and_pipelining),
        cmocka_unit_test(test_http10),
        cmocka_unit_test(test_head),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_smuggle_pipelined),
        cmocka_unit_test(test_chunked_upload),
        cmocka_unit_test(test_expect_continue),
        cmocka_unit_test(test_expect_refused),
        cmocka_unit_test(test_streamed_answers),
        cmocka_unit_test(test_slowloris),
        cmocka_unit_test(test_idle_timeout),
        cmocka_unit_test(test_max_connections),
        cmocka_unit_test(test_graceful_shutdown),
        cmocka_unit_test(test_shutdown_deadline),
        cmocka_unit_test(test_unix_and_log),
        cmocka_unit_test(test_body_timeout),
        cmocka_unit_test(test_request_timeout),
        cmocka_unit_test(test_free_open),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
