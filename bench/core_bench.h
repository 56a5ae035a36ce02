/* bench/core_bench.h - what the core benchmarks (core_*.c) share: clocks,
 * memory readings, the fixed-seed generator, and the result line format.
 *
 * Every program prints its figures as lines the driver (bench/core.sh)
 * collects, the same format bench/core_peer.py and bench/core_peer.go print:
 *
 *     RESULT <benchmark> <implementation> <metric> <value>
 *
 * Anything else a program prints is for people (sanity checks, breakdowns).
 * A failed sanity check exits with status 1, so no figure is written for a
 * run that did not do what it claims to measure. */
#ifndef CIO_BENCH_CORE_BENCH_H
#define CIO_BENCH_CORE_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline int64_t bench_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* CPU time of the whole process (user + system): what firing timers costs,
 * without the time the loop sleeps waiting for the next deadline. */
static inline int64_t bench_cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* A field of /proc/self/status in KiB (VmRSS, VmHWM, VmPTE), or -1. */
static inline long bench_status_kib(const char *field) {
    FILE *file = fopen("/proc/self/status", "re");
    if (!file) return -1;
    char line[256];
    size_t len = strlen(field);
    long value = -1;
    while (fgets(line, sizeof line, file))
        if (strncmp(line, field, len) == 0 && line[len] == ':')
            value = strtol(line + len + 1, NULL, 10);
    fclose(file);
    return value;
}

/* splitmix64: the fixed-seed sequence every implementation of the timers
 * benchmark uses (bench/core_peer.py has the same), so all of them start the
 * very same timeouts. */
static inline uint64_t bench_splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

#define BENCH_TIMER_SEED 42u

/* Timeout i of the timers benchmark, in whole milliseconds 1..1000: libuv
 * counts in milliseconds, so every side uses the same millisecond values. */
static inline uint32_t *bench_timer_delays_ms(size_t count) {
    uint32_t *delays = malloc(count * sizeof *delays);
    if (!delays) return NULL;
    uint64_t state = BENCH_TIMER_SEED;
    for (size_t i = 0; i < count; i++)
        delays[i] = (uint32_t)(bench_splitmix64(&state) % 1000u) + 1u;
    return delays;
}

static inline void bench_result(const char *bench, const char *impl, const char *metric,
                                double value) {
    printf("RESULT %s %s %s %.2f\n", bench, impl, metric, value);
}

/* One pass of the timers benchmark: wall ns starting and stopping, CPU ns
 * firing. The first pass runs on fresh memory (page faults included, as a
 * program that starts a million timers once pays them); the second on the
 * memory the first left behind (freed records reused, arrays grown). */
struct bench_timers_pass {
    int64_t start_ns, stop_ns, fire_cpu_ns;
};

static inline void bench_timers_report(const char *impl, long count, struct bench_timers_pass cold,
                                       struct bench_timers_pass warm, long rss_kib) {
    long fired = count - count / 2;
    printf("core_timers %s: %ld started in %.3f s (again: %.3f s), %ld stopped in %.3f s (%.3f s), "
           "%ld fired using %.3f s CPU (%.3f s); peak RSS +%ld KiB\n",
           impl, count, cold.start_ns / 1e9, warm.start_ns / 1e9, count / 2, cold.stop_ns / 1e9,
           warm.stop_ns / 1e9, fired, cold.fire_cpu_ns / 1e9, warm.fire_cpu_ns / 1e9, rss_kib);
    bench_result("timers", impl, "start_ns", (double)cold.start_ns / (double)count);
    bench_result("timers", impl, "stop_ns", (double)cold.stop_ns / (double)(count / 2));
    bench_result("timers", impl, "fire_cpu_ns", (double)cold.fire_cpu_ns / (double)fired);
    bench_result("timers", impl, "start_warm_ns", (double)warm.start_ns / (double)count);
    bench_result("timers", impl, "stop_warm_ns", (double)warm.stop_ns / (double)(count / 2));
    bench_result("timers", impl, "fire_warm_cpu_ns", (double)warm.fire_cpu_ns / (double)fired);
    /* per timer, as every memory figure: the peers start different counts */
    bench_result("timers", impl, "rss_bytes_per_timer", (double)rss_kib * 1024.0 / (double)count);
}

static inline long bench_arg(int argc, char **argv, int index, long fallback) {
    return argc > index ? strtol(argv[index], NULL, 10) : fallback;
}

#define BENCH_CHECK(cond, ...)                                                                     \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "sanity check failed: " __VA_ARGS__);                                  \
            fputc('\n', stderr);                                                                   \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

#endif
