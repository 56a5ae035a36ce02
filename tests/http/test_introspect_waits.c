/* What the task dump shows for the waits above the core (issue 16): a stream
 * read, a server's accept, an HTTP client request, a datagram receive, a
 * channel receive, redis commands and a submit to another loop each show their own kind and
 * detail ("stream read fd 7",
 * "accept fd 5", "http request <url>"), not "other" or a bare "fd 7 read".
 * tests/core/test_introspect.c covers the core's own waits; this one needs
 * the net, HTTP and runner layers (and libcurl: the HTTP part skips without
 * it), so it lives here. Real clock (the request goes through libcurl on
 * loopback); it takes a few milliseconds. */
#include "testutil.h"

#include <cio/redis.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct {
    cio_server *server;
    int port;
    char url[64];
    cio_stream *client;
    cio_datagram *udp;
    cio_channel *channel;
    cio_redis *redis; /* to the server above, which never answers */
    int pair[2];      /* pair[1] is never read: writes to pair[0] back up */
    cio_stream *full; /* of pair[0] */
    bool have_curl;
} w;

static void *status(ssize_t rc) {
    return rc < 0 ? cio_fail((int)rc) : NULL;
}

/* The server's side: read until the peer goes (it never says anything back,
 * so the HTTP request below stays unanswered). */
static void hold(cio_stream *stream, void *arg) {
    (void)arg;
    char buf[512];
    while (cio_stream_read(stream, buf, sizeof buf) > 0) {
    }
    cio_stream_close(stream);
}

static void *wait_read(void *arg) {
    (void)arg;
    char buf[16];
    return status(cio_stream_read(w.client, buf, sizeof buf));
}
static void *wait_http(void *arg) {
    (void)arg;
    cio_http_client_response *r = NULL;
    int rc = cio_http_session_get(NULL, w.url, &r);
    cio_http_client_response_free(r);
    return status(rc);
}
static void *wait_datagram(void *arg) {
    (void)arg;
    char buf[16];
    return status(cio_datagram_recvfrom(w.udp, buf, sizeof buf, NULL, NULL));
}
static void *wait_channel(void *arg) {
    (void)arg;
    void *item;
    return status(cio_channel_receive(w.channel, &item));
}

static void *wait_redis(void *arg) {
    (void)arg;
    cio_redis_reply *reply = NULL;
    int rc = cio_redis_call(w.redis, &reply, "GET", "k", NULL);
    cio_redis_reply_free(reply);
    return status(rc);
}

static void *wait_drain(void *arg) {
    (void)arg;
    size_t len = (size_t)8 << 20;
    char *big = calloc(1, len);
    int rc = cio_stream_write(w.full, big, len);
    free(big);
    return status(rc < 0 ? rc : cio_stream_drain(w.full));
}
static void *wait_server_closed(void *arg) {
    (void)arg;
    return status(cio_server_wait_closed(w.server));
}

static bool curl_built(void) {
    cio_http_session *s = NULL;
    int rc = cio_http_session_new(NULL, &s);
    cio_http_session_free(s);
    return rc != -ENOTSUP;
}

static void setup(void) {
    assert_int_equal(cio_start_server("127.0.0.1", 0, hold, NULL, NULL, &w.server), 0);
    w.port = cio_server_port(w.server);
    snprintf(w.url, sizeof w.url, "http://127.0.0.1:%d/hang", w.port);
    assert_int_equal(cio_open_connection("127.0.0.1", w.port, NULL, &w.client), 0);
    assert_int_equal(cio_create_datagram_endpoint("127.0.0.1", 0, NULL, 0, NULL, &w.udp), 0);
    assert_int_equal(cio_channel_new(1, &w.channel), 0);
    assert_int_equal(cio_redis_connect("127.0.0.1", w.port, NULL, &w.redis), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, w.pair), 0);
    assert_int_equal(cio_stream_from_socket(w.pair[0], 0, &w.full), 0);
    w.have_curl = curl_built();
}

