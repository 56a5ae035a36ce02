/* src/core/callback.c - callback records: call_soon, call_later, call_at, and
 * the handles that cancel them.
 *
 * Records come from a per-loop slab of fixed-size chunks with a free list, so
 * scheduling a callback allocates only when the slab grows. Chunks are freed
 * only with the loop, which is what makes a stale cio_handle safe: its slot
 * is still a record, and the generation tells whether it is the same one. */
#include "core/core.h"

#include <math.h>
#include <stdlib.h>

#define CALLBACKS_PER_CHUNK 256

struct cio__callback_chunk {
    struct cio__callback_chunk *next;
    struct cio__callback records[CALLBACKS_PER_CHUNK];
};

static void run_callback(struct cio__ready *entry);
static void fire_callback(struct cio__timer *timer);

static bool grow(cio_loop *loop) {
    struct cio__callback_chunk *chunk = calloc(1, sizeof *chunk);
    if (!chunk) return false;
    chunk->next = loop->callback_chunks;
    loop->callback_chunks = chunk;
    for (size_t i = CALLBACKS_PER_CHUNK; i-- > 0;) {
        chunk->records[i].next_free = loop->free_callbacks;
        loop->free_callbacks = &chunk->records[i];
    }
    return true;
}

struct cio__callback *cio__callback_alloc(cio_loop *loop) {
    if (!loop->free_callbacks && !grow(loop)) return NULL;
    struct cio__callback *record = loop->free_callbacks;
    loop->free_callbacks = record->next_free;
    uint64_t generation = record->generation;
    *record = (struct cio__callback){.loop = loop, .generation = generation};
    record->ready.run = run_callback;
    cio__timer_init(&record->timer, fire_callback);
    return record;
}

void cio__callback_free(struct cio__callback *record) {
    cio_loop *loop = record->loop;
    record->generation++;
    record->state = CIO__CB_FREE;
    record->next_free = loop->free_callbacks;
    loop->free_callbacks = record;
}

/* Queued done-callbacks hold a reference to their future. At close, drop the
 * ones on plain futures (tasks are freed by the loop regardless of counts). */
void cio__callback_drop_futures(cio_loop *loop) {
    for (struct cio__callback_chunk *chunk = loop->callback_chunks; chunk; chunk = chunk->next) {
        for (size_t i = 0; i < CALLBACKS_PER_CHUNK; i++) {
            cio_future *future = chunk->records[i].future;
            chunk->records[i].future = NULL;
            if (future && !cio__task_of_future(future)) cio_future_release(future);
        }
    }
}

void cio__callback_slab_free(cio_loop *loop) {
    while (loop->callback_chunks) {
        struct cio__callback_chunk *chunk = loop->callback_chunks;
        loop->callback_chunks = chunk->next;
        free(chunk);
    }
    loop->free_callbacks = NULL;
}

void cio__callback_queue(struct cio__callback *record) {
    record->state = CIO__CB_QUEUED;
    cio__ready_push(&record->loop->ready, &record->ready);
}

static void run_callback(struct cio__ready *entry) {
    struct cio__callback *record = cio__container_of(entry, struct cio__callback, ready);
    if (record->state == CIO__CB_QUEUED) {
        record->state = CIO__CB_FREE; /* ran: its handle can no longer cancel it */
        if (record->done_fn)
            record->done_fn(record->future, record->arg);
        else
            record->fn(record->arg);
    }
    if (record->future) {
        cio_future_release(record->future);
        record->future = NULL;
    }
    cio__callback_free(record);
}

static void fire_callback(struct cio__timer *timer) {
    cio__callback_queue(cio__container_of(timer, struct cio__callback, timer));
}

static int schedule(cio_loop *loop, cio_callback cb, void *arg, cio_handle *handle, bool timed,
                    int64_t when) {
    if (handle) *handle = (cio_handle){0};
    int rc = cio__loop_check(loop, "cio_call_soon");
    if (rc < 0) return rc;
    if (!cb) return -EINVAL;
    struct cio__callback *record = cio__callback_alloc(loop);
    if (!record) return -ENOMEM;
    record->fn = cb;
    record->arg = arg;
    if (!timed) {
        cio__callback_queue(record);
    } else if (cio__timer_start(loop, &record->timer, when) < 0) {
        cio__callback_free(record);
        return -ENOMEM;
    } else {
        record->state = CIO__CB_TIMED;
    }
    if (handle) *handle = (cio_handle){record, record->generation};
    return 0;
}

int cio_call_soon(cio_loop *loop, cio_callback cb, void *arg, cio_handle *handle) {
    return schedule(loop, cb, arg, handle, false, 0);
}

int cio_call_at(cio_loop *loop, double when, cio_callback cb, void *arg, cio_handle *handle) {
    if (isnan(when)) return -EINVAL;
    return schedule(loop, cb, arg, handle, true, cio__seconds_to_ns(when));
}

int cio_call_later(cio_loop *loop, double delay, cio_callback cb, void *arg, cio_handle *handle) {
    if (isnan(delay)) return -EINVAL;
    if (!loop || loop->magic != CIO__LOOP_MAGIC) return -EINVAL;
    return schedule(loop, cb, arg, handle, true, cio__now(loop) + cio__seconds_to_ns(delay));
}

int cio_handle_cancel(cio_handle handle) {
    struct cio__callback *record = handle.slot;
    if (!record || record->generation != handle.generation) return -EALREADY;
    switch (record->state) {
    case CIO__CB_TIMED:
        cio__timer_stop(record->loop, &record->timer);
        cio__callback_free(record);
        return 0;
    case CIO__CB_QUEUED:
        record->state = CIO__CB_CANCELLED; /* skipped and freed when the queue reaches it */
        return 0;
    default:
        return -EALREADY;
    }
}
