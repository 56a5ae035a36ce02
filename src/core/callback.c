/* src/core/callback.c - callback records: call_soon, call_later, call_at, and
 * the handles that cancel them.
 *
 * Records come from a per-loop slab of fixed-size chunks, so scheduling a
 * callback allocates only when the slab grows. Chunks are freed only with the
 * loop, which is what makes a stale cio_handle safe: its slot is still a
 * record, and the generation tells whether it is the same one.
 *
 * Each chunk keeps its own free list, and records are taken from one chunk
 * until it is full (the partial list's head). One loop-wide free list would
 * hand records back in the order they were freed: after a million timers
 * fire in deadline order, that is random across the whole slab, and the next
 * million starts took a cache and TLB miss each (2x slower, see
 * bench/results/core.md). Per chunk, the scatter stays within ~22 KiB. */
#include "core/loop.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#define CALLBACKS_PER_CHUNK 256

struct cio__callback_chunk {
    struct cio__callback_chunk *next;         /* the loop's list of every chunk */
    struct cio__callback_chunk *next_partial; /* while free is non-NULL */
    struct cio__callback *free;               /* linked by ready.next */
    struct cio__callback records[CALLBACKS_PER_CHUNK];
};

static void run_callback(struct cio__ready *entry);
static void fire_callback(struct cio__timer *timer);
static void forget_context(struct cio__callback *record);

static struct cio__callback_chunk *chunk_of(struct cio__callback *record) {
    struct cio__callback *first = record - record->slot;
    return (struct cio__callback_chunk *)(void *)((char *)first -
                                                  offsetof(struct cio__callback_chunk, records));
}

static void push_free(struct cio__callback_chunk *chunk, struct cio__callback *record) {
    record->ready.next = chunk->free ? &chunk->free->ready : NULL;
    chunk->free = record;
}

/* What never changes for a slot is set once here: loop, run, slot. */
static bool grow(cio_loop *loop) {
    struct cio__callback_chunk *chunk = calloc(1, sizeof *chunk);
    if (!chunk) return false;
    chunk->next = loop->callback_chunks;
    loop->callback_chunks = chunk;
    for (size_t i = CALLBACKS_PER_CHUNK; i-- > 0;) {
        struct cio__callback *record = &chunk->records[i];
        record->loop = loop;
        record->ready.run = run_callback;
        record->slot = (uint16_t)i;
        push_free(chunk, record);
    }
    chunk->next_partial = loop->partial_chunks;
    loop->partial_chunks = chunk;
    return true;
}

struct cio__callback *cio__callback_alloc(cio_loop *loop) {
    if (!loop->partial_chunks && !grow(loop)) return NULL;
    struct cio__callback_chunk *chunk = loop->partial_chunks;
    struct cio__callback *record = chunk->free;
    struct cio__ready *next_free = record->ready.next;
    if (next_free) {
        chunk->free = cio__container_of(next_free, struct cio__callback, ready);
    } else {
        chunk->free = NULL;
        loop->partial_chunks = chunk->next_partial; /* full now */
    }
    record->future = NULL;
    return record;
}

void cio__callback_free(struct cio__callback *record) {
    struct cio__callback_chunk *chunk = chunk_of(record);
    record->generation++;
    record->state = CIO__CB_FREE;
    if (!chunk->free) {
        chunk->next_partial = record->loop->partial_chunks;
        record->loop->partial_chunks = chunk;
    }
    push_free(chunk, record);
}

/* Queued done-callbacks hold a reference to their future. At close, drop the
 * ones on plain futures (tasks are freed by the loop regardless of counts),
 * and take the listed ones off their futures' lists: the slab goes with the
 * loop, and a future freed later must not reach into it. */
void cio__callback_drop_futures(cio_loop *loop) {
    for (struct cio__callback_chunk *chunk = loop->callback_chunks; chunk; chunk = chunk->next) {
        for (size_t i = 0; i < CALLBACKS_PER_CHUNK; i++) {
            if (chunk->records[i].state == CIO__CB_LISTED) {
                cio__list_remove(&chunk->records[i].link.node);
                chunk->records[i].state = CIO__CB_FREE;
            }
            uint8_t state = chunk->records[i].state;
            if (state == CIO__CB_QUEUED || state == CIO__CB_TIMED || state == CIO__CB_CANCELLED)
                forget_context(&chunk->records[i]);
            cio_future *future = chunk->records[i].future;
            chunk->records[i].future = NULL;
            if (future && !cio__task_of_future(future)) cio_future_unref(future);
        }
    }
}

void cio__callback_slab_free(cio_loop *loop) {
    while (loop->callback_chunks) {
        struct cio__callback_chunk *chunk = loop->callback_chunks;
        loop->callback_chunks = chunk->next;
        free(chunk);
    }
    loop->partial_chunks = NULL;
}

void cio__callback_queue(struct cio__callback *record) {
    record->state = CIO__CB_QUEUED;
    cio__ready_push(&record->loop->ready, &record->ready);
}

static void run_callback(struct cio__ready *entry) {
    struct cio__callback *record = cio__container_of(entry, struct cio__callback, ready);
    if (record->state == CIO__CB_QUEUED) {
        record->state = CIO__CB_FREE; /* ran: its handle can no longer cancel it */
        if (record->future)
            record->done_fn(record->future, record->arg);
        else
            record->fn(record->arg);
    } else {
        forget_context(record); /* cancelled */
    }
    if (record->future) {
        cio_future_unref(record->future);
        record->future = NULL;
    }
    cio__callback_free(record);
}

