/* src/sync/barrier.c - asyncio.Barrier (3.11).
 *
 * The waiters list holds this round's arrivals in order; count is its
 * length. The last arrival hands each waiter its index (as its wake status)
 * and starts the next round at once: asyncio's "draining" state, which
 * blocks new arrivals until the released tasks have left, is not needed
 * because a released task already holds its result. A waiter interrupted
 * before the round completes leaves it (count goes down) and the barrier
 * stays intact, as in asyncio; indices are given out at release time, so
 * they stay unique 0..parties-1 even then. */
#include "sync/sync.h"

struct barrier {
    uint32_t magic;
    bool broken;
    int parties;
    int count;     /* tasks waiting in this round */
    uint64_t loop; /* the bound loop's serial (sync.h), 0: none yet */
    struct cio__waitq waiters;
};
static_assert(sizeof(struct barrier) <= sizeof(cio_barrier), "cio_barrier too small");

static struct barrier *barrier_of(const cio_barrier *handle) {
    struct barrier *barrier = (struct barrier *)(void *)(uintptr_t)handle;
    return barrier && barrier->magic == CIO__BARRIER_MAGIC ? barrier : NULL;
}

int cio_barrier_init(cio_barrier *handle, int parties) {
    if (!handle || parties < 1) return -EINVAL;
    struct barrier *barrier = (struct barrier *)(void *)handle;
    *barrier = (struct barrier){.magic = CIO__BARRIER_MAGIC, .parties = parties};
    cio__waitq_init(&barrier->waiters);
    return 0;
}

static void abort_wait(cio_task *task) {
    struct barrier *barrier = cio__wait_owner(task);
    cio__waitq_unhook(task);
    barrier->count--;
}

/* The last party arrived: release the round, in arrival order. */
static int trip(struct barrier *barrier) {
    int index = 0;
    cio_task *task;
    while ((task = cio__waitq_pop(&barrier->waiters)) != NULL) cio__wake(task, index++);
    barrier->count = 0;
    return index;
}

int cio_barrier_wait(cio_barrier *handle) {
    struct barrier *barrier = barrier_of(handle);
    if (!barrier) return -EINVAL;
    int rc;
    cio_task *task = cio__sync_task(&barrier->loop, "cio_barrier_wait", &rc);
    if (!task) return rc;
    if (barrier->broken) return -CIO_EBROKEN;
    if (barrier->count + 1 == barrier->parties) return trip(barrier);
    barrier->count++;
    cio__wait_tag(task, CIO_WAIT_BARRIER, barrier);
    return cio__waitq_park(&barrier->waiters, task, abort_wait, barrier);
}

/* Send every waiter away broken; broken says what state remains. */
static int break_round(cio_barrier *handle, bool broken, const char *name) {
    struct barrier *barrier = barrier_of(handle);
    if (!barrier) return -EINVAL;
    cio_task *caller;
    int rc = cio__sync_enter(&barrier->loop, name, &caller);
    if (rc < 0) return rc;
    barrier->broken = broken;
    cio__waitq_wake_all(&barrier->waiters, -CIO_EBROKEN);
    barrier->count = 0;
    return 0;
}

int cio_barrier_reset(cio_barrier *handle) {
    return break_round(handle, false, "cio_barrier_reset");
}
int cio_barrier_abort(cio_barrier *handle) {
    return break_round(handle, true, "cio_barrier_abort");
}

int cio_barrier_parties(const cio_barrier *handle) {
    const struct barrier *barrier = barrier_of(handle);
    return barrier ? barrier->parties : -EINVAL;
}

int cio_barrier_n_waiting(const cio_barrier *handle) {
    const struct barrier *barrier = barrier_of(handle);
    return barrier ? barrier->count : -EINVAL;
}

bool cio_barrier_broken(const cio_barrier *handle) {
    const struct barrier *barrier = barrier_of(handle);
    return barrier && barrier->broken;
}
