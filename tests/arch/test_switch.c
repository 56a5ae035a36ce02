/* tests/arch/test_switch.c - the context switch contract (src/arch/switch.h).
 *
 * The same tests run against whichever switch the build chose (x86-64 or
 * AArch64 assembly, or the ucontext fallback). They jump between contexts
 * directly, so under ASan they tell it about every switch themselves, as the
 * core does. */
#include "testutil.h"

#include "arch/switch.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <valgrind/valgrind.h>

#ifdef CIO_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

/* ---- stacks, and jumps that ASan knows about ---------------------------------- */

/* Stack memory a context runs on: [bottom, bottom + size). */
struct test_stack {
    char *bottom;
    size_t size;
    char *mapping;
    size_t mapping_len;
    unsigned valgrind_id;
};

static struct test_stack main_stack; /* this thread's own stack */

static void find_main_stack(void) {
    pthread_attr_t attr;
    void *addr = NULL;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        pthread_attr_getstack(&attr, &addr, &size);
        pthread_attr_destroy(&attr);
    }
    main_stack.bottom = addr;
    main_stack.size = size;
}

/* A stack of size bytes with one inaccessible page below it, so a test that
 * overruns it crashes instead of scribbling over a neighbour. */
static struct test_stack stack_new(size_t size) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    struct test_stack stack = {.size = size, .mapping_len = size + page};
    stack.mapping = mmap(NULL, stack.mapping_len, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    assert_true(stack.mapping != MAP_FAILED);
    assert_int_equal(mprotect(stack.mapping, page, PROT_NONE), 0);
    stack.bottom = stack.mapping + page;
#ifdef CIO_ASAN
    /* The addresses may carry stale shadow from an earlier test's stack:
     * contexts that never return leave their frames poisoned. */
    ASAN_UNPOISON_MEMORY_REGION(stack.bottom, size);
#endif
    stack.valgrind_id = VALGRIND_STACK_REGISTER(stack.bottom, stack.bottom + size);
    return stack;
}

static void stack_free(struct test_stack *stack) {
    VALGRIND_STACK_DEREGISTER(stack->valgrind_id);
    munmap(stack->mapping, stack->mapping_len);
}

static char *stack_top(const struct test_stack *stack) {
    return stack->bottom + stack->size;
}

/* cio__ctx_jump, announced to ASan: `to` runs on to_stack; `last` says the
 * calling context will never be resumed (ASan frees its fake stack). */
static cio__transfer jump(cio__ctx to, const struct test_stack *to_stack, void *data, bool last) {
#ifdef CIO_ASAN
    void *fake_stack = NULL;
    __sanitizer_start_switch_fiber(last ? NULL : &fake_stack, to_stack->bottom, to_stack->size);
    cio__transfer transfer = cio__ctx_jump(to, data);
    __sanitizer_finish_switch_fiber(fake_stack, NULL, NULL);
    return transfer;
#else
    (void)to_stack;
    (void)last;
    return cio__ctx_jump(to, data);
#endif
}

/* The first thing every entry below does: completes the switch for ASan. */
static void entered(void) {
#ifdef CIO_ASAN
    __sanitizer_finish_switch_fiber(NULL, NULL, NULL);
#endif
}

/* ---- values in and out ----------------------------------------------------------- */

static struct {
    void *first_data;
    cio__ctx first_from;
    uintptr_t frame;
} seen;

static void record_and_return(cio__transfer t) {
    entered();
    seen.first_data = t.data;
    seen.first_from = t.from;
    seen.frame = (uintptr_t)__builtin_frame_address(0);
    jump(t.from, &main_stack, (void *)(uintptr_t)42, true);
}

static void entry_gets_first_data(void **state) {
    (void)state;
    struct test_stack stack = stack_new(64 * 1024);
    cio__ctx ctx = cio__ctx_make(stack_top(&stack), stack.size, record_and_return);
    int token;
    cio__transfer back = jump(ctx, &stack, &token, false);
    assert_ptr_equal(seen.first_data, &token);
    assert_non_null(seen.first_from);
    assert_int_equal((uintptr_t)back.data, 42);
    assert_non_null(back.from);
    stack_free(&stack);
}

