/* src/sync/event.c - asyncio.Event.
 *
 * set() wakes every waiter at once, in the order they began to wait (the
 * ready queue is FIFO, so they also run in that order). A woken waiter
 * returns 0 whatever happens to the flag before it runs, as in asyncio. */
#include "sync/sync.h"

struct event {
    uint32_t magic;
    bool is_set;
    uint64_t loop; /* the bound loop's serial (sync.h), 0: none yet */
    struct cio__waitq waiters;
};
static_assert(sizeof(struct event) <= sizeof(cio_event), "cio_event too small");

static struct event *event_of(const cio_event *handle) {
    struct event *event = (struct event *)(void *)(uintptr_t)handle;
    return event && event->magic == CIO__EVENT_MAGIC ? event : NULL;
}

int cio_event_init(cio_event *handle) {
    if (!handle) return -EINVAL;
    struct event *event = (struct event *)(void *)handle;
    *event = (struct event){.magic = CIO__EVENT_MAGIC};
    cio__waitq_init(&event->waiters);
    return 0;
}

int cio_event_set(cio_event *handle) {
    struct event *event = event_of(handle);
    if (!event) return -EINVAL;
    cio_task *caller;
    int rc = cio__sync_enter(&event->loop, "cio_event_set", &caller);
    if (rc < 0) return rc;
    event->is_set = true;
    cio__waitq_wake_all(&event->waiters, 0); /* empty if it was already set */
    return 0;
}

int cio_event_clear(cio_event *handle) {
    struct event *event = event_of(handle);
    if (!event) return -EINVAL;
    cio_task *caller;
    int rc = cio__sync_enter(&event->loop, "cio_event_clear", &caller);
    if (rc < 0) return rc;
    event->is_set = false;
    return 0;
}

bool cio_event_is_set(const cio_event *handle) {
    const struct event *event = event_of(handle);
    return event && event->is_set;
}

int cio_event_wait(cio_event *handle) {
    struct event *event = event_of(handle);
    if (!event) return -EINVAL;
    int rc;
    cio_task *task = cio__sync_task(&event->loop, "cio_event_wait", &rc);
    if (!task) return rc;
    if (event->is_set) return 0;
    cio__wait_tag(task, CIO_WAIT_EVENT, event);
    return cio__waitq_park(&event->waiters, task, NULL, NULL);
}
