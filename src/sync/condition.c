/* src/sync/condition.c - asyncio.Condition over a cio lock.
 *
 * wait() releases the lock, parks until notified, then takes the lock back
 * inside a shield: even a cancelled or timed-out waiter returns holding the
 * lock, as asyncio's finally-clause re-acquire guarantees. notify() hands the
 * notification over (unhook + wake with 0) before the waiter runs, so a
 * waiter cancelled afterwards still returns 0 and the notification is not
 * lost; one cancelled before was unhooked, so notify() skips it and wakes the
 * next waiter instead. */
#include "sync/sync.h"

#include <limits.h>

struct condition {
    uint32_t magic;
    uint64_t loop;          /* the bound loop's serial (sync.h), 0: none yet */
    struct cio__lock *lock; /* own_lock, or the caller's */
    struct cio__waitq waiters;
    cio_lock own_lock;
};
static_assert(sizeof(struct condition) <= sizeof(cio_condition), "cio_condition too small");

static struct condition *condition_of(const cio_condition *handle) {
    struct condition *cond = (struct condition *)(void *)(uintptr_t)handle;
    return cond && cond->magic == CIO__CONDITION_MAGIC ? cond : NULL;
}

int cio_condition_init(cio_condition *handle, cio_lock *lock) {
    if (!handle || (lock && !cio__lock_of(lock))) return -EINVAL;
    struct condition *cond = (struct condition *)(void *)handle;
    *cond = (struct condition){.magic = CIO__CONDITION_MAGIC};
    cio__waitq_init(&cond->waiters);
    if (!lock) {
        lock = &cond->own_lock;
        cio_lock_init(lock);
    }
    cond->lock = cio__lock_of(lock);
    return 0;
}

/* The public handle of the condition's lock (the impl lives at its start). */
static cio_lock *lock_handle(const struct condition *cond) {
    return (cio_lock *)(void *)cond->lock;
}

int cio_condition_acquire(cio_condition *handle) {
    struct condition *cond = condition_of(handle);
    return cond ? cio_lock_acquire(lock_handle(cond)) : -EINVAL;
}

int cio_condition_try_acquire(cio_condition *handle) {
    struct condition *cond = condition_of(handle);
    return cond ? cio_lock_try_acquire(lock_handle(cond)) : -EINVAL;
}

int cio_condition_release(cio_condition *handle) {
    struct condition *cond = condition_of(handle);
    return cond ? cio_lock_release(lock_handle(cond)) : -EINVAL;
}

bool cio_condition_locked(const cio_condition *handle) {
    const struct condition *cond = condition_of(handle);
    return cond && cond->lock->held;
}

/* One wait, lock held by task on entry and on return. */
static int wait_notified(struct condition *cond, cio_task *task) {
    cio__lock_release(cond->lock);
    cio__wait_tag(task, CIO_WAIT_CONDITION, cond);
    int rc = cio__waitq_park(&cond->waiters, task, NULL, NULL);
    cio__uninterruptible_begin(task);
    cio__lock_acquire(cond->lock, task);
    cio__uninterruptible_end(task);
    return rc;
}

/* The task that may wait: inside a task, on cond's loop, holding the lock. */
static cio_task *waiter(struct condition *cond, const char *name, int *rc) {
    cio_task *task = cio__sync_task(&cond->loop, name, rc);
    if (task && !cio__lock_owned_by(cond->lock, task)) {
        *rc = -EPERM;
        return NULL;
    }
    return task;
}

int cio_condition_wait(cio_condition *handle) {
    struct condition *cond = condition_of(handle);
    if (!cond) return -EINVAL;
    int rc;
    cio_task *task = waiter(cond, "cio_condition_wait", &rc);
    return task ? wait_notified(cond, task) : rc;
}

int cio_condition_wait_for(cio_condition *handle, cio_predicate predicate, void *arg) {
    struct condition *cond = condition_of(handle);
    if (!cond || !predicate) return -EINVAL;
    int rc;
    cio_task *task = waiter(cond, "cio_condition_wait_for", &rc);
    if (!task) return rc;
    while (!predicate(arg)) {
        rc = wait_notified(cond, task);
        if (rc < 0) return rc;
    }
    return 0;
}

int cio_condition_notify(cio_condition *handle, int n) {
    struct condition *cond = condition_of(handle);
    if (!cond || n < 0) return -EINVAL;
    cio_task *caller;
    int rc = cio__sync_enter(&cond->loop, "cio_condition_notify", &caller);
    if (rc < 0) return rc;
    if (!cio__lock_owned_by(cond->lock, caller)) return -EPERM;
    int woken = 0;
    cio_task *task;
    while (woken < n && (task = cio__waitq_pop(&cond->waiters)) != NULL) {
        cio__wake(task, 0);
        woken++;
    }
    return woken;
}

int cio_condition_notify_all(cio_condition *handle) {
    return cio_condition_notify(handle, INT_MAX);
}
