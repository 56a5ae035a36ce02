/* tests/core/test_stack.c - coroutine stacks (src/core/stack.h): sizes, the
 * per-thread pool, guard regions and the overflow report.
 *
 * Settings are read once per process, so tests that set CIO_STACK_SIZE or
 * CIO_STACK_GUARD run this program again in a child (with a --probe
 * argument) with the variable set, and look at what it prints. */
#include "testutil.h"

#include "arch/switch.h"
#include "core/stack.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <valgrind/valgrind.h>

#ifdef CIO_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

static size_t page_size(void) {
    return (size_t)sysconf(_SC_PAGESIZE);
}

/* Is the page at addr mapped? mincore says ENOMEM for unmapped memory. */
static bool is_mapped(const void *addr) {
    unsigned char resident;
    uintptr_t page = (uintptr_t)addr & ~(uintptr_t)(page_size() - 1);
    return mincore((void *)page, 1, &resident) == 0;
}

/* ---- sizes ------------------------------------------------------------------------ */

static void sizes_round_up_to_pages(void **state) {
    (void)state;
    size_t page = page_size();
    size_t asked[] = {1, page - 1, page, page + 1, 5000, 100 * 1024 + 3};
    for (size_t i = 0; i < sizeof asked / sizeof asked[0]; i++) {
        struct cio__stack stack;
        assert_int_equal(cio__stack_acquire(&stack, asked[i]), 0);
        assert_int_equal(stack.size, (asked[i] + page - 1) / page * page);
        assert_int_equal((uintptr_t)stack.top % 16, 0);
        assert_true((char *)stack.top - stack.size >= (char *)stack.mapping);
        assert_ptr_equal((char *)stack.mapping + stack.mapping_len, stack.top);
        ((volatile char *)stack.top)[-1] = 1; /* both ends are usable */
        ((volatile char *)stack.top)[-(ptrdiff_t)stack.size] = 1;
        cio__stack_release(&stack);
    }
    cio__stack_pool_drain();
}

static void absurd_sizes_are_refused(void **state) {
    (void)state;
    struct cio__stack stack;
    assert_int_equal(cio__stack_acquire(&stack, ((size_t)1 << 30) + 1), -EINVAL);
    assert_int_equal(cio__stack_acquire(&stack, SIZE_MAX), -EINVAL);
    struct cio__stack huge[5]; /* the limit itself is fine; 5 GiB of NORESERVE address space */
    for (int i = 0; i < 5; i++) {
        assert_int_equal(cio__stack_acquire(&huge[i], (size_t)1 << 30), 0);
        assert_int_equal(huge[i].size, (size_t)1 << 30);
    }
    for (int i = 0; i < 5; i++) cio__stack_release(&huge[i]);
    assert_true(is_mapped((char *)huge[3].top - 1));  /* within the pool's 4 GiB */
    assert_false(is_mapped((char *)huge[4].top - 1)); /* beyond it: unmapped */
    cio__stack_pool_drain();
    assert_false(is_mapped((char *)huge[0].top - 1));
}

static void default_size_is_used_for_zero(void **state) {
    (void)state;
    if (getenv("CIO_STACK_SIZE")) skip();
    assert_int_equal(cio__stack_default_size(), CIO_DEFAULT_STACK_SIZE);
    struct cio__stack stack;
    assert_int_equal(cio__stack_acquire(&stack, 0), 0);
    assert_int_equal(stack.size, CIO_DEFAULT_STACK_SIZE);
    cio__stack_release(&stack);
    cio__stack_pool_drain();
}

/* Run this program again with name=value set; returns what the probe
 * printed on stderr, in out. argv[0] rather than /proc/self/exe, which is
 * valgrind itself when we run under it. */
static const char *self_path, *probe_mode, *probe_var, *probe_value;

static void exec_probe(void) {
    setenv(probe_var, probe_value, 1);
    const char *emulator = test_emulator();
    if (emulator)
        execlp(emulator, emulator, self_path, "--probe", probe_mode, (char *)NULL);
    else
        execlp(self_path, self_path, "--probe", probe_mode, (char *)NULL);
    _exit(127);
}

static int run_probe(const char *mode, const char *var, const char *value, char *out, size_t len) {
    probe_mode = mode;
    probe_var = var;
    probe_value = value;
    return test_in_child(exec_probe, out, len);
}

