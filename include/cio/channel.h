/* cio/channel.h - a queue between loops: tasks on any loop of the process
 * send and receive, and plain threads may too without waiting.
 *
 *     cio_channel *jobs;
 *     cio_channel_new(64, &jobs);                // before the loops start
 *     // on loop 0:                     // on every other loop:
 *     cio_channel_send(jobs, job);      void *job;
 *                                       while (cio_channel_receive(jobs, &job) == 0) run(job);
 *     cio_channel_close(jobs);          // receivers drain it, then get -CIO_ECLOSED
 *
 * cio_queue (cio/queue.h) is bound to one loop and costs no lock; a channel
 * takes a mutex on every operation and wakes a task on another loop through
 * that loop's cio_call_soon_threadsafe inbox, so keep it for work that
 * crosses loops (cio/cores.h).
 *
 * Items are pointers the channel does not own: what a receiver gets is what a
 * sender put, in the order sends completed (FIFO). The hand-off rule of the
 * loop-local primitives holds: an item given to a waiting receiver is that
 * receiver's even if it is cancelled right after (it returns 0 with the item
 * and sees the cancel at its next await), so nothing sent is lost.
 *
 * All functions may be called from any thread; those that wait only inside a
 * task. NULL handles give -EINVAL. */
#ifndef CIO_CHANNEL_H
#define CIO_CHANNEL_H

#include "task.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cio_channel cio_channel;

/* Make an open, empty channel holding up to capacity items (>= 1). *out gets
 * the caller's handle. Returns 0, -EINVAL (capacity 0, NULL out), -ENOMEM. */
CIO_EXPORT int cio_channel_new(size_t capacity, cio_channel **out);

/* Put item, suspending the calling task while the channel is full. Returns
 * 0; -CIO_ECLOSED if the channel is closed (before or while waiting: the item
 * was not sent); -ECANCELED / -ETIMEDOUT (not sent); -EPERM outside a task;
 * -EINVAL. */
CIO_EXPORT int cio_channel_send(cio_channel *channel, void *item);

/* Take the oldest item into *item, suspending the calling task while the
 * channel is empty. Returns 0; -CIO_ECLOSED once the channel is closed and
 * empty (items sent before the close are still received); -ECANCELED /
 * -ETIMEDOUT (nothing taken); -EPERM outside a task; -EINVAL. */
CIO_EXPORT int cio_channel_receive(cio_channel *channel, void **item);

/* Without waiting, from any thread or task: 0, -EAGAIN (full / empty),
 * -CIO_ECLOSED, -EINVAL. */
CIO_EXPORT int cio_channel_try_send(cio_channel *channel, void *item);
CIO_EXPORT int cio_channel_try_receive(cio_channel *channel, void **item);

/* Items in the channel now (a snapshot when other threads use it). 0 for NULL. */
CIO_EXPORT size_t cio_channel_size(const cio_channel *channel);

/* Close the channel: waiting and later senders get -CIO_ECLOSED, receivers
 * drain what is left and then get -CIO_ECLOSED. Returns 0, -CIO_ECLOSED if
 * already closed, -EINVAL. */
CIO_EXPORT int cio_channel_close(cio_channel *channel);

/* Free the channel. Nobody may be using it or waiting on it: close it and let
 * every sender and receiver return first. Items still inside are not freed
 * (they are the caller's). NULL is a no-op. */
CIO_EXPORT void cio_channel_free(cio_channel *channel);

#ifdef __cplusplus
}
#endif

#endif
