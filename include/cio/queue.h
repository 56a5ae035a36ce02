/* cio/queue.h - queues between the tasks of one loop: FIFO, LIFO and
 * priority (asyncio.Queue, LifoQueue, PriorityQueue), with maxsize
 * backpressure, join/task_done and shutdown (asyncio 3.13).
 *
 * Items are void pointers, passed through as they are (NULL is a valid item).
 * The queue never looks inside one (except through a priority queue's
 * comparator) and never frees one, except through the dispose function set
 * with cio_queue_set_dispose(): an item belongs to whoever put it until a
 * get hands it to the getter.
 *
 * Waiting follows cio/sync.h: put and get return 0 or -ECANCELED/-ETIMEDOUT
 * (timeout scopes), and an interrupted waiter loses nothing and takes
 * nothing: a getter interrupted while waiting received no item (the next
 * getter gets it); a putter interrupted while waiting did not put its item
 * (it still owns it). A getter that was handed an item keeps it (its get
 * returns 0) and sees the cancellation at its next await. Blocked getters and
 * putters are served in FIFO order.
 *
 * Loop-local as the primitives of cio/sync.h: bound to the first loop that
 * uses the queue; from another loop or thread, calls return -EPERM with a
 * one-line diagnostic. The _nowait forms, task_done and shutdown also work
 * in loop callbacks; put, get and join need a task. */
#ifndef CIO_QUEUE_H
#define CIO_QUEUE_H

#include "task.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cio_queue cio_queue;

/* Order of a priority queue: < 0 if item a comes out before item b, > 0 if
 * after, 0 if equal. Equal items come out in the order they were put. */
typedef int (*cio_queue_compare)(const void *a, const void *b, void *arg);

/* What the queue does with an item it drops (immediate shutdown, free). */
typedef void (*cio_queue_dispose)(void *item, void *arg);

/* Make an empty queue holding at most maxsize items (0: unbounded). On
 * success *out owns it; free with cio_queue_free(). Returns 0, -EINVAL (NULL
 * out) or -ENOMEM. Any thread (the queue binds to a loop on first use).
 * cio_queue_new is first in, first out; cio_lifo_queue_new last in, first
 * out; cio_priority_queue_new smallest first by compare(a, b, arg) (-EINVAL
 * if compare is NULL). */
CIO_EXPORT int cio_queue_new(size_t maxsize, cio_queue **out);
CIO_EXPORT int cio_lifo_queue_new(size_t maxsize, cio_queue **out);
CIO_EXPORT int cio_priority_queue_new(size_t maxsize, cio_queue_compare compare, void *arg,
                                      cio_queue **out);

/* Set the function that disposes of items the queue drops: those left when
 * cio_queue_shutdown(q, true) or cio_queue_free() runs. Without one (or with
 * NULL) they are simply dropped: fine when the items are not owned or are
 * tracked elsewhere. Returns 0 or -EINVAL. */
CIO_EXPORT int cio_queue_set_dispose(cio_queue *q, cio_queue_dispose dispose, void *arg);

/* Free the queue. Items still in it go to the dispose function; tasks still
 * waiting on it are woken with -CIO_ECLOSED. Call it on the queue's loop
 * thread, or from any thread once no task waits on it. NULL is a no-op. */
CIO_EXPORT void cio_queue_free(cio_queue *q);

/* Put item, waiting while the queue is full. Returns 0 (the queue, or a
 * waiting getter, has it), -CIO_ESHUTDOWN (shut down, before or while
 * waiting: the caller keeps the item), -ECANCELED, -ETIMEDOUT (not put),
 * -ENOMEM (storage could not grow), -CIO_ECLOSED (freed while waiting),
 * -EPERM (outside a task, wrong loop), -EINVAL (NULL q). */
CIO_EXPORT int cio_queue_put(cio_queue *q, void *item);

/* Take the next item into *item, waiting while the queue is empty. Returns
 * 0, -CIO_ESHUTDOWN (shut down and empty: graceful shutdown still lets the
 * remaining items out), -ECANCELED, -ETIMEDOUT (no item taken),
 * -CIO_ECLOSED, -EPERM, -EINVAL (NULL q or item). *item is written only on
 * success. */
CIO_EXPORT int cio_queue_get(cio_queue *q, void **item);

/* Put without waiting: 0, -EAGAIN (full), -CIO_ESHUTDOWN, -ENOMEM, -EPERM
 * (wrong loop/thread), -EINVAL. Tasks and loop callbacks. */
CIO_EXPORT int cio_queue_put_nowait(cio_queue *q, void *item);

/* Get without waiting: 0, -EAGAIN (empty), -CIO_ESHUTDOWN (empty and shut
 * down), -EPERM, -EINVAL. Tasks and loop callbacks. */
CIO_EXPORT int cio_queue_get_nowait(cio_queue *q, void **item);

/* Say that an item taken from the queue has been processed: every put adds
 * one unfinished item, every task_done removes one, and join waits for none
 * to be left. Returns 0, -EOVERFLOW (called more times than items were put;
 * asyncio's ValueError), -EPERM, -EINVAL. Tasks and loop callbacks. */
CIO_EXPORT int cio_queue_task_done(cio_queue *q);

/* Wait until every item put has been marked done. Returns 0 (at once if none
 * is unfinished), -ECANCELED, -ETIMEDOUT, -CIO_ECLOSED, -EPERM, -EINVAL. */
CIO_EXPORT int cio_queue_join(cio_queue *q);

/* Shut the queue down (asyncio 3.13). Later puts return -CIO_ESHUTDOWN; gets
 * do too once the queue is empty. Every blocked putter and getter is woken
 * with -CIO_ESHUTDOWN. immediate: also drop the items still queued (each
 * goes to the dispose function and counts as done, which may release join)
 * so gets fail at once. Calling it again is allowed (immediate then drops
 * what is left). Returns 0, -EPERM, -EINVAL. Tasks and loop callbacks. */
CIO_EXPORT int cio_queue_shutdown(cio_queue *q, bool immediate);

/* Items in the queue now (blocked putters' items not counted); the maxsize
 * given at creation (0: unbounded); whether it is empty; whether it is full
 * (never, when unbounded). 0/true/false for NULL. Read-only, no loop check. */
CIO_EXPORT size_t cio_queue_qsize(const cio_queue *q);
CIO_EXPORT size_t cio_queue_maxsize(const cio_queue *q);
CIO_EXPORT bool cio_queue_empty(const cio_queue *q);
CIO_EXPORT bool cio_queue_full(const cio_queue *q);

#ifdef __cplusplus
}
#endif
#endif