/* Probe: report the default size, and the size acquire(0) gives. */
static int probe_sizes(void) {
    struct cio__stack stack;
    int rc = cio__stack_acquire(&stack, 0);
    fprintf(stderr, "default=%zu acquired=%zu rc=%d\n", cio__stack_default_size(), stack.size, rc);
    return 0;
}

static void env_overrides_default_size(void **state) {
    (void)state;
    char out[1024];
    int status = run_probe("sizes", "CIO_STACK_SIZE", "64K", out, sizeof out);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_non_null(strstr(out, "default=65536 acquired=65536 rc=0"));

    run_probe("sizes", "CIO_STACK_SIZE", "2m", out, sizeof out);
    assert_non_null(strstr(out, "default=2097152 acquired=2097152 rc=0"));

    run_probe("sizes", "CIO_STACK_SIZE", "5000", out, sizeof out); /* rounded to pages */
    char expect[64];
    size_t rounded = (5000 + page_size() - 1) / page_size() * page_size();
    snprintf(expect, sizeof expect, "default=%zu acquired=%zu", rounded, rounded);
    assert_non_null(strstr(out, expect));

    const char *invalid[] = {"12Q", "-5", "0", "", "2G", "1K5"};
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        run_probe("sizes", "CIO_STACK_SIZE", invalid[i], out, sizeof out);
        snprintf(expect, sizeof expect, "default=%u acquired=%u", CIO_DEFAULT_STACK_SIZE,
                 CIO_DEFAULT_STACK_SIZE);
        assert_non_null(strstr(out, expect));
        assert_non_null(strstr(out, "ignoring CIO_STACK_SIZE"));
    }
}

/* ---- the pool ---------------------------------------------------------------------- */

static void released_stack_comes_back_from_pool(void **state) {
    (void)state;
    struct cio__stack first, again;
    assert_int_equal(cio__stack_acquire(&first, 64 * 1024), 0);
    first.name = "first";
    memset((char *)first.top - 4096, 0x5a, 4096); /* a task used it */
    cio__stack_release(&first);
    assert_true(is_mapped((char *)first.top - 1)); /* pooled, not unmapped */

    assert_int_equal(cio__stack_acquire(&again, 64 * 1024), 0);
    assert_ptr_equal(again.top, first.top);
    assert_ptr_equal(again.mapping, first.mapping);
    assert_int_equal(again.mapping_len, first.mapping_len);
    assert_int_equal(again.size, 64 * 1024);
    assert_null(again.name);

    /* Another size does not get it. */
    struct cio__stack other;
    cio__stack_release(&again);
    assert_int_equal(cio__stack_acquire(&other, 128 * 1024), 0);
    assert_ptr_not_equal(other.top, first.top);
    cio__stack_release(&other);
    cio__stack_pool_drain();
}

static void drain_unmaps_pooled_stacks(void **state) {
    (void)state;
    struct cio__stack stacks[8];
    for (int i = 0; i < 8; i++)
        assert_int_equal(cio__stack_acquire(&stacks[i], 16 * 1024 * (size_t)(1 + i % 3)), 0);
    for (int i = 0; i < 8; i++) cio__stack_release(&stacks[i]);
    for (int i = 0; i < 8; i++) assert_true(is_mapped((char *)stacks[i].top - 1));
    cio__stack_pool_drain();
    for (int i = 0; i < 8; i++) {
        assert_false(is_mapped((char *)stacks[i].top - 1));
        assert_false(is_mapped(stacks[i].mapping));
    }
}

#define OVER_POOL 16500 /* more than the pool keeps (16384) */

static void pool_is_bounded(void **state) {
    (void)state;
    static struct cio__stack stacks[OVER_POOL];
    for (int i = 0; i < OVER_POOL; i++)
        assert_int_equal(cio__stack_acquire(&stacks[i], 16 * 1024), 0);
    for (int i = 0; i < OVER_POOL; i++) cio__stack_release(&stacks[i]);
    int still_mapped = 0;
    for (int i = 0; i < OVER_POOL; i++) still_mapped += is_mapped((char *)stacks[i].top - 1);
    assert_int_equal(still_mapped, RUNNING_ON_VALGRIND ? 1024 : 16384); /* see bin_to_fill */
    cio__stack_pool_drain();
}

