/* tests/http/test_http_client.c - the HTTP client against real servers on
 * loopback: nginx for plain HTTP, odd_server.py for the odd cases. Real time
 * (the servers run in real time); each test takes well under a few seconds.
 * Tests skip, saying why, when nginx, python3 or libcurl is missing. */
#include "testutil.h"

#include "servers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static test_server nginx, odd;
static int nginx_rc = -ENOENT, odd_rc = -ENOENT;
static char url_buf[256];

static const char *at(const test_server *server, const char *path) {
    snprintf(url_buf, sizeof url_buf, "http://127.0.0.1:%d%s", server->port, path);
    return url_buf;
}

static void need(int rc, const char *what) {
    if (rc == -ENOENT) {
        fprintf(stderr, "skipped: %s is not installed (scripts/deps.sh installs it)\n", what);
        skip();
    }
    assert_int_equal(rc, 0);
}

static void need_curl(void) {
    cio_http_session *s;
    if (cio_http_session_new(NULL, &s) == -ENOTSUP) {
        fprintf(stderr, "skipped: cio was built without libcurl\n");
        skip();
    }
    cio_http_session_free(s);
}

static int setup_servers(void **state) {
    (void)state;
    nginx_rc = test_nginx_start(&nginx, "location = /old { return 301 /hello.txt; }");
    if (nginx_rc == 0) {
        test_server_write_file(&nginx, "hello.txt", "Hello, World!");
        char *big = malloc(20001);
        for (int i = 0; i < 20000; i++) big[i] = (char)('a' + i % 26);
        big[20000] = '\0';
        test_server_write_file(&nginx, "big.txt", big);
        free(big);
    }
    odd_rc = test_python_start(&odd);
    return 0;
}

static int teardown_servers(void **state) {
    (void)state;
    test_server_stop(&nginx);
    test_server_stop(&odd);
    return 0;
}

/* Run fn as the main task of a fresh real-clock loop; no fd may leak. */
static int run_checked(cio_task_fn fn, void *arg) {
    int before = test_count_fds();
    int rc = cio_run(fn, arg, NULL);
    assert_int_equal(test_count_fds(), before);
    return rc;
}

/* ---- plain GETs against nginx --------------------------------------------------------- */

static void *get_hello(void *arg) {
    (void)arg;
    cio_http_client_response *r;
    assert_int_equal(cio_http_session_get(NULL, at(&nginx, "/hello.txt"), &r), 0);
    assert_int_equal(cio_http_client_response_status(r), 200);
    size_t len;
    assert_string_equal(cio_http_client_response_body(r, &len), "Hello, World!");
    assert_int_equal(len, 13);
    assert_string_equal(cio_http_client_response_header(r, "content-length"), "13");
    assert_non_null(cio_http_client_response_header(r, "Server"));
    assert_int_equal(cio_http_client_response_version(r), 11);
    cio_http_client_response_free(r);
    return NULL;
}

static void test_get(void **state) {
    (void)state;
    need_curl();
    need(nginx_rc, "nginx");
    assert_int_equal(run_checked(get_hello, NULL), 0);
}

static void *get_one(void *arg) {
    cio_http_session *s = arg;
    cio_http_client_response *r;
    int rc = cio_http_session_get(s, at(&nginx, "/hello.txt"), &r);
    if (rc < 0) return cio_fail(rc);
    int status = cio_http_client_response_status(r);
    size_t len;
    cio_http_client_response_body(r, &len);
    cio_http_client_response_free(r);
    return status == 200 && len == 13 ? NULL : cio_fail(-EPROTO);
}

static void *get_many(void *arg) {
    int n = *(int *)arg;
    cio_http_session_options opts = {.limit = -1};
    cio_http_session *s;
    assert_int_equal(cio_http_session_new(&opts, &s), 0);
    cio_task **tasks = calloc((size_t)n, sizeof *tasks);
    for (int i = 0; i < n; i++) assert_int_equal(cio_create_task(get_one, s, &tasks[i]), 0);
    int failed = 0;
    for (int i = 0; i < n; i++) failed += cio_await(tasks[i], NULL) != 0;
    free(tasks);
    cio_http_session_free(s);
    assert_int_equal(failed, 0);
    return NULL;
}

static void test_many_concurrent(void **state) {
    (void)state;
    need_curl();
    need(nginx_rc, "nginx");
    int n = test_scaled(1000, 50);
    assert_int_equal(run_checked(get_many, &n), 0);
}