/* The ABI promises a 16-byte aligned stack at every call; the entry's frame
 * (the saved frame pointer lies just below its return address) shows it. */
static void entry_stack_is_aligned(void **state) {
    (void)state;
    struct test_stack stack = stack_new(64 * 1024);
    /* A top that is only 16-byte aligned, not page aligned. */
    cio__ctx ctx = cio__ctx_make(stack_top(&stack) - 48, stack.size - 48, record_and_return);
    jump(ctx, &stack, NULL, false);
    assert_int_equal(seen.frame % 16, 0);
    assert_true(seen.frame < (uintptr_t)stack_top(&stack) && seen.frame > (uintptr_t)stack.bottom);
    stack_free(&stack);
}

/* Adds one to every number it receives; a NULL ends it. */
static void add_one(cio__transfer t) {
    entered();
    while (t.data) t = jump(t.from, &main_stack, (void *)((uintptr_t)t.data + 1), false);
    jump(t.from, &main_stack, (void *)(uintptr_t)7, true);
}

static void ping_pong(void **state) {
    (void)state;
    struct test_stack stack = stack_new(64 * 1024);
    cio__ctx ctx = cio__ctx_make(stack_top(&stack), stack.size, add_one);
    for (uintptr_t i = 1; i <= 100000; i++) {
        cio__transfer t = jump(ctx, &stack, (void *)i, false);
        assert_int_equal((uintptr_t)t.data, i + 1);
        ctx = t.from; /* resume where it suspended */
    }
    cio__transfer t = jump(ctx, &stack, NULL, false);
    assert_int_equal((uintptr_t)t.data, 7);
    stack_free(&stack);
}

/* A ring: main -> B -> C -> main -> B. C hands main B's handle, so main
 * resumes a context that did not jump to it directly. */
static struct test_stack ring_b_stack, ring_c_stack;
static cio__ctx ring_c;
static int ring_b_resumed_with;

static void ring_b(cio__transfer t) {
    entered();
    cio__ctx main_ctx = t.from;
    cio__transfer back = jump(ring_c, &ring_c_stack, main_ctx, false);
    ring_b_resumed_with = *(int *)back.data;
    jump(back.from, &main_stack, NULL, true);
}

static void ring_c_entry(cio__transfer t) {
    entered();
    cio__ctx b_ctx = t.from;
    cio__ctx main_ctx = t.data;
    jump(main_ctx, &main_stack, b_ctx, true);
}

static void from_context_resumes(void **state) {
    (void)state;
    ring_b_stack = stack_new(64 * 1024);
    ring_c_stack = stack_new(64 * 1024);
    cio__ctx b = cio__ctx_make(stack_top(&ring_b_stack), ring_b_stack.size, ring_b);
    ring_c = cio__ctx_make(stack_top(&ring_c_stack), ring_c_stack.size, ring_c_entry);
    cio__transfer from_c = jump(b, &ring_b_stack, NULL, false);
    assert_non_null(from_c.data); /* B's handle */
    int token = 1234;
    jump(from_c.data, &ring_b_stack, &token, false);
    assert_int_equal(ring_b_resumed_with, 1234);
    stack_free(&ring_b_stack);
    stack_free(&ring_c_stack);
}

/* ---- what a switch must preserve ---------------------------------------------- */

#if defined(__x86_64__) || defined(__aarch64__)
/* Jump with every callee-saved register set to pattern + its index, and
 * record in after[] what they hold when this context is resumed. Written in
 * assembly so that nothing but the switch stands between setting and reading
 * them. */
#if defined(__x86_64__)
#define SAVED_REGS 6 /* rbx, rbp, r12-r15 */

