/* src/core/waitq.c - wait queues: tasks parked on an object, first come
 * first served, and the typed slots a waiter and its waker share.
 *
 * The pattern every parking primitive follows: the task's own wait link goes
 * on the object's queue, an interrupt's abort unhooks it, and a waker
 * unhooks before it wakes, so a woken task is on no queue and nothing can
 * interrupt it out of what it was given (docs/internals.md, "hand-off"). */
#include "core/task.h"

static cio_task *task_of(struct cio__list *node) {
    return cio__container_of(node, cio_task, wait.link.node);
}

void cio__waitq_unhook(cio_task *task) {
    if (!task->wait.queue) return;
    cio__list_remove(&task->wait.link.node);
    task->wait.queue = NULL;
}

static void abort_unhook(cio_task *task) {
    cio__waitq_unhook(task);
}

int cio__waitq_park(struct cio__waitq *q, cio_task *task, void (*abort)(cio_task *task),
                    void *owner) {
    task->wait.link.kind = CIO__LINK_TASK;
    task->wait.queue = q;
    cio__list_push_back(&q->links, &task->wait.link.node);
    return cio__wait(task, abort ? abort : abort_unhook, owner);
}

cio_task *cio__waitq_first(struct cio__waitq *q) {
    return cio__list_empty(&q->links) ? NULL : task_of(q->links.next);
}

cio_task *cio__waitq_next(struct cio__waitq *q, cio_task *task) {
    struct cio__list *node = task->wait.link.node.next;
    return node == &q->links ? NULL : task_of(node);
}

cio_task *cio__waitq_pop_first(struct cio__waitq *q) {
    struct cio__list *node = cio__list_pop_front(&q->links);
    if (!node) return NULL;
    cio_task *task = task_of(node);
    task->wait.queue = NULL;
    return task;
}

bool cio__waitq_wake_first(struct cio__waitq *q, int status) {
    cio_task *task = cio__waitq_pop(q);
    if (task) cio__wake(task, status);
    return task != NULL;
}

int cio__waitq_wake_all(struct cio__waitq *q, int status) {
    int woken = 0;
    while (cio__waitq_wake_first(q, status)) woken++;
    return woken;
}

void cio__wait_set_item(cio_task *task, void *item) {
    task->wait.item = item;
}

void *cio__wait_item(const cio_task *task) {
    return task->wait.item;
}

void cio__wait_set_mask(cio_task *task, uint64_t mask) {
    task->wait.mask = mask;
}

uint64_t cio__wait_mask(const cio_task *task) {
    return task->wait.mask;
}
