/* Servers on real loopback sockets: echo round trips from 0 bytes to 64
 * MiB, 1,000 concurrent clients, close while clients are connected,
 * close_clients / abort_clients, the connection cap, EMFILE on accept,
 * serve_forever and its cancellation, all interfaces (IPv4 and IPv6), Unix
 * servers, shutdown by cio_run. Virtual clock; no fd may leak. */
#include "testutil.h"

#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

/* ---- handlers ---------------------------------------------------------------------------- */

static int handlers_running, most_handlers;
static int handler_results[8]; /* how handlers ended, by kind */

/* Echo until EOF, then half-close: the client reads everything, then EOF. */
static void echo(cio_stream *stream, void *arg) {
    (void)arg;
    handlers_running++;
    if (handlers_running > most_handlers) most_handlers = handlers_running;
    char *buf = malloc(65536);
    ssize_t n;
    while ((n = cio_stream_read(stream, buf, 65536)) > 0)
        if (cio_stream_write(stream, buf, (size_t)n) < 0 || cio_stream_drain(stream) < 0) break;
    if (n == 0) cio_stream_write_eof(stream);
    if (n == -CIO_ECLOSED) handler_results[0]++;
    if (n == -ECANCELED) handler_results[1]++;
    free(buf);
    handlers_running--;
}

/* ---- echo round trips ------------------------------------------------------------------------ */

static unsigned char pattern(size_t i) {
    return (unsigned char)((i * 2654435761u) >> 13);
}

struct transfer {
    cio_stream *stream;
    size_t size;
};

static void *send_pattern(void *arg) {
    struct transfer *transfer = arg;
    unsigned char chunk[32768];
    for (size_t sent = 0; sent < transfer->size;) {
        size_t len = transfer->size - sent < sizeof chunk ? transfer->size - sent : sizeof chunk;
        for (size_t i = 0; i < len; i++) chunk[i] = pattern(sent + i);
        assert_int_equal(cio_stream_write(transfer->stream, chunk, len), 0);
        assert_int_equal(cio_stream_drain(transfer->stream), 0);
        sent += len;
    }
    assert_int_equal(cio_stream_write_eof(transfer->stream), 0);
    return NULL;
}

static void round_trip(int port, size_t size) {
    cio_stream *stream;
    assert_int_equal(cio_open_connection("127.0.0.1", port, NULL, &stream), 0);
    struct transfer transfer = {stream, size};
    cio_task *sender;
    assert_int_equal(cio_create_task(send_pattern, &transfer, &sender), 0);
    unsigned char *buf = malloc(65536);
    size_t received = 0;
    ssize_t n;
    while ((n = cio_stream_read(stream, buf, 65536)) > 0) {
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] != pattern(received + (size_t)i))
                fail_msg("byte %zu differs", received + (size_t)i);
        received += (size_t)n;
    }
    assert_int_equal(n, 0);
    assert_int_equal(received, size);
    assert_int_equal(cio_await(sender, NULL), 0);
    free(buf);
    cio_stream_free(stream);
}

static void *echo_sizes(void *arg) {
    (void)arg;
    cio_server *server;
    assert_int_equal(cio_start_server("127.0.0.1", 0, echo, NULL, NULL, &server), 0);
    int port = cio_server_port(server);
    assert_true(port > 0);
    size_t sizes[] = {0, 1, 64, 1024, 65536, 1u << 20, 64u << 20};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) round_trip(port, sizes[i]);
    assert_int_equal(cio_server_close(server), 0);
    assert_int_equal(cio_server_wait_closed(server), 0);
    assert_int_equal(cio_server_connections(server), 0);
    cio_server_free(server);
    return NULL;
}

static void echo_round_trips_from_0_bytes_to_64_mib(void **state) {
    (void)state;
    test_run_checked(echo_sizes, NULL);
}

/* ---- 1,000 concurrent clients
 * --------------------------------------------------------------------- */

#define CLIENTS 1000

static int client_port, clients_done;

