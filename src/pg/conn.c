/* src/pg/conn.c - connecting, the one-task-at-a-time rule, errors, and the
 * waits every statement is made of (flush, next result, abandon). */
#include "pg/pg.h"

#include "core/core.h" /* the wait label (introspection) */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Default for cio_pg_options.connect_timeout, as asyncpg's 60 s. */
#define CONNECT_TIMEOUT 60.0

/* How long a cancelled statement may take to wind down (the server's
 * answer to the cancel request) before the connection is given up. */
#define ABANDON_TIMEOUT 10.0

/* A socket that stays unwritable this long while output is pending is
 * given a chance to drain its input: libpq wants "read- or write-ready"
 * there and cio waits for one event at a time, so input is consumed at
 * least this often and the server can never block on a full socket to us. */
#define FLUSH_POLL 0.05

static _Thread_local char connect_error[512];

/* Misuse reports go where cio's own go: the running loop's exception
 * handler, or the default one (the log hook, stderr; $CIO_QUIET=1 drops
 * them). Through the public API: this layer is a library of its own. */
static void report(const char *fmt, ...) {
    char *text = NULL;
    va_list args;
    va_start(args, fmt);
    if (vasprintf(&text, fmt, args) < 0) text = NULL;
    va_end(args);
    cio_diag diag = {.kind = CIO_DIAG_MISUSE, .message = text ? text : fmt, .fd = -1};
    cio_loop *loop = cio_get_running_loop();
    if (!loop || cio_loop_call_exception_handler(loop, &diag) < 0)
        cio_default_exception_handler(NULL, &diag);
    free(text);
}

/* ---- the one-user rule ----------------------------------------------------- */

int cio__pg_enter(cio_pg *conn, const char *caller) {
    if (!conn || conn->magic != CIO__PG_MAGIC) {
        if (conn) report("%s: not a live PostgreSQL connection (freed?)", caller);
        return -EINVAL;
    }
    cio_task *task = cio_current_task();
    if (!task) {
        report("%s: must be called from inside a task", caller);
        return -EPERM;
    }
    if (cio_get_running_loop() != conn->loop) {
        report("%s: the connection belongs to another loop or thread", caller);
        return -EPERM;
    }
    if (!conn->pq || conn->closing) return -CIO_ECLOSED;
    if (conn->user && conn->user != task) return -EBUSY;
    conn->user = task;
    cio__pg_clear_error(conn);
    return 0;
}

void cio__pg_leave(cio_pg *conn) {
    if (conn->mode == PG_IDLE || conn->mode == PG_PIPELINE) conn->user = NULL;
}

/* ---- errors ---------------------------------------------------------------- */

void cio__pg_clear_error(cio_pg *conn) {
    if (conn->error_result) PQclear(conn->error_result);
    conn->error_result = NULL;
    memset(&conn->error, 0, sizeof conn->error);
}

static const char *field(const PGresult *result, int code) {
    const char *text = PQresultErrorField(result, code);
    return text ? text : "";
}

int cio__pg_server_error(cio_pg *conn, PGresult *result) {
    cio__pg_clear_error(conn);
    conn->error_result = result;
    snprintf(conn->error.sqlstate, sizeof conn->error.sqlstate, "%s",
             field(result, PG_DIAG_SQLSTATE));
    conn->error.severity = field(result, PG_DIAG_SEVERITY);
    conn->error.message = field(result, PG_DIAG_MESSAGE_PRIMARY);
    conn->error.detail = field(result, PG_DIAG_MESSAGE_DETAIL);
    conn->error.hint = field(result, PG_DIAG_MESSAGE_HINT);
    if (!*conn->error.message) conn->error.message = PQresultErrorMessage(result);
    return -CIO_ESERVER;
}

int cio__pg_connection_error(cio_pg *conn) {
    if (!conn->pq) return -CIO_ECLOSED;
    return PQstatus(conn->pq) == CONNECTION_BAD ? -ECONNRESET : -EPIPE;
}

const cio_pg_error *cio_pg_last_error(const cio_pg *conn) {
    return conn && conn->magic == CIO__PG_MAGIC && conn->error_result ? &conn->error : NULL;
}

bool cio__pg_interrupt(int rc) {
    return rc == -ECANCELED || rc == -ETIMEDOUT;
}

/* ---- waiting on libpq's socket -------------------------------------------- */

static void finish_close(cio_pg *conn);

int cio__pg_wait(cio_pg *conn, bool writable, double timeout) {
    int fd = PQsocket(conn->pq);
    if (fd < 0) return -ECONNRESET;
    cio_task *task = cio_current_task(); /* (libcio_pg sees only exported symbols) */
    struct cio__wait_label label;
    cio__wait_label_begin(task, &label, CIO_WAIT_PG, conn, NULL);
    int rc = writable ? cio_wait_writable(fd, timeout) : cio_wait_readable(fd, timeout);
    cio__wait_label_end(task, &label);
    if (!conn->closing) return rc;
    finish_close(conn); /* another task closed it while we waited: ours to finish */
    return -CIO_ECLOSED;
}

