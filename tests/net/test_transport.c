/* Transports and protocols over stream sockets: a protocol server and
 * client exchanging data, pause/resume reading, backpressure (pause_writing
 * at the high-water mark, resume_writing once drained), EOF and half-close,
 * connection_lost with the error on a reset, the buffered protocol, and the
 * error paths. Every test runs on both pollers; virtual clock; no fd may
 * leak. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- a protocol that records what it is told ------------------------------------------ */

struct rec {
    cio_transport *transport;
    int made, eofs, lost, pauses, resumes, chunks;
    int lost_err;
    bool keep_open; /* eof_received's answer */
    bool echo;      /* write back what comes */
    char data[8192];
    size_t len;
    cio_event changed; /* set on every callback */
};

static void rec_init(struct rec *r) {
    memset(r, 0, sizeof *r);
    cio_event_init(&r->changed);
}

static void made(cio_transport *t, void *arg) {
    struct rec *r = arg;
    r->transport = t;
    r->made++;
    cio_event_set(&r->changed);
}

static void received(cio_transport *t, const void *data, size_t len, void *arg) {
    struct rec *r = arg;
    size_t room = sizeof r->data - r->len;
    memcpy(r->data + r->len, data, len < room ? len : room);
    r->len += len < room ? len : room;
    r->chunks++;
    if (r->echo) assert_int_equal(cio_transport_write(t, data, len), 0);
    cio_event_set(&r->changed);
}

static bool eof(cio_transport *t, void *arg) {
    (void)t;
    struct rec *r = arg;
    r->eofs++;
    cio_event_set(&r->changed);
    return r->keep_open;
}

static void lost(cio_transport *t, int err, void *arg) {
    (void)t;
    struct rec *r = arg;
    r->lost++;
    r->lost_err = err;
    r->transport = NULL;                                    /* freed after this returns */
    if (cio_get_running_loop()) cio_event_set(&r->changed); /* not while the loop closes */
}

static void paused(cio_transport *t, void *arg) {
    (void)t;
    struct rec *r = arg;
    r->pauses++;
    cio_event_set(&r->changed);
}

static void resumed(cio_transport *t, void *arg) {
    (void)t;
    struct rec *r = arg;
    r->resumes++;
    cio_event_set(&r->changed);
}

static const cio_protocol recorder = {
    .connection_made = made,
    .data_received = received,
    .eof_received = eof,
    .connection_lost = lost,
    .pause_writing = paused,
    .resume_writing = resumed,
};

/* Wait until *count reaches n (a callback bumps it and sets changed). */
static void wait_for(struct rec *r, const int *count, int n) {
    while (*count < n) {
        assert_int_equal(cio_event_wait(&r->changed), 0);
        cio_event_clear(&r->changed);
    }
}

/* An EOF or a lost connection first fails the test: no more bytes can come
 * (under make fault: the server's side could not be made). */
static void wait_for_bytes(struct rec *r, size_t n) {
    while (r->len < n) {
        if (r->eofs || r->lost) fail_msg("the connection ended after %zu of %zu bytes", r->len, n);
        assert_int_equal(cio_event_wait(&r->changed), 0);
        cio_event_clear(&r->changed);
    }
}

/* A transport (protocol recorder, state r) on one end of a Unix socketpair,
 * a plain stream on the other. */
