/* The router (parameters, 404, 405 with Allow) and static files (ranges,
 * conditional requests, index.html, content types, sendfile of a big file,
 * and traversal attempts: "..", encoded dots and slashes, NUL, symlinks out
 * of the root), over real loopback sockets. Virtual clock; no fd may leak. */
#include "http_test.h"

#include <sys/stat.h>
#include <unistd.h>

/* ---- router --------------------------------------------------------------------------------- */

static void user(cio_http_request *req, cio_http_response *res, void *arg) {
    (void)arg;
    cio_http_slice id;
    assert_int_equal(cio_http_request_param(req, "id", &id), 0);
    char out[64];
    int n = snprintf(out, sizeof out, "user %.*s", (int)id.len, id.ptr);
    cio_http_response_send(res, 200, out, (size_t)n);
}

static void created(cio_http_request *req, cio_http_response *res, void *arg) {
    (void)req, (void)arg;
    cio_http_response_send(res, 201, "made", 4);
}

static void rest(cio_http_request *req, cio_http_response *res, void *arg) {
    (void)arg;
    cio_http_slice p, v;
    assert_int_equal(cio_http_request_param(req, "rest", &p), 0);
    assert_int_equal(cio_http_request_param(req, "v", &v), 0);
    char out[128];
    int n = snprintf(out, sizeof out, "%.*s|%.*s", (int)v.len, v.ptr, (int)p.len, p.ptr);
    cio_http_response_send(res, 200, out, (size_t)n);
}

static struct reply ask(cio_stream *s, const char *request) {
    send_str(s, request);
    return read_reply(s);
}

static bool has(const struct reply *r, const char *text) {
    return strstr(r->head, text) != NULL;
}

