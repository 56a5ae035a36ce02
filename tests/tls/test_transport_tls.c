/* Transports over TLS: a protocol server and client with TLS contexts echo
 * 256 KiB (many records, reads that find decrypted bytes waiting in
 * OpenSSL), get_extra_info's TLS view, and a graceful close on both sides
 * (close_notify sent by the shared flusher). Both pollers. */
#include "tls_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOTAL (256u * 1024u)

struct side {
    cio_transport *transport;
    bool echo;
    size_t got;
    unsigned char sum; /* a running xor of what came, to check the bytes */
    int lost;
    int lost_err;
    cio_event changed;
};

static void made(cio_transport *t, void *arg) {
    ((struct side *)arg)->transport = t;
}

static void received(cio_transport *t, const void *data, size_t len, void *arg) {
    struct side *s = arg;
    const unsigned char *bytes = data;
    for (size_t i = 0; i < len; i++) s->sum ^= bytes[i];
    s->got += len;
    if (s->echo) assert_int_equal(cio_transport_write(t, data, len), 0);
    cio_event_set(&s->changed);
}

static void lost(cio_transport *t, int err, void *arg) {
    (void)t;
    struct side *s = arg;
    s->lost++;
    s->lost_err = err;
    cio_event_set(&s->changed);
}

static const cio_protocol protocol = {
    .connection_made = made, .data_received = received, .connection_lost = lost};

static struct side server_side;
static cio_tls_context *server_ctx, *client_ctx;

static int factory(void *arg, void **protocol_arg) {
    (void)arg;
    memset(&server_side, 0, sizeof server_side);
    cio_event_init(&server_side.changed);
    server_side.echo = true;
    *protocol_arg = &server_side;
    return 0;
}

static void wait_until(struct side *s, const size_t *value, size_t n) {
    while (*value < n) {
        assert_int_equal(cio_event_wait(&s->changed), 0);
        cio_event_clear(&s->changed);
    }
}

static void *echo_main(void *arg) {
    (void)arg;
    cio_server *server;
    cio_server_options sopts = {.tls = server_ctx};
    assert_int_equal(cio_create_server("127.0.0.1", 0, &protocol, factory, NULL, &sopts, &server),
                     0);
    struct side client = {0};
    cio_event_init(&client.changed);
    cio_connect_options copts = {.tls = client_ctx, .server_hostname = "localhost"};
    cio_transport *t;
    assert_int_equal(
        cio_create_connection("127.0.0.1", cio_server_port(server), &protocol, &client, &copts, &t),
        0);
    cio_tls_info info;
    assert_int_equal(cio_transport_tls_info(t, &info), 0);
    assert_true(strncmp(info.version, "TLS", 3) == 0);
    assert_true(info.peer_verified);
    static unsigned char data[TOTAL];
    unsigned char sum = 0;
    for (size_t i = 0; i < TOTAL; i++) sum ^= data[i] = (unsigned char)(i * 7 + i / 251);
    assert_int_equal(cio_transport_write(t, data, TOTAL), 0);
    wait_until(&client, &client.got, TOTAL);
    assert_int_equal(client.got, TOTAL);
    assert_int_equal(client.sum, sum);
    assert_int_equal(server_side.got, TOTAL);
    assert_int_equal(cio_transport_close(t), 0);
    while (client.lost == 0 || server_side.lost == 0) {
        assert_int_equal(cio_event_wait(&client.changed), 0);
        cio_event_clear(&client.changed);
        if (client.lost && !server_side.lost) assert_int_equal(cio_sleep(0.01), 0);
    }
    assert_int_equal(client.lost_err, 0);
    assert_int_equal(server_side.lost_err, 0);
    assert_int_equal(cio_server_close(server), 0);
    assert_int_equal(cio_server_wait_closed(server), 0);
    cio_server_free(server);
    return NULL;
}

static void tls_protocol_echo(void **state) {
    (void)state;
    server_ctx = tls_server_context("server", NULL);
    client_ctx = tls_client_context(NULL);
    test_run_on_both_pollers(echo_main);
    cio_tls_context_free(server_ctx);
    cio_tls_context_free(client_ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tls_protocol_echo),
    };
    return TLS_RUN_TESTS(tests);
}
