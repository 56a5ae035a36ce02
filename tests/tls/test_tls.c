/* TLS streams and servers, cio against cio on loopback (virtual clock), with
 * a throwaway PKI made by the openssl command line (tls_fixture.c): a
 * verified handshake and what it negotiated, echo from 0 B to 16 MiB, the
 * certificate failures (wrong host, expired, unknown CA, self-signed),
 * client certificates, ALPN, resumption, start_tls on both sides, close
 * without close_notify, cancellation and timeouts of the handshake. No fd
 * may leak. */
#include "tls_fixture.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- a server to talk to ------------------------------------------------------------------- */

static int handler_calls;

/* Echo until EOF, then close_notify (write_eof) and return. */
static void echo(cio_stream *stream, void *arg) {
    (void)arg;
    handler_calls++;
    char *buf = malloc(65536);
    ssize_t n;
    while ((n = cio_stream_read(stream, buf, 65536)) > 0)
        if (cio_stream_write(stream, buf, (size_t)n) < 0 || cio_stream_drain(stream) < 0) break;
    if (n == 0) cio_stream_write_eof(stream);
    free(buf);
}

/* The fixture's loopback server, with echo unless a handler is given. */
static void serve(tls_peer *peer, const char *cert, const cio_tls_options *opts,
                  cio_connection_handler handler) {
    tls_serve(peer, cert, opts, handler ? handler : echo, NULL);
}

static void finish(cio_stream *stream) {
    cio_stream_close(stream);
    assert_int_equal(cio_stream_wait_closed(stream), 0);
    cio_stream_free(stream);
}

/* ---- a verified handshake ---------------------------------------------------------------------
 */

static void *verified(void *arg) {
    (void)arg;
    tls_peer peer;
    serve(&peer, "server", NULL, NULL);
    cio_tls_context *ctx = tls_client_context(NULL);
    cio_stream *stream;
    assert_int_equal(tls_connect(&peer, ctx, "localhost", &stream), 0);
    assert_true(cio_stream_is_tls(stream));
    assert_int_equal(cio_stream_write(stream, "hello\n", 6), 0);
    char line[64];
    assert_int_equal(cio_stream_readline(stream, line, sizeof line), 6);
    assert_string_equal(line, "hello\n");
    cio_tls_info info;
    assert_int_equal(cio_stream_tls_info(stream, &info), 0);
    assert_string_equal(info.version, "TLSv1.3");
    assert_true(info.peer_verified);
    assert_string_equal(info.subject, "CN=localhost");
    assert_string_equal(info.issuer, "CN=cio test CA");
    assert_string_equal(info.server_name, "localhost");
    assert_string_equal(info.alpn, "");
    char *pem;
    size_t len;
    assert_int_equal(cio_stream_tls_peer_certificate(stream, true, &pem, &len), 0);
    assert_non_null(strstr(pem, "-----BEGIN CERTIFICATE-----"));
    free(pem);
    assert_int_equal(cio_stream_tls_peer_certificate(stream, false, &pem, &len), 0);
    assert_true(len > 100 && (unsigned char)pem[0] == 0x30); /* a DER SEQUENCE */
    free(pem);
    finish(stream);
    /* By IP address: checked against the certificate's IP entry. */
    assert_int_equal(tls_connect(&peer, ctx, NULL, &stream), 0);
    finish(stream);
    cio_tls_context_free(ctx);
    tls_unserve(&peer);
    return NULL;
}

static void test_verified_handshake(void **state) {
    (void)state;
    test_run_checked(verified, NULL);
}

/* ---- echo, 0 B to 16 MiB -----------------------------------------------------------------------
 */

static unsigned char pattern(size_t i) {
    return (unsigned char)((i * 2654435761u) >> 13);
}

struct transfer {
    cio_stream *stream;
    size_t size;
};

static void *send_pattern(void *arg) {
    struct transfer *transfer = arg;
    unsigned char *chunk = malloc(40000);
    for (size_t sent = 0; sent < transfer->size;) {
        size_t len = transfer->size - sent < 40000 ? transfer->size - sent : 40000;
        for (size_t i = 0; i < len; i++) chunk[i] = pattern(sent + i);
        assert_int_equal(cio_stream_write(transfer->stream, chunk, len), 0);
        assert_int_equal(cio_stream_drain(transfer->stream), 0);
        sent += len;
    }
    free(chunk);
    assert_int_equal(cio_stream_write_eof(transfer->stream), 0);
    return NULL;
}

