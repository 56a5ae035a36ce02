/* bench/sync.c - the synchronization benchmarks, cio's side.
 *
 *   lock    one task: acquire + release an uncontended cio_lock, N times.
 *           ns per acquire/release pair (asyncio: `async with lock`; Go:
 *           sync.Mutex Lock/Unlock, and a channel of capacity 1).
 *           cio_lock is a lock between the tasks of one loop: its fast path
 *           is plain loads and stores plus the misuse checks (a lock object,
 *           a calling task, the loop it is bound to, the owner), no atomics.
 *   pthread the calibration row for that comparison: the same loop over an
 *           uncontended pthread_mutex_t, outside any loop. A thread mutex's
 *           fast path is two atomic read-modify-writes, as sync.Mutex's
 *           is, and what those cost depends on the CPU model: Go's figure
 *           tracks this row from host to host, cio's does not.
 *   queue   two tasks ping-pong a counter through two unbounded queues: A
 *           puts i into `ping` and gets from `pong`; B gets from `ping` and
 *           puts i + 1 into `pong`. ns per round trip (two puts, two gets,
 *           two task switches), the unit of a Go unbuffered-channel round
 *           trip between two goroutines.
 *
 * Each figure comes as wall time and as process CPU time per operation: on
 * a shared, loaded machine the CPU figure is the steadier of the two.
 *
 * Sanity: the lock count must reach N with the lock free at the end; every
 * ping must come back as exactly i + 1. Result lines as in core_bench.h:
 *
 *     RESULT sync_lock cio|pthread-mutex ns_per_op|cpu_ns_per_op <value>
 *     RESULT sync_queue cio ns_per_roundtrip|cpu_ns_per_roundtrip <value>
 *
 * Usage: sync lock|pthread|queue [n]   (defaults: 20,000,000 pairs, 1,000,000 trips) */
#include <cio.h>

#include "core_bench.h"

#include <pthread.h>
#include <string.h>

/* ---- lock -------------------------------------------------------------------------- */

static long lock_rounds(cio_lock *lock, long n) {
    long counter = 0;
    for (long i = 0; i < n; i++) {
        if (cio_lock_acquire(lock) < 0) break;
        counter++;
        cio_lock_release(lock);
    }
    return counter;
}

static void *bench_lock(void *arg) {
    long n = *(long *)arg;
    cio_lock lock;
    cio_lock_init(&lock);
    lock_rounds(&lock, n / 10 + 1); /* warm-up */
    int64_t start = bench_now_ns(), start_cpu = bench_cpu_ns();
    long counter = lock_rounds(&lock, n);
    int64_t elapsed = bench_now_ns() - start, cpu = bench_cpu_ns() - start_cpu;
    BENCH_CHECK(counter == n, "expected %ld acquisitions, counted %ld", n, counter);
    BENCH_CHECK(!cio_lock_locked(&lock), "lock left held");
    printf("sync lock: %ld uncontended acquire/release pairs, %.3f s\n", n, elapsed / 1e9);
    bench_result("sync_lock", "cio", "ns_per_op", (double)elapsed / (double)n);
    bench_result("sync_lock", "cio", "cpu_ns_per_op", (double)cpu / (double)n);
    return NULL;
}

/* ---- pthread mutex, the calibration row ------------------------------------------------ */

static long pthread_rounds(pthread_mutex_t *mutex, long n) {
    long counter = 0;
    for (long i = 0; i < n; i++) {
        if (pthread_mutex_lock(mutex) != 0) break;
        counter++;
        pthread_mutex_unlock(mutex);
    }
    return counter;
}

