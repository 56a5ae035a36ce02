/* src/pg/pipeline.c - many statements in flight on one connection.
 *
 * libpq's pipeline results come as: each statement's result then a NULL,
 * and each sync point as one PGRES_PIPELINE_SYNC (no NULL after it).
 * pipeline_pending counts statements and syncs whose results are unread,
 * so a read never waits for a result that was never asked for. */
#include "pg/pg.h"

int cio_pg_pipeline_begin(cio_pg *conn) {
    int rc = cio__pg_enter(conn, "cio_pg_pipeline_begin");
    if (rc < 0) return rc;
    if (conn->mode != PG_IDLE)
        rc = -EBUSY;
    else if (!PQenterPipelineMode(conn->pq))
        rc = -EBUSY;
    if (rc == 0) {
        conn->mode = PG_PIPELINE;
        conn->pipeline_pending = 0;
        conn->pipeline_null = false;
    }
    cio__pg_leave(conn);
    return rc;
}

/* Push queued output without waiting: the rest goes at the next read. */
static int send_some(cio_pg *conn) {
    return PQflush(conn->pq) < 0 ? cio__pg_connection_error(conn) : 0;
}

static int enter_pipeline(cio_pg *conn, const char *caller) {
    int rc = cio__pg_enter(conn, caller);
    if (rc == 0 && conn->mode != PG_PIPELINE) {
        cio__pg_leave(conn);
        rc = -EINVAL;
    }
    return rc;
}

int cio_pg_pipeline_send(cio_pg *conn, const char *sql, int nparams, const char *const *values) {
    if (!sql || nparams < 0 || (nparams && !values)) return -EINVAL;
    int rc = enter_pipeline(conn, "cio_pg_pipeline_send");
    if (rc < 0) return rc;
    if (!PQsendQueryParams(conn->pq, sql, nparams, NULL, values, NULL, NULL, 0))
        rc = cio__pg_connection_error(conn);
    if (rc == 0) {
        conn->pipeline_pending++;
        rc = send_some(conn);
    }
    cio__pg_leave(conn);
    return rc;
}

int cio_pg_pipeline_sync(cio_pg *conn) {
    int rc = enter_pipeline(conn, "cio_pg_pipeline_sync");
    if (rc < 0) return rc;
    if (!PQpipelineSync(conn->pq)) rc = cio__pg_connection_error(conn);
    if (rc == 0) {
        conn->pipeline_pending++;
        rc = send_some(conn);
    }
    cio__pg_leave(conn);
    return rc;
}

/* The next result that is not a statement's trailing NULL. */
static int next_non_null(cio_pg *conn, PGresult **result) {
    int rc;
    while ((rc = cio__pg_next_result(conn, result)) == 0 && !*result && conn->pipeline_null)
        conn->pipeline_null = false;
    if (rc == 0 && !*result) rc = -EPROTO; /* libpq and our count disagree */
    return rc;
}

static int classify(cio_pg *conn, PGresult *result, cio_pg_result **out) {
    ExecStatusType status = PQresultStatus(result);
    conn->pipeline_pending--;
    if (status == PGRES_PIPELINE_SYNC) {
        PQclear(result);
        return -ENODATA;
    }
    conn->pipeline_null = true;
    if (status == PGRES_PIPELINE_ABORTED) {
        PQclear(result);
        return -ECANCELED;
    }
    if (status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE)
        return cio__pg_server_error(conn, result);
    if (out)
        *out = (cio_pg_result *)(void *)result;
    else
        PQclear(result);
    return 0;
}

int cio_pg_pipeline_result(cio_pg *conn, cio_pg_result **out) {
    if (out) *out = NULL;
    int rc = enter_pipeline(conn, "cio_pg_pipeline_result");
    if (rc < 0) return rc;
    if (conn->pipeline_pending == 0) rc = -EINVAL; /* nothing was sent */
    PGresult *result = NULL;
    if (rc == 0) rc = next_non_null(conn, &result);
    if (rc == 0) rc = classify(conn, result, out);
    /* An interrupted read leaves results in flight that no one will read:
     * the connection cannot be trusted with them, so it is closed. */
    if (cio__pg_interrupt(rc) && !result) cio_pg_close(conn);
    cio__pg_leave(conn);
    return rc;
}

int cio_pg_pipeline_end(cio_pg *conn) {
    int rc = enter_pipeline(conn, "cio_pg_pipeline_end");
    if (rc < 0) return rc;
    PGresult *result = NULL;
    /* The last statement's trailing NULL may still be unread. */
    if (conn->pipeline_pending == 0 && conn->pipeline_null) {
        rc = cio__pg_next_result(conn, &result);
        if (rc == 0 && result) {
            PQclear(result);
            rc = -EPROTO;
        }
        conn->pipeline_null = false;
    }
    if (rc == 0 && (conn->pipeline_pending > 0 || !PQexitPipelineMode(conn->pq))) rc = -EBUSY;
    if (rc == 0) conn->mode = PG_IDLE;
    cio__pg_leave(conn);
    return rc;
}
