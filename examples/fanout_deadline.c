/* examples/fanout_deadline.c - 100 fetches at once, 1 second for all of them;
 * keep whatever arrived in time.
 *
 * The asyncio original:
 *
 *     async def main():
 *         async with asyncio.timeout(1.0):          # cio_timeout_begin
 *             async with asyncio.TaskGroup() as tg:  # cio_taskgroup_new
 *                 for i in range(100):
 *                     tg.create_task(fetch(i))      # cio_taskgroup_create_task
 *         # leaving both blocks: cio_taskgroup_join, cio_timeout_end
 *
 * The fetches are simulated with sleeps of 0 to 2.1 s. */
#include <cio.h>
#include <stdio.h>

#define FETCHES 100

struct fetch {
    int id;
    double latency; /* seconds the simulated server takes */
    char body[32];
};

static void *fetch(void *arg) {
    struct fetch *f = arg;
    int rc = cio_sleep(f->latency);  /* a real client would read a socket here */
    if (rc < 0) return cio_fail(rc); /* cancelled at the deadline */
    snprintf(f->body, sizeof f->body, "page %d", f->id);
    return f->body;
}

static void report(cio_taskgroup *tg, double started) {
    static cio_taskgroup_result results[FETCHES];
    size_t count = cio_taskgroup_results(tg, results, FETCHES);
    size_t fetched = 0, cancelled = 0;
    for (size_t i = 0; i < count; i++) {
        if (results[i].status == 0 && fetched++ < 3) printf("  %s\n", (char *)results[i].result);
        if (results[i].status == -ECANCELED) cancelled++;
    }
    printf("fetched %zu of %zu in %.3f s; %zu cancelled at the deadline\n", fetched, count,
           cio_loop_time(cio_get_running_loop()) - started, cancelled);
}

static void *main_task(void *arg) {
    (void)arg;
    static struct fetch fetches[FETCHES];
    double started = cio_loop_time(cio_get_running_loop());
    cio_timeout deadline;
    cio_timeout_begin(&deadline, 1.0);
    cio_taskgroup *tg;
    int rc = cio_taskgroup_new(&tg);
    if (rc < 0) return cio_fail(rc);
    for (int i = 0; i < FETCHES; i++) {
        /* Half the servers answer within 0.9 s, the others take 1.2 to 2.1 s. */
        int spread = i * 37 % 100;
        double latency = spread < 50 ? 0.018 * spread : 0.3 + 0.018 * spread;
        fetches[i] = (struct fetch){.id = i, .latency = latency};
        rc = cio_taskgroup_create_task(tg, fetch, &fetches[i], NULL);
        if (rc < 0) break; /* out of memory: join what we have */
    }
    rc = cio_taskgroup_join(tg); /* -ETIMEDOUT: the deadline cancelled the rest */
    bool expired = cio_timeout_end(&deadline) == -ETIMEDOUT;
    printf("join: %s%s\n", rc ? cio_strerror(rc) : "all done", expired ? " (deadline passed)" : "");
    report(tg, started);
    cio_taskgroup_free(tg);
    return NULL;
}

int main(void) {
    int rc = cio_run(main_task, NULL, NULL);
    if (rc < 0) fprintf(stderr, "fanout_deadline: %s\n", cio_strerror(rc));
    return rc < 0;
}