cio_callback cio__callback_fn_of_entry(struct cio__ready *entry) {
    if (entry->run != run_callback) return NULL;
    struct cio__callback *record = cio__container_of(entry, struct cio__callback, ready);
    if (record->state != CIO__CB_QUEUED) return NULL; /* cancelled: it will not run */
    /* A done-callback's done_fn shares fn's storage: its address, as a name. */
    return record->fn;
}

static void fire_callback(struct cio__timer *timer) {
    cio__callback_queue(cio__container_of(timer, struct cio__callback, timer));
}

/* caller: the public name, for the misuse report of a loop check. */
static int schedule(cio_loop *loop, cio_callback cb, void *arg, cio_handle *handle, bool timed,
                    int64_t when, const char *caller) {
    if (handle) *handle = (cio_handle){0};
    int rc = cio__loop_check(loop, caller);
    if (rc < 0) return rc;
    if (!cb) return -EINVAL;
    struct cio__callback *record = cio__callback_alloc(loop);
    if (!record) return -ENOMEM;
    record->fn = cb;
    record->arg = arg;
    if (!timed) {
        /* Callbacks another thread posted before this one go first, as
         * asyncio keeps one order for both (test_call_soon_threadsafe): one
         * atomic load, a drain only when something is posted. */
        if (atomic_load_explicit(&loop->wakeup_pending, memory_order_acquire))
            cio__wakeup_drain(loop);
        cio__callback_queue(record);
    } else {
        /* A fresh record's timer is not armed: straight into the heap. */
        record->timer.when = when;
        record->timer.fire = fire_callback;
        if (cio__heap_push(&loop->timers, &record->timer) < 0) {
            cio__callback_free(record);
            return -ENOMEM;
        }
        record->state = CIO__CB_TIMED;
    }
    if (handle) *handle = (cio_handle){record, record->generation};
    return 0;
}

int cio_call_soon(cio_loop *loop, cio_callback cb, void *arg, cio_handle *handle) {
    return schedule(loop, cb, arg, handle, false, 0, "cio_call_soon");
}

/* ---- callbacks with a context (call_soon(context=)) -------------------------------------
 *
 * The record stays 88 bytes: such a callback is a plain one whose fn is
 * run_in_context and whose arg is this box (an allocation only for callbacks
 * given a context). A box whose callback never runs is freed by
 * forget_context wherever a record is dropped unrun. */
struct context_call {
    cio_context *context; /* a reference */
    cio_callback fn;
    void *arg;
};

static void *call_boxed(void *arg) {
    struct context_call *call = arg;
    call->fn(call->arg);
    return NULL;
}

static void run_in_context(void *arg) {
    struct context_call *call = arg;
    cio_context_run(call->context, call_boxed, call, NULL);
    cio_context_unref(call->context);
    free(call);
}

static void forget_context(struct cio__callback *record) {
    if (record->future || record->fn != run_in_context) return;
    struct context_call *call = record->arg;
    record->arg = NULL;
    cio_context_unref(call->context);
    free(call);
}

int cio_call_soon_ex(cio_loop *loop, cio_callback cb, void *arg, const cio_callback_options *opts,
                     cio_handle *handle) {
    if (!opts || !opts->context) return schedule(loop, cb, arg, handle, false, 0, "cio_call_soon");
    if (handle) *handle = (cio_handle){0};
    if (!cb || !cio__context_valid(opts->context)) return -EINVAL;
    struct context_call *call = malloc(sizeof *call);
    if (!call) return -ENOMEM;
    *call = (struct context_call){cio_context_ref(opts->context), cb, arg};
    int rc = schedule(loop, run_in_context, call, handle, false, 0, "cio_call_soon_ex");
    if (rc < 0) {
        cio_context_unref(call->context);
        free(call);
    }
    return rc;
}

int cio_call_at(cio_loop *loop, double when, cio_callback cb, void *arg, cio_handle *handle) {
    if (isnan(when)) return -EINVAL;
    return schedule(loop, cb, arg, handle, true, cio__seconds_to_ns(when), "cio_call_at");
}

int cio_call_later(cio_loop *loop, double delay, cio_callback cb, void *arg, cio_handle *handle) {
    if (isnan(delay)) return -EINVAL;
    int rc = cio__loop_check(loop, "cio_call_later"); /* before reading its clock */
    if (rc < 0) {
        if (handle) *handle = (cio_handle){0};
        return rc;
    }
    return schedule(loop, cb, arg, handle, true, cio__now(loop) + cio__seconds_to_ns(delay),
                    "cio_call_later");
}

int cio_handle_cancel(cio_handle handle) {
    struct cio__callback *record = handle.slot;
    if (!record || record->generation != handle.generation) return -EALREADY;
    if (cio__debug_wrong_thread(record->loop, "cio_handle_cancel")) return -EPERM;
    switch (record->state) {
    case CIO__CB_TIMED:
        cio__timer_stop(record->loop, &record->timer);
        forget_context(record);
        cio__callback_free(record);
        return 0;
    case CIO__CB_QUEUED:
        record->state = CIO__CB_CANCELLED; /* skipped and freed when the queue reaches it */
        return 0;
    default:
        return -EALREADY;
    }
}
