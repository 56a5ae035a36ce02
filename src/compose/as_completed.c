/* src/compose/as_completed.c - an iterator over tasks in completion order.
 *
 * Done-callbacks run in the order tasks finish, so each one appends its task
 * to a FIFO; next() pops from it, and parks only while it is empty. The
 * overall timeout is an absolute deadline, opened as a timeout scope around
 * each park. Layout of the one allocation: the iterator, then n watched
 * entries (each holding a reference), then the n-slot FIFO. */
#include "compose/compose.h"

#include <math.h>
#include <stdlib.h>

#define ITERATOR_MAGIC 0x63696f41u /* "cioA" */

struct cio_as_completed {
    struct cio__watch watch; /* first: the block is freed through it */
    uint32_t magic;
    cio_loop *loop;
    double deadline; /* loop time; INFINITY: none */
    size_t n;
    size_t head, tail;   /* finished[head..tail): finished, not yet yielded */
    cio_task **entries;  /* the n tasks, as given */
    cio_task **finished; /* completion order; each entry lands here once */
};

static bool on_done(struct cio__watch *watch, cio_task *task) {
    cio_as_completed *it = (cio_as_completed *)watch;
    it->finished[it->tail++] = task;
    return true;
}

static bool valid(const cio_as_completed *it) {
    return it && it->magic == ITERATOR_MAGIC;
}

static cio_as_completed *iterator_new(size_t n) {
    cio_as_completed *it = malloc(sizeof *it + 2 * n * sizeof(cio_task *));
    if (!it) return NULL;
    *it = (cio_as_completed){.magic = ITERATOR_MAGIC, .n = n};
    cio__watch_init(&it->watch, on_done);
    it->entries = (cio_task **)(void *)(it + 1);
    it->finished = it->entries + n;
    return it;
}

/* Stop watching entries [0, count) and drop their references. */
static void unwatch(cio_as_completed *it, size_t count) {
    for (size_t i = 0; i < count; i++) {
        cio__watch_disarm(&it->watch, it->entries[i]);
        cio_task_unref(it->entries[i]);
    }
}

/* Already finished: queued now, in input order. Else a done-callback. */
static int watch_all(cio_as_completed *it, cio_task *const *tasks) {
    for (size_t i = 0; i < it->n; i++) {
        cio_task *task = cio_task_ref(tasks[i]);
        it->entries[i] = task;
        int rc = 0;
        if (cio__task_finished(task))
            it->finished[it->tail++] = task;
        else
            rc = cio__watch_arm(&it->watch, task);
        if (rc < 0) {
            unwatch(it, i + 1);
            return rc;
        }
    }
    return 0;
}

static int setup_loop(cio_task *const *tasks, size_t n, cio_loop **loop) {
    cio_task *self = cio_current_task();
    int rc = cio__compose_check(self, tasks, n, loop);
    if (rc == 0 && *loop) rc = cio__loop_check(*loop, "cio_as_completed_new");
    return rc;
}

int cio_as_completed_new(cio_task *const *tasks, size_t n, double timeout, cio_as_completed **out) {
    if (!out) return -EINVAL;
    *out = NULL;
    if (isnan(timeout)) return -EINVAL;
    cio_loop *loop;
    int rc = setup_loop(tasks, n, &loop);
    if (rc < 0) return rc;
    cio_as_completed *it = iterator_new(n);
    if (!it) return -ENOMEM;
    it->loop = loop;
    it->deadline = timeout < INFINITY && loop ? cio_loop_time(loop) + timeout : INFINITY;
    rc = watch_all(it, tasks);
    if (rc < 0) {
        it->magic = 0;
        cio__watch_free(&it->watch);
        return rc;
    }
    *out = it;
    return 0;
}

/* Park until a callback queues a task, the deadline passes, or an interrupt. */
static int park(cio_as_completed *it, cio_task *self) {
    cio_timeout scope;
    bool timed = it->deadline < INFINITY;
    if (timed) cio_timeout_begin_at(&scope, it->deadline);
    int rc = 0;
    while (rc == 0 && it->head == it->tail) rc = cio__watch_wait(&it->watch, self);
    if (timed) cio_timeout_end(&scope);
    return rc;
}

int cio_as_completed_next(cio_as_completed *it, cio_task **task) {
    if (task) *task = NULL;
    cio_task *self = cio__task_current_or_complain("cio_as_completed_next");
    if (!self) return -EPERM;
    if (!valid(it) || !task || (it->loop && it->loop != cio__task_loop(self))) return -EINVAL;
    if (it->watch.waiter) return -EBUSY;
    if (it->head == it->n) return 0;
    if (it->head == it->tail) {
        int rc = park(it, self);
        if (rc < 0) return rc;
    }
    *task = it->finished[it->head++];
    return 1;
}

int cio_as_completed_free(cio_as_completed *it) {
    if (!valid(it)) return -EINVAL;
    if (it->watch.waiter) return -EBUSY;
    unwatch(it, it->n);
    it->magic = 0;
    cio__watch_free(&it->watch);
    return 0;
}
