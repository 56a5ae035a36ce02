/* cio/sync.h - lock, event, condition, semaphore, barrier (asyncio's
 * synchronization primitives, for the tasks of one loop).
 *
 * Storage: each primitive lives in caller-owned, fixed-size storage (a
 * global, a struct member, a task's stack) and is set up by its init
 * function; nothing is allocated, so there is nothing to destroy. Storage
 * that was never initialised (or zeroed) is refused with -EINVAL. Do not
 * copy an initialised primitive (it holds pointers to itself), and let every
 * task waiting on it finish before its storage goes away.
 *
 *     static cio_lock lock;
 *     cio_lock_init(&lock);
 *     ...
 *     if (cio_lock_acquire(&lock) == 0) { ...; cio_lock_release(&lock); }
 *
 * Loop-local: as in asyncio 3.10+, a primitive is bound to the loop that
 * first uses it (a wait, or a change made from code running on a loop).
 * After that, a call from code on another loop or thread returns -EPERM and
 * prints a one-line diagnostic (always on: it costs one thread-local read).
 * The read-only queries (locked, is_set, value...) may be called from
 * anywhere but only see a consistent value on the loop's thread.
 *
 * Waiting: every suspending call here returns 0 (or an index) when it got
 * what it waited for, else -ECANCELED, or -ETIMEDOUT at the deadline of an
 * enclosing timeout scope (cio/timeout.h). A task interrupted while waiting
 * takes nothing and loses nothing: the lock, permit or notification goes to
 * the next waiter instead. One that was already handed what it waited for
 * keeps it (its call returns 0) and sees the cancellation at its next await.
 * Waiters are served first come, first served.
 *
 * From callbacks: the non-blocking forms (try_acquire, release, set, clear,
 * notify, abort, reset...) work in plain loop callbacks too, as in asyncio.
 * The suspending forms need a task and return -EPERM elsewhere. */
#ifndef CIO_SYNC_H
#define CIO_SYNC_H

#include "task.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Lock (asyncio.Lock) ------------------------------------------------------
 * A mutual-exclusion lock with an owner: the task that acquired it, or
 * "callback code" when a plain callback took it with cio_lock_try_acquire().
 * Only the owner may release it (asyncio lets anyone; cio says -EPERM). It is
 * not re-entrant: acquiring a lock you hold is -EDEADLK (asyncio hangs). */
typedef struct cio_lock {
    uint64_t opaque[6];
} cio_lock;

/* Initialise (or re-initialise, when no task waits on it) an unlocked,
 * unbound lock. Returns 0 or -EINVAL (NULL). Any thread. */
CIO_EXPORT int cio_lock_init(cio_lock *lock);

/* Acquire the lock, waiting in FIFO order if it is held. Returns 0 (the
 * caller now owns it), -ECANCELED, -ETIMEDOUT (not acquired), -EDEADLK (the
 * caller already holds it), -EPERM (outside a task, or another loop's lock),
 * -EINVAL (NULL or not initialised). A free lock is taken at once, without
 * suspending and even by a task being cancelled, as in asyncio. */
CIO_EXPORT int cio_lock_acquire(cio_lock *lock);

/* Acquire without waiting. Returns 0, -EAGAIN (held by someone else),
 * -EDEADLK (held by the caller), -EPERM (wrong loop or thread), -EINVAL.
 * Tasks and loop callbacks. */
CIO_EXPORT int cio_lock_try_acquire(cio_lock *lock);

/* Release the lock; the longest waiter, if any, becomes its owner and is
 * woken. Returns 0, -EPERM (the caller does not hold it, it is not locked,
 * or wrong loop/thread), -EINVAL. Tasks and loop callbacks. */
CIO_EXPORT int cio_lock_release(cio_lock *lock);

/* True if the lock is held (false for NULL or uninitialised storage). */
CIO_EXPORT bool cio_lock_locked(const cio_lock *lock);

/* ---- Event (asyncio.Event) ---------------------------------------------------- */
typedef struct cio_event {
    uint64_t opaque[5];
} cio_event;