static cio_stream *transport_pair(struct rec *r) {
    int fds[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    cio_transport *t;
    assert_int_equal(cio_connect_accepted_socket(fds[0], &recorder, r, &t), 0);
    assert_ptr_equal(r->transport, t); /* connection_made ran before the return */
    cio_stream *peer;
    assert_int_equal(cio_stream_from_socket(fds[1], 0, &peer), 0);
    return peer;
}

/* ---- a protocol server and client -------------------------------------------------------- */

static int server_connections;
static struct rec server_recs[4];

static int new_connection(void *arg, void **protocol_arg) {
    (void)arg;
    struct rec *r = &server_recs[server_connections++];
    rec_init(r);
    r->echo = true;
    *protocol_arg = r;
    return 0;
}

static void *server_and_client_main(void *arg) {
    (void)arg;
    server_connections = 0;
    cio_server *server;
    assert_int_equal(
        cio_create_server("127.0.0.1", 0, &recorder, new_connection, NULL, NULL, &server), 0);
    struct rec client;
    rec_init(&client);
    cio_transport *t;
    assert_int_equal(
        cio_create_connection("127.0.0.1", cio_server_port(server), &recorder, &client, NULL, &t),
        0);
    assert_int_equal(client.made, 1);
    struct iovec lines[2] = {{"hello ", 6}, {"world", 5}};
    assert_int_equal(cio_transport_writelines(t, lines, 2), 0);
    wait_for_bytes(&client, 11);
    assert_memory_equal(client.data, "hello world", 11);
    assert_int_equal(server_connections, 1);
    assert_int_equal(server_recs[0].made, 1);
    assert_memory_equal(server_recs[0].data, "hello world", 11);
    assert_int_equal(cio_server_connections(server), 1);

    struct sockaddr_storage peer, local;
    socklen_t plen = sizeof peer, llen = sizeof local;
    assert_int_equal(cio_transport_peername(t, (struct sockaddr *)&peer, &plen), 0);
    assert_int_equal(cio_transport_sockname(t, (struct sockaddr *)&local, &llen), 0);
    assert_true(cio_transport_fd(t) >= 0);
    cio_tls_info info;
    assert_int_equal(cio_transport_tls_info(t, &info), -ENOTCONN);
    assert_ptr_equal(cio_transport_protocol_arg(t), &client);

    /* The client closes: the server's protocol sees EOF, closes, both lose it. */
    assert_int_equal(cio_transport_close(t), 0);
    wait_for(&client, &client.lost, 1);
    assert_int_equal(client.lost_err, 0);
    wait_for(&server_recs[0], &server_recs[0].lost, 1);
    assert_int_equal(server_recs[0].eofs, 1);
    assert_int_equal(server_recs[0].lost_err, 0);
    assert_int_equal(cio_server_close(server), 0);
    assert_int_equal(cio_server_wait_closed(server), 0);
    assert_int_equal(cio_server_connections(server), 0);
    cio_server_free(server);
    return NULL;
}

static void server_and_client_exchange_data(void **state) {
    (void)state;
    test_run_on_both_pollers(server_and_client_main);
}

/* ---- Unix sockets (create_unix_server / create_unix_connection) -------------------------- */

static void unix_exchange(const char *path) {
    server_connections = 0;
    cio_server *server;
    assert_int_equal(cio_create_unix_server(path, &recorder, new_connection, NULL, NULL, &server),
                     0);
    struct rec client;
    rec_init(&client);
    cio_transport *t;
    assert_int_equal(cio_create_unix_connection(path, &recorder, &client, NULL, &t), 0);
    assert_int_equal(client.made, 1);
    /* Written in pieces, echoed by the server's protocol. */
    static char big[sizeof client.data];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (char)('a' + i % 26);
    for (int i = 0; i < 4; i++)
        assert_int_equal(cio_transport_write(t, big + i * sizeof big / 4, sizeof big / 4), 0);
    wait_for_bytes(&client, sizeof big);
    assert_memory_equal(client.data, big, sizeof big);
    assert_int_equal(server_recs[0].made, 1);
    struct sockaddr_storage local;
    socklen_t llen = sizeof local;
    assert_int_equal(cio_transport_peername(t, (struct sockaddr *)&local, &llen), 0);
    assert_int_equal(local.ss_family, AF_UNIX);
    assert_int_equal(cio_transport_close(t), 0);
    wait_for(&client, &client.lost, 1);
    wait_for(&server_recs[0], &server_recs[0].lost, 1);
    assert_int_equal(server_recs[0].eofs, 1);
    assert_int_equal(server_recs[0].lost_err, 0);
    assert_int_equal(cio_server_close(server), 0);
    assert_int_equal(cio_server_wait_closed(server), 0);
    cio_server_free(server);
}

static void *unix_main(void *arg) {
    (void)arg;
    char path[64];
    snprintf(path, sizeof path, "/tmp/cio-test-transport-%d.sock", (int)getpid());
    unlink(path);
    unix_exchange(path);
    assert_int_equal(access(path, F_OK), -1); /* the server removed its socket file */
    char abstract[64];
    snprintf(abstract, sizeof abstract, "@cio-test-transport-%d", (int)getpid());
    unix_exchange(abstract);

    /* Error paths: nothing there, a file in the way, bad arguments. */
    struct rec r;
    rec_init(&r);
    cio_transport *t = (cio_transport *)&t;
    assert_int_equal(cio_create_unix_connection(path, &recorder, &r, NULL, &t), -ENOENT);
    assert_null(t);
    assert_int_equal(r.made, 0);
    assert_int_equal(cio_create_unix_connection(path, NULL, &r, NULL, &t), -EINVAL);
    assert_int_equal(cio_create_unix_connection(path, &recorder, &r, NULL, NULL), -EINVAL);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    cio_server *server = (cio_server *)&server;
    assert_int_equal(cio_create_unix_server(path, &recorder, NULL, &r, NULL, &server), -EADDRINUSE);
    assert_null(server);
    unlink(path);
    assert_int_equal(cio_create_unix_server(path, NULL, NULL, NULL, NULL, &server), -EINVAL);
    assert_int_equal(cio_create_unix_server(path, &recorder, NULL, NULL, NULL, NULL), -EINVAL);
    char long_path[200];
    memset(long_path, 'x', sizeof long_path - 1);
    long_path[0] = '/';
    long_path[sizeof long_path - 1] = '\0';
    assert_int_equal(cio_create_unix_server(long_path, &recorder, NULL, NULL, NULL, &server),
                     -ENAMETOOLONG);
    return NULL;
}

static void unix_server_and_client(void **state) {
    (void)state;
    test_run_on_both_pollers(unix_main);
}

/* ---- pause and resume reading -------------------------------------------------------------- */

static void *pause_reading_main(void *arg) {
    (void)arg;
    struct rec r;
    rec_init(&r);
    cio_stream *peer = transport_pair(&r);
    cio_transport *t = r.transport;
    assert_true(cio_transport_is_reading(t));
    assert_int_equal(cio_transport_pause_reading(t), 0);
    assert_int_equal(cio_transport_pause_reading(t), 0); /* again: nothing */
    assert_false(cio_transport_is_reading(t));
    assert_int_equal(cio_stream_write(peer, "abc", 3), 0);
    for (int i = 0; i < 5; i++) assert_int_equal(cio_sleep(0.01), 0);
    assert_int_equal(r.len, 0); /* nothing while paused */
    assert_int_equal(cio_transport_resume_reading(t), 0);
    assert_true(cio_transport_is_reading(t));
    wait_for_bytes(&r, 3);
    assert_memory_equal(r.data, "abc", 3);
    assert_int_equal(cio_transport_abort(t), 0);
    wait_for(&r, &r.lost, 1);
    cio_stream_free(peer);
    return NULL;
}

static void pause_and_resume_reading(void **state) {
    (void)state;
    test_run_on_both_pollers(pause_reading_main);
}

/* Echo rounds where data_received pauses reading each time and the peer's
 * task resumes it after reading the echo: every round's bytes come through
 * (on epoll the transport arms its fd once and keeps it armed, across the
 * pauses; on poll it re-arms after every report). */
static void echo_and_pause(cio_transport *t, const void *data, size_t len, void *arg) {
    received(t, data, len, arg);
    assert_int_equal(cio_transport_pause_reading(t), 0);
}

static const cio_protocol pausing_echo = {
    .connection_made = made,
    .data_received = echo_and_pause,
    .connection_lost = lost,
};

static void *echo_rounds_main(void *arg) {
    (void)arg;
    struct rec r;
    rec_init(&r);
    r.echo = true;
    int fds[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    cio_transport *t;
    assert_int_equal(cio_connect_accepted_socket(fds[0], &pausing_echo, &r, &t), 0);
    cio_stream *peer;
    assert_int_equal(cio_stream_from_socket(fds[1], 0, &peer), 0);
    for (int round = 0; round < 50; round++) {
        char message[16], echo[16];
        int len = snprintf(message, sizeof message, "round %d", round);
        assert_int_equal(cio_stream_write(peer, message, (size_t)len), 0);
        assert_int_equal(cio_stream_readexactly(peer, echo, (size_t)len, NULL), 0);
        assert_memory_equal(echo, message, (size_t)len);
        assert_false(cio_transport_is_reading(t)); /* paused by data_received */
        assert_int_equal(cio_transport_resume_reading(t), 0);
    }
    assert_int_equal(r.chunks, 50);
    assert_int_equal(cio_transport_close(t), 0);
    wait_for(&r, &r.lost, 1);
    assert_int_equal(r.lost_err, 0);
    cio_stream_free(peer);
    return NULL;
}

static void echo_rounds_pausing_in_data_received(void **state) {
    (void)state;
    test_run_on_both_pollers(echo_rounds_main);
}

/* A transport that stopped reading no longer counts as waiting for its
 * fd: with nothing else to wake it, the virtual-clock loop reports the main
 * task's wait as a deadlock instead of polling forever. A read pass keeps
 * an armed transport counted throughout; one that ends paused (by
 * data_received) or at an EOF it keeps open (eof_received true) must drop
 * out. */
static int stuck_fds[2];

static void *stopped_then_stuck_main(void *arg) {
    struct rec *r = arg;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, stuck_fds), 0);
    cio_transport *t;
    const cio_protocol *protocol = r->keep_open ? &recorder : &pausing_echo;
    assert_int_equal(cio_connect_accepted_socket(stuck_fds[0], protocol, r, &t), 0);
    assert_int_equal(write(stuck_fds[1], "one", 3), 3);
    wait_for_bytes(r, 3); /* a read pass armed the fd (and data_received paused) */
    if (r->keep_open) {
        assert_int_equal(shutdown(stuck_fds[1], SHUT_WR), 0);
        wait_for(r, &r->eofs, 1);
    } else {
        assert_int_equal(write(stuck_fds[1], "two", 3), 3);
    }
    cio_event never;
    cio_event_init(&never);
    (void)cio_event_wait(&never); /* the loop ends it: nothing can set it */
    return NULL;
}

