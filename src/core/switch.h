/* src/core/switch.h - the switches between the scheduler and tasks, and
 * between two tasks, with the sanitizer annotations every switch needs
 * (compiled in only for those builds). Inline so the jump happens straight
 * from the scheduler or the switching task.
 *
 * The jump protocol: whoever jumps passes itself as the jump's data (the
 * task, or NULL for the scheduler), and whoever resumes stores the jumper's
 * suspended context back where it belongs (cio__switch_resumed). A task may
 * be resumed by the scheduler or directly by another task (the hand-off in
 * loop.c), so neither side may assume who it came back from. Whoever jumps
 * to a task first makes it current (loop->head.current, state RUNNING, the
 * running stack for the overflow handler). */
#ifndef CIO_CORE_SWITCH_H
#define CIO_CORE_SWITCH_H

#include "core/compact.h"
#include "core/task.h"

#if defined(CIO_ASAN)
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(CIO_TSAN)
void *__tsan_get_current_fiber(void);
void *__tsan_create_fiber(unsigned flags);
void __tsan_destroy_fiber(void *fiber);
void __tsan_switch_to_fiber(void *fiber, unsigned flags);
#endif

/* Store the context that just jumped here: a task's, or the scheduler's. */
static inline void cio__switch_save_from(cio_loop *loop, cio__transfer back) {
    cio_task *from = back.data;
    if (from)
        from->ctx = back.from;
    else
        loop->scheduler_ctx = back.from;
}

/* Make task the running one, just before jumping to it. */
static inline void cio__switch_enter(cio_loop *loop, cio_task *task) {
    loop->head.current = task;
    loop->head.budget = CIO__BUDGET;
    task->state = CIO__TASK_RUNNING;
    cio__stack_set_running(&task->stack);
}

/* Where ASan keeps the fake stack of the side a switch leaves (a task or the
 * loop's scheduler); the field exists in ASan builds only. */
#if defined(CIO_ASAN)
#define CIO__FAKE_STACK(owner) (&(owner)->asan_fake_stack)
#else
#define CIO__FAKE_STACK(owner) NULL
#endif

/* Make task the running one and tell the sanitizers that its stack is
 * about to run, just before jumping to or calling into it; fake_stack:
 * CIO__FAKE_STACK of the side that leaves. always_inline, even at -O0:
 * TSan's fiber switch must happen in the function that jumps, or the
 * helper's own return is recorded on the other fiber's shadow call stack
 * (which then underflows: test_thread and test_handoff crashed in TSan's
 * stack depot). */
__attribute__((always_inline)) static inline void
cio__switch_enter_stack(cio_loop *loop, cio_task *task, void **fake_stack) {
    cio__switch_enter(loop, task);
#if defined(CIO_ASAN)
    __sanitizer_start_switch_fiber(fake_stack, (char *)task->stack.top - task->stack.size,
                                   task->stack.size);
#else
    (void)fake_stack;
#endif
#if defined(CIO_TSAN)
    __tsan_switch_to_fiber(task->tsan_fiber, 0);
#endif
}

/* The scheduler's side of cio__switch_enter_stack: the scheduler's own
 * TSan fiber is the thread's, known at its first switch. */
__attribute__((always_inline)) static inline void cio__switch_enter_from_scheduler(cio_loop *loop,
                                                                                   cio_task *task) {
#if defined(CIO_TSAN)
    if (!loop->tsan_scheduler_fiber) loop->tsan_scheduler_fiber = __tsan_get_current_fiber();
#endif
    cio__switch_enter_stack(loop, task, CIO__FAKE_STACK(loop));
}

/* Scheduler -> task. Returns when a task switches to the scheduler: that
 * task, which is `task` or one that `task` handed off to (directly or not). */
static inline cio_task *cio__switch_to_task(cio_loop *loop, cio_task *task) {
    if (__builtin_expect(task->compact, 0)) cio__compact_swap_in(loop, task); /* its frames */
    cio__switch_enter_from_scheduler(loop, task);
    cio__transfer back = cio__ctx_jump(task->ctx, NULL);
#if defined(CIO_ASAN)
    __sanitizer_finish_switch_fiber(loop->asan_fake_stack, NULL, NULL);
#endif
    cio_task *from = back.data; /* only tasks jump to the scheduler */
    from->ctx = back.from;
    cio__stack_set_running(NULL);
    loop->head.current = NULL;
    return from;
}

/* Scheduler -> a task's first run, as a call of entry(task) on its stack
 * (cio__ctx_call): as cio__switch_to_task, except that a task that ends
 * without switching out returns (entry returns), for no jump at all. */
static inline cio_task *cio__switch_call_task(cio_loop *loop, cio_task *task,
                                              void (*entry)(void *task)) {
    task->in_call = true;
    cio__switch_enter_from_scheduler(loop, task);
    cio__transfer back =
        cio__ctx_call(task->stack.top, task->stack.size, entry, task, &loop->scheduler_ctx);
#if defined(CIO_ASAN)
    __sanitizer_finish_switch_fiber(loop->asan_fake_stack, NULL, NULL);
#endif
#if defined(CIO_TSAN)
    /* Not in entry before it returns: its return belongs to the task's fiber. */
    if (!back.from) __tsan_switch_to_fiber(loop->tsan_scheduler_fiber, 0);
#endif
    cio_task *from = task; /* it returned: it ended */
    if (back.from) {       /* a task jumped to the scheduler: task, or one it handed off to */
        from = back.data;
        from->ctx = back.from;
    }
    cio__stack_set_running(NULL);
    loop->head.current = NULL;
    return from;
}

