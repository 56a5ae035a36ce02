/* src/core/stack.c - coroutine stacks: mmap'd, guarded, pooled per thread.
 *
 * Layout of one stack mapping (addresses grow upwards):
 *
 *     mapping                      top - size                      top
 *     | guard (config.guard_len)   | usable stack (size bytes)      |
 *
 * The guard faults on any access. Where the kernel has it (Linux 6.13+),
 * madvise(MADV_GUARD_INSTALL) makes it: the guard lives in the page tables
 * and does not split the mapping. Elsewhere mprotect(PROT_NONE) does, which
 * splits the mapping in two; the kernel caps a process's mappings at
 * vm.max_map_count, so mprotect guards are rationed (see mprotect_guard). A
 * stack that gets no guard has none in its mapping: mapping_len == size.
 *
 * Stacks are reserved MAP_NORESERVE (a stack costs only the pages it
 * touches, and large private reservations are not refused under the default
 * overcommit policy) and MAP_STACK (recent kernels then keep transparent huge
 * pages off them, so a touched stack page costs 4 KiB, not 2 MiB).
 *
 * A fresh mapping with its guard costs ~4.7 us, a pooled stack ~40 ns
 * (measured on the 2-core Debian 12 VMs the project runs on), so released
 * stacks go to a per-thread pool. A pooled stack
 * stores its own record at its top, so the pool allocates nothing.
 *
 * Environment, read once per process:
 *   CIO_STACK_SIZE   default usable size: bytes, or with a K or M suffix.
 *   CIO_STACK_GUARD  "mprotect" forces mprotect guards (to test that path on
 *                    kernels that have MADV_GUARD_INSTALL). */
#include "core/stack.h"

#include "cio/task.h"
#include "core/core.h" /* cio__diag */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#if __has_include(<sanitizer/asan_interface.h>)
#include <sanitizer/asan_interface.h>
#endif
#endif
#ifndef VALGRIND_STACK_REGISTER
#define RUNNING_ON_VALGRIND                 0
#define VALGRIND_STACK_REGISTER(start, end) 0u
#define VALGRIND_STACK_DEREGISTER(id)       ((void)(id))
#endif
#ifndef ASAN_UNPOISON_MEMORY_REGION
#define ASAN_UNPOISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#endif

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102 /* Linux 6.13+; older kernels say EINVAL */
#endif

/* Larger requests are refused: surely a bug (the default is 256 KiB). */
#define MAX_STACK_BYTES ((size_t)1 << 30)

/* The guard region. One page would do for frames smaller than a page, but a
 * function with a large local array can step over a single guard page and
 * land in someone else's memory. 16 KiB catches frames up to that size and
 * costs only address space (guards are never backed by memory). */
#define GUARD_BYTES ((size_t)16 * 1024)

/* The pool keeps at most 1024 free stacks and 256 MiB of their usable size
 * per thread: 1024 default-size stacks. That absorbs a burst of a thousand
 * tasks per thread with no mmap at all; past it, a fresh stack's ~4.7 us is
 * small next to whatever made a thousand tasks. A pooled stack keeps the
 * pages its last task touched (typically one to three, 4-12 KiB), so a full
 * pool of default stacks holds ~4-12 MiB: the known cost of reuse. */
#define POOL_HOT_STACKS 1024
/* Past the first 1024, released stacks are still pooled (up to 16384 and
 * 4 GiB of address space) but their pages are given back with MADV_FREE:
 * one madvise (~1.5 us on our VMs) instead of munmap + mmap + a first-touch
 * fault (~120 us there), and the kernel reclaims those pages only under
 * memory pressure. Measured by bench/compose.sh's "10k tasks that each
 * yield", which mapped ~9,000 fresh stacks a round with a pool of 1024. */
#define POOL_MAX_STACKS 16384
#define POOL_MAX_BYTES  ((size_t)4 << 30)

