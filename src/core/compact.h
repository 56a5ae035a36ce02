/* src/core/compact.h - compact tasks: tasks that run on their loop's shared
 * stack and keep only a copy of their live frames while another compact task
 * has it (libaco's copy-stack mode). For src/core only; docs/internals.md
 * ("Compact tasks") has the design, docs/tasks.md what it forbids. */
#ifndef CIO_CORE_COMPACT_H
#define CIO_CORE_COMPACT_H

#include "core/task.h"

/* A task's copy of its live frames, [saved sp, top of the shared stack):
 * made when another compact task takes the shared stack, kept (and grown by
 * doubling) across suspensions, freed when the task ends. */
struct cio__compact_frames {
    uint32_t len; /* bytes saved: the frames' addresses are [top - len, top) */
    uint32_t cap;
    unsigned char data[];
};

/* A stack compact tasks share, and which task's frames it holds: its
 * resident, the one that ran on it last (running or suspended), or NULL. */
struct cio__shared_stack {
    struct cio__stack stack; /* mapping NULL until first used */
    struct cio_task *resident;
};

/* How many shared stacks a loop spreads its compact tasks over (round
 * robin): two tasks on different ones switch with no copy at all. */
#define CIO__COMPACT_STACKS 4

/* The loop's side. */
struct cio__compact {
    struct cio__shared_stack shared[CIO__COMPACT_STACKS];
    unsigned stacks;            /* in use: CIO__COMPACT_STACKS (tests may lower it) */
    unsigned next_stack;        /* the next task's, round robin */
    struct cio__ready *blocked; /* tasks waiting for a pinned resident to let go */
    struct cio__ready **blocked_tail;
    uint64_t saves, restores; /* frame copies out and in (tests, bench) */
    bool on_valgrind;         /* RUNNING_ON_VALGRIND, asked once: a restore tells it */
    /* The swapper: a small stack of the loop's where a compact task
     * switching to another of its shared stack has the frames copied, off
     * the shared stack (compact.c). On x86-64 the task's one jump runs the
     * copies there (cio__ctx_jump_via). Elsewhere and under ASan the swapper
     * is a context of its own, jumped to and from: its ctx is kept in the
     * ctx of a stand-in task, as the jump protocol (switch.h) stores a
     * jumper's there, and swap_to is where it goes next. */
    struct cio__stack swapper_stack;
    cio_task swapper;
    cio_task *swap_to;
#if defined(CIO_ASAN)
    void *swapper_fake_stack;
#endif
};

/* The loop's compact state, made on first use; NULL without memory. */
struct cio__compact *cio__compact_state(cio_loop *loop);

/* task.c's start(): a compact task's first run will be on one of the loop's
 * shared stacks (made now if needed), entering at entry. Returns 0 or
 * -ENOMEM. */
int cio__compact_start(cio_task *task, cio__ctx_entry entry);

/* Make task's frames the shared stack's, just before a jump to it: the
 * resident's are saved first. Called by the jumps that may go to a compact
 * task (the scheduler's cio__switch_to_task, cio__compact_switch_out, the
 * swapper; compact tasks never start eagerly), never on the shared stack
 * itself: cio__compact_switch_out sees to it. Inline: resuming the resident
 * (the usual case with several shared stacks) copies nothing and costs this
 * test alone. */
void cio__compact_swap(cio_loop *loop, cio_task *task);
static inline void cio__compact_swap_in(cio_loop *loop, cio_task *task) {
    if (loop->compact->shared[task->shared_stack].resident != task) cio__compact_swap(loop, task);
}

/* The scheduler is about to resume task: true if it must wait instead (the
 * resident is pinned), in which case it is kept until the pin ends. */
bool cio__compact_defer(cio_task *task);

/* cio__task_switch_out's switch from task to next, a compact task (not
 * task), the turn's next entry: straight to it, through the swapper (task
 * runs on the shared stack), or to the scheduler (next waits for a pin, or
 * must be started by the scheduler: its entry is kept or put back). Returns
 * when task is resumed. Out of line: normal tasks never come here. */
__attribute__((noinline)) void cio__compact_switch_out(cio_loop *loop, cio_task *task,
                                                       cio_task *next);

/* The task finished or is being freed: its frames and residency go. */
void cio__compact_release(cio_task *task);

/* The loop is closing: its shared stack goes back to the pool. */
void cio__compact_loop_close(cio_loop *loop);

/* Where the byte task's code knows as p lies now: p itself, unless p points
 * into task's frames while they are saved, then into the copy. Valid until
 * the next switch. For cio's own records kept on a task's stack (timeout
 * scopes) that a waker or canceller reads while the task is suspended. */
void *cio__compact_translate(const cio_task *task, void *p);
static inline void *cio__compact_at(const cio_task *task, void *p) {
    if (__builtin_expect(!task->compact, 1)) return p;
    return cio__compact_translate(task, p);
}

#endif