static void stopped_transport_does_not_keep_the_loop_waiting(void **state) {
    (void)state;
    for (int keep_open = 0; keep_open <= 1; keep_open++) {
        struct rec r;
        rec_init(&r);
        r.keep_open = keep_open;
        assert_int_equal(test_run(stopped_then_stuck_main, &r, NULL, NULL), -EDEADLK);
        assert_int_equal(r.len, 3);  /* paused: "two" stayed unread */
        assert_int_equal(r.lost, 1); /* the loop's close ended the transport */
        close(stuck_fds[1]);
    }
}

/* ---- backpressure ---------------------------------------------------------------------------- */

static void *backpressure_main(void *arg) {
    (void)arg;
    struct rec r;
    rec_init(&r);
    cio_stream *peer = transport_pair(&r);
    cio_transport *t = r.transport;
    assert_int_equal(cio_transport_set_write_buffer_limits(t, 64 * 1024, 16 * 1024), 0);
    static char chunk[16 * 1024];
    memset(chunk, 'x', sizeof chunk);
    size_t written = 0;
    /* The peer does not read: the socket fills, then the buffer. */
    while (r.pauses == 0) {
        assert_int_equal(cio_transport_write(t, chunk, sizeof chunk), 0);
        written += sizeof chunk;
        assert_true(written < 64u * 1024 * 1024);
    }
    assert_true(cio_transport_get_write_buffer_size(t) > 64 * 1024);
    assert_int_equal(r.resumes, 0);
    /* The peer reads it all: resume_writing comes once the buffer is down to 16 KiB. */
    static char sink[64 * 1024];
    size_t got = 0;
    while (got < written) {
        ssize_t n = cio_stream_read(peer, sink, sizeof sink);
        assert_true(n > 0);
        got += (size_t)n;
    }
    assert_int_equal(r.pauses, 1);
    assert_int_equal(r.resumes, 1);
    assert_int_equal(cio_transport_get_write_buffer_size(t), 0);
    assert_int_equal(cio_transport_set_write_buffer_limits(t, 10, 20), -EINVAL);
    assert_int_equal(cio_transport_close(t), 0);
    wait_for(&r, &r.lost, 1);
    assert_int_equal(r.lost_err, 0);
    cio_stream_free(peer);
    return NULL;
}

