/* src/core/wakeup.c - everything that crosses threads: the inbox that
 * cio_call_soon_threadsafe() fills and the eventfd that wakes the poller.
 *
 * Senders append under inbox_lock and write the eventfd only when no wake-up
 * is already pending; the loop clears wakeup_pending *before* taking the
 * inbox, so a sender that arrives in between always writes again. */
#include "core/loop.h"

#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct cio__inbox_item {
    struct cio__inbox_item *next;
    cio_callback fn;
    void *arg;
};

int cio__wakeup_init(cio_loop *loop) {
    loop->wakeup_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (loop->wakeup_fd < 0) return -errno;
    pthread_mutex_init(&loop->inbox_lock, NULL);
    atomic_init(&loop->wakeup_pending, false);
    return loop->poller_ops->arm(loop->poller, loop->wakeup_fd, CIO__READABLE, true);
}

/* Detach everything posted so far, oldest first. */
static struct cio__inbox_item *take_inbox(cio_loop *loop) {
    pthread_mutex_lock(&loop->inbox_lock);
    struct cio__inbox_item *item = loop->inbox_head;
    loop->inbox_head = loop->inbox_tail = NULL;
    pthread_mutex_unlock(&loop->inbox_lock);
    return item;
}

void cio__wakeup_close(cio_loop *loop) {
    struct cio__inbox_item *item = take_inbox(loop);
    while (item) {
        struct cio__inbox_item *next = item->next;
        free(item);
        item = next;
    }
    if (loop->wakeup_fd >= 0) close(loop->wakeup_fd);
    loop->wakeup_fd = -1;
    pthread_mutex_destroy(&loop->inbox_lock);
}

int cio_call_soon_threadsafe(cio_loop *loop, cio_callback cb, void *arg) {
    if (!loop || loop->head.magic != CIO__LOOP_MAGIC || !cb) return -EINVAL;
    if (loop->head.closed) return -CIO_ECLOSED;
    /* On the loop's own thread it is cio_call_soon: queued in order with
     * the callbacks scheduled before and after it, no inbox, no malloc. */
    if (cio__running_loop == loop) return cio_call_soon(loop, cb, arg, NULL);
    struct cio__inbox_item *item = malloc(sizeof *item);
    if (!item) return -ENOMEM;
    *item = (struct cio__inbox_item){NULL, cb, arg};
    pthread_mutex_lock(&loop->inbox_lock);
    if (loop->inbox_tail)
        loop->inbox_tail->next = item;
    else
        loop->inbox_head = item;
    loop->inbox_tail = item;
    pthread_mutex_unlock(&loop->inbox_lock);
    if (!atomic_exchange(&loop->wakeup_pending, true)) {
        uint64_t one = 1;
        ssize_t written = write(loop->wakeup_fd, &one, sizeof one);
        (void)written; /* EAGAIN: the counter is already non-zero, the loop will wake */
    }
    return 0;
}

/* On the loop thread: move the inbox onto the ready queue, in order. */
void cio__wakeup_drain(cio_loop *loop) {
    uint64_t count;
    ssize_t got = read(loop->wakeup_fd, &count, sizeof count);
    (void)got;
    atomic_store(&loop->wakeup_pending, false);
    struct cio__inbox_item *item = take_inbox(loop);
    while (item) {
        struct cio__inbox_item *next = item->next;
        struct cio__callback *record = cio__callback_alloc(loop);
        if (record) {
            record->fn = item->fn;
            record->arg = item->arg;
            cio__callback_queue(record);
        } else {
            item->fn(item->arg); /* no memory for a record: run it now rather than lose it */
        }
        free(item);
        item = next;
    }
    loop->poller_ops->arm(loop->poller, loop->wakeup_fd, CIO__READABLE, false);
}
