/* src/core/backtrace.c - a task's stack: its frames, found by walking the
 * frame-pointer chain, its use and high-water mark, and frames printed with
 * the names dladdr knows.
 *
 * A suspended task's context is its saved stack pointer (src/arch/switch.h;
 * under the ucontext switch a record holding it and the registers);
 * on x86-64 (aarch64 likewise, at its own offsets) cio__ctx_jump leaves there the FPU slot,
 * r15..rbx, rbp and the resume address (switch_x86_64.S). The resume address is inside the function
 * that switched out, and the saved rbp is that function's frame: from there each frame holds its
 * caller's rbp and the return address. That needs frame pointers in every frame walked
 * (CIO_FRAME_POINTERS, on by default); a frame without one ends the walk, never crashes it, since
 * every load is checked against the task's own stack bounds. Async-signal-
 * safe: the watchdog's handler walks with cio__backtrace_walk too. Frames
 * are named by symbolize.c. */
#include "core/backtrace.h"

#include "core/symbolize.h"
#include "core/compact.h" /* cio__compact_at */

#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#else
#define VALGRIND_DISABLE_ERROR_REPORTING
#define VALGRIND_ENABLE_ERROR_REPORTING
#define VALGRIND_MAKE_MEM_DEFINED(addr, len) ((void)(addr), (void)(len))
#endif

#if defined(CIO_SWITCH_NO_FPU_STATE)
#define FPU_SLOT 0
#else
#define FPU_SLOT 8
#endif

/* The walk, reading each frame at its address + delta: a compact task's
 * frames saved away are walked in their copy (compact.c), at the addresses
 * they had and will have again on the shared stack. */
static size_t walk_moved(uintptr_t fp, uintptr_t lo, uintptr_t hi, uintptr_t delta, void **frames,
                         size_t cap) {
    size_t n = 0;
    while (n < cap && fp >= lo && fp + 16 <= hi && fp % sizeof(void *) == 0) {
        const uintptr_t *frame = (const uintptr_t *)(fp + delta);
        if (!frame[1]) break; /* the start trampoline's null return address */
        frames[n++] = (void *)frame[1];
        if (frame[0] <= fp) break; /* the chain only goes up the stack */
        fp = frame[0];
    }
    return n;
}

size_t cio__backtrace_walk(uintptr_t fp, uintptr_t lo, uintptr_t hi, void **frames, size_t cap) {
    return walk_moved(fp, lo, hi, 0, frames, cap);
}

/* A suspended task's stack pointer: its context, or (ucontext) kept in the
 * context's record, which for a compact task's frames saved away is read in
 * their copy. */
static uintptr_t suspended_sp(const cio_task *task) {
#if defined(CIO_SWITCH_UCONTEXT)
    return (uintptr_t)cio__ctx_sp(cio__compact_at(task, task->ctx));
#else
    return (uintptr_t)task->ctx;
#endif
}

#if defined(__x86_64__) || defined(__aarch64__)
/* Where a suspended task's frames are read: on its stack, or for a compact
 * task's saved away, in their copy - then only [its sp, top) exists (*lo). */
static uintptr_t frames_delta(const cio_task *task, uintptr_t *lo) {
    uintptr_t at = (uintptr_t)cio__compact_at(task, task->ctx);
    if (at != (uintptr_t)task->ctx) *lo = suspended_sp(task);
    return at - (uintptr_t)task->ctx;
}
#endif

#if defined(__x86_64__) && !defined(CIO_SWITCH_UCONTEXT)
static size_t walk_suspended(const cio_task *task, void **frames, size_t cap) {
    uintptr_t hi = (uintptr_t)task->stack.top, lo = hi - task->stack.size;
    uintptr_t delta = frames_delta(task, &lo);
    uintptr_t ctx = (uintptr_t)task->ctx;
    if (ctx < lo || ctx + FPU_SLOT + 56 > hi || !cap) return 0;
    const uintptr_t *saved = (const uintptr_t *)(ctx + delta);
    frames[0] = (void *)saved[(FPU_SLOT + 48) / 8]; /* where it resumes */
    return 1 + walk_moved(saved[(FPU_SLOT + 40) / 8], lo, hi, delta, frames + 1, cap - 1);
}
#define HAVE_WALK 1
#elif defined(__aarch64__) && !defined(CIO_SWITCH_UCONTEXT)
/* switch_aarch64.S: x29 (the frame pointer) at ctx + 0x50, the resume
 * address (x30) at ctx + 0x58; frame records are {fp, lr} pairs as on x86-64. */