static void backpressure_pauses_and_resumes_writing(void **state) {
    (void)state;
    test_run_on_both_pollers(backpressure_main);
}

/* ---- EOF
 * ------------------------------------------------------------------------------------------- */

static void *half_close_main(void *arg) {
    (void)arg;
    struct rec r;
    rec_init(&r);
    r.keep_open = true;
    cio_stream *peer = transport_pair(&r);
    cio_transport *t = r.transport;
    assert_true(cio_transport_can_write_eof(t));
    assert_int_equal(cio_stream_write(peer, "question", 8), 0);
    assert_int_equal(cio_stream_write_eof(peer), 0);
    wait_for(&r, &r.eofs, 1);
    assert_memory_equal(r.data, "question", 8);
    assert_false(cio_transport_is_reading(t));
    assert_false(cio_transport_is_closing(t)); /* kept open: it may still answer */
    assert_int_equal(cio_transport_write(t, "answer", 6), 0);
    assert_int_equal(cio_transport_write_eof(t), 0);
    assert_int_equal(cio_transport_write(t, "more", 4), -CIO_ECLOSED);
    char *all;
    size_t len;
    assert_int_equal(cio_stream_read_all(peer, &all, &len), 0);
    assert_int_equal(len, 6);
    assert_memory_equal(all, "answer", 6);
    free(all);
    assert_int_equal(cio_transport_close(t), 0);
    wait_for(&r, &r.lost, 1);
    assert_int_equal(r.lost_err, 0);
    cio_stream_free(peer);
    return NULL;
}