static void *release_then_exit(void *out) {
    struct cio__stack *stack = out;
    if (cio__stack_acquire(stack, 32 * 1024) == 0) cio__stack_release(stack);
    return NULL;
}

static void thread_exit_drains_its_pool(void **state) {
    (void)state;
    struct cio__stack stack = {0};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, release_then_exit, &stack), 0);
    assert_int_equal(pthread_join(thread, NULL), 0);
    assert_non_null(stack.top);
    assert_false(is_mapped((char *)stack.top - 1));
}

#define MANY_STACKS 20000

static int count_mappings(void) {
    FILE *maps = fopen("/proc/self/maps", "r");
    int lines = 0, c;
    if (!maps) return -1;
    while ((c = fgetc(maps)) != EOF) lines += c == '\n';
    fclose(maps);
    return lines;
}

/* Probe: hold MANY_STACKS stacks at once; print how many were guarded and
 * how many mappings they added. */
static int probe_many(void) {
    static struct cio__stack stacks[MANY_STACKS];
    int guarded = 0, mappings_before = count_mappings();
    for (int i = 0; i < MANY_STACKS; i++) {
        if (cio__stack_acquire(&stacks[i], 16 * 1024) != 0) {
            fprintf(stderr, "acquire %d failed\n", i);
            return 1;
        }
        guarded += stacks[i].mapping_len > stacks[i].size;
        if (i % 64 == 0) ((volatile char *)stacks[i].top)[-1] = 1;
    }
    int added = count_mappings() - mappings_before;
    for (int i = 0; i < MANY_STACKS; i++) cio__stack_release(&stacks[i]);
    cio__stack_pool_drain();
    fprintf(stderr, "held=%d guarded=%d mappings=%d\n", MANY_STACKS, guarded, added);
    return 0;
}

static long read_max_map_count(void) {
    long count = 65530;
    FILE *file = fopen("/proc/sys/vm/max_map_count", "r");
    if (file) {
        if (fscanf(file, "%ld", &count) != 1) count = 65530;
        fclose(file);
    }
    return count;
}

static void twenty_thousand_stacks(void **state) {
    (void)state;
    char out[4096];
    /* The default guards: with MADV_GUARD_INSTALL (Linux 6.13+) all are
     * guarded without splitting mappings; older kernels fall back to the
     * mprotect path checked below. */
    int status = run_probe("many", "CIO_STACK_GUARD", "", out, sizeof out);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_non_null(strstr(out, "held=20000"));
    if (!strstr(out, "no guard page")) {
        assert_non_null(strstr(out, "guarded=20000"));
        int mappings = -1;
        const char *at = strstr(out, "mappings=");
        assert_non_null(at);
        sscanf(at, "mappings=%d", &mappings);
        assert_true(mappings < MANY_STACKS); /* mprotect guards would need 2 each */
    }

    /* mprotect guards: past the budget from vm.max_map_count, stacks come
     * without a guard, with a single warning. */
    status = run_probe("many", "CIO_STACK_GUARD", "mprotect", out, sizeof out);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_non_null(strstr(out, "held=20000"));
    long budget = read_max_map_count() / 4;
    if (budget < MANY_STACKS) {
        char expect[64];
        snprintf(expect, sizeof expect, "guarded=%ld", budget);
        assert_non_null(strstr(out, expect));
        const char *warning = strstr(out, "no guard page");
        assert_non_null(warning);
        assert_null(strstr(warning + 1, "no guard page")); /* once */
    }
}

/* ---- guards and the overflow report ------------------------------------------------ */

static struct cio__stack overflow_stack;
static volatile unsigned recursion_limit = UINT32_MAX;

__attribute__((noinline)) static unsigned recurse_forever(unsigned depth) {
    volatile char frame[256];
    frame[0] = (char)depth;
    if (depth >= recursion_limit) return frame[0];
    return recurse_forever(depth + 1) + (unsigned)frame[0];
}

static void overflowing_entry(cio__transfer t) {
#ifdef CIO_ASAN
    __sanitizer_finish_switch_fiber(NULL, NULL, NULL);
#endif
    (void)t;
    cio__stack_set_running(&overflow_stack);
    recurse_forever(0);
    abort(); /* not reached */
}