static void teardown(void) {
    cio_stream_close(w.client);
    cio_stream_free(w.client);
    cio_datagram_free(w.udp);
    cio_channel_free(w.channel);
    cio_redis_free(w.redis);
    cio_stream_abort(w.full);
    cio_stream_free(w.full);
    close(w.pair[1]);
    cio_server_close(w.server);
    assert_int_equal(cio_server_wait_closed(w.server), 0);
    cio_server_free(w.server);
}

/* Two redis commands: the first reads the replies (its wait is the socket's),
 * the second waits for the first to hand it its reply. */
enum { READ, HTTP, DATAGRAM, CHANNEL, REDIS_READER, REDIS_WAITER, DRAIN, SERVER, WAITERS };

static cio_task_info info_of(cio_task *task) {
    cio_task_info info;
    assert_int_equal(cio_task_get_info(task, &info), 0);
    return info;
}

/* The accept task is the server's own: find it in the dump's terms. */
static bool settled(cio_task **t, const cio_wait_kind *expect) {
    for (int i = 0; i < WAITERS; i++)
        if (t[i] && info_of(t[i]).wait != expect[i]) return false;
    return true;
}

static void check_infos(cio_task **t) {
    cio_task_info info = info_of(t[READ]);
    assert_int_equal(info.fd, cio_stream_fd(w.client));
    assert_int_equal(info.fd_events, CIO_FD_READ);
    assert_ptr_equal(info.wait_object, w.client);
    assert_null(info.wait_detail);
    info = info_of(t[DATAGRAM]);
    assert_ptr_equal(info.wait_object, w.udp);
    assert_int_equal(info.fd, cio_datagram_fd(w.udp));
    assert_int_equal(info.fd_events, CIO_FD_READ);
    assert_ptr_equal(info_of(t[CHANNEL]).wait_object, w.channel);
    info = info_of(t[REDIS_READER]);
    assert_ptr_equal(info.wait_object, w.redis);
    assert_true(info.fd >= 0);
    assert_int_equal(info.fd_events, CIO_FD_READ);
    info = info_of(t[REDIS_WAITER]);
    assert_ptr_equal(info.wait_object, w.redis);
    assert_int_equal(info.fd, -1);
    if (!t[HTTP]) return;
    info = info_of(t[HTTP]);
    assert_string_equal(info.wait_detail, w.url);
    assert_int_equal(info.fd, -1); /* libcurl's sockets are the loop's to watch, not the task's */
}

static void check_dump(cio_task **t) {
    char *text = test_dump_tasks();
    char line[128];
    snprintf(line, sizeof line, "stream read fd %d", cio_stream_fd(w.client));
    char redis[64];
    snprintf(redis, sizeof redis, "redis %p (fd ", (void *)w.redis);
    char flusher[48];
    snprintf(flusher, sizeof flusher, "stream write fd %d", w.pair[0]);
    const char *lines[] = {
        line,  "accept fd ", "datagram 0x",          "channel 0x",          " read)",
        redis, flusher,      "stream write (drain)", "accept (wait_closed)"};
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
        if (!strstr(text, lines[i])) fail_msg("dump lacks '%s':\n%s", lines[i], text);
    snprintf(line, sizeof line, "http request %s ", w.url);
    if (t[HTTP] && !strstr(text, line)) fail_msg("dump lacks '%s':\n%s", line, text);
    if (strstr(text, "other")) fail_msg("a wait shows as other:\n%s", text);
    free(text);
}