/* Distinct stack sizes the pool keeps at once; tasks with still other sizes
 * have their stacks unmapped on release. Most programs use one or two. */
#define POOL_SIZES 8

/* The per-thread signal stack for the overflow handler. The handler only
 * formats one line and calls write(2); 64 KiB leaves room for chained
 * handlers and for CPUs with large signal frames (AVX-512). */
#define ALTSTACK_BYTES ((size_t)64 * 1024)

/* Process-wide settings, fixed by read_config() before first use. */
static struct {
    size_t page;
    size_t guard_len;     /* GUARD_BYTES rounded up to pages */
    size_t default_size;  /* usable bytes, rounded up to pages */
    long mprotect_budget; /* mprotect-guarded stacks allowed at once */
    bool on_valgrind;     /* RUNNING_ON_VALGRIND, asked once */
} config;
static pthread_once_t config_once = PTHREAD_ONCE_INIT;
static atomic_bool configured; /* read_config() ran: skips pthread_once on every acquire */

/* Set once madvise guards failed (or CIO_STACK_GUARD=mprotect): from then on,
 * every guard is an mprotect guard and counts against the budget. */
static atomic_bool use_mprotect_guards;
static atomic_long mprotect_guards; /* live stacks with an mprotect guard */
static atomic_flag budget_warned = ATOMIC_FLAG_INIT;

/* This thread's pool: free stacks by size. A bin is in use while its head is
 * not NULL; records are linked through the stacks' own memory. */
struct pool_bin {
    size_t size;
    struct cio__stack *head;
};
static CIO__TLS struct {
    struct pool_bin bins[POOL_SIZES];
    struct pool_bin *last; /* the bin last taken from: a program mostly uses one size */
    size_t count, bytes;
    bool exit_hook; /* the thread-exit destructor is armed */
} pool;

static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;

/* For the overflow handler: the stack the running task uses, whether this
 * thread is inside a handler we chained to, this thread's signal stack, and
 * the handlers we displaced. */
/* initial-exec: a plain %fs-relative store on every switch, no __tls_get_addr. */
CIO__TLS const struct cio__stack *cio__stack_running;
CIO__TLS struct cio__stack_slot cio__stack_slot;
static _Thread_local bool chaining;
static _Thread_local void *altstack;
static _Thread_local bool altstack_ready;
static struct sigaction displaced_segv, displaced_bus;
static pthread_mutex_t handler_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t round_up(size_t n, size_t to) {
    return (n + to - 1) / to * to;
}

/* ---- configuration ---------------------------------------------------------- */

/* "262144", "256K", "1M": bytes in 1..MAX_STACK_BYTES, or 0 if malformed. */
static size_t parse_size(const char *text) {
    if (text[0] < '0' || text[0] > '9') return 0;
    char *end;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno) return 0;
    unsigned long long unit = 1;
    if (*end == 'k' || *end == 'K') unit = 1024;
    if (*end == 'm' || *end == 'M') unit = 1024 * 1024;
    if (unit != 1) end++;
    if (*end != '\0' || value == 0 || value > MAX_STACK_BYTES / unit) return 0;
    return (size_t)(value * unit);
}

static size_t default_size_from_env(void) {
    const char *text = getenv("CIO_STACK_SIZE");
    if (!text) return CIO_DEFAULT_STACK_SIZE;
    size_t size = parse_size(text);
    if (size) return size;
    cio__diag(NULL, CIO_DIAG_CONFIG, NULL, -EINVAL,
              "ignoring CIO_STACK_SIZE='%s': expected bytes (1 GiB at most), "
              "optionally with a K or M suffix; using %u KiB",
              text, CIO_DEFAULT_STACK_SIZE / 1024);
    return CIO_DEFAULT_STACK_SIZE;
}

static long max_map_count(void) {
    long count = 65530; /* the kernel's default, if /proc is not there */
    FILE *file = fopen("/proc/sys/vm/max_map_count", "re");
    if (file) {
        if (fscanf(file, "%ld", &count) != 1) count = 65530;
        fclose(file);
    }
    return count;
}

