/* cio/pg.h - PostgreSQL from tasks: libpq driven by cio's loop.
 *
 * A separate library, cio_pg (CMake target cio::pg, pkg-config cio-pg),
 * built when libpq is found. Every call that talks to the server suspends
 * only the calling task: libpq runs non-blocking and cio waits on its socket.
 *
 * asyncpg                                     cio
 * -------                                     ---
 * conn = await asyncpg.connect(dsn)           cio_pg_connect(dsn, opts, &conn)
 * await conn.execute(sql)                     cio_pg_query(conn, sql, &result)
 * await conn.fetch(sql, a, b)                 cio_pg_query_params(conn, sql, 2, params, &result)
 * stmt = await conn.prepare(sql)              cio_pg_prepare(conn, "name", sql, 0, NULL)
 * await stmt.fetch(a)                         cio_pg_execute(conn, "name", 1, params, &result)
 * async with conn.transaction():              cio_pg_transaction(conn, fn, arg, &result)
 * await conn.copy_to_table / copy_from_query  cio_pg_copy_in_* / cio_pg_copy_out_*
 * await conn.add_listener(channel, cb)        cio_pg_query(conn, "LISTEN ch") +
 * cio_pg_notification_wait asyncpg.create_pool(dsn, min_size, ...)     cio_pg_pool_new(dsn, opts,
 * &pool) async with pool.acquire() as conn           cio_pg_pool_acquire(pool, &conn) ...
 * cio_pg_pool_release asyncpg.PostgresError (.sqlstate, ...)      -CIO_ESERVER, then
 * cio_pg_last_error(conn)
 *
 * Errors: calls return 0 or a negative errno. A statement the server
 * refused is -CIO_ESERVER; its SQLSTATE, message, detail and hint are kept
 * on the connection until its next call (cio_pg_last_error). A lost
 * connection is -ECONNRESET (or -EPIPE); a connection that is not open is
 * -CIO_ECLOSED; misuse is -EINVAL, -EBUSY (another task is using the
 * connection: one statement at a time per connection, or use a pool) or
 * -EPERM (outside a task, or from another thread).
 *
 * Cancellation: a task cancelled (or timed out) while the server runs its
 * statement sends the server a cancel request (PQcancel, from the thread
 * pool since it blocks), reads what is left of the reply, and returns
 * -ECANCELED (-ETIMEDOUT); the connection stays usable for the next call.
 *
 * Threads: a connection, result or pool belongs to the loop it was made on;
 * all functions are for that loop's thread. Results are plain data and may
 * be read from any thread once the call has returned. */
#ifndef CIO_PG_H
#define CIO_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "task.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cio_pg cio_pg;               /* one connection (a handle) */
typedef struct cio_pg_result cio_pg_result; /* the rows of one statement */
typedef struct cio_pg_pool cio_pg_pool;     /* a pool of connections */

typedef struct cio_pg_options {
    double connect_timeout; /* seconds for the whole connect; 0: 60 */
} cio_pg_options;

/* The server's account of the last error on a connection. Fields are
 * NUL-terminated and empty when the server did not send them. */
typedef struct cio_pg_error {
    char sqlstate[6]; /* e.g. "23505" (unique_violation), "42601" (syntax_error) */
    const char *severity;
    const char *message; /* the primary message */
    const char *detail;
    const char *hint;
} cio_pg_error;

/* ---- connections ----------------------------------------------------------- */

/* Connect with a libpq connection string or URI ("host=/tmp port=5432
 * dbname=app" or "postgresql://user@localhost/app"), without blocking the
 * loop (TLS is used where the string and the server agree). On success *out
 * is the caller's connection, to free with cio_pg_free(). Returns 0, or
 * -CIO_ESERVER (the server refused: cio_pg_connect_error() has its text),
 * -ECONNREFUSED, -ETIMEDOUT (opts->connect_timeout or a timeout scope),
 * -ECANCELED, -ENOMEM, -EINVAL (NULL arguments, a malformed string), -EPERM
 * (outside a task). *out is NULL on failure. */
CIO_EXPORT int cio_pg_connect(const char *conninfo, const cio_pg_options *opts, cio_pg **out);

/* libpq's text for the last failed cio_pg_connect() on this thread (empty
 * if none): "password authentication failed ...", "could not connect ...".
 * Valid until the next cio_pg_connect() on the thread. */
