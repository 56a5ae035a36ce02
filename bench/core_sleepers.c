/* bench/core_sleepers.c - memory per idle task: N tasks parked in cio_sleep.
 *
 * A main task takes a baseline of VmRSS, creates N tasks that each count
 * themselves and call cio_sleep(3600), yields once (every new task runs to
 * its sleep in that turn), checks all N are parked, and reads VmRSS again.
 * The figure is (RSS - baseline) / N in KiB, default stacks (256 KiB of
 * address space each, MAP_NORESERVE: a task costs the pages it touched).
 * Then it cancels them all and awaits them, unless told not to: unmapping a
 * million stacks is slow on some VMs and measures nothing here.
 *
 * Page tables are not part of RSS: VmPTE is reported beside it, and a
 * breakdown of what one task holds (its struct, its touched stack pages,
 * counted with mincore(2) on a sample, its timer-heap entry).
 *
 * Compact mode (third argument 1): the sleepers are compact tasks
 * (cio_task_options.compact), on one shared stack; a task's stack share is
 * then the heap copy of its frames (header and capacity), reported as
 * "cio-compact".
 *
 * Usage: core_sleepers [tasks] [cleanup] [compact]
 *        (default 100,000, 1 and 0; cleanup 0: exit at once) */
#include <cio.h>

#include "core/compact.h" /* white-box: reads the task's stack, or its frames' copy */
#include "core_bench.h"

#include <sys/mman.h>
#include <unistd.h>

struct sleepers {
    long count;
    bool cleanup; /* cancel and await every sleeper before returning */
    bool compact; /* compact tasks: frames copied off the shared stack */
    long parked;  /* tasks that reached their sleep */
    cio_task **tasks;
};

static void *sleeper(void *arg) {
    struct sleepers *all = arg;
    all->parked++;
    int rc = cio_sleep(3600.0);
    return rc < 0 ? cio_fail(rc) : NULL;
}

/* Mappings in the process: what vm.max_map_count caps. Adjacent stacks with
 * madvise guards merge into one mapping; mprotect guards split them. */
static long mapping_count(void) {
    FILE *maps = fopen("/proc/self/maps", "re");
    if (!maps) return -1;
    long lines = 0;
    int c;
    while ((c = getc(maps)) != EOF) lines += c == '\n';
    fclose(maps);
    return lines;
}

/* Resident pages of one task's stack (the pages it touched). */
static long resident_stack_pages(const cio_task *task) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    char *bottom = (char *)task->stack.top - task->stack.size;
    size_t pages = task->stack.size / page;
    unsigned char *vec = malloc(pages);
    if (!vec || mincore(bottom, task->stack.size, vec) != 0) {
        free(vec);
        return -1;
    }
    long resident = 0;
    for (size_t i = 0; i < pages; i++) resident += vec[i] & 1;
    free(vec);
    return resident;
}

/* A compact task's stack is the copy of its frames (compact.c). */
static double mean_frames_kib(const struct sleepers *all) {
    double bytes = 0;
    for (long i = 0; i < all->count; i++) {
        const struct cio__compact_frames *frames = all->tasks[i]->frames;
        if (frames) bytes += (double)(sizeof *frames + frames->cap);
    }
    return bytes / 1024.0 / (double)all->count;
}

static double mean_stack_kib(const struct sleepers *all) {
    if (all->compact) return mean_frames_kib(all);
    long sampled = 0, pages = 0;
    long step = all->count / 1000 + 1;
    for (long i = 0; i < all->count; i += step) {
        long resident = resident_stack_pages(all->tasks[i]);
        if (resident < 0) return -1;
        pages += resident;
        sampled++;
    }
    return (double)pages * (double)sysconf(_SC_PAGESIZE) / 1024.0 / (double)sampled;
}

/* Why a task did not park: the first failure among them. */
static void explain_failure(const struct sleepers *all) {
    long failed = 0;
    int error = 0;
    for (long i = 0; i < all->count; i++) {
        if (!cio_task_done(all->tasks[i])) continue;
        if (!error) error = cio_task_result(all->tasks[i], NULL);
        failed++;
    }
    fprintf(stderr,
            "core_sleepers: %ld of %ld tasks parked; %ld failed to start (first: %s); "
            "vm.max_map_count and memory are the limits to look at\n",
            all->parked, all->count, failed, cio_strerror(error));
}