int cio__pg_flush(cio_pg *conn) {
    for (;;) {
        int rc = PQflush(conn->pq);
        if (rc == 0) return 0;
        if (rc < 0) return cio__pg_connection_error(conn);
        rc = cio__pg_wait(conn, true, FLUSH_POLL);
        if (rc == -ETIMEDOUT) rc = 0; /* FLUSH_POLL's, unless a scope's is due too */
        if (rc < 0) return rc;
        if (!PQconsumeInput(conn->pq)) return cio__pg_connection_error(conn);
    }
}

int cio__pg_next_result(cio_pg *conn, PGresult **result) {
    *result = NULL;
    if (!conn->pq) return -CIO_ECLOSED;
    int rc = cio__pg_flush(conn);
    while (rc == 0) {
        if (!PQconsumeInput(conn->pq)) return cio__pg_connection_error(conn);
        if (!PQisBusy(conn->pq)) break;
        rc = cio__pg_wait(conn, false, -1);
    }
    if (rc == 0) *result = PQgetResult(conn->pq);
    return rc;
}

/* ---- cancelling a running statement --------------------------------------- */

struct cancel_job {
    PGcancel *cancel;
    char message[256];
};

static void *send_cancel(void *arg) { /* on a pool thread: PQcancel blocks */
    struct cancel_job *job = arg;
    return PQcancel(job->cancel, job->message, sizeof job->message) ? NULL : cio_fail(-EIO);
}

/* Read and drop the rest of a COPY TO STDOUT. */
static int drain_copy_out(cio_pg *conn) {
    for (;;) {
        char *row = NULL;
        int got = PQgetCopyData(conn->pq, &row, 1);
        if (row) PQfreemem(row);
        if (got == -1) return 0;
        if (got < -1) return cio__pg_connection_error(conn);
        if (got == 0) {
            int rc = cio__pg_wait(conn, false, -1);
            if (rc == 0 && !PQconsumeInput(conn->pq)) rc = cio__pg_connection_error(conn);
            if (rc < 0) return rc;
        }
    }
}

/* Read every result left, ending a COPY in either direction on the way. */
static int drain(cio_pg *conn) {
    PGresult *result;
    int rc;
    while ((rc = cio__pg_next_result(conn, &result)) == 0 && result) {
        ExecStatusType status = PQresultStatus(result);
        PQclear(result);
        if (status == PGRES_COPY_OUT) rc = drain_copy_out(conn);
        if (status == PGRES_COPY_IN && PQputCopyEnd(conn->pq, "cancelled") < 0)
            rc = cio__pg_connection_error(conn);
        if (rc < 0) break;
    }
    return rc;
}

/* The caller was interrupted while the server ran its statement: ask the
 * server to cancel it and read what is left, shielded from the caller's own
 * cancellation but bounded, so the connection is usable afterwards. A
 * connection that cannot be brought back is closed. Returns interrupt. */
int cio__pg_abandon(cio_pg *conn, int interrupt) {
    if (!conn->pq) return interrupt;
    cio_timeout scope;
    cio_timeout_begin_shielded(&scope, ABANDON_TIMEOUT);
    struct cancel_job job = {.cancel = PQgetCancel(conn->pq)};
    int rc = job.cancel ? cio_to_thread(send_cancel, &job, NULL) : -ENOMEM;
    if (job.cancel) PQfreeCancel(job.cancel);
    if (rc == 0) rc = drain(conn);
    conn->mode = PG_IDLE;
    cio_timeout_end(&scope);
    if (conn->pq && (rc < 0 || PQtransactionStatus(conn->pq) == PQTRANS_ACTIVE)) cio_pg_close(conn);
    return interrupt;
}

/* ---- connecting ------------------------------------------------------------ */

static int connect_failure(PGconn *pq) {
    const char *text = PQerrorMessage(pq);
    snprintf(connect_error, sizeof connect_error, "%s", text);
    size_t len = strlen(connect_error);
    while (len && (connect_error[len - 1] == '\n' || connect_error[len - 1] == ' '))
        connect_error[--len] = '\0';
    if (strstr(text, "timeout expired")) return -ETIMEDOUT;
    if (strstr(text, "could not translate host name")) return -CIO_ENOTFOUND;
    if (strstr(text, "Connection refused") || strstr(text, "No such file or directory"))
        return -ECONNREFUSED;
    if (strstr(text, "invalid") || strstr(text, "missing \"=\"")) return -EINVAL;
    return -CIO_ESERVER; /* authentication, no such database or role, ... */
}

