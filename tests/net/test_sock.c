/* The low-level socket calls (asyncio's loop.sock_*) and fd readiness waits
 * on real loopback sockets, on both pollers: data, EOF, connect and accept,
 * refusal, reset, broken pipe, cancellation at every wait, misuse. The
 * virtual clock makes the times exact; no fd may leak. */
#include "testutil.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* A listening TCP socket on 127.0.0.1 with a free port, non-blocking. */
static int listen_loopback(struct sockaddr_in *addr, int backlog) {
    int fd = cio_socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    *addr = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)addr, sizeof *addr), 0);
    socklen_t len = sizeof *addr;
    assert_int_equal(getsockname(fd, (struct sockaddr *)addr, &len), 0);
    assert_int_equal(listen(fd, backlog), 0);
    return fd;
}

/* ---- data over a socketpair --------------------------------------------------------------- */

static int pair[2];

static void *write_later(void *arg) {
    (void)arg;
    assert_int_equal(cio_sleep(1.0), 0);
    assert_int_equal(cio_sock_send_all(pair[1], "hello", 5, NULL), 0);
    assert_int_equal(cio_sleep(1.0), 0);
    assert_int_equal(shutdown(pair[1], SHUT_WR), 0);
    return NULL;
}

static void *recv_and_eof(void *arg) {
    (void)arg;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair), 0);
    cio_task *writer;
    assert_int_equal(cio_create_task(write_later, NULL, &writer), 0);
    char buf[16];
    assert_int_equal(cio_sock_recv(pair[0], buf, sizeof buf), 5);
    assert_true(test_now() == 1.0);
    assert_memory_equal(buf, "hello", 5);
    assert_int_equal(cio_sock_recv(pair[0], buf, sizeof buf), 0); /* EOF */
    assert_true(test_now() == 2.0);
    assert_int_equal(cio_sock_recv(pair[0], buf, 0), 0);
    assert_int_equal(cio_await(writer, NULL), 0);
    cio_close(pair[0]);
    cio_close(pair[1]);
    return NULL;
}

static void recv_waits_then_sees_eof(void **state) {
    (void)state;
    test_run_on_both_pollers(recv_and_eof);
}

static void *scatter_gather(void *arg) {
    (void)arg;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0); /* blocking fds are fine here */
    assert_int_equal(cio_sock_send(pair[1], "abcdefgh", 8), 8);
    char first[3], second[8];
    struct iovec iov[2] = {{first, sizeof first}, {second, sizeof second}};
    assert_int_equal(cio_sock_recv_into(pair[0], iov, 2), 8);
    assert_memory_equal(first, "abc", 3);
    assert_memory_equal(second, "defgh", 5);
    cio_close(pair[0]);
    cio_close(pair[1]);
    return NULL;
}

static void recv_into_scatters(void **state) {
    (void)state;
    test_run_on_both_pollers(scatter_gather);
}

/* ---- connect, accept, a big transfer ------------------------------------------------------------
 */

#define BIG (4u << 20)

static void *accept_and_sink(void *arg) {
    int listener = *(int *)arg;
    struct sockaddr_in peer;
    socklen_t len = sizeof peer;
    int fd = cio_sock_accept(listener, (struct sockaddr *)&peer, &len);
    assert_true(fd >= 0);
    assert_int_equal(peer.sin_family, AF_INET);
    assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    char *buf = malloc(65536);
    size_t total = 0;
    unsigned long sum = 0;
    ssize_t n;
    while ((n = cio_sock_recv(fd, buf, 65536)) > 0) {
        for (ssize_t i = 0; i < n; i++) sum += (unsigned char)buf[i];
        total += (size_t)n;
    }
    assert_int_equal(n, 0);
    free(buf);
    cio_close(fd);
    assert_int_equal(total, BIG);
    return (void *)(uintptr_t)sum;
}

