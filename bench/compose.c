/* bench/compose.c - fan-out cost: create N tasks and gather them, or run
 * them as the children of one task group; ns per task.
 *
 *     compose gather|group N [reps] [yield]
 *
 * Each rep times one whole fan-out (create N tasks + wait for all) and the
 * program prints the median rep in ns per task. Children return their index
 * at once; with "yield" each first yields once (asyncio.sleep(0)), so all N
 * are suspended at the same time and each holds a stack. bench/compose.sh
 * runs this against bench/compose_peer.py (asyncio.gather, TaskGroup). */
#include <cio.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct config {
    bool group, yield;
    int n, reps;
};

static struct config config;

static double seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *child(void *arg) {
    if (config.yield && cio_yield() < 0) return cio_fail(-ECANCELED);
    return arg;
}

static int gather_once(cio_task **tasks, void **results) {
    for (int i = 0; i < config.n; i++) {
        cio_create_task(child, (void *)(intptr_t)i, &tasks[i]);
        if (!tasks[i]) return -ENOMEM;
    }
    int rc = cio_gather(tasks, (size_t)config.n, results, NULL);
    if (rc == 0 && (intptr_t)results[config.n - 1] != config.n - 1) rc = -EPROTO;
    return rc;
}

static int group_once(void) {
    cio_taskgroup *tg;
    int rc = cio_taskgroup_new(&tg);
    if (rc < 0) return rc;
    for (int i = 0; i < config.n && rc == 0; i++)
        rc = cio_taskgroup_create_task(tg, child, (void *)(intptr_t)i, NULL);
    int joined = cio_taskgroup_join(tg);
    cio_taskgroup_free(tg);
    return rc < 0 ? rc : joined;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void *bench(void *arg) {
    double *times = arg;
    cio_task **tasks = calloc((size_t)config.n, sizeof *tasks);
    void **results = calloc((size_t)config.n, sizeof *results);
    int rc = tasks && results ? 0 : -ENOMEM;
    for (int rep = 0; rep <= config.reps && rc == 0; rep++) { /* rep 0 warms up */
        double start = seconds();
        rc = config.group ? group_once() : gather_once(tasks, results);
        if (rep > 0) times[rep - 1] = seconds() - start;
    }
    free(tasks);
    free(results);
    return rc ? cio_fail(rc) : NULL;
}

/* A plain loop rather than cio_run(): cio_run() also watches SIGINT with a
 * helper thread, and a second thread in the process makes every munmap of a
 * task stack a cross-CPU TLB shootdown, which is not what this measures. */
static int run(double *times) {
    cio_loop *loop;
    int rc = cio_loop_new(NULL, &loop);
    if (rc < 0) return rc;
    cio_task *main_task;
    cio_loop_create_task(loop, bench, times, &main_task);
    rc = main_task ? cio_loop_run_until_complete(loop, main_task, NULL) : -ENOMEM;
    cio_loop_free(loop);
    return rc;
}

static bool parse(int argc, char **argv) {
    if (argc < 3) return false;
    config.group = strcmp(argv[1], "group") == 0;
    config.n = atoi(argv[2]);
    config.reps = argc > 3 ? atoi(argv[3]) : 9;
    config.yield = argc > 4 && strcmp(argv[4], "yield") == 0;
    return (config.group || strcmp(argv[1], "gather") == 0) && config.n > 0 && config.reps > 0;
}

int main(int argc, char **argv) {
    if (!parse(argc, argv)) {
        fprintf(stderr, "usage: %s gather|group N [reps] [yield]\n", argv[0]);
        return 2;
    }
    double *times = calloc((size_t)config.reps, sizeof *times);
    int rc = times ? run(times) : -ENOMEM;
    if (rc < 0) {
        fprintf(stderr, "compose: %s\n", cio_strerror(rc));
        return 1;
    }
    qsort(times, (size_t)config.reps, sizeof *times, compare);
    printf("%.1f\n", times[config.reps / 2] / config.n * 1e9);
    free(times);
    return 0;
}