static void eof_received_keeps_the_transport_open(void **state) {
    (void)state;
    test_run_on_both_pollers(half_close_main);
}

static void *eof_closes_main(void *arg) {
    (void)arg;
    struct rec r;
    rec_init(&r);
    cio_stream *peer = transport_pair(&r);
    assert_int_equal(cio_stream_close(peer), 0);
    wait_for(&r, &r.lost, 1);
    assert_int_equal(r.eofs, 1);
    assert_int_equal(r.lost_err, 0);
    cio_stream_free(peer);
    return NULL;
}

static void eof_received_false_closes(void **state) {
    (void)state;
    test_run_on_both_pollers(eof_closes_main);
}

/* The peer's last data and its FIN in one readiness report, to a transport
 * already armed: the short read of the data must not end the pass, or the
 * EOF is never seen (edge-triggered epoll reports the hang-up only once). */
static void *fin_with_data_main(void *arg) {
    (void)arg;
    struct rec r;
    rec_init(&r);
    cio_stream *peer = transport_pair(&r);
    assert_int_equal(cio_sleep(0.01), 0); /* the first read pass ran and armed the watch */
    assert_int_equal(cio_stream_write(peer, "last", 4), 0);
    assert_int_equal(cio_stream_write_eof(peer), 0); /* same turn: one report */
    wait_for(&r, &r.lost, 1);
    assert_int_equal(r.eofs, 1);
    assert_memory_equal(r.data, "last", 4);
    cio_stream_free(peer);
    return NULL;
}

static void eof_that_comes_with_the_last_data(void **state) {
    (void)state;
    test_run_on_both_pollers(fin_with_data_main);
}

/* A stream that a task read from, then handed to a transport: what the
 * stream had buffered comes first, then what follows. */
static void *from_stream_main(void *arg) {
    (void)arg;
    int fds[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    cio_stream *stream, *peer;
    assert_int_equal(cio_stream_from_socket(fds[0], 0, &stream), 0);
    assert_int_equal(cio_stream_from_socket(fds[1], 0, &peer), 0);
    assert_int_equal(cio_stream_write(peer, "HELLO\nrest", 10), 0);
    char line[16];
    assert_int_equal(cio_stream_readline(stream, line, sizeof line), 6); /* "rest" stays in it */
    struct rec r;
    rec_init(&r);
    cio_transport *t;
    assert_int_equal(cio_transport_new(stream, &recorder, &r, &t), 0);
    assert_int_equal(cio_stream_write(peer, "+more", 5), 0);
    wait_for_bytes(&r, 9);
    assert_memory_equal(r.data, "rest+more", 9);
    assert_int_equal(cio_transport_close(t), 0);
    wait_for(&r, &r.lost, 1);
    cio_stream_free(peer);
    return NULL;
}

static void a_stream_handed_over_delivers_its_buffer_first(void **state) {
    (void)state;
    test_run_on_both_pollers(from_stream_main);
}

/* ---- a reset
 * ------------------------------------------------------------------------------------------ */

static void *reset_main(void *arg) {
    (void)arg;
    struct rec r;
    rec_init(&r);
    cio_server *server;
    server_connections = 0;
    assert_int_equal(
        cio_create_server("127.0.0.1", 0, &recorder, new_connection, NULL, NULL, &server), 0);
    int fd = cio_socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_storage addr;
    socklen_t alen = sizeof addr;
    assert_int_equal(cio_server_sockname(server, 0, (struct sockaddr *)&addr, &alen), 0);
    assert_int_equal(cio_sock_connect(fd, (struct sockaddr *)&addr, alen), 0);
    assert_int_equal(cio_sock_send(fd, "hi", 2), 2);
    while (server_connections == 0 || server_recs[0].len < 2) assert_int_equal(cio_sleep(0.01), 0);
    struct linger hard = {.l_onoff = 1, .l_linger = 0}; /* close sends RST */
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard), 0);
    cio_close(fd);
    wait_for(&server_recs[0], &server_recs[0].lost, 1);
    assert_int_equal(server_recs[0].lost_err, -ECONNRESET);
    assert_int_equal(cio_server_close(server), 0);
    assert_int_equal(cio_server_wait_closed(server), 0);
    cio_server_free(server);
    return NULL;
}

