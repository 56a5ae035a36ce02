/* Name resolution and connecting by name: localhost through the thread
 * pool, numeric hosts on the spot, lookups that fail locally (never a DNS
 * query), cancellation mid-lookup, reverse lookups, and happy eyeballs
 * across several addresses (built by hand, so the race is deterministic).
 * Virtual clock; no fd may leak. */
#include "testutil.h"

#include "net/net.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

static bool has_loopback_v4(const struct addrinfo *list) {
    for (; list; list = list->ai_next)
        if (list->ai_family == AF_INET &&
            ((struct sockaddr_in *)list->ai_addr)->sin_addr.s_addr == htonl(INADDR_LOOPBACK))
            return true;
    return false;
}

/* ---- getaddrinfo ------------------------------------------------------------------------------
 */

static void *lookups(void *arg) {
    (void)arg;
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res;
    /* localhost comes from /etc/hosts, through a pool thread. */
    assert_int_equal(cio_getaddrinfo("localhost", "80", &hints, &res), 0);
    assert_true(has_loopback_v4(res));
    assert_int_equal(ntohs(((struct sockaddr_in *)res->ai_addr)->sin_port), 80);
    freeaddrinfo(res);
    /* Numeric hosts are answered on the spot. */
    double start = test_now();
    assert_int_equal(cio_getaddrinfo("127.0.0.1", "8080", &hints, &res), 0);
    assert_true(has_loopback_v4(res));
    freeaddrinfo(res);
    struct addrinfo v6 = {.ai_family = AF_INET6, .ai_socktype = SOCK_STREAM};
    assert_int_equal(cio_getaddrinfo("::1", NULL, &v6, &res), 0);
    assert_int_equal(res->ai_family, AF_INET6);
    freeaddrinfo(res);
    assert_true(test_now() == start);
    /* A service name is looked up (in /etc/services), not refused. */
    assert_int_equal(cio_getaddrinfo(NULL, "http", &hints, &res), 0);
    assert_int_equal(ntohs(((struct sockaddr_in *)res->ai_addr)->sin_port), 80);
    freeaddrinfo(res);
    return NULL;
}

static void localhost_and_numeric_hosts(void **state) {
    (void)state;
    test_run_checked(lookups, NULL);
}

static void *failures(void *arg) {
    (void)arg;
    struct addrinfo *res = (struct addrinfo *)&res;
    /* Each of these fails without asking a DNS server. */
    struct addrinfo numeric = {.ai_flags = AI_NUMERICHOST};
    assert_int_equal(cio_getaddrinfo("not-a-number", "80", &numeric, &res), -CIO_ENOTFOUND);
    assert_null(res);
    assert_int_equal(cio_getaddrinfo(NULL, "no-such-service-cio", NULL, &res), -CIO_ENOTFOUND);
    struct addrinfo v4_only = {.ai_family = AF_INET, .ai_flags = AI_NUMERICHOST};
    assert_int_equal(cio_getaddrinfo("::1", NULL, &v4_only, &res), -CIO_ENOTFOUND);
    struct addrinfo bad_family = {.ai_family = 12345};
    assert_int_equal(cio_getaddrinfo("127.0.0.1", NULL, &bad_family, &res), -EAFNOSUPPORT);
    assert_int_equal(cio_getaddrinfo(NULL, NULL, NULL, &res), -EINVAL);
    assert_int_equal(cio_getaddrinfo("127.0.0.1", NULL, NULL, NULL), -EINVAL);
    return NULL;
}

static void lookups_that_fail_locally(void **state) {
    (void)state;
    test_run_checked(failures, NULL);
}

static void *lookup_forever(void *arg) {
    (void)arg;
    struct addrinfo hints = {.ai_family = AF_INET};
    struct addrinfo *res;
    int rc = cio_getaddrinfo("localhost", NULL, &hints, &res);
    if (rc == 0) freeaddrinfo(res);
    return rc ? cio_fail(rc) : NULL;
}

static void *cancel_lookup(void *arg) {
    (void)arg;
    cio_task *task;
    assert_int_equal(cio_create_task(lookup_forever, NULL, &task), 0);
    assert_int_equal(cio_yield(), 0); /* it submitted its lookup and waits */
    cio_task_cancel(task);
    assert_int_equal(cio_await(task, NULL), -ECANCELED);
    /* The lookup finishes on its thread; its result is freed, not leaked
     * (valgrind checks); a timeout scope works the same way. */
    cio_timeout scope;
    cio_timeout_begin(&scope, 0.0);
    struct addrinfo *res;
    assert_int_equal(cio_getaddrinfo("localhost", NULL, NULL, &res), -ETIMEDOUT);
    cio_timeout_end(&scope);
    assert_int_equal(cio_sleep(0.5), 0);
    return NULL;
}