static cio__transfer raw_jump_with_regs(cio__ctx to, void *data, uint64_t pattern,
                                        uint64_t *after) {
    void *from;
    uint64_t rdx = pattern;
    __asm__ volatile("movq %%rsp, %%r8\n\t"
                     "subq $256, %%rsp\n\t" /* past the red zone */
                     "andq $-16, %%rsp\n\t"
                     "pushq %%r8\n\t"  /* 24(%%rsp): our rsp */
                     "pushq %%rcx\n\t" /* 16(%%rsp): after */
                     "pushq %%rbp\n\t" /*  8(%%rsp): our rbp */
                     "pushq %%rbp\n\t" /* padding: keeps the call aligned */
                     "movq %%rdx, %%rbx\n\t"
                     "leaq 1(%%rdx), %%rbp\n\t"
                     "leaq 2(%%rdx), %%r12\n\t"
                     "leaq 3(%%rdx), %%r13\n\t"
                     "leaq 4(%%rdx), %%r14\n\t"
                     "leaq 5(%%rdx), %%r15\n\t"
                     "call cio__ctx_jump\n\t"
                     "movq 16(%%rsp), %%rcx\n\t"
                     "movq %%rbx, 0(%%rcx)\n\t"
                     "movq %%rbp, 8(%%rcx)\n\t"
                     "movq %%r12, 16(%%rcx)\n\t"
                     "movq %%r13, 24(%%rcx)\n\t"
                     "movq %%r14, 32(%%rcx)\n\t"
                     "movq %%r15, 40(%%rcx)\n\t"
                     "movq 8(%%rsp), %%rbp\n\t"
                     "movq 24(%%rsp), %%rsp\n\t"
                     : "=a"(from), "+d"(rdx), "+D"(to), "+S"(data), "+c"(after)
                     :
                     : "r8", "r9", "r10", "r11", "rbx", "r12", "r13", "r14", "r15", "memory", "cc",
                       "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
                       "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "st", "st(1)",
                       "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)");
    return (cio__transfer){.from = from, .data = (void *)rdx};
}
#else
#define SAVED_REGS 19 /* x19-x29, d8-d15 */

static cio__transfer raw_jump_with_regs(cio__ctx to, void *data, uint64_t pattern,
                                        uint64_t *after) {
    register void *x0 __asm__("x0") = to;
    register void *x1 __asm__("x1") = data;
    register uint64_t x2 __asm__("x2") = pattern;
    register uint64_t *x3 __asm__("x3") = after;
    __asm__ volatile("stp x29, x3, [sp, #-16]!\n\t" /* our frame pointer, and after */
                     "mov x19, x2\n\t"
                     "add x20, x2, #1\n\t"
                     "add x21, x2, #2\n\t"
                     "add x22, x2, #3\n\t"
                     "add x23, x2, #4\n\t"
                     "add x24, x2, #5\n\t"
                     "add x25, x2, #6\n\t"
                     "add x26, x2, #7\n\t"
                     "add x27, x2, #8\n\t"
                     "add x28, x2, #9\n\t"
                     "add x29, x2, #10\n\t"
                     "add x9, x2, #11\n\t fmov d8, x9\n\t"
                     "add x9, x2, #12\n\t fmov d9, x9\n\t"
                     "add x9, x2, #13\n\t fmov d10, x9\n\t"
                     "add x9, x2, #14\n\t fmov d11, x9\n\t"
                     "add x9, x2, #15\n\t fmov d12, x9\n\t"
                     "add x9, x2, #16\n\t fmov d13, x9\n\t"
                     "add x9, x2, #17\n\t fmov d14, x9\n\t"
                     "add x9, x2, #18\n\t fmov d15, x9\n\t"
                     "bl cio__ctx_jump\n\t"
                     "ldr x3, [sp, #8]\n\t"
                     "stp x19, x20, [x3, #0]\n\t"
                     "stp x21, x22, [x3, #16]\n\t"
                     "stp x23, x24, [x3, #32]\n\t"
                     "stp x25, x26, [x3, #48]\n\t"
                     "stp x27, x28, [x3, #64]\n\t"
                     "str x29, [x3, #80]\n\t"
                     "stp d8, d9, [x3, #88]\n\t"
                     "stp d10, d11, [x3, #104]\n\t"
                     "stp d12, d13, [x3, #120]\n\t"
                     "stp d14, d15, [x3, #136]\n\t"
                     "ldp x29, x3, [sp], #16\n\t"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
                     :
                     : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15",
                       "x16", "x17", "x18", "x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26",
                       "x27", "x28", "x30", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8",
                       "v9", "v10", "v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19",
                       "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30",
                       "v31", "memory", "cc");
    return (cio__transfer){.from = x0, .data = x1};
}
#endif

