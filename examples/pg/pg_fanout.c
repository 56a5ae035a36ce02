/* pg_fanout: run N independent queries at once through a connection pool and
 * print each result with its time, beside the time the same queries take one
 * after another on one connection.
 *
 *     pg_fanout "host=/var/run/postgresql dbname=app" [N]
 *
 * Each query stands for real work on the server (pg_sleep(0.2)). With a pool
 * of N connections the N queries overlap: about 0.2 s in all, not N x 0.2 s. */
#include <cio.h>
#include <cio/pg.h>
#include <stdio.h>
#include <stdlib.h>

struct job {
    cio_pg_pool *pool;
    int index;
    double took;
    char answer[32];
};

static double now(void) {
    return cio_loop_time(cio_get_running_loop());
}

static void *run_query(void *arg) {
    struct job *job = arg;
    char index[16];
    snprintf(index, sizeof index, "%d", job->index);
    const char *params[] = {index};
    double start = now();
    cio_pg_result *result;
    int rc =
        cio_pg_pool_query(job->pool, "SELECT $1::int * 10 FROM pg_sleep(0.2)", 1, params, &result);
    if (rc < 0) return cio_fail(rc);
    job->took = now() - start;
    snprintf(job->answer, sizeof job->answer, "%s", cio_pg_result_value(result, 0, 0, NULL));
    cio_pg_result_free(result);
    return NULL;
}

struct run {
    const char *conninfo;
    int count;
};

static int one_after_another(const char *conninfo, int count, double *took) {
    cio_pg *conn;
    int rc = cio_pg_connect(conninfo, NULL, &conn);
    double start = now();
    for (int i = 0; rc == 0 && i < count; i++)
        rc = cio_pg_query(conn, "SELECT pg_sleep(0.2)", NULL);
    *took = now() - start;
    cio_pg_free(conn);
    return rc;
}

static void *main_task(void *arg) {
    struct run *run = arg;
    cio_pg_pool *pool;
    cio_pg_pool_options opts = {.min_size = run->count, .max_size = run->count};
    int rc = cio_pg_pool_new(run->conninfo, &opts, &pool);
    if (rc < 0) {
        fprintf(stderr, "pg_fanout: %s: %s\n", cio_strerror(rc), cio_pg_connect_error());
        return cio_fail(rc);
    }
    struct job *jobs = calloc((size_t)run->count, sizeof *jobs);
    cio_task **tasks = calloc((size_t)run->count, sizeof *tasks);
    double start = now();
    for (int i = 0; i < run->count; i++) {
        jobs[i] = (struct job){.pool = pool, .index = i};
        cio_create_task(run_query, &jobs[i], &tasks[i]);
    }
    for (int i = 0; i < run->count; i++) {
        int status = cio_await(tasks[i], NULL);
        if (status < 0)
            printf("query %d: %s\n", i, cio_strerror(status));
        else
            printf("query %d: %s in %.2f s\n", i, jobs[i].answer, jobs[i].took);
        if (status < 0) rc = status;
    }
    double together = now() - start, serial = 0;
    if (rc == 0) rc = one_after_another(run->conninfo, run->count, &serial);
    if (rc == 0)
        printf("%d queries at once: %.2f s; one after another: %.2f s\n", run->count, together,
               serial);
    cio_pg_pool_free(pool);
    free(jobs);
    free(tasks);
    return rc < 0 ? cio_fail(rc) : NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: pg_fanout CONNINFO [N]\n");
        return 2;
    }
    struct run run = {argv[1], argc > 2 ? atoi(argv[2]) : 10};
    if (run.count < 1 || run.count > 100) run.count = 10;
    return cio_run(main_task, &run, NULL) == 0 ? 0 : 1;
}