static void *connect_accept_transfer(void *arg) {
    (void)arg;
    struct sockaddr_in addr;
    int listener = listen_loopback(&addr, 16);
    cio_task *server;
    assert_int_equal(cio_create_task(accept_and_sink, &listener, &server), 0);
    int fd = cio_socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(cio_sock_connect(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    char *data = malloc(BIG);
    unsigned long sum = 0;
    for (size_t i = 0; i < BIG; i++) {
        data[i] = (char)(i * 7 + 3);
        sum += (unsigned char)data[i];
    }
    size_t sent = 0;
    assert_int_equal(cio_sock_send_all(fd, data, BIG, &sent),
                     0); /* more than the socket buffers hold */
    assert_int_equal(sent, BIG);
    free(data);
    assert_int_equal(shutdown(fd, SHUT_WR), 0);
    void *received;
    assert_int_equal(cio_await(server, &received), 0);
    assert_int_equal((uintptr_t)received, sum);
    cio_close(fd);
    cio_close(listener);
    return NULL;
}

static void connect_accept_and_send_all(void **state) {
    (void)state;
    test_run_on_both_pollers(connect_accept_transfer);
}

/* ---- errors
 * --------------------------------------------------------------------------------------- */

static void *refused_and_misuse(void *arg) {
    (void)arg;
    struct sockaddr_in addr;
    int listener = listen_loopback(&addr, 1);
    cio_close(listener); /* nobody listens on that port now */
    int fd = cio_socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(cio_sock_connect(fd, (struct sockaddr *)&addr, sizeof addr), -ECONNREFUSED);
    cio_close(fd);

    int blocking = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(cio_sock_connect(blocking, (struct sockaddr *)&addr, sizeof addr), -EINVAL);
    assert_int_equal(cio_sock_accept(blocking, NULL, NULL), -EINVAL);
    close(blocking);
    assert_int_equal(cio_sock_connect(-1, (struct sockaddr *)&addr, sizeof addr), -EBADF);
    assert_int_equal(cio_sock_connect(3, NULL, 0), -EINVAL);
    assert_int_equal(cio_sock_recv(-1, &addr, 1), -EBADF);
    assert_int_equal(cio_sock_recv(0, NULL, 1), -EINVAL);
    assert_int_equal(cio_sock_send(0, NULL, 1), -EINVAL);
    assert_int_equal(cio_sock_recvfrom(0, &addr, 1, (struct sockaddr *)&addr, NULL), -EINVAL);
    assert_int_equal(cio_sock_recv_into(0, NULL, 1), -EINVAL);

    struct sockaddr_un missing = {.sun_family = AF_UNIX, .sun_path = "/nonexistent/cio.sock"};
    fd = cio_socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(cio_sock_connect(fd, (struct sockaddr *)&missing, sizeof missing), -ENOENT);
    cio_close(fd);
    return NULL;
}

static void refused_and_bad_arguments(void **state) {
    (void)state;
    test_run_on_both_pollers(refused_and_misuse);
}

/* The peer closes with SO_LINGER 0: an RST. */
static void reset_close(int fd) {
    struct linger linger = {.l_onoff = 1, .l_linger = 0};
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, sizeof linger), 0);
    cio_close(fd);
}

static void *accept_then_reset(void *arg) {
    int listener = *(int *)arg;
    int fd = cio_sock_accept(listener, NULL, NULL);
    assert_true(fd >= 0);
    assert_int_equal(cio_sleep(1.0), 0);
    reset_close(fd);
    return NULL;
}