static void echo_size(cio_tls_context *ctx, tls_peer *peer, size_t size) {
    cio_stream *stream;
    assert_int_equal(tls_connect(peer, ctx, "localhost", &stream), 0);
    struct transfer transfer = {stream, size};
    cio_task *sender = test_spawn(send_pattern, &transfer);
    char *all;
    size_t len;
    assert_int_equal(cio_stream_read_all(stream, &all, &len), 0); /* to close_notify */
    assert_int_equal(len, size);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)all[i] != pattern(i)) fail_msg("byte %zu of %zu differs", i, size);
    free(all);
    assert_int_equal(cio_await(sender, NULL), 0);
    finish(stream);
}

static void *echo_sizes(void *arg) {
    (void)arg;
    tls_peer peer;
    serve(&peer, "server", NULL, NULL);
    cio_tls_context *ctx = tls_client_context(NULL);
    size_t sizes[] = {0,     1,     64,     16383,
                      16384, 16385, 100000, (size_t)test_scaled(16 << 20, 1 << 20)};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) echo_size(ctx, &peer, sizes[i]);
    cio_tls_context_free(ctx);
    tls_unserve(&peer);
    return NULL;
}

static void test_echo_sizes(void **state) {
    (void)state;
    test_run_checked(echo_sizes, NULL);
}

/* ---- certificate failures
 * ------------------------------------------------------------------------ */

struct refusal {
    const char *cert;   /* the server's */
    const char *name;   /* the name the client checks */
    const char *reason; /* in cio_tls_last_error() */
};

static const struct refusal *refusal; /* the case refused() runs */

static void *refused(void *arg) {
    (void)arg;
    tls_peer peer;
    serve(&peer, refusal->cert, NULL, NULL);
    handler_calls = 0;
    cio_tls_context *ctx = tls_client_context(NULL);
    cio_stream *stream = NULL;
    assert_int_equal(tls_connect(&peer, ctx, refusal->name, &stream), -CIO_ECERTIFICATE);
    assert_null(stream);
    if (!strstr(cio_tls_last_error(), refusal->reason))
        fail_msg("error \"%s\" lacks \"%s\"", cio_tls_last_error(), refusal->reason);
    /* The server dropped the client before its handler and serves on. */
    cio_tls_context *trusting = tls_client_context(&(cio_tls_options){.insecure = true});
    assert_int_equal(tls_connect(&peer, trusting, refusal->name, &stream), 0);
    assert_int_equal(cio_stream_write(stream, "x\n", 2), 0);
    char line[8];
    assert_int_equal(cio_stream_readline(stream, line, sizeof line), 2);
    finish(stream);
    assert_int_equal(handler_calls, 1);
    cio_tls_context_free(trusting);
    cio_tls_context_free(ctx);
    tls_unserve(&peer);
    return NULL;
}

static void test_wrong_hostname(void **state) {
    (void)state;
    static const struct refusal this_case = {"server", "example.org", "hostname mismatch"};
    refusal = &this_case;
    test_run_checked(refused, NULL);
}

static void test_expired(void **state) {
    (void)state;
    static const struct refusal this_case = {"expired", "localhost", "certificate has expired"};
    refusal = &this_case;
    test_run_checked(refused, NULL);
}

static void test_unknown_ca(void **state) {
    (void)state;
    static const struct refusal this_case = {"other", "localhost",
                                             "unable to get local issuer certificate"};
    refusal = &this_case;
    test_run_checked(refused, NULL);
}

static void test_self_signed(void **state) {
    (void)state;
    static const struct refusal this_case = {"self", "localhost", "self-signed certificate"};
    refusal = &this_case;
    test_run_checked(refused, NULL);
}

/* ---- client certificates ------------------------------------------------------------------------
 */

/* Tell the client who it is: the subject of its certificate. */
static void whoami(cio_stream *stream, void *arg) {
    (void)arg;
    handler_calls++;
    cio_tls_info info;
    assert_int_equal(cio_stream_tls_info(stream, &info), 0);
    assert_true(info.peer_verified);
    cio_stream_write(stream, info.subject, strlen(info.subject));
    cio_stream_write(stream, "\n", 1);
}

