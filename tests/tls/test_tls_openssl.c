/* TLS against a foreign peer: openssl s_server as the server of a cio
 * client (TLS 1.3 and 1.2, ALPN, a client certificate), openssl s_client as
 * the client of a cio server. Real clock: the peers are other processes,
 * each started here on loopback and stopped by its pid. */
#include "tls_fixture.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int port;

/* ---- cio client, s_server -------------------------------------------------------------------- */

struct client_case {
    cio_tls_options opts;
    const char *version; /* expected */
    const char *alpn;    /* expected */
};

static const struct client_case *client_case;

static void *client(void *arg) {
    (void)arg;
    cio_tls_context *ctx = tls_client_context(&client_case->opts);
    cio_stream *stream;
    int rc = tls_connect(&(tls_peer){.port = port}, ctx, "localhost", &stream);
    if (rc < 0) fail_msg("%s: %s", cio_strerror(rc), cio_tls_last_error());
    assert_int_equal(cio_stream_write(stream, "hello\n", 6), 0);
    char line[64];
    assert_int_equal(cio_stream_readline(stream, line, sizeof line), 6);
    assert_string_equal(line, "olleh\n"); /* s_server -rev */
    cio_tls_info info;
    assert_int_equal(cio_stream_tls_info(stream, &info), 0);
    assert_string_equal(info.version, client_case->version);
    assert_string_equal(info.alpn, client_case->alpn);
    assert_true(info.peer_verified);
    cio_stream_close(stream);
    assert_int_equal(cio_stream_wait_closed(stream), 0);
    cio_stream_free(stream);
    cio_tls_context_free(ctx);
    return NULL;
}

static void run_against_s_server(const struct client_case *c, char *const extra[]) {
    port = tls_free_port();
    char accept_arg[32];
    snprintf(accept_arg, sizeof accept_arg, "127.0.0.1:%d", port);
    char *argv[32] = {"openssl", "s_server",
                      "-accept", accept_arg,
                      "-cert",   (char *)tls_file("server.pem"),
                      "-key",    (char *)tls_file("server.key"),
                      "-rev",    "-naccept",
                      "1"};
    int argc = 11;
    for (int i = 0; extra && extra[i]; i++) argv[argc++] = extra[i];
    argv[argc] = NULL;
    int out;
    int fds = test_count_fds();
    pid_t pid = tls_spawn(argv, NULL, &out);
    assert_int_equal(tls_wait_for_text(out, "ACCEPT"), 0);
    client_case = c;
    int rc = cio_run(client, NULL, NULL);
    tls_stop(pid);
    close(out);
    assert_int_equal(rc, 0);
    assert_int_equal(test_count_fds(), fds);
}

static void test_s_server_tls13(void **state) {
    (void)state;
    struct client_case c = {.version = "TLSv1.3", .alpn = ""};
    run_against_s_server(&c, NULL);
}

static void test_s_server_tls12(void **state) {
    (void)state;
    struct client_case c = {.version = "TLSv1.2", .alpn = ""};
    char *extra[] = {"-tls1_2", NULL};
    run_against_s_server(&c, extra);
}

static void test_s_server_alpn_client_cert(void **state) {
    (void)state;
    static const char *protocols[] = {"h2", "http/1.1", NULL};
    struct client_case c = {.opts = {.alpn = protocols,
                                     .cert_file = tls_file("client.pem"),
                                     .key_file = tls_file("client.key")},
                            .version = "TLSv1.3",
                            .alpn = "http/1.1"};
    char *extra[] = {"-alpn",
                     "http/1.1",
                     "-Verify",
                     "1",
                     "-verify_return_error",
                     "-CAfile",
                     (char *)tls_file("ca.pem"),
                     NULL};
    run_against_s_server(&c, extra);
}

/* ---- s_client, cio server -------------------------------------------------------------------- */

static void echo(cio_stream *stream, void *arg) {
    (void)arg;
    char buf[4096];
    ssize_t n;
    while ((n = cio_stream_read(stream, buf, sizeof buf)) > 0)
        if (cio_stream_write(stream, buf, (size_t)n) < 0 || cio_stream_drain(stream) < 0) break;
}

static void *serve_s_client(void *arg) {
    (void)arg;
    tls_peer peer;
    tls_serve(&peer, "server", NULL, echo, NULL);
    char connect_arg[32];
    snprintf(connect_arg, sizeof connect_arg, "127.0.0.1:%d", peer.port);
    char *argv[] = {"openssl",
                    "s_client",
                    "-connect",
                    connect_arg,
                    "-CAfile",
                    (char *)tls_file("ca.pem"),
                    "-verify_return_error",
                    "-verify_hostname",
                    "localhost",
                    "-servername",
                    "localhost",
                    "-quiet",
                    NULL};
    int in, out;
    pid_t pid = tls_spawn(argv, &in, &out);
    cio_stream *from;
    assert_int_equal(cio_stream_from_fd(out, 0, &from), 0);
    assert_int_equal(write(in, "ping\n", 5), 5);
    char line[64];
    assert_int_equal(cio_stream_readline(from, line, sizeof line), 5);
    assert_string_equal(line, "ping\n");
    close(in); /* s_client ends on EOF of its stdin */
    tls_stop(pid);
    cio_stream_close(from);
    cio_stream_free(from);
    tls_unserve(&peer);
    return NULL;
}

static void test_s_client(void **state) {
    (void)state;
    int fds = test_count_fds();
    assert_int_equal(cio_run(serve_s_client, NULL, NULL), 0);
    assert_int_equal(test_count_fds(), fds);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_s_server_tls13),
        cmocka_unit_test(test_s_server_tls12),
        cmocka_unit_test(test_s_server_alpn_client_cert),
        cmocka_unit_test(test_s_client),
    };
    return TLS_RUN_TESTS(tests);
}