static void *reset_and_broken_pipe(void *arg) {
    (void)arg;
    struct sockaddr_in addr;
    int listener = listen_loopback(&addr, 4);
    cio_task *server;
    assert_int_equal(cio_create_task(accept_then_reset, &listener, &server), 0);
    int fd = cio_socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(cio_sock_connect(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    char buf[64] = {0};
    assert_int_equal(cio_sock_recv(fd, buf, sizeof buf), -ECONNRESET); /* mid-read */
    assert_true(test_now() == 1.0);
    assert_int_equal(cio_await(server, NULL), 0);
    /* After a reset, writing is a broken pipe: -EPIPE, and SIGPIPE (left at
     * its default action, which would kill us) is never raised. */
    assert_int_equal(cio_sock_send_all(fd, buf, sizeof buf, NULL), -EPIPE);
    cio_close(fd);
    cio_close(listener);
    return NULL;
}

static void peer_reset_and_broken_pipe(void **state) {
    (void)state;
    signal(SIGPIPE, SIG_DFL);
    test_run_on_both_pollers(reset_and_broken_pipe);
}

/* ---- cancellation and timeouts at every wait
 * ------------------------------------------------------- */

static int blocked_fd;
static struct sockaddr_in blocked_addr;

static void *block_in_recv(void *arg) {
    (void)arg;
    char byte;
    return cio_fail((int)cio_sock_recv(blocked_fd, &byte, 1));
}

static void *block_in_accept(void *arg) {
    (void)arg;
    return cio_fail(cio_sock_accept(blocked_fd, NULL, NULL));
}

static void *block_in_send(void *arg) {
    (void)arg;
    static char chunk[1 << 16];
    for (;;) {
        ssize_t n = cio_sock_send(blocked_fd, chunk, sizeof chunk);
        if (n < 0) return cio_fail((int)n);
    }
}

static void *block_in_connect(void *arg) {
    (void)arg;
    return cio_fail(
        cio_sock_connect(blocked_fd, (struct sockaddr *)&blocked_addr, sizeof blocked_addr));
}

/* Start fn, let it block, cancel it at t+1: it must end with -ECANCELED at
 * exactly that time, and the fd must be free for another waiter. */
static void cancel_blocked(cio_task_fn fn) {
    double start = test_now();
    cio_task *task;
    assert_int_equal(cio_create_task(fn, NULL, &task), 0);
    assert_int_equal(cio_sleep(1.0), 0);
    assert_false(cio_task_done(task));
    assert_int_equal(cio_task_cancel(task), 0);
    assert_int_equal(cio_await(task, NULL), -ECANCELED);
    assert_true(test_now() == start + 1.0);
}

static void *cancel_everywhere(void *arg) {
    (void)arg;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair), 0);
    blocked_fd = pair[0];
    cancel_blocked(block_in_recv);
    cancel_blocked(block_in_send); /* fills the buffer, then blocks */
    cio_close(pair[0]);
    cio_close(pair[1]);

    int listener = listen_loopback(&blocked_addr, 0);
    blocked_fd = listener;
    cancel_blocked(block_in_accept);
    /* Fill the accept queue (backlog 0 holds one), so the next SYN is
     * dropped and a connect stays pending. */
    int queued[2];
    for (int i = 0; i < 2; i++) {
        queued[i] = cio_socket(AF_INET, SOCK_STREAM, 0);
        connect(queued[i], (struct sockaddr *)&blocked_addr, sizeof blocked_addr);
    }
    assert_int_equal(cio_sleep(0.5), 0);
    blocked_fd = cio_socket(AF_INET, SOCK_STREAM, 0);
    cancel_blocked(block_in_connect);
    cio_close(blocked_fd);
    for (int i = 0; i < 2; i++) cio_close(queued[i]);
    cio_close(listener);
    return NULL;
}

static void cancel_in_recv_send_accept_connect(void **state) {
    (void)state;
    test_run_on_both_pollers(cancel_everywhere);
}

static void *timeouts_and_busy(void *arg) {
    (void)arg;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair), 0);
    double start = test_now();
    assert_int_equal(cio_wait_readable(pair[0], 2.5), -ETIMEDOUT);
    assert_true(test_now() == start + 2.5);
    assert_int_equal(cio_wait_writable(pair[0], 1.0), 0);
    cio_timeout scope;
    cio_timeout_begin(&scope, 0.5);
    char byte;
    assert_int_equal(cio_sock_recv(pair[0], &byte, 1), -ETIMEDOUT);
    assert_int_equal(cio_timeout_end(&scope), -ETIMEDOUT);
    blocked_fd = pair[0];
    cio_task *reader;
    assert_int_equal(cio_create_task(block_in_recv, NULL, &reader), 0);
    assert_int_equal(cio_yield(), 0);
    assert_int_equal(cio_sock_recv(pair[0], &byte, 1), -EBUSY); /* one reader per fd */
    assert_int_equal(cio_wait_readable(pair[0], -1), -EBUSY);
    cio_close(pair[0]); /* wakes the reader */
    assert_int_equal(cio_await(reader, NULL), -EBADF);
    cio_close(pair[1]);
    return NULL;
}