static void read_config(void) {
    config.page = (size_t)sysconf(_SC_PAGESIZE);
    config.on_valgrind = RUNNING_ON_VALGRIND;
    config.guard_len = round_up(GUARD_BYTES, config.page);
    config.default_size = round_up(default_size_from_env(), config.page);
    /* An mprotect-guarded stack is two mappings. Half of the cap is left to
     * the rest of the program (libraries, malloc arenas, thread stacks,
     * files), so guarded stacks may use the other half: 16,382 stacks at the
     * default cap of 65,530. */
    config.mprotect_budget = max_map_count() / 4;
    const char *guard = getenv("CIO_STACK_GUARD");
    if (guard && strcmp(guard, "mprotect") == 0)
        atomic_store(&use_mprotect_guards, true);
    else if (guard && guard[0])
        cio__diag(NULL, CIO_DIAG_CONFIG, NULL, -EINVAL,
                  "ignoring CIO_STACK_GUARD='%s' (only \"mprotect\" is known)", guard);
    atomic_store_explicit(&configured, true, memory_order_release);
}

static void configure(void) {
    if (!atomic_load_explicit(&configured, memory_order_acquire))
        pthread_once(&config_once, read_config);
}

size_t cio__stack_default_size(void) {
    configure();
    return config.default_size;
}

/* ---- guards and mappings -------------------------------------------------------- */

static void warn_unguarded(void) {
    if (atomic_flag_test_and_set(&budget_warned)) return;
    cio__diag(NULL, CIO_DIAG_CONFIG, NULL, 0,
              "warning: %ld coroutine stacks have mprotect guard pages, the budget left by "
              "vm.max_map_count; further stacks get no guard page, so a stack overflow may "
              "corrupt memory instead of being reported (raise vm.max_map_count, or run Linux "
              "6.13+ for MADV_GUARD_INSTALL)",
              atomic_load(&mprotect_guards));
}

/* Rationed: within the budget, or the mprotect itself hitting the map cap,
 * a stack goes without a guard (and we say so once). */
static bool mprotect_guard(void *guard) {
    if (atomic_fetch_add(&mprotect_guards, 1) < config.mprotect_budget &&
        mprotect(guard, config.guard_len, PROT_NONE) == 0)
        return true;
    atomic_fetch_sub(&mprotect_guards, 1);
    warn_unguarded();
    return false;
}

/* Make [guard, guard + guard_len) fault on access. Returns false if this
 * stack must go without a guard. Once madvise fails, mprotect takes over for
 * good (the kernel lacks the feature, or the mapping cannot have it, e.g.
 * under mlockall). A stack guarded by madvise before that switch later
 * counts as an mprotect guard when it is unmapped: the count only errs low,
 * and a failed mprotect is handled like an exhausted budget. */
static bool install_guard(void *guard) {
    if (!atomic_load_explicit(&use_mprotect_guards, memory_order_relaxed)) {
        int rc;
        do rc = madvise(guard, config.guard_len, MADV_GUARD_INSTALL);
        while (rc != 0 && (errno == EINTR || errno == EAGAIN));
        if (rc == 0) return true;
        atomic_store(&use_mprotect_guards, true);
    }
    return mprotect_guard(guard);
}

