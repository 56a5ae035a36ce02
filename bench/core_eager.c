/* bench/core_eager.c - eager tasks that finish without suspending, against
 * normal spawn + await.
 *
 * Three ways to run the same short task (it returns its argument plus one),
 * ns per task, in interleaved rounds (the median is reported):
 *   spawn_batched  create 1,000 tasks, then await each (bench/core_spawn's figure)
 *   spawn_one      create one task and await it, then the next
 *   eager          create with eager_start (the task is done on return), await it
 * An eager task that never suspends takes a pooled stack and two jumps and
 * never touches the ready queue; the others go through the scheduler.
 *
 * Sanity: every task ran exactly once (the sum of the results).
 *
 * Besides wall time, CPU time (cpu_ns) is reported: on a shared machine it
 * leaves out the time spent waiting for a core.
 *
 * Usage: core_eager [tasks per round] [rounds] [way]   (default 200,000, 7,
 * all three; way 0-2 runs only that one, e.g. under perf stat) */
#include <cio.h>

#include "core_bench.h"

#define BATCH 1000

static void *short_task(void *arg) {
    return (void *)((uintptr_t)arg + 1);
}

static uint64_t sum;

static void join(cio_task *task) {
    void *result;
    BENCH_CHECK(task && cio_await(task, &result) == 0, "task failed");
    sum += (uintptr_t)result;
}

static void spawn_batched(long n) {
    static cio_task *tasks[BATCH];
    for (long first = 0; first < n; first += BATCH) {
        long count = n - first < BATCH ? n - first : BATCH;
        for (long i = 0; i < count; i++)
            cio_create_task(short_task, (void *)(uintptr_t)(first + i), &tasks[i]);
        for (long i = 0; i < count; i++) join(tasks[i]);
    }
}

static void spawn_one(long n) {
    for (long i = 0; i < n; i++) {
        cio_task *task;
        cio_create_task(short_task, (void *)(uintptr_t)i, &task);
        join(task);
    }
}

static void eager(long n) {
    cio_loop *loop = cio_get_running_loop();
    cio_task_options opts = {.eager_start = true};
    for (long i = 0; i < n; i++) {
        cio_task *task;
        cio_loop_create_task_ex(loop, short_task, (void *)(uintptr_t)i, &opts, &task);
        join(task);
    }
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

struct way {
    const char *name;
    void (*run)(long n);
    double ns[64], cpu_ns[64];
};

static void *bench_main(void *arg) {
    const long *config = arg;
    long n = config[0], rounds = config[1], only = config[2];
    struct way ways[] = {{"spawn_batched", spawn_batched, {0}, {0}},
                         {"spawn_one", spawn_one, {0}, {0}},
                         {"eager", eager, {0}, {0}}};
    for (size_t w = 0; w < 3; w++) /* warm-up: stacks, task structs */
        if (only < 0 || (long)w == only) ways[w].run(n / 10);
    for (long r = 0; r < rounds; r++) {
        for (size_t w = 0; w < 3; w++) {
            if (only >= 0 && (long)w != only) continue;
            sum = 0;
            int64_t cpu0 = bench_cpu_ns();
            int64_t start = bench_now_ns();
            ways[w].run(n);
            ways[w].ns[r] = (double)(bench_now_ns() - start) / (double)n;
            ways[w].cpu_ns[r] = (double)(bench_cpu_ns() - cpu0) / (double)n;
            BENCH_CHECK(sum == (uint64_t)n * (uint64_t)(n + 1) / 2, "sum of results wrong");
        }
    }
    double median[3], cpu[3];
    for (size_t w = 0; w < 3; w++) {
        if (only >= 0 && (long)w != only) continue;
        qsort(ways[w].ns, (size_t)rounds, sizeof(double), compare);
        qsort(ways[w].cpu_ns, (size_t)rounds, sizeof(double), compare);
        median[w] = ways[w].ns[rounds / 2];
        cpu[w] = ways[w].cpu_ns[rounds / 2];
        bench_result("eager", ways[w].name, "ns_per_task", median[w]);
        bench_result("eager", ways[w].name, "cpu_ns_per_task", cpu[w]);
    }
    if (only < 0)
        printf("core_eager: %ld tasks x %ld rounds; eager is %.1fx spawn_batched, %.1fx spawn_one "
               "(CPU time: %.1fx, %.1fx)\n",
               n, rounds, median[0] / median[2], median[1] / median[2], cpu[0] / cpu[2],
               cpu[1] / cpu[2]);
    return NULL;
}

int main(int argc, char **argv) {
    long config[3] = {bench_arg(argc, argv, 1, 200000), bench_arg(argc, argv, 2, 7),
                      bench_arg(argc, argv, 3, -1)};
    BENCH_CHECK(config[0] > 0 && config[1] > 0 && config[1] <= 64, "tasks > 0, 1..64 rounds");
    int rc = cio_run(bench_main, config, NULL);
    BENCH_CHECK(rc == 0, "cio_run: %s", cio_strerror(rc));
    return 0;
}