static void timeouts_busy_and_close_while_waiting(void **state) {
    (void)state;
    test_run_on_both_pollers(timeouts_and_busy);
}

static void outside_a_task(void **state) {
    (void)state;
    char byte;
    assert_int_equal(cio_sock_recv(0, &byte, 1), -EPERM);
    assert_int_equal(cio_sock_send(1, &byte, 1), -EPERM);
    assert_int_equal(cio_sock_send_all(1, &byte, 1, NULL), -EPERM);
    assert_int_equal(cio_sock_accept(0, NULL, NULL), -EPERM);
    struct sockaddr_in addr = {.sin_family = AF_INET};
    assert_int_equal(cio_sock_connect(0, (struct sockaddr *)&addr, sizeof addr), -EPERM);
    assert_int_equal(cio_sock_sendto(1, &byte, 1, NULL, 0), -EPERM);
    assert_int_equal(cio_sock_recvfrom(0, &byte, 1, NULL, NULL), -EPERM);
    int fd = cio_socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
    close(fd);
    assert_int_equal(cio_socket(-1, SOCK_STREAM, 0), -EAFNOSUPPORT);
}

/* ---- addresses as text
 * ---------------------------------------------------------------------------- */

static void format_addresses(void **state) {
    (void)state;
    char buf[CIO_ADDRSTRLEN];
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(8080)};
    inet_pton(AF_INET, "127.0.0.1", &in.sin_addr);
    assert_int_equal(cio_format_address((struct sockaddr *)&in, sizeof in, buf, sizeof buf), 14);
    assert_string_equal(buf, "127.0.0.1:8080");
    struct sockaddr_in6 in6 = {
        .sin6_family = AF_INET6, .sin6_port = htons(443), .sin6_scope_id = 2};
    inet_pton(AF_INET6, "fe80::1", &in6.sin6_addr);
    assert_true(cio_format_address((struct sockaddr *)&in6, sizeof in6, buf, sizeof buf) > 0);
    assert_string_equal(buf, "[fe80::1%2]:443");
    struct sockaddr_un un = {.sun_family = AF_UNIX, .sun_path = "/tmp/x.sock"};
    assert_true(cio_format_address((struct sockaddr *)&un, sizeof un, buf, sizeof buf) > 0);
    assert_string_equal(buf, "/tmp/x.sock");
    struct sockaddr_un abstract = {.sun_family = AF_UNIX, .sun_path = "\0name"};
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 5);
    assert_true(cio_format_address((struct sockaddr *)&abstract, len, buf, sizeof buf) > 0);
    assert_string_equal(buf, "@name");
    assert_int_equal(cio_format_address((struct sockaddr *)&in, sizeof in, buf, 5), -ENOSPC);
    assert_int_equal(cio_format_address(NULL, 0, buf, sizeof buf), -EINVAL);
    struct sockaddr other = {.sa_family = AF_PACKET};
    assert_int_equal(cio_format_address(&other, sizeof other, buf, sizeof buf), -EAFNOSUPPORT);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(recv_waits_then_sees_eof),
        cmocka_unit_test(recv_into_scatters),
        cmocka_unit_test(connect_accept_and_send_all),
        cmocka_unit_test(refused_and_bad_arguments),
        cmocka_unit_test(peer_reset_and_broken_pipe),
        cmocka_unit_test(cancel_in_recv_send_accept_connect),
        cmocka_unit_test(timeouts_busy_and_close_while_waiting),
        cmocka_unit_test(outside_a_task),
        cmocka_unit_test(format_addresses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