/* ---- statuses are responses, not errors ------------------------------------------------ */

static void *statuses(void *arg) {
    (void)arg;
    cio_http_client_response *r;
    assert_int_equal(cio_http_session_get(NULL, at(&nginx, "/missing"), &r), 0);
    assert_int_equal(cio_http_client_response_status(r), 404);
    cio_http_client_response_free(r);
    if (odd_rc == 0) {
        assert_int_equal(cio_http_session_get(NULL, at(&odd, "/status/500"), &r), 0);
        assert_int_equal(cio_http_client_response_status(r), 500);
        assert_string_equal(cio_http_client_response_body(r, NULL), "status 500");
        cio_http_client_response_free(r);
    }
    return NULL;
}

static void test_status_codes(void **state) {
    (void)state;
    need_curl();
    need(nginx_rc, "nginx");
    assert_int_equal(run_checked(statuses, NULL), 0);
}

/* ---- the odd cases, against odd_server.py --------------------------------------------- */

static cio_http_client_response *get_ok(cio_http_session *s, const char *path) {
    cio_http_client_response *r = NULL;
    char error[CIO_HTTP_ERROR_SIZE];
    cio_http_client_options opts = {.error = error};
    int rc = cio_http_session_request(s, NULL, at(&odd, path), &opts, &r);
    if (rc != 0) fprintf(stderr, "%s: %s (%s)\n", path, cio_strerror(rc), error);
    assert_int_equal(rc, 0);
    return r;
}

static int get_err(cio_http_session *s, const char *path, const cio_http_client_options *opts) {
    cio_http_client_response *r = NULL;
    int rc = cio_http_session_request(s, "GET", at(&odd, path), opts, &r);
    if (rc == 0) cio_http_client_response_free(r);
    return rc;
}

static void *redirects(void *arg) {
    (void)arg;
    cio_http_client_response *r = get_ok(NULL, "/redirect/3");
    assert_int_equal(cio_http_client_response_status(r), 200);
    assert_int_equal(cio_http_client_response_redirects(r), 3);
    assert_string_equal(cio_http_client_response_body(r, NULL), "done\n");
    assert_non_null(strstr(cio_http_client_response_url(r), "/redirect/0"));
    cio_http_client_response_free(r);
    assert_int_equal(get_err(NULL, "/loop", NULL), -ELOOP);
    cio_http_session_options opts = {.max_redirects = 2};
    cio_http_session *s;
    assert_int_equal(cio_http_session_new(&opts, &s), 0);
    assert_int_equal(get_err(s, "/redirect/3", NULL), -ELOOP);
    assert_non_null(strstr(cio_http_session_last_error(s), "redirect"));
    cio_http_session_free(s);
    opts.max_redirects = -1; /* not followed: the 302 is the response */
    assert_int_equal(cio_http_session_new(&opts, &s), 0);
    r = get_ok(s, "/redirect/3");
    assert_int_equal(cio_http_client_response_status(r), 302);
    assert_string_equal(cio_http_client_response_header(r, "location"), "/redirect/2");
    cio_http_client_response_free(r);
    cio_http_session_free(s);
    /* nginx's own "return 301" */
    assert_int_equal(cio_http_session_get(NULL, at(&nginx, "/old"), &r), 0);
    assert_int_equal(cio_http_client_response_status(r), 200);
    assert_string_equal(cio_http_client_response_body(r, NULL), "Hello, World!");
    cio_http_client_response_free(r);
    return NULL;
}

static void test_redirects(void **state) {
    (void)state;
    need_curl();
    need(odd_rc, "python3");
    need(nginx_rc, "nginx");
    assert_int_equal(run_checked(redirects, NULL), 0);
}

