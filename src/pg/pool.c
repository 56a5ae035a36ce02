/* src/pg/pool.c - a pool of connections (asyncpg's Pool).
 *
 * A semaphore of max_size permits bounds the connections that exist or are
 * being made; an acquire takes a permit, then an idle connection (checked
 * if it sat idle too long or lived too long) or a new one. Release gives
 * the permit back. Idle connections are a stack: the most recently used is
 * reused first, so the others age out and the server's caches stay warm. */
#include "pg/pg.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_SIZE 10
#define DEFAULT_MAX_IDLE 30.0        /* seconds before a reused connection is checked */
#define POOL_MAGIC       0x63696f4fu /* "cioO" */

struct cio_pg_pool {
    uint32_t magic;
    char *conninfo;
    cio_pg_pool_options opts;
    cio_semaphore permits;
    cio_pg **idle; /* a stack of max_size slots */
    int idle_count, open_count;
    int waiting; /* tasks inside an acquire */
};

static double now(const cio_pg_pool *pool) {
    (void)pool;
    return cio_loop_time(cio_get_running_loop());
}

static bool too_old(const cio_pg_pool *pool, const cio_pg *conn) {
    return pool->opts.max_lifetime > 0 && now(pool) - conn->born > pool->opts.max_lifetime;
}

static void drop(cio_pg_pool *pool, cio_pg *conn) {
    pool->open_count--;
    conn->pool = NULL;
    cio_pg_free(conn);
}

static int open_one(cio_pg_pool *pool, cio_pg **conn) {
    int rc = cio_pg_connect(pool->conninfo, &pool->opts.connect, conn);
    if (rc < 0) return rc;
    (*conn)->pool = pool;
    pool->open_count++;
    return 0;
}

/* A connection fit to hand out: open, idle, young enough, and answering if
 * it has sat idle long enough for the server to have gone away. */
static bool healthy(cio_pg_pool *pool, cio_pg *conn) {
    if (!conn->pq || PQstatus(conn->pq) != CONNECTION_OK || too_old(pool, conn)) return false;
    double max_idle = pool->opts.max_idle > 0 ? pool->opts.max_idle : DEFAULT_MAX_IDLE;
    if (now(pool) - conn->idle_since <= max_idle) return true;
    return cio_pg_query(conn, "", NULL) == 0;
}

static int take_connection(cio_pg_pool *pool, cio_pg **out) {
    while (pool->idle_count > 0) {
        cio_pg *conn = pool->idle[--pool->idle_count];
        if (healthy(pool, conn)) {
            *out = conn;
            return 0;
        }
        drop(pool, conn);
    }
    return open_one(pool, out);
}

int cio_pg_pool_new(const char *conninfo, const cio_pg_pool_options *opts, cio_pg_pool **out) {
    if (out) *out = NULL;
    if (!conninfo || !out) return -EINVAL;
    cio_pg_pool_options o = opts ? *opts : (cio_pg_pool_options){0};
    if (o.max_size <= 0) o.max_size = DEFAULT_MAX_SIZE;
    if (o.min_size < 0 || o.min_size > o.max_size) return -EINVAL;
    if (!cio_current_task()) return -EPERM;
    cio_pg_pool *pool = calloc(1, sizeof *pool);
    if (!pool || !(pool->conninfo = strdup(conninfo)) ||
        !(pool->idle = calloc((size_t)o.max_size, sizeof *pool->idle))) {
        if (pool) free(pool->conninfo);
        free(pool);
        return -ENOMEM;
    }
    pool->magic = POOL_MAGIC;
    pool->opts = o;
    cio_semaphore_init(&pool->permits, o.max_size);
    int rc = 0;
    for (int i = 0; i < o.min_size && rc == 0; i++) {
        cio_pg *conn;
        rc = open_one(pool, &conn);
        if (rc == 0) pool->idle[pool->idle_count++] = conn;
    }
    if (rc < 0) {
        cio_pg_pool_free(pool);
        return rc;
    }
    *out = pool;
    return 0;
}

static bool live(const cio_pg_pool *pool) {
    return pool && pool->magic == POOL_MAGIC;
}

int cio_pg_pool_acquire(cio_pg_pool *pool, cio_pg **conn) {
    if (conn) *conn = NULL;
    if (!live(pool) || !conn) return -EINVAL;
    cio_timeout scope;
    bool bounded = pool->opts.acquire_timeout > 0;
    if (bounded) cio_timeout_begin(&scope, pool->opts.acquire_timeout);
    pool->waiting++;
    int rc = cio_semaphore_acquire(&pool->permits);
    pool->waiting--;
    bool permit = rc == 0;
    if (rc == 0) rc = take_connection(pool, conn);
    if (bounded) {
        int expired = cio_timeout_end(&scope);
        if (expired < 0 && rc < 0) rc = expired; /* one got as the deadline fired is kept */
    }
    if (rc < 0 && permit) cio_semaphore_release(&pool->permits);
    return rc;
}

int cio_pg_pool_release(cio_pg_pool *pool, cio_pg *conn) {
    if (!live(pool) || !conn || conn->magic != CIO__PG_MAGIC || conn->pool != pool) return -EINVAL;
    bool keep = conn->pq && conn->mode == PG_IDLE && !conn->user &&
                PQstatus(conn->pq) == CONNECTION_OK &&
                PQtransactionStatus(conn->pq) == PQTRANS_IDLE && !too_old(pool, conn);
    if (keep) {
        conn->idle_since = now(pool);
        pool->idle[pool->idle_count++] = conn;
    } else {
        drop(pool, conn);
    }
    cio_semaphore_release(&pool->permits);
    return 0;
}

static bool worth_retrying(int rc) {
    return rc == -ECONNRESET || rc == -EPIPE;
}

int cio_pg_pool_query(cio_pg_pool *pool, const char *sql, int nparams, const char *const *values,
                      cio_pg_result **out) {
    if (out) *out = NULL;
    cio_pg *conn;
    int rc = cio_pg_pool_acquire(pool, &conn);
    if (rc < 0) return rc;
    rc = cio_pg_query_params(conn, sql, nparams, values, out);
    if (worth_retrying(rc)) {
        /* The server went away under an idle connection (a restart): the
         * other idle ones are as stale, so drop them all and try once more
         * on a fresh connection. */
        cio_pg_pool_release(pool, conn);
        while (pool->idle_count > 0) drop(pool, pool->idle[--pool->idle_count]);
        rc = cio_pg_pool_acquire(pool, &conn);
        if (rc < 0) return rc;
        rc = cio_pg_query_params(conn, sql, nparams, values, out);
    }
    cio_pg_pool_release(pool, conn);
    return rc;
}

int cio_pg_pool_size(const cio_pg_pool *pool) {
    return live(pool) ? pool->open_count : -EINVAL;
}

int cio_pg_pool_idle(const cio_pg_pool *pool) {
    return live(pool) ? pool->idle_count : -EINVAL;
}

int cio_pg_pool_free(cio_pg_pool *pool) {
    if (!pool) return 0;
    if (!live(pool)) return -EINVAL;
    if (pool->open_count > pool->idle_count || pool->waiting > 0) return -EBUSY;
    while (pool->idle_count > 0) drop(pool, pool->idle[--pool->idle_count]);
    pool->magic = 0;
    free(pool->idle);
    free(pool->conninfo);
    free(pool);
    return 0;
}
