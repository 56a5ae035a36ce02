/* Datagram transports' send queue (asyncio's DatagramTransport.sendto
 * buffering): datagrams the socket refuses are queued and flushed in order
 * when it is writable, pause_writing / resume_writing at the water marks,
 * get_write_buffer_size, the queue's bound, close flushing and abort
 * dropping, a queued datagram's error going to error_received, and the
 * error paths.
 *
 * A full socket buffer, deterministically: UDP on loopback never reports
 * EAGAIN (the kernel hands each datagram to the receiver, or drops it, at
 * once), so the transports here drive one end of a Unix SOCK_DGRAM
 * socketpair (cio_datagram_transport_from_socket) whose other end does not
 * read: the sender gets EAGAIN once the peer's queue is full, and space
 * again exactly as the peer reads. Both pollers; virtual clock. */
#include "testutil.h"

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define SIZE 1000

struct qrec {
    int made, errors, lost, pauses, resumes;
    int last_error, lost_err;
    cio_event changed;
};

static void made(cio_datagram_transport *t, void *arg) {
    (void)t;
    ((struct qrec *)arg)->made++;
}

static void error(cio_datagram_transport *t, int err, void *arg) {
    (void)t;
    struct qrec *r = arg;
    r->errors++;
    r->last_error = err;
    cio_event_set(&r->changed);
}

static void lost(cio_datagram_transport *t, int err, void *arg) {
    (void)t;
    struct qrec *r = arg;
    r->lost++;
    r->lost_err = err;
    cio_event_set(&r->changed);
}

static void paused(cio_datagram_transport *t, void *arg) {
    (void)t;
    ((struct qrec *)arg)->pauses++;
}

static void resumed(cio_datagram_transport *t, void *arg) {
    (void)t;
    ((struct qrec *)arg)->resumes++;
}

static const cio_datagram_protocol queue_protocol = {
    .connection_made = made,
    .error_received = error,
    .connection_lost = lost,
    .pause_writing = paused,
    .resume_writing = resumed,
};

/* A transport on one end of a Unix datagram socketpair; *peer the other
 * end (non-blocking), which reads only when the test says. */
static cio_datagram_transport *queue_pair(struct qrec *r, int *peer) {
    memset(r, 0, sizeof *r);
    cio_event_init(&r->changed);
    int fds[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds), 0);
    cio_datagram_transport *t;
    assert_int_equal(cio_datagram_transport_from_socket(fds[0], &queue_protocol, r, &t), 0);
    assert_int_equal(r->made, 1);
    *peer = fds[1];
    return t;
}

/* Datagram number seq: SIZE bytes starting with seq. */
static int send_seq(cio_datagram_transport *t, uint32_t seq) {
    char buf[SIZE];
    memset(buf, (int)(seq & 0x7f), sizeof buf);
    memcpy(buf, &seq, sizeof seq);
    return cio_datagram_transport_sendto(t, buf, sizeof buf, NULL, 0);
}

/* Read n datagrams at peer (waiting for the loop to flush), expecting the
 * sequence numbers first, first + 1, ... in that order. */
/* Until the protocol's connection_lost ran. */
static void wait_lost(struct qrec *r) {
    while (r->lost == 0) {
        assert_int_equal(cio_event_wait(&r->changed), 0);
        cio_event_clear(&r->changed);
    }
}

static void receive_in_order(int peer, uint32_t first, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) {
        char buf[SIZE + 1];
        ssize_t got = cio_sock_recv(peer, buf, sizeof buf);
        assert_int_equal(got, SIZE);
        uint32_t seq;
        memcpy(&seq, buf, sizeof seq);
        assert_int_equal(seq, first + i);
    }
}

/* Send until the queue holds something (the socket refused one); returns
 * how many were sent. */
static uint32_t fill_until_queued(cio_datagram_transport *t) {
    uint32_t n = 0;
    while (cio_datagram_transport_get_write_buffer_size(t) == 0) {
        assert_int_equal(send_seq(t, n++), 0);
        assert_true(n < 100000);
    }
    return n;
}

/* ---- order, water marks, the buffer size ------------------------------------------------ */