static cio__transfer jump_with_regs(cio__ctx to, const struct test_stack *to_stack, void *data,
                                    uint64_t pattern, uint64_t *after) {
#ifdef CIO_ASAN
    void *fake_stack = NULL;
    __sanitizer_start_switch_fiber(&fake_stack, to_stack->bottom, to_stack->size);
    cio__transfer transfer = raw_jump_with_regs(to, data, pattern, after);
    __sanitizer_finish_switch_fiber(fake_stack, NULL, NULL);
    return transfer;
#else
    (void)to_stack;
    return raw_jump_with_regs(to, data, pattern, after);
#endif
}

static void check_regs(const uint64_t *regs, uint64_t pattern) {
    for (int i = 0; i < SAVED_REGS; i++) assert_int_equal(regs[i], pattern + (uint64_t)i);
}

#define MAIN_PATTERN 0x1111000000000000ull
#define CORO_PATTERN 0x2222000000000000ull

/* Bounces back with its own register pattern until it receives NULL. */
static void regs_bouncer(cio__transfer t) {
    entered();
    uint64_t after[SAVED_REGS];
    for (uint64_t round = 0;; round++) {
        t = jump_with_regs(t.from, &main_stack, (void *)1, CORO_PATTERN + round * 32, after);
        if (!t.data) break;
        check_regs(after, CORO_PATTERN + round * 32);
    }
    jump(t.from, &main_stack, NULL, true);
}

static void callee_saved_registers_survive(void **state) {
    (void)state;
    struct test_stack stack = stack_new(64 * 1024);
    cio__ctx ctx = cio__ctx_make(stack_top(&stack), stack.size, regs_bouncer);
    cio__transfer t = jump(ctx, &stack, (void *)1, false);
    uint64_t after[SAVED_REGS];
    for (uint64_t round = 0; round < 100; round++) {
        t = jump_with_regs(t.from, &stack, (void *)1, MAIN_PATTERN + round * 32, after);
        check_regs(after, MAIN_PATTERN + round * 32);
    }
    jump(t.from, &stack, NULL, false);
    stack_free(&stack);
}
#endif /* __x86_64__ || __aarch64__ */

/* The portable version: many values live across a jump, in whatever
 * registers the compiler picks (callee-saved ones, since they must survive
 * the call). The coroutine churns through values of its own meanwhile. */
static void churn(cio__transfer t) {
    entered();
    while (t.data) {
        uint64_t v[12];
        for (int i = 0; i < 12; i++) v[i] = (uintptr_t)t.data * (uint64_t)(i + 3);
        t = jump(t.from, &main_stack, (void *)(uintptr_t)(v[0] ^ v[11]), false);
        for (int i = 0; i < 12; i++) assert_int_equal(v[i], (v[0] / 3) * (uint64_t)(i + 3));
    }
    jump(t.from, &main_stack, NULL, true);
}

