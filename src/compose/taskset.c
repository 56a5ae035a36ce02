/* src/compose/taskset.c - a set of task pointers, to find a task listed
 * twice in O(n): open addressing with linear probing in memory the caller
 * provides (one allocation per gather, not one per task). */
#include "compose/compose.h"

static size_t slot_count(size_t n) {
    size_t count = 4;
    while (count < 2 * n) count *= 2; /* load factor <= 1/2: short probes */
    return count;
}

size_t cio__taskset_bytes(size_t n) {
    return slot_count(n) * sizeof(cio_task *);
}

void cio__taskset_init(struct cio__taskset *set, void *memory, size_t n) {
    set->slots = memory;
    set->mask = slot_count(n) - 1;
}

/* Tasks are calloc'd, so their addresses share low zero bits: drop them,
 * then let a multiplicative hash spread the rest over the table. */
static size_t hash(const cio_task *task) {
    uint64_t bits = (uint64_t)(uintptr_t)task >> 4;
    return (size_t)((bits * 0x9e3779b97f4a7c15u) >> 17);
}

bool cio__taskset_add(struct cio__taskset *set, cio_task *task) {
    size_t i = hash(task) & set->mask;
    while (set->slots[i]) {
        if (set->slots[i] == task) return false;
        i = (i + 1) & set->mask;
    }
    set->slots[i] = task;
    return true;
}

cio_task *cio__taskset_next(const struct cio__taskset *set, size_t *cursor) {
    while (*cursor <= set->mask) {
        cio_task *task = set->slots[(*cursor)++];
        if (task) return task;
    }
    return NULL;
}
