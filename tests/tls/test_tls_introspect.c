/* What the task dump shows for TLS (issue 16): a server's connection task
 * in its handshake shows "tls handshake fd N read", and a read on a TLS
 * stream "stream read fd N (tls)" (cio_task_info.wait_detail "tls"). Real
 * clock, loopback; a few milliseconds. */
#include "tls_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct {
    cio_server *server;
    cio_stream *plain, *tls;
} w;

static void hold(cio_stream *stream, void *arg) {
    (void)arg;
    char buf[512];
    while (cio_stream_read(stream, buf, sizeof buf) > 0) {
    }
}

static void *read_tls(void *arg) {
    (void)arg;
    char buf[16];
    ssize_t n = cio_stream_read(w.tls, buf, sizeof buf);
    return n < 0 ? cio_fail((int)n) : NULL;
}

static bool has_all(const char *text, const char *const *lines, size_t count) {
    for (size_t i = 0; i < count; i++)
        if (!strstr(text, lines[i])) return false;
    return true;
}

static void *inspect(void *arg) {
    (void)arg;
    cio_tls_context *server_ctx = tls_server_context("server", NULL);
    cio_server_options sopts = {.tls = server_ctx};
    assert_int_equal(cio_start_server("127.0.0.1", 0, hold, NULL, &sopts, &w.server), 0);
    cio_tls_context_free(server_ctx);
    int port = cio_server_port(w.server);
    /* A plain client that never says hello: the server's task stays in the handshake. */
    assert_int_equal(cio_open_connection("127.0.0.1", port, NULL, &w.plain), 0);
    cio_tls_context *ctx = tls_client_context(NULL);
    cio_connect_options copts = {.tls = ctx, .server_hostname = "localhost"};
    assert_int_equal(cio_open_connection("127.0.0.1", port, &copts, &w.tls), 0);
    cio_tls_context_free(ctx);
    cio_task *reader = test_spawn(read_tls, NULL);

    char line[64];
    snprintf(line, sizeof line, "stream read fd %d (tls)", cio_stream_fd(w.tls));
    const char *lines[] = {"tls handshake fd ", line};
    char *text = test_dump_tasks();
    for (int i = 0; i < 500 && !has_all(text, lines, 2); i++) { /* real sockets: a moment */
        free(text);
        assert_int_equal(cio_sleep(0.01), 0);
        text = test_dump_tasks();
    }
    for (size_t i = 0; i < 2; i++)
        if (!strstr(text, lines[i])) fail_msg("dump lacks '%s':\n%s", lines[i], text);
    free(text);
    cio_task_info info;
    assert_int_equal(cio_task_get_info(reader, &info), 0);
    assert_int_equal(info.wait, CIO_WAIT_STREAM_READ);
    assert_string_equal(info.wait_detail, "tls");
    assert_int_equal(info.fd, cio_stream_fd(w.tls));
    assert_int_equal(info.fd_events, CIO_FD_READ); /* OpenSSL wants to read */

    cio_task_cancel(reader);
    assert_int_equal(cio_await(reader, NULL), -ECANCELED);
    cio_stream_free(w.tls); /* closes */
    cio_stream_free(w.plain);
    cio_server_close(w.server);
    assert_int_equal(cio_server_wait_closed(w.server), 0);
    cio_server_free(w.server);
    return NULL;
}

static void tls_waits(void **state) {
    (void)state;
    assert_int_equal(cio_run(inspect, NULL, NULL), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tls_waits),
    };
    return cmocka_run_group_tests(tests, tls_fixture_setup, tls_fixture_teardown);
}
