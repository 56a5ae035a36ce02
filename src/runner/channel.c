/* src/runner/channel.c - cio_channel: a bounded FIFO between loops.
 *
 * Everything in the channel is under its mutex: the ring, the closed flag and
 * two lists of parked tasks (senders waiting for room, receivers waiting for
 * an item). A parked task's record lives on its own stack. Whoever serves a
 * waiter (a send to a parked receiver, a receive that frees room for a
 * parked sender, a close) unlinks it and fills in its outcome under the
 * lock, then, after unlocking, posts a wake-up to the waiter's loop. From the
 * unlink on, the waiter is no longer interruptible for that wait (the
 * hand-off rule): it waits for the wake-up, which is the last touch of its
 * record, and returns the outcome. A waiter interrupted while still listed
 * unlinks itself and has given or taken nothing. */
#include "core/core.h"
#include "cio/channel.h"
#include "runner/crossing.h"

#include <pthread.h>
#include <stdlib.h>

#define CHANNEL_MAGIC 0x63696f68u /* "cioh" */

struct waiter {
    struct waiter *next, *prev;
    bool listed; /* under the channel's lock */
    cio_loop *loop;
    cio_event woken;          /* the waiter's loop: set by the wake-up */
    struct cio__post wake_up; /* the wake-up's inbox record */
    void *item;               /* a sender's item; the item handed to a receiver */
    int status;               /* 0: served; -CIO_ECLOSED: the channel closed */
};

struct waiters {
    struct waiter *first, *last;
};

struct cio_channel {
    uint32_t magic;
    pthread_mutex_t lock;
    bool closed;
    void **ring;
    size_t capacity, head, count;
    struct waiters senders, receivers;
};

/* ---- the parts under the lock ----------------------------------------------------- */

static void append(struct waiters *list, struct waiter *waiter) {
    waiter->next = NULL;
    waiter->prev = list->last;
    if (list->last)
        list->last->next = waiter;
    else
        list->first = waiter;
    list->last = waiter;
    waiter->listed = true;
}

static void unlink_waiter(struct waiters *list, struct waiter *waiter) {
    if (waiter->prev)
        waiter->prev->next = waiter->next;
    else
        list->first = waiter->next;
    if (waiter->next)
        waiter->next->prev = waiter->prev;
    else
        list->last = waiter->prev;
    waiter->listed = false;
}

static struct waiter *pop(struct waiters *list) {
    struct waiter *waiter = list->first;
    if (waiter) unlink_waiter(list, waiter);
    return waiter;
}

static void ring_push(cio_channel *channel, void *item) {
    channel->ring[(channel->head + channel->count++) % channel->capacity] = item;
}

static void *ring_pop(cio_channel *channel) {
    void *item = channel->ring[channel->head];
    channel->head = (channel->head + 1) % channel->capacity;
    channel->count--;
    return item;
}

/* ---- waking, after the lock is released ------------------------------------------- */

static void on_woken(void *arg) {
    struct waiter *waiter = arg;
    cio_event_set(&waiter->woken);
}

/* The waiter waits for exactly this post: retry while memory is short. */
static void wake(struct waiter *waiter) {
    cio__post_owed_record(waiter->loop, &waiter->wake_up, on_woken, waiter);
}

static void wake_all(struct waiter *waiter) {
    while (waiter) {
        struct waiter *next = waiter->next; /* waiter may be gone once woken */
        wake(waiter);
        waiter = next;
    }
}

/* ---- waiting ---------------------------------------------------------------------- */

/* Park the calling task on list (the lock is held, and released here) until
 * served or interrupted. Returns the outcome: 0, -CIO_ECLOSED, or the
 * interrupt if it came while still listed (nothing given or taken). */
static int park_listed(cio_channel *channel, struct waiters *list, struct waiter *waiter) {
    waiter->loop = cio_get_running_loop();
    cio_event_init(&waiter->woken);
    append(list, waiter);
    pthread_mutex_unlock(&channel->lock);
    int rc = cio_event_wait(&waiter->woken);
    if (rc == 0) return waiter->status;
    pthread_mutex_lock(&channel->lock);
    bool listed = waiter->listed;
    if (listed) unlink_waiter(list, waiter);
    pthread_mutex_unlock(&channel->lock);
    if (listed) return rc;
    cio__event_wait_shielded(&waiter->woken); /* served meanwhile: its outcome stands */
    return waiter->status;
}

/* park_listed, shown by introspection as a channel wait, with the caller's
 * frames pinned: the waiter is usually on its stack, and other threads write
 * it while it waits (a compact task's frames must stay on its shared stack
 * meanwhile: core.h). */
static int park(cio_channel *channel, struct waiters *list, struct waiter *waiter) {
    cio_task *task = cio__task_current();
    struct cio__wait_label label;
    cio__wait_label_begin(task, &label, CIO_WAIT_CHANNEL, channel, NULL);
    if (task) cio__task_pin_stack(task);
    int rc = park_listed(channel, list, waiter);
    if (task) cio__task_unpin_stack(task);
    cio__wait_label_end(task, &label);
    return rc;
}

/* ---- the API ---------------------------------------------------------------------- */

/* A live channel; NULL, with a report naming caller, for a stale handle
 * (a channel freed into the quarantine, core/handle.c). */
