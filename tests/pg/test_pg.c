/* PostgreSQL through cio_pg, against a real PostgreSQL server that
 * scripts/pg.sh starts in a temporary directory for this program and stops
 * at the end (skipped, saying why, only where no server is installed).
 * Real clock: the server is a real process, which a virtual clock would
 * jump past. */
#include "testutil.h"

#include <cio/pg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static char cluster[64];
static char unix_dsn[256], tcp_dsn[256];
static bool have_server;

/* Run scripts/pg.sh VERB on the cluster; returns its exit status. */
static int script(const char *verb, char *out1, char *out2) {
    const char *source = getenv("CIO_TEST_SOURCE_DIR"); /* ctest sets it */
    char command[512];
    snprintf(command, sizeof command, "%s/scripts/pg.sh %s %s", source ? source : ".", verb,
             cluster);
    FILE *pipe = popen(command, "r");
    assert_non_null(pipe);
    if (out1 && fgets(out1, 256, pipe)) out1[strcspn(out1, "\n")] = '\0';
    if (out2 && fgets(out2, 256, pipe)) out2[strcspn(out2, "\n")] = '\0';
    int status = pclose(pipe);
    have_server = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
        fprintf(stderr, "no PostgreSQL server installed: skipping\n");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int start_cluster(void **state) {
    (void)state;
    snprintf(cluster, sizeof cluster, "/tmp/cio-pg-test-XXXXXX");
    assert_non_null(mkdtemp(cluster));
    int status = script("start", unix_dsn, tcp_dsn);
    return status == 0 || status == 77 ? 0 : -1; /* only a missing server skips */
}

static int stop_cluster(void **state) {
    (void)state;
    script("stop", NULL, NULL);
    return 0;
}

/* Run fn as the main task of a real-clock loop, checking no fd leaks. */
static void run(cio_task_fn fn, void *arg) {
    if (!have_server) skip();
    int before = test_count_fds();
    assert_int_equal(cio_run(fn, arg, NULL), 0);
    assert_int_equal(test_count_fds(), before);
}

static cio_pg *connect_or_fail(const char *dsn) {
    cio_pg *conn = NULL;
    int rc = cio_pg_connect(dsn, NULL, &conn);
    if (rc < 0) fprintf(stderr, "connect: %s: %s\n", cio_strerror(rc), cio_pg_connect_error());
    assert_int_equal(rc, 0);
    return conn;
}

static void exec_ok(cio_pg *conn, const char *sql) {
    int rc = cio_pg_query(conn, sql, NULL);
    if (rc == -CIO_ESERVER) fprintf(stderr, "%s: %s\n", sql, cio_pg_last_error(conn)->message);
    assert_int_equal(rc, 0);
}

static int64_t count_of(cio_pg *conn, const char *sql) {
    cio_pg_result *result;
    assert_int_equal(cio_pg_query(conn, sql, &result), 0);
    int64_t n = -1;
    assert_int_equal(cio_pg_result_int64(result, 0, 0, &n), 0);
    cio_pg_result_free(result);
    return n;
}

/* ---- queries and types ---------------------------------------------------- */

static void *types_main(void *arg) {
    cio_pg *conn = connect_or_fail(arg);
    assert_true(cio_pg_backend_pid(conn) > 0);
    cio_pg_result *r;
    assert_int_equal(
        cio_pg_query(conn,
                     "SELECT 42 AS answer, 'héllo'::text AS word, NULL::int AS nothing,"
                     " true AS yes, 2.5::float8 AS half, 9223372036854775807::int8 AS big",
                     &r),
        0);
    assert_int_equal(cio_pg_result_rows(r), 1);
    assert_int_equal(cio_pg_result_columns(r), 6);
    assert_string_equal(cio_pg_result_column_name(r, 1), "word");
    assert_null(cio_pg_result_column_name(r, 6));
    assert_int_equal(cio_pg_result_column_index(r, "half"), 4);
    assert_int_equal(cio_pg_result_column_index(r, "nope"), -ENOENT);
    assert_int_equal(cio_pg_result_column_type(r, 0), 23);
    int64_t i;
    assert_int_equal(cio_pg_result_int64(r, 0, 0, &i), 0);
    assert_int_equal(i, 42);
    size_t len;
    assert_string_equal(cio_pg_result_value(r, 0, 1, &len), "héllo");
    assert_int_equal(len, strlen("héllo"));
    assert_true(cio_pg_result_is_null(r, 0, 2));
    assert_null(cio_pg_result_value(r, 0, 2, &len));
    assert_int_equal(cio_pg_result_int64(r, 0, 2, &i), -ENODATA);
    assert_int_equal(cio_pg_result_int64(r, 0, 1, &i), -EINVAL); /* text, not a number */
    assert_int_equal(cio_pg_result_int64(r, 1, 0, &i), -EINVAL); /* no such row */
    bool yes = false;
    assert_int_equal(cio_pg_result_bool(r, 0, 3, &yes), 0);
    assert_true(yes);
    double half;
    assert_int_equal(cio_pg_result_double(r, 0, 4, &half), 0);
    assert_true(half == 2.5);
    assert_int_equal(cio_pg_result_int64(r, 0, 5, &i), 0);
    assert_true(i == INT64_MAX);
    cio_pg_result_free(r);

    /* Binary results through the extended protocol. */
    const char *values[] = {"7", NULL};
    cio_pg_params params = {.count = 2, .values = values, .binary_results = true};
    assert_int_equal(cio_pg_query_params_ex(
                         conn, "SELECT $1::int8 * 6, $2::int4 IS NULL, 1.5::float4", &params, &r),
                     0);
    assert_int_equal(cio_pg_result_int64(r, 0, 0, &i), 0);
    assert_int_equal(i, 42);
    assert_int_equal(cio_pg_result_bool(r, 0, 1, &yes), 0);
    assert_true(yes);
    assert_int_equal(cio_pg_result_double(r, 0, 2, &half), 0);
    assert_true(half == 1.5);
    cio_pg_result_free(r);

    /* Row counts. */
    exec_ok(conn, "CREATE TEMP TABLE t (id int PRIMARY KEY, name text)");
    assert_int_equal(
        cio_pg_query(conn, "INSERT INTO t SELECT g, 'n' || g FROM generate_series(1, 5) g", &r), 0);
    assert_int_equal(cio_pg_result_affected(r), 5);
    cio_pg_result_free(r);
    assert_int_equal(cio_pg_query(conn, "SELECT 1; SELECT 2, 3", &r), 0); /* the last one's */
    assert_int_equal(cio_pg_result_columns(r), 2);
    cio_pg_result_free(r);
    assert_int_equal(cio_pg_query(conn, "", NULL), 0); /* empty query */
    cio_pg_free(conn);
    return NULL;
}

static void queries_and_types(void **state) {
    (void)state;
    run(types_main, unix_dsn);
    run(types_main, tcp_dsn);
}

/* ---- errors ---------------------------------------------------------------- */

static void *errors_main(void *arg) {
    (void)arg;
    cio_pg *conn = connect_or_fail(unix_dsn);
    assert_null(cio_pg_last_error(conn));
    assert_int_equal(cio_pg_query(conn, "SELEC 1", NULL), -CIO_ESERVER);
    const cio_pg_error *e = cio_pg_last_error(conn);
    assert_non_null(e);
    assert_string_equal(e->sqlstate, "42601");
    assert_string_equal(e->severity, "ERROR");
    assert_non_null(strstr(e->message, "syntax error"));
    exec_ok(conn, "CREATE TEMP TABLE u (id int PRIMARY KEY)");
    assert_null(cio_pg_last_error(conn)); /* cleared by the next call */
    exec_ok(conn, "INSERT INTO u VALUES (1)");
    assert_int_equal(cio_pg_query(conn, "INSERT INTO u VALUES (1)", NULL), -CIO_ESERVER);
    e = cio_pg_last_error(conn);
    assert_string_equal(e->sqlstate, "23505");
    assert_non_null(strstr(e->detail, "already exists"));
    assert_int_equal(cio_pg_query(conn, "SELECT 1/0", NULL), -CIO_ESERVER);
    assert_string_equal(cio_pg_last_error(conn)->sqlstate, "22012");
    assert_int_equal(count_of(conn, "SELECT count(*) FROM u"), 1); /* still usable */

    /* Parameters are never spliced into the statement. */
    const char *evil[] = {"1); DROP TABLE u; --"};
    assert_int_equal(cio_pg_query_params(conn, "SELECT $1::text", 1, evil, NULL), 0);
    assert_int_equal(cio_pg_query_params(conn, "SELECT $1::int", 1, evil, NULL), -CIO_ESERVER);
    assert_string_equal(cio_pg_last_error(conn)->sqlstate, "22P02");
    assert_int_equal(count_of(conn, "SELECT count(*) FROM u"), 1);

    /* Prepared statements. */
    assert_int_equal(cio_pg_prepare(conn, "add", "SELECT $1::int + $2::int", 2, NULL), 0);
    assert_int_equal(cio_pg_prepare(conn, "add", "SELECT 1", 0, NULL), -CIO_ESERVER);
    assert_string_equal(cio_pg_last_error(conn)->sqlstate, "42P05");
    const char *two[] = {"40", "2"};
    cio_pg_result *r;
    assert_int_equal(cio_pg_execute(conn, "add", 2, two, &r), 0);
    int64_t sum;
    assert_int_equal(cio_pg_result_int64(r, 0, 0, &sum), 0);
    assert_int_equal(sum, 42);
    cio_pg_result_free(r);
    assert_int_equal(cio_pg_execute(conn, "missing", 0, NULL, NULL), -CIO_ESERVER);
    assert_string_equal(cio_pg_last_error(conn)->sqlstate, "26000");

    /* Misuse. */
    assert_int_equal(cio_pg_query(NULL, "SELECT 1", NULL), -EINVAL);
    assert_int_equal(cio_pg_query(conn, NULL, NULL), -EINVAL);
    assert_int_equal(cio_pg_query_params(conn, "SELECT $1", 1, NULL, NULL), -EINVAL);
    assert_int_equal(cio_pg_close(conn), 0);
    assert_int_equal(cio_pg_close(conn), -CIO_ECLOSED);
    assert_int_equal(cio_pg_query(conn, "SELECT 1", NULL), -CIO_ECLOSED);
    assert_int_equal(cio_pg_backend_pid(conn), -CIO_ECLOSED);
    cio_pg_free(conn);
    cio_pg_free(NULL);
    return NULL;
}

static void server_errors(void **state) {
    (void)state;
    run(errors_main, NULL);
}

/* A TCP port that accepts connections (the kernel completes them) but never
 * answers: a connect to it can only end by its timeout. */
static int silent_listener(int *port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, len), 0);
    assert_int_equal(listen(fd, 8), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    *port = ntohs(addr.sin_port);
    return fd;
}