static void *chat_once(void *arg) {
    int id = (int)(intptr_t)arg;
    cio_stream *stream;
    int rc = cio_open_connection("127.0.0.1", client_port, NULL, &stream);
    if (rc < 0) return cio_fail(rc);
    char line[32], back[32];
    int len = snprintf(line, sizeof line, "client %d\n", id);
    assert_int_equal(cio_stream_write(stream, line, (size_t)len), 0);
    assert_int_equal(cio_stream_readline(stream, back, sizeof back), len);
    assert_memory_equal(back, line, (size_t)len);
    cio_stream_close(stream);
    assert_int_equal(cio_stream_wait_closed(stream), 0);
    cio_stream_free(stream);
    clients_done++;
    return NULL;
}

static void raise_fd_limit(rlim_t want) {
    struct rlimit limit;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &limit), 0);
    if (limit.rlim_cur >= want) return;
    if (limit.rlim_max < want) skip();
    limit.rlim_cur = want;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &limit), 0);
}

static void *many_clients(void *arg) {
    (void)arg;
    cio_server *server;
    int clients = test_scaled(CLIENTS, 100); /* load, not a limit */
    cio_server_options opts = {.backlog = clients};
    assert_int_equal(cio_start_server("127.0.0.1", 0, echo, NULL, &opts, &server), 0);
    client_port = cio_server_port(server);
    clients_done = 0;
    most_handlers = 0;
    cio_task *tasks[CLIENTS];
    for (int i = 0; i < clients; i++) cio_create_task(chat_once, (void *)(intptr_t)i, &tasks[i]);
    for (int i = 0; i < clients; i++) assert_int_equal(cio_await(tasks[i], NULL), 0);
    assert_int_equal(clients_done, clients);
    assert_true(most_handlers > clients / 10); /* they really overlapped */
    cio_server_close(server);
    assert_int_equal(cio_server_wait_closed(server), 0);
    cio_server_free(server);
    return NULL;
}

static void a_thousand_concurrent_clients(void **state) {
    (void)state;
    raise_fd_limit(2 * CLIENTS + 64);
    test_run_checked(many_clients, NULL);
}

/* ---- closing with clients connected
 * ----------------------------------------------------------------- */

static void *talk_slowly(void *arg) {
    cio_stream *stream = arg;
    char buf[16];
    for (int i = 0; i < 3; i++) {
        assert_int_equal(cio_sleep(1.0), 0);
        assert_int_equal(cio_stream_write(stream, "ping\n", 5), 0);
        assert_int_equal(cio_stream_readline(stream, buf, sizeof buf), 5);
    }
    return NULL;
}

static void *close_with_clients(void *arg) {
    (void)arg;
    cio_server *server;
    assert_int_equal(cio_start_server("127.0.0.1", 0, echo, NULL, NULL, &server), 0);
    int port = cio_server_port(server);
    cio_stream *first, *second;
    assert_int_equal(cio_open_connection("127.0.0.1", port, NULL, &first), 0);
    assert_int_equal(cio_open_connection("127.0.0.1", port, NULL, &second), 0);
    cio_task *talker;
    assert_int_equal(cio_create_task(talk_slowly, first, &talker), 0);
    assert_int_equal(cio_sleep(0.5), 0);
    assert_int_equal(cio_server_connections(server), 2);
    assert_int_equal(cio_server_close(server), 0); /* stop accepting only */
    assert_false(cio_server_is_serving(server));
    assert_int_equal(cio_server_close(server), -CIO_ECLOSED);
    assert_int_equal(cio_server_port(server), -CIO_ECLOSED);
    cio_stream *late;
    assert_int_equal(cio_open_connection("127.0.0.1", port, NULL, &late), -ECONNREFUSED);
    assert_int_equal(cio_await(talker, NULL), 0); /* the old connection still works */
    assert_true(test_now() == 3.0);
    /* wait_closed waits for the handlers: end them by closing the clients. */
    memset(handler_results, 0, sizeof handler_results);
    assert_int_equal(cio_stream_write_eof(first), 0);
    char buf[4];
    assert_int_equal(cio_stream_read(first, buf, sizeof buf), 0); /* its handler ended */
    assert_int_equal(cio_server_connections(server), 1);
    assert_int_equal(cio_server_close_clients(server), 1); /* second's handler */
    assert_int_equal(cio_server_wait_closed(server), 0);
    assert_true(test_now() == 3.0);
    assert_int_equal(handler_results[0], 1); /* its read said -CIO_ECLOSED */
    assert_int_equal(cio_stream_read(second, buf, sizeof buf), 0);
    cio_stream_free(first);
    cio_stream_free(second);
    cio_server_free(server);
    return NULL;
}

