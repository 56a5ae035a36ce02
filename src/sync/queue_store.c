/* src/sync/queue_store.c - where a queue keeps its items: a growable ring
 * (FIFO), a growable stack (LIFO) or a binary min-heap (priority).
 *
 * The heap orders slots by (compare(item), seq): seq is the put order, so
 * items that compare equal come out first in, first out, which a binary heap
 * alone does not guarantee. */
#include "sync/sync.h"

#include <stdlib.h>
#include <string.h>

/* First allocation, in items: small queues fit in one 64-byte line. */
#define INITIAL_CAP 8

static size_t next_cap(const struct cio__queue_store *store, size_t item_size) {
    size_t cap = store->cap ? store->cap : INITIAL_CAP / 2;
    if (cap > SIZE_MAX / 2 / item_size) return 0;
    cap *= 2;
    return cap > store->limit ? store->limit : cap;
}

/* FIFO: the ring may wrap; after growing, move its wrapped-around front part
 * [head, old_cap) to the end of the new array so the order is kept. */
static int grow_ring(struct cio__queue_store *store, size_t cap) {
    void **ring = realloc(store->ring, cap * sizeof *ring);
    if (!ring) return -ENOMEM;
    size_t front = store->cap - store->head;
    if (store->kind == CIO__QUEUE_FIFO && store->len > front) {
        memmove(ring + cap - front, ring + store->head, front * sizeof *ring);
        store->head = cap - front;
    }
    store->ring = ring;
    store->cap = cap;
    return 0;
}

static int grow_heap(struct cio__queue_store *store, size_t cap) {
    struct cio__queue_slot *heap = realloc(store->heap, cap * sizeof *heap);
    if (!heap) return -ENOMEM;
    store->heap = heap;
    store->cap = cap;
    return 0;
}

static int grow(struct cio__queue_store *store) {
    bool heap = store->kind == CIO__QUEUE_PRIORITY;
    size_t cap = next_cap(store, heap ? sizeof *store->heap : sizeof *store->ring);
    if (cap <= store->cap) return -ENOMEM;
    return heap ? grow_heap(store, cap) : grow_ring(store, cap);
}

/* i mod cap, for i < 2 * cap: no division on the hot path. */
static size_t wrap(const struct cio__queue_store *store, size_t i) {
    return i >= store->cap ? i - store->cap : i;
}

static bool before(const struct cio__queue_store *store, const struct cio__queue_slot *a,
                   const struct cio__queue_slot *b) {
    int order = store->compare(a->item, b->item, store->compare_arg);
    return order < 0 || (order == 0 && a->seq < b->seq);
}

static void sift_up(struct cio__queue_store *store, size_t i, struct cio__queue_slot slot) {
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(store, &slot, &store->heap[parent])) break;
        store->heap[i] = store->heap[parent];
        i = parent;
    }
    store->heap[i] = slot;
}

static void sift_down(struct cio__queue_store *store, size_t i, struct cio__queue_slot slot) {
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= store->len) break;
        if (child + 1 < store->len && before(store, &store->heap[child + 1], &store->heap[child]))
            child++;
        if (!before(store, &store->heap[child], &slot)) break;
        store->heap[i] = store->heap[child];
        i = child;
    }
    store->heap[i] = slot;
}

int cio__queue_store_push(struct cio__queue_store *store, void *item) {
    if (store->len == store->cap) {
        int rc = grow(store);
        if (rc < 0) return rc;
    }
    size_t at = store->len++;
    if (store->kind == CIO__QUEUE_PRIORITY)
        sift_up(store, at, (struct cio__queue_slot){item, store->next_seq++});
    else if (store->kind == CIO__QUEUE_FIFO)
        store->ring[wrap(store, store->head + at)] = item;
    else
        store->ring[at] = item;
    return 0;
}

void *cio__queue_store_pop(struct cio__queue_store *store) {
    store->len--;
    if (store->kind == CIO__QUEUE_LIFO) return store->ring[store->len];
    if (store->kind == CIO__QUEUE_PRIORITY) {
        void *item = store->heap[0].item;
        if (store->len > 0) sift_down(store, 0, store->heap[store->len]);
        return item;
    }
    void *item = store->ring[store->head];
    store->head = wrap(store, store->head + 1);
    return item;
}

void cio__queue_store_free(struct cio__queue_store *store) {
    free(store->ring);
    free(store->heap);
    store->ring = NULL;
    store->heap = NULL;
    store->len = store->cap = store->head = 0;
}
