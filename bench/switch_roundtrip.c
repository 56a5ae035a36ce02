/* bench/switch_roundtrip.c - the raw context switch against its references.
 *
 * 1. Round trip A -> B -> A: cio__ctx_jump, Boost.Context's jump_fcontext
 *    (the floor, ~7 ns on our machines) and glibc swapcontext.
 * 2. Create + run + destroy one coroutine: on a pooled stack
 *    (cio__stack_acquire + cio__ctx_make + jump + release), on a fresh
 *    mapping with its guard each time, and Boost on a reused stack.
 *
 * Method (as bench/core.sh): pinned to CPU 0 when allowed; interleaved
 * rounds, each measuring every implementation once; medians with min-max,
 * and the median of the per-round ratios cio/boost.
 *
 * Usage: switch_roundtrip [rounds]   (default 5)
 * Built with Boost.Context when bench/peers.cmake finds libboost_context
 * (Debian: apt install libboost-context-dev). */
#include "arch/switch.h"
#include "core/stack.h"

#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>

#ifdef HAVE_BOOST_CONTEXT
/* <boost/context/detail/fcontext.hpp> is C++; these are its C-compatible
 * declarations (extern "C" there). */
typedef void *fcontext_t;
typedef struct {
    fcontext_t fctx;
    void *data;
} transfer_t;
transfer_t jump_fcontext(fcontext_t const to, void *vp);
fcontext_t make_fcontext(void *sp, size_t size, void (*fn)(transfer_t));
#endif

#define MAX_ROUNDS        64
#define SWITCH_ITERS      10000000L
#define SWAPCONTEXT_ITERS 200000L
#define POOLED_ITERS      2000000L
#define FRESH_ITERS       20000L
#define BENCH_STACK       (64 * 1024)

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void *stack_top_or_die(struct cio__stack *stack) {
    if (cio__stack_acquire(stack, BENCH_STACK) != 0) {
        fprintf(stderr, "cannot get a stack\n");
        exit(1);
    }
    return stack->top;
}

/* ---- round trips ------------------------------------------------------------------- */

static void cio_bouncer(cio__transfer t) {
    for (;;) t = cio__ctx_jump(t.from, t.data);
}

static double cio_roundtrip(void) {
    struct cio__stack stack;
    void *top = stack_top_or_die(&stack);
    cio__transfer t = cio__ctx_jump(cio__ctx_make(top, stack.size, cio_bouncer), NULL);
    double start = now_ns();
    for (long i = 0; i < SWITCH_ITERS; i++) t = cio__ctx_jump(t.from, (void *)i);
    double ns = (now_ns() - start) / SWITCH_ITERS;
    cio__stack_release(&stack); /* the bouncer stays suspended; its stack is free */
    return ns;
}

#ifdef HAVE_BOOST_CONTEXT
static void boost_bouncer(transfer_t t) {
    for (;;) t = jump_fcontext(t.fctx, t.data);
}

static double boost_roundtrip(void) {
    struct cio__stack stack;
    void *top = stack_top_or_die(&stack);
    transfer_t t = jump_fcontext(make_fcontext(top, stack.size, boost_bouncer), NULL);
    double start = now_ns();
    for (long i = 0; i < SWITCH_ITERS; i++) t = jump_fcontext(t.fctx, (void *)i);
    double ns = (now_ns() - start) / SWITCH_ITERS;
    cio__stack_release(&stack);
    return ns;
}
#endif

static ucontext_t uc_main, uc_bouncer;

static void uc_bounce(void) {
    for (;;) swapcontext(&uc_bouncer, &uc_main);
}

static double swapcontext_roundtrip(void) {
    struct cio__stack stack;
    void *top = stack_top_or_die(&stack);
    getcontext(&uc_bouncer);
    uc_bouncer.uc_stack.ss_sp = (char *)top - stack.size;
    uc_bouncer.uc_stack.ss_size = stack.size;
    uc_bouncer.uc_link = NULL;
    makecontext(&uc_bouncer, uc_bounce, 0);
    swapcontext(&uc_main, &uc_bouncer);
    double start = now_ns();
    for (long i = 0; i < SWAPCONTEXT_ITERS; i++) swapcontext(&uc_main, &uc_bouncer);
    double ns = (now_ns() - start) / SWAPCONTEXT_ITERS;
    cio__stack_release(&stack);
    return ns;
}

/* ---- create + run + destroy ------------------------------------------------------------ */

static void cio_finish_at_once(cio__transfer t) {
    cio__ctx_jump(t.from, NULL);
}

static void cio_one_coroutine(void) {
    struct cio__stack stack;
    void *top = stack_top_or_die(&stack);
    cio__ctx_jump(cio__ctx_make(top, stack.size, cio_finish_at_once), NULL);
    cio__stack_release(&stack);
}