static void *connect_errors_main(void *arg) {
    (void)arg;
    cio_pg *conn = (cio_pg *)&conn;
    char dsn[512];
    snprintf(dsn, sizeof dsn, "%s dbname=no_such_db", unix_dsn);
    assert_int_equal(cio_pg_connect(dsn, NULL, &conn), -CIO_ESERVER);
    assert_null(conn);
    assert_non_null(strstr(cio_pg_connect_error(), "no_such_db"));
    int port;
    int listener = silent_listener(&port);
    close(listener); /* now nothing listens there */
    snprintf(dsn, sizeof dsn, "host=127.0.0.1 port=%d user=postgres", port);
    assert_int_equal(cio_pg_connect(dsn, NULL, &conn), -ECONNREFUSED);
    assert_int_equal(cio_pg_connect("host=/nonexistent-dir port=1", NULL, &conn), -ECONNREFUSED);
    assert_int_equal(cio_pg_connect("this is not a connection string", NULL, &conn), -EINVAL);
    assert_int_equal(cio_pg_connect(NULL, NULL, &conn), -EINVAL);
    assert_int_equal(cio_pg_connect(unix_dsn, NULL, NULL), -EINVAL);

    listener = silent_listener(&port);
    snprintf(dsn, sizeof dsn, "host=127.0.0.1 port=%d user=postgres sslmode=disable", port);
    cio_pg_options quick = {.connect_timeout = 0.2};
    double start = cio_loop_time(cio_get_running_loop());
    assert_int_equal(cio_pg_connect(dsn, &quick, &conn), -ETIMEDOUT);
    double took = cio_loop_time(cio_get_running_loop()) - start;
    assert_true(took >= 0.2 && took < 2.0);
    close(listener);
    return NULL;
}