static size_t walk_suspended(const cio_task *task, void **frames, size_t cap) {
    uintptr_t hi = (uintptr_t)task->stack.top, lo = hi - task->stack.size;
    uintptr_t delta = frames_delta(task, &lo);
    uintptr_t ctx = (uintptr_t)task->ctx;
    if (ctx < lo || ctx + 0x60 > hi || !cap) return 0;
    const uintptr_t *saved = (const uintptr_t *)(ctx + delta);
    frames[0] = (void *)saved[0x58 / 8];
    return 1 + walk_moved(saved[0x50 / 8], lo, hi, delta, frames + 1, cap - 1);
}
#define HAVE_WALK 1
#elif defined(__x86_64__) || defined(__aarch64__) /* ucontext */
/* The context is a record at the stack's top (switch_ucontext.c) holding
 * the frame pointer and resume address of cio__ctx_jump itself: the walk
 * shows that one frame more than the assembly switch's. */
static size_t walk_suspended(const cio_task *task, void **frames, size_t cap) {
    uintptr_t hi = (uintptr_t)task->stack.top, lo = hi - task->stack.size;
    uintptr_t delta = frames_delta(task, &lo);
    uintptr_t ctx = (uintptr_t)task->ctx, fp, pc;
    if (ctx < lo || ctx >= hi || !cap ||
        !cio__ctx_saved_frame((const void *)(ctx + delta), &fp, &pc))
        return 0;
    frames[0] = (void *)pc;
    return 1 + walk_moved(fp, lo, hi, delta, frames + 1, cap - 1);
}
#define HAVE_WALK 1
#endif

int cio__backtrace_task(const cio_task *task, void **frames, size_t cap, size_t *count) {
    *count = 0;
    if (!task->stack.top || task->state == CIO__TASK_DONE || task->state == CIO__TASK_CREATED)
        return 0;
#if defined(HAVE_WALK)
    uintptr_t hi = (uintptr_t)task->stack.top, lo = hi - task->stack.size;
    if (task->state == CIO__TASK_RUNNING) /* the caller itself runs on it */
        *count = cio__backtrace_walk((uintptr_t)__builtin_frame_address(0), lo, hi, frames, cap);
    else
        *count = walk_suspended(task, frames, cap);
    return 0;
#else
    (void)frames;
    (void)cap;
    return -ENOTSUP;
#endif
}

size_t cio__stack_used(const cio_task *task) {
    if (!task->stack.top || task->state == CIO__TASK_DONE) return 0;
    uintptr_t hi = (uintptr_t)task->stack.top;
    uintptr_t sp = task->state == CIO__TASK_RUNNING ? (uintptr_t)__builtin_frame_address(0)
                                                    : suspended_sp(task);
    return sp < hi && hi - sp <= task->stack.size ? hi - sp : 0;
}

/* The lowest word ever written: a stack's memory starts zeroed (a fresh
 * mapping), so the first non-zero word from the bottom up marks the deepest
 * use. Checked lazily, only when asked; nothing is painted on the hot path.
 * It reads below the stack pointer, which is what the sanitizers watch for:
 * not instrumented for ASan (it may hold parts of an old frame poisoned),
 * and valgrind's reports are held off around it, its answer marked known. */
__attribute__((no_sanitize("address"))) static size_t scan(const uintptr_t *word,
                                                           const uintptr_t *top) {
    while (word < top && *(const volatile uintptr_t *)word == 0) word++;
    return (size_t)((const char *)top - (const char *)word);
}

size_t cio__stack_high_water(const cio_task *task) {
    if (!task->stack.top || task->state == CIO__TASK_DONE) return 0;
    const uintptr_t *top = (const uintptr_t *)task->stack.top;
    VALGRIND_DISABLE_ERROR_REPORTING;
    size_t used = scan((const uintptr_t *)((const char *)top - task->stack.size), top);
    VALGRIND_ENABLE_ERROR_REPORTING;
    VALGRIND_MAKE_MEM_DEFINED(&used, sizeof used); /* from memory valgrind calls dead */
    return used;
}

int cio__backtrace_print(void *const *frames, size_t count, FILE *out) {
    struct cio__symbolizer symbols = {0};
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        const char *object;
        size_t offset = 0, rel;
        const char *name = cio__symbolize(&symbols, frames[i], &offset, &object, &rel);
        if (name)
            rc = fprintf(out, "  #%zu %p %s+0x%zx (%s+0x%zx)\n", i, frames[i], name, offset, object,
                         rel) < 0
                     ? -EIO
                     : 0;
        else
            rc =
                fprintf(out, "  #%zu %p ?? (%s+0x%zx)\n", i, frames[i], object, rel) < 0 ? -EIO : 0;
    }
    cio__symbolizer_done(&symbols);
    return rc;
}