static void *order_main(void *arg) {
    (void)arg;
    struct qrec r;
    int peer;
    cio_datagram_transport *t = queue_pair(&r, &peer);
    assert_int_equal(cio_datagram_transport_set_write_buffer_limits(t, 8 * 1024, 2 * 1024), 0);
    uint32_t n = fill_until_queued(t);
    assert_int_equal(cio_datagram_transport_get_write_buffer_size(t), SIZE + 8);
    while (r.pauses == 0) assert_int_equal(send_seq(t, n++), 0); /* never -EAGAIN */
    size_t queued = cio_datagram_transport_get_write_buffer_size(t);
    assert_true(queued > 8 * 1024 && queued <= 8 * 1024 + SIZE + 8);
    for (int i = 0; i < 3; i++) assert_int_equal(send_seq(t, n++), 0); /* paused: still taken */
    assert_int_equal(r.pauses, 1);
    assert_int_equal(r.resumes, 0);
    /* The peer reads: every datagram arrives, in the order sent. */
    receive_in_order(peer, 0, n);
    assert_int_equal(cio_datagram_transport_get_write_buffer_size(t), 0);
    assert_int_equal(r.pauses, 1);
    assert_int_equal(r.resumes, 1);
    assert_int_equal(r.errors, 0);
    /* Nothing queued: a send goes straight out again. */
    assert_int_equal(send_seq(t, n), 0);
    assert_int_equal(cio_datagram_transport_get_write_buffer_size(t), 0);
    receive_in_order(peer, n, 1);
    assert_int_equal(cio_datagram_transport_close(t), 0);
    wait_lost(&r);
    assert_int_equal(r.lost_err, 0);
    close(peer);
    return NULL;
}

static void queued_datagrams_keep_their_order(void **state) {
    (void)state;
    test_run_on_both_pollers(order_main);
}

/* ---- queued datagrams keep their address ---------------------------------------------------- */

/* An unconnected sender: each datagram names its receiver, whose queue
 * fills (net.unix.max_dgram_qlen) while it does not read. */
static void *address_main(void *arg) {
    (void)arg;
    struct sockaddr_un to = {.sun_family = AF_UNIX};
    int len = snprintf(to.sun_path + 1, sizeof to.sun_path - 1, "cio-test-dgq-%d", (int)getpid());
    socklen_t tolen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)len);
    int receiver = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    assert_true(receiver >= 0);
    assert_int_equal(bind(receiver, (struct sockaddr *)&to, tolen), 0);
    int sender = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(sender >= 0);
    struct qrec r;
    memset(&r, 0, sizeof r);
    cio_event_init(&r.changed);
    cio_datagram_transport *t;
    assert_int_equal(cio_datagram_transport_from_socket(sender, &queue_protocol, &r, &t), 0);
    char buf[SIZE];
    uint32_t n = 0;
    while (cio_datagram_transport_get_write_buffer_size(t) == 0) {
        memset(buf, 0, sizeof buf);
        memcpy(buf, &n, sizeof n);
        assert_int_equal(
            cio_datagram_transport_sendto(t, buf, sizeof buf, (struct sockaddr *)&to, tolen), 0);
        assert_true(++n < 100000);
    }
    for (int i = 0; i < 20; i++, n++) {
        memcpy(buf, &n, sizeof n);
        assert_int_equal(
            cio_datagram_transport_sendto(t, buf, sizeof buf, (struct sockaddr *)&to, tolen), 0);
    }
    receive_in_order(receiver, 0, n);
    assert_int_equal(cio_datagram_transport_get_write_buffer_size(t), 0);
    assert_int_equal(r.errors, 0);
    assert_int_equal(cio_datagram_transport_close(t), 0);
    wait_lost(&r);
    close(receiver);
    return NULL;
}

static void queued_datagrams_keep_their_address(void **state) {
    (void)state;
    test_run_on_both_pollers(address_main);
}

/* ---- close flushes, abort drops ----------------------------------------------------------- */

static void *close_main(void *arg) {
    (void)arg;
    struct qrec r;
    int peer;
    cio_datagram_transport *t = queue_pair(&r, &peer);
    uint32_t n = fill_until_queued(t);
    for (int i = 0; i < 5; i++) assert_int_equal(send_seq(t, n++), 0);
    assert_int_equal(cio_datagram_transport_close(t), 0);
    assert_true(cio_datagram_transport_is_closing(t));
    assert_int_equal(send_seq(t, n), -CIO_ECLOSED);
    assert_int_equal(cio_datagram_transport_close(t), -CIO_ECLOSED);
    assert_int_equal(cio_sleep(1), 0);
    assert_int_equal(r.lost, 0); /* waits for its queue */
    receive_in_order(peer, 0, n);
    wait_lost(&r);
    assert_int_equal(r.lost_err, 0);
    close(peer);
    return NULL;
}

static void close_sends_the_queue_first(void **state) {
    (void)state;
    test_run_on_both_pollers(close_main);
}

/* The bound, then abort: the queue is dropped, the peer gets only what the
 * kernel took. */
static void *bound_main(void *arg) {
    (void)arg;
    struct qrec r;
    int peer;
    cio_datagram_transport *t = queue_pair(&r, &peer);
    uint32_t direct = fill_until_queued(t) - 1;
    uint32_t n = direct + 1;
    int rc;
    while ((rc = send_seq(t, n)) == 0) n++;
    assert_int_equal(rc, -ENOBUFS); /* 16 x 64 KiB */
    size_t queued = cio_datagram_transport_get_write_buffer_size(t);
    assert_true(queued <= 1024 * 1024 && queued > 1024 * 1024 - (SIZE + 8));
    assert_int_equal(r.pauses, 1);
    assert_int_equal(cio_datagram_transport_abort(t), 0);
    assert_int_equal(cio_datagram_transport_abort(t), -CIO_ECLOSED);
    assert_int_equal(cio_datagram_transport_close(t), -CIO_ECLOSED);
    wait_lost(&r);
    receive_in_order(peer, 0, direct);
    char buf[SIZE];
    assert_int_equal(recv(peer, buf, sizeof buf, MSG_DONTWAIT), -1); /* the queue was dropped */
    close(peer);
    return NULL;
}