CIO_EXPORT const char *cio_pg_connect_error(void);

/* Close the connection (the server is told: PQfinish). A task waiting on it
 * wakes with -CIO_ECLOSED. Returns 0, -CIO_ECLOSED (already closed),
 * -EINVAL. Does not suspend. */
CIO_EXPORT int cio_pg_close(cio_pg *conn);

/* Close if open, and free. NULL is a no-op. Must not be called while a task
 * is inside a call on it (-EBUSY is reported and nothing is freed). */
CIO_EXPORT void cio_pg_free(cio_pg *conn);

/* The last server error on conn (after -CIO_ESERVER), or NULL if its last
 * call did not fail with one. Borrowed: valid until conn's next call. */
CIO_EXPORT const cio_pg_error *cio_pg_last_error(const cio_pg *conn);

/* The server's process id for this connection (pg_backend_pid()), or
 * -CIO_ECLOSED / -EINVAL. */
CIO_EXPORT int cio_pg_backend_pid(const cio_pg *conn);

/* ---- statements ------------------------------------------------------------ */

/* Run sql with the simple query protocol (several statements separated by
 * ';' are allowed; *out gets the last one's result). out may be NULL when
 * the rows are not wanted. Returns 0, -CIO_ESERVER, -ECONNRESET, -ECANCELED,
 * -ETIMEDOUT, -CIO_ECLOSED, -EBUSY, -EINVAL, -EPERM, -ENOMEM. */
CIO_EXPORT int cio_pg_query(cio_pg *conn, const char *sql, cio_pg_result **out);

/* Run sql once with parameters $1..$n given as text (a NULL entry is SQL
 * NULL); the server infers their types. The extended protocol: sql holds
 * exactly one statement, and values are never spliced into it (no
 * injection). Results come as text. Returns as cio_pg_query. */
CIO_EXPORT int cio_pg_query_params(cio_pg *conn, const char *sql, int nparams,
                                   const char *const *values, cio_pg_result **out);

/* Parameters in full, for cio_pg_query_params_ex / cio_pg_execute_ex. */
typedef struct cio_pg_params {
    int count;
    const unsigned int *types; /* type OIDs (NULL, or 0 entries: inferred) */
    const char *const *values; /* text, or binary when formats[i] is 1 */
    const int *lengths;        /* of binary values (text ones: ignored) */
    const int *formats;        /* 0 text, 1 binary (NULL: all text) */
    bool binary_results;       /* rows in binary (cio_pg_result_* read both) */
} cio_pg_params;

/* cio_pg_query_params with types, binary values and binary results. */
CIO_EXPORT int cio_pg_query_params_ex(cio_pg *conn, const char *sql, const cio_pg_params *params,
                                      cio_pg_result **out);

/* Prepare sql under name (a prepared statement lives as long as the
 * connection; "" is the unnamed one). types may be NULL. Returns as
 * cio_pg_query; a name already in use is -CIO_ESERVER (42P05). */
CIO_EXPORT int cio_pg_prepare(cio_pg *conn, const char *name, const char *sql, int nparams,
                              const unsigned int *types);

/* Run the prepared statement name with text parameters. */
CIO_EXPORT int cio_pg_execute(cio_pg *conn, const char *name, int nparams,
                              const char *const *values, cio_pg_result **out);

/* Run the prepared statement name with full parameters. */
CIO_EXPORT int cio_pg_execute_ex(cio_pg *conn, const char *name, const cio_pg_params *params,
                                 cio_pg_result **out);

/* ---- results --------------------------------------------------------------- */

/* Rows and columns of a result (0 for a statement without rows). */
CIO_EXPORT int cio_pg_result_rows(const cio_pg_result *result);
CIO_EXPORT int cio_pg_result_columns(const cio_pg_result *result);

/* The column's name, or NULL out of range. Borrowed from result. */
CIO_EXPORT const char *cio_pg_result_column_name(const cio_pg_result *result, int column);

/* The column's index by name, or -ENOENT. */
CIO_EXPORT int cio_pg_result_column_index(const cio_pg_result *result, const char *name);

/* The column's type OID (23 int4, 20 int8, 25 text, 16 bool, 701 float8...). */
CIO_EXPORT unsigned int cio_pg_result_column_type(const cio_pg_result *result, int column);

/* Rows the statement touched: INSERT/UPDATE/DELETE/COPY counts, the rows
 * of a SELECT; 0 where the command reports none. */