static void connection_lost_gets_the_reset(void **state) {
    (void)state;
    test_run_on_both_pollers(reset_main);
}

/* ---- the buffered protocol
 * ---------------------------------------------------------------------------- */

struct buffered {
    char buf[4]; /* tiny: each recv fills at most 4 bytes */
    char all[64];
    size_t len;
    int lost;
    cio_event changed;
};

static int get_buffer(cio_transport *t, size_t sizehint, void **buf, size_t *len, void *arg) {
    (void)t;
    assert_true(sizehint > 0);
    struct buffered *b = arg;
    *buf = b->buf;
    *len = sizeof b->buf;
    return 0;
}

static void buffer_updated(cio_transport *t, size_t n, void *arg) {
    (void)t;
    struct buffered *b = arg;
    assert_true(n <= sizeof b->buf && b->len + n <= sizeof b->all);
    memcpy(b->all + b->len, b->buf, n);
    b->len += n;
    cio_event_set(&b->changed);
}

static void buffered_lost(cio_transport *t, int err, void *arg) {
    (void)t;
    (void)err;
    struct buffered *b = arg;
    b->lost++;
    cio_event_set(&b->changed);
}

static const cio_protocol buffered_protocol = {
    .get_buffer = get_buffer,
    .buffer_updated = buffer_updated,
    .connection_lost = buffered_lost,
};

