/* src/arch/switch_ucontext.c - the portable context switch, on ucontext.
 *
 * Implements src/arch/switch.h with getcontext/makecontext/swapcontext for
 * CPUs without a hand-written switch. It is slow (glibc's swapcontext makes a
 * sigprocmask system call on every switch, and this switch adds another:
 * see cio__ctx_jump), but it keeps the rest of cio portable and is tested
 * with the same suite (cmake -DCIO_SWITCH=ucontext, make test-ucontext).
 *
 * A context handle points to a `struct uctx`. A context made by
 * cio__ctx_make keeps it at the top of its own stack; each thread's original
 * context keeps it in thread-local storage. swapcontext cannot carry a value,
 * so the transfer travels through a thread-local slot: contexts never move
 * between threads, so the slot is written and read on the same thread. */
#include "arch/switch.h"

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <ucontext.h>

struct uctx {
    ucontext_t uc;
    cio__ctx_entry entry; /* what a new context runs; unused afterwards */
    uintptr_t bottom;     /* its stack, [bottom, the record); 0 for a thread's own */
    uintptr_t sp;         /* suspended: no state of it lies below (cio__ctx_sp) */
};

static _Thread_local struct uctx thread_context; /* the thread's own stack */
static _Thread_local struct uctx *running;       /* NULL: thread_context */
static _Thread_local cio__transfer in_flight;    /* the latest jump's transfer */

/* The context the caller runs on. A longjmp out of a context (a failed
 * cmocka assertion inside a task goes back to the test's own stack) leaves
 * `running` naming the context left: a frame outside its stack means the
 * thread's own stack, so the next jump saves that, not a record it would
 * overwrite. (The assembly switch needs no such care: it saves whatever
 * stack it is called on.) */
static struct uctx *running_context(void) {
    struct uctx *self = running;
    uintptr_t frame = (uintptr_t)__builtin_frame_address(0);
    if (!self || !self->bottom || frame < self->bottom || frame >= (uintptr_t)self)
        self = running = &thread_context;
    return self;
}

/* The first function of every context made here: entry receives the
 * transfer of the jump that started it, and must never return. */
static void start(void) {
    struct uctx *self = running_context();
    self->entry(in_flight);
    abort();
}

cio__ctx cio__ctx_make(void *stack_top, size_t size, cio__ctx_entry entry) {
    /* The record sits at the top of the stack, 64-byte aligned (glibc
     * stores the FPU state inside ucontext_t); the stack proper runs from
     * the bottom up to it. */
    uintptr_t top = (uintptr_t)stack_top;
    uintptr_t bottom = top - size;
    struct uctx *ctx = (struct uctx *)((top - sizeof(struct uctx)) & ~(uintptr_t)63);

    getcontext(&ctx->uc);
    ctx->uc.uc_stack.ss_sp = (void *)bottom;
    ctx->uc.uc_stack.ss_size = (uintptr_t)ctx - bottom;
    ctx->uc.uc_link = NULL; /* start() aborts rather than return */
    ctx->entry = entry;
    ctx->bottom = bottom;
    ctx->sp = (uintptr_t)ctx; /* not run yet: the record is all there is */
    makecontext(&ctx->uc, start, 0);
    return ctx;
}

/* An address below the caller's frame, so below all it keeps on its stack
 * across a swapcontext: swapcontext's own frame is not needed to resume
 * (it restores the saved registers and jumps). Not inlined, so its frame
 * is a callee's. */
__attribute__((noinline)) static uintptr_t below_caller(void) {
    return (uintptr_t)__builtin_frame_address(0);
}

void *cio__ctx_sp(cio__ctx ctx) {
    return (void *)((struct uctx *)ctx)->sp;
}

bool cio__ctx_saved_frame(const void *record, uintptr_t *fp, uintptr_t *pc) {
    const ucontext_t *uc = &((const struct uctx *)record)->uc;
#if defined(__x86_64__)
    *fp = (uintptr_t)uc->uc_mcontext.gregs[REG_RBP];
    *pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    return true;
#elif defined(__aarch64__)
    *fp = (uintptr_t)uc->uc_mcontext.regs[29];
    *pc = (uintptr_t)uc->uc_mcontext.pc;
    return true;
#else
    (void)uc;
    *fp = *pc = 0;
    return false;
#endif
}

cio__transfer cio__ctx_jump(cio__ctx to, void *data) {
    struct uctx *self = running_context();
    struct uctx *target = to;
    in_flight = (cio__transfer){.from = self, .data = data};
    running = to;
    /* swapcontext installs the mask saved in target: the thread's mask when
     * target last ran (or was made). The program may have changed it since
     * (SIGPIPE or SIGCHLD blocked around a wait): a switch must not undo
     * that, so target resumes with the mask in force now. */
    pthread_sigmask(SIG_SETMASK, NULL, &target->uc.uc_sigmask);
    if (self->bottom) self->sp = below_caller();
    swapcontext(&self->uc, &target->uc);
    /* Resumed: whoever jumped here set running back to self and left its
     * transfer in the slot. */
    return in_flight;
}

/* cio__ctx_call on ucontext: a context made for the call, whose start
 * records the caller and, if entry returns, jumps back with returned_mark
 * as the data, which the caller turns into {NULL, NULL}. The made context
 * then lies dead at the stack's top, as a finished task's does. */
struct call {
    void (*entry)(void *arg);
    void *arg;
    cio__ctx *caller;
};
static char returned_mark;

static void call_start(cio__transfer start) {
    struct call call = *(struct call *)start.data; /* on the caller's stack */
    *call.caller = start.from;
    call.entry(call.arg);
    cio__ctx_jump(*call.caller, &returned_mark);
    abort(); /* never resumed */
}

cio__transfer cio__ctx_call(void *stack_top, size_t size, void (*entry)(void *arg), void *arg,
                            cio__ctx *caller) {
    struct call call = {.entry = entry, .arg = arg, .caller = caller};
    cio__transfer back = cio__ctx_jump(cio__ctx_make(stack_top, size, call_start), &call);
    if (back.data == &returned_mark) return (cio__transfer){NULL, NULL};
    return back;
}