static void live_locals_survive(void **state) {
    (void)state;
    struct test_stack stack = stack_new(64 * 1024);
    cio__ctx ctx = cio__ctx_make(stack_top(&stack), stack.size, churn);
    for (uint64_t round = 1; round < 1000; round++) {
        uint64_t a = round * 7, b = round * 11, c = round * 13, d = round * 17, e = round * 19;
        double f = (double)round * 0.5, g = (double)round * 0.25, h = (double)round / 3.0;
        cio__transfer t = jump(ctx, &stack, (void *)(uintptr_t)round, false);
        ctx = t.from;
        assert_int_equal(a + b + c + d + e, round * 67);
        assert_true(f == (double)round * 0.5 && g == (double)round * 0.25 &&
                    h == (double)round / 3.0);
    }
    jump(ctx, &stack, NULL, false);
    stack_free(&stack);
}

#if (defined(__x86_64__) || defined(__aarch64__)) && !defined(CIO_SWITCH_NO_FPU_STATE)
/* Rounding modes, read and set straight from the control registers (no
 * libm): MXCSR and the x87 control word on x86-64, FPCR on AArch64. */
enum rounding { NEAREST, DOWN, UP, ZERO }; /* x86's encoding */

#if defined(__x86_64__)
static unsigned read_mxcsr(void) {
    unsigned value;
    __asm__ volatile("stmxcsr %0" : "=m"(value));
    return value;
}

static void write_mxcsr(unsigned value) {
    __asm__ volatile("ldmxcsr %0" : : "m"(value));
}

static unsigned short read_x87_cw(void) {
    unsigned short value;
    __asm__ volatile("fnstcw %0" : "=m"(value));
    return value;
}

static void write_x87_cw(unsigned short value) {
    __asm__ volatile("fldcw %0" : : "m"(value));
}

static int get_rounding(void) {
    return (int)(read_mxcsr() >> 13 & 3);
}

static void set_rounding(int mode) {
    write_mxcsr((read_mxcsr() & ~0x6000u) | (unsigned)mode << 13);
}

static int get_x87_rounding(void) {
    return read_x87_cw() >> 10 & 3;
}

static void set_x87_rounding(int mode) {
    write_x87_cw((unsigned short)((read_x87_cw() & ~0x0c00u) | (unsigned)mode << 10));
}
#else
static uint64_t read_fpcr(void) {
    uint64_t value;
    __asm__ volatile("mrs %0, fpcr" : "=r"(value));
    return value;
}

static void write_fpcr(uint64_t value) {
    __asm__ volatile("msr fpcr, %0" : : "r"(value));
}

/* FPCR.RMode: 0 nearest, 1 up, 2 down, 3 zero. */
static int get_rounding(void) {
    int rmode = (int)(read_fpcr() >> 22 & 3);
    return rmode == 1 ? UP : rmode == 2 ? DOWN : rmode;
}

static void set_rounding(int mode) {
    uint64_t rmode = mode == UP ? 1 : mode == DOWN ? 2 : (uint64_t)mode;
    write_fpcr((read_fpcr() & ~(3ull << 22)) | rmode << 22);
}

/* No x87 here: its checks below see a constant. */
static int get_x87_rounding(void) {
    return NEAREST;
}

static void set_x87_rounding(int mode) {
    (void)mode;
}
#endif

static struct { int at_start, after_resume, x87_after_resume; } fpu_seen;

/* Records the rounding mode it inherited, switches itself to round toward
 * zero, and records whether a resume kept it. */
static void set_own_rounding(cio__transfer t) {
    entered();
    fpu_seen.at_start = get_rounding();
    set_rounding(ZERO);
    set_x87_rounding(ZERO);
    t = jump(t.from, &main_stack, NULL, false);
    fpu_seen.after_resume = get_rounding();
    fpu_seen.x87_after_resume = get_x87_rounding();
    jump(t.from, &main_stack, NULL, true);
}