static void *buffered_main(void *arg) {
    (void)arg;
    struct buffered b = {0};
    cio_event_init(&b.changed);
    int fds[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    cio_transport *t;
    assert_int_equal(cio_connect_accepted_socket(fds[0], &buffered_protocol, &b, &t), 0);
    assert_int_equal(cio_sock_send(fds[1], "0123456789", 10), 10);
    while (b.len < 10) {
        assert_int_equal(cio_event_wait(&b.changed), 0);
        cio_event_clear(&b.changed);
    }
    assert_memory_equal(b.all, "0123456789", 10);
    cio_close(fds[1]);
    while (b.lost == 0) {
        assert_int_equal(cio_event_wait(&b.changed), 0);
        cio_event_clear(&b.changed);
    }
    return NULL;
}

static void buffered_protocol_reads_into_its_buffer(void **state) {
    (void)state;
    test_run_on_both_pollers(buffered_main);
}

/* ---- error paths
 * ---------------------------------------------------------------------------------------- */

static void *errors_main(void *arg) {
    (void)arg;
    cio_transport *t = (cio_transport *)&t;
    int fds[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    struct rec r;
    rec_init(&r);
    assert_int_equal(cio_connect_accepted_socket(fds[0], NULL, &r, &t), -EINVAL);
    assert_null(t);
    assert_int_equal(cio_connect_accepted_socket(-1, &recorder, &r, &t), -EINVAL);
    assert_int_equal(cio_transport_new(NULL, &recorder, &r, &t), -EINVAL);
    assert_int_equal(cio_create_connection("127.0.0.1", 1, NULL, &r, NULL, &t), -EINVAL);
    assert_int_equal(cio_create_server("127.0.0.1", 0, NULL, NULL, NULL, NULL, NULL), -EINVAL);
    assert_int_equal(cio_transport_write(NULL, "x", 1), -EINVAL);
    assert_int_equal(cio_transport_close(NULL), -EINVAL);
    assert_false(cio_transport_is_reading(NULL));
    assert_int_equal(cio_transport_get_write_buffer_size(NULL), 0);

    /* A stream handed over on failure too: a NULL protocol frees it. */
    cio_stream *s;
    assert_int_equal(cio_stream_from_socket(fds[0], 0, &s), 0);
    assert_int_equal(cio_transport_new(s, NULL, &r, &t), -EINVAL);

    assert_int_equal(cio_connect_accepted_socket(fds[1], &recorder, &r, &t), 0);
    assert_int_equal(cio_transport_write(t, NULL, 1), -EINVAL);
    assert_int_equal(cio_transport_close(t), 0);
    assert_true(cio_transport_is_closing(t));
    assert_int_equal(cio_transport_close(t), -CIO_ECLOSED); /* double close */
    assert_int_equal(cio_transport_write(t, "x", 1), -CIO_ECLOSED);
    assert_int_equal(cio_transport_pause_reading(t), -CIO_ECLOSED);
    assert_int_equal(cio_transport_resume_reading(t), -CIO_ECLOSED);
    assert_int_equal(r.lost, 0); /* from the loop, not inside close */
    wait_for(&r, &r.lost, 1);
    /* Freed after connection_lost: the stale handle is refused, with a report. */
    assert_int_equal(cio_transport_write(t, "x", 1), -EINVAL);
    assert_int_equal(cio_transport_close(t), -EINVAL);
    assert_false(cio_transport_is_closing(t));
    return NULL;
}

static void error_paths(void **state) {
    (void)state;
    test_run_on_both_pollers(errors_main);
}

/* Writing to a peer that is gone: the write fails, connection_lost gets
 * the error. */
static void *broken_pipe_main(void *arg) {
    (void)arg;
    struct rec r;
    rec_init(&r);
    cio_stream *peer = transport_pair(&r);
    assert_int_equal(cio_stream_abort(peer), 0);
    cio_stream_free(peer);
    static char chunk[64 * 1024];
    int rc = 0;
    for (int i = 0; i < 100 && rc == 0; i++)
        rc = cio_transport_write(r.transport, chunk, sizeof chunk);
    assert_true(rc == -EPIPE || rc == -ECONNRESET || rc == -CIO_ECLOSED);
    wait_for(&r, &r.lost, 1);
    assert_true(r.lost_err == -EPIPE || r.lost_err == -ECONNRESET || r.lost_err == 0);
    return NULL;
}

static void write_to_a_gone_peer_loses_the_connection(void **state) {
    (void)state;
    test_run_on_both_pollers(broken_pipe_main);
}

/* The loop closes with transports still open (a client, a server's
 * connection): each gets connection_lost(-ECANCELED) as it closes, nothing
 * leaks (the ASan build checks) and no fd stays open. */
static struct rec left_open;

static void *left_open_main(void *arg) {
    (void)arg;
    rec_init(&left_open);
    server_connections = 0;
    cio_server *server;
    assert_int_equal(
        cio_create_server("127.0.0.1", 0, &recorder, new_connection, NULL, NULL, &server), 0);
    cio_transport *t;
    assert_int_equal(cio_create_connection("127.0.0.1", cio_server_port(server), &recorder,
                                           &left_open, NULL, &t),
                     0);
    assert_int_equal(cio_transport_write(t, "x", 1), 0);
    wait_for_bytes(&left_open, 1); /* the server's side is up and echoing */
    cio_server_free(server);
    return NULL;
}

static void loop_close_ends_open_transports(void **state) {
    (void)state;
    test_run_checked(left_open_main, NULL);
    assert_int_equal(left_open.lost, 1);
    assert_int_equal(left_open.lost_err, -ECANCELED);
    assert_int_equal(server_recs[0].lost, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(server_and_client_exchange_data),
        cmocka_unit_test(unix_server_and_client),
        cmocka_unit_test(pause_and_resume_reading),
        cmocka_unit_test(echo_rounds_pausing_in_data_received),
        cmocka_unit_test(stopped_transport_does_not_keep_the_loop_waiting),
        cmocka_unit_test(backpressure_pauses_and_resumes_writing),
        cmocka_unit_test(eof_received_keeps_the_transport_open),
        cmocka_unit_test(eof_received_false_closes),
        cmocka_unit_test(eof_that_comes_with_the_last_data),
        cmocka_unit_test(connection_lost_gets_the_reset),
        cmocka_unit_test(buffered_protocol_reads_into_its_buffer),
        cmocka_unit_test(error_paths),
        cmocka_unit_test(write_to_a_gone_peer_loses_the_connection),
        cmocka_unit_test(loop_close_ends_open_transports),
        cmocka_unit_test(a_stream_handed_over_delivers_its_buffer_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
