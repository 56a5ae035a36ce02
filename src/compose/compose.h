/* src/compose/compose.h - what the compose files share: the watch (one task
 * waiting on many through done-callbacks), input checks, and a task set.
 *
 * Why done-callbacks: a task waits on one thing at a time through its own
 * wait record (core.h), so waiting on many needs records of its own. A
 * done-callback record comes from the loop's slab (no malloc) and runs in
 * completion order, which is exactly what gather, wait, as_completed and
 * task groups need. */
#ifndef CIO_COMPOSE_COMPOSE_H
#define CIO_COMPOSE_COMPOSE_H

#include "core/core.h"

struct cio__watch;

/* Called when a watched task has finished (its done-callback runs). Returns
 * true to wake the task parked in cio__watch_wait(), if any. */
typedef bool (*cio__watch_fn)(struct cio__watch *watch, cio_task *task);

/* One waiter watching many tasks. It sits at the start of a malloc'd block
 * that the tool owns and frees only through cio__watch_free().
 * Invariants:
 *  - armed counts this watch's done-callbacks that have neither run nor been
 *    removed. A callback already queued cannot be removed, so the block
 *    outlives its owner until armed is 0 (abandoned: the last one frees it).
 *  - waiter is non-NULL exactly while a task is parked in cio__watch_wait(). */
struct cio__watch {
    cio__watch_fn on_done;
    cio_task *waiter;
    size_t armed;
    bool abandoned;
    bool retire; /* a public handle's block: freed into the quarantine (core/handle.c) */
};

void cio__watch_init(struct cio__watch *watch, cio__watch_fn on_done);

/* Call on_done once task finishes (task must not be done yet). 0 or -ENOMEM. */
int cio__watch_arm(struct cio__watch *watch, cio_task *task);

/* Remove this watch's callbacks still listed on task (none if it finished). */
void cio__watch_disarm(struct cio__watch *watch, cio_task *task);

/* Park self until on_done asks for it: 0, or -ECANCELED / -ETIMEDOUT. */
int cio__watch_wait(struct cio__watch *watch, cio_task *self);

/* The same, not interruptible: for draining tasks that were just cancelled. */
void cio__watch_wait_shielded(struct cio__watch *watch, cio_task *self);

/* Free the block now, or hand it to the last armed callback. */
void cio__watch_free(struct cio__watch *watch);

/* Check a task array for a tool that waits on it from self (NULL: not called
 * from a task, only the loop is checked): -EINVAL for NULL, dead, or
 * other-loop entries, -EDEADLK if self is listed. *loop (may be NULL)
 * receives the tasks' loop (NULL if n == 0). */
int cio__compose_check(cio_task *self, cio_task *const *tasks, size_t n, cio_loop **loop);

/* The shared part of the single-task tools: NULL, dead, other loop
 * (-EINVAL), self (-EDEADLK). */
int cio__compose_check_one(cio_task *self, cio_task *task);

/* A set of distinct tasks: open addressing in caller-provided memory
 * (cio__taskset_bytes(n) bytes, zeroed) for up to n tasks. */
struct cio__taskset {
    cio_task **slots;
    size_t mask; /* slot count - 1; slot count is a power of two >= 2n */
};

size_t cio__taskset_bytes(size_t n);
void cio__taskset_init(struct cio__taskset *set, void *memory, size_t n);
/* Add task; false if it was already there. */
bool cio__taskset_add(struct cio__taskset *set, cio_task *task);
/* Iterate: *cursor starts at 0; returns the next task, or NULL at the end. */
cio_task *cio__taskset_next(const struct cio__taskset *set, size_t *cursor);

#endif