/* Initialise an unset, unbound event. Returns 0 or -EINVAL. Any thread. */
CIO_EXPORT int cio_event_init(cio_event *event);

/* Set the flag and wake every waiter, in the order they began to wait; they
 * all return 0 even if the event is cleared before they run. Setting a set
 * event does nothing. Returns 0, -EPERM (wrong loop/thread), -EINVAL. Tasks
 * and loop callbacks. */
CIO_EXPORT int cio_event_set(cio_event *event);

/* Reset the flag; later waits suspend until the next set. Returns 0, -EPERM,
 * -EINVAL. Tasks and loop callbacks. */
CIO_EXPORT int cio_event_clear(cio_event *event);

/* True if the flag is set. */
CIO_EXPORT bool cio_event_is_set(const cio_event *event);

/* Return 0 at once if the flag is set, else wait until cio_event_set().
 * Returns 0, -ECANCELED, -ETIMEDOUT, -EPERM (outside a task, wrong loop),
 * -EINVAL. */
CIO_EXPORT int cio_event_wait(cio_event *event);

/* ---- Condition (asyncio.Condition) ---------------------------------------------
 * A condition variable over a cio_lock: its own, or one the caller shares
 * between several conditions. wait, wait_for and notify require the caller
 * to hold that lock (asyncio only checks that it is locked). */
typedef struct cio_condition {
    uint64_t opaque[11];
} cio_condition;

/* Initialise a condition over lock (an initialised cio_lock that must
 * outlive the condition), or over a lock of its own if lock is NULL.
 * Returns 0 or -EINVAL (NULL condition, uninitialised lock). Any thread. */
CIO_EXPORT int cio_condition_init(cio_condition *cond, cio_lock *lock);

/* The condition's lock: as cio_lock_acquire/try_acquire/release/locked. */
CIO_EXPORT int cio_condition_acquire(cio_condition *cond);
CIO_EXPORT int cio_condition_try_acquire(cio_condition *cond);
CIO_EXPORT int cio_condition_release(cio_condition *cond);
CIO_EXPORT bool cio_condition_locked(const cio_condition *cond);

/* Release the lock, wait until notified, then take the lock back. The lock
 * is re-acquired even when the wait is cancelled or times out (shielded, as
 * asyncio does), so on every return below except -EPERM/-EINVAL the caller
 * holds the lock again. Returns 0 (notified), -ECANCELED or -ETIMEDOUT (not
 * notified: the notification went to another waiter), -EPERM (outside a
 * task, wrong loop, lock not held by the caller), -EINVAL. */
CIO_EXPORT int cio_condition_wait(cio_condition *cond);

/* Predicate for cio_condition_wait_for(): true once the awaited state holds.
 * Called with the lock held. */
typedef bool (*cio_predicate)(void *arg);

/* Wait until predicate(arg) is true: checks it first, then after each
 * notification. Returns 0 (it is true, lock held), or the first error of
 * cio_condition_wait() (lock held unless -EPERM/-EINVAL). -EINVAL also for a
 * NULL predicate. */
CIO_EXPORT int cio_condition_wait_for(cio_condition *cond, cio_predicate predicate, void *arg);

/* Wake up to n waiters (n >= 0), longest waiting first; each returns 0 from
 * its wait once it has the lock back. Returns how many were woken, -EPERM
 * (the caller does not hold the lock, wrong loop/thread), -EINVAL (NULL,
 * n < 0). Tasks and loop callbacks (that took the lock with try_acquire). */
CIO_EXPORT int cio_condition_notify(cio_condition *cond, int n);

/* Wake every waiter, in order. Returns how many, or errors as notify. */
CIO_EXPORT int cio_condition_notify_all(cio_condition *cond);

/* ---- Semaphore and BoundedSemaphore (asyncio.Semaphore, BoundedSemaphore) ----- */
typedef struct cio_semaphore {
    uint64_t opaque[6];
} cio_semaphore;

