/* src/core/wait.c - the one wait primitive, and the waits built directly on
 * it: sleep, yield, and the delivery of cancellation.
 *
 * Every suspending call in cio parks through cio__wait(), so cancellation and
 * timeouts reach every await point the same way: level-triggered, checked on
 * entry (a due interrupt returns at once without parking) and delivered to a
 * parked task through its abort hook (task->wait.abort). */
#include "core/switch.h" /* the inline cio__task_switch_out */

#include <math.h>

int cio__task_pending_interrupt_slow(cio_task *task) {
    if (task->shield_depth > 0) return 0;
    if (task->cancel_requests > 0 && !cio__timeout_shielded(task)) return -ECANCELED;
    if (task->scopes && (task->deadline_unwatched || task->deadline <= cio__now(task->future.loop)))
        return -ETIMEDOUT;
    return 0;
}

static int deliver(cio_task *task, int status) {
    task->interrupt = status == -ECANCELED ? CIO__INTERRUPT_CANCEL : CIO__INTERRUPT_TIMEOUT;
    if (status == -ECANCELED) task->cancel_unseen = false;
    if (status == -ETIMEDOUT) cio__timeout_mark_fired(task);
    return status;
}

int cio__wait(cio_task *task, void (*abort)(cio_task *task), void *owner) {
    task->interrupt = CIO__INTERRUPT_NONE;
    task->wait.owner = owner;
    int due = cio__task_pending_interrupt(task);
    if (due < 0) {
        task->interrupt = due == -ECANCELED ? CIO__INTERRUPT_CANCEL : CIO__INTERRUPT_TIMEOUT;
        task->tag.kind = CIO_WAIT_NONE;
        if (abort) abort(task); /* it may read task->interrupt (future.c's abort_await) */
        /* A task that ignores -ECANCELED would spin here: let the loop turn. */
        if (cio__budget_spend(task->future.loop)) (void)cio__budget_yield(task);
        return deliver(task, due);
    }
    task->wait.abort = abort;
    if (task->state == CIO__TASK_RUNNING) task->state = CIO__TASK_PARKED;
    cio__task_switch_out(task);
    task->tag.kind = CIO_WAIT_NONE; /* the next wait says what it is, or shows as "other" */
    if (task->interrupt != CIO__INTERRUPT_NONE) return deliver(task, task->wait.status);
    return task->wait.status;
}

int cio__wait_uninterruptible(cio_task *task, void (*abort)(cio_task *task), void *owner) {
    task->shield_depth++;
    int status = cio__wait(task, abort, owner);
    task->shield_depth--;
    return status;
}

void cio__uninterruptible_begin(cio_task *task) {
    task->shield_depth++;
}

void cio__uninterruptible_end(cio_task *task) {
    task->shield_depth--;
}

int cio__wait_deliver_pending(cio_task *task) {
    int due = cio__task_pending_interrupt(task);
    return due < 0 ? cio__wait(task, NULL, NULL) : 0; /* delivers it without parking */
}

void *cio__wait_owner(const cio_task *task) {
    return task->wait.owner;
}

void cio__wake(cio_task *task, int status) {
    task->wait.status = status;
    task->wait.abort = NULL;
    if (task->state == CIO__TASK_PARKED) {
        task->state = CIO__TASK_READY;
        cio__ready_push(&task->future.loop->ready, &task->ready);
    }
}

void cio__task_interrupt(cio_task *task, int status) {
    if (!task->wait.abort || task->shield_depth > 0) return;
    if (status == -ECANCELED && cio__timeout_shielded(task)) return;
    /* Taken before it runs: an abort that cancels what the task awaits can
     * come back to this task (two tasks awaiting each other), which must
     * then find it no longer interruptible. */
    void (*abort)(cio_task * task) = task->wait.abort;
    task->wait.abort = NULL;
    task->interrupt = status == -ECANCELED ? CIO__INTERRUPT_CANCEL : CIO__INTERRUPT_TIMEOUT;
    abort(task); /* it may read task->interrupt (future.c's abort_await) */
    cio__wake(task, status);
}