static void *client_certificates(void *arg) {
    (void)arg;
    tls_peer peer;
    cio_tls_options sopts = {.ca_file = tls_file("ca.pem"),
                             .verify_client = CIO_TLS_CLIENT_CERT_REQUIRED};
    serve(&peer, "server", &sopts, whoami);
    handler_calls = 0;
    /* With a certificate: the server sees it. */
    cio_tls_options copts = {.cert_file = tls_file("client.pem"),
                             .key_file = tls_file("client.key")};
    cio_tls_context *with = tls_client_context(&copts);
    cio_stream *stream;
    assert_int_equal(tls_connect(&peer, with, "localhost", &stream), 0);
    char line[128];
    assert_int_equal(cio_stream_readline(stream, line, sizeof line), 14);
    assert_string_equal(line, "CN=cio client\n");
    finish(stream);
    /* Without: TLS 1.3 finishes the client's handshake before the server
     * checks, so the refusal is the client's first read. */
    cio_tls_context *without = tls_client_context(NULL);
    assert_int_equal(tls_connect(&peer, without, "localhost", &stream), 0);
    assert_int_equal(cio_stream_readline(stream, line, sizeof line), -EPROTO);
    if (!strstr(cio_tls_last_error(), "certificate required"))
        fail_msg("error \"%s\"", cio_tls_last_error());
    finish(stream);
    assert_int_equal(handler_calls, 1);
    cio_tls_context_free(with);
    cio_tls_context_free(without);
    tls_unserve(&peer);
    return NULL;
}

static void test_client_certificate(void **state) {
    (void)state;
    test_run_checked(client_certificates, NULL);
}

/* ---- ALPN and resumption
 * -------------------------------------------------------------------------- */

static void *alpn(void *arg) {
    (void)arg;
    tls_peer peer;
    const char *server_protocols[] = {"h2", "http/1.1", NULL};
    serve(&peer, "server", &(cio_tls_options){.alpn = server_protocols}, NULL);
    const char *http1[] = {"http/1.1", NULL}, *unknown[] = {"spdy/1", NULL};
    cio_tls_context *ctx = tls_client_context(&(cio_tls_options){.alpn = http1});
    cio_stream *stream;
    assert_int_equal(tls_connect(&peer, ctx, "localhost", &stream), 0);
    cio_tls_info info;
    assert_int_equal(cio_stream_tls_info(stream, &info), 0);
    assert_string_equal(info.alpn, "http/1.1");
    finish(stream);
    cio_tls_context_free(ctx);
    /* No protocol in common: the server refuses (RFC 7301). */
    ctx = tls_client_context(&(cio_tls_options){.alpn = unknown});
    assert_int_equal(tls_connect(&peer, ctx, "localhost", &stream), -EPROTO);
    if (!strstr(cio_tls_last_error(), "no application protocol"))
        fail_msg("error \"%s\"", cio_tls_last_error());
    cio_tls_context_free(ctx);
    tls_unserve(&peer);
    return NULL;
}

static void test_alpn(void **state) {
    (void)state;
    test_run_checked(alpn, NULL);
}

static bool echo_once(tls_peer *peer, cio_tls_context *ctx) {
    cio_stream *stream;
    assert_int_equal(tls_connect(peer, ctx, "localhost", &stream), 0);
    assert_int_equal(cio_stream_write(stream, "again\n", 6), 0);
    char line[16];
    assert_int_equal(cio_stream_readline(stream, line, sizeof line), 6); /* takes the tickets too */
    cio_tls_info info;
    assert_int_equal(cio_stream_tls_info(stream, &info), 0);
    finish(stream);
    return info.session_reused;
}

static void *resumption(void *arg) {
    (void)arg;
    tls_peer peer;
    serve(&peer, "server", NULL, NULL);
    cio_tls_context *ctx = tls_client_context(NULL);
    assert_false(echo_once(&peer, ctx));
    assert_true(echo_once(&peer, ctx));
    cio_tls_context_free(ctx);
    ctx = tls_client_context(&(cio_tls_options){.no_session_cache = true});
    assert_false(echo_once(&peer, ctx));
    assert_false(echo_once(&peer, ctx));
    cio_tls_context_free(ctx);
    tls_unserve(&peer);
    return NULL;
}

static void test_resumption(void **state) {
    (void)state;
    test_run_checked(resumption, NULL);
}

/* ---- start_tls
 * ------------------------------------------------------------------------------------ */

static cio_tls_context *upgrade_ctx; /* the plain server's, for STARTTLS */

