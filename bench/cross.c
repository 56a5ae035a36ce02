/* bench/cross.c - work crossing between two loops on two threads
 * (bench/cross.sh runs it beside Go).
 *
 *   submit    loop 0 awaits cio_loop_submit of an empty function on loop 1,
 *             N times: ns per round trip
 *   channel   loop 0 sends on one cio_channel (capacity 1), loop 1 receives
 *             and sends it back on another: ns per round trip
 *
 * Each prints RESULT cross_<name> cio ns_per_roundtrip|cpu_ns_per_roundtrip.
 * Usage: cross submit|channel [n]   (default 200,000) */
#include "core_bench.h"

#include <cio.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long rounds_wanted;
static cio_channel *ping, *pong;
static long completed;

static void *nothing(void *arg) {
    return arg;
}

static void *submit_main(void *arg) {
    (void)arg;
    if (cio_cores_index() == 1) {
        int rc = cio_sleep(3600); /* serves submissions until stopped */
        return rc == -ECANCELED ? NULL : cio_fail(rc);
    }
    cio_loop *other = cio_cores_loop(1);
    for (long i = 0; i < rounds_wanted; i++) {
        void *result = NULL;
        if (cio_loop_submit(other, nothing, (void *)(intptr_t)(i + 1), &result) != 0) break;
        if (result != (void *)(intptr_t)(i + 1)) break;
        completed++;
    }
    cio_cores_stop();
    return NULL;
}

static void *channel_main(void *arg) {
    (void)arg;
    void *item;
    if (cio_cores_index() == 1) {
        while (cio_channel_receive(ping, &item) == 0)
            if (cio_channel_send(pong, item) != 0) break;
        return NULL;
    }
    for (long i = 0; i < rounds_wanted; i++) {
        if (cio_channel_send(ping, (void *)(intptr_t)(i + 1)) != 0) break;
        if (cio_channel_receive(pong, &item) != 0 || item != (void *)(intptr_t)(i + 1)) break;
        completed++;
    }
    cio_channel_close(ping);
    return NULL;
}

static void run(const char *name, cio_task_fn fn) {
    /* CROSS_SPIN_US: cio_loop_options.spin_us of both loops (0: default) */
    const char *spin = getenv("CROSS_SPIN_US");
    cio_loop_options loop_opts = {.spin_us = spin ? atoi(spin) : 0};
    cio_cores_options opts = {.loops = 2, .loop = &loop_opts};
    int64_t start = bench_now_ns(), start_cpu = bench_cpu_ns();
    int rc = cio_run_cores_ex(fn, NULL, &opts);
    int64_t elapsed = bench_now_ns() - start, cpu = bench_cpu_ns() - start_cpu;
    BENCH_CHECK(rc == 0 || rc == -ECANCELED, "cio_run_cores: %s", cio_strerror(rc));
    BENCH_CHECK(completed == rounds_wanted, "%ld of %ld round trips", completed, rounds_wanted);
    char bench[64];
    snprintf(bench, sizeof bench, "cross_%s", name);
    printf("%s: %ld round trips between two loops, %.3f s\n", bench, completed, elapsed / 1e9);
    bench_result(bench, "cio", "ns_per_roundtrip", (double)elapsed / (double)completed);
    bench_result(bench, "cio", "cpu_ns_per_roundtrip", (double)cpu / (double)completed);
}

int main(int argc, char **argv) {
    rounds_wanted = argc > 2 ? atol(argv[2]) : 200000;
    if (argc > 1 && strcmp(argv[1], "submit") == 0) {
        run("submit", submit_main);
    } else if (argc > 1 && strcmp(argv[1], "channel") == 0) {
        BENCH_CHECK(cio_channel_new(1, &ping) == 0 && cio_channel_new(1, &pong) == 0, "channels");
        run("channel", channel_main);
    } else {
        fprintf(stderr, "usage: cross submit|channel [n]\n");
        return 2;
    }
    return 0;
}