static void server_close_while_clients_are_connected(void **state) {
    (void)state;
    test_run_checked(close_with_clients, NULL);
}

static void *abort_with_clients(void *arg) {
    (void)arg;
    cio_server *server;
    assert_int_equal(cio_start_server("127.0.0.1", 0, echo, NULL, NULL, &server), 0);
    cio_stream *client;
    assert_int_equal(cio_open_connection("127.0.0.1", cio_server_port(server), NULL, &client), 0);
    assert_int_equal(cio_sleep(0.1), 0);
    assert_int_equal(cio_server_abort_clients(server), 1);
    char buf[4];
    ssize_t n = cio_stream_read(client, buf, sizeof buf);
    assert_true(n == 0 || n == -ECONNRESET);
    /* free closes the server; the handler ends on its own. */
    cio_server_free(server);
    assert_int_equal(cio_sleep(0.1), 0);
    cio_stream_free(client);
    return NULL;
}

static void abort_clients_and_free_with_handlers_running(void **state) {
    (void)state;
    test_run_checked(abort_with_clients, NULL);
}

/* ---- the connection cap, and EMFILE
 * ----------------------------------------------------------------- */

static void *hold_open(void *arg) {
    int port = (int)(intptr_t)arg;
    cio_stream *stream;
    assert_int_equal(cio_open_connection("127.0.0.1", port, NULL, &stream), 0);
    assert_int_equal(cio_stream_write(stream, "hi\n", 3), 0);
    char buf[8];
    assert_int_equal(cio_stream_readline(stream, buf, sizeof buf), 3); /* served */
    assert_int_equal(cio_sleep(1.0), 0);
    cio_stream_free(stream);
    return NULL;
}

static void *capped(void *arg) {
    (void)arg;
    cio_server *server;
    cio_server_options opts = {.max_connections = 2};
    assert_int_equal(cio_start_server("127.0.0.1", 0, echo, NULL, &opts, &server), 0);
    most_handlers = 0;
    cio_task *tasks[5];
    for (int i = 0; i < 5; i++)
        assert_int_equal(
            cio_create_task(hold_open, (void *)(intptr_t)cio_server_port(server), &tasks[i]), 0);
    for (int i = 0; i < 5; i++) assert_int_equal(cio_await(tasks[i], NULL), 0);
    assert_int_equal(most_handlers, 2);
    assert_true(test_now() == 3.0); /* served two by two: 1 s each round */
    cio_server_free(server);
    assert_int_equal(cio_sleep(0.1), 0);
    return NULL;
}

static void connection_cap(void **state) {
    (void)state;
    test_run_checked(capped, NULL);
}

static void *out_of_fds(void *arg) {
    (void)arg;
    cio_server *server;
    assert_int_equal(cio_start_server("127.0.0.1", 0, echo, NULL, NULL, &server), 0);
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    assert_int_equal(cio_server_sockname(server, 0, (struct sockaddr *)&addr, &len), 0);
    assert_int_equal(cio_server_sockname(server, 1, (struct sockaddr *)&addr, &len), -ENOENT);
    int clients[3];
    for (int i = 0; i < 3; i++) {
        clients[i] = cio_socket(AF_INET, SOCK_STREAM, 0);
        assert_true(clients[i] >= 0);
    }
    struct rlimit saved, low;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
    low = saved;
    int lowest_free = dup(0); /* new fds take the lowest free number */
    close(lowest_free);
    low.rlim_cur = (rlim_t)lowest_free; /* no fd can be opened now */
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(cio_sock_connect(clients[i], (struct sockaddr *)&addr, len), 0);
    double start = test_now();
    /* The acceptor gets EMFILE and backs off: were it spinning, the virtual
     * clock could not move and this sleep would never end. */
    assert_int_equal(cio_sleep(5.0), 0);
    assert_int_equal(cio_server_connections(server), 0);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
    /* Bounded: a connection lost on EMFILE would otherwise wait forever. */
    for (int tries = 0; tries < 8 && cio_server_connections(server) < 3; tries++)
        assert_int_equal(cio_sleep(0.25), 0);
    assert_int_equal(cio_server_connections(server), 3);
    assert_true(test_now() - start <= 6.0); /* picked up within one retry delay */
    for (int i = 0; i < 3; i++) cio_close(clients[i]);
    cio_server_close(server);
    assert_int_equal(cio_server_wait_closed(server), 0);
    cio_server_free(server);
    return NULL;
}

