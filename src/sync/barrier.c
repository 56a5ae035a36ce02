/* src/sync/barrier.c - asyncio.Barrier (3.11).
 *
 * A round fills, then drains. Filling: the waiters list holds this round's
 * arrivals in order; count is its length. The last arrival hands each
 * waiter its index (as its wake status) and the round drains: until every
 * released task has resumed and left (draining counts them down), a new
 * arrival waits in the same list, uncounted, as asyncio's _block() makes it
 * wait - so a task that passes and waits again joins the next round only
 * after the last one is out, and a reset by that last one finds an empty
 * round (CPython's test_reset_barrier_while_tasks_draining). The list holds
 * only blocked arrivals while draining (the round's waiters were all
 * released), so one list serves both.
 *
 * A waiter interrupted before the round completes leaves it (count goes
 * down) and the barrier stays intact, as in asyncio; indices are given out
 * at release time, so they stay unique 0..parties-1 even then. A released
 * task keeps its index even if a reset or a cancellation comes before it
 * resumes (the hand-off rule; asyncio's reset while draining breaks them). */
#include "sync/sync.h"

#include <limits.h>

struct barrier {
    uint32_t magic;
    bool broken;
    int parties;
    int count;     /* tasks waiting in this round */
    int draining;  /* released tasks that have not resumed yet */
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

/* The wake status of an arrival blocked while the barrier drained: try again. */
#define RETRY INT_MAX

/* The last party arrived: release the round, in arrival order; it drains. */
static int trip(struct barrier *barrier) {
    int index = 0;
    cio_task *task;
    while ((task = cio__waitq_pop(&barrier->waiters)) != NULL) cio__wake(task, index++);
    barrier->count = 0;
    barrier->draining = index;
    return index;
}

/* A released task is out: the last one out lets the blocked arrivals in. */
static void leave(struct barrier *barrier) {
    if (--barrier->draining == 0) cio__waitq_wake_all(&barrier->waiters, RETRY);
}

/* Arrive in a filling round: the index, or how the wait ended. */
static int arrive(struct barrier *barrier, cio_task *task) {
    if (barrier->count + 1 == barrier->parties) return trip(barrier);
    barrier->count++;
    cio__wait_tag(task, CIO_WAIT_BARRIER, barrier);
    int rc = cio__waitq_park(&barrier->waiters, task, abort_wait, barrier);
    if (rc >= 0) leave(barrier);
    return rc;
}

int cio_barrier_wait(cio_barrier *handle) {
    struct barrier *barrier = barrier_of(handle);
    if (!barrier) return -EINVAL;
    int rc;
    cio_task *task = cio__sync_task(&barrier->loop, "cio_barrier_wait", &rc);
    if (!task) return rc;
    for (;;) {
        if (barrier->broken) return -CIO_EBROKEN;
        if (barrier->draining == 0) return arrive(barrier, task);
        cio__wait_tag(task, CIO_WAIT_BARRIER, barrier);
        rc = cio__waitq_park(&barrier->waiters, task, NULL, barrier); /* uncounted */
        if (rc < 0) return rc;
    }
}

/* Send every waiter away broken; broken says what state remains. */
static int break_round(cio_barrier *handle, bool broken, const char *name) {
    struct barrier *barrier = barrier_of(handle);
    if (!barrier) return -EINVAL;
    cio_task *caller;
    int rc = cio__sync_enter(&barrier->loop, name, &caller);
    if (rc < 0) return rc;
    barrier->broken = broken;
    /* While draining the list holds only blocked arrivals: a reset leaves
     * them for the next round (asyncio's RESETTING blocks them too); an
     * abort sends them away broken. */
    if (barrier->draining == 0 || broken) cio__waitq_wake_all(&barrier->waiters, -CIO_EBROKEN);
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