static void connect_errors(void **state) {
    (void)state;
    run(connect_errors_main, NULL);
    cio_pg *conn;
    assert_int_equal(cio_pg_connect(unix_dsn, NULL, &conn), -EPERM); /* outside a task */
}

/* ---- cancellation ---------------------------------------------------------- */

static void *sleep_query(void *arg) {
    return cio_fail(cio_pg_query(arg, "SELECT pg_sleep(30)", NULL));
}

static void *cancel_main(void *arg) {
    (void)arg;
    cio_pg *conn = connect_or_fail(unix_dsn);
    cio_task *task;
    assert_int_equal(cio_create_task(sleep_query, conn, &task), 0);
    assert_int_equal(cio_sleep(0.2), 0);
    assert_int_equal(cio_pg_query(conn, "SELECT 1", NULL), -EBUSY); /* one task at a time */
    cio_pg_free(conn); /* refused while the other task is inside a call: reported */
    double start = cio_loop_time(cio_get_running_loop());
    cio_task_cancel(task);
    assert_int_equal(cio_await(task, NULL), -ECANCELED);
    assert_true(cio_loop_time(cio_get_running_loop()) - start < 5.0); /* not the 30 s */
    assert_int_equal(count_of(conn, "SELECT 7"), 7);                  /* usable afterwards */

    /* A timeout scope works the same way. */
    cio_timeout scope;
    cio_timeout_begin(&scope, 0.2);
    int rc = cio_pg_query(conn, "SELECT pg_sleep(30)", NULL);
    assert_int_equal(cio_timeout_end(&scope), -ETIMEDOUT);
    assert_int_equal(rc, -ETIMEDOUT);
    assert_int_equal(count_of(conn, "SELECT 8"), 8);

    /* Closed by another task while a query runs. */
    assert_int_equal(cio_create_task(sleep_query, conn, &task), 0);
    assert_int_equal(cio_sleep(0.1), 0);
    assert_int_equal(cio_pg_close(conn), 0);
    assert_int_equal(cio_await(task, NULL), -CIO_ECLOSED);
    cio_pg_free(conn);
    return NULL;
}