CIO_EXPORT int64_t cio_pg_result_affected(const cio_pg_result *result);

/* True if the value is SQL NULL (and for a row or column out of range). */
CIO_EXPORT bool cio_pg_result_is_null(const cio_pg_result *result, int row, int column);

/* The value's bytes (text: NUL-terminated; binary: as sent), or NULL for
 * SQL NULL or out of range; *len (may be NULL) gets its length. Borrowed
 * from result. */
CIO_EXPORT const char *cio_pg_result_value(const cio_pg_result *result, int row, int column,
                                           size_t *len);

/* Typed reads of text or binary values of the matching types: int2/int4/
 * int8 (and text holding an integer) into *value; float4/float8/numeric
 * text; bool ("t"/"f", or binary). Return 0, -ENODATA (SQL NULL), -ERANGE
 * (does not fit), -EINVAL (not of that type, out of range, NULL args). */
CIO_EXPORT int cio_pg_result_int64(const cio_pg_result *result, int row, int column,
                                   int64_t *value);
CIO_EXPORT int cio_pg_result_double(const cio_pg_result *result, int row, int column,
                                    double *value);
CIO_EXPORT int cio_pg_result_bool(const cio_pg_result *result, int row, int column, bool *value);

/* Free a result (NULL: no-op). Any thread. */
CIO_EXPORT void cio_pg_result_free(cio_pg_result *result);

/* ---- transactions ---------------------------------------------------------- */

/* The transaction's body: runs inside BEGIN ... COMMIT on conn; returns its
 * result, or cio_fail(err) to roll back. */
typedef void *(*cio_pg_transaction_fn)(cio_pg *conn, void *arg);

/* `async with conn.transaction()`: BEGIN, fn(conn, arg), then COMMIT if fn
 * returned a result, or ROLLBACK if it failed, or if the task was cancelled
 * or timed out on the way (the ROLLBACK itself runs shielded). Returns 0 with
 * fn's result in *result (may be NULL), fn's error, the COMMIT's error (a
 * deferred constraint: -CIO_ESERVER), -ECANCELED / -ETIMEDOUT, or as
 * cio_pg_query. */
CIO_EXPORT int cio_pg_transaction(cio_pg *conn, cio_pg_transaction_fn fn, void *arg, void **result);

/* ---- pipeline mode --------------------------------------------------------- */

/* Enter pipeline mode (PostgreSQL 14+ protocol, libpq's PQenterPipelineMode):
 * many statements in flight on one connection, results in order. Between
 * begin and end use only cio_pg_pipeline_send / _sync / _result. Returns 0,
 * -EBUSY, -CIO_ECLOSED, -EINVAL, -EPERM. */
CIO_EXPORT int cio_pg_pipeline_begin(cio_pg *conn);

/* Queue one statement with text parameters (nparams 0: none) without
 * waiting for its result; it is sent as the socket allows. Returns 0,
 * -ECONNRESET, -EINVAL (not in pipeline mode), -ENOMEM. */
CIO_EXPORT int cio_pg_pipeline_send(cio_pg *conn, const char *sql, int nparams,
                                    const char *const *values);

/* Mark a synchronisation point: if a statement fails, the ones after it up
 * to the next sync are skipped (their results: -ECANCELED). */
CIO_EXPORT int cio_pg_pipeline_sync(cio_pg *conn);

/* The next statement's result, in order, suspending until it arrives: 0
 * with *out (may be NULL), -CIO_ESERVER (that statement failed), -ECANCELED
 * (skipped after an earlier failure: asyncio-style "aborted"), -ENODATA (a
 * sync point was reached: every result before it has been read), or as
 * cio_pg_query. */
CIO_EXPORT int cio_pg_pipeline_result(cio_pg *conn, cio_pg_result **out);

/* Leave pipeline mode; every result must have been read (else -EBUSY). */
CIO_EXPORT int cio_pg_pipeline_end(cio_pg *conn);

/* ---- COPY ------------------------------------------------------------------ */

/* COPY ... FROM STDIN: start it with sql, then put data in any slices (rows
 * in the COPY format asked for), then end it. Nothing is buffered whole:
 * each put waits while the socket is full. end (errmsg NULL) commits the
 * COPY and gives the row count in *rows (may be NULL); errmsg non-NULL aborts
 * it with that message (then -CIO_ESERVER, the server's "COPY ... failed").
 * A cancel or error in between aborts the COPY. */
