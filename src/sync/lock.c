/* src/sync/lock.c - asyncio.Lock, with an owner and FIFO hand-off.
 *
 * Release never frees a lock that has waiters: it makes the longest waiter
 * the owner and wakes it, so a task that calls acquire later cannot overtake
 * the queue (asyncio gets the same order by re-checking its waiters list). */
#include "sync/sync.h"

int cio_lock_init(cio_lock *handle) {
    if (!handle) return -EINVAL;
    struct cio__lock *lock = (struct cio__lock *)(void *)handle;
    *lock = (struct cio__lock){.magic = CIO__LOCK_MAGIC};
    cio__waitq_init(&lock->waiters);
    return 0;
}

static void take(struct cio__lock *lock, cio_task *owner) {
    lock->held = true;
    lock->owner = owner;
}

int cio__lock_acquire(struct cio__lock *lock, cio_task *task) {
    if (!lock->held) { /* then nobody waits either: see sync.h */
        take(lock, task);
        return 0;
    }
    cio__wait_tag(task, CIO_WAIT_LOCK, lock);
    return cio__waitq_park(&lock->waiters, task, NULL, NULL);
}

void cio__lock_release(struct cio__lock *lock) {
    cio_task *next = cio__waitq_pop(&lock->waiters);
    if (!next) {
        lock->held = false;
        lock->owner = NULL;
        return;
    }
    take(lock, next); /* hand-off: next owns it before it even runs */
    cio__wake(next, 0);
}

int cio_lock_acquire(cio_lock *handle) {
    struct cio__lock *lock = cio__lock_of(handle);
    if (!lock) return -EINVAL;
    int rc;
    cio_task *task = cio__sync_task(&lock->loop, "cio_lock_acquire", &rc);
    if (!task) return rc;
    if (cio__lock_owned_by(lock, task)) return -EDEADLK;
    return cio__lock_acquire(lock, task);
}

int cio_lock_try_acquire(cio_lock *handle) {
    struct cio__lock *lock = cio__lock_of(handle);
    if (!lock) return -EINVAL;
    cio_task *caller;
    int rc = cio__sync_enter(&lock->loop, "cio_lock_try_acquire", &caller);
    if (rc < 0) return rc;
    if (!lock->held) {
        take(lock, caller);
        return 0;
    }
    return lock->owner == caller ? -EDEADLK : -EAGAIN;
}

int cio_lock_release(cio_lock *handle) {
    struct cio__lock *lock = cio__lock_of(handle);
    if (!lock) return -EINVAL;
    cio_task *caller;
    int rc = cio__sync_enter(&lock->loop, "cio_lock_release", &caller);
    if (rc < 0) return rc;
    if (!cio__lock_owned_by(lock, caller)) return -EPERM;
    cio__lock_release(lock);
    return 0;
}

bool cio_lock_locked(const cio_lock *handle) {
    const struct cio__lock *lock = cio__lock_of(handle);
    return lock && lock->held;
}