static void cancel_mid_query(void **state) {
    (void)state;
    run(cancel_main, NULL);
}

/* ---- pipeline ---------------------------------------------------------------- */

static void *pipeline_main(void *arg) {
    (void)arg;
    cio_pg *conn = connect_or_fail(unix_dsn);
    assert_int_equal(cio_pg_pipeline_send(conn, "SELECT 1", 0, NULL), -EINVAL); /* not begun */
    assert_int_equal(cio_pg_pipeline_begin(conn), 0);
    assert_int_equal(cio_pg_query(conn, "SELECT 1", NULL), -EBUSY);
    enum { N = 200 };
    for (int i = 0; i < N; i++) {
        char value[16];
        snprintf(value, sizeof value, "%d", i);
        const char *values[] = {value};
        assert_int_equal(cio_pg_pipeline_send(conn, "SELECT $1::int * 2", 1, values), 0);
    }
    assert_int_equal(cio_pg_pipeline_sync(conn), 0);
    for (int i = 0; i < N; i++) {
        cio_pg_result *r;
        assert_int_equal(cio_pg_pipeline_result(conn, &r), 0);
        int64_t v;
        assert_int_equal(cio_pg_result_int64(r, 0, 0, &v), 0);
        assert_int_equal(v, 2 * i); /* in order */
        cio_pg_result_free(r);
    }
    assert_int_equal(cio_pg_pipeline_result(conn, NULL), -ENODATA); /* the sync */
    assert_int_equal(cio_pg_pipeline_result(conn, NULL), -EINVAL);  /* nothing sent */

    /* An error in the middle: the rest up to the sync are skipped. */
    assert_int_equal(cio_pg_pipeline_send(conn, "SELECT 1", 0, NULL), 0);
    assert_int_equal(cio_pg_pipeline_send(conn, "SELECT 1/0", 0, NULL), 0);
    assert_int_equal(cio_pg_pipeline_send(conn, "SELECT 3", 0, NULL), 0);
    assert_int_equal(cio_pg_pipeline_sync(conn), 0);
    assert_int_equal(cio_pg_pipeline_send(conn, "SELECT 4", 0, NULL), 0);
    assert_int_equal(cio_pg_pipeline_sync(conn), 0);
    assert_int_equal(cio_pg_pipeline_result(conn, NULL), 0);
    assert_int_equal(cio_pg_pipeline_result(conn, NULL), -CIO_ESERVER);
    assert_string_equal(cio_pg_last_error(conn)->sqlstate, "22012");
    assert_int_equal(cio_pg_pipeline_result(conn, NULL), -ECANCELED);
    assert_int_equal(cio_pg_pipeline_result(conn, NULL), -ENODATA);
    cio_pg_result *r;
    assert_int_equal(cio_pg_pipeline_result(conn, &r), 0); /* after the sync: runs again */
    assert_string_equal(cio_pg_result_value(r, 0, 0, NULL), "4");
    cio_pg_result_free(r);
    assert_int_equal(cio_pg_pipeline_result(conn, NULL), -ENODATA);
    assert_int_equal(cio_pg_pipeline_end(conn), 0);
    assert_int_equal(count_of(conn, "SELECT 5"), 5);
    cio_pg_free(conn);
    return NULL;
}

