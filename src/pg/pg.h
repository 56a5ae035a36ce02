/* src/pg/pg.h - the PostgreSQL layer's insides, shared by its files.
 *
 * libpq runs in non-blocking mode; every wait goes through cio's public
 * readiness waits (cio_wait_readable / cio_wait_writable) on PQsocket, which
 * is read again before each wait because libpq may change it while it
 * connects. A connection serves one task at a time: conn->user is that task
 * for the length of a call (or of a COPY), and any other caller gets -EBUSY. */
#ifndef CIO_SRC_PG_H
#define CIO_SRC_PG_H

#include <cio.h>
#include <cio/pg.h>
#include <errno.h>
#include <libpq-fe.h>

#define CIO__PG_MAGIC 0x63696f50u /* "cioP": a live connection */
#define CIO__PG_FREED 0x66726565u /* "free" */

/* What the connection is in the middle of, between calls. */
enum cio__pg_mode { PG_IDLE, PG_PIPELINE, PG_COPY_IN, PG_COPY_OUT };

struct cio_pg {
    uint32_t magic;
    PGconn *pq;     /* NULL once closed */
    cio_loop *loop; /* the loop it was made on */
    cio_task *user; /* the task inside a call on it, or NULL */
    bool closing;   /* closed by another task while user waits: user finishes it */
    enum cio__pg_mode mode;
    int pipeline_pending;   /* statements and syncs sent whose results are unread */
    bool pipeline_null;     /* a statement's trailing NULL result is still to skip */
    PGresult *error_result; /* holds the strings of error (NULL: no error) */
    cio_pg_error error;
    char *copy_row; /* the last COPY OUT row (PQfreemem at the next call) */
    /* pool bookkeeping */
    cio_pg_pool *pool;
    double born, idle_since;
};

/* A result is libpq's own: no wrapper, no allocation. */
static inline PGresult *cio__pg_pq(const cio_pg_result *result) {
    return (PGresult *)(void *)result;
}

/* conn.c */
int cio__pg_enter(cio_pg *conn, const char *caller); /* checks, then marks the caller as user */
void cio__pg_leave(cio_pg *conn);
void cio__pg_clear_error(cio_pg *conn);
int cio__pg_server_error(cio_pg *conn, PGresult *result);      /* keeps result; -CIO_ESERVER */
int cio__pg_connection_error(cio_pg *conn);                    /* libpq failed: -ECONNRESET, ... */
int cio__pg_wait(cio_pg *conn, bool writable, double timeout); /* on PQsocket */
int cio__pg_flush(cio_pg *conn);                               /* send all output */
int cio__pg_next_result(cio_pg *conn, PGresult **result);      /* suspends while busy */
int cio__pg_abandon(cio_pg *conn, int interrupt); /* cancel + drain after an interrupt */
bool cio__pg_interrupt(int rc);

/* statement.c */
int cio__pg_collect(cio_pg *conn, cio_pg_result **out);

#endif