static void fpu_control_does_not_leak(void **state) {
    (void)state;
    int rounding = get_rounding(), x87_rounding = get_x87_rounding();
    struct test_stack stack = stack_new(64 * 1024);

    /* A new context inherits its creator's mode, as a new thread does. */
    set_rounding(UP);
    cio__ctx ctx = cio__ctx_make(stack_top(&stack), stack.size, set_own_rounding);
    set_rounding(DOWN);

    cio__transfer t = jump(ctx, &stack, NULL, false);
    assert_int_equal(fpu_seen.at_start, UP);
    /* Its round-toward-zero stayed there; ours is back. */
    assert_int_equal(get_rounding(), DOWN);
    assert_int_equal(get_x87_rounding(), x87_rounding);

    jump(t.from, &stack, NULL, false);
    assert_int_equal(fpu_seen.after_resume, ZERO);
#if defined(__x86_64__)
    assert_int_equal(fpu_seen.x87_after_resume, ZERO);
#endif
    assert_int_equal(get_rounding(), DOWN);
    assert_int_equal(get_x87_rounding(), x87_rounding);

    set_rounding(rounding);
    stack_free(&stack);
}
#endif

/* ---- stacks in use -------------------------------------------------------------- */

static struct {
    uintptr_t floor;  /* stop recursing once frames reach this address */
    uintptr_t lowest; /* the lowest frame seen */
    unsigned depth;
} dive;

/* Recurses until its frames come near the bottom of the stack. noinline and
 * the work after the call keep the compiler from flattening it. */
__attribute__((noinline)) static unsigned recurse(unsigned depth) {
    volatile char scratch[64];
    uintptr_t frame = (uintptr_t)__builtin_frame_address(0);
    scratch[0] = (char)depth;
    if (frame < dive.lowest) dive.lowest = frame;
    if (frame < dive.floor) {
        dive.depth = depth;
        return depth;
    }
    return recurse(depth + 1) + (unsigned)(scratch[0] - (char)depth);
}

static void dive_entry(cio__transfer t) {
    entered();
    unsigned reached = recurse(0);
    jump(t.from, &main_stack, (void *)(uintptr_t)reached, true);
}

static void deep_recursion_on_small_stack(void **state) {
    (void)state;
    struct test_stack stack = stack_new(64 * 1024);
    dive.floor = (uintptr_t)stack.bottom + 6 * 1024; /* below: the largest frame */
    dive.lowest = UINTPTR_MAX;
    cio__ctx ctx = cio__ctx_make(stack_top(&stack), stack.size, dive_entry);
    cio__transfer t = jump(ctx, &stack, NULL, false);
    assert_int_equal((uintptr_t)t.data, dive.depth);
    assert_true(dive.depth > 100);
    assert_true(dive.lowest >= (uintptr_t)stack.bottom);
    assert_true(dive.lowest < (uintptr_t)stack.bottom + 8 * 1024); /* used 56+ KiB */
    stack_free(&stack);
}

#define MANY       10000
#define MANY_STACK (16 * 1024)

static unsigned many_finished;

/* Yields once with its number, then finishes. */
static void one_of_many(cio__transfer t) {
    entered();
    uintptr_t number = (uintptr_t)t.data;
    t = jump(t.from, &main_stack, (void *)number, false);
    many_finished++;
    jump(t.from, &main_stack, (void *)(number + MANY), true);
}

static void ten_thousand_contexts(void **state) {
    (void)state;
    /* One reservation carved into MANY stacks, each registered on its own. */
    size_t len = (size_t)MANY * MANY_STACK;
    char *base =
        mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    assert_true(base != MAP_FAILED);
#ifdef CIO_ASAN
    ASAN_UNPOISON_MEMORY_REGION(base, len);
#endif
    static struct test_stack stacks[MANY];
    static cio__ctx ctxs[MANY];
    for (size_t i = 0; i < MANY; i++) {
        stacks[i] = (struct test_stack){.bottom = base + i * MANY_STACK, .size = MANY_STACK};
        stacks[i].valgrind_id = VALGRIND_STACK_REGISTER(stacks[i].bottom, stack_top(&stacks[i]));
        ctxs[i] = cio__ctx_make(stack_top(&stacks[i]), MANY_STACK, one_of_many);
    }
    many_finished = 0;
    for (size_t i = 0; i < MANY; i++) { /* all start; all are suspended at once */
        cio__transfer t = jump(ctxs[i], &stacks[i], (void *)i, false);
        assert_int_equal((uintptr_t)t.data, i);
        ctxs[i] = t.from;
    }
    for (size_t i = MANY; i-- > 0;) { /* finish them in the other order */
        cio__transfer t = jump(ctxs[i], &stacks[i], NULL, false);
        assert_int_equal((uintptr_t)t.data, i + MANY);
    }
    assert_int_equal(many_finished, MANY);
    for (size_t i = 0; i < MANY; i++) VALGRIND_STACK_DEREGISTER(stacks[i].valgrind_id);
    munmap(base, len);
}