static void pipeline(void **state) {
    (void)state;
    run(pipeline_main, NULL);
}

/* ---- COPY ------------------------------------------------------------------- */

static void *copy_main(void *arg) {
    (void)arg;
    cio_pg *conn = connect_or_fail(unix_dsn);
    exec_ok(conn, "CREATE TEMP TABLE big (id int, name text)");
    int rows = test_scaled(1000000, 10000);
    assert_int_equal(cio_pg_copy_in_begin(conn, "COPY big FROM STDIN"), 0);
    assert_int_equal(cio_pg_query(conn, "SELECT 1", NULL), -EBUSY);
    char chunk[64 * 1024];
    size_t used = 0;
    for (int i = 0; i < rows; i++) {
        used += (size_t)snprintf(chunk + used, sizeof chunk - used, "%d\tname %d\n", i, i);
        if (used > sizeof chunk - 64 || i == rows - 1) {
            assert_int_equal(cio_pg_copy_in_put(conn, chunk, used), 0);
            used = 0;
        }
    }
    int64_t copied = 0;
    assert_int_equal(cio_pg_copy_in_end(conn, NULL, &copied), 0);
    assert_int_equal(copied, rows);
    assert_int_equal(count_of(conn, "SELECT count(*) FROM big"), rows);

    assert_int_equal(cio_pg_copy_out_begin(conn, "COPY (SELECT * FROM big ORDER BY id) TO STDOUT"),
                     0);
    const char *row;
    size_t len;
    int seen = 0, rc;
    while ((rc = cio_pg_copy_out_row(conn, &row, &len)) == 0) {
        char expect[64];
        int n = snprintf(expect, sizeof expect, "%d\tname %d\n", seen, seen);
        assert_int_equal(len, (size_t)n);
        assert_memory_equal(row, expect, len);
        seen++;
    }
    assert_int_equal(rc, -ENODATA);
    assert_int_equal(seen, rows);

    /* Aborted by the client: nothing is copied. */
    assert_int_equal(cio_pg_copy_in_begin(conn, "COPY big FROM STDIN"), 0);
    assert_int_equal(cio_pg_copy_in_put(conn, "1\tx\n", 4), 0);
    assert_int_equal(cio_pg_copy_in_end(conn, "changed my mind", NULL), -CIO_ESERVER);
    assert_non_null(strstr(cio_pg_last_error(conn)->message, "changed my mind"));
    assert_int_equal(count_of(conn, "SELECT count(*) FROM big"), rows);
    /* Not a COPY, or the wrong direction. */
    assert_int_equal(cio_pg_copy_in_begin(conn, "SELECT 1"), -EINVAL);
    assert_int_equal(cio_pg_copy_out_begin(conn, "COPY big FROM STDIN"), -EINVAL);
    assert_int_equal(cio_pg_copy_in_put(conn, "x", 1), -CIO_ECLOSED); /* that closed it */
    cio_pg_free(conn);
    return NULL;
}