static void bench_pthread(long n) {
    pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
    pthread_rounds(&mutex, n / 10 + 1); /* warm-up */
    int64_t start = bench_now_ns(), start_cpu = bench_cpu_ns();
    long counter = pthread_rounds(&mutex, n);
    int64_t elapsed = bench_now_ns() - start, cpu = bench_cpu_ns() - start_cpu;
    BENCH_CHECK(counter == n, "expected %ld acquisitions, counted %ld", n, counter);
    BENCH_CHECK(pthread_mutex_trylock(&mutex) == 0, "mutex left held");
    printf("sync pthread: %ld uncontended lock/unlock pairs, %.3f s\n", n, elapsed / 1e9);
    bench_result("sync_lock", "pthread-mutex", "ns_per_op", (double)elapsed / (double)n);
    bench_result("sync_lock", "pthread-mutex", "cpu_ns_per_op", (double)cpu / (double)n);
}

/* ---- queue ping-pong ----------------------------------------------------------------- */

struct pingpong {
    cio_queue *ping, *pong;
    long trips;
    long bad; /* answers that were not i + 1 */
};

/* B: answer every ping with its value + 1, until ping is shut down. */
static void *answer(void *arg) {
    struct pingpong *game = arg;
    void *item;
    int rc;
    while ((rc = cio_queue_get(game->ping, &item)) == 0) {
        rc = cio_queue_put(game->pong, (void *)((intptr_t)item + 1));
        if (rc < 0) break;
    }
    return rc == -CIO_ESHUTDOWN ? NULL : cio_fail(rc);
}

/* A: n round trips; *cpu gets the CPU time, the wall time is returned (ns). */
static int64_t play(struct pingpong *game, long n, int64_t *cpu) {
    int64_t start = bench_now_ns(), start_cpu = bench_cpu_ns();
    for (long i = 0; i < n; i++) {
        void *item;
        if (cio_queue_put(game->ping, (void *)(intptr_t)i) < 0) break;
        if (cio_queue_get(game->pong, &item) < 0) break;
        if ((intptr_t)item != i + 1) game->bad++;
        game->trips++;
    }
    *cpu = bench_cpu_ns() - start_cpu;
    return bench_now_ns() - start;
}

static void *bench_queue(void *arg) {
    long n = *(long *)arg;
    struct pingpong game;
    memset(&game, 0, sizeof game);
    BENCH_CHECK(cio_queue_new(0, &game.ping) == 0 && cio_queue_new(0, &game.pong) == 0, "queues");
    cio_task *b;
    cio_create_task(answer, &game, &b);
    int64_t cpu;
    play(&game, n / 10 + 1, &cpu); /* warm-up */
    game.trips = 0;
    int64_t elapsed = play(&game, n, &cpu);
    cio_queue_shutdown(game.ping, false);
    BENCH_CHECK(cio_await(b, NULL) == 0, "answering task failed");
    BENCH_CHECK(game.trips == n && game.bad == 0, "%ld of %ld trips, %ld wrong answers", game.trips,
                n, game.bad);
    cio_queue_free(game.ping);
    cio_queue_free(game.pong);
    printf("sync queue: %ld round trips, every answer right, %.3f s\n", n, elapsed / 1e9);
    bench_result("sync_queue", "cio", "ns_per_roundtrip", (double)elapsed / (double)n);
    bench_result("sync_queue", "cio", "cpu_ns_per_roundtrip", (double)cpu / (double)n);
    return NULL;
}

int main(int argc, char **argv) {
    const char *which = argc > 1 ? argv[1] : "";
    bool lock = strcmp(which, "lock") == 0, mutex = strcmp(which, "pthread") == 0;
    BENCH_CHECK(lock || mutex || strcmp(which, "queue") == 0, "usage: sync lock|pthread|queue [n]");
    long n = bench_arg(argc, argv, 2, lock || mutex ? 20000000 : 1000000);
    BENCH_CHECK(n > 0, "n must be positive");
    if (mutex) {
        bench_pthread(n);
        return 0;
    }
    int rc = cio_run(lock ? bench_lock : bench_queue, &n, NULL);
    BENCH_CHECK(rc == 0, "cio_run: %s", cio_strerror(rc));
    return 0;
}
