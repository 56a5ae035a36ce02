/* bench/core_timers.c - 1M timers: start, cancel half, fire the rest.
 *
 * Timer i is started with cio_call_later() for a fixed-seed random timeout of
 * 1..1000 ms (bench_timer_delays_ms, the same values bench/core_timers_uv.c
 * gives libuv); every odd-numbered one is then cancelled with
 * cio_handle_cancel(); the loop runs until the rest have fired. Figures:
 * wall ns per start and per cancel, CPU ns per fired timer (the loop sleeps
 * between deadlines; that idle time is not the timers' cost), and the peak
 * RSS growth from a baseline taken before the first start (the handles the
 * caller keeps are counted, as libuv's uv_timer_t array is on its side).
 * Two passes: on fresh memory, then again on the same loop (see
 * struct bench_timers_pass).
 *
 * Sanity: every cancel succeeds, no cancelled timer fires, every other timer
 * fires exactly once and never before its deadline.
 *
 * Usage: core_timers [timers]   (default 1,000,000) */
#include <cio.h>

#include "core_bench.h"

struct timers {
    cio_loop *loop;
    long count, fired, misfired, early;
    const uint32_t *delays_ms;
    double started_at; /* loop time before the first start */
};

static struct timers bench; /* one run per process; on_fire reads it */

static void on_fire(void *arg) {
    long index = (long)(intptr_t)arg;
    if (index % 2 == 1) bench.misfired++;
    if (cio_loop_time(bench.loop) < bench.started_at + bench.delays_ms[index] / 1000.0)
        bench.early++;
    if (++bench.fired == bench.count - bench.count / 2) cio_loop_stop(bench.loop);
}

static int64_t start_all(cio_handle *handles) {
    bench.started_at = cio_loop_time(bench.loop);
    int64_t start = bench_now_ns();
    for (long i = 0; i < bench.count; i++) {
        int rc = cio_call_later(bench.loop, bench.delays_ms[i] / 1000.0, on_fire,
                                (void *)(intptr_t)i, &handles[i]);
        BENCH_CHECK(rc == 0, "cio_call_later: %s", cio_strerror(rc));
    }
    return bench_now_ns() - start;
}

static int64_t cancel_odd(const cio_handle *handles) {
    int64_t start = bench_now_ns();
    for (long i = 1; i < bench.count; i += 2) {
        int rc = cio_handle_cancel(handles[i]);
        BENCH_CHECK(rc == 0, "cio_handle_cancel: %s", cio_strerror(rc));
    }
    return bench_now_ns() - start;
}

static struct bench_timers_pass run_pass(cio_handle *handles) {
    bench.fired = bench.misfired = bench.early = 0;
    struct bench_timers_pass pass = {.start_ns = start_all(handles)};
    pass.stop_ns = cancel_odd(handles);
    int64_t cpu0 = bench_cpu_ns();
    int rc = cio_loop_run_forever(bench.loop);
    pass.fire_cpu_ns = bench_cpu_ns() - cpu0;
    BENCH_CHECK(rc == 0, "cio_loop_run_forever: %s", cio_strerror(rc));
    BENCH_CHECK(bench.fired == bench.count - bench.count / 2, "%ld of %ld timers fired",
                bench.fired, bench.count - bench.count / 2);
    BENCH_CHECK(bench.misfired == 0, "%ld cancelled timers fired", bench.misfired);
    BENCH_CHECK(bench.early == 0, "%ld timers fired before their deadline", bench.early);
    return pass;
}

int main(int argc, char **argv) {
    bench.count = bench_arg(argc, argv, 1, 1000000);
    BENCH_CHECK(bench.count > 1, "need at least 2 timers");
    uint32_t *delays = bench_timer_delays_ms((size_t)bench.count);
    cio_handle *handles =
        malloc((size_t)bench.count * sizeof *handles); /* touched while starting */
    BENCH_CHECK(delays && handles, "out of memory");
    bench.delays_ms = delays;
    int rc = cio_loop_new(NULL, &bench.loop);
    BENCH_CHECK(rc == 0, "cio_loop_new: %s", cio_strerror(rc));

    long rss0 = bench_status_kib("VmRSS");
    struct bench_timers_pass cold = run_pass(handles);
    long rss_kib = bench_status_kib("VmHWM") - rss0;
    struct bench_timers_pass warm = run_pass(handles);
    bench_timers_report("cio", bench.count, cold, warm, rss_kib);

    cio_loop_free(bench.loop);
    free(handles);
    free(delays);
    return 0;
}
