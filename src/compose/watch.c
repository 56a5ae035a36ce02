/* src/compose/watch.c - one task waiting on many, through done-callbacks.
 *
 * The parked task is recorded in the watch (waiter), not on any list: the
 * callbacks find it there, and its abort only forgets it. */
#include "compose/compose.h"

#include <stdlib.h>

/* The block's memory goes: a handle's into the quarantine, so a stale
 * pointer to it is still reported; anything else straight back to malloc. */
static void release(struct cio__watch *watch) {
    if (watch->retire)
        cio__handle_retire(watch);
    else
        free(watch);
}

static void on_future_done(cio_future *future, void *arg) {
    struct cio__watch *watch = arg;
    watch->armed--;
    if (watch->abandoned) {
        if (watch->armed == 0) release(watch);
        return;
    }
    cio_task *waiter = watch->waiter;
    if (watch->on_done(watch, cio__task_of_future(future)) && waiter) {
        watch->waiter = NULL;
        cio__wake(waiter, 0);
    }
}

void cio__watch_init(struct cio__watch *watch, cio__watch_fn on_done) {
    *watch = (struct cio__watch){.on_done = on_done};
}

int cio__watch_arm(struct cio__watch *watch, cio_task *task) {
    int rc = cio_future_add_done_callback(cio__task_future(task), on_future_done, watch);
    if (rc == 0) watch->armed++;
    return rc;
}

void cio__watch_disarm(struct cio__watch *watch, cio_task *task) {
    if (cio__task_finished(task)) return; /* its callbacks left the list */
    int removed = cio_future_remove_done_callback(cio__task_future(task), on_future_done, watch);
    if (removed > 0) watch->armed -= (size_t)removed;
}

static void abort_watch(cio_task *task) {
    struct cio__watch *watch = cio__wait_owner(task);
    watch->waiter = NULL;
}

int cio__watch_wait(struct cio__watch *watch, cio_task *self) {
    watch->waiter = self;
    cio__wait_tag(self, CIO_WAIT_TASKS, watch);
    return cio__wait(self, abort_watch, watch);
}

void cio__watch_wait_shielded(struct cio__watch *watch, cio_task *self) {
    watch->waiter = self;
    cio__wait_tag(self, CIO_WAIT_TASKS, watch);
    cio__wait_uninterruptible(self, abort_watch, watch);
}

void cio__watch_free(struct cio__watch *watch) {
    if (!watch) return;
    if (watch->armed == 0) {
        release(watch);
        return;
    }
    watch->waiter = NULL;
    watch->abandoned = true;
}
