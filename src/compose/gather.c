/* src/compose/gather.c - cio_gather: wait for all, results in input order.
 *
 * One allocation per call: the gather state, followed by a set of the
 * distinct tasks (a task listed twice is awaited once). Each distinct
 * unfinished task gets one done-callback; the gathering task parks once and
 * is woken when the last one runs, or, in the default mode, when the first
 * failure does. Outcomes are read from the tasks themselves at the end, in
 * input order, so the callbacks need to know nothing but the count. */
#include "compose/compose.h"

#include <stdlib.h>

struct gather {
    struct cio__watch watch; /* first: the block is freed through it */
    size_t unfinished;       /* distinct tasks whose done-callback has not run */
    bool stop_on_error;      /* default mode: wake on the first failure */
    cio_task *first_failed;  /* that failure, in the default mode */
    struct cio__taskset distinct;
};

static bool failed(const cio_task *task) {
    return cio__task_finished(task) && cio__task_error(task) != 0;
}

static bool on_done(struct cio__watch *watch, cio_task *task) {
    struct gather *g = (struct gather *)watch;
    g->unfinished--;
    if (g->stop_on_error && !g->first_failed && failed(task)) {
        g->first_failed = task;
        return true;
    }
    return g->unfinished == 0;
}

static struct gather *gather_new(size_t n, bool stop_on_error) {
    struct gather *g = calloc(1, sizeof *g + cio__taskset_bytes(n));
    if (!g) return NULL;
    cio__watch_init(&g->watch, on_done);
    g->stop_on_error = stop_on_error;
    cio__taskset_init(&g->distinct, g + 1, n);
    return g;
}

static void disarm_all(struct gather *g) {
    size_t cursor = 0;
    for (cio_task *task; (task = cio__taskset_next(&g->distinct, &cursor)) != NULL;)
        cio__watch_disarm(&g->watch, task);
}

/* Collect the distinct tasks; arm the unfinished ones. Already-finished ones
 * need no callback: in the default mode the first of them (in input order)
 * that failed is the error to return. */
static int arm(struct gather *g, cio_task *const *tasks, size_t n) {
    for (size_t i = 0; i < n; i++) {
        cio_task *task = tasks[i];
        if (!cio__taskset_add(&g->distinct, task)) continue;
        if (cio__task_finished(task)) {
            if (g->stop_on_error && !g->first_failed && failed(task)) g->first_failed = task;
            continue;
        }
        int rc = cio__watch_arm(&g->watch, task);
        if (rc < 0) {
            disarm_all(g);
            return rc;
        }
        g->unfinished++;
    }
    return 0;
}

static void cancel_unfinished(struct gather *g) {
    size_t cursor = 0;
    for (cio_task *task; (task = cio__taskset_next(&g->distinct, &cursor)) != NULL;)
        if (!cio__task_finished(task)) cio_task_cancel(task);
}

/* Park until done. Interrupted: cancel what is left and wait for all of it
 * (shielded), so an interrupted gather never leaves a child running. */
static int wait_all(struct gather *g, cio_task *self) {
    int rc = 0;
    while (rc == 0 && g->unfinished > 0 && !g->first_failed) rc = cio__watch_wait(&g->watch, self);
    if (rc == 0) return 0;
    g->stop_on_error = false;
    cancel_unfinished(g);
    while (g->unfinished > 0) cio__watch_wait_shielded(&g->watch, self);
    return rc;
}

/* Fill the outputs in input order. statuses mode: every status, counting the
 * failures. Default mode: only results of tasks that succeeded, leaving
 * other failures unretrieved (so they are reported when freed, as asyncio
 * logs exceptions nobody retrieved). */
static int report(struct gather *g, cio_task *const *tasks, size_t n, void **results,
                  int *statuses) {
    int failures = 0;
    for (size_t i = 0; i < n; i++) {
        cio_future *f = cio__task_future(tasks[i]);
        void **result = results ? &results[i] : NULL;
        if (statuses) {
            statuses[i] = f->state == CIO__PENDING ? -EAGAIN : cio__future_outcome(f, result);
            failures += statuses[i] != 0;
        } else if (f->state == CIO__DONE && f->error == 0) {
            cio__future_outcome(f, result);
        }
    }
    if (g->first_failed) cio__task_future(g->first_failed)->retrieved = true;
    return failures;
}

/* Drop our references: finished tasks are freed, unfinished ones (the
 * default mode's early return) keep running, detached. */
static void release_all(struct gather *g) {
    disarm_all(g);
    size_t cursor = 0;
    for (cio_task *task; (task = cio__taskset_next(&g->distinct, &cursor)) != NULL;)
        cio_task_unref(task);
}

static void clear(void **results, int *statuses, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (results) results[i] = NULL;
        if (statuses) statuses[i] = -EAGAIN;
    }
}

int cio_gather(cio_task *const *tasks, size_t n, void **results, int *statuses) {
    cio_task *self = cio__task_current_or_complain("cio_gather");
    if (!self) return -EPERM;
    int rc = cio__compose_check(self, tasks, n, NULL);
    if (rc < 0) return rc;
    clear(results, statuses, n);
    if (n == 0) return 0;
    struct gather *g = gather_new(n, statuses == NULL);
    if (!g) return -ENOMEM;
    rc = arm(g, tasks, n);
    if (rc < 0) {
        cio__watch_free(&g->watch);
        return rc; /* nothing consumed */
    }
    rc = wait_all(g, self);
    int failures = report(g, tasks, n, results, statuses);
    int first_error = g->first_failed ? cio__task_future(g->first_failed)->error : 0;
    release_all(g);
    cio__watch_free(&g->watch);
    if (rc < 0) return rc;
    return statuses ? failures : first_error;
}