static int map_stack(struct cio__stack *stack, size_t size) {
    size_t len = config.guard_len + size;
    char *base = mmap(NULL, len, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (base == MAP_FAILED) return -ENOMEM;
    if (!install_guard(base)) {
        /* Trim the would-be guard so mapping_len == size says "no guard". */
        munmap(base, config.guard_len);
        base += config.guard_len;
        len = size;
    }
    char *top = base + len;
    /* ASan may hold stale shadow for these addresses (from memory unmapped
     * earlier without unpoisoning, e.g. an exited thread's stack). */
    ASAN_UNPOISON_MEMORY_REGION(top - size, size);
    *stack = (struct cio__stack){.top = top, .size = size, .mapping = base, .mapping_len = len};
    stack->valgrind_id = VALGRIND_STACK_REGISTER(top - size, top);
    return 0;
}

static void unmap_stack(const struct cio__stack *stack) {
    if (RUNNING_ON_VALGRIND) VALGRIND_STACK_DEREGISTER(stack->valgrind_id);
    if (stack->mapping_len > stack->size && atomic_load(&use_mprotect_guards))
        atomic_fetch_sub(&mprotect_guards, 1);
    munmap(stack->mapping, stack->mapping_len);
}

/* ---- the per-thread pool ------------------------------------------------------- */

static void thread_exit(void *unused);

static bool exit_key_made; /* written once, under exit_key_once */

static void make_exit_key(void) {
    exit_key_made = pthread_key_create(&exit_key, thread_exit) == 0;
}

/* Arm thread_exit for this thread (main's never runs: exit() skips it).
 * False if it cannot be armed (no key: an unset key is another library's
 * slot): the caller unmaps instead of pooling, so nothing outlives the
 * thread. */
static bool arm_exit_hook(void) {
    if (pool.exit_hook) return true;
    pthread_once(&exit_key_once, make_exit_key);
    pool.exit_hook = exit_key_made && pthread_setspecific(exit_key, &pool) == 0;
    if (pool.exit_hook) cio__stack_slot.size = config.default_size; /* the slot may fill now */
    return pool.exit_hook;
}

static void free_altstack(void) {
    if (!altstack) return;
    stack_t off = {.ss_flags = SS_DISABLE};
    sigaltstack(&off, NULL);
    munmap(altstack, ALTSTACK_BYTES);
    altstack = NULL;
    altstack_ready = false;
}

static void thread_exit(void *unused) {
    (void)unused;
    /* Disarmed first: a later destructor that releases a stack re-arms it,
     * and glibc then runs another round of destructors. */
    pool.exit_hook = false;
    cio__stack_slot.size = 0;
    cio__stack_pool_drain();
    free_altstack();
}

static struct pool_bin *find_bin(size_t size) {
    if (pool.last && pool.last->head && pool.last->size == size) return pool.last;
    for (int i = 0; i < POOL_SIZES; i++)
        if (pool.bins[i].head && pool.bins[i].size == size) return pool.last = &pool.bins[i];
    return NULL;
}

/* The bin that takes a released stack of this size, or NULL if the pool is
 * full or every bin holds another size. */
static struct pool_bin *bin_to_fill(size_t size) {
    /* valgrind keeps registered stacks in a list it searches on stack
     * switches: under it, pool only the hot stacks. */
    size_t max_stacks = config.on_valgrind ? POOL_HOT_STACKS : POOL_MAX_STACKS;
    if (pool.count >= max_stacks || pool.bytes + size > POOL_MAX_BYTES) return NULL;
    if (pool.last && pool.last->size == size) return pool.last; /* empty or not, it is ours */
    struct pool_bin *bin = find_bin(size);
    for (int i = 0; !bin && i < POOL_SIZES; i++)
        if (!pool.bins[i].head) bin = &pool.bins[i];
    if (bin) bin->size = size;
    return bin;
}

int cio__stack_acquire_slow(struct cio__stack *stack, size_t size) {
    configure();
    if (size == 0) size = config.default_size;
    if (size > MAX_STACK_BYTES) return -EINVAL;
    size = round_up(size, config.page);
    struct pool_bin *bin = find_bin(size);
    if (!bin) return map_stack(stack, size);
    struct cio__stack *record = bin->head;
    bin->head = record->next;
    pool.count--;
    pool.bytes -= size;
    *stack = *record;
    stack->next = NULL;
    return 0;
}

void cio__stack_release_slow(struct cio__stack *stack) {
    if (!stack || !stack->mapping) return;
    /* *stack may lie inside the stack memory itself (a caller may keep its
     * task there), so copy it out before writing the record. */
    struct cio__stack copy = *stack;
    /* A task that ended without unwinding leaves ASan's redzones poisoned on
     * its stack; the next task (and our record) must not trip on them. */
    ASAN_UNPOISON_MEMORY_REGION((char *)copy.top - copy.size, copy.size);
    struct pool_bin *bin = bin_to_fill(copy.size);
    if (!bin || !arm_exit_hook()) {
        unmap_stack(&copy);
        return;
    }
    if (pool.count >= POOL_HOT_STACKS && copy.size > config.page)
        madvise((char *)copy.top - copy.size, copy.size - config.page, MADV_FREE);
    bin->head = cio__stack_record(&copy, bin->head);
    pool.count++;
    pool.bytes += copy.size;
}

void cio__stack_pool_drain(void) {
    if (cio__stack_slot.record) {
        struct cio__stack record = *cio__stack_slot.record; /* it lives in what we unmap */
        cio__stack_slot.record = NULL;
        unmap_stack(&record);
    }
    for (int i = 0; i < POOL_SIZES; i++) {
        while (pool.bins[i].head) {
            struct cio__stack record = *pool.bins[i].head; /* it lives in what we unmap */
            pool.bins[i].head = record.next;
            unmap_stack(&record);
        }
    }
    pool.count = 0;
    pool.bytes = 0;
}

/* ---- overflow reports ------------------------------------------------------------ */

/* Did a fault at addr overflow stack? Its guard region, or for a stack
 * without one the two pages below it (unmapped address space, if the fault
 * is there at all), count as the stack's. */
static bool overflowed(const struct cio__stack *stack, uintptr_t addr) {
    uintptr_t bottom = (uintptr_t)stack->top - stack->size;
    size_t below = stack->mapping_len - stack->size;
    if (below < 2 * config.page) below = 2 * config.page;
    return addr < bottom && bottom - addr <= below;
}

/* A bounded line buffer for the signal handler, where printf is not safe. */
struct line {
    char text[320];
    size_t used;
};

static void append(struct line *line, const char *text, size_t max) {
    for (size_t i = 0; text[i] && i < max && line->used < sizeof line->text; i++)
        line->text[line->used++] = text[i];
}

static void append_number(struct line *line, size_t n) {
    char digits[24];
    size_t count = sizeof digits;
    digits[--count] = '\0';
    do digits[--count] = (char)('0' + n % 10);
    while ((n /= 10) != 0);
    append(line, digits + count, sizeof digits);
}

/* "cio: task 'NAME' overflowed its N KiB stack", in one write(2). Straight
 * to stderr, not through the exception handler or the log hook: this runs
 * in the SIGSEGV handler, where only async-signal-safe calls are allowed
 * (no locks, no malloc, no stdio). */
static void report_overflow(const struct cio__stack *stack) {
    struct line line = {.used = 0};
    append(&line, "cio: task '", SIZE_MAX);
    if (stack->name) {
        append(&line, stack->name, 200); /* room for the rest */
    } else if (stack->task_id) {
        append(&line, "Task-", SIZE_MAX); /* a default name, never written out (task.c) */
        append_number(&line, stack->task_id);
    } else {
        append(&line, "(unnamed)", SIZE_MAX);
    }
    append(&line, "' overflowed its ", SIZE_MAX);
    append_number(&line, stack->size / 1024);
    append(&line, " KiB stack\n", SIZE_MAX);
    ssize_t ignored = write(STDERR_FILENO, line.text, line.used);
    (void)ignored;
}

/* Let the signal take its default action: for a fault, returning re-runs the
 * faulting instruction, which now kills the process (with a core dump that
 * points at it); a signal someone sent is raised again. */
static void die_by_default(int sig, const siginfo_t *info) {
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    if (info->si_code <= 0) raise(sig);
}

/* Pass a fault that is not ours to the handler we displaced. If that handler
 * chains back to us (it took over after us and we took back over), the
 * second visit ends the loop with the default action. */
static void chain(int sig, siginfo_t *info, void *uctx) {
    const struct sigaction *old = sig == SIGSEGV ? &displaced_segv : &displaced_bus;
    bool has_siginfo = old->sa_flags & SA_SIGINFO;
    if (chaining || (has_siginfo && !old->sa_sigaction) ||
        (!has_siginfo && (old->sa_handler == SIG_DFL || old->sa_handler == SIG_IGN))) {
        die_by_default(sig, info);
        return;
    }
    chaining = true;
    if (has_siginfo)
        old->sa_sigaction(sig, info, uctx);
    else
        old->sa_handler(sig);
    chaining = false;
}

static void on_fault(int sig, siginfo_t *info, void *uctx) {
    const struct cio__stack *stack = cio__stack_running;
    /* si_code > 0: raised by the kernel for a fault, so si_addr is valid */
    if (stack && info->si_code > 0 && overflowed(stack, (uintptr_t)info->si_addr)) {
        report_overflow(stack);
        die_by_default(sig, info);
        return;
    }
    chain(sig, info, uctx);
}

/* Install on_fault for sig unless it is there already. Checked on every
 * call, not once: a handler installed after ours (a test framework's, say)
 * would otherwise leave overflows unreported; we take the slot back and
 * chain to that handler instead. displaced is written before the handler
 * goes in, so a fault on another thread never chains to a stale one. */
static int take_signal(int sig, struct sigaction *displaced) {
    struct sigaction current;
    if (sigaction(sig, NULL, &current) != 0) return -errno;
    if ((current.sa_flags & SA_SIGINFO) && current.sa_sigaction == on_fault) return 0;
    *displaced = current;
    struct sigaction action = {.sa_sigaction = on_fault, .sa_flags = SA_SIGINFO | SA_ONSTACK};
    sigemptyset(&action.sa_mask);
    return sigaction(sig, &action, NULL) == 0 ? 0 : -errno;
}

static int install_handler(void) {
    pthread_mutex_lock(&handler_lock);
    int rc = take_signal(SIGSEGV, &displaced_segv);
    if (rc == 0) rc = take_signal(SIGBUS, &displaced_bus);
    pthread_mutex_unlock(&handler_lock);
    return rc;
}

/* Give this thread a signal stack, unless it has a large enough one already
 * (the program's, or a sanitizer's). Ours lives until the thread exits. */
static int ensure_altstack(void) {
    if (altstack_ready) return 0;
    stack_t current;
    if (sigaltstack(NULL, &current) == 0 && !(current.ss_flags & SS_DISABLE) &&
        current.ss_size >= ALTSTACK_BYTES / 2) {
        altstack_ready = true;
        return 0;
    }
    void *mem = mmap(NULL, ALTSTACK_BYTES, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (mem == MAP_FAILED) return -ENOMEM;
    stack_t ss = {.ss_sp = mem, .ss_size = ALTSTACK_BYTES};
    if (sigaltstack(&ss, NULL) != 0) {
        int err = errno;
        munmap(mem, ALTSTACK_BYTES);
        return -err;
    }
    altstack = mem;
    altstack_ready = true;
    (void)arm_exit_hook(); /* unarmed, the altstack outlives the thread: 64 KiB, no crash */
    return 0;
}

int cio__stack_guard_install(void) {
    configure(); /* the handler reads config.page */
    /* Touch this thread's handler state now, so the handler's first use of
     * it never has to allocate thread-local storage inside a signal. A
     * chained handler that longjmp'd out (cmocka's does) left chaining set;
     * clear it. */
    const struct cio__stack *volatile *slot = &cio__stack_running;
    (void)*slot;
    chaining = false;
    int rc = install_handler();
    return rc ? rc : ensure_altstack();
}
