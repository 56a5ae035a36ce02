/* Compact tasks: thousands of tasks asleep at once, each holding a few
 * hundred bytes of saved frames instead of a stack of its own. They run on
 * one stack their loop shares among compact tasks; a suspended one keeps a
 * heap copy of just its live frames (docs/tasks.md, "Compact tasks").
 *
 *     $ ./compact_tasks            (or ./compact_tasks 1000000)
 *     1000 compact tasks asleep
 *     1000 woke up, 499500 summed
 *
 * stderr gets the memory figure: RSS growth per sleeping task.
 *
 * The rule that buys this: nobody may use a pointer into a compact task's
 * stack while it is suspended. Here each task's result travels as a value
 * (its return), never as the address of a local. */
#include <cio.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long rss_kib(void) {
    FILE *status = fopen("/proc/self/status", "re");
    char line[128];
    long kib = -1;
    while (status && fgets(line, sizeof line, status))
        if (strncmp(line, "VmRSS:", 6) == 0) kib = strtol(line + 6, NULL, 10);
    if (status) fclose(status);
    return kib;
}

static void *sleeper(void *arg) {
    long id = (long)(intptr_t)arg;
    int rc = cio_sleep(0.2); /* everyone asleep at once */
    return rc < 0 ? cio_fail(rc) : (void *)(intptr_t)id;
}

static void *main_task(void *arg) {
    long count = *(long *)arg;
    /* Every task this loop makes from now on is compact. */
    cio_loop_set_compact_tasks(cio_get_running_loop(), true);
    cio_task **tasks = calloc((size_t)count, sizeof *tasks);
    if (!tasks) return cio_fail(-ENOMEM);
    long before = rss_kib();
    for (long i = 0; i < count; i++) {
        int rc = cio_create_task(sleeper, (void *)(intptr_t)i, &tasks[i]);
        if (rc < 0) return cio_fail(rc); /* (the tasks made so far are left to the loop) */
    }
    cio_yield(); /* each new task runs to its sleep before this returns */
    long after = rss_kib();
    printf("%ld compact tasks asleep\n", count);
    fprintf(stderr, "%.0f bytes of RSS per sleeping task\n",
            (double)(after - before) * 1024.0 / (double)count);
    long woke = 0, sum = 0;
    for (long i = 0; i < count; i++) {
        void *id;
        if (cio_await(tasks[i], &id) == 0) {
            woke++;
            sum += (long)(intptr_t)id;
        }
    }
    free(tasks);
    printf("%ld woke up, %ld summed\n", woke, sum);
    return NULL;
}

int main(int argc, char **argv) {
    /* 1,000 by default: its output test also runs under ASan, whose fake
     * stacks cost ~30 KB a task, and TSan, whose fibers cost ~860 KB. */
    long count = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
    if (count <= 0) {
        fprintf(stderr, "usage: compact_tasks [count > 0]\n");
        return 2;
    }
    int rc = cio_run(main_task, &count, NULL);
    if (rc < 0) fprintf(stderr, "compact_tasks: %s\n", cio_strerror(rc));
    return rc < 0;
}
