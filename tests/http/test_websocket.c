/* WebSocket connections over real loopback sockets: the handshake (and its
 * refusals), echo through cio's client, fragmentation both ways, ping/pong,
 * close codes and reasons, an oversized message (1009), invalid UTF-8
 * (1007), unmasked client frames (1002), raw frames from a hand-made
 * client. Virtual clock; no fd may leak. */
#include "http_test.h"

#include <cio/websocket.h>

#include "http/websocket.h" /* to see what was negotiated */

static int server_rc;              /* how the server's receive loop ended */
static uint16_t server_close_code; /* and the close code it saw */
static char server_reason[128];

static void echo_ws(cio_http_request *req, cio_http_response *res, void *arg) {
    const cio_websocket_open_options *opts = arg;
    cio_websocket *ws;
    if (cio_websocket_accept_upgrade(req, res, opts, &ws) < 0) return;
    cio_websocket_message msg;
    while ((server_rc = cio_websocket_receive(ws, &msg)) == 0)
        if (cio_websocket_send(ws, msg.type, msg.data, msg.len) < 0) break;
    server_close_code = cio_websocket_close_code(ws);
    snprintf(server_reason, sizeof server_reason, "%s", cio_websocket_close_reason(ws));
    cio_websocket_free(ws);
}

static cio_http_server *start_ws(const cio_websocket_open_options *opts) {
    cio_http_server *server;
    assert_int_equal(cio_http_serve("127.0.0.1", 0, echo_ws, (void *)opts, NULL, &server), 0);
    server_rc = 0;
    server_close_code = 0;
    return server;
}

static void stop(cio_http_server *server) {
    assert_int_equal(cio_http_server_shutdown(server, 1.0), 0);
    cio_http_server_free(server);
}

static cio_websocket *connect_to(cio_http_server *server, const char *path) {
    char url[128];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d%s", cio_http_server_port(server), path);
    cio_websocket *ws;
    assert_int_equal(cio_websocket_connect(url, NULL, &ws), 0);
    return ws;
}

/* ---- through cio's client -------------------------------------------------------------------- */