static void *body_router(void *arg) {
    (void)arg;
    cio_http_router *router;
    assert_int_equal(cio_http_router_new(&router), 0);
    assert_int_equal(cio_http_router_add(router, "GET", "/users/:id", user, NULL), 0);
    assert_int_equal(cio_http_router_add(router, "POST", "/users", created, NULL), 0);
    assert_int_equal(cio_http_router_add(router, "PUT", "/users/:id", created, NULL), 0);
    assert_int_equal(cio_http_router_add(router, "*", "/api/:v/*rest", rest, NULL), 0);
    assert_int_equal(cio_http_router_add(router, "GET", "no-slash", user, NULL), -EINVAL);
    assert_int_equal(cio_http_router_add(router, "GET", "/a/*b/c", user, NULL), -EINVAL);
    cio_http_server *server;
    assert_int_equal(cio_http_serve("127.0.0.1", 0, cio_http_router_handle, router, NULL, &server),
                     0);
    cio_stream *s = dial(cio_http_server_port(server));
    struct reply r = ask(s, "GET /users/42?x=1 HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "user 42");
    send_str(s, "HEAD /users/7 HTTP/1.1\r\nHost: h\r\n\r\n");
    static char hbuf[4096];
    size_t have = 0;
    read_reply_from(s, hbuf, sizeof hbuf, &have, &r, true);
    assert_int_equal(r.status, 200);
    assert_true(has(&r, "Content-Length: 6\r\n"));
    assert_int_equal(have, 0);
    r = ask(s, "DELETE /users/42 HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(r.status, 405);
    assert_true(has(&r, "Allow: GET, HEAD, PUT\r\n"));
    r = ask(s, "GET /users HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(r.status, 405);
    assert_true(has(&r, "Allow: POST\r\n"));
    r = ask(s, "POST /users HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}");
    assert_int_equal(r.status, 201);
    r = ask(s, "GET /users/ HTTP/1.1\r\nHost: h\r\n\r\n"); /* empty parameter */
    assert_int_equal(r.status, 404);
    r = ask(s, "GET /users/1/2 HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(r.status, 404);
    r = ask(s, "GET /nope HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(r.status, 404);
    r = ask(s, "PATCH /api/v2/a/b/c HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_string_equal(r.body, "v2|a/b/c");
    r = ask(s, "GET /api/v1/ HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_string_equal(r.body, "v1|");
    cio_stream_free(s);
    assert_int_equal(cio_http_server_shutdown(server, 1.0), 0);
    cio_http_server_free(server);
    cio_http_router_free(router);
    return NULL;
}

static void test_router(void **state) {
    (void)state;
    test_run_checked(body_router, NULL);
}

/* ---- static files --------------------------------------------------------------------------- */

static char base[64], root[96];
static const char HELLO[] = "Hello, static world!\n";
#define BIG_SIZE (1u << 20)

static unsigned char big_byte(size_t i) {
    return (unsigned char)(i * 7 + i / 251);
}

static void write_file(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void make_tree(void) {
    strcpy(base, "/tmp/cio-static-XXXXXX");
    assert_non_null(mkdtemp(base));
    char path[256];
    snprintf(root, sizeof root, "%s/root", base);
    assert_int_equal(mkdir(root, 0755), 0);
    snprintf(path, sizeof path, "%s/outside.txt", base);
    write_file(path, "secret", 6);
    snprintf(path, sizeof path, "%s/hello.txt", root);
    write_file(path, HELLO, sizeof HELLO - 1);
    snprintf(path, sizeof path, "%s/sub", root);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/sub/index.html", root);
    write_file(path, "<p>index</p>", 12);
    unsigned char *big = malloc(BIG_SIZE);
    for (size_t i = 0; i < BIG_SIZE; i++) big[i] = big_byte(i);
    snprintf(path, sizeof path, "%s/big.bin", root);
    write_file(path, big, BIG_SIZE);
    free(big);
    char target[256];
    snprintf(path, sizeof path, "%s/out", root);
    snprintf(target, sizeof target, "%s/outside.txt", base);
    assert_int_equal(symlink(target, path), 0);
    snprintf(path, sizeof path, "%s/in", root);
    assert_int_equal(symlink("hello.txt", path), 0);
    snprintf(path, sizeof path, "%s/outdir", root);
    assert_int_equal(symlink("/etc", path), 0);
}

static void remove_tree(void) {
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", base);
    assert_int_equal(system(cmd), 0);
}

/* The value of a header in a reply's head ("" if absent). */
static void header_of(const struct reply *r, const char *name, char *out, size_t cap) {
    char key[64];
    snprintf(key, sizeof key, "\r\n%s: ", name);
    const char *p = strstr(r->head, key);
    out[0] = '\0';
    if (!p) return;
    p += strlen(key);
    const char *end = strstr(p, "\r\n");
    snprintf(out, cap, "%.*s", (int)(end - p), p);
}

static void *body_static(void *arg) {
    (void)arg;
    cio_http_static *files;
    assert_int_equal(cio_http_static_new("/nonexistent-dir", &files), -ENOENT);
    assert_int_equal(cio_http_static_new(root, &files), 0);
    cio_http_server *server;
    assert_int_equal(cio_http_serve("127.0.0.1", 0, cio_http_static_handle, files, NULL, &server),
                     0);
    cio_stream *s = dial(cio_http_server_port(server));
    struct reply r = ask(s, "GET /hello.txt HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, HELLO);
    assert_true(has(&r, "Content-Type: text/plain; charset=utf-8\r\n"));
    assert_true(has(&r, "Accept-Ranges: bytes\r\n"));
    char etag[64], modified[64], req[512];
    header_of(&r, "ETag", etag, sizeof etag);
    header_of(&r, "Last-Modified", modified, sizeof modified);
    assert_true(etag[0] == '"' && modified[0]);

    send_str(s, "HEAD /hello.txt HTTP/1.1\r\nHost: h\r\n\r\n");
    static char hbuf[4096];
    size_t have = 0;
    read_reply_from(s, hbuf, sizeof hbuf, &have, &r, true);
    assert_int_equal(r.status, 200);
    assert_true(has(&r, "Content-Length: 21\r\n")); /* the GET's length, no body */
    assert_int_equal(have, 0);

    /* conditional requests */
    snprintf(req, sizeof req, "GET /hello.txt HTTP/1.1\r\nHost: h\r\nIf-None-Match: %s\r\n\r\n",
             etag);
    r = ask(s, req);
    assert_int_equal(r.status, 304);
    assert_int_equal(r.body_len, 0);
    snprintf(req, sizeof req,
             "GET /hello.txt HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"x\", %s\r\n\r\n", etag);
    assert_int_equal(ask(s, req).status, 304);
    r = ask(s, "GET /hello.txt HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"other\"\r\n\r\n");
    assert_int_equal(r.status, 200);
    snprintf(req, sizeof req, "GET /hello.txt HTTP/1.1\r\nHost: h\r\nIf-Modified-Since: %s\r\n\r\n",
             modified);
    assert_int_equal(ask(s, req).status, 304);
    r = ask(s, "GET /hello.txt HTTP/1.1\r\nHost: h\r\nIf-Modified-Since: Mon, 01 Jan 2001 00:00:00 "
               "GMT\r\n\r\n");
    assert_int_equal(r.status, 200);

    /* ranges */
    r = ask(s, "GET /hello.txt HTTP/1.1\r\nHost: h\r\nRange: bytes=0-4\r\n\r\n");
    assert_int_equal(r.status, 206);
    assert_string_equal(r.body, "Hello");
    assert_true(has(&r, "Content-Range: bytes 0-4/21\r\n"));
    r = ask(s, "GET /hello.txt HTTP/1.1\r\nHost: h\r\nRange: bytes=-7\r\n\r\n");
    assert_int_equal(r.status, 206);
    assert_string_equal(r.body, "world!\n");
    r = ask(s, "GET /hello.txt HTTP/1.1\r\nHost: h\r\nRange: bytes=14-\r\n\r\n");
    assert_string_equal(r.body, "world!\n");
    r = ask(s, "GET /hello.txt HTTP/1.1\r\nHost: h\r\nRange: bytes=10-999\r\n\r\n");
    assert_true(has(&r, "Content-Range: bytes 10-20/21\r\n"));
    r = ask(s, "GET /hello.txt HTTP/1.1\r\nHost: h\r\nRange: bytes=21-\r\n\r\n");
    assert_int_equal(r.status, 416);
    assert_true(has(&r, "Content-Range: bytes */21\r\n"));
    r = ask(s, "GET /hello.txt HTTP/1.1\r\nHost: h\r\nRange: bytes=0-1,3-4\r\n\r\n");
    assert_int_equal(r.status, 200); /* several ranges: the whole file */
    r = ask(
        s, "GET /hello.txt HTTP/1.1\r\nHost: h\r\nRange: bytes=0-4\r\nIf-Range: \"stale\"\r\n\r\n");
    assert_int_equal(r.status, 200);
    r = ask(s, "GET /big.bin HTTP/1.1\r\nHost: h\r\nRange: bytes=500000-500099\r\n\r\n");
    assert_int_equal(r.status, 206);
    assert_int_equal(r.body_len, 100);
    for (size_t i = 0; i < 100; i++)
        assert_int_equal((unsigned char)r.body[i], big_byte(500000 + i));

    /* index.html, methods */
    r = ask(s, "GET /sub/ HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_string_equal(r.body, "<p>index</p>");
    assert_true(has(&r, "Content-Type: text/html; charset=utf-8\r\n"));
    r = ask(s, "POST /hello.txt HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(r.status, 405);
    assert_true(has(&r, "Allow: GET, HEAD\r\n"));
    r = ask(s, "GET /in HTTP/1.1\r\nHost: h\r\n\r\n"); /* a symlink inside the root */
    assert_string_equal(r.body, HELLO);

    /* traversal: every one is 404, and the secret never shows */
    static const char *const attempts[] = {
        "/../outside.txt",
        "/%2e%2e/outside.txt",
        "/%2E%2E/outside.txt",
        "/sub/../../outside.txt",
        "/sub/%2e%2e/%2e%2e/outside.txt",
        "/..%2foutside.txt",
        "/sub%2f..%2f..%2foutside.txt",
        "/hello.txt%00",
        "/hello.txt%00.png",
        "/out",
        "/outdir/passwd",
        "/..",
        "/%",
        "/%zz",
        "/nothing-here",
        "/sub/..%5c..%5coutside.txt",
    };
    for (size_t i = 0; i < sizeof attempts / sizeof attempts[0]; i++) {
        snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: h\r\n\r\n", attempts[i]);
        r = ask(s, req);
        if (r.status != 404) fail_msg("%s: %d", attempts[i], r.status);
        assert_null(strstr(r.body, "secret"));
    }
    cio_stream_free(s);

    /* the whole big file, by sendfile */
    s = dial(cio_http_server_port(server));
    send_str(s, "GET /big.bin HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
    char *all = malloc(BIG_SIZE + 4096);
    size_t len = read_to_eof(s, all, BIG_SIZE + 4096);
    const char *body = strstr(all, "\r\n\r\n") + 4;
    assert_int_equal(len - (size_t)(body - all), BIG_SIZE);
    for (size_t i = 0; i < BIG_SIZE; i++)
        if ((unsigned char)body[i] != big_byte(i)) fail_msg("byte %zu differs", i);
    free(all);
    cio_stream_free(s);
    assert_int_equal(cio_http_server_shutdown(server, 1.0), 0);
    cio_http_server_free(server);
    cio_http_static_free(files);
    return NULL;
}

static void test_static(void **state) {
    (void)state;
    make_tree();
    test_run_checked(body_static, NULL);
    remove_tree();
}

/* The router serving static files under a prefix, with the "path" parameter. */
static void *body_static_routed(void *arg) {
    (void)arg;
    cio_http_static *files;
    assert_int_equal(cio_http_static_new(root, &files), 0);
    cio_http_router *router;
    cio_http_router_new(&router);
    cio_http_router_add(router, "GET", "/static/*path", cio_http_static_handle, files);
    cio_http_server *server;
    assert_int_equal(cio_http_serve("127.0.0.1", 0, cio_http_router_handle, router, NULL, &server),
                     0);
    cio_stream *s = dial(cio_http_server_port(server));
    struct reply r = ask(s, "GET /static/hello.txt HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_string_equal(r.body, HELLO);
    r = ask(s, "GET /static/../outside.txt HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(r.status, 404);
    r = ask(s, "GET /hello.txt HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(r.status, 404);
    cio_stream_free(s);
    assert_int_equal(cio_http_server_shutdown(server, 1.0), 0);
    cio_http_server_free(server);
    cio_http_router_free(router);
    cio_http_static_free(files);
    return NULL;
}

static void test_static_routed(void **state) {
    (void)state;
    make_tree();
    test_run_checked(body_static_routed, NULL);
    remove_tree();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_router),
        cmocka_unit_test(test_static),
        cmocka_unit_test(test_static_routed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
