/* src/sync/queue.c - asyncio.Queue, LifoQueue and PriorityQueue, with
 * join/task_done and shutdown (3.13).
 *
 * Hand-off (see sync.h): a put that finds getters waiting (so the queue is
 * empty) gives its item straight to the longest one, through the getter's
 * wait item (cio__wait_item); a get that frees room while putters wait (so the queue was
 * full) moves the longest putter's item, kept in its wait item, into the
 * queue. Either way the woken task's operation is complete before it runs,
 * so an interrupt that comes later cannot lose the item, and an interrupted
 * waiter was unhooked before anything was given to it.
 *
 * unfinished counts items that entered the queue (or went straight to a
 * getter) and have not been marked done: asyncio's _unfinished_tasks. */
#include "sync/sync.h"

#include <stdlib.h>

struct cio_queue {
    uint32_t magic;
    bool shutdown;
    uint64_t loop;  /* the bound loop's serial (sync.h), 0: none yet */
    size_t maxsize; /* 0: unbounded */
    size_t unfinished;
    struct cio__queue_store store;
    cio_queue_dispose dispose; /* NULL: dropped items are just forgotten */
    void *dispose_arg;
    struct cio__waitq getters, putters, joiners;
};

/* A live queue; false, with a report naming caller, for a stale handle. */
static bool valid(const cio_queue *q, const char *caller) {
    return cio__handle_check(q, CIO__QUEUE_MAGIC, "queue", caller) == 0;
}
static bool full(const cio_queue *q) {
    return q->maxsize && q->store.len >= q->maxsize;
}

static int make(uint8_t kind, size_t maxsize, cio_queue_compare compare, void *arg,
                cio_queue **out) {
    if (!out) return -EINVAL;
    *out = NULL;
    cio_queue *q = calloc(1, sizeof *q);
    if (!q) return -ENOMEM;
    q->magic = CIO__QUEUE_MAGIC;
    q->maxsize = maxsize;
    q->store = (struct cio__queue_store){.kind = kind,
                                         .limit = maxsize ? maxsize : SIZE_MAX,
                                         .compare = compare,
                                         .compare_arg = arg};
    cio__waitq_init(&q->getters);
    cio__waitq_init(&q->putters);
    cio__waitq_init(&q->joiners);
    *out = q;
    return 0;
}

int cio_queue_new(size_t maxsize, cio_queue **out) {
    return make(CIO__QUEUE_FIFO, maxsize, NULL, NULL, out);
}

int cio_lifo_queue_new(size_t maxsize, cio_queue **out) {
    return make(CIO__QUEUE_LIFO, maxsize, NULL, NULL, out);
}

int cio_priority_queue_new(size_t maxsize, cio_queue_compare compare, void *arg, cio_queue **out) {
    if (!compare) {
        if (out) *out = NULL;
        return -EINVAL;
    }
    return make(CIO__QUEUE_PRIORITY, maxsize, compare, arg, out);
}

int cio_queue_set_dispose(cio_queue *q, cio_queue_dispose dispose, void *arg) {
    if (!valid(q, __func__)) return -EINVAL;
    cio_task *caller;
    int rc = cio__sync_enter(&q->loop, "cio_queue_set_dispose", &caller);
    if (rc < 0) return rc;
    q->dispose = dispose;
    q->dispose_arg = arg;
    return 0;
}

/* Drop every queued item into dispose; each counts as done (asyncio). */
static void drop_items(cio_queue *q) {
    while (q->store.len > 0) {
        void *item = cio__queue_store_pop(&q->store);
        if (q->dispose) q->dispose(item, q->dispose_arg);
        if (q->unfinished > 0) q->unfinished--;
    }
    if (q->unfinished == 0) cio__waitq_wake_all(&q->joiners, 0);
}

void cio_queue_free(cio_queue *q) {
    if (!valid(q, __func__)) return;
    bool waited_on = !cio__waitq_empty(&q->getters) || !cio__waitq_empty(&q->putters) ||
                     !cio__waitq_empty(&q->joiners);
    cio_task *caller;
    if (waited_on && cio__sync_enter(&q->loop, "cio_queue_free", &caller) < 0)
        return; /* leak it rather than touch another thread's tasks */
    cio__waitq_wake_all(&q->getters, -CIO_ECLOSED);
    cio__waitq_wake_all(&q->putters, -CIO_ECLOSED); /* their items are still theirs */
    cio__waitq_wake_all(&q->joiners, -CIO_ECLOSED);
    drop_items(q);
    cio__queue_store_free(&q->store);
    cio__handle_retire(q); /* a stale handle is reported (core/handle.c) */
}

/* ---- putting and getting ------------------------------------------------------ */

