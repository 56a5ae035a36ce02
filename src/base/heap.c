/* src/base/heap.c - the timer heap: 4-ary, ordered by (when, seq).
 *
 * Four children per node instead of two: half the levels, so a fire or a
 * cancel (a sift-down) moves half as many entries, and a start (a sift-up
 * over random deadlines) rarely moves any. Each moved entry costs a write to
 * its timer's index, usually a cache miss, which is what the levels cost. The
 * four children sit side by side, 96 bytes apart at most. (when, seq) is a
 * total order, so the arity changes nothing in the order timers fire. */
#include "base/heap.h"

#include <errno.h>
#include <stdlib.h>

#define ARITY 4

static int before(const struct cio__heap_entry *a, const struct cio__heap_entry *b) {
    return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static void place(struct cio__heap *heap, size_t index, struct cio__heap_entry entry) {
    heap->entries[index] = entry;
    entry.timer->index = index;
}

static void sift_up(struct cio__heap *heap, size_t index, struct cio__heap_entry entry) {
    while (index > 0) {
        size_t parent = (index - 1) / ARITY;
        if (!before(&entry, &heap->entries[parent])) break;
        place(heap, index, heap->entries[parent]);
        index = parent;
    }
    place(heap, index, entry);
}

/* The earliest of index's children, or 0 if it has none. */
static size_t earliest_child(const struct cio__heap *heap, size_t index) {
    size_t first = ARITY * index + 1;
    if (first >= heap->len) return 0;
    size_t end = first + ARITY < heap->len ? first + ARITY : heap->len;
    size_t best = first;
    for (size_t child = first + 1; child < end; child++)
        if (before(&heap->entries[child], &heap->entries[best])) best = child;
    return best;
}

static void sift_down(struct cio__heap *heap, size_t index, struct cio__heap_entry entry) {
    size_t child;
    while ((child = earliest_child(heap, index)) != 0 && before(&heap->entries[child], &entry)) {
        place(heap, index, heap->entries[child]);
        index = child;
    }
    place(heap, index, entry);
}

void cio__heap_free(struct cio__heap *heap) {
    free(heap->entries);
    heap->entries = NULL;
    heap->len = heap->cap = 0;
}

int cio__heap_push(struct cio__heap *heap, struct cio__timer *timer) {
    if (heap->len == heap->cap) {
        size_t cap = heap->cap ? heap->cap * 2 : 64;
        struct cio__heap_entry *grown = realloc(heap->entries, cap * sizeof *grown);
        if (!grown) return -ENOMEM;
        heap->entries = grown;
        heap->cap = cap;
    }
    struct cio__heap_entry entry = {timer->when, heap->next_seq++, timer};
    sift_up(heap, heap->len++, entry);
    return 0;
}

void cio__heap_remove(struct cio__heap *heap, struct cio__timer *timer) {
    size_t index = timer->index;
    timer->index = CIO__NOT_IN_HEAP;
    struct cio__heap_entry last = heap->entries[--heap->len];
    if (index == heap->len) return;
    /* The last entry fills the hole; it may belong above or below it. */
    if (index > 0 && before(&last, &heap->entries[(index - 1) / ARITY]))
        sift_up(heap, index, last);
    else
        sift_down(heap, index, last);
}
