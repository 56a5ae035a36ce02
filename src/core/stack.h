/* src/core/stack.h - coroutine stacks: mmap'd, guarded, pooled per thread. */
#ifndef CIO_CORE_STACK_H
#define CIO_CORE_STACK_H

#include <stdbool.h>
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

/* The slot of the pool (below) that the inline paths use: the last
 * default-size stack given back, with its record at its top. A task that
 * runs to its end so hands its stack, still in cache, to the next one in a
 * few instructions, without the pool's bins and counts (the slot is one
 * stack beyond them). size is the default size once the thread's pool may
 * keep stacks (its exit hook armed), else 0: the slot stays empty. Private
 * to stack.c and the two functions below. */
#if defined(__GNUC__)
#define CIO__TLS _Thread_local __attribute__((tls_model("initial-exec")))
#else
#define CIO__TLS _Thread_local
#endif
struct cio__stack_slot {
    struct cio__stack *record;
    size_t size;
};
extern CIO__TLS struct cio__stack_slot cio__stack_slot;

/* Get a stack of at least size usable bytes (0: the default size, from
 * $CIO_STACK_SIZE or CIO_DEFAULT_STACK_SIZE), from this thread's pool or a new
 * mapping with a guard region below it that faults on access. Fills *stack.
 * Returns 0, -ENOMEM, or -EINVAL (size too large). No allocation when the pool
 * has a stack of that size. */
int cio__stack_acquire_slow(struct cio__stack *stack, size_t size);
static inline int cio__stack_acquire(struct cio__stack *stack, size_t size) {
    struct cio__stack *record = cio__stack_slot.record;
    if (size != 0 || !record) return cio__stack_acquire_slow(stack, size);
    cio__stack_slot.record = NULL;
    *stack = *record;
    return 0;
}

/* A free stack's form in the pool: its record written at its top (where
 * the entry frame of the task that ran on it lies), owner forgotten, linked
 * to next. Returns the record. */
static inline struct cio__stack *cio__stack_record(const struct cio__stack *stack,
                                                   struct cio__stack *next) {
    struct cio__stack copy = *stack; /* *stack may lie inside the stack memory itself */
    copy.name = NULL;
    copy.task_id = 0;
    copy.next = next;
    struct cio__stack *record = (struct cio__stack *)copy.top - 1;
    *record = copy;
    return record;
}

/* Give a stack back to this thread's pool (bounded; beyond it, unmap). Not
 * from code running on that stack. */
void cio__stack_release_slow(struct cio__stack *stack);
static inline void cio__stack_release(struct cio__stack *stack) {
#if !defined(CIO_ASAN) /* ASan's path unpoisons the stack first (stack.c) */
    if (stack && stack->mapping && !cio__stack_slot.record && stack->size == cio__stack_slot.size) {
        cio__stack_slot.record = cio__stack_record(stack, NULL);
        return;
    }
#endif
    cio__stack_release_slow(stack);
}

/* Unmap every pooled stack of this thread (called when a loop is freed and
 * at thread exit). */
void cio__stack_pool_drain(void);

/* The stack now running on this thread (NULL: the thread's own stack). Set by
 * the scheduler around every switch; read by the overflow handler, which
 * prints "cio: task 'NAME' overflowed its N KiB stack" and aborts when a
 * fault address lies in that stack's guard region. */
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
