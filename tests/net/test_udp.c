/* UDP endpoints on loopback: 1,000 datagrams echoed with their boundaries,
 * a burst of datagrams of every size, connected endpoints and refusals,
 * IPv6, empty datagrams, close and cancel while waiting, misuse. */
#include "testutil.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

static int port_of(cio_datagram *ep) {
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;
    assert_int_equal(cio_datagram_sockname(ep, (struct sockaddr *)&addr, &len), 0);
    if (addr.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&addr)->sin6_port);
    return ntohs(((struct sockaddr_in *)&addr)->sin_port);
}

/* ---- echo ------------------------------------------------------------------------------------ */

#define DATAGRAMS 1000

static void *echo_server(void *arg) {
    cio_datagram *server = arg;
    char buf[2048];
    for (;;) {
        struct sockaddr_storage from;
        socklen_t len = sizeof from;
        ssize_t n = cio_datagram_recvfrom(server, buf, sizeof buf, (struct sockaddr *)&from, &len);
        if (n < 0) return n == -CIO_ECLOSED ? NULL : cio_fail((int)n);
        assert_int_equal(cio_datagram_sendto(server, buf, (size_t)n, (struct sockaddr *)&from, len),
                         n);
    }
}

static void echo_many(const char *host) {
    cio_datagram *server, *client;
    assert_int_equal(cio_create_datagram_endpoint(host, 0, NULL, 0, NULL, &server), 0);
    assert_int_equal(cio_create_datagram_endpoint(NULL, 0, host, port_of(server), NULL, &client),
                     0);
    cio_task *echo;
    assert_int_equal(cio_create_task(echo_server, server, &echo), 0);
    char out[1500], in[1500];
    for (int i = 0; i < DATAGRAMS; i++) {
        size_t len = (size_t)(i * 37) % sizeof out;
        memset(out, 'a' + i % 26, len);
        assert_int_equal(cio_datagram_send(client, out, len), (ssize_t)len);
        /* Bounded: an echo task that failed (its recvfrom got an error) sends
         * nothing back, and the test must fail rather than wait forever. */
        cio_timeout scope;
        assert_int_equal(cio_timeout_begin(&scope, 10.0), 0);
        ssize_t got = cio_datagram_recvfrom(client, in, sizeof in, NULL, NULL);
        cio_timeout_end(&scope);
        assert_int_equal(got, (ssize_t)len);
        assert_memory_equal(in, out, len);
    }
    assert_int_equal(cio_datagram_close(server), 0); /* ends the echo task's wait */
    assert_int_equal(cio_await(echo, NULL), 0);
    assert_int_equal(cio_datagram_close(client), 0);
    cio_datagram_free(server);
    cio_datagram_free(client);
}

static void *echo_v4_and_v6(void *arg) {
    (void)arg;
    echo_many("127.0.0.1");
    echo_many("::1");
    return NULL;
}

static void a_thousand_datagrams_echoed(void **state) {
    (void)state;
    test_run_on_both_pollers(echo_v4_and_v6);
}

static void *burst(void *arg) {
    (void)arg;
    cio_datagram *a, *b;
    assert_int_equal(cio_create_datagram_endpoint("127.0.0.1", 0, NULL, 0, NULL, &a), 0);
    assert_int_equal(cio_create_datagram_endpoint("127.0.0.1", 0, NULL, 0, NULL, &b), 0);
    struct sockaddr_in to = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port_of(b)),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    char buf[256];
    for (int i = 0; i < 100; i++) { /* sent back to back: boundaries must survive */
        memset(buf, i, (size_t)i);
        assert_int_equal(cio_datagram_sendto(a, buf, (size_t)i, (struct sockaddr *)&to, sizeof to),
                         i);
    }
    for (int i = 0; i < 100; i++) {
        struct sockaddr_in from;
        socklen_t len = sizeof from;
        assert_int_equal(cio_datagram_recvfrom(b, buf, sizeof buf, (struct sockaddr *)&from, &len),
                         i);
        for (int j = 0; j < i; j++) assert_int_equal(buf[j], i);
        assert_int_equal(ntohs(from.sin_port), port_of(a));
    }
    /* A datagram longer than the buffer is truncated, and consumed whole. */
    assert_int_equal(cio_datagram_sendto(a, "0123456789", 10, (struct sockaddr *)&to, sizeof to),
                     10);
    assert_int_equal(cio_datagram_sendto(a, "next", 4, (struct sockaddr *)&to, sizeof to), 4);
    assert_int_equal(cio_datagram_recvfrom(b, buf, 4, NULL, NULL), 4);
    assert_int_equal(cio_datagram_recvfrom(b, buf, sizeof buf, NULL, NULL), 4);
    assert_memory_equal(buf, "next", 4);
    assert_int_equal(cio_datagram_send(a, "x", 1), -EDESTADDRREQ); /* not connected */
    cio_datagram_free(a);
    cio_datagram_free(b);
    return NULL;
}