static void *body_echo(void *arg) {
    (void)arg;
    cio_http_server *server = start_ws(NULL);
    cio_websocket *ws = connect_to(server, "/chat?room=1");
    cio_websocket_message msg;
    assert_int_equal(cio_websocket_send(ws, CIO_WEBSOCKET_TEXT, "héllo", strlen("héllo")), 0);
    assert_int_equal(cio_websocket_receive(ws, &msg), 0);
    assert_int_equal(msg.type, CIO_WEBSOCKET_TEXT);
    assert_string_equal(msg.data, "héllo");
    char big[70000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (char)i;
    assert_int_equal(cio_websocket_send(ws, CIO_WEBSOCKET_BINARY, big, sizeof big), 0);
    assert_int_equal(cio_websocket_receive(ws, &msg), 0);
    assert_int_equal(msg.type, CIO_WEBSOCKET_BINARY);
    assert_int_equal(msg.len, sizeof big);
    assert_memory_equal(msg.data, big, sizeof big);
    /* fragments: reassembled by the server, echoed whole */
    assert_int_equal(cio_websocket_send_fragmented(ws, CIO_WEBSOCKET_TEXT, "abcdefghij", 10, 3), 0);
    assert_int_equal(cio_websocket_receive(ws, &msg), 0);
    assert_string_equal(msg.data, "abcdefghij");
    /* a ping in between: the pong is consumed, the message arrives */
    assert_int_equal(cio_websocket_ping(ws, "p", 1), 0);
    assert_int_equal(cio_websocket_send(ws, CIO_WEBSOCKET_TEXT, "", 0), 0);
    assert_int_equal(cio_websocket_receive(ws, &msg), 0);
    assert_int_equal(msg.len, 0);
    assert_int_equal(cio_websocket_send(ws, CIO_WEBSOCKET_TEXT, "\xff", 1), -EINVAL);
    /* close with a code and reason: the server sees both, and echoes the code */
    assert_int_equal(cio_websocket_shutdown(ws, 4001, "bye now"), 0);
    assert_int_equal(cio_websocket_close_code(ws), 4001);
    assert_int_equal(cio_websocket_receive(ws, &msg), -CIO_ECLOSED);
    assert_int_equal(cio_websocket_send(ws, CIO_WEBSOCKET_TEXT, "x", 1), -CIO_ECLOSED);
    cio_websocket_free(ws);
    cio_sleep(0.01);
    assert_int_equal(server_rc, -CIO_ECLOSED);
    assert_int_equal(server_close_code, 4001);
    assert_string_equal(server_reason, "bye now");
    stop(server);
    return NULL;
}

static void test_echo(void **state) {
    (void)state;
    test_run_checked(body_echo, NULL);
}

static void *body_too_big(void *arg) {
    (void)arg;
    static const cio_websocket_open_options small = {.max_message = 1000};
    cio_http_server *server = start_ws(&small);
    cio_websocket *ws = connect_to(server, "/");
    char buf[1500] = {0};
    cio_websocket_message msg;
    /* in fragments, each under the limit, the whole over it */
    assert_int_equal(cio_websocket_send_fragmented(ws, CIO_WEBSOCKET_BINARY, buf, 1500, 600), 0);
    assert_int_equal(cio_websocket_receive(ws, &msg), -CIO_ECLOSED);
    assert_int_equal(cio_websocket_close_code(ws), CIO_WEBSOCKET_CLOSE_TOO_BIG);
    cio_websocket_free(ws);
    cio_sleep(0.01);
    assert_int_equal(server_rc, -EMSGSIZE);
    /* one frame over the limit: refused from its header */
    ws = connect_to(server, "/");
    assert_int_equal(cio_websocket_send(ws, CIO_WEBSOCKET_BINARY, buf, 1001), 0);
    assert_int_equal(cio_websocket_receive(ws, &msg), -CIO_ECLOSED);
    assert_int_equal(cio_websocket_close_code(ws), 1009);
    cio_websocket_free(ws);
    stop(server);
    return NULL;
}

static void test_too_big(void **state) {
    (void)state;
    test_run_checked(body_too_big, NULL);
}

/* permessage-deflate between cio's client and server: negotiated, messages
 * round-trip compressed, and a small compressed message that inflates past
 * max_message is refused with 1009 (no decompression bomb). */
static void *body_deflate(void *arg) {
    (void)arg;
    static const cio_websocket_open_options server_opts = {.permessage_deflate = true,
                                                           .max_message = 100000};
    cio_http_server *server = start_ws(&server_opts);
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/", cio_http_server_port(server));
    cio_websocket_open_options opts = {.permessage_deflate = true, .max_message = 1 << 22};
    cio_websocket *ws;
    assert_int_equal(cio_websocket_connect(url, &opts, &ws), 0);
    assert_non_null(ws->z); /* negotiated */
    static char text[90000];
    for (size_t i = 0; i < sizeof text - 1; i++) text[i] = "abcdefgh"[i % 8];
    cio_websocket_message msg;
    for (int round = 0; round < 3; round++) { /* the inflater keeps working across messages */
        assert_int_equal(cio_websocket_send(ws, CIO_WEBSOCKET_TEXT, text, sizeof text - 1), 0);
        assert_int_equal(cio_websocket_receive(ws, &msg), 0);
        assert_int_equal(msg.len, sizeof text - 1);
        assert_memory_equal(msg.data, text, msg.len);
    }
    assert_int_equal(cio_websocket_send(ws, CIO_WEBSOCKET_TEXT, "short", 5), 0); /* uncompressed */
    assert_int_equal(cio_websocket_receive(ws, &msg), 0);
    assert_string_equal(msg.data, "short");
    char *zeros = calloc(1, 1 << 21); /* 2 MiB of zeros: about 2 KB compressed */
    assert_int_equal(cio_websocket_send(ws, CIO_WEBSOCKET_BINARY, zeros, 1 << 21), 0);
    free(zeros);
    assert_int_equal(cio_websocket_receive(ws, &msg), -CIO_ECLOSED);
    assert_int_equal(cio_websocket_close_code(ws), CIO_WEBSOCKET_CLOSE_TOO_BIG);
    cio_websocket_free(ws);
    cio_sleep(0.01);
    assert_int_equal(server_rc, -EMSGSIZE);
    /* a client that does not offer it gets plain frames */
    assert_int_equal(cio_websocket_connect(url, NULL, &ws), 0);
    assert_null(ws->z);
    cio_websocket_free(ws);
    stop(server);
    return NULL;
}

static void test_deflate(void **state) {
    (void)state;
    if (!cio__websocket_deflate_available()) skip(); /* built without zlib */
    test_run_checked(body_deflate, NULL);
}

/* ---- raw frames ---------------------------------------------------------------------------------
 */

static const char UPGRADE[] = "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
                              "Connection: keep-alive, Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              "Sec-WebSocket-Version: 13\r\n\r\n";

/* A raw client: handshake, then frames by hand. */
static cio_stream *raw_open(cio_http_server *server, const char *first_frames, size_t len) {
    cio_stream *s = dial(cio_http_server_port(server));
    send_str(s, UPGRADE);
    if (len) assert_int_equal(cio_stream_write(s, first_frames, len), 0); /* before the 101 */
    char head[512];
    ssize_t n = cio_stream_readuntil(s, "\r\n\r\n", 4, head, sizeof head);
    assert_true(n > 0);
    head[n] = '\0';
    assert_non_null(strstr(head, "HTTP/1.1 101 Switching Protocols\r\n"));
    assert_non_null(strstr(head, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
    return s;
}

/* A masked frame into out; returns its length. */
static size_t frame(char *out, int opcode, bool fin, const char *payload, size_t len) {
    cio_websocket_frame f = {.fin = fin,
                             .opcode = (uint8_t)opcode,
                             .masked = true,
                             .mask = {1, 2, 3, 4},
                             .payload_len = len};
    ssize_t h = cio_websocket_frame_write_header(&f, out, 14);
    memcpy(out + h, payload, len);
    cio_websocket_mask(out + h, len, f.mask, 0);
    return (size_t)h + len;
}

/* Read one (unmasked) frame from the server: opcode, payload into buf. */
static int read_frame(cio_stream *s, char *buf, size_t *len) {
    unsigned char h[2];
    assert_int_equal(cio_stream_readexactly(s, h, 2, NULL), 0);
    assert_int_equal(h[1] & 0x80, 0);
    *len = h[1] & 0x7f;
    assert_true(*len <= 125);
    assert_int_equal(cio_stream_readexactly(s, buf, *len, NULL), 0);
    return h[0] & 0x0f;
}

static uint16_t read_close(cio_stream *s) {
    char buf[128];
    size_t len;
    assert_int_equal(read_frame(s, buf, &len), CIO_WEBSOCKET_CLOSE);
    assert_true(len >= 2);
    return (uint16_t)((unsigned char)buf[0] << 8 | (unsigned char)buf[1]);
}

static void *body_raw_frames(void *arg) {
    (void)arg;
    cio_http_server *server = start_ws(NULL);
    char out[512], in[128];
    size_t n = 0, len;
    /* frames sent with the request, before the 101: kept for the new protocol */
    n += frame(out + n, CIO_WEBSOCKET_TEXT, false, "ab", 2);
    n += frame(out + n, CIO_WEBSOCKET_PING, true, "ping!", 5); /* between fragments */
    n += frame(out + n, CIO_WEBSOCKET_CONTINUATION, false, "cd", 2);
    n += frame(out + n, CIO_WEBSOCKET_CONTINUATION, true, "e", 1);
    cio_stream *s = raw_open(server, out, n);
    assert_int_equal(read_frame(s, in, &len), CIO_WEBSOCKET_PONG);
    assert_memory_equal(in, "ping!", 5);
    assert_int_equal(read_frame(s, in, &len), CIO_WEBSOCKET_TEXT);
    assert_int_equal(len, 5);
    assert_memory_equal(in, "abcde", 5);
    /* invalid UTF-8 split across fragments: 1007 */
    n = frame(out, CIO_WEBSOCKET_TEXT, false, "ok \xe2\x82", 5);
    n += frame(out + n, CIO_WEBSOCKET_CONTINUATION, true, "\x28", 1);
    assert_int_equal(cio_stream_write(s, out, n), 0);
    assert_int_equal(read_close(s), 1007);
    assert_int_equal(read_to_eof(s, in, sizeof in), 0);
    cio_stream_free(s);
    cio_sleep(0.01);
    assert_int_equal(server_rc, -EILSEQ);

    /* an unmasked frame from a client: 1002 */
    s = raw_open(server, NULL, 0);
    assert_int_equal(cio_stream_write(s, "\x81\x02hi", 4), 0);
    assert_int_equal(read_close(s), 1002);
    cio_stream_free(s);
    /* a continuation with no message started: 1002 */
    s = raw_open(server, NULL, 0);
    n = frame(out, CIO_WEBSOCKET_CONTINUATION, true, "x", 1);
    assert_int_equal(cio_stream_write(s, out, n), 0);
    assert_int_equal(read_close(s), 1002);
    cio_stream_free(s);
    /* a close with an invalid code (1005 may not be sent): 1002 */
    s = raw_open(server, NULL, 0);
    n = frame(out, CIO_WEBSOCKET_CLOSE, true, "\x03\xed", 2);
    assert_int_equal(cio_stream_write(s, out, n), 0);
    assert_int_equal(read_close(s), 1002);
    cio_stream_free(s);
    /* a clean close: echoed, then the server closes the TCP connection */
    s = raw_open(server, NULL, 0);
    n = frame(out, CIO_WEBSOCKET_CLOSE, true,
              "\x03\xe8"
              "done",
              6);
    assert_int_equal(cio_stream_write(s, out, n), 0);
    assert_int_equal(read_close(s), 1000);
    assert_int_equal(read_to_eof(s, in, sizeof in), 0);
    cio_stream_free(s);
    cio_sleep(0.01);
    assert_int_equal(server_rc, -CIO_ECLOSED);
    assert_string_equal(server_reason, "done");
    /* the peer vanishes without a close frame: 1006 */
    s = raw_open(server, NULL, 0);
    cio_stream_free(s);
    cio_sleep(0.01);
    assert_int_equal(server_close_code, CIO_WEBSOCKET_CLOSE_ABNORMAL);
    stop(server);
    return NULL;
}

static void test_raw_frames(void **state) {
    (void)state;
    test_run_checked(body_raw_frames, NULL);
}

static void *body_bad_handshakes(void *arg) {
    (void)arg;
    cio_http_server *server = start_ws(NULL);
    int port = cio_http_server_port(server);
    cio_stream *s = dial(port);
    send_str(s, "GET /ws HTTP/1.1\r\nHost: h\r\n\r\n"); /* plain GET */
    struct reply r = read_reply(s);
    assert_int_equal(r.status, 400);
    send_str(s, "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n");
    r = read_reply(s);
    assert_int_equal(r.status, 426);
    assert_non_null(strstr(r.head, "Sec-WebSocket-Version: 13\r\n"));
    send_str(s, "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n");
    r = read_reply(s);
    assert_int_equal(r.status, 400);
    cio_stream_free(s);
    cio_websocket *ws;
    char url[64];
    snprintf(url, sizeof url, "wss://127.0.0.1:%d/", port);
    assert_int_equal(cio_websocket_connect(url, NULL, &ws), -ENOTSUP);
    assert_int_equal(cio_websocket_connect("http://x/", NULL, &ws), -EINVAL);
    assert_int_equal(cio_websocket_connect("ws://127.0.0.1:99999/", NULL, &ws), -EINVAL);
    stop(server);
    /* a server that is not a WebSocket server */
    cio_http_server *plain;
    assert_int_equal(cio_http_serve("127.0.0.1", 0, echo_ws, NULL, NULL, &plain), 0);
    cio_http_server_free(plain);
    return NULL;
}

static void test_bad_handshakes(void **state) {
    (void)state;
    test_run_checked(body_bad_handshakes, NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_echo),           cmocka_unit_test(test_too_big),
        cmocka_unit_test(test_deflate),        cmocka_unit_test(test_raw_frames),
        cmocka_unit_test(test_bad_handshakes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