/* ---- the signal mask is the program's, not the switch's ---------------------------- */

static bool blocked(int sig) {
    sigset_t now;
    pthread_sigmask(SIG_BLOCK, NULL, &now);
    return sigismember(&now, sig) == 1;
}

static void block(int sig, bool on) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    assert_int_equal(pthread_sigmask(on ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL), 0);
}

/* Sees the mask main set after making it, and one main set while it was
 * suspended; its own change holds when main resumes. */
static void mask_keeper(cio__transfer t) {
    entered();
    bool first = blocked(SIGUSR1);
    t = jump(t.from, &main_stack, (void *)(uintptr_t)first, false);
    bool second = blocked(SIGUSR2);
    block(SIGUSR1, false);
    jump(t.from, &main_stack, (void *)(uintptr_t)second, true);
}

/* ucontext's swapcontext restores the mask saved with the resumed context:
 * without care a resumed task undoes a mask the program changed meanwhile
 * (a SIGPIPE blocked around a write then kills it). */
static void signal_mask_survives_switches(void **state) {
    (void)state;
    sigset_t saved;
    pthread_sigmask(SIG_BLOCK, NULL, &saved);
    struct test_stack stack = stack_new(64 * 1024);
    cio__ctx ctx = cio__ctx_make(stack_top(&stack), stack.size, mask_keeper);
    block(SIGUSR1, true); /* after the make */
    cio__transfer t = jump(ctx, &stack, NULL, false);
    assert_true((uintptr_t)t.data); /* it ran with SIGUSR1 blocked */
    block(SIGUSR2, true);           /* while it is suspended */
    t = jump(t.from, &stack, NULL, false);
    assert_true((uintptr_t)t.data); /* it resumed with SIGUSR2 blocked */
    assert_false(blocked(SIGUSR1)); /* its unblock holds back here */
    assert_true(blocked(SIGUSR2));
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    stack_free(&stack);
}

/* ---- misuse ------------------------------------------------------------------------ */

static void just_return(cio__transfer t) {
    entered();
    (void)t;
}

static void run_returning_entry(void) {
    struct test_stack stack = stack_new(64 * 1024);
    cio__ctx ctx = cio__ctx_make(stack_top(&stack), stack.size, just_return);
    jump(ctx, &stack, NULL, false);
}

static void returning_entry_aborts(void **state) {
    (void)state;
    char err[512];
    int status = test_in_child(run_returning_entry, err, sizeof err);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
}

int main(void) {
    find_main_stack();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(entry_gets_first_data),
        cmocka_unit_test(entry_stack_is_aligned),
        cmocka_unit_test(ping_pong),
        cmocka_unit_test(from_context_resumes),
#if defined(__x86_64__) || defined(__aarch64__)
        cmocka_unit_test(callee_saved_registers_survive),
#endif
        cmocka_unit_test(live_locals_survive),
#if (defined(__x86_64__) || defined(__aarch64__)) && !defined(CIO_SWITCH_NO_FPU_STATE)
        cmocka_unit_test(fpu_control_does_not_leak),
#endif
        cmocka_unit_test(deep_recursion_on_small_stack),
        cmocka_unit_test(ten_thousand_contexts),
        cmocka_unit_test(signal_mask_survives_switches),
        cmocka_unit_test(returning_entry_aborts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
