/* src/core/timeout.c - timeout scopes.
 *
 * A task keeps its open scopes as a chain, innermost first, in the callers'
 * storage, and one timer armed at the earliest deadline among them. When that
 * timer fires the task's wait is interrupted with -ETIMEDOUT; the wait
 * primitive then calls cio__timeout_mark_fired() to credit the scope that
 * owns the earliest deadline (the outermost one on a tie).
 *
 * A shielded scope (Trio's CancelScope(shield=True) with a deadline) is a
 * wall: the scopes outside it do not count while it is open (their
 * deadlines are neither armed nor credited), and neither does cancellation
 * (cio__timeout_shielded, checked by the wait primitive). Its own deadline,
 * and those of scopes inside it, still fire: cleanup that awaits cannot hang
 * forever. What it held off is delivered at the first await after it ends. */
#include "core/compact.h" /* cio__compact_at: the chain is in the task's frames */

#include <assert.h>
#include <math.h>

#define SCOPE_MAGIC 0x63696f53u /* "cioS" */
#define NEVER       (INT64_MAX / 2)

struct cio__timeout_scope {
    uint32_t magic;
    bool fired;
    bool shield;
    int64_t deadline;
    cio_task *task;
    struct cio__timeout_scope *outer;
};

static_assert(sizeof(struct cio__timeout_scope) <= sizeof(cio_timeout), "cio_timeout too small");

static struct cio__timeout_scope *scope_of(const cio_timeout *timeout) {
    return (struct cio__timeout_scope *)(void *)timeout;
}

static void fire_deadline(struct cio__timer *timer) {
    cio__task_interrupt(cio__container_of(timer, cio_task, deadline_timer), -ETIMEDOUT);
}

/* The scope after `scope` that still counts: NULL past a shielded one. */
static struct cio__timeout_scope *visible_outer(const cio_task *task,
                                                const struct cio__timeout_scope *scope) {
    return scope->shield ? NULL : cio__compact_at(task, scope->outer);
}

/* The innermost scope, where it lies now (a suspended compact task's
 * frames may be in their saved copy: compact.c). */
static struct cio__timeout_scope *innermost(const cio_task *task) {
    return cio__compact_at(task, task->scopes);
}

bool cio__timeout_shielded(const cio_task *task) {
    for (const struct cio__timeout_scope *scope = innermost(task); scope;
         scope = cio__compact_at(task, scope->outer))
        if (scope->shield) return true;
    return false;
}

/* The timer heap could not grow to hold the deadline (no memory): a deadline
 * nobody watches would leave a parked task waiting forever, so it counts as
 * passed now - the task's next await (or the current one) gets -ETIMEDOUT,
 * early, instead of never. */
static void deadline_unwatched(cio_task *task) {
    cio__complain("cio_timeout: no memory to arm the deadline of task '%s': the scope expires now",
                  cio_task_name(task));
    task->deadline_unwatched = true;
    cio__task_interrupt(task, -ETIMEDOUT);
}

void cio__timeout_recompute(cio_task *task) {
    task->deadline_unwatched = false;
    int64_t earliest = INT64_MAX;
    for (struct cio__timeout_scope *scope = innermost(task); scope;
         scope = visible_outer(task, scope))
        if (scope->deadline < earliest) earliest = scope->deadline;
    task->deadline = earliest;
    cio_loop *loop = task->future.loop;
    task->deadline_timer.fire = fire_deadline;
    if (earliest >= NEVER) {
        cio__timer_stop(loop, &task->deadline_timer);
    } else if (!cio__timer_armed(&task->deadline_timer) || task->deadline_timer.when != earliest) {
        if (cio__timer_start(loop, &task->deadline_timer, earliest) < 0) deadline_unwatched(task);
    }
}

void cio__timeout_mark_fired(cio_task *task) {
    struct cio__timeout_scope *owner = NULL;
    for (struct cio__timeout_scope *scope = innermost(task); scope;
         scope = visible_outer(task, scope))
        if (scope->deadline == task->deadline) owner = scope; /* keep the outermost */
    if (owner) owner->fired = true;
}

static int begin(cio_timeout *timeout, int64_t deadline, bool shield) {
    cio_task *task = cio__task_current_or_complain("cio_timeout_begin");
    if (!task) return -EPERM;
    struct cio__timeout_scope *scope = scope_of(timeout);
    *scope = (struct cio__timeout_scope){SCOPE_MAGIC, false, shield, deadline, task, task->scopes};
    task->scopes = scope;
    cio__timeout_recompute(task);
    return 0;
}