static void message_boundaries_are_kept(void **state) {
    (void)state;
    test_run_on_both_pollers(burst);
}

/* ---- connected endpoints, refusals
 * ------------------------------------------------------------------ */

static void *refused(void *arg) {
    (void)arg;
    cio_datagram *gone, *client;
    assert_int_equal(cio_create_datagram_endpoint("127.0.0.1", 0, NULL, 0, NULL, &gone), 0);
    int port = port_of(gone);
    cio_datagram_free(gone);
    assert_int_equal(cio_create_datagram_endpoint(NULL, 0, "127.0.0.1", port, NULL, &client), 0);
    assert_int_equal(cio_datagram_send(client, "anyone?", 7), 7);
    char buf[16];
    /* The port-unreachable comes back as an error on the next call. */
    assert_int_equal(cio_datagram_recvfrom(client, buf, sizeof buf, NULL, NULL), -ECONNREFUSED);
    cio_datagram_free(client);
    return NULL;
}

static void connected_endpoint_sees_refusal(void **state) {
    (void)state;
    test_run_on_both_pollers(refused);
}

/* ---- close, cancel, misuse
 * ------------------------------------------------------------------------------ */

static void *receive_forever(void *arg) {
    char buf[16];
    return cio_fail((int)cio_datagram_recvfrom(arg, buf, sizeof buf, NULL, NULL));
}

static void *close_and_cancel(void *arg) {
    (void)arg;
    cio_datagram *ep;
    assert_int_equal(cio_create_datagram_endpoint("127.0.0.1", 0, NULL, 0, NULL, &ep), 0);
    cio_task *waiter;
    assert_int_equal(cio_create_task(receive_forever, ep, &waiter), 0);
    assert_int_equal(cio_sleep(1.0), 0);
    cio_task_cancel(waiter);
    assert_int_equal(cio_await(waiter, NULL), -ECANCELED);
    assert_int_equal(cio_create_task(receive_forever, ep, &waiter), 0);
    assert_int_equal(cio_sleep(1.0), 0);
    assert_int_equal(cio_datagram_close(ep), 0);
    assert_int_equal(cio_await(waiter, NULL), -CIO_ECLOSED);
    assert_int_equal(cio_datagram_close(ep), -CIO_ECLOSED);
    char buf[4];
    assert_int_equal(cio_datagram_send(ep, buf, 1), -CIO_ECLOSED);
    assert_int_equal(cio_datagram_recvfrom(ep, buf, 1, NULL, NULL), -CIO_ECLOSED);
    assert_int_equal(cio_datagram_fd(ep), -CIO_ECLOSED);
    cio_datagram_free(ep);
    assert_int_equal(cio_datagram_send(NULL, buf, 1), -EINVAL);
    cio_datagram_free(NULL); /* no-op */
    assert_int_equal(cio_create_datagram_endpoint("127.0.0.1", 0, NULL, 0, NULL, NULL), -EINVAL);
    ep = (cio_datagram *)&ep;
    assert_int_equal(cio_create_datagram_endpoint(NULL, 0, NULL, 0, NULL, &ep), -EINVAL);
    assert_null(ep); /* written on failure too */
    assert_int_equal(cio_create_datagram_endpoint("127.0.0.1", 99999, NULL, 0, NULL, &ep), -EINVAL);
    cio_datagram_options v6 = {.family = AF_INET6};
    assert_int_equal(cio_create_datagram_endpoint(NULL, 0, NULL, 0, &v6, &ep),
                     0); /* unbound, IPv6 */
    assert_int_equal(cio_datagram_send(ep, "", 0), -EDESTADDRREQ);
    cio_datagram_free(ep); /* closes first */
    cio_datagram_options broadcast = {.broadcast = true, .reuse_port = true};
    assert_int_equal(cio_create_datagram_endpoint("127.0.0.1", 0, NULL, 0, &broadcast, &ep), 0);
    int on = 0;
    socklen_t len = sizeof on;
    assert_int_equal(getsockopt(cio_datagram_fd(ep), SOL_SOCKET, SO_BROADCAST, &on, &len), 0);
    assert_true(on);
    cio_datagram_free(ep);
    return NULL;
}

static void close_and_cancel_while_waiting(void **state) {
    (void)state;
    test_run_on_both_pollers(close_and_cancel);
}

static void outside_a_task(void **state) {
    (void)state;
    cio_datagram *ep;
    assert_int_equal(cio_create_datagram_endpoint("127.0.0.1", 0, NULL, 0, NULL, &ep), -EPERM);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_thousand_datagrams_echoed),
        cmocka_unit_test(message_boundaries_are_kept),
        cmocka_unit_test(connected_endpoint_sees_refusal),
        cmocka_unit_test(close_and_cancel_while_waiting),
        cmocka_unit_test(outside_a_task),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