/* A line protocol that upgrades on "STARTTLS", then echoes. */
static void starttls_server(cio_stream *stream, void *arg) {
    (void)arg;
    char line[64];
    assert_int_equal(cio_stream_readline(stream, line, sizeof line), 9);
    assert_string_equal(line, "STARTTLS\n");
    assert_false(cio_stream_is_tls(stream));
    /* The client's hello came in with the line: start_tls must take it
     * from the stream's buffer. */
    assert_int_equal(cio_stream_start_tls(stream, upgrade_ctx, NULL), 0);
    echo(stream, NULL);
}

static void *start_tls(void *arg) {
    (void)arg;
    upgrade_ctx = tls_server_context("server", NULL);
    cio_server *server;
    assert_int_equal(cio_start_server("127.0.0.1", 0, starttls_server, NULL, NULL, &server), 0);
    cio_stream *stream;
    assert_int_equal(cio_open_connection("127.0.0.1", cio_server_port(server), NULL, &stream), 0);
    cio_tls_context *ctx = tls_client_context(NULL);
    assert_int_equal(cio_stream_write(stream, "STARTTLS\n", 9), 0);
    assert_int_equal(cio_stream_start_tls(stream, ctx, "localhost"), 0);
    assert_true(cio_stream_is_tls(stream));
    assert_int_equal(cio_stream_start_tls(stream, ctx, "localhost"), -EALREADY);
    assert_int_equal(cio_stream_write(stream, "secret\n", 7), 0);
    char line[16];
    assert_int_equal(cio_stream_readline(stream, line, sizeof line), 7);
    assert_string_equal(line, "secret\n");
    finish(stream);
    cio_tls_context_free(ctx);
    cio_server_close(server);
    assert_int_equal(cio_server_wait_closed(server), 0);
    cio_server_free(server);
    cio_tls_context_free(upgrade_ctx);
    return NULL;
}

static void test_start_tls(void **state) {
    (void)state;
    test_run_checked(start_tls, NULL);
}

/* ---- endings: close_notify or not ---------------------------------------------------------------
 */

/* Send a line, then end without close_notify. */
static void truncating(cio_stream *stream, void *arg) {
    (void)arg;
    cio_stream_write(stream, "data\n", 5);
    cio_stream_drain(stream);
    cio_stream_abort(stream);
}

static void *truncation(void *arg) {
    (void)arg;
    tls_peer peer;
    serve(&peer, "server", NULL, truncating);
    cio_tls_context *strict = tls_client_context(NULL);
    cio_tls_context *lenient = tls_client_context(&(cio_tls_options){.accept_truncation = true});
    cio_stream *stream;
    char buf[16];
    assert_int_equal(tls_connect(&peer, strict, "localhost", &stream), 0);
    assert_int_equal(cio_stream_readline(stream, buf, sizeof buf), 5);
    assert_int_equal(cio_stream_read(stream, buf, sizeof buf), -CIO_ETRUNCATED);
    assert_int_equal(cio_stream_read(stream, buf, sizeof buf), -CIO_ETRUNCATED); /* it stays */
    finish(stream);
    assert_int_equal(tls_connect(&peer, lenient, "localhost", &stream), 0);
    assert_int_equal(cio_stream_readline(stream, buf, sizeof buf), 5);
    assert_int_equal(cio_stream_read(stream, buf, sizeof buf), 0);
    finish(stream);
    /* close_notify from the echo server's write_eof: a clean EOF. */
    cio_tls_context_free(strict);
    cio_tls_context_free(lenient);
    tls_unserve(&peer);
    return NULL;
}

static void test_truncation(void **state) {
    (void)state;
    test_run_checked(truncation, NULL);
}

/* ---- handshake timeouts and cancellation
 * --------------------------------------------------------- */

/* A plain server that accepts and says nothing until the client goes. */
static void silent(cio_stream *stream, void *arg) {
    (void)arg;
    char buf[4096];
    while (cio_stream_read(stream, buf, sizeof buf) > 0) {
    }
}

static void *silent_server(void *arg) {
    (void)arg;
    cio_server *server;
    assert_int_equal(cio_start_server("127.0.0.1", 0, silent, NULL, NULL, &server), 0);
    cio_tls_context *ctx = tls_client_context(&(cio_tls_options){.handshake_timeout = 5});
    cio_stream *stream = NULL;
    double start = test_now();
    cio_connect_options opts = {.tls = ctx};
    assert_int_equal(cio_open_connection("127.0.0.1", cio_server_port(server), &opts, &stream),
                     -ETIMEDOUT);
    assert_true(test_now() - start == 5.0);
    assert_null(stream);
    assert_non_null(strstr(cio_tls_last_error(), "timed out"));
    cio_tls_context_free(ctx);
    cio_server_close(server);
    assert_int_equal(cio_server_wait_closed(server), 0);
    cio_server_free(server);
    return NULL;
}