static void *inspect(void *arg) {
    (void)arg;
    setup();
    static const cio_wait_kind expect[WAITERS] = {
        CIO_WAIT_STREAM_READ, CIO_WAIT_HTTP,  CIO_WAIT_DATAGRAM,     CIO_WAIT_CHANNEL,
        CIO_WAIT_REDIS,       CIO_WAIT_REDIS, CIO_WAIT_STREAM_WRITE, CIO_WAIT_ACCEPT,
    };
    cio_task_fn fns[WAITERS] = {wait_read,  wait_http,  wait_datagram, wait_channel,
                                wait_redis, wait_redis, wait_drain,    wait_server_closed};
    cio_task *t[WAITERS] = {0};
    for (int i = 0; i < WAITERS; i++)
        if (i != HTTP || w.have_curl) t[i] = test_spawn(fns[i], NULL);
    /* Real sockets: give the connections and the request a moment to land. */
    for (int i = 0; i < 500 && !settled(t, expect); i++) assert_int_equal(cio_sleep(0.01), 0);
    for (int i = 0; i < WAITERS; i++)
        if (t[i] && info_of(t[i]).wait != expect[i])
            fail_msg("waiter %d waits on %s, not %s", i, cio_wait_kind_name(info_of(t[i]).wait),
                     cio_wait_kind_name(expect[i]));
    check_infos(t);
    check_dump(t);
    for (int i = 0; i < WAITERS; i++)
        if (t[i]) cio_task_cancel(t[i]);
    for (int i = 0; i < WAITERS; i++)
        if (t[i]) assert_int_equal(cio_await(t[i], NULL), -ECANCELED);
    teardown();
    if (!w.have_curl) fprintf(stderr, "(the HTTP request part skipped: built without libcurl)\n");
    return NULL;
}

static void waits_above_the_core(void **state) {
    (void)state;
    assert_int_equal(cio_run(inspect, NULL, NULL), 0);
}

/* ---- a submit to another loop (cio_run_cores: two loops, two threads) ------------------ */

static atomic_int remote_started;

static void *wait_remotely(void *arg) {
    (void)arg;
    atomic_store(&remote_started, 1);
    return status(cio_sleep(3600)); /* until cancelled */
}

static void *submit_and_wait(void *arg) {
    return status(cio_loop_submit(arg, wait_remotely, NULL, NULL));
}

static void *inspect_submit(void *arg) {
    int *failures = arg;
    if (cio_cores_index() != 0) return status(cio_sleep(3600)); /* loop 1 serves */
    cio_loop *other = cio_cores_loop(1);
    cio_task *caller = test_spawn(submit_and_wait, other);
    while (!atomic_load(&remote_started)) cio_sleep(0.001);
    cio_task_info info = info_of(caller);
    if (info.wait != CIO_WAIT_SUBMIT || info.wait_object != other) (*failures)++;
    char *text = test_dump_tasks();
    char line[64];
    snprintf(line, sizeof line, "submit to loop %p", (void *)other);
    if (!strstr(text, line)) (*failures)++;
    free(text);
    cio_task_cancel(caller);
    if (cio_await(caller, NULL) != -ECANCELED) (*failures)++;
    cio_cores_stop();
    return NULL;
}

static void submit_shows_the_target_loop(void **state) {
    (void)state;
    int failures = 0;
    cio_cores_options opts = {.loops = 2};
    assert_int_equal(cio_run_cores_ex(inspect_submit, &failures, &opts), -ECANCELED);
    assert_int_equal(failures, 0);
}

static void kind_names(void **state) {
    (void)state;
    assert_string_equal(cio_wait_kind_name(CIO_WAIT_STREAM_READ), "stream-read");
    assert_string_equal(cio_wait_kind_name(CIO_WAIT_ACCEPT), "accept");
    assert_string_equal(cio_wait_kind_name(CIO_WAIT_HTTP), "http");
    assert_string_equal(cio_wait_kind_name(CIO_WAIT_SUBMIT), "submit");
    assert_string_equal(cio_wait_kind_name(CIO_WAIT_KIND_COUNT), "?");
    for (int k = 0; k < CIO_WAIT_KIND_COUNT; k++)
        assert_string_not_equal(cio_wait_kind_name((cio_wait_kind)k), "?");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(waits_above_the_core),
        cmocka_unit_test(submit_shows_the_target_loop),
        cmocka_unit_test(kind_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
