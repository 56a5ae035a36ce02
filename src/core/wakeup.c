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

/* 0, or -errno if the eventfd could not be written (EAGAIN is no error:
 * the counter is already non-zero, the loop will wake). */
static int wake(cio_loop *loop) {
    uint64_t one = 1;
    int rc = 0;
    /* Tried again: a caller may have no way to repost (a worker thread's
     * result), and an eventfd write has no error that lasts but a bad fd. */
    for (int tries = 0; tries < 3; tries++) {
        if (write(loop->wakeup_fd, &one, sizeof one) >= 0 || errno == EAGAIN) return 0;
        rc = -errno;
    }
    return rc;
}

/* Take item back out of the inbox: true if it was still there (it will not
 * run), false if the loop has taken it already (it will). */
static bool withdraw(cio_loop *loop, struct cio__inbox_item *item) {
    pthread_mutex_lock(&loop->inbox_lock);
    struct cio__inbox_item *prev = NULL, *at = loop->inbox_head;
    while (at && at != item) prev = at, at = at->next;
    if (at) {
        if (prev)
            prev->next = item->next;
        else
            loop->inbox_head = item->next;
        if (loop->inbox_tail == item) loop->inbox_tail = prev;
    }
    pthread_mutex_unlock(&loop->inbox_lock);
    if (at) free(item);
    return at != NULL;
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
        int rc = wake(loop);
        if (rc < 0) {
            /* Left pending, the flag would stop every later post from waking
             * the loop: the loop would sleep on with calls in its inbox. */
            atomic_store(&loop->wakeup_pending, false);
            if (withdraw(loop, item)) return rc;
        }
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