static void overflow_in_child(void) {
    if (cio__stack_guard_install() != 0) _exit(2);
    if (cio__stack_acquire(&overflow_stack, 64 * 1024) != 0) _exit(3);
    overflow_stack.name = "deep-diver";
    cio__ctx ctx = cio__ctx_make(overflow_stack.top, overflow_stack.size, overflowing_entry);
#ifdef CIO_ASAN
    void *fake_stack = NULL;
    __sanitizer_start_switch_fiber(&fake_stack, (char *)overflow_stack.top - overflow_stack.size,
                                   overflow_stack.size);
#endif
    cio__ctx_jump(ctx, NULL);
    _exit(4); /* not reached */
}

static void overflow_is_reported_with_name(void **state) {
    (void)state;
    char err[4096];
    int status = test_in_child(overflow_in_child, err, sizeof err);
    assert_true(WIFSIGNALED(status));
    assert_true(WTERMSIG(status) == SIGSEGV || WTERMSIG(status) == SIGABRT);
    assert_non_null(strstr(err, "cio: task 'deep-diver' overflowed its 64 KiB stack\n"));
}

/* A write just below the usable area, into the guard, from the thread's own
 * stack: the guard is there whoever touches it. */
static void guard_write_in_child(void) {
    struct cio__stack stack;
    if (cio__stack_guard_install() != 0 || cio__stack_acquire(&stack, 32 * 1024) != 0) _exit(2);
    stack.name = NULL;
    cio__stack_set_running(&stack);
    ((volatile char *)stack.top)[-(ptrdiff_t)stack.size - 1] = 1;
    _exit(4);
}

static void guard_region_faults(void **state) {
    (void)state;
    char err[4096];
    int status = test_in_child(guard_write_in_child, err, sizeof err);
    assert_true(WIFSIGNALED(status));
    assert_non_null(strstr(err, "cio: task '(unnamed)' overflowed its 32 KiB stack\n"));
}

static void previous_handler(int sig) {
    static const char text[] = "previous handler ran\n";
    ssize_t ignored = write(STDERR_FILENO, text, sizeof text - 1);
    (void)ignored;
    (void)sig;
    _exit(5);
}