static void cancel_mid_lookup(void **state) {
    (void)state;
    test_run_checked(cancel_lookup, NULL);
}

/* ---- getnameinfo
 * ---------------------------------------------------------------------------------- */

static void *reverse(void *arg) {
    (void)arg;
    struct sockaddr_in addr = {
        .sin_family = AF_INET, .sin_port = htons(80), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    char host[NI_MAXHOST], serv[NI_MAXSERV];
    assert_int_equal(cio_getnameinfo((struct sockaddr *)&addr, sizeof addr, host, sizeof host, serv,
                                     sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV),
                     0);
    assert_string_equal(host, "127.0.0.1");
    assert_string_equal(serv, "80");
    /* The service name comes from /etc/services, through the pool. */
    assert_int_equal(
        cio_getnameinfo((struct sockaddr *)&addr, sizeof addr, NULL, 0, serv, sizeof serv, 0), 0);
    assert_string_equal(serv, "http");
    assert_int_equal(cio_getnameinfo((struct sockaddr *)&addr, sizeof addr, host, sizeof host, serv,
                                     3, NI_NUMERICHOST),
                     -ENOSPC);
    struct sockaddr other = {.sa_family = 12345};
    assert_true(cio_getnameinfo(&other, sizeof other, host, sizeof host, NULL, 0, NI_NUMERICHOST) <
                0);
    assert_int_equal(cio_getnameinfo(NULL, 0, host, sizeof host, NULL, 0, 0), -EINVAL);
    return NULL;
}

static void reverse_lookups(void **state) {
    (void)state;
    test_run_checked(reverse, NULL);
}

/* ---- connecting by name, and happy eyeballs
 * ------------------------------------------------------------ */

static void on_connection(cio_stream *stream, void *arg) {
    (void)arg;
    cio_stream_write(stream, "hello\n", 6);
}

static void *by_name(void *arg) {
    (void)arg;
    cio_server *server;
    cio_server_options opts = {.family = AF_INET};
    assert_int_equal(cio_start_server("localhost", 0, on_connection, NULL, &opts, &server), 0);
    cio_stream *stream;
    cio_connect_options connect = {.family = AF_INET};
    assert_int_equal(cio_open_connection("localhost", cio_server_port(server), &connect, &stream),
                     0);
    char line[8];
    assert_int_equal(cio_stream_readline(stream, line, sizeof line), 6);
    cio_stream_free(stream);
    cio_server_close(server);
    assert_int_equal(cio_server_wait_closed(server), 0);
    cio_server_free(server);
    return NULL;
}

static void server_and_client_by_name(void **state) {
    (void)state;
    test_run_checked(by_name, NULL);
}

/* An address list in the given order, as a resolver would return it. */
struct fake_list {
    struct addrinfo ai[3];
    struct sockaddr_storage addr[3];
};

static struct addrinfo *make_list(struct fake_list *list, const int *ports, const int *families,
                                  int count) {
    memset(list, 0, sizeof *list);
    for (int i = 0; i < count; i++) {
        if (families[i] == AF_INET) {
            struct sockaddr_in *in = (struct sockaddr_in *)&list->addr[i];
            *in = (struct sockaddr_in){.sin_family = AF_INET,
                                       .sin_port = htons((uint16_t)ports[i]),
                                       .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
            list->ai[i].ai_addrlen = sizeof *in;
        } else {
            struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&list->addr[i];
            *in6 = (struct sockaddr_in6){.sin6_family = AF_INET6,
                                         .sin6_port = htons((uint16_t)ports[i]),
                                         .sin6_addr = in6addr_loopback};
            list->ai[i].ai_addrlen = sizeof *in6;
        }
        list->ai[i].ai_family = families[i];
        list->ai[i].ai_socktype = SOCK_STREAM;
        list->ai[i].ai_addr = (struct sockaddr *)&list->addr[i];
        list->ai[i].ai_next = i + 1 < count ? &list->ai[i + 1] : NULL;
    }
    return &list->ai[0];
}

/* A listener whose accept queue is full, so connects to it hang. */
static int black_hole(int *port, int queued[2]) {
    int fd = cio_socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, len), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    assert_int_equal(listen(fd, 0), 0);
    for (int i = 0; i < 2; i++) {
        queued[i] = cio_socket(AF_INET, SOCK_STREAM, 0);
        connect(queued[i], (struct sockaddr *)&addr, len);
    }
    *port = ntohs(addr.sin_port);
    return fd;
}

static int local_port_of_peer(int fd) {
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;
    assert_int_equal(getpeername(fd, (struct sockaddr *)&addr, &len), 0);
    return ntohs(addr.ss_family == AF_INET ? ((struct sockaddr_in *)&addr)->sin_port
                                           : ((struct sockaddr_in6 *)&addr)->sin6_port);
}

static void *eyeballs(void *arg) {
    (void)arg;
    cio_server *server;
    assert_int_equal(cio_start_server("::1", 0, on_connection, NULL, NULL, &server), 0);
    int good = cio_server_port(server);
    int queued[2], hanging;
    int hole = black_hole(&hanging, queued);
    assert_int_equal(cio_sleep(0.5), 0);
    struct fake_list list;
    cio_connect_options opts = {0};
    int fd;

    /* The first address hangs: the second starts after 0.25 s and wins. */
    double start = test_now();
    assert_int_equal(
        cio__net_connect_any(
            make_list(&list, (int[]){hanging, good}, (int[]){AF_INET, AF_INET6}, 2), &opts, &fd),
        0);
    assert_true(test_now() == start + 0.25);
    assert_int_equal(local_port_of_peer(fd), good);
    cio_close(fd);

    /* The first is refused at once: the next starts without waiting. */
    start = test_now();
    assert_int_equal(
        cio__net_connect_any(make_list(&list, (int[]){1, good}, (int[]){AF_INET6, AF_INET6}, 2),
                             &opts, &fd),
        0);
    assert_true(test_now() == start);
    cio_close(fd);

    /* Interleaving: v4, v4, v6 is tried as v4, v6, v4 - the v6 one wins at 0.25 s. */
    start = test_now();
    assert_int_equal(cio__net_connect_any(make_list(&list, (int[]){hanging, hanging, good},
                                                    (int[]){AF_INET, AF_INET, AF_INET6}, 3),
                                          &opts, &fd),
                     0);
    assert_true(test_now() == start + 0.25);
    cio_close(fd);

    /* Everything refused: the last error. Everything hanging: the timeout. */
    assert_int_equal(
        cio__net_connect_any(make_list(&list, (int[]){1, 1}, (int[]){AF_INET, AF_INET6}, 2), &opts,
                             &fd),
        -ECONNREFUSED);
    cio_timeout scope;
    cio_timeout_begin(&scope, 3.0);
    start = test_now();
    assert_int_equal(
        cio__net_connect_any(
            make_list(&list, (int[]){hanging, hanging}, (int[]){AF_INET, AF_INET}, 2), &opts, &fd),
        -ETIMEDOUT);
    assert_int_equal(cio_timeout_end(&scope), -ETIMEDOUT);
    assert_true(test_now() == start + 3.0);

    /* Happy eyeballs off: one at a time, so the hanging one holds everything up. */
    opts.happy_eyeballs_delay = -1;
    cio_timeout_begin(&scope, 2.0);
    assert_int_equal(
        cio__net_connect_any(
            make_list(&list, (int[]){hanging, good}, (int[]){AF_INET, AF_INET6}, 2), &opts, &fd),
        -ETIMEDOUT);
    cio_timeout_end(&scope);

    for (int i = 0; i < 2; i++) cio_close(queued[i]);
    cio_close(hole);
    cio_server_close(server);
    assert_int_equal(cio_server_wait_closed(server), 0);
    cio_server_free(server);
    return NULL;
}

static void happy_eyeballs_race(void **state) {
    (void)state;
    test_run_checked(eyeballs, NULL);
}

static void outside_a_task(void **state) {
    (void)state;
    struct addrinfo *res;
    assert_int_equal(cio_getaddrinfo("localhost", NULL, NULL, &res), -EPERM);
    char host[64];
    struct sockaddr_in addr = {.sin_family = AF_INET};
    assert_int_equal(cio_getnameinfo((struct sockaddr *)&addr, sizeof addr, host, sizeof host, NULL,
                                     0, NI_NUMERICHOST),
                     -EPERM);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(localhost_and_numeric_hosts),
        cmocka_unit_test(lookups_that_fail_locally),
        cmocka_unit_test(cancel_mid_lookup),
        cmocka_unit_test(reverse_lookups),
        cmocka_unit_test(server_and_client_by_name),
        cmocka_unit_test(happy_eyeballs_race),
        cmocka_unit_test(outside_a_task),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