/* Initialise a semaphore with value permits (0..INT_MAX). Returns 0 or
 * -EINVAL (NULL, negative value). Any thread. */
CIO_EXPORT int cio_semaphore_init(cio_semaphore *sem, int value);

/* Initialise a bounded semaphore: a release that would raise the count above
 * the initial value fails with -EOVERFLOW (asyncio's ValueError). */
CIO_EXPORT int cio_bounded_semaphore_init(cio_semaphore *sem, int value);

/* Take a permit, waiting in FIFO order while there is none. Returns 0,
 * -ECANCELED, -ETIMEDOUT (no permit taken), -EPERM (outside a task, wrong
 * loop), -EINVAL. A free permit is taken at once, without suspending. */
CIO_EXPORT int cio_semaphore_acquire(cio_semaphore *sem);

/* Take a permit without waiting: 0, -EAGAIN (none free), -EPERM, -EINVAL.
 * Tasks and loop callbacks. */
CIO_EXPORT int cio_semaphore_try_acquire(cio_semaphore *sem);

/* Give a permit back: to the longest waiter if there is one, else to the
 * count. Any task or callback may release (there is no owner). Returns 0,
 * -EOVERFLOW (bounded: the count is already at its initial value; plain: at
 * INT_MAX), -EPERM (wrong loop/thread), -EINVAL. */
CIO_EXPORT int cio_semaphore_release(cio_semaphore *sem);

/* True if an acquire would have to wait (no permit free). */
CIO_EXPORT bool cio_semaphore_locked(const cio_semaphore *sem);

/* Permits free now (>= 0), or -EINVAL. */
CIO_EXPORT int cio_semaphore_value(const cio_semaphore *sem);

/* ---- Barrier (asyncio.Barrier, 3.11) -------------------------------------------
 * parties tasks meet: each wait returns once the last of them arrives. The
 * barrier then drains: until every released task has resumed, a new arrival
 * waits uncounted, then joins the next round (asyncio's draining state). A
 * waiter that is cancelled or times out leaves the barrier (it no longer
 * counts) without breaking it, as in asyncio. abort() breaks it until
 * reset(). */
typedef struct cio_barrier {
    uint64_t opaque[6];
} cio_barrier;

/* Initialise a barrier for parties tasks (>= 1). Returns 0 or -EINVAL. Any
 * thread. */
CIO_EXPORT int cio_barrier_init(cio_barrier *barrier, int parties);

/* Wait until parties tasks are waiting. Returns this task's arrival index in
 * its round, 0 .. parties-1 (the last to arrive gets parties-1 and returns
 * without suspending; indices are unique even when an earlier waiter left),
 * or -CIO_EBROKEN (broken by abort, or reset while waiting), -ECANCELED,
 * -ETIMEDOUT, -EPERM (outside a task, wrong loop), -EINVAL. */
CIO_EXPORT int cio_barrier_wait(cio_barrier *barrier);

/* Return the barrier to its empty, unbroken state; tasks waiting in it get
 * -CIO_EBROKEN. Returns 0, -EPERM (wrong loop/thread), -EINVAL. Tasks and
 * loop callbacks (asyncio's reset() is a coroutine; here it never waits). */
CIO_EXPORT int cio_barrier_reset(cio_barrier *barrier);

/* Break the barrier: waiting tasks, and every later wait until reset, get
 * -CIO_EBROKEN. Returns 0, -EPERM, -EINVAL. Tasks and loop callbacks. */
CIO_EXPORT int cio_barrier_abort(cio_barrier *barrier);

/* The number of parties; tasks waiting now; whether it is broken. -EINVAL
 * (or false) for NULL or uninitialised storage. */
CIO_EXPORT int cio_barrier_parties(const cio_barrier *barrier);
CIO_EXPORT int cio_barrier_n_waiting(const cio_barrier *barrier);
CIO_EXPORT bool cio_barrier_broken(const cio_barrier *barrier);

#ifdef __cplusplus
}
#endif
#endif