static int begin_after(cio_timeout *timeout, double delay, bool shield) {
    if (!timeout || isnan(delay)) return -EINVAL;
    cio_loop *loop = cio__running_loop;
    if (!loop) return begin(timeout, NEVER, shield); /* complains and refuses */
    return begin(timeout, delay >= 9.0e9 ? NEVER : cio__now(loop) + cio__seconds_to_ns(delay),
                 shield);
}

int cio_timeout_begin(cio_timeout *timeout, double delay) {
    return begin_after(timeout, delay, false);
}

int cio_timeout_begin_shielded(cio_timeout *timeout, double delay) {
    return begin_after(timeout, delay, true);
}

int cio_timeout_begin_at(cio_timeout *timeout, double when) {
    if (!timeout || isnan(when)) return -EINVAL;
    return begin(timeout, cio__seconds_to_ns(when), false);
}

static bool is_open(const struct cio__timeout_scope *scope) {
    return scope && scope->magic == SCOPE_MAGIC && scope->task;
}

int cio_timeout_reschedule(cio_timeout *timeout, double when) {
    struct cio__timeout_scope *scope = scope_of(timeout);
    if (!is_open(scope) || isnan(when)) return -EINVAL;
    if (scope->fired) return -EALREADY; /* level-triggered: it stays expired */
    scope->deadline = cio__seconds_to_ns(when);
    cio__timeout_recompute(scope->task);
    return 0;
}

/* Lowering the wall may expose a due cancellation or an earlier deadline to
 * a task parked inside: the recompute arms the deadline (a past one fires on
 * the next turn), and a cancellation is delivered here. */
int cio_timeout_set_shield(cio_timeout *timeout, bool shield) {
    struct cio__timeout_scope *scope = scope_of(timeout);
    if (!is_open(scope)) return -EINVAL;
    scope->shield = shield;
    cio_task *task = scope->task;
    cio__timeout_recompute(task);
    if (!shield && task->cancel_requests > 0 && !cio__timeout_shielded(task))
        cio__task_interrupt(task, -ECANCELED);
    return 0;
}

bool cio_timeout_shielded(const cio_timeout *timeout) {
    const struct cio__timeout_scope *scope = (const void *)timeout;
    return is_open(scope) && scope->shield;
}

double cio_timeout_when(const cio_timeout *timeout) {
    const struct cio__timeout_scope *scope = (const void *)timeout;
    if (!is_open(scope)) return NAN;
    return scope->deadline >= NEVER ? INFINITY : (double)scope->deadline / 1e9;
}

bool cio_timeout_expired(const cio_timeout *timeout) {
    const struct cio__timeout_scope *scope = (const void *)timeout;
    return scope && scope->magic == SCOPE_MAGIC && scope->fired;
}

/* -EINVAL, with the report that says which rule was broken. */
static int refuse_end(const struct cio__timeout_scope *scope) {
    if (!is_open(scope))
        cio__complain("cio_timeout_end: the scope is not open (ended twice, or never begun)");
    else if (scope->task != cio_current_task())
        cio__complain("cio_timeout_end: the scope belongs to task '%s', not the caller",
                      cio_task_name(scope->task));
    else
        cio__complain("cio_timeout_end: task '%s' ends a scope out of order (an inner scope "
                      "is still open: end scopes innermost first)",
                      cio_task_name(scope->task));
    return -EINVAL;
}

int cio_timeout_end(cio_timeout *timeout) {
    struct cio__timeout_scope *scope = scope_of(timeout);
    if (!is_open(scope) || scope->task != cio_current_task() || scope->task->scopes != scope)
        return refuse_end(scope);
    cio_task *task = scope->task;
    task->scopes = scope->outer;
    scope->task = NULL; /* closed; `fired` stays readable */
    cio__timeout_recompute(task);
    return scope->fired ? -ETIMEDOUT : 0;
}

/* ---- CIO_WITH_TIMEOUT ---------------------------------------------------------- */

cio_timeout *cio_timeout_guard_begin(cio_timeout *timeout, double delay) {
    if (cio_timeout_begin(timeout, delay) < 0 && timeout)
        scope_of(timeout)->magic = 0; /* not open: the end below leaves it alone */
    return timeout;
}

cio_timeout *cio_timeout_guard_end(cio_timeout *timeout) {
    if (is_open(scope_of(timeout))) (void)cio_timeout_end(timeout);
    return NULL;
}

void cio_timeout_guard_cleanup(cio_timeout **guard) {
    if (*guard) cio_timeout_guard_end(*guard);
}
