/* src/sync/waiters.c - the waiter-list helpers every primitive shares. */
#include "sync/sync.h"

void cio__sync_unhook(cio_task *task) {
    cio__list_remove(&task->wait_link.node);
}

int cio__sync_wake_all(struct cio__list *waiters, int status) {
    int woken = 0;
    cio_task *task;
    while ((task = cio__sync_first(waiters)) != NULL) {
        cio__wake(task, status);
        woken++;
    }
    return woken;
}