static void a_full_queue_refuses_and_abort_drops_it(void **state) {
    (void)state;
    test_run_on_both_pollers(bound_main);
}

/* ---- a queued datagram's error ------------------------------------------------------------ */

static void *flush_error_main(void *arg) {
    (void)arg;
    struct qrec r;
    int peer;
    cio_datagram_transport *t = queue_pair(&r, &peer);
    uint32_t n = fill_until_queued(t);
    /* Too big for a Unix datagram socket: only its flush finds out. */
    static char huge[300 * 1024];
    assert_int_equal(cio_datagram_transport_sendto(t, huge, sizeof huge, NULL, 0), 0);
    assert_int_equal(send_seq(t, n), 0);
    assert_int_equal(r.errors, 0);
    receive_in_order(peer, 0, n + 1); /* the flush went on past the error */
    assert_int_equal(r.errors, 1);
    assert_int_equal(r.last_error, -EMSGSIZE);
    assert_int_equal(cio_datagram_transport_get_write_buffer_size(t), 0);
    /* Sent now, the same datagram's error is returned. */
    assert_int_equal(cio_datagram_transport_sendto(t, huge, sizeof huge, NULL, 0), -EMSGSIZE);
    assert_int_equal(cio_datagram_transport_abort(t), 0);
    wait_lost(&r);
    close(peer);
    return NULL;
}

static void a_queued_datagrams_error_goes_to_error_received(void **state) {
    (void)state;
    test_run_on_both_pollers(flush_error_main);
}

/* ---- error paths ------------------------------------------------------------------------------
 */

static void *errors_main(void *arg) {
    (void)arg;
    struct qrec r;
    memset(&r, 0, sizeof r);
    cio_datagram_transport *t = (cio_datagram_transport *)&t;
    int fds[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    assert_int_equal(cio_datagram_transport_from_socket(fds[0], &queue_protocol, &r, &t), -EINVAL);
    assert_null(t);
    assert_int_equal(fcntl(fds[0], F_GETFD), FD_CLOEXEC); /* still the caller's */
    close(fds[0]);
    close(fds[1]);
    assert_int_equal(cio_datagram_transport_from_socket(-1, &queue_protocol, &r, &t), -EINVAL);
    assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fds), 0);
    assert_int_equal(cio_datagram_transport_from_socket(fds[0], NULL, &r, &t), -EINVAL);
    assert_int_equal(cio_datagram_transport_from_socket(fds[0], &queue_protocol, &r, NULL),
                     -EINVAL);
    assert_int_equal(cio_datagram_transport_set_write_buffer_limits(NULL, 10, 5), -EINVAL);
    assert_int_equal(cio_datagram_transport_get_write_buffer_size(NULL), 0);
    assert_int_equal(cio_datagram_transport_abort(NULL), -EINVAL);

    cio_event_init(&r.changed);
    assert_int_equal(cio_datagram_transport_from_socket(fds[0], &queue_protocol, &r, &t), 0);
    assert_int_equal(cio_datagram_transport_set_write_buffer_limits(t, 10, 20), -EINVAL);
    assert_int_equal(cio_datagram_transport_set_write_buffer_limits(t, 0, 0), 0);
    struct sockaddr_storage big[2];
    memset(big, 0, sizeof big);
    assert_int_equal(cio_datagram_transport_sendto(t, "x", 1, (struct sockaddr *)big, sizeof big),
                     -EINVAL);
    assert_int_equal(cio_datagram_transport_sendto(t, "x", 1, NULL, 0), 0);
    assert_int_equal(cio_datagram_transport_close(t), 0);
    assert_int_equal(cio_datagram_transport_abort(t), -CIO_ECLOSED);
    wait_lost(&r);
    assert_int_equal(cio_datagram_transport_abort(t), -EINVAL); /* freed: stale */
    close(fds[1]);
    return NULL;
}

static void error_paths(void **state) {
    (void)state;
    test_run_on_both_pollers(errors_main);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(queued_datagrams_keep_their_order),
        cmocka_unit_test(queued_datagrams_keep_their_address),
        cmocka_unit_test(close_sends_the_queue_first),
        cmocka_unit_test(a_full_queue_refuses_and_abort_drops_it),
        cmocka_unit_test(a_queued_datagrams_error_goes_to_error_received),
        cmocka_unit_test(error_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
