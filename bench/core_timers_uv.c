/* bench/core_timers_uv.c - the libuv side of bench/core_timers.c.
 *
 * The same fixed-seed millisecond timeouts, started with uv_timer_init +
 * uv_timer_start (one uv_timer_t each, in one caller-owned array, as libuv
 * users hold them), every odd-numbered one stopped with uv_timer_stop, and
 * uv_run until the rest have fired. Same figures, same sanity checks (libuv
 * caches the loop time, so "not before its deadline" is checked against
 * uv_now, which is what libuv itself compares). Two passes, as there: the
 * second re-initialises the same uv_timer_t array after closing it. Built
 * only when libuv is
 * found (bench/peers.cmake); Debian: libuv1-dev.
 *
 * Usage: core_timers_uv [timers]   (default 1,000,000) */
#include <uv.h>

#include "core_bench.h"

struct timers {
    uv_loop_t loop;
    long count, fired, misfired, early;
    const uint32_t *delays_ms;
    uint64_t started_at; /* uv_now before the first start */
};

static struct timers bench; /* one run per process; on_fire reads it */

static void on_fire(uv_timer_t *timer) {
    long index = (long)(intptr_t)timer->data;
    if (index % 2 == 1) bench.misfired++;
    if (uv_now(&bench.loop) < bench.started_at + bench.delays_ms[index]) bench.early++;
    bench.fired++;
}

static int64_t start_all(uv_timer_t *timers) {
    uv_update_time(&bench.loop);
    bench.started_at = uv_now(&bench.loop);
    int64_t start = bench_now_ns();
    for (long i = 0; i < bench.count; i++) {
        uv_timer_init(&bench.loop, &timers[i]);
        timers[i].data = (void *)(intptr_t)i;
        int rc = uv_timer_start(&timers[i], on_fire, bench.delays_ms[i], 0);
        BENCH_CHECK(rc == 0, "uv_timer_start: %s", uv_strerror(rc));
    }
    return bench_now_ns() - start;
}

static int64_t stop_odd(uv_timer_t *timers) {
    int64_t start = bench_now_ns();
    for (long i = 1; i < bench.count; i += 2) {
        int rc = uv_timer_stop(&timers[i]);
        BENCH_CHECK(rc == 0, "uv_timer_stop: %s", uv_strerror(rc));
    }
    return bench_now_ns() - start;
}

static void close_all(uv_timer_t *timers) {
    for (long i = 0; i < bench.count; i++) uv_close((uv_handle_t *)&timers[i], NULL);
    uv_run(&bench.loop, UV_RUN_DEFAULT);
}

static struct bench_timers_pass run_pass(uv_timer_t *timers) {
    bench.fired = bench.misfired = bench.early = 0;
    struct bench_timers_pass pass = {.start_ns = start_all(timers)};
    pass.stop_ns = stop_odd(timers);
    int64_t cpu0 = bench_cpu_ns();
    uv_run(&bench.loop, UV_RUN_DEFAULT); /* returns when no timer is active */
    pass.fire_cpu_ns = bench_cpu_ns() - cpu0;
    BENCH_CHECK(bench.fired == bench.count - bench.count / 2, "%ld of %ld timers fired",
                bench.fired, bench.count - bench.count / 2);
    BENCH_CHECK(bench.misfired == 0, "%ld stopped timers fired", bench.misfired);
    BENCH_CHECK(bench.early == 0, "%ld timers fired before their deadline", bench.early);
    close_all(timers);
    return pass;
}

int main(int argc, char **argv) {
    bench.count = bench_arg(argc, argv, 1, 1000000);
    BENCH_CHECK(bench.count > 1, "need at least 2 timers");
    uint32_t *delays = bench_timer_delays_ms((size_t)bench.count);
    uv_timer_t *timers = malloc((size_t)bench.count * sizeof *timers); /* touched while starting */
    BENCH_CHECK(delays && timers, "out of memory");
    bench.delays_ms = delays;
    BENCH_CHECK(uv_loop_init(&bench.loop) == 0, "uv_loop_init failed");

    long rss0 = bench_status_kib("VmRSS");
    struct bench_timers_pass cold = run_pass(timers);
    long rss_kib = bench_status_kib("VmHWM") - rss0;
    struct bench_timers_pass warm = run_pass(timers);
    printf("core_timers: libuv %s\n", uv_version_string());
    bench_timers_report("libuv", bench.count, cold, warm, rss_kib);

    BENCH_CHECK(uv_loop_close(&bench.loop) == 0, "uv_loop_close: handles left");
    free(timers);
    free(delays);
    return 0;
}