static void *encodings(void *arg) {
    (void)arg;
    cio_http_client_response *r = get_ok(NULL, "/chunked");
    char expected[256] = "";
    for (int i = 0; i < 10; i++) snprintf(expected + strlen(expected), 32, "chunk %d\n", i);
    assert_string_equal(cio_http_client_response_body(r, NULL), expected);
    assert_string_equal(cio_http_client_response_header(r, "Transfer-Encoding"), "chunked");
    cio_http_client_response_free(r);
    r = get_ok(NULL, "/gzip");
    size_t len;
    const char *body = cio_http_client_response_body(r, &len);
    assert_int_equal(len, 1100);
    assert_memory_equal(body, "hello gzip\nhello gzip\n", 22);
    assert_string_equal(cio_http_client_response_header(r, "Content-Encoding"), "gzip");
    cio_http_client_response_free(r);
    if (nginx_rc == 0) { /* nginx compresses on the fly (Accept-Encoding is sent) */
        assert_int_equal(cio_http_session_get(NULL, at(&nginx, "/big.txt"), &r), 0);
        assert_string_equal(cio_http_client_response_header(r, "Content-Encoding"), "gzip");
        body = cio_http_client_response_body(r, &len);
        assert_int_equal(len, 20000);
        assert_memory_equal(body, "abcdefghijklmnopqrstuvwxyzabc", 29);
        cio_http_client_response_free(r);
    }
    return NULL;
}

static void test_chunked_and_gzip(void **state) {
    (void)state;
    need_curl();
    need(odd_rc, "python3");
    assert_int_equal(run_checked(encodings, NULL), 0);
}

static void *timeouts(void *arg) {
    (void)arg;
    double start = test_now();
    cio_http_client_options opts = {.timeout = 0.3};
    assert_int_equal(get_err(NULL, "/slow?d=3", &opts), -ETIMEDOUT);
    double took = test_now() - start;
    assert_true(took >= 0.25 && took < 2.0);
    /* A session's timeout, and a cio timeout scope around the call. */
    cio_http_session_options so = {.timeout = 0.2};
    cio_http_session *s;
    assert_int_equal(cio_http_session_new(&so, &s), 0);
    assert_int_equal(get_err(s, "/slow?d=3", NULL), -ETIMEDOUT);
    cio_http_session_free(s);
    cio_timeout scope;
    cio_timeout_begin(&scope, 0.2);
    assert_int_equal(get_err(NULL, "/slow?d=3", NULL), -ETIMEDOUT);
    assert_int_equal(cio_timeout_end(&scope), -ETIMEDOUT);
    /* idle: the body drips slower than the idle limit allows */
    so = (cio_http_session_options){.idle_timeout = 1};
    assert_int_equal(cio_http_session_new(&so, &s), 0);
    assert_int_equal(get_err(s, "/drip?n=5&d=2.5", NULL), -ETIMEDOUT);
    cio_http_session_free(s);
    return NULL;
}

static void test_timeouts(void **state) {
    (void)state;
    need_curl();
    need(odd_rc, "python3");
    assert_int_equal(run_checked(timeouts, NULL), 0);
}

static void *limits(void *arg) {
    (void)arg;
    cio_http_client_options opts = {.max_body_size = 1000};
    assert_int_equal(get_err(NULL, "/big?n=100000", &opts), -EFBIG);           /* Content-Length */
    assert_int_equal(get_err(NULL, "/big?n=100000&chunked=1", &opts), -EFBIG); /* counted */
    opts.max_body_size = 100000;
    cio_http_client_response *r;
    assert_int_equal(cio_http_session_request(NULL, NULL, at(&odd, "/big?n=100000"), &opts, &r), 0);
    size_t len;
    cio_http_client_response_body(r, &len);
    assert_int_equal(len, 100000);
    cio_http_client_response_free(r);
    return NULL;
}

static void test_body_limit(void **state) {
    (void)state;
    need_curl();
    need(odd_rc, "python3");
    assert_int_equal(run_checked(limits, NULL), 0);
}