/* Add item to a queue that is not full: to the longest getter if one waits. */
static int offer(cio_queue *q, void *item) {
    cio_task *getter = cio__waitq_pop(&q->getters);
    if (getter) {
        cio__wait_set_item(getter, item);
        cio__wake(getter, 0);
    } else {
        int rc = cio__queue_store_push(&q->store, item);
        if (rc < 0) return rc;
    }
    q->unfinished++;
    return 0;
}

/* Remove the next item from a non-empty queue; admit the longest putter. */
static void *take(cio_queue *q) {
    void *item = cio__queue_store_pop(&q->store);
    cio_task *putter = cio__waitq_pop(&q->putters);
    if (putter) {
        (void)cio__queue_store_push(&q->store, cio__wait_item(putter)); /* room: just popped */
        q->unfinished++;
        cio__wake(putter, 0);
    }
    return item;
}

int cio_queue_put(cio_queue *q, void *item) {
    if (!valid(q, __func__)) return -EINVAL;
    int rc;
    cio_task *task = cio__sync_task(&q->loop, "cio_queue_put", &rc);
    if (!task) return rc;
    if (q->shutdown) return -CIO_ESHUTDOWN;
    if (!full(q)) return offer(q, item);
    cio__wait_set_item(task, item); /* a get that frees room takes it from here */
    cio__wait_tag(task, CIO_WAIT_QUEUE_PUT, q);
    return cio__waitq_park(&q->putters, task, NULL, NULL);
}

int cio_queue_get(cio_queue *q, void **item) {
    if (!valid(q, __func__) || !item) return -EINVAL;
    int rc;
    cio_task *task = cio__sync_task(&q->loop, "cio_queue_get", &rc);
    if (!task) return rc;
    if (q->store.len > 0) {
        *item = take(q);
        return 0;
    }
    if (q->shutdown) return -CIO_ESHUTDOWN;
    cio__wait_tag(task, CIO_WAIT_QUEUE_GET, q);
    rc = cio__waitq_park(&q->getters, task, NULL, NULL);
    if (rc == 0) *item = cio__wait_item(task); /* what the putter handed over */
    return rc;
}

int cio_queue_put_nowait(cio_queue *q, void *item) {
    if (!valid(q, __func__)) return -EINVAL;
    cio_task *caller;
    int rc = cio__sync_enter(&q->loop, "cio_queue_put_nowait", &caller);
    if (rc < 0) return rc;
    if (q->shutdown) return -CIO_ESHUTDOWN;
    return full(q) ? -EAGAIN : offer(q, item);
}

int cio_queue_get_nowait(cio_queue *q, void **item) {
    if (!valid(q, __func__) || !item) return -EINVAL;
    cio_task *caller;
    int rc = cio__sync_enter(&q->loop, "cio_queue_get_nowait", &caller);
    if (rc < 0) return rc;
    if (q->store.len == 0) return q->shutdown ? -CIO_ESHUTDOWN : -EAGAIN;
    *item = take(q);
    return 0;
}

/* ---- join, task_done, shutdown ---------------------------------------------------- */

int cio_queue_task_done(cio_queue *q) {
    if (!valid(q, __func__)) return -EINVAL;
    cio_task *caller;
    int rc = cio__sync_enter(&q->loop, "cio_queue_task_done", &caller);
    if (rc < 0) return rc;
    if (q->unfinished == 0) return -EOVERFLOW;
    if (--q->unfinished == 0) cio__waitq_wake_all(&q->joiners, 0);
    return 0;
}

int cio_queue_join(cio_queue *q) {
    if (!valid(q, __func__)) return -EINVAL;
    int rc;
    cio_task *task = cio__sync_task(&q->loop, "cio_queue_join", &rc);
    if (!task) return rc;
    if (q->unfinished == 0) return 0;
    cio__wait_tag(task, CIO_WAIT_QUEUE_JOIN, q);
    return cio__waitq_park(&q->joiners, task, NULL, NULL);
}

int cio_queue_shutdown(cio_queue *q, bool immediate) {
    if (!valid(q, __func__)) return -EINVAL;
    cio_task *caller;
    int rc = cio__sync_enter(&q->loop, "cio_queue_shutdown", &caller);
    if (rc < 0) return rc;
    q->shutdown = true;
    if (immediate) drop_items(q);
    /* Getters wait only on an empty queue, so none of them can be served. */
    cio__waitq_wake_all(&q->getters, -CIO_ESHUTDOWN);
    cio__waitq_wake_all(&q->putters, -CIO_ESHUTDOWN);
    return 0;
}

/* ---- queries ------------------------------------------------------------------------ */

size_t cio_queue_qsize(const cio_queue *q) {
    return valid(q, __func__) ? q->store.len : 0;
}
size_t cio_queue_maxsize(const cio_queue *q) {
    return valid(q, __func__) ? q->maxsize : 0;
}
bool cio_queue_empty(const cio_queue *q) {
    return !valid(q, __func__) || q->store.len == 0;
}
bool cio_queue_full(const cio_queue *q) {
    return valid(q, __func__) && full(q);
}
