/* What the task dump shows for a PostgreSQL connect (issue 16): a task in
 * cio_pg_connect against a server that never answers shows as "pg ...
 * connect (fd N read)" (CIO_WAIT_PG, wait_detail "connect"), with libpq's
 * socket. No PostgreSQL needed: the "server" is a cio server that reads and
 * says nothing. Real clock, loopback; a few milliseconds. */
#include "testutil.h"

#include <cio/pg.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char conninfo[128];

static void hold(cio_stream *stream, void *arg) {
    (void)arg;
    char buf[512];
    while (cio_stream_read(stream, buf, sizeof buf) > 0) {
    }
}

static void *connect_pg(void *arg) {
    (void)arg;
    cio_pg *conn = NULL;
    int rc = cio_pg_connect(conninfo, NULL, &conn);
    cio_pg_free(conn);
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void *inspect(void *arg) {
    (void)arg;
    cio_server *server;
    assert_int_equal(cio_start_server("127.0.0.1", 0, hold, NULL, NULL, &server), 0);
    snprintf(conninfo, sizeof conninfo, "host=127.0.0.1 port=%d sslmode=disable gssencmode=disable",
             cio_server_port(server));
    cio_task *task = test_spawn(connect_pg, NULL);
    cio_task_info info = {0};
    for (int i = 0; i < 500 && info.fd_events != CIO_FD_READ; i++) { /* sent its startup */
        assert_int_equal(cio_sleep(0.01), 0);
        assert_int_equal(cio_task_get_info(task, &info), 0);
    }
    assert_int_equal(info.wait, CIO_WAIT_PG);
    assert_string_equal(info.wait_detail, "connect");
    assert_true(info.fd >= 0);
    char *text = test_dump_tasks();
    char line[64];
    snprintf(line, sizeof line, "pg connect (fd %d read)", info.fd);
    if (!strstr(text, line)) fail_msg("dump lacks '%s':\n%s", line, text);
    free(text);
    cio_task_cancel(task);
    assert_int_equal(cio_await(task, NULL), -ECANCELED);
    cio_server_close(server);
    assert_int_equal(cio_server_wait_closed(server), 0);
    cio_server_free(server);
    return NULL;
}

static void connect_shows_as_pg(void **state) {
    (void)state;
    assert_int_equal(cio_run(inspect, NULL, NULL), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(connect_shows_as_pg),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