static void copy_streamed(void **state) {
    (void)state;
    run(copy_main, NULL);
}

/* ---- LISTEN / NOTIFY and transactions ----------------------------------------- */

static void *notify_main(void *arg) {
    (void)arg;
    cio_pg *listener = connect_or_fail(unix_dsn), *talker = connect_or_fail(unix_dsn);
    exec_ok(listener, "LISTEN news");
    cio_pg_notification *n = (cio_pg_notification *)&n;
    assert_int_equal(cio_pg_notification_wait(listener, 0.1, &n), -ETIMEDOUT);
    assert_null(n);
    exec_ok(talker, "NOTIFY news, 'hello'");
    assert_int_equal(cio_pg_notification_wait(listener, 5.0, &n), 0);
    assert_string_equal(n->channel, "news");
    assert_string_equal(n->payload, "hello");
    assert_int_equal(n->pid, cio_pg_backend_pid(talker));
    free(n);
    cio_pg_free(listener);
    cio_pg_free(talker);
    return NULL;
}

static void listen_notify(void **state) {
    (void)state;
    run(notify_main, NULL);
}

static void *insert_then(cio_pg *conn, void *arg) {
    if (cio_pg_query(conn, "INSERT INTO acct VALUES (1)", NULL) < 0) return cio_fail(-EIO);
    if (arg) return cio_fail((int)(intptr_t)arg);
    return (void *)"done";
}

static void *insert_then_sleep(cio_pg *conn, void *arg) {
    (void)arg;
    cio_pg_query(conn, "INSERT INTO acct VALUES (2)", NULL);
    int rc = cio_sleep(30);
    return cio_fail(rc);
}

static void *transaction_task(void *arg) {
    return cio_fail(cio_pg_transaction(arg, insert_then_sleep, NULL, NULL));
}

static void *transaction_main(void *arg) {
    (void)arg;
    cio_pg *conn = connect_or_fail(unix_dsn);
    exec_ok(conn, "CREATE TEMP TABLE acct (id int)");
    void *result;
    assert_int_equal(cio_pg_transaction(conn, insert_then, NULL, &result), 0);
    assert_string_equal(result, "done");
    assert_int_equal(cio_pg_transaction(conn, insert_then, (void *)(intptr_t)-EIO, &result), -EIO);
    assert_int_equal(count_of(conn, "SELECT count(*) FROM acct"), 1); /* rolled back */
    cio_task *task;
    assert_int_equal(cio_create_task(transaction_task, conn, &task), 0);
    assert_int_equal(cio_sleep(0.2), 0);
    cio_task_cancel(task);
    assert_int_equal(cio_await(task, NULL), -ECANCELED);
    assert_int_equal(count_of(conn, "SELECT count(*) FROM acct WHERE id = 2"), 0);
    assert_int_equal(cio_pg_transaction(conn, NULL, NULL, NULL), -EINVAL);
    cio_pg_free(conn);
    return NULL;
}