/* A fault that is not an overflow goes to the handler installed before. */
static void foreign_fault_in_child(void) {
    signal(SIGSEGV, previous_handler);
    struct cio__stack stack;
    if (cio__stack_guard_install() != 0 || cio__stack_acquire(&stack, 32 * 1024) != 0) _exit(2);
    cio__stack_set_running(&stack);
    char *elsewhere = mmap(NULL, page_size(), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    elsewhere[0] = 1;
    _exit(4);
}

static char *volatile foreign_page; /* volatile: stored before the fault */

/* An SA_SIGINFO handler is passed the fault's siginfo. */
static void previous_siginfo_handler(int sig, siginfo_t *info, void *uctx) {
    (void)sig;
    (void)uctx;
    static const char text[] = "previous siginfo handler ran\n";
    ssize_t ignored = write(STDERR_FILENO, text, sizeof text - 1);
    (void)ignored;
    _exit(info->si_addr == foreign_page ? 6 : 7);
}

static void foreign_fault_siginfo_in_child(void) {
    struct sigaction action = {.sa_sigaction = previous_siginfo_handler, .sa_flags = SA_SIGINFO};
    sigemptyset(&action.sa_mask);
    sigaction(SIGSEGV, &action, NULL);
    if (cio__stack_guard_install() != 0) _exit(2);
    foreign_page = mmap(NULL, page_size(), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    foreign_page[0] = 1;
    _exit(4);
}

/* With no handler before ours, it dies of SIGSEGV as it would without us.
 * (cmocka's own crash handler is the one to remove first.) */
static void foreign_fault_default_in_child(void) {
    signal(SIGSEGV, SIG_DFL);
    if (cio__stack_guard_install() != 0) _exit(2);
    char *elsewhere = mmap(NULL, page_size(), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    elsewhere[0] = 1;
    _exit(4);
}

/* A handler installed after ours (as cmocka installs its own for every
 * test) does not hide overflows: guard_install takes the slot back. */
static void displaced_then_overflow_in_child(void) {
    struct cio__stack stack;
    if (cio__stack_guard_install() != 0 || cio__stack_acquire(&stack, 32 * 1024) != 0) _exit(2);
    signal(SIGSEGV, previous_handler);
    if (cio__stack_guard_install() != 0) _exit(3);
    stack.name = "retaken";
    cio__stack_set_running(&stack);
    ((volatile char *)stack.top)[-(ptrdiff_t)stack.size - 1] = 1;
    _exit(4);
}

static struct sigaction before_chainer;

/* Chains to whatever it displaced, as well-behaved handlers do. */
static void chainer(int sig, siginfo_t *info, void *uctx) {
    before_chainer.sa_sigaction(sig, info, uctx);
}

/* We chain to a handler that chains back to us: no endless loop. */
static void chain_loop_in_child(void) {
    if (cio__stack_guard_install() != 0) _exit(2);
    struct sigaction action = {.sa_sigaction = chainer, .sa_flags = SA_SIGINFO | SA_ONSTACK};
    sigemptyset(&action.sa_mask);
    sigaction(SIGSEGV, &action, &before_chainer);
    if (cio__stack_guard_install() != 0) _exit(3);
    char *elsewhere = mmap(NULL, page_size(), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    elsewhere[0] = 1;
    _exit(4);
}

static void handler_taken_back_after_displacement(void **state) {
    (void)state;
    char err[4096];
    int status = test_in_child(displaced_then_overflow_in_child, err, sizeof err);
    assert_true(WIFSIGNALED(status));
    assert_non_null(strstr(err, "cio: task 'retaken' overflowed its 32 KiB stack\n"));
    assert_null(strstr(err, "previous handler ran"));

    status = test_in_child(chain_loop_in_child, err, sizeof err);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGSEGV);
}

static void foreign_faults_are_passed_on(void **state) {
    (void)state;
    char err[4096];
    int status = test_in_child(foreign_fault_in_child, err, sizeof err);
    assert_true(WIFEXITED(status));
    /* valgrind reports the stray write and makes the exit status its own */
    if (!RUNNING_ON_VALGRIND) assert_int_equal(WEXITSTATUS(status), 5);
    assert_non_null(strstr(err, "previous handler ran"));
    assert_null(strstr(err, "overflowed"));

    status = test_in_child(foreign_fault_siginfo_in_child, err, sizeof err);
    assert_true(WIFEXITED(status));
    if (!RUNNING_ON_VALGRIND) assert_int_equal(WEXITSTATUS(status), 6);
    assert_non_null(strstr(err, "previous siginfo handler ran"));

    status = test_in_child(foreign_fault_default_in_child, err, sizeof err);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGSEGV);
    assert_null(strstr(err, "overflowed"));
}

/* In a child, so this process keeps the handlers the other tests expect. */
static void install_twice_in_child(void) {
    if (cio__stack_guard_install() != 0 || cio__stack_guard_install() != 0) _exit(2);
    stack_t current;
    struct sigaction action;
    if (sigaltstack(NULL, &current) != 0 || (current.ss_flags & SS_DISABLE) ||
        current.ss_size < 16 * 1024)
        _exit(3);
    if (sigaction(SIGSEGV, NULL, &action) != 0 || !(action.sa_flags & SA_ONSTACK)) _exit(4);
    _exit(0);
}

static void guard_install_is_idempotent(void **state) {
    (void)state;
    char err[512];
    int status = test_in_child(install_twice_in_child, err, sizeof err);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(int argc, char **argv) {
    self_path = argv[0];
    if (argc == 3 && strcmp(argv[1], "--probe") == 0) {
        if (strcmp(argv[2], "sizes") == 0) return probe_sizes();
        if (strcmp(argv[2], "many") == 0) return probe_many();
        return 2;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sizes_round_up_to_pages),
        cmocka_unit_test(absurd_sizes_are_refused),
        cmocka_unit_test(default_size_is_used_for_zero),
        cmocka_unit_test(env_overrides_default_size),
        cmocka_unit_test(released_stack_comes_back_from_pool),
        cmocka_unit_test(drain_unmaps_pooled_stacks),
        cmocka_unit_test(pool_is_bounded),
        cmocka_unit_test(thread_exit_drains_its_pool),
        cmocka_unit_test(twenty_thousand_stacks),
        cmocka_unit_test(overflow_is_reported_with_name),
        cmocka_unit_test(guard_region_faults),
        cmocka_unit_test(foreign_faults_are_passed_on),
        cmocka_unit_test(handler_taken_back_after_displacement),
        cmocka_unit_test(guard_install_is_idempotent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
