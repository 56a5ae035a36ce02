/* bench/core_spawn.c - spawn, run and join many short tasks.
 *
 * A main task creates tasks in batches (default 1,000 at a time), then
 * awaits each of the batch in order; each task returns its argument plus
 * one. The figure is ns per task for create + first run on its own stack +
 * finish + join (the result read and the task freed). The peers do the same:
 * asyncio `create_task` then `await` each, Go `go f()` with a WaitGroup per
 * batch.
 *
 * Batches keep the memory flat (a batch of tasks exists at a time, as in a
 * server); with batch == total all tasks exist at once.
 *
 * Besides wall time, the process's CPU time over the same span is reported
 * (on a shared machine it leaves out the time spent waiting for the CPU).
 *
 * Sanity: every task ran exactly once (the sum of the results).
 *
 * Usage: core_spawn [tasks] [batch]   (default 1,000,000 and 1,000) */
#include <cio.h>

#include "core_bench.h"

struct spawn_config {
    long total, batch;
};

static void *short_task(void *arg) {
    return (void *)((uintptr_t)arg + 1);
}

/* Spawn and join one batch of n tasks starting at number first; adds their
 * results to *sum. */
static int run_batch(cio_task **tasks, long first, long n, uint64_t *sum) {
    for (long i = 0; i < n; i++) {
        cio_create_task(short_task, (void *)(uintptr_t)(first + i), &tasks[i]);
        if (!tasks[i]) return -ENOMEM;
    }
    for (long i = 0; i < n; i++) {
        void *result;
        int rc = cio_await(tasks[i], &result);
        if (rc < 0) return rc;
        *sum += (uintptr_t)result;
    }
    return 0;
}

static int run_all(const struct spawn_config *config, cio_task **tasks, uint64_t *sum) {
    *sum = 0;
    for (long first = 0; first < config->total; first += config->batch) {
        long n = config->total - first < config->batch ? config->total - first : config->batch;
        int rc = run_batch(tasks, first, n, sum);
        if (rc < 0) return rc;
    }
    return 0;
}

static void *bench_main(void *arg) {
    const struct spawn_config *config = arg;
    cio_task **tasks = malloc((size_t)config->batch * sizeof *tasks);
    BENCH_CHECK(tasks, "out of memory");
    uint64_t sum;
    struct spawn_config warmup = {config->batch * 10, config->batch};
    BENCH_CHECK(run_all(&warmup, tasks, &sum) == 0, "warm-up failed");
    int64_t cpu0 = bench_cpu_ns();
    int64_t start = bench_now_ns();
    int rc = run_all(config, tasks, &sum);
    int64_t elapsed = bench_now_ns() - start;
    int64_t cpu_ns = bench_cpu_ns() - cpu0;
    free(tasks);
    BENCH_CHECK(rc == 0, "spawn failed: %s", cio_strerror(rc));
    uint64_t n = (uint64_t)config->total;
    BENCH_CHECK(sum == n * (n + 1) / 2, "sum of results %llu, expected %llu",
                (unsigned long long)sum, (unsigned long long)(n * (n + 1) / 2));
    printf("core_spawn: %ld tasks in batches of %ld, each ran once, %.3f s\n", config->total,
           config->batch, elapsed / 1e9);
    bench_result("spawn", "cio", "ns_per_task", (double)elapsed / (double)config->total);
    bench_result("spawn", "cio", "cpu_ns_per_task", (double)cpu_ns / (double)config->total);
    return NULL;
}

int main(int argc, char **argv) {
    struct spawn_config config = {bench_arg(argc, argv, 1, 1000000),
                                  bench_arg(argc, argv, 2, 1000)};
    BENCH_CHECK(config.total > 0 && config.batch > 0, "tasks and batch must be positive");
    int rc = cio_run(bench_main, &config, NULL);
    BENCH_CHECK(rc == 0, "cio_run: %s", cio_strerror(rc));
    return 0;
}