/* Drive PQconnectPoll until it is done; PQsocket may change at each step. */
static int poll_connect(PGconn *pq) {
    PostgresPollingStatusType status = PGRES_POLLING_WRITING;
    for (;;) {
        if (status == PGRES_POLLING_OK) return 0;
        if (status == PGRES_POLLING_FAILED) return connect_failure(pq);
        int fd = PQsocket(pq);
        if (fd < 0) return connect_failure(pq);
        cio_task *task = cio_current_task(); /* (libcio_pg sees only exported symbols) */
        struct cio__wait_label label;
        cio__wait_label_begin(task, &label, CIO_WAIT_PG, pq, "connect");
        int rc =
            status == PGRES_POLLING_READING ? cio_wait_readable(fd, -1) : cio_wait_writable(fd, -1);
        cio__wait_label_end(task, &label);
        if (rc < 0) return rc;
        status = PQconnectPoll(pq);
    }
}

static int start_connect(const char *conninfo, PGconn **pq) {
    *pq = PQconnectStart(conninfo);
    if (!*pq) return -ENOMEM;
    if (PQstatus(*pq) == CONNECTION_BAD) return connect_failure(*pq);
    return PQsetnonblocking(*pq, 1) == 0 ? 0 : connect_failure(*pq);
}

static int wrap(PGconn *pq, cio_pg **out) {
    cio_pg *conn = calloc(1, sizeof *conn);
    if (!conn) return -ENOMEM;
    conn->magic = CIO__PG_MAGIC;
    conn->pq = pq;
    conn->loop = cio_get_running_loop();
    conn->born = conn->idle_since = cio_loop_time(conn->loop);
    *out = conn;
    return 0;
}

int cio_pg_connect(const char *conninfo, const cio_pg_options *opts, cio_pg **out) {
    if (out) *out = NULL;
    connect_error[0] = '\0';
    if (!conninfo || !out) return -EINVAL;
    if (!cio_current_task()) {
        report("cio_pg_connect: must be called from inside a task");
        return -EPERM;
    }
    double timeout = opts && opts->connect_timeout > 0 ? opts->connect_timeout : CONNECT_TIMEOUT;
    PGconn *pq;
    int rc = start_connect(conninfo, &pq);
    cio_timeout scope;
    cio_timeout_begin(&scope, timeout);
    if (rc == 0) rc = poll_connect(pq);
    int expired = cio_timeout_end(&scope);
    if (expired < 0 && rc == -ETIMEDOUT)
        snprintf(connect_error, sizeof connect_error, "timeout expired");
    if (rc == 0) rc = wrap(pq, out);
    if (rc < 0 && pq) PQfinish(pq);
    return rc;
}

const char *cio_pg_connect_error(void) {
    return connect_error;
}

/* ---- closing --------------------------------------------------------------- */

static void finish_close(cio_pg *conn) {
    PGconn *pq = conn->pq;
    conn->pq = NULL;
    conn->closing = false;
    conn->mode = PG_IDLE;
    PQfinish(pq);
    if (conn->copy_row) PQfreemem(conn->copy_row);
    conn->copy_row = NULL;
}

int cio_pg_close(cio_pg *conn) {
    if (!conn || conn->magic != CIO__PG_MAGIC) return -EINVAL;
    if (!conn->pq || conn->closing) return -CIO_ECLOSED;
    /* Another task parked on the socket: PQfinish would close the fd under
     * its wait, which then never ends (a closed fd leaves epoll without an
     * event). shutdown() makes the socket ready instead; that task wakes,
     * sees closing, and finishes the close itself. */
    if (conn->user && conn->user != cio_current_task() && PQsocket(conn->pq) >= 0) {
        conn->closing = true;
        shutdown(PQsocket(conn->pq), SHUT_RDWR);
        return 0;
    }
    finish_close(conn);
    return 0;
}

void cio_pg_free(cio_pg *conn) {
    if (!conn) return;
    if (conn->magic != CIO__PG_MAGIC) {
        report("cio_pg_free: not a live PostgreSQL connection (freed twice?)");
        return;
    }
    if (conn->user && conn->user != cio_current_task()) {
        report("cio_pg_free: a task is inside a call on this connection (-EBUSY)");
        return;
    }
    if (conn->pq) cio_pg_close(conn);
    cio__pg_clear_error(conn);
    conn->magic = CIO__PG_FREED;
    free(conn);
}

int cio_pg_backend_pid(const cio_pg *conn) {
    if (!conn || conn->magic != CIO__PG_MAGIC) return -EINVAL;
    return conn->pq && !conn->closing ? PQbackendPID(conn->pq) : -CIO_ECLOSED;
}
