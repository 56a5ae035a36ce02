/* Servers made without serving (asyncio's start_serving=False), then
 * started by cio_server_start_serving or cio_server_serve_forever; errors.
 * Virtual clock; no fd may leak. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int handled;

static void echo_line(cio_stream *stream, void *arg) {
    (void)arg;
    handled++;
    char line[64];
    ssize_t n = cio_stream_readline(stream, line, sizeof line);
    if (n > 0) cio_stream_write(stream, line, (size_t)n);
}

/* One round trip through the server: the line comes back. */
static void talk(cio_stream *client) {
    assert_int_equal(cio_stream_write(client, "hi\n", 3), 0);
    char line[64];
    assert_int_equal(cio_stream_readline(client, line, sizeof line), 3);
    assert_string_equal(line, "hi\n");
}

static const cio_server_options paused = {.no_start_serving = true};

static void *started_later(void *arg) {
    (void)arg;
    handled = 0;
    cio_server *server;
    assert_int_equal(cio_start_server("127.0.0.1", 0, echo_line, NULL, &paused, &server), 0);
    assert_false(cio_server_is_serving(server));
    assert_true(cio_server_port(server) > 0); /* it listens already */
    cio_stream *client;
    assert_int_equal(cio_open_connection("127.0.0.1", cio_server_port(server), NULL, &client), 0);
    assert_int_equal(cio_stream_write(client, "hi\n", 3), 0);
    cio_sleep(1.0);
    assert_int_equal(handled, 0); /* waits in the backlog */
    assert_int_equal(cio_server_connections(server), 0);
    assert_int_equal(cio_server_start_serving(server), 0);
    assert_true(cio_server_is_serving(server));
    assert_int_equal(cio_server_start_serving(server), 0); /* again: nothing changes */
    char line[64];
    assert_int_equal(cio_stream_readline(client, line, sizeof line), 3);
    assert_int_equal(handled, 1);
    cio_stream_free(client);
    assert_int_equal(cio_server_close(server), 0);
    assert_int_equal(cio_server_start_serving(server), -CIO_ECLOSED);
    assert_int_equal(cio_server_wait_closed(server), 0);
    cio_server_free(server);
    return NULL;
}

static void start_serving_later(void **state) {
    (void)state;
    test_run_checked(started_later, NULL);
}

static void *serve(void *arg) {
    int rc = cio_server_serve_forever(arg);
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void *forever_starts_it(void *arg) {
    (void)arg;
    cio_server *server;
    assert_int_equal(cio_start_server("127.0.0.1", 0, echo_line, NULL, &paused, &server), 0);
    cio_task *serving = test_spawn(serve, server);
    cio_yield();
    assert_true(cio_server_is_serving(server));
    cio_stream *client;
    assert_int_equal(cio_open_connection("127.0.0.1", cio_server_port(server), NULL, &client), 0);
    talk(client);
    cio_stream_free(client);
    cio_sleep(1.0);
    assert_false(cio_task_done(serving)); /* forever: until closed */
    assert_int_equal(cio_server_close(server), 0);
    assert_int_equal(cio_await(serving, NULL), 0);
    cio_server_free(server);

    /* Cancelled before it ever served: the server is closed. */
    assert_int_equal(cio_start_server("127.0.0.1", 0, echo_line, NULL, &paused, &server), 0);
    serving = test_spawn(serve, server);
    cio_sleep(1.0);
    cio_task_cancel(serving);
    assert_int_equal(cio_await(serving, NULL), -ECANCELED);
    assert_false(cio_server_is_serving(server));
    assert_int_equal(cio_server_serve_forever(server), -CIO_ECLOSED);
    cio_server_free(server);
    return NULL;
}

static void serve_forever_starts_serving(void **state) {
    (void)state;
    test_run_checked(forever_starts_it, NULL);
}

static void *never_started(void *arg) {
    (void)arg;
    char path[64];
    snprintf(path, sizeof path, "/tmp/cio-start-%d.sock", (int)getpid());
    cio_server *server;
    assert_int_equal(cio_start_unix_server(path, echo_line, NULL, &paused, &server), 0);
    assert_false(cio_server_is_serving(server));
    assert_int_equal(access(path, F_OK), 0);
    assert_int_equal(cio_server_close(server), 0); /* never served: closes all the same */
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(cio_server_wait_closed(server), 0);
    cio_server_free(server);
    /* Freed while paused, and one started then freed. */
    assert_int_equal(cio_start_unix_server(path, echo_line, NULL, &paused, &server), 0);
    cio_server_free(server);
    assert_int_equal(cio_start_unix_server(path, echo_line, NULL, &paused, &server), 0);
    assert_int_equal(cio_server_start_serving(server), 0);
    cio_stream *client;
    assert_int_equal(cio_open_unix_connection(path, NULL, &client), 0);
    talk(client);
    cio_stream_free(client);
    assert_int_equal(cio_server_close(server), 0);
    assert_int_equal(cio_server_wait_closed(server), 0);
    cio_server_free(server);
    return NULL;
}

static void close_a_server_never_started(void **state) {
    (void)state;
    test_run_checked(never_started, NULL);
}

/* Still paused when the loop ends (freed after): nothing leaks (ASan, the
 * fd count). */
static cio_server *kept;

static void *left_paused(void *arg) {
    (void)arg;
    assert_int_equal(cio_start_server("127.0.0.1", 0, echo_line, NULL, &paused, &kept), 0);
    return NULL;
}

static void paused_server_at_loop_end(void **state) {
    (void)state;
    int before = test_count_fds();
    assert_int_equal(test_run(left_paused, NULL, NULL, NULL), 0);
    cio_server_free(kept);                      /* its loop is gone: this only drops the handle */
    assert_int_equal(test_count_fds(), before); /* the free closed the listener */
}

static void *start_from_pool(void *arg) {
    return cio_fail(cio_server_start_serving(arg));
}

static void *wrong_thread(void *arg) {
    (void)arg;
    cio_server *server;
    assert_int_equal(cio_start_server("127.0.0.1", 0, echo_line, NULL, &paused, &server), 0);
    assert_int_equal(cio_to_thread(start_from_pool, server, NULL), -EPERM);
    assert_false(cio_server_is_serving(server));
    cio_server_free(server);
    assert_int_equal(cio_server_start_serving(server), -EINVAL); /* a freed handle */
    return NULL;
}

static void start_serving_errors(void **state) {
    (void)state;
    assert_int_equal(cio_server_start_serving(NULL), -EINVAL);
    test_run_checked(wrong_thread, NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(start_serving_later),
        cmocka_unit_test(serve_forever_starts_serving),
        cmocka_unit_test(close_a_server_never_started),
        cmocka_unit_test(paused_server_at_loop_end),
        cmocka_unit_test(start_serving_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
