/* src/arch/switch.h - the context switch contract, one implementation per CPU.
 *
 * Modelled on Boost.Context's fcontext: a suspended context is just its saved
 * stack pointer, with the callee-saved registers (and MXCSR / x87 control word
 * on x86-64, FPCR on aarch64, unless CIO_SWITCH_NO_FPU_STATE) pushed on its own
 * stack. Resuming pops them and jumps (x86-64; cio__ctx_handoff returns
 * instead: switch_x86_64.S says why) or returns (aarch64).
 *
 * Implementations: switch_x86_64.S, switch_aarch64.S, and switch_ucontext.c
 * (portable fallback, selected by CMake with -DCIO_SWITCH=ucontext). */
#ifndef CIO_ARCH_SWITCH_H
#define CIO_ARCH_SWITCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef void *cio__ctx; /* a suspended context */

typedef struct cio__transfer {
    cio__ctx from; /* the context that jumped here, now suspended */
    void *data;    /* the value it passed */
} cio__transfer;

/* The first function a new context runs. It must never return: it ends by
 * jumping to another context for the last time. */
typedef void (*cio__ctx_entry)(cio__transfer t);

/* Prepare a context on the stack [stack_top - size, stack_top) (stack_top
 * 16-byte aligned) that will call entry on its first cio__ctx_jump. Writes
 * only near stack_top. Never fails. */
cio__ctx cio__ctx_make(void *stack_top, size_t size, cio__ctx_entry entry);

/* Suspend the current context and resume `to`, handing it data. Returns when
 * some context jumps back here: with that context and the data it passed. */
cio__transfer cio__ctx_jump(cio__ctx to, void *data);

/* cio__ctx_jump for a task handing off to another task: the same, but on
 * x86-64 it resumes `to` with `ret` instead of a pop and an indirect jump
 * (switch_x86_64.S says when which one predicts); elsewhere it is
 * cio__ctx_jump. */
#if defined(__x86_64__) && !defined(CIO_SWITCH_UCONTEXT)
cio__transfer cio__ctx_handoff(cio__ctx to, void *data);
#else
#define cio__ctx_handoff cio__ctx_jump
#endif

/* Call entry(arg) on the stack [stack_top - size, stack_top) (stack_top
 * 16-byte aligned), as a
 * plain call does: if entry returns, so does this, with {NULL, NULL}. While
 * entry runs, *caller holds the calling context, suspended as by
 * cio__ctx_jump: a jump to it from entry's stack returns from this call
 * with that jump's transfer instead, and from then on entry must never
 * return (it ends by jumping elsewhere, as a context's entry does). This is
 * how an eager task starts: one that finishes without suspending costs a
 * call, without making a context or jumping twice. */
cio__transfer cio__ctx_call(void *stack_top, size_t size, void (*entry)(void *arg), void *arg,
                            cio__ctx *caller);

/* The lowest address of a suspended context's state on its own stack: all
 * it needs to resume lies in [cio__ctx_sp(ctx), its stack's top), which is
 * what a compact task's saved frames copy (src/core/compact.c) and what
 * its stack use counts. The assembly switches' context is that stack
 * pointer itself; ucontext's is a record at the stack's top, and the stack
 * pointer at its last jump is kept in it.
 *
 * cio__ctx_saved_frame: the frame pointer and resume address a suspended
 * context's record holds, read at `record` (the context, or a copy of its
 * frames' bytes where the context's address maps): false where the switch
 * does not know them (backtrace.c's walk then stops). The assembly
 * switches' layouts are read by backtrace.c itself. */
#if defined(CIO_SWITCH_UCONTEXT)
void *cio__ctx_sp(cio__ctx ctx);
bool cio__ctx_saved_frame(const void *record, uintptr_t *fp, uintptr_t *pc);
#else
static inline void *cio__ctx_sp(cio__ctx ctx) {
    return ctx;
}
#endif

/* x86-64's assembly also has cio__ctx_jump_via (CIO__CTX_JUMP_VIA defined):
 * suspend the current context, call fn(arg, that context) on the stack
 * below stack_top (16-byte aligned; a stack nothing else runs on meanwhile),
 * and resume the context fn returns, handing it data. Returns like
 * cio__ctx_jump. One jump where a context of its own in between would take
 * two: src/core/compact.c's swapper copies frames onto the stack the jumper
 * leaves. fn runs with no frame chain above it and must not jump. */
#if defined(__x86_64__) && !defined(CIO_SWITCH_UCONTEXT)
#define CIO__CTX_JUMP_VIA 1
typedef cio__ctx (*cio__ctx_via_fn)(void *arg, cio__ctx from);
cio__transfer cio__ctx_jump_via(void *stack_top, void *data, cio__ctx_via_fn fn, void *arg);
#endif

/* shadow_stack.c: 0 if tasks can run in this process, or -ENOTSUP with
 * *message (static text) saying why: it runs with a user shadow stack (x86
 * CET SHSTK), which this switch does not keep in step. Checked once. */
int cio__switch_check(const char **message);
/* status: the text of /proc/PID/status; true if it lists shadow stacks on. */
bool cio__shadow_stack_in_status(FILE *status);

#endif