static void report(const struct sleepers *all, long rss0, long pte0, int64_t elapsed) {
    long rss = bench_status_kib("VmRSS"), pte = bench_status_kib("VmPTE");
    double per_task = (double)(rss - rss0) / (double)all->count;
    double pte_per_task = (double)(pte - pte0) / (double)all->count;
    double stack_kib = mean_stack_kib(all);
    printf("core_sleepers: %ld tasks parked in %.3f s (%.0f ns each); RSS +%ld KiB, page tables "
           "+%ld KiB, VmHWM %ld KiB, %ld mappings (vm.max_map_count caps them)\n",
           all->count, elapsed / 1e9, (double)elapsed / (double)all->count, rss - rss0, pte - pte0,
           bench_status_kib("VmHWM"), mapping_count());
    printf("core_sleepers: per task %.2f KiB RSS = %s %.2f KiB + task struct %zu B (calloc) + "
           "timer-heap entry %zu B (array, grown x2) + rest; "
           "page tables %.2f KiB more\n",
           per_task,
           all->compact ? "frames copy (malloc'd, all tasks)"
                        : "touched stack (mincore, sample of 1000)",
           stack_kib, sizeof(cio_task), sizeof(struct cio__heap_entry), pte_per_task);
    char name[32];
    snprintf(name, sizeof name, "sleepers_%ld", all->count);
    const char *impl = all->compact ? "cio-compact" : "cio";
    bench_result(name, impl, "rss_bytes_per_task", per_task * 1024);
    bench_result(name, impl, "pte_bytes_per_task", pte_per_task * 1024);
    bench_result(name, impl, "ns_per_spawn_to_park", (double)elapsed / (double)all->count);
}

static void cancel_all(struct sleepers *all) {
    for (long i = 0; i < all->count; i++) cio_task_cancel(all->tasks[i]);
    for (long i = 0; i < all->count; i++) {
        int rc = cio_await(all->tasks[i], NULL);
        BENCH_CHECK(rc == -ECANCELED || rc == -ENOMEM, "a sleeper ended with %s", cio_strerror(rc));
    }
}

static void *bench_main(void *arg) {
    struct sleepers *all = arg;
    all->tasks = malloc((size_t)all->count * sizeof *all->tasks);
    BENCH_CHECK(all->tasks, "out of memory");
    memset(all->tasks, 0,
           (size_t)all->count * sizeof *all->tasks); /* touched before the baseline */
    if (all->compact) cio_loop_set_compact_tasks(cio_get_running_loop(), true);
    long rss0 = bench_status_kib("VmRSS"), pte0 = bench_status_kib("VmPTE");
    int64_t start = bench_now_ns();
    for (long i = 0; i < all->count; i++) {
        cio_create_task(sleeper, all, &all->tasks[i]);
        BENCH_CHECK(all->tasks[i], "cio_create_task failed at task %ld", i);
    }
    cio_yield(); /* every new task runs once, to its sleep, before this returns */
    int64_t elapsed = bench_now_ns() - start;
    if (all->parked == all->count)
        report(all, rss0, pte0, elapsed);
    else
        explain_failure(all);
    bool ok = all->parked == all->count;
    if (ok && !all->cleanup) {
        fflush(stdout);
        _exit(0);
    }
    cancel_all(all);
    free(all->tasks);
    BENCH_CHECK(ok, "not every sleeper parked");
    return NULL;
}

int main(int argc, char **argv) {
    struct sleepers all = {.count = bench_arg(argc, argv, 1, 100000),
                           .cleanup = bench_arg(argc, argv, 2, 1) != 0,
                           .compact = bench_arg(argc, argv, 3, 0) != 0};
    BENCH_CHECK(all.count > 0, "task count must be positive");
    int rc = cio_run(bench_main, &all, NULL);
    BENCH_CHECK(rc == 0, "cio_run: %s", cio_strerror(rc));
    return 0;
}
