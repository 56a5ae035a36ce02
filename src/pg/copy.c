/* src/pg/copy.c - COPY FROM STDIN and COPY TO STDOUT, streamed: data goes
 * out as the socket takes it and rows come in one at a time, so a table of
 * any size never sits in memory whole. The connection stays with its task
 * (conn->user) from begin to the end of the COPY. */
#include "pg/pg.h"

#include <string.h>

static int begin(cio_pg *conn, const char *sql, enum cio__pg_mode wanted, const char *caller) {
    if (!sql) return -EINVAL;
    int rc = cio__pg_enter(conn, caller);
    if (rc < 0) return rc;
    if (conn->mode != PG_IDLE)
        rc = -EBUSY;
    else if (!PQsendQuery(conn->pq, sql))
        rc = cio__pg_connection_error(conn);
    if (rc == 0) rc = cio__pg_collect(conn, NULL);
    if (cio__pg_interrupt(rc)) rc = cio__pg_abandon(conn, rc);
    if (rc == 0 && conn->mode != wanted) {
        /* Not a COPY of that direction: finish it, then say so. */
        if (conn->mode != PG_IDLE) cio_pg_close(conn);
        rc = -EINVAL;
    }
    cio__pg_leave(conn);
    return rc;
}

int cio_pg_copy_in_begin(cio_pg *conn, const char *sql) {
    return begin(conn, sql, PG_COPY_IN, "cio_pg_copy_in_begin");
}

int cio_pg_copy_out_begin(cio_pg *conn, const char *sql) {
    return begin(conn, sql, PG_COPY_OUT, "cio_pg_copy_out_begin");
}

static int enter_copy(cio_pg *conn, enum cio__pg_mode mode, const char *caller) {
    int rc = cio__pg_enter(conn, caller);
    if (rc == 0 && conn->mode != mode) {
        cio__pg_leave(conn);
        rc = -EINVAL;
    }
    return rc;
}

/* Leave COPY mode: results are read; the connection is free again. */
static int finish(cio_pg *conn, int64_t *rows) {
    conn->mode = PG_IDLE;
    cio_pg_result *result = NULL;
    int rc = cio__pg_collect(conn, &result);
    if (rc == 0 && rows) *rows = cio_pg_result_affected(result);
    cio_pg_result_free(result);
    return rc;
}

/* PQputCopyData / PQputCopyEnd return 0 when libpq's buffer is full. */
static int put(cio_pg *conn, const void *data, size_t len, const char *end_message, bool end) {
    for (;;) {
        int sent =
            end ? PQputCopyEnd(conn->pq, end_message) : PQputCopyData(conn->pq, data, (int)len);
        if (sent > 0) return 0;
        if (sent < 0) return cio__pg_connection_error(conn);
        int rc = cio__pg_flush(conn);
        if (rc < 0) return rc;
    }
}

/* An interrupted COPY IN is aborted, shielded, so the connection is clean. */
static int abort_copy_in(cio_pg *conn, int interrupt) {
    cio_shield_begin();
    int rc = put(conn, NULL, 0, "cancelled by the client", true);
    if (rc == 0) rc = cio__pg_flush(conn);
    conn->mode = PG_IDLE;
    if (rc == 0) rc = cio__pg_collect(conn, NULL);
    cio_shield_end();
    if (rc != -CIO_ESERVER && rc < 0) cio_pg_close(conn);
    cio__pg_clear_error(conn);
    return interrupt;
}

int cio_pg_copy_in_put(cio_pg *conn, const void *data, size_t len) {
    if ((!data && len) || len > INT32_MAX) return -EINVAL;
    int rc = enter_copy(conn, PG_COPY_IN, "cio_pg_copy_in_put");
    if (rc < 0) return rc;
    rc = put(conn, data, len, NULL, false);
    if (rc == 0 && PQflush(conn->pq) < 0) rc = cio__pg_connection_error(conn);
    if (cio__pg_interrupt(rc)) rc = abort_copy_in(conn, rc);
    cio__pg_leave(conn);
    return rc;
}

int cio_pg_copy_in_end(cio_pg *conn, const char *errmsg, int64_t *rows) {
    if (rows) *rows = 0;
    int rc = enter_copy(conn, PG_COPY_IN, "cio_pg_copy_in_end");
    if (rc < 0) return rc;
    rc = put(conn, NULL, 0, errmsg, true);
    if (rc == 0) rc = finish(conn, rows);
    if (cio__pg_interrupt(rc)) rc = cio__pg_abandon(conn, rc);
    conn->mode = PG_IDLE;
    cio__pg_leave(conn);
    return rc;
}

/* ---- COPY OUT -------------------------------------------------------------- */

static int read_row(cio_pg *conn, const char **row, size_t *len) {
    for (;;) {
        char *buf = NULL;
        int got = PQgetCopyData(conn->pq, &buf, 1);
        if (got > 0) {
            conn->copy_row = buf;
            *row = buf;
            *len = (size_t)got;
            return 0;
        }
        if (got == -1) return finish(conn, NULL) == 0 ? -ENODATA : -CIO_ESERVER;
        if (got < -1) return cio__pg_connection_error(conn);
        int rc = cio__pg_wait(conn, false, -1);
        if (rc == 0 && !PQconsumeInput(conn->pq)) rc = cio__pg_connection_error(conn);
        if (rc < 0) return rc;
    }
}

int cio_pg_copy_out_row(cio_pg *conn, const char **row, size_t *len) {
    if (!row || !len) return -EINVAL;
    *row = NULL;
    *len = 0;
    int rc = enter_copy(conn, PG_COPY_OUT, "cio_pg_copy_out_row");
    if (rc < 0) return rc;
    if (conn->copy_row) PQfreemem(conn->copy_row);
    conn->copy_row = NULL;
    rc = read_row(conn, row, len);
    if (cio__pg_interrupt(rc)) {
        conn->mode = PG_IDLE;
        rc = cio__pg_abandon(conn, rc);
    }
    cio__pg_leave(conn);
    return rc;
}
