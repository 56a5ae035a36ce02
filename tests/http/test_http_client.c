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
    cio_http_response *r;
    assert_int_equal(cio_http_get(NULL, at(&nginx, "/hello.txt"), &r), 0);
    assert_int_equal(cio_http_response_status(r), 200);
    size_t len;
    assert_string_equal(cio_http_response_body(r, &len), "Hello, World!");
    assert_int_equal(len, 13);
    assert_string_equal(cio_http_response_header(r, "content-length"), "13");
    assert_non_null(cio_http_response_header(r, "Server"));
    assert_int_equal(cio_http_response_version(r), 11);
    cio_http_response_free(r);
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
    cio_http_response *r;
    int rc = cio_http_get(s, at(&nginx, "/hello.txt"), &r);
    if (rc < 0) return cio_fail(rc);
    int status = cio_http_response_status(r);
    size_t len;
    cio_http_response_body(r, &len);
    cio_http_response_free(r);
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
    cio_http_response *r;
    assert_int_equal(cio_http_get(NULL, at(&nginx, "/missing"), &r), 0);
    assert_int_equal(cio_http_response_status(r), 404);
    cio_http_response_free(r);
    if (odd_rc == 0) {
        assert_int_equal(cio_http_get(NULL, at(&odd, "/status/500"), &r), 0);
        assert_int_equal(cio_http_response_status(r), 500);
        assert_string_equal(cio_http_response_body(r, NULL), "status 500");
        cio_http_response_free(r);
    }
    return NULL;
}

static void test_status_codes(void **state) {
    (void)state;
    need_curl();
    need(nginx_rc, "nginx");
    assert_int_equal(run_checked(statuses, NULL), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get),
        cmocka_unit_test(test_many_concurrent),
        cmocka_unit_test(test_status_codes),
    };
    return cmocka_run_group_tests(tests, setup_servers, teardown_servers);
}
