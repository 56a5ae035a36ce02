/* src/pg/statement.c - one statement at a time: send, read every result,
 * keep the last, and turn an interrupt into a cancel request. */
#include "pg/pg.h"

#include <string.h>

/* Read results until libpq says the statement is done. The last result
 * goes to *out (or is dropped); the first error is kept on conn. Returns 0,
 * -CIO_ESERVER, or a wait's error. */
int cio__pg_collect(cio_pg *conn, cio_pg_result **out) {
    PGresult *last = NULL, *result;
    int failed = 0, rc;
    while ((rc = cio__pg_next_result(conn, &result)) == 0 && result) {
        ExecStatusType status = PQresultStatus(result);
        if (status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE) {
            if (!failed)
                failed = cio__pg_server_error(conn, result);
            else
                PQclear(result);
            continue;
        }
        if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT) {
            /* COPY's own calls take it from here; nothing follows yet. */
            conn->mode = status == PGRES_COPY_IN ? PG_COPY_IN : PG_COPY_OUT;
            PQclear(last);
            last = result;
            break;
        }
        PQclear(last);
        last = result;
    }
    if (rc == 0) rc = failed;
    if (rc == 0 && out)
        *out = (cio_pg_result *)(void *)last;
    else
        PQclear(last);
    return rc;
}

/* What to send, for run(). */
struct statement {
    const char *sql;
    const char *name; /* a prepared statement's, for execute */
    const cio_pg_params *params;
    int nparams;
    const unsigned int *types; /* for prepare */
    enum { SIMPLE, PARAMS, PREPARE, EXECUTE } kind;
};

static int send_statement(cio_pg *conn, const struct statement *s) {
    const cio_pg_params *p = s->params;
    static const cio_pg_params none = {0};
    if (!p) p = &none;
    int result_format = p->binary_results ? 1 : 0;
    switch (s->kind) {
    case SIMPLE:
        return PQsendQuery(conn->pq, s->sql);
    case PARAMS:
        return PQsendQueryParams(conn->pq, s->sql, p->count, p->types, p->values, p->lengths,
                                 p->formats, result_format);
    case PREPARE:
        return PQsendPrepare(conn->pq, s->name, s->sql, s->nparams, s->types);
    case EXECUTE:
        return PQsendQueryPrepared(conn->pq, s->name, p->count, p->values, p->lengths, p->formats,
                                   result_format);
    }
    return 0;
}

static int run(cio_pg *conn, const struct statement *s, cio_pg_result **out, const char *caller) {
    if (out) *out = NULL;
    int rc = cio__pg_enter(conn, caller);
    if (rc < 0) return rc;
    if (conn->mode != PG_IDLE) {
        cio__pg_leave(conn);
        return -EBUSY; /* a COPY or a pipeline is under way */
    }
    if (!send_statement(conn, s)) rc = cio__pg_connection_error(conn);
    if (rc == 0) rc = cio__pg_collect(conn, out);
    if (cio__pg_interrupt(rc)) rc = cio__pg_abandon(conn, rc);
    cio__pg_leave(conn);
    return rc;
}

static bool params_valid(int count, const char *const *values) {
    return count >= 0 && (count == 0 || values);
}

int cio_pg_query(cio_pg *conn, const char *sql, cio_pg_result **out) {
    if (!sql) return -EINVAL;
    struct statement s = {.sql = sql, .kind = SIMPLE};
    return run(conn, &s, out, "cio_pg_query");
}

int cio_pg_query_params(cio_pg *conn, const char *sql, int nparams, const char *const *values,
                        cio_pg_result **out) {
    if (!sql || !params_valid(nparams, values)) return -EINVAL;
    cio_pg_params params = {.count = nparams, .values = values};
    struct statement s = {.sql = sql, .params = &params, .kind = PARAMS};
    return run(conn, &s, out, "cio_pg_query_params");
}

int cio_pg_query_params_ex(cio_pg *conn, const char *sql, const cio_pg_params *params,
                           cio_pg_result **out) {
    if (!sql || (params && !params_valid(params->count, params->values))) return -EINVAL;
    struct statement s = {.sql = sql, .params = params, .kind = PARAMS};
    return run(conn, &s, out, "cio_pg_query_params_ex");
}

int cio_pg_prepare(cio_pg *conn, const char *name, const char *sql, int nparams,
                   const unsigned int *types) {
    if (!name || !sql || nparams < 0) return -EINVAL;
    struct statement s = {
        .sql = sql, .name = name, .nparams = nparams, .types = types, .kind = PREPARE};
    return run(conn, &s, NULL, "cio_pg_prepare");
}

int cio_pg_execute(cio_pg *conn, const char *name, int nparams, const char *const *values,
                   cio_pg_result **out) {
    if (!name || !params_valid(nparams, values)) return -EINVAL;
    cio_pg_params params = {.count = nparams, .values = values};
    struct statement s = {.name = name, .params = &params, .kind = EXECUTE};
    return run(conn, &s, out, "cio_pg_execute");
}

int cio_pg_execute_ex(cio_pg *conn, const char *name, const cio_pg_params *params,
                      cio_pg_result **out) {
    if (!name || (params && !params_valid(params->count, params->values))) return -EINVAL;
    struct statement s = {.name = name, .params = params, .kind = EXECUTE};
    return run(conn, &s, out, "cio_pg_execute_ex");
}

/* ---- transactions ---------------------------------------------------------- */

static int end_transaction(cio_pg *conn, bool commit) {
    if (commit) return cio_pg_query(conn, "COMMIT", NULL);
    /* Shielded: a cancelled task still leaves its connection clean. */
    cio_shield_begin();
    int rc = cio_pg_query(conn, "ROLLBACK", NULL);
    cio_shield_end();
    return rc;
}

int cio_pg_transaction(cio_pg *conn, cio_pg_transaction_fn fn, void *arg, void **result) {
    if (result) *result = NULL;
    if (!fn) return -EINVAL;
    int rc = cio_pg_query(conn, "BEGIN", NULL);
    if (rc < 0) return rc;
    void *value = fn(conn, arg);
    rc = cio_is_error(value) ? cio_error_of(value) : 0;
    /* A task cancelled inside fn may have swallowed the -ECANCELED: a
     * pending cancellation still means roll back. */
    cio_task *self = cio_current_task();
    if (rc == 0 && cio_task_cancelling(self) > 0) rc = -ECANCELED;
    int ended = end_transaction(conn, rc == 0);
    if (rc == 0) rc = ended;
    if (rc == 0 && result) *result = value;
    return rc;
}
