/* src/sync/sync.h - what the synchronization primitives and queues share:
 * loop binding, parking a task on a waiter list, waking waiters, the lock
 * (which conditions build on) and the queues' item storage.
 *
 * Every primitive keeps its waiters on a core wait queue (cio__waitq) and
 * follows the hand-off rule of docs/internals.md: whoever wakes a waiter first
 * gives it what it waited for (the lock, a permit, an item, its barrier
 * index), then unhooks it (cio__waitq_pop) and calls cio__wake(task, status). From then on the
 * task is no longer interruptible for that wait, so nothing given is lost. An
 * interrupted waiter's abort hook only unhooks it (and fixes counts), so it
 * takes nothing. Invariants that follow, used as fast paths: a free lock has
 * no waiters; a semaphore with permits has no waiters; a queue with waiting
 * getters is empty, one with waiting putters is full. */
#ifndef CIO_SYNC_SYNC_H
#define CIO_SYNC_SYNC_H

#include "core/core.h"

#include <assert.h>

/* Magic numbers: which primitive an initialised storage holds. */
#define CIO__LOCK_MAGIC      0x63696f4bu /* "cioK" */
#define CIO__EVENT_MAGIC     0x63696f45u /* "cioE" */
#define CIO__CONDITION_MAGIC 0x63696f43u /* "cioC" */
#define CIO__SEMAPHORE_MAGIC 0x63696f4du /* "cioM" */
#define CIO__BARRIER_MAGIC   0x63696f42u /* "cioB" */
#define CIO__QUEUE_MAGIC     0x63696f51u /* "cioQ" */

/* Bind a primitive to the loop running on this thread (NULL: none) on first
 * use, as asyncio's _LoopBoundMixin does, and refuse every other loop or
 * thread afterwards. An unbound primitive used outside any loop stays unbound
 * (setting an event before the loop runs is fine). *bound holds the loop's
 * serial, 0 while unbound: a loop made later at a freed loop's address is
 * still another loop. Returns 0 or -EPERM. */
static inline int cio__sync_bind(uint64_t *bound, const cio_loop *running, const char *caller) {
    uint64_t serial = running ? cio__loop_serial(running) : 0;
    if (*bound == serial) return 0;
    if (!*bound) {
        *bound = serial;
        return 0;
    }
    cio__complain("%s: used from another loop or thread; cio's primitives and queues are "
                  "loop-local (bound to the loop that first used them)",
                  caller);
    return -EPERM;
}

/* The running task, bound to obj's loop: NULL after a diagnostic (outside a
 * task, or another loop's primitive); *rc says which error. */
static inline cio_task *cio__sync_task(uint64_t *bound, const char *caller, int *rc) {
    cio_loop *running = cio__running_loop; /* the common case first: bound to it, in a task */
    cio_task *task = running ? cio__loop_current(running) : NULL;
    if (__builtin_expect(task && *bound == cio__loop_serial(running), 1)) {
        *rc = 0;
        return task;
    }
    task = cio__task_current_or_complain(caller);
    *rc = -EPERM;
    if (!task || cio__sync_bind(bound, cio__task_loop(task), caller) < 0) return NULL;
    *rc = 0;
    return task;
}

/* For the non-blocking forms (tasks and callbacks): bind to the running loop.
 * *caller gets the calling task, NULL for callback code. 0 or -EPERM. */
static inline int cio__sync_enter(uint64_t *bound, const char *name, cio_task **caller) {
    cio_loop *running = cio__running_loop;
    *caller = running ? cio__loop_current(running) : NULL;
    return cio__sync_bind(bound, running, name);
}

/* ---- the lock (lock.c), shared with conditions ---------------------------------- */

/* held with owner NULL: held by callback code (a plain loop callback). */
struct cio__lock {
    uint32_t magic;
    bool held;
    uint64_t loop; /* the bound loop's serial (sync.h), 0: none yet */
    cio_task *owner;
    struct cio__waitq waiters;
};
static_assert(sizeof(struct cio__lock) <= sizeof(cio_lock), "cio_lock too small");

static inline struct cio__lock *cio__lock_of(const cio_lock *lock) {
    struct cio__lock *impl = (struct cio__lock *)(void *)(uintptr_t)lock;
    return impl && impl->magic == CIO__LOCK_MAGIC ? impl : NULL;
}

/* True if the calling code (task, or NULL for callback code) holds lock. */
static inline bool cio__lock_owned_by(const struct cio__lock *lock, const cio_task *caller) {
    return lock->held && lock->owner == caller;
}

/* Acquire for task, already checked and bound: 0 or an interrupt. */
int cio__lock_acquire(struct cio__lock *lock, cio_task *task);
/* Release a lock the caller holds: hand it to the longest waiter. */
void cio__lock_release(struct cio__lock *lock);

/* ---- queue storage (queue_store.c): a ring, a stack or a binary heap ------------ */

enum cio__queue_kind { CIO__QUEUE_FIFO, CIO__QUEUE_LIFO, CIO__QUEUE_PRIORITY };

/* A heap entry: seq (put order) breaks ties, so equal items stay FIFO. */
struct cio__queue_slot {
    void *item;
    uint64_t seq;
};

/* Items in put order (FIFO: ring from head; LIFO: stack, head stays 0), or a
 * min-heap of slots (PRIORITY). cap grows by doubling, never past limit
 * (maxsize, or SIZE_MAX when unbounded), and never shrinks: a queue that held
 * N items keeps room for N. */
struct cio__queue_store {
    uint8_t kind;
    size_t len, cap, head, limit;
    void **ring;                  /* FIFO, LIFO */
    struct cio__queue_slot *heap; /* PRIORITY */
    uint64_t next_seq;
    cio_queue_compare compare;
    void *compare_arg;
};

/* Add an item: 0, or -ENOMEM if storage had to grow and could not. Cannot
 * fail when len < cap (e.g. right after a pop). */
int cio__queue_store_push(struct cio__queue_store *store, void *item);
/* Remove the next item; len must be > 0. */
void *cio__queue_store_pop(struct cio__queue_store *store);
void cio__queue_store_free(struct cio__queue_store *store);

#endif
