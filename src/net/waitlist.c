/* src/net/waitlist.c - tasks parked until an object's state changes (a
 * stream drains or closes, a server frees a connection slot or closes).
 *
 * The one wait primitive's pattern: the task's own wait_link goes on the
 * object's list, abort unhooks it, and a waker unhooks before waking, so a
 * woken task is never on a list. Waiters re-check their condition when they
 * resume; a wake only says "look again". */
#include "net/net.h"

static void abort_park(cio_task *task) {
    cio__list_remove(&task->wait_link.node);
}

int cio__net_park(cio_task *task, struct cio__list *list) {
    task->wait_link.kind = CIO__LINK_TASK;
    task->wait_object = list;
    cio__list_push_back(list, &task->wait_link.node);
    return cio__wait(task, abort_park);
}

void cio__net_wake_all(struct cio__list *list, int status) {
    struct cio__list *node;
    while ((node = cio__list_pop_front(list)) != NULL)
        cio__wake(cio__container_of(node, cio_task, wait_link.node), status);
}

/* As cio__task_interrupt, but with a status of our own and regardless of
 * shields: closing an object is not a cancellation, and a shielded task
 * waiting on a closed socket would otherwise wait forever. */
void cio__net_interrupt(cio_task *task, int status) {
    if (!task || !task->wait_abort) return;
    task->wait_abort(task);
    cio__wake(task, status);
}