void cio__wait_end(cio_task *task, int status) {
    if (!task || !task->wait.abort) return;
    task->wait.abort(task);
    cio__wake(task, status);
}

void cio__wait_forget(cio_task *task) {
    if (task->wait.abort) task->wait.abort(task);
    task->wait.abort = NULL;
}

/* ---- sleep and yield ---------------------------------------------------------- */

static void abort_sleep(cio_task *task) {
    cio__timer_stop(task->future.loop, &task->sleep_timer);
}

/* Already on the ready queue: nothing to unhook; cio__wake only replaces the
 * status the task resumes with. */
static void abort_yield(cio_task *task) {
    (void)task;
}

/* Like cio__wait, but the task queues itself before it switches out, so the
 * due-interrupt check must come first (a queued task must not stay running). */
int cio_yield(void) {
    cio_task *task = cio__task_current_or_complain("cio_yield");
    if (!task) return -EPERM;
    int due = cio__task_pending_interrupt(task);
    if (due < 0) return deliver(task, due);
    task->interrupt = CIO__INTERRUPT_NONE;
    task->wait.status = 0;
    task->wait.abort = abort_yield;
    task->state = CIO__TASK_READY;
    cio__ready_push(&task->future.loop->ready, &task->ready);
    cio__task_switch_out(task);
    if (task->interrupt != CIO__INTERRUPT_NONE) return deliver(task, task->wait.status);
    return task->wait.status;
}

int cio__budget_yield(cio_task *task) {
    task->interrupt = CIO__INTERRUPT_NONE;
    task->wait.status = 0;
    task->wait.abort = abort_yield;
    task->state = CIO__TASK_READY;
    cio__ready_push(&task->future.loop->ready, &task->ready);
    cio__task_switch_out(task);
    if (task->interrupt != CIO__INTERRUPT_NONE) return deliver(task, task->wait.status);
    return 0;
}

int cio_sleep(double seconds) {
    if (isnan(seconds)) return -EINVAL;
    if (seconds <= 0) return cio_yield();
    cio_task *task = cio__task_current_or_complain("cio_sleep");
    if (!task) return -EPERM;
    cio_loop *loop = task->future.loop;
    int due = cio__task_pending_interrupt(task);
    if (due < 0) return deliver(task, due);
    if (cio__timer_start(loop, &task->sleep_timer, cio__now(loop) + cio__seconds_to_ns(seconds)) <
        0)
        return -ENOMEM;
    cio__wait_tag(task, CIO_WAIT_SLEEP, NULL);
    return cio__wait(task, abort_sleep, NULL);
}

/* ---- cancellation ---------------------------------------------------------------- */

int cio_task_cancel(cio_task *task) {
    if (!cio__task_check(task, "cio_task_cancel")) return -EINVAL;
    if (task->state == CIO__TASK_DONE) return -EALREADY;
    task->cancel_requests++;
    task->cancel_unseen = true;
    cio__task_interrupt(task, -ECANCELED);
    return 0;
}

int cio_task_uncancel(cio_task *task) {
    if (!cio__task_valid(task)) return -EINVAL;
    if (task->cancel_requests > 0) task->cancel_requests--;
    return task->cancel_requests;
}

int cio_task_cancelling(const cio_task *task) {
    return cio__task_valid(task) ? task->cancel_requests : 0;
}

int cio_shield_begin(void) {
    cio_task *task = cio__task_current_or_complain("cio_shield_begin");
    if (!task) return -EPERM;
    task->shield_depth++;
    return 0;
}

int cio_shield_end(void) {
    cio_task *task = cio__task_current_or_complain("cio_shield_end");
    if (!task) return -EPERM;
    if (task->shield_depth == 0) return -EINVAL;
    task->shield_depth--;
    return 0;
}