static double cio_create_pooled(void) {
    cio_one_coroutine(); /* the pool now holds a stack of this size */
    double start = now_ns();
    for (long i = 0; i < POOLED_ITERS; i++) cio_one_coroutine();
    return (now_ns() - start) / POOLED_ITERS;
}

static double cio_create_fresh(void) {
    double start = now_ns();
    for (long i = 0; i < FRESH_ITERS; i++) {
        cio_one_coroutine();
        cio__stack_pool_drain(); /* so the next one maps a new stack */
    }
    return (now_ns() - start) / FRESH_ITERS;
}

#ifdef HAVE_BOOST_CONTEXT
static void boost_finish_at_once(transfer_t t) {
    jump_fcontext(t.fctx, NULL);
}

static double boost_create_reused(void) {
    struct cio__stack stack;
    void *top = stack_top_or_die(&stack);
    double start = now_ns();
    for (long i = 0; i < POOLED_ITERS; i++)
        jump_fcontext(make_fcontext(top, stack.size, boost_finish_at_once), NULL);
    double ns = (now_ns() - start) / POOLED_ITERS;
    cio__stack_release(&stack);
    return ns;
}
#endif

/* ---- rounds and the table --------------------------------------------------------------- */

enum { CIO_RT, BOOST_RT, SWAPCONTEXT_RT, RATIO_RT, POOLED, FRESH, BOOST_REUSED, MEASURES };

static const char *const labels[MEASURES] = {
    [CIO_RT] = "cio__ctx_jump",
    [BOOST_RT] = "boost jump_fcontext",
    [SWAPCONTEXT_RT] = "glibc swapcontext",
    [RATIO_RT] = "ratio cio / boost",
    [POOLED] = "cio, pooled stack",
    [FRESH] = "cio, fresh mmap + guard",
    [BOOST_REUSED] = "boost, reused stack",
};

static double results[MEASURES][MAX_ROUNDS];

static void run_round(int round) {
    results[CIO_RT][round] = cio_roundtrip();
#ifdef HAVE_BOOST_CONTEXT
    results[BOOST_RT][round] = boost_roundtrip();
    results[RATIO_RT][round] = results[CIO_RT][round] / results[BOOST_RT][round];
    results[BOOST_REUSED][round] = boost_create_reused();
#endif
    results[SWAPCONTEXT_RT][round] = swapcontext_roundtrip();
    results[POOLED][round] = cio_create_pooled();
    results[FRESH][round] = cio_create_fresh();
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts values in place; returns the median. */
static double median(double *values, int n) {
    qsort(values, (size_t)n, sizeof *values, compare_doubles);
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

static void print_row(int measure, int rounds, const char *unit) {
    double *v = results[measure];
    double mid = median(v, rounds);
    int digits = measure == RATIO_RT ? 3 : (mid < 100 ? 1 : 0);
    printf("  %-26s %9.*f %-3s (%.*f - %.*f)\n", labels[measure], digits, mid, unit, digits, v[0],
           digits, v[rounds - 1]);
}

static const char *pin_to_cpu0(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    return sched_setaffinity(0, sizeof set, &set) == 0 ? "pinned to CPU 0" : "not pinned";
}

int main(int argc, char **argv) {
#ifdef CIO_ASAN
    puts("switch_roundtrip: not meaningful under ASan; build without CIO_SANITIZE");
    return 0;
#endif
    int rounds = argc > 1 ? atoi(argv[1]) : 5;
    if (rounds < 1 || rounds > MAX_ROUNDS) rounds = 5;
    const char *pinning = pin_to_cpu0();
    run_round(0); /* warm-up: page faults, pools, caches */
    for (int r = 0; r < rounds; r++) run_round(r);

    printf("switch round trip A->B->A, %s, %d interleaved rounds: median (min - max)\n", pinning,
           rounds);
    print_row(CIO_RT, rounds, "ns");
#ifdef HAVE_BOOST_CONTEXT
    print_row(BOOST_RT, rounds, "ns");
#endif
    print_row(SWAPCONTEXT_RT, rounds, "ns");
#ifdef HAVE_BOOST_CONTEXT
    double ratio = median(results[RATIO_RT], rounds);
    print_row(RATIO_RT, rounds, "");
    printf("  target: cio <= 1.10x boost: %s\n", ratio <= 1.10 ? "met" : "MISSED");
#else
    puts("  boost: not built (apt install libboost-context-dev, then re-run cmake)");
#endif
    printf("create + run + destroy one coroutine (%d KiB stack)\n", BENCH_STACK / 1024);
    print_row(POOLED, rounds, "ns");
    print_row(FRESH, rounds, "ns");
#ifdef HAVE_BOOST_CONTEXT
    print_row(BOOST_REUSED, rounds, "ns");
#endif
    return 0;
}
