/* src/sync/semaphore.c - asyncio.Semaphore and BoundedSemaphore.
 *
 * value counts free permits. release() hands its permit straight to the
 * longest waiter when there is one (value stays 0), so value > 0 implies
 * nobody waits, and a task that arrives later cannot overtake the queue. */
#include "sync/sync.h"

#include <limits.h>

struct semaphore {
    uint32_t magic;
    bool bounded;
    int value;
    int bound;     /* bounded: the initial value, which release may not exceed */
    uint64_t loop; /* the bound loop's serial (sync.h), 0: none yet */
    struct cio__waitq waiters;
};
static_assert(sizeof(struct semaphore) <= sizeof(cio_semaphore), "cio_semaphore too small");

static struct semaphore *semaphore_of(const cio_semaphore *handle) {
    struct semaphore *sem = (struct semaphore *)(void *)(uintptr_t)handle;
    return sem && sem->magic == CIO__SEMAPHORE_MAGIC ? sem : NULL;
}

static int init(cio_semaphore *handle, int value, bool bounded) {
    if (!handle || value < 0) return -EINVAL;
    struct semaphore *sem = (struct semaphore *)(void *)handle;
    *sem = (struct semaphore){.magic = CIO__SEMAPHORE_MAGIC,
                              .bounded = bounded,
                              .value = value,
                              .bound = bounded ? value : INT_MAX};
    cio__waitq_init(&sem->waiters);
    return 0;
}

int cio_semaphore_init(cio_semaphore *handle, int value) {
    return init(handle, value, false);
}
int cio_bounded_semaphore_init(cio_semaphore *handle, int value) {
    return init(handle, value, true);
}

int cio_semaphore_acquire(cio_semaphore *handle) {
    struct semaphore *sem = semaphore_of(handle);
    if (!sem) return -EINVAL;
    int rc;
    cio_task *task = cio__sync_task(&sem->loop, "cio_semaphore_acquire", &rc);
    if (!task) return rc;
    if (sem->value > 0) {
        sem->value--;
        return 0;
    }
    cio__wait_tag(task, CIO_WAIT_SEMAPHORE, sem);
    return cio__waitq_park(&sem->waiters, task, NULL, NULL);
}

int cio_semaphore_try_acquire(cio_semaphore *handle) {
    struct semaphore *sem = semaphore_of(handle);
    if (!sem) return -EINVAL;
    cio_task *caller;
    int rc = cio__sync_enter(&sem->loop, "cio_semaphore_try_acquire", &caller);
    if (rc < 0) return rc;
    if (sem->value == 0) return -EAGAIN;
    sem->value--;
    return 0;
}

int cio_semaphore_release(cio_semaphore *handle) {
    struct semaphore *sem = semaphore_of(handle);
    if (!sem) return -EINVAL;
    cio_task *caller;
    int rc = cio__sync_enter(&sem->loop, "cio_semaphore_release", &caller);
    if (rc < 0) return rc;
    cio_task *next = cio__waitq_pop(&sem->waiters);
    if (next) { /* hand-off: next has its permit before it runs */
        cio__wake(next, 0);
        return 0;
    }
    if (sem->value >= sem->bound) return -EOVERFLOW;
    sem->value++;
    return 0;
}

bool cio_semaphore_locked(const cio_semaphore *handle) {
    const struct semaphore *sem = semaphore_of(handle);
    return sem && sem->value == 0;
}

int cio_semaphore_value(const cio_semaphore *handle) {
    const struct semaphore *sem = semaphore_of(handle);
    return sem ? sem->value : -EINVAL;
}