/* In a task that a jump just resumed. */
static inline void cio__switch_resumed(cio_loop *loop, cio_task *task, cio__transfer back) {
#if defined(CIO_ASAN)
    __sanitizer_finish_switch_fiber(task->asan_fake_stack, NULL, NULL);
#else
    (void)task;
#endif
    cio__switch_save_from(loop, back);
}

/* Task -> scheduler. finished: this is the task's last switch (ASan frees
 * its fake stack). Returns when the task is resumed. */
static inline void cio__switch_to_scheduler(cio_loop *loop, cio_task *task, bool finished) {
#if defined(CIO_ASAN)
    __sanitizer_start_switch_fiber(finished ? NULL : &task->asan_fake_stack,
                                   loop->scheduler_stack_bottom, loop->scheduler_stack_size);
#else
    (void)finished;
#endif
#if defined(CIO_TSAN)
    __tsan_switch_to_fiber(loop->tsan_scheduler_fiber, 0);
#endif
    cio__transfer back = cio__ctx_jump(loop->scheduler_ctx, task);
    cio__switch_resumed(loop, task, back);
}

/* Task -> task, without the scheduler: task is suspended (parked or queued)
 * and next is the entry the scheduler would have resumed now. Returns when
 * task is resumed. */
static inline void cio__switch_to_next(cio_loop *loop, cio_task *task, cio_task *next) {
    cio__switch_enter_stack(loop, next, CIO__FAKE_STACK(task));
    cio__transfer back = cio__ctx_handoff(next->ctx, task); /* task to task: src/arch/switch.h */
    cio__switch_resumed(loop, task, back);
}

/* Task -> the creator of an eager task (task.c's run_eagerly), at the
 * task's first switch out: the creator resumes and the task is left parked
 * or queued like any other. (An eager task that ends without suspending
 * returns to its creator instead: task.c's call_main.) Returns when the task is
 * resumed. */
static inline void cio__switch_eager_return(cio_loop *loop, cio_task *task) {
    task->eager = false;
#if defined(CIO_ASAN)
    __sanitizer_start_switch_fiber(&task->asan_fake_stack, task->eager_stack_bottom,
                                   task->eager_stack_size);
#endif
#if defined(CIO_TSAN)
    __tsan_switch_to_fiber(task->eager_fiber, 0);
#endif
    cio__transfer back = cio__ctx_jump(task->eager_return, task);
    cio__switch_resumed(loop, task, back);
}

/* A queued task's turn (task.c): resume it from the scheduler. */
void cio__task_resume(struct cio__ready *entry);

/* What runs next in this turn, for the scheduler (loop.c's run_ready) and
 * for the hand-off alike, so their rules cannot drift apart: the batch's
 * next entry, taken off it (its next is read before it runs: running may
 * requeue it). The batch is in the loop, not in a local, because tasks take
 * entries off it too. A task switching out (handoff) takes only a queued
 * task - a callback or a task's first run goes through the scheduler - and
 * at the end of the batch starts the next turn itself only when that turn
 * would run nothing but its batch (cio__loop_next_batch). NULL: the batch is
 * done (scheduler), or switch to the scheduler (handoff).
 *
 * Inline here rather than a function of loop.c: out of line, the call it
 * adds to every switch cost 23.4 -> 32.5 ns per yield (bench/core_yield,
 * Release, pinned, median of 9 interleaved rounds). */
static inline struct cio__ready *cio__turn_next_plain(cio_loop *loop, bool handoff) {
    if (!loop->batch && !(handoff && cio__loop_next_batch(loop))) return NULL;
    struct cio__ready *entry = loop->batch;
    if (handoff && entry->run != cio__task_resume) return NULL;
    loop->batch = entry->next;
    loop->ran_since_poll++;
    return entry;
}

/* debug.c: cio__turn_next_plain, timing each step for the slow-callback
 * report. */
struct cio__ready *cio__debug_turn_next(cio_loop *loop, bool handoff);

/* Debug mode's whole cost when off: this one branch, predicted not taken. */
static inline struct cio__ready *cio__turn_next(cio_loop *loop, bool handoff) {
    if (__builtin_expect(loop->head.debug, 0)) return cio__debug_turn_next(loop, handoff);
    return cio__turn_next_plain(loop, handoff);
}

/* Suspend the running task (already parked or queued); returns when it is
 * resumed. The hand-off: when the next entry of the turn is a queued task,
 * the switching task resumes it itself instead of jumping to the scheduler
 * only for the scheduler to jump to that task (one jump instead of two).
 * Inline: it is most of a yield. */
__attribute__((always_inline)) static inline void cio__task_switch_out(cio_task *task) {
    cio_loop *loop = task->future.loop;
    task->in_call = false; /* its entry's caller has gone on: it must not return there */
    if (__builtin_expect(task->eager, 0)) { /* its creator waits for this first suspension */
        cio__switch_eager_return(loop, task);
        return;
    }
    struct cio__ready *entry = cio__turn_next(loop, true);
    cio_task *next = entry ? cio__container_of(entry, cio_task, ready) : NULL;
    if (!next)
        cio__switch_to_scheduler(loop, task, false);
    else if (__builtin_expect(next->compact, 0) && next != task)
        cio__compact_switch_out(loop, task, next); /* out of line: kept off this path */
    else if (next != task)
        cio__switch_to_next(loop, task, next);
    else { /* it was the only one ready: go on, with a new turn's budget */
        task->state = CIO__TASK_RUNNING;
        loop->head.budget = CIO__BUDGET;
    }
}

#endif