static void emfile_on_accept_does_not_spin(void **state) {
    (void)state;
    /* valgrind emulates RLIMIT_NOFILE: the kernel's accept4 succeeds, then
     * valgrind closes the new fd and returns EMFILE, so the client's
     * connection is gone and the server can never pick it up. */
    if (RUNNING_ON_VALGRIND) skip();
    test_run_checked(out_of_fds, NULL);
}

/* ---- serve_forever
 * ---------------------------------------------------------------------------------- */

static void *serve(void *arg) {
    int rc = cio_server_serve_forever(arg);
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void *forever(void *arg) {
    (void)arg;
    cio_server *server;
    assert_int_equal(cio_start_server("127.0.0.1", 0, echo, NULL, NULL, &server), 0);
    cio_task *serving;
    assert_int_equal(cio_create_task(serve, server, &serving), 0);
    assert_int_equal(cio_sleep(1.0), 0);
    cio_task_cancel(serving);
    assert_int_equal(cio_await(serving, NULL), -ECANCELED);
    assert_false(cio_server_is_serving(server)); /* cancelling serve_forever closed it */
    assert_int_equal(cio_server_serve_forever(server), -CIO_ECLOSED);
    cio_server_free(server);

    assert_int_equal(cio_start_server("127.0.0.1", 0, echo, NULL, NULL, &server), 0);
    assert_int_equal(cio_create_task(serve, server, &serving), 0);
    assert_int_equal(cio_sleep(1.0), 0);
    cio_server_close(server);
    assert_int_equal(cio_await(serving, NULL), 0);
    cio_server_free(server);
    return NULL;
}

static void serve_forever_ends_with_close_or_cancel(void **state) {
    (void)state;
    test_run_checked(forever, NULL);
}

/* ---- addresses: all interfaces, reuse, Unix
 * ------------------------------------------------------------ */

static void *all_interfaces(void *arg) {
    (void)arg;
    cio_server *server;
    assert_int_equal(cio_start_server(NULL, 0, echo, NULL, NULL, &server), 0);
    int port = cio_server_port(server);
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;
    assert_int_equal(cio_server_sockname(server, 1, (struct sockaddr *)&addr, &len),
                     0); /* two sockets */
    const char *hosts[] = {"127.0.0.1", "::1"};
    for (int i = 0; i < 2; i++) {
        cio_stream *stream;
        assert_int_equal(cio_open_connection(hosts[i], port, NULL, &stream), 0);
        assert_int_equal(cio_stream_write(stream, "x\n", 2), 0);
        char buf[4];
        assert_int_equal(cio_stream_readline(stream, buf, sizeof buf), 2);
        cio_stream_free(stream);
    }
    cio_server *second;
    assert_int_equal(cio_start_server("127.0.0.1", port, echo, NULL, NULL, &second), -EADDRINUSE);
    cio_server_free(server);

    cio_server_options reuse = {.reuse_port = true};
    assert_int_equal(cio_start_server("::1", 0, echo, NULL, &reuse, &server), 0);
    assert_int_equal(cio_start_server("::1", cio_server_port(server), echo, NULL, &reuse, &second),
                     0);
    cio_server_free(second);
    cio_server_free(server);
    assert_int_equal(cio_start_server("127.0.0.1", 70000, echo, NULL, NULL, &server), -EINVAL);
    assert_int_equal(cio_start_server("127.0.0.1", 0, NULL, NULL, NULL, &server), -EINVAL);
    assert_int_equal(cio_sleep(0.1), 0);
    return NULL;
}

static void all_interfaces_ipv4_and_ipv6_and_reuse_port(void **state) {
    (void)state;
    test_run_checked(all_interfaces, NULL);
}

static void *unix_server(void *arg) {
    (void)arg;
    char path[64];
    snprintf(path, sizeof path, "/tmp/cio-test-server-%d.sock", (int)getpid());
    unlink(path);
    cio_server *server;
    for (int round = 0; round < 2; round++) { /* the second finds a stale socket file */
        assert_int_equal(cio_start_unix_server(path, echo, NULL, NULL, &server), 0);
        cio_stream *stream;
        assert_int_equal(cio_open_unix_connection(path, NULL, &stream), 0);
        assert_int_equal(cio_stream_write(stream, "unix\n", 5), 0);
        char buf[8];
        assert_int_equal(cio_stream_readline(stream, buf, sizeof buf), 5);
        cio_stream_free(stream);
        assert_int_equal(cio_server_port(server), -EINVAL);
        if (round == 0) {
            cio_server_free(server);
            assert_int_equal(access(path, F_OK), -1); /* removed on close */
            int fd = cio_socket(AF_UNIX, SOCK_STREAM, 0);
            struct sockaddr_un addr = {.sun_family = AF_UNIX};
            strcpy(addr.sun_path, path);
            assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
            cio_close(fd); /* leaves a stale socket file */
        }
    }
    cio_server_close(server);
    assert_int_equal(cio_server_wait_closed(server), 0);
    cio_server_free(server);
    FILE *file = fopen(path, "w"); /* not a socket: not ours to remove */
    fclose(file);
    assert_int_equal(cio_start_unix_server(path, echo, NULL, NULL, &server), -EADDRINUSE);
    unlink(path);
    assert_int_equal(cio_start_unix_server("@cio-test-abstract", echo, NULL, NULL, &server), 0);
    cio_stream *stream;
    assert_int_equal(cio_open_unix_connection("@cio-test-abstract", NULL, &stream), 0);
    cio_stream_free(stream);
    cio_server_free(server);
    assert_int_equal(cio_sleep(0.1), 0);
    return NULL;
}

static void unix_servers(void **state) {
    (void)state;
    test_run_checked(unix_server, NULL);
}

/* ---- shutdown by cio_run
 * ------------------------------------------------------------------------------- */

static cio_server *left_running;
static cio_stream *client;

static void *leave_everything_running(void *arg) {
    (void)arg;
    assert_int_equal(cio_start_server("127.0.0.1", 0, echo, NULL, NULL, &left_running), 0);
    assert_int_equal(cio_open_connection("127.0.0.1", cio_server_port(left_running), NULL, &client),
                     0);
    assert_int_equal(cio_sleep(0.1), 0); /* its handler now waits in read */
    return NULL;
}

static void cio_run_shutdown_cancels_handlers(void **state) {
    (void)state;
    int before = test_count_fds();
    memset(handler_results, 0, sizeof handler_results);
    cio_loop_options opts = {.clock = CIO_CLOCK_VIRTUAL};
    assert_int_equal(cio_run_ex(leave_everything_running, NULL, &opts, NULL), 0);
    assert_int_equal(handler_results[1], 1); /* the handler saw -ECANCELED */
    /* Freed after their loop is gone: the listener and the client close. */
    cio_server_free(left_running);
    cio_stream_free(client);
    assert_int_equal(test_count_fds(), before);
}

static void outside_a_task(void **state) {
    (void)state;
    cio_server *server;
    assert_int_equal(cio_start_server("127.0.0.1", 0, echo, NULL, NULL, &server), -EPERM);
    assert_int_equal(cio_start_unix_server("/tmp/x", echo, NULL, NULL, &server), -EPERM);
    assert_int_equal(cio_server_wait_closed(NULL), -EPERM);
    assert_int_equal(cio_server_close(NULL), -EINVAL);
    assert_int_equal(cio_server_close_clients(NULL), -EINVAL);
    assert_false(cio_server_is_serving(NULL));
    cio_server_free(NULL);
}

int main(void) {
    signal(SIGPIPE, SIG_DFL); /* nothing here may raise it */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(echo_round_trips_from_0_bytes_to_64_mib),
        cmocka_unit_test(a_thousand_concurrent_clients),
        cmocka_unit_test(server_close_while_clients_are_connected),
        cmocka_unit_test(abort_clients_and_free_with_handlers_running),
        cmocka_unit_test(connection_cap),
        cmocka_unit_test(emfile_on_accept_does_not_spin),
        cmocka_unit_test(serve_forever_ends_with_close_or_cancel),
        cmocka_unit_test(all_interfaces_ipv4_and_ipv6_and_reuse_port),
        cmocka_unit_test(unix_servers),
        cmocka_unit_test(cio_run_shutdown_cancels_handlers),
        cmocka_unit_test(outside_a_task),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