static void transactions(void **state) {
    (void)state;
    run(transaction_main, NULL);
}

/* ---- pools ------------------------------------------------------------------ */

struct pool_load {
    cio_pg_pool *pool;
    int index;
};

static void *pool_query_task(void *arg) {
    struct pool_load *load = arg;
    char value[16];
    snprintf(value, sizeof value, "%d", load->index);
    const char *values[] = {value};
    cio_pg_result *r;
    int rc = cio_pg_pool_query(load->pool, "SELECT $1::int + 1", 1, values, &r);
    if (rc < 0) return cio_fail(rc);
    int64_t v = -1;
    cio_pg_result_int64(r, 0, 0, &v);
    cio_pg_result_free(r);
    return v == load->index + 1 ? NULL : cio_fail(-EPROTO);
}

static void *pool_main(void *arg) {
    (void)arg;
    cio_pg_pool *pool;
    cio_pg_pool_options opts = {.min_size = 2, .max_size = 16, .acquire_timeout = 10};
    assert_int_equal(cio_pg_pool_new(unix_dsn, &opts, &pool), 0);
    assert_int_equal(cio_pg_pool_size(pool), 2);
    int count = test_scaled(1000, 100);
    struct pool_load *loads = calloc((size_t)count, sizeof *loads);
    cio_task **tasks = calloc((size_t)count, sizeof *tasks);
    for (int i = 0; i < count; i++) {
        loads[i] = (struct pool_load){pool, i};
        assert_int_equal(cio_create_task(pool_query_task, &loads[i], &tasks[i]), 0);
    }
    int statuses[1000];
    assert_true(count <= 1000);
    assert_int_equal(cio_gather(tasks, (size_t)count, NULL, statuses), 0);
    for (int i = 0; i < count; i++) assert_int_equal(statuses[i], 0);
    assert_true(cio_pg_pool_size(pool) <= 16);
    assert_int_equal(cio_pg_pool_idle(pool), cio_pg_pool_size(pool));

    /* Exhausted: an acquire waits, then times out. */
    cio_pg *held[16];
    for (int i = 0; i < 16; i++) assert_int_equal(cio_pg_pool_acquire(pool, &held[i]), 0);
    cio_timeout scope;
    cio_timeout_begin(&scope, 0.2);
    cio_pg *extra;
    assert_int_equal(cio_pg_pool_acquire(pool, &extra), -ETIMEDOUT);
    cio_timeout_end(&scope);
    assert_int_equal(cio_pg_pool_free(pool), -EBUSY); /* connections still out */
    for (int i = 0; i < 16; i++) assert_int_equal(cio_pg_pool_release(pool, held[i]), 0);
    assert_int_equal(cio_pg_pool_release(pool, NULL), -EINVAL);

    /* The server restarts under the idle connections: the pool recovers. */
    script("restart", NULL, NULL);
    assert_true(have_server);
    const char *values[] = {"41"};
    cio_pg_result *r;
    assert_int_equal(cio_pg_pool_query(pool, "SELECT $1::int + 1", 1, values, &r), 0);
    assert_string_equal(cio_pg_result_value(r, 0, 0, NULL), "42");
    cio_pg_result_free(r);
    assert_int_equal(cio_pg_pool_free(pool), 0);
    free(loads);
    free(tasks);
    cio_pg_pool_options bad = {.min_size = 3, .max_size = 2};
    assert_int_equal(cio_pg_pool_new(unix_dsn, &bad, &pool), -EINVAL);
    return NULL;
}

static void pools(void **state) {
    (void)state;
    run(pool_main, NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(queries_and_types),
        cmocka_unit_test(server_errors),
        cmocka_unit_test(connect_errors),
        cmocka_unit_test(cancel_mid_query),
        cmocka_unit_test(pipeline),
        cmocka_unit_test(copy_streamed),
        cmocka_unit_test(listen_notify),
        cmocka_unit_test(transactions),
        cmocka_unit_test(pools),
    };
    return cmocka_run_group_tests(tests, start_cluster, stop_cluster);
}