static void test_timeout_silent_server(void **state) {
    (void)state;
    test_run_checked(silent_server, NULL);
}

static void *silent_client(void *arg) {
    (void)arg;
    tls_peer peer;
    serve(&peer, "server", &(cio_tls_options){.handshake_timeout = 7}, NULL);
    handler_calls = 0;
    cio_stream *stream;
    double start = test_now();
    assert_int_equal(cio_open_connection("127.0.0.1", peer.port, NULL, &stream), 0);
    char buf[16];
    ssize_t n = cio_stream_read(stream, buf, sizeof buf); /* the server drops us */
    assert_true(n == 0 || n == -ECONNRESET);
    assert_true(test_now() - start == 7.0);
    assert_int_equal(handler_calls, 0);
    assert_int_equal(cio_server_connections(peer.server), 0);
    finish(stream);
    tls_unserve(&peer);
    return NULL;
}

static void test_timeout_silent_client(void **state) {
    (void)state;
    test_run_checked(silent_client, NULL);
}

static int silent_port;

static void *connect_silent(void *arg) {
    (void)arg;
    cio_tls_context *ctx = tls_client_context(NULL);
    cio_stream *stream = NULL;
    cio_connect_options opts = {.tls = ctx, .server_hostname = "localhost"};
    int rc = cio_open_connection("127.0.0.1", silent_port, &opts, &stream);
    cio_tls_context_free(ctx);
    assert_null(stream);
    return (void *)(intptr_t)rc;
}

static void *cancel_handshake(void *arg) {
    (void)arg;
    cio_server *server;
    assert_int_equal(cio_start_server("127.0.0.1", 0, silent, NULL, NULL, &server), 0);
    silent_port = cio_server_port(server);
    cio_task *task = test_spawn(connect_silent, NULL);
    assert_int_equal(cio_sleep(1.0), 0);
    assert_false(cio_task_done(task));
    cio_task_cancel(task);
    assert_int_equal(cio_await(task, NULL), -ECANCELED);
    cio_server_close(server);
    assert_int_equal(cio_server_wait_closed(server), 0);
    cio_server_free(server);
    return NULL;
}

static void test_cancel_handshake(void **state) {
    (void)state;
    test_run_checked(cancel_handshake, NULL);
}

/* ---- misuse
 * ---------------------------------------------------------------------------------------- */

static void test_bad_contexts(void **state) {
    (void)state;
    cio_tls_context *ctx = NULL;
    assert_int_equal(cio_tls_context_new(&(cio_tls_options){.server = true}, &ctx), -EINVAL);
    assert_int_equal(cio_tls_context_new(&(cio_tls_options){.ca_file = "/nonexistent"}, &ctx),
                     -ENOENT);
    assert_non_null(strstr(cio_tls_last_error(), "/nonexistent"));
    assert_int_equal(cio_tls_context_new(&(cio_tls_options){.server = true,
                                                            .cert_file = tls_file("server.pem"),
                                                            .key_file = tls_file("client.key")},
                                         &ctx),
                     -EINVAL);
    assert_int_equal(cio_tls_context_new(&(cio_tls_options){.min_version = 0x0301}, &ctx), -EINVAL);
    assert_null(ctx);
    assert_int_equal(cio_tls_context_new(NULL, NULL), -EINVAL);
    cio_tls_context_free(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verified_handshake),
        cmocka_unit_test(test_echo_sizes),
        cmocka_unit_test(test_wrong_hostname),
        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_unknown_ca),
        cmocka_unit_test(test_self_signed),
        cmocka_unit_test(test_client_certificate),
        cmocka_unit_test(test_alpn),
        cmocka_unit_test(test_resumption),
        cmocka_unit_test(test_start_tls),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_timeout_silent_server),
        cmocka_unit_test(test_timeout_silent_client),
        cmocka_unit_test(test_cancel_handshake),
        cmocka_unit_test(test_bad_contexts),
    };
    return TLS_RUN_TESTS(tests);
}
