/* src/core/stack.h - coroutine stacks: mmap'd, guarded, pooled per thread. */
#ifndef CIO_CORE_STACK_H
#define CIO_CORE_STACK_H

#include <stddef.h>
#include <stdint.h>

struct cio__stack {
    void *top;     /* highest address, 16-byte aligned: where the stack starts */
    size_t size;   /* usable bytes below top */
    void *mapping; /* the whole mapping, guard included (for munmap) */
    size_t mapping_len;
    unsigned valgrind_id;    /* VALGRIND_STACK_REGISTER id, 0 if none */
    const char *name;        /* owner's name for the overflow report; may be NULL */
    uint64_t task_id;        /* with name NULL: reported as "Task-<id>" (0: unnamed) */
    struct cio__stack *next; /* pool free-list link (private to stack.c) */
};

/* Get a stack of at least size usable bytes (0: the default size, from
 * $CIO_STACK_SIZE or CIO_DEFAULT_STACK_SIZE), from this thread's pool or a new
 * mapping with a guard region below it that faults on access. Fills *stack.
 * Returns 0, -ENOMEM, or -EINVAL (size too large). No allocation when the pool
 * has a stack of that size. */
int cio__stack_acquire(struct cio__stack *stack, size_t size);

/* Give a stack back to this thread's pool (bounded; beyond it, unmap). */
void cio__stack_release(struct cio__stack *stack);

/* Unmap every pooled stack of this thread (called when a loop is freed and
 * at thread exit). */
void cio__stack_pool_drain(void);

/* The stack now running on this thread (NULL: the thread's own stack). Set by
 * the scheduler around every switch; read by the overflow handler, which
 * prints "cio: task 'NAME' overflowed its N KiB stack" and aborts when a
 * fault address lies in that stack's guard region. */
#if defined(__GNUC__)
#define CIO__TLS _Thread_local __attribute__((tls_model("initial-exec")))
#else
#define CIO__TLS _Thread_local
#endif
extern CIO__TLS const struct cio__stack *cio__stack_running;
static inline void cio__stack_set_running(const struct cio__stack *stack) {
    cio__stack_running = stack;
}

/* Install the SIGSEGV/SIGBUS handler on an alternate signal stack for this
 * thread (idempotent; per-thread sigaltstack). Returns 0 or -errno. A
 * previously installed handler is chained to for faults that are not ours. */
int cio__stack_guard_install(void);

/* Default usable size in bytes (after $CIO_STACK_SIZE). */
size_t cio__stack_default_size(void);

#endif
