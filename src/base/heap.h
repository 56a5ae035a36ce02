/* src/base/heap.h - the timer min-heap (4-ary), ordered by (when, seq).
 *
 * Entries carry their key beside the timer pointer so that sifting compares
 * within the array and touches a timer only to update its index. seq breaks
 * ties so timers with equal deadlines fire in the order they were started. */
#ifndef CIO_BASE_HEAP_H
#define CIO_BASE_HEAP_H

#include <stddef.h>
#include <stdint.h>

#define CIO__NOT_IN_HEAP SIZE_MAX

struct cio__timer {
    int64_t when; /* deadline, loop time in nanoseconds */
    size_t index; /* position in the heap, CIO__NOT_IN_HEAP when not armed */
    void (*fire)(struct cio__timer *timer);
};

struct cio__heap_entry {
    int64_t when;
    uint64_t seq;
    struct cio__timer *timer;
};

struct cio__heap {
    struct cio__heap_entry *entries;
    size_t len, cap;
    uint64_t next_seq;
};

void cio__heap_free(struct cio__heap *heap);
/* Arm timer at its `when`. Returns 0 or -ENOMEM (only when the array grows). */
int cio__heap_push(struct cio__heap *heap, struct cio__timer *timer);
void cio__heap_remove(struct cio__heap *heap, struct cio__timer *timer);
/* The earliest timer, or NULL. */
static inline struct cio__timer *cio__heap_top(const struct cio__heap *heap) {
    return heap->len ? heap->entries[0].timer : NULL;
}
static inline void cio__timer_init(struct cio__timer *timer, void (*fire)(struct cio__timer *)) {
    timer->when = 0;
    timer->index = CIO__NOT_IN_HEAP;
    timer->fire = fire;
}
static inline int cio__timer_armed(const struct cio__timer *timer) {
    return timer->index != CIO__NOT_IN_HEAP;
}

#endif
