/* Datagram transports: an echo between two protocol endpoints, errors
 * reported to error_received, close and the error paths. Both pollers;
 * virtual clock; no fd may leak. */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

struct drec {
    cio_datagram_transport *transport;
    bool echo;
    int made, received, errors, lost;
    int last_error;
    char data[64];
    size_t len;
    cio_event changed;
};

static void made(cio_datagram_transport *t, void *arg) {
    struct drec *r = arg;
    r->transport = t;
    r->made++;
}

static void received(cio_datagram_transport *t, const void *data, size_t len,
                     const struct sockaddr *addr, socklen_t addrlen, void *arg) {
    struct drec *r = arg;
    r->received++;
    r->len = len < sizeof r->data ? len : sizeof r->data;
    memcpy(r->data, data, r->len);
    if (r->echo) assert_int_equal(cio_datagram_transport_sendto(t, data, len, addr, addrlen), 0);
    cio_event_set(&r->changed);
}

static void error(cio_datagram_transport *t, int err, void *arg) {
    (void)t;
    struct drec *r = arg;
    r->errors++;
    r->last_error = err;
    cio_event_set(&r->changed);
}

static void lost(cio_datagram_transport *t, int err, void *arg) {
    (void)t;
    struct drec *r = arg;
    assert_int_equal(err, 0);
    r->lost++;
    cio_event_set(&r->changed);
}

static const cio_datagram_protocol recorder = {
    .connection_made = made,
    .datagram_received = received,
    .error_received = error,
    .connection_lost = lost,
};

static void wait_for(struct drec *r, const int *count, int n) {
    while (*count < n) {
        assert_int_equal(cio_event_wait(&r->changed), 0);
        cio_event_clear(&r->changed);
    }
}

static void *echo_main(void *arg) {
    (void)arg;
    struct drec server = {.echo = true}, client = {0};
    cio_event_init(&server.changed);
    cio_event_init(&client.changed);
    cio_datagram_transport *st, *ct;
    assert_int_equal(
        cio_create_datagram_transport("127.0.0.1", 0, NULL, 0, &recorder, &server, NULL, &st), 0);
    assert_int_equal(server.made, 1);
    struct sockaddr_in addr;
    socklen_t alen = sizeof addr;
    assert_int_equal(cio_datagram_transport_sockname(st, (struct sockaddr *)&addr, &alen), 0);
    int port = ntohs(addr.sin_port);
    assert_int_equal(
        cio_create_datagram_transport(NULL, 0, "127.0.0.1", port, &recorder, &client, NULL, &ct),
        0);
    assert_true(cio_datagram_transport_fd(ct) >= 0);
    for (int i = 1; i <= 3; i++) {
        assert_int_equal(cio_datagram_transport_sendto(ct, "ping", 4, NULL, 0), 0);
        wait_for(&client, &client.received, i);
        assert_int_equal(client.len, 4);
        assert_memory_equal(client.data, "ping", 4);
    }
    assert_int_equal(server.received, 3);
    assert_int_equal(cio_datagram_transport_close(st), 0);
    assert_true(cio_datagram_transport_is_closing(st));
    assert_int_equal(cio_datagram_transport_close(st), -CIO_ECLOSED);
    assert_int_equal(cio_datagram_transport_sendto(st, "x", 1, NULL, 0), -CIO_ECLOSED);
    wait_for(&server, &server.lost, 1);
    /* Nobody listens on the port now: the refusal comes to error_received. */
    assert_int_equal(cio_datagram_transport_sendto(ct, "ping", 4, NULL, 0), 0);
    wait_for(&client, &client.errors, 1);
    assert_int_equal(client.last_error, -ECONNREFUSED);
    assert_int_equal(cio_datagram_transport_close(ct), 0);
    wait_for(&client, &client.lost, 1);
    return NULL;
}

static void datagram_protocol_echo(void **state) {
    (void)state;
    test_run_on_both_pollers(echo_main);
}

static void *errors_main(void *arg) {
    (void)arg;
    cio_datagram_transport *t;
    struct drec r = {0};
    assert_int_equal(cio_create_datagram_transport("127.0.0.1", 0, NULL, 0, NULL, &r, NULL, &t),
                     -EINVAL);
    assert_null(t);
    assert_int_equal(
        cio_create_datagram_transport("127.0.0.1", 0, NULL, 0, &recorder, &r, NULL, NULL), -EINVAL);
    assert_int_equal(cio_create_datagram_transport(NULL, 0, NULL, 0, &recorder, &r, NULL, &t),
                     -EINVAL);
    assert_int_equal(cio_datagram_transport_sendto(NULL, "x", 1, NULL, 0), -EINVAL);
    assert_int_equal(cio_datagram_transport_close(NULL), -EINVAL);
    assert_false(cio_datagram_transport_is_closing(NULL));
    cio_event_init(&r.changed);
    assert_int_equal(
        cio_create_datagram_transport("127.0.0.1", 0, NULL, 0, &recorder, &r, NULL, &t), 0);
    assert_int_equal(cio_datagram_transport_sendto(t, "x", 1, NULL, 0), -EDESTADDRREQ);
    assert_int_equal(cio_datagram_transport_sendto(t, NULL, 1, NULL, 0), -EINVAL);
    assert_int_equal(cio_datagram_transport_close(t), 0);
    wait_for(&r, &r.lost, 1);
    return NULL;
}

static void datagram_error_paths(void **state) {
    (void)state;
    test_run_on_both_pollers(errors_main);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(datagram_protocol_echo),
        cmocka_unit_test(datagram_error_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
