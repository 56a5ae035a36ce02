/* src/core/task.h - the task's insides: for src/core only.
 *
 * The other layers see a task through core.h's narrow API (its future, its
 * loop, the waiting calls); only the core reads or writes the fields below,
 * so the rules of the wait record live in one place (wait.c, waitq.c, io.c).
 * scripts/check_layers.sh refuses an include of this header from outside
 * src/core. */
#ifndef CIO_CORE_TASK_H
#define CIO_CORE_TASK_H

#include "core/loop.h"

#include <stddef.h>

enum cio__task_state {
    CIO__TASK_CREATED, /* on the ready queue, never run */
    CIO__TASK_READY,   /* on the ready queue, will resume */
    CIO__TASK_RUNNING,
    CIO__TASK_PARKED, /* suspended in cio__wait, not queued */
    CIO__TASK_DONE,
};

/* What interrupted a wait (for timeout scopes to know a -ETIMEDOUT was theirs). */
enum cio__interrupt { CIO__INTERRUPT_NONE, CIO__INTERRUPT_CANCEL, CIO__INTERRUPT_TIMEOUT };

struct cio__timeout_scope; /* timeout.c */

/* The one wait record: what the task waits on, typed - each field has one
 * meaning. abort is non-NULL exactly while the task is in an interruptible
 * wait: it unhooks the task from what it waits on. */
struct cio__wait_record {
    void (*abort)(cio_task *task);
    struct cio__link link;    /* on queue, or on a future's waiter list */
    struct cio__waitq *queue; /* what link is on (waitq.c), else NULL */
    void *owner;              /* the suspending call's own record (cio__wait_owner) */
    void *item;               /* a value handed over (cio__wait_item) */
    uint64_t mask;            /* a mask the waker tests (cio__wait_mask) */
    int fd;                   /* io.c: the fd waited on, -1 when none */
    unsigned events;          /* io.c: CIO__READABLE or CIO__WRITABLE */
    int status;               /* what cio__wake said */
};

struct cio_task {
    cio_future future;        /* first: a task is a future */
    struct cio__wait_tag tag; /* second: what it waits on (core.h, cio__wait_tag) */
    struct cio__ready ready;
    struct cio__list all; /* the loop's list of every task it holds */
    cio_task_fn fn;
    void *arg;
    cio__ctx ctx; /* saved context while suspended */
    struct cio__stack stack;
    size_t stack_size;
    uint64_t id;
    uint8_t state;
    uint8_t interrupt;       /* enum cio__interrupt, of the wait that just returned */
    bool loop_holds;         /* the loop's own reference, kept apart from future.refs (the
                              * caller's and cio_task_ref's): until DONE, and never droppable
                              * by cio_task_unref */
    bool deadline_unwatched; /* the deadline timer could not be armed (timeout.c): due now */
    uint32_t generation;     /* how many tasks this struct has been (task.c's quarantine) */
    int cancel_requests;     /* cio_task_cancel() count, minus uncancel */
    bool returned;           /* its function returned a value (task.c: cio__task_returned) */
    bool cancel_unseen;      /* cancelled since a wait last returned -ECANCELED: a return
                              * now ends the task cancelled (asyncio's _must_cancel) */
    /* Started by a call on its stack (cio__ctx_call: the first run of a task
     * that is not compact, and an eager start) and not switched out since:
     * at its end it returns to the caller instead of jumping (task.c). */
    bool in_call;
    /* Started eagerly and not yet switched out: its first switch out resumes
     * eager_return, its creator, instead of the scheduler. */
    bool eager;
    int shield_depth; /* > 0: waits are not interrupted */

    /* Compact tasks (compact.c). */
    bool compact;         /* runs on one of the loop's shared stacks */
    uint8_t shared_stack; /* which: loop->compact->shared[shared_stack] */
    uint16_t stack_pins;  /* > 0 while something outside it may write its stack
                           * (cio__task_pin_stack): its frames stay put */

    struct cio__wait_record wait;
    struct cio__timer sleep_timer;

    /* Timeout scopes: innermost first; deadline is the earliest of them. */
    struct cio__timeout_scope *scopes;
    int64_t deadline;
    struct cio__timer deadline_timer;

    struct cio__vars *vars; /* its context (context.c): NULL until something is set */

    cio__ctx eager_return; /* an eager task's creator, while eager */
#if defined(CIO_ASAN)
    const void *eager_stack_bottom; /* the creator's stack, for the switch back */
    size_t eager_stack_size;
#endif
#if defined(CIO_TSAN)
    void *eager_fiber;
#endif

    struct cio__compact_frames *frames; /* a compact task's saved frames, or NULL */

    char *name;          /* heap copy, or NULL for "Task-<id>", in name_buf once asked for */
    char *error_message; /* cio_fail_msg()'s text (heap), kept only if the task failed */
    char name_buf[sizeof "Task-18446744073709551615"]; /* the longest id */
#if defined(CIO_ASAN)
    void *asan_fake_stack;
#endif
#if defined(CIO_TSAN)
    void *tsan_fiber;
#endif
};

_Static_assert(offsetof(struct cio_task, future) == 0, "a task must start with its future");
_Static_assert(offsetof(struct cio_task, tag) == offsetof(struct cio__task_head, tag),
               "cio__wait_tag finds the tag right after the future");

/* Interrupt a task's wait with -ECANCELED or -ETIMEDOUT, if it is in an
 * interruptible wait and not shielded. */
void cio__task_interrupt(cio_task *task, int status);

/* -ECANCELED / -ETIMEDOUT if one is due for task now, else 0. Inline for
 * the common case of a task neither cancelled nor inside a timeout scope. */
int cio__task_pending_interrupt_slow(cio_task *task);
static inline int cio__task_pending_interrupt(cio_task *task) {
    if (!task->cancel_requests && !task->scopes) return 0;
    return cio__task_pending_interrupt_slow(task);
}

/* cio__future_wait for cio_await and cio_future_await: an interrupt of the
 * wait also cancels f, at once (future.c). */
int cio__future_await(cio_future *f);

/* loop.c: the turn boundary a task switching out at the end of the batch
 * may take itself (see cio__turn_next): true, with loop->batch set, when
 * the next turn would only run its batch. */
bool cio__loop_next_batch(cio_loop *loop);
void cio__task_free(cio_task *task);
/* The task a ready entry resumes or starts, or NULL (debug.c). */
cio_task *cio__task_of_entry(struct cio__ready *entry);
void cio__task_spares_free(cio_loop *loop);
/* failure.c: what a finishing task leaves behind - the scopes it left open
 * (reported), and its message (dropped unless it failed). Inline for the
 * common task, which left nothing. */
void cio__task_finish_checks_slow(cio_task *task, int error);
static inline void cio__task_finish_checks(cio_task *task, int error) {
    if (task->scopes || task->shield_depth > 0 || task->error_message)
        cio__task_finish_checks_slow(task, error);
}
/* failure.c: the "error never retrieved" report of a task being freed. */
void cio__task_report_unretrieved_slow(cio_task *task);
static inline void cio__task_report_unretrieved(cio_task *task) {
    if (task->future.error && !task->future.retrieved) cio__task_report_unretrieved_slow(task);
}

/* timeout.c: the deadline timer of task fired or moved. */
void cio__timeout_recompute(cio_task *task);
void cio__timeout_mark_fired(cio_task *task);
/* A shielded timeout scope is open: cancellation waits until it ends. */
bool cio__timeout_shielded(const cio_task *task);

#endif
