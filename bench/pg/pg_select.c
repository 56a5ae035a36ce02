/* pg_select: pgbench's select-only transaction from cio tasks.
 *
 *     pg_select CONNINFO CLIENTS SECONDS SCALE [DEPTH]
 *
 * CLIENTS connections, each driven by one task, run
 * SELECT abalance FROM pgbench_accounts WHERE aid = $1 (a prepared statement,
 * as pgbench -S -M prepared) with random aids for SECONDS. DEPTH 1: one
 * statement in flight per connection, as pgbench; DEPTH > 1: pipeline mode
 * with DEPTH in flight. Prints "tps N". */
#include <cio.h>
#include <cio/pg.h>
#include <stdio.h>
#include <stdlib.h>

#define ACCOUNTS_PER_SCALE 100000

struct config {
    const char *conninfo;
    int clients, scale, depth;
    double seconds;
    long done;
    int failed;
};

static void random_aid(struct config *c, unsigned *seed, char *out, size_t len) {
    unsigned x = *seed; /* xorshift32: pgbench's uniform random aid */
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    *seed = x;
    snprintf(out, len, "%d", 1 + (int)(x % (unsigned)(c->scale * ACCOUNTS_PER_SCALE)));
}

static int one_at_a_time(struct config *c, cio_pg *conn, unsigned *seed, double end) {
    char aid[16];
    const char *values[] = {aid};
    while (cio_loop_time(cio_get_running_loop()) < end) {
        random_aid(c, seed, aid, sizeof aid);
        int rc = cio_pg_execute(conn, "select", 1, values, NULL);
        if (rc < 0) return rc;
        c->done++;
    }
    return 0;
}

static int pipelined(struct config *c, cio_pg *conn, unsigned *seed, double end) {
    char aid[16];
    const char *values[] = {aid};
    int rc = cio_pg_pipeline_begin(conn);
    while (rc == 0 && cio_loop_time(cio_get_running_loop()) < end) {
        for (int i = 0; rc == 0 && i < c->depth; i++) {
            random_aid(c, seed, aid, sizeof aid);
            rc = cio_pg_pipeline_send(conn, "SELECT abalance FROM pgbench_accounts WHERE aid = $1",
                                      1, values);
        }
        if (rc == 0) rc = cio_pg_pipeline_sync(conn);
        for (int i = 0; rc == 0 && i < c->depth; i++) {
            rc = cio_pg_pipeline_result(conn, NULL);
            if (rc == 0) c->done++;
        }
        if (rc == 0 && cio_pg_pipeline_result(conn, NULL) != -ENODATA) rc = -EPROTO;
    }
    if (rc == 0) rc = cio_pg_pipeline_end(conn);
    return rc;
}

static void *client(void *arg) {
    struct config *c = arg;
    cio_pg *conn;
    int rc = cio_pg_connect(c->conninfo, NULL, &conn);
    if (rc < 0) return cio_fail(rc);
    rc = cio_pg_prepare(conn, "select", "SELECT abalance FROM pgbench_accounts WHERE aid = $1", 1,
                        NULL);
    unsigned seed = (unsigned)(uintptr_t)conn | 1;
    double end = cio_loop_time(cio_get_running_loop()) + c->seconds;
    if (rc == 0)
        rc = c->depth > 1 ? pipelined(c, conn, &seed, end) : one_at_a_time(c, conn, &seed, end);
    cio_pg_free(conn);
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void *main_task(void *arg) {
    struct config *c = arg;
    cio_task **tasks = calloc((size_t)c->clients, sizeof *tasks);
    for (int i = 0; i < c->clients; i++) cio_create_task(client, c, &tasks[i]);
    double start = cio_loop_time(cio_get_running_loop());
    for (int i = 0; i < c->clients; i++) {
        int rc = cio_await(tasks[i], NULL);
        if (rc < 0 && !c->failed) {
            fprintf(stderr, "pg_select: %s\n", cio_strerror(rc));
            c->failed = rc;
        }
    }
    double took = cio_loop_time(cio_get_running_loop()) - start;
    printf("tps %.0f\n", c->done / took);
    free(tasks);
    return c->failed ? cio_fail(c->failed) : NULL;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: pg_select CONNINFO CLIENTS SECONDS SCALE [DEPTH]\n");
        return 2;
    }
    struct config c = {.conninfo = argv[1],
                       .clients = atoi(argv[2]),
                       .seconds = atof(argv[3]),
                       .scale = atoi(argv[4]),
                       .depth = argc > 5 ? atoi(argv[5]) : 1};
    if (c.clients < 1 || c.scale < 1 || c.depth < 1) return 2;
    return cio_run(main_task, &c, NULL) == 0 ? 0 : 1;
}