static void *slow_get(void *arg) {
    cio_http_client_response *r = NULL;
    int rc = cio_http_session_get(NULL, at(&odd, "/drip?n=100&d=0.05"), &r);
    *(int *)arg = 1; /* reached only when the call returned */
    cio_http_client_response_free(r);
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void *cancel_mid_transfer(void *arg) {
    (void)arg;
    int returned = 0;
    cio_task *task;
    assert_int_equal(cio_create_task(slow_get, &returned, &task), 0);
    cio_sleep(0.3); /* headers and some body bytes arrived */
    int fds = test_count_fds();
    assert_int_equal(cio_task_cancel(task), 0);
    assert_true(test_count_fds() < fds); /* the connection closed at once */
    assert_int_equal(cio_await(task, NULL), -ECANCELED);
    assert_int_equal(returned, 1);
    cio_sleep(0.3); /* more bytes would arrive now: nothing may run for them */
    return NULL;
}

static void test_cancel(void **state) {
    (void)state;
    need_curl();
    need(odd_rc, "python3");
    assert_int_equal(run_checked(cancel_mid_transfer, NULL), 0);
}

static void *keepalive_closed(void *arg) {
    (void)arg;
    cio_http_session *s;
    assert_int_equal(cio_http_session_new(NULL, &s), 0);
    for (int i = 0; i < 20; i++) {
        cio_http_client_response *r = get_ok(s, i % 2 ? "/close" : "/status/200");
        assert_int_equal(cio_http_client_response_status(r), 200);
        cio_http_client_response_free(r);
    }
    cio_http_session_free(s);
    return NULL;
}

static void test_keepalive_closed_by_server(void **state) {
    (void)state;
    need_curl();
    need(odd_rc, "python3");
    assert_int_equal(run_checked(keepalive_closed, NULL), 0);
}

static void *stream(void *arg) {
    (void)arg;
    cio_http_client_options opts = {.mode = CIO_HTTP_BODY_STREAM};
    cio_http_client_response *r;
    assert_int_equal(cio_http_session_request(NULL, NULL, at(&odd, "/big?n=1000000"), &opts, &r),
                     0);
    assert_int_equal(cio_http_client_response_status(r), 200);
    char buf[4096];
    size_t total = 0;
    int reads = 0;
    ssize_t n;
    while ((n = cio_http_client_response_read(r, buf, sizeof buf)) > 0) {
        assert_int_equal(buf[0], 'a' + (int)(total % 26));
        total += (size_t)n;
        if (++reads % 64 == 0) cio_sleep(0.001); /* a slow reader: curl pauses */
    }
    assert_int_equal(n, 0);
    assert_int_equal(total, 1000000);
    cio_http_client_response_free(r);
    /* freeing a stream response mid-body aborts the transfer */
    assert_int_equal(cio_http_session_request(NULL, NULL, at(&odd, "/big?n=1000000"), &opts, &r),
                     0);
    assert_true(cio_http_client_response_read(r, buf, sizeof buf) > 0);
    cio_http_client_response_free(r);
    return NULL;
}

static void test_stream(void **state) {
    (void)state;
    need_curl();
    need(odd_rc, "python3");
    assert_int_equal(run_checked(stream, NULL), 0);
}

static void *to_file_and_post(void *arg) {
    (void)arg;
    FILE *out = tmpfile();
    cio_http_client_options opts = {.mode = CIO_HTTP_BODY_FD, .output_fd = fileno(out)};
    cio_http_client_response *r;
    assert_int_equal(cio_http_session_request(NULL, NULL, at(&odd, "/big?n=50000"), &opts, &r), 0);
    cio_http_client_response_free(r);
    assert_int_equal(ftell(out) == 50000 || lseek(fileno(out), 0, SEEK_CUR) == 50000, 1);
    /* POST from memory, PUT from the file just written */
    cio_http_client_options post = {.body = "name=cio", .body_len = 8};
    assert_int_equal(cio_http_session_request(NULL, "POST", at(&odd, "/echo"), &post, &r), 0);
    assert_string_equal(cio_http_client_response_body(r, NULL), "name=cio");
    assert_string_equal(cio_http_client_response_header(r, "X-Method"), "POST");
    cio_http_client_response_free(r);
    lseek(fileno(out), 0, SEEK_SET);
    cio_http_client_options put = {.body_fd = fileno(out), .has_body_fd = true};
    assert_int_equal(cio_http_session_request(NULL, "PUT", at(&odd, "/echo"), &put, &r), 0);
    size_t len;
    cio_http_client_response_body(r, &len);
    assert_int_equal(len, 50000);
    assert_string_equal(cio_http_client_response_header(r, "X-Method"), "PUT");
    cio_http_client_response_free(r);
    fclose(out);
    return NULL;
}

static void test_file_bodies_and_post(void **state) {
    (void)state;
    need_curl();
    need(odd_rc, "python3");
    assert_int_equal(run_checked(to_file_and_post, NULL), 0);
}

static void *cookies(void *arg) {
    (void)arg;
    cio_http_session *a, *b;
    assert_int_equal(cio_http_session_new(NULL, &a), 0);
    assert_int_equal(cio_http_session_new(NULL, &b), 0);
    cio_http_client_response_free(get_ok(a, "/setcookie"));
    cio_http_client_response *r = get_ok(a, "/getcookie");
    assert_string_equal(cio_http_client_response_body(r, NULL), "session=abc");
    cio_http_client_response_free(r);
    r = get_ok(b, "/getcookie"); /* another session, another jar */
    assert_string_equal(cio_http_client_response_body(r, NULL), "none");
    cio_http_client_response_free(r);
    cio_http_session_free(a);
    cio_http_session_free(b);
    return NULL;
}

static void test_cookies(void **state) {
    (void)state;
    need_curl();
    need(odd_rc, "python3");
    assert_int_equal(run_checked(cookies, NULL), 0);
}

static void *slow_one(void *arg) {
    cio_http_client_response *r;
    int rc = cio_http_session_get(arg, at(&odd, "/slow?d=0.2"), &r);
    cio_http_client_response_free(r);
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void *limited(void *arg) {
    (void)arg;
    cio_http_session_options opts = {.limit = 2};
    cio_http_session *s;
    assert_int_equal(cio_http_session_new(&opts, &s), 0);
    double start = test_now();
    cio_task *tasks[6];
    for (int i = 0; i < 6; i++) assert_int_equal(cio_create_task(slow_one, s, &tasks[i]), 0);
    for (int i = 0; i < 6; i++) assert_int_equal(cio_await(tasks[i], NULL), 0);
    double took = test_now() - start;
    assert_true(took >= 0.55); /* three rounds of 0.2 s, two at a time */
    cio_http_session_free(s);
    return NULL;
}

static void test_session_limit(void **state) {
    (void)state;
    need_curl();
    need(odd_rc, "python3");
    assert_int_equal(run_checked(limited, NULL), 0);
}

static void *refused(void *arg) {
    (void)arg;
    char url[64], error[CIO_HTTP_ERROR_SIZE];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", test_free_port());
    cio_http_client_options opts = {.error = error};
    cio_http_client_response *r;
    assert_int_equal(cio_http_session_request(NULL, NULL, url, &opts, &r), -ECONNREFUSED);
    assert_true(strlen(error) > 0);
    assert_int_equal(cio_http_session_get(NULL, "notascheme://x", &r), -EPROTONOSUPPORT);
    assert_int_equal(cio_http_session_get(NULL, NULL, &r), -EINVAL);
    return NULL;
}

static void test_errors(void **state) {
    (void)state;
    need_curl();
    assert_int_equal(run_checked(refused, NULL), 0);
    cio_http_client_response *r;
    assert_int_equal(cio_http_session_get(NULL, "http://127.0.0.1/", &r),
                     -EPERM); /* outside a task */
}

/* ---- the examples ------------------------------------------------------------------------ */

/* Run build/<program> args, output into out (NUL-terminated). Its exit status. */
static int run_example(const char *program, const char *args, char *out, size_t cap) {
    const char *build = getenv("CIO_TEST_BUILD_DIR");
    char command[1024];
    snprintf(command, sizeof command, "%s/%s", build ? build : ".", program);
    if (access(command, X_OK) != 0) skip(); /* -DCIO_BUILD_EXAMPLES=OFF (the fault build) */
    snprintf(command, sizeof command, "%s/%s %s 2>&1", build ? build : ".", program, args);
    FILE *p = popen(command, "r");
    assert_non_null(p);
    size_t len = fread(out, 1, cap - 1, p);
    out[len] = '\0';
    return pclose(p);
}

static void test_example_fetch_many(void **state) {
    (void)state;
    need_curl();
    need(nginx_rc, "nginx");
    char args[512], out[4096];
    snprintf(args, sizeof args, "http://127.0.0.1:%d/hello.txt http://127.0.0.1:%d/missing",
             nginx.port, nginx.port);
    assert_int_equal(run_example("fetch_many", args, out, sizeof out), 0);
    char first[128], second[128];
    snprintf(first, sizeof first, "200 13 B ");
    snprintf(second, sizeof second, "404 ");
    assert_memory_equal(out, first, strlen(first));
    char *line2 = strchr(out, '\n') + 1;
    assert_memory_equal(line2, second, strlen(second));
    assert_non_null(strstr(out, "/hello.txt\n"));
    assert_non_null(strstr(line2, "/missing\n"));
}

enum { SITE_PAGES = 300 };

/* A site of SITE_PAGES pages (each links to two children, one page further
 * on, and some to missing pages, redirects, a redirect loop, another host). */
static void write_site(test_server *server) {
    for (int i = 0; i < SITE_PAGES; i++) {
        char page[1024], name[32];
        int len = snprintf(page, sizeof page, "<html><body><a href=\"#top\">top</a>\n");
        for (int child = 2 * i + 1; child <= 2 * i + 2 && child < SITE_PAGES; child++)
            len += snprintf(page + len, sizeof page - (size_t)len, "<a href=\"p%d.html\">c</a>\n",
                            child);
        len += snprintf(page + len, sizeof page - (size_t)len, "<a href='/p%d.html'>x</a>\n",
                        (i * 7) % SITE_PAGES);
        if (i % 50 == 0)
            len += snprintf(page + len, sizeof page - (size_t)len,
                            "<a href=\"/missing%d.html\">m</a><a href=\"/r%d\">r</a>\n", i, i);
        if (i == 10)
            len += snprintf(page + len, sizeof page - (size_t)len,
                            "<a href=\"/loopa\">l</a><a href=\"http://example.invalid/\">e</a>"
                            "<a href=\"mailto:a@b\">m</a>\n");
        snprintf(page + len, sizeof page - (size_t)len, "</body></html>\n");
        snprintf(name, sizeof name, "p%d.html", i);
        test_server_write_file(server, name, page);
    }
}

static void test_example_crawl(void **state) {
    (void)state;
    need_curl();
    char extra[2048] = "types { text/html html; } "
                       "location = /loopa { return 301 /loopb; } "
                       "location = /loopb { return 301 /loopa; } ";
    for (int i = 0; i < SITE_PAGES; i += 50)
        snprintf(extra + strlen(extra), sizeof extra - strlen(extra),
                 "location = /r%d { return 301 /p%d.html; } ", i, (i + 1) % SITE_PAGES);
    test_server site;
    need(test_nginx_start(&site, extra), "nginx");
    write_site(&site);
    char args[256];
    static char out[1 << 20]; /* static: a failed assert leaks nothing */
    size_t cap = sizeof out;
    snprintf(args, sizeof args, "http://127.0.0.1:%d/p0.html --max-tasks 20", site.port);
    int status = run_example("crawl", args, out, cap);
    test_server_stop(&site);
    assert_int_equal(status, 0);
    /* Every reachable URL exactly once: the pages, 6 missing, 6 redirects, the loop's two. */
    char line[256];
    for (int i = 0; i < SITE_PAGES; i++) {
        snprintf(line, sizeof line, "200 http://127.0.0.1:%d/p%d.html\n", site.port, i);
        char *found = strstr(out, line);
        assert_non_null(found);
        assert_null(strstr(found + 1, line));
    }
    for (int i = 0; i < SITE_PAGES; i += 50) {
        snprintf(line, sizeof line, "404 http://127.0.0.1:%d/missing%d.html\n", site.port, i);
        assert_non_null(strstr(out, line));
        snprintf(line, sizeof line, "301 http://127.0.0.1:%d/r%d -> http://127.0.0.1:%d/p%d.html\n",
                 site.port, i, site.port, (i + 1) % SITE_PAGES);
        assert_non_null(strstr(out, line));
    }
    snprintf(line, sizeof line, "301 http://127.0.0.1:%d/loopb -> http://127.0.0.1:%d/loopa\n",
             site.port, site.port);
    assert_non_null(strstr(out, line));
    assert_null(strstr(out, "example.invalid"));
    assert_null(strstr(out, "ERR"));
    snprintf(line, sizeof line, "fetched %d urls, %d redirects, 0 errors in ",
             SITE_PAGES + 6 + 6 + 2, 6 + 2);
    assert_non_null(strstr(out, line));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get),
        cmocka_unit_test(test_many_concurrent),
        cmocka_unit_test(test_status_codes),
        cmocka_unit_test(test_redirects),
        cmocka_unit_test(test_chunked_and_gzip),
        cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_body_limit),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_keepalive_closed_by_server),
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_file_bodies_and_post),
        cmocka_unit_test(test_cookies),
        cmocka_unit_test(test_session_limit),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_example_fetch_many),
        cmocka_unit_test(test_example_crawl),
    };
    return cmocka_run_group_tests(tests, setup_servers, teardown_servers);
}