static cio_channel *valid(const cio_channel *channel, const char *caller) {
    return cio__handle_check(channel, CHANNEL_MAGIC, "channel", caller) == 0
               ? (cio_channel *)channel
               : NULL;
}

int cio_channel_new(size_t capacity, cio_channel **out) {
    if (out) *out = NULL;
    if (!out || capacity == 0 || capacity > SIZE_MAX / sizeof(void *)) return -EINVAL;
    cio_channel *channel = calloc(1, sizeof *channel);
    void **ring = malloc(capacity * sizeof *ring);
    if (!channel || !ring) {
        free(channel);
        free(ring);
        return -ENOMEM;
    }
    channel->magic = CHANNEL_MAGIC;
    channel->ring = ring;
    channel->capacity = capacity;
    pthread_mutex_init(&channel->lock, NULL);
    *out = channel;
    return 0;
}

/* Send without waiting, the lock held (and released here). -EAGAIN: full. */
static int send_now(cio_channel *channel, void *item) {
    if (channel->closed) {
        pthread_mutex_unlock(&channel->lock);
        return -CIO_ECLOSED;
    }
    struct waiter *receiver = pop(&channel->receivers);
    if (receiver) { /* then the ring is empty: hand the item over */
        receiver->item = item;
        receiver->status = 0;
        pthread_mutex_unlock(&channel->lock);
        wake(receiver);
        return 0;
    }
    if (channel->count == channel->capacity) return -EAGAIN; /* still locked */
    ring_push(channel, item);
    pthread_mutex_unlock(&channel->lock);
    return 0;
}

/* Receive without waiting, the lock held (and released here). -EAGAIN: empty. */
static int receive_now(cio_channel *channel, void **item) {
    if (channel->count == 0)
        return channel->closed ? (pthread_mutex_unlock(&channel->lock), -CIO_ECLOSED) : -EAGAIN;
    *item = ring_pop(channel);
    struct waiter *sender = pop(&channel->senders);
    if (sender) { /* room now: the longest-waiting sender's item goes in */
        ring_push(channel, sender->item);
        sender->status = 0;
    }
    pthread_mutex_unlock(&channel->lock);
    if (sender) wake(sender);
    return 0;
}

int cio_channel_try_send(cio_channel *handle, void *item) {
    cio_channel *channel = valid(handle, __func__);
    if (!channel) return -EINVAL;
    pthread_mutex_lock(&channel->lock);
    int rc = send_now(channel, item);
    if (rc == -EAGAIN) pthread_mutex_unlock(&channel->lock);
    return rc;
}

int cio_channel_try_receive(cio_channel *handle, void **item) {
    cio_channel *channel = valid(handle, __func__);
    if (!channel || !item) return -EINVAL;
    pthread_mutex_lock(&channel->lock);
    int rc = receive_now(channel, item);
    if (rc == -EAGAIN) pthread_mutex_unlock(&channel->lock);
    return rc;
}

int cio_channel_send(cio_channel *handle, void *item) {
    cio_channel *channel = valid(handle, __func__);
    if (!channel) return -EINVAL;
    if (!cio_current_task()) return -EPERM;
    pthread_mutex_lock(&channel->lock);
    int rc = send_now(channel, item);
    if (rc != -EAGAIN) return rc;
    struct waiter waiter = {.item = item};
    return park(channel, &channel->senders, &waiter);
}

int cio_channel_receive(cio_channel *handle, void **item) {
    cio_channel *channel = valid(handle, __func__);
    if (!channel || !item) return -EINVAL;
    *item = NULL;
    if (!cio_current_task()) return -EPERM;
    pthread_mutex_lock(&channel->lock);
    int rc = receive_now(channel, item);
    if (rc != -EAGAIN) return rc;
    struct waiter waiter = {0};
    rc = park(channel, &channel->receivers, &waiter);
    if (rc == 0) *item = waiter.item;
    return rc;
}

size_t cio_channel_size(const cio_channel *handle) {
    cio_channel *channel = valid(handle, __func__);
    if (!channel) return 0;
    pthread_mutex_lock(&channel->lock);
    size_t count = channel->count;
    pthread_mutex_unlock(&channel->lock);
    return count;
}

/* Detach list, marking every waiter served with -CIO_ECLOSED. */
static struct waiter *detach_closed(struct waiters *list) {
    struct waiter *first = list->first;
    for (struct waiter *waiter = first; waiter; waiter = waiter->next) {
        waiter->listed = false;
        waiter->status = -CIO_ECLOSED;
    }
    list->first = list->last = NULL;
    return first;
}

int cio_channel_close(cio_channel *handle) {
    cio_channel *channel = valid(handle, __func__);
    if (!channel) return -EINVAL;
    pthread_mutex_lock(&channel->lock);
    if (channel->closed) {
        pthread_mutex_unlock(&channel->lock);
        return -CIO_ECLOSED;
    }
    channel->closed = true;
    struct waiter *senders = detach_closed(&channel->senders);
    struct waiter *receivers = detach_closed(&channel->receivers); /* the ring is empty */
    pthread_mutex_unlock(&channel->lock);
    wake_all(senders);
    wake_all(receivers);
    return 0;
}

void cio_channel_free(cio_channel *handle) {
    cio_channel *channel = valid(handle, __func__);
    if (!channel) return;
    pthread_mutex_destroy(&channel->lock);
    free(channel->ring);
    cio__handle_retire(channel); /* a stale handle is reported (core/handle.c) */
}