CIO_EXPORT int cio_pg_copy_in_begin(cio_pg *conn, const char *sql);
CIO_EXPORT int cio_pg_copy_in_put(cio_pg *conn, const void *data, size_t len);
CIO_EXPORT int cio_pg_copy_in_end(cio_pg *conn, const char *errmsg, int64_t *rows);

/* COPY ... TO STDOUT: start it with sql, then read one row at a time:
 * *row (NOT NUL-terminated; borrowed until the next call on conn) and *len.
 * Returns 0 per row, -ENODATA at the end (the COPY is finished and the
 * connection free for the next call), or as cio_pg_query. */
CIO_EXPORT int cio_pg_copy_out_begin(cio_pg *conn, const char *sql);
CIO_EXPORT int cio_pg_copy_out_row(cio_pg *conn, const char **row, size_t *len);

/* ---- LISTEN / NOTIFY ------------------------------------------------------- */

typedef struct cio_pg_notification {
    const char *channel;
    const char *payload;
    int pid; /* the notifying server process */
} cio_pg_notification;

/* Suspend until a notification arrives on conn (after cio_pg_query(conn,
 * "LISTEN channel", NULL)). On success *out is the caller's to free() (one
 * block). Returns 0, -ETIMEDOUT (timeout seconds passed; negative: none),
 * -ECANCELED, -ECONNRESET, -CIO_ECLOSED, -EBUSY, -EINVAL, -EPERM. */
CIO_EXPORT int cio_pg_notification_wait(cio_pg *conn, double timeout, cio_pg_notification **out);

/* ---- pools ----------------------------------------------------------------- */

typedef struct cio_pg_pool_options {
    int min_size;           /* connections made by cio_pg_pool_new and kept; 0: none */
    int max_size;           /* 0: 10 */
    double acquire_timeout; /* seconds an acquire may wait; 0: no limit */
    double max_lifetime;    /* seconds a connection is reused; 0: no limit */
    double max_idle;        /* seconds idle before a health check on reuse; 0: 30 */
    cio_pg_options connect; /* for each connection */
} cio_pg_pool_options;

/* asyncpg.create_pool: make a pool and open min_size connections (suspends).
 * On success *out is the caller's, to free with cio_pg_pool_free(). Returns
 * 0, or the first connection's error, -EINVAL (min > max), -ENOMEM, -EPERM. */
CIO_EXPORT int cio_pg_pool_new(const char *conninfo, const cio_pg_pool_options *opts,
                               cio_pg_pool **out);

/* Take a connection (an idle one, health-checked with an empty query if it
 * was idle longer than max_idle; or a new one while under max_size; or wait
 * for one to be released, up to acquire_timeout). Connections found broken
 * (the server restarted) are dropped and replaced. Returns 0 with *conn
 * (borrowed: give it back with cio_pg_pool_release), -ETIMEDOUT, -ECANCELED,
 * a connect error, -EINVAL, -EPERM. */
CIO_EXPORT int cio_pg_pool_acquire(cio_pg_pool *pool, cio_pg **conn);

/* Give conn back. A connection left inside a transaction or pipeline, or
 * broken, or past max_lifetime, is closed instead of kept. Returns 0, or
 * -EINVAL (not this pool's, NULL). Does not suspend. */
CIO_EXPORT int cio_pg_pool_release(cio_pg_pool *pool, cio_pg *conn);

/* Acquire, cio_pg_query_params, release: pool.fetch(sql, *args). */
CIO_EXPORT int cio_pg_pool_query(cio_pg_pool *pool, const char *sql, int nparams,
                                 const char *const *values, cio_pg_result **out);

/* Counts: connections open, idle in the pool, and tasks waiting. */
CIO_EXPORT int cio_pg_pool_size(const cio_pg_pool *pool);
CIO_EXPORT int cio_pg_pool_idle(const cio_pg_pool *pool);

/* Close the idle connections and free the pool. Every acquired connection
 * must have been released and no task may be inside an acquire: otherwise
 * -EBUSY and nothing is freed. Returns 0 (NULL too), -EBUSY, -EINVAL. */
CIO_EXPORT int cio_pg_pool_free(cio_pg_pool *pool);

#ifdef __cplusplus
}
#endif
#endif
