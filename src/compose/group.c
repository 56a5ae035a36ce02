/* src/compose/group.c - task groups (asyncio.TaskGroup, Trio's nursery).
 *
 * The group holds a reference to each child and to its parent, and one
 * done-callback per unfinished child (its watch). States:
 *   OPEN     children may be added;
 *   ABORTING a child failed, the group was cancelled (cio_taskgroup_cancel) or
 *            the join was interrupted: every child has been
 *            cancelled, new ones are refused;
 *   CLOSED   joined: every child has finished and its callback has run.
 * The parent is cancelled on a child's failure only while it is not joining;
 * join withdraws that one request (parent_cancelled), as asyncio's __aexit__
 * uncancels the parent task. */
#include "compose/compose.h"

#include <stdlib.h>

#define GROUP_MAGIC 0x63696f47u /* "cioG" */

enum group_state { OPEN, ABORTING, CLOSED };

struct cio_taskgroup {
    struct cio__watch watch; /* first: the block is freed through it */
    uint32_t magic;
    uint8_t state;         /* enum group_state */
    bool joining;          /* the parent is parked in cio_taskgroup_join */
    bool parent_cancelled; /* we cancelled the parent; join withdraws it */
    int first_error;       /* the first child failure, or 0 */
    cio_loop *loop;
    cio_task *parent;    /* held reference */
    cio_task **children; /* held references, in creation order */
    size_t count, capacity;
    size_t unfinished; /* children whose done-callback has not run */
};

/* A live group; false, with a report naming caller, for a stale handle. */
static bool valid(const cio_taskgroup *tg, const char *caller) {
    return tg && cio__handle_check(&tg->magic, GROUP_MAGIC, "task group", caller) == 0;
}

static void cancel_children(cio_taskgroup *tg) {
    for (size_t i = 0; i < tg->count; i++)
        if (!cio__task_finished(tg->children[i])) cio_task_cancel(tg->children[i]);
}

/* The first failure (or an interrupted join): cancel everyone, and the
 * parent's pending await too unless it is already waiting for us. */
static void abort_group(cio_taskgroup *tg) {
    tg->state = ABORTING;
    cancel_children(tg);
    if (!tg->joining && cio_task_cancel(tg->parent) == 0) tg->parent_cancelled = true;
}

static bool on_child_done(struct cio__watch *watch, cio_task *child) {
    cio_taskgroup *tg = (cio_taskgroup *)watch;
    tg->unfinished--;
    int error = cio__task_future(child)->error;
    cio__task_future(child)->retrieved = true; /* reported by join and cio_taskgroup_results */
    if (error && error != -ECANCELED && !tg->first_error) {
        tg->first_error = error;
        if (tg->state == OPEN) abort_group(tg);
    }
    return tg->unfinished == 0;
}

int cio_taskgroup_new(cio_taskgroup **out) {
    if (out) *out = NULL;
    cio_task *self = cio__task_current_or_complain("cio_taskgroup_new");
    if (!self) return -EPERM;
    if (!out) return -EINVAL;
    cio_taskgroup *tg = calloc(1, sizeof *tg);
    if (!tg) return -ENOMEM;
    cio__watch_init(&tg->watch, on_child_done);
    tg->magic = GROUP_MAGIC;
    tg->loop = cio__task_loop(self);
    tg->parent = cio_task_ref(self);
    *out = tg;
    return 0;
}

static int reserve(cio_taskgroup *tg) {
    if (tg->count < tg->capacity) return 0;
    size_t capacity = tg->capacity ? 2 * tg->capacity : 8;
    cio_task **grown = realloc(tg->children, capacity * sizeof *grown);
    if (!grown) return -ENOMEM;
    tg->children = grown;
    tg->capacity = capacity;
    return 0;
}

static int refuse_new_child(const cio_taskgroup *tg) {
    if (!valid(tg, "cio_taskgroup_create_task")) return -EINVAL;
    int rc = cio__loop_check(tg->loop, "cio_taskgroup_create_task"); /* before touching tg */
    if (rc < 0) return rc;
    if (tg->state == CLOSED) return -CIO_ECLOSED;
    if (tg->state == ABORTING) return -ECANCELED;
    return 0;
}

int cio_taskgroup_create_task_ex(cio_taskgroup *tg, cio_task_fn fn, void *arg,
                                 const cio_task_options *opts, cio_task **child) {
    if (child) *child = NULL;
    int rc = refuse_new_child(tg);
    if (rc == 0) rc = reserve(tg);
    if (rc < 0) return rc;
    cio_task *task;
    rc = cio_loop_create_task_ex(tg->loop, fn, arg, opts, &task);
    if (rc < 0) return rc;
    rc = cio__watch_arm(&tg->watch, task);
    if (rc < 0) {
        cio_task_cancel(task); /* not started yet: it finishes without running */
        cio_task_unref(task);
        return rc;
    }
    tg->children[tg->count++] = task;
    tg->unfinished++;
    if (child) *child = task;
    return 0;
}

int cio_taskgroup_create_task(cio_taskgroup *tg, cio_task_fn fn, void *arg, cio_task **child) {
    return cio_taskgroup_create_task_ex(tg, fn, arg, NULL, child);
}

int cio_taskgroup_cancel(cio_taskgroup *tg) {
    if (!valid(tg, __func__)) return -EINVAL;
    int rc = cio__loop_check(tg->loop, "cio_taskgroup_cancel");
    if (rc < 0) return rc;
    if (tg->state != OPEN) return -EALREADY; /* joined, or already shutting down */
    abort_group(tg); /* as a failure, but with no error for join to return */
    return 0;
}

/* Interrupted while joining: cancel the children and wait, shielded, until
 * every one has finished, so the group never outlives the join. */
static void drain(cio_taskgroup *tg, cio_task *self) {
    if (tg->state == OPEN) abort_group(tg);
    while (tg->unfinished > 0) cio__watch_wait_shielded(&tg->watch, self);
}

int cio_taskgroup_join(cio_taskgroup *tg) {
    cio_task *self = cio__task_current_or_complain("cio_taskgroup_join");
    if (!self) return -EPERM;
    if (!valid(tg, __func__) || self != tg->parent) return -EINVAL;
    if (tg->state == CLOSED) return -CIO_ECLOSED;
    tg->joining = true;
    if (tg->parent_cancelled) {
        tg->parent_cancelled = false;
        cio_task_uncancel(self);
    }
    int rc = 0;
    while (rc == 0 && tg->unfinished > 0) rc = cio__watch_wait(&tg->watch, self);
    if (rc < 0) drain(tg, self);
    tg->joining = false;
    tg->state = CLOSED;
    return tg->first_error ? tg->first_error : rc;
}

size_t cio_taskgroup_results(cio_taskgroup *tg, cio_taskgroup_result *out, size_t cap) {
    if (!valid(tg, __func__)) return 0;
    for (size_t i = 0; i < tg->count && i < cap && out; i++) {
        cio_task *child = tg->children[i];
        out[i].task = child;
        out[i].result = NULL;
        out[i].status = cio__task_finished(child)
                            ? cio__future_outcome(cio__task_future(child), &out[i].result)
                            : -EAGAIN;
    }
    return tg->count;
}

/* Freed before join: the children must not outlive the group, and the
 * parent must not stay cancelled by a group that no longer exists. */
static void abandon_children(cio_taskgroup *tg) {
    cio__complain("cio_taskgroup_free: group freed without cio_taskgroup_join; "
                  "its unfinished children were cancelled");
    tg->state = ABORTING;
    cancel_children(tg);
    if (tg->parent_cancelled) cio_task_uncancel(tg->parent);
    for (size_t i = 0; i < tg->count; i++) cio__watch_disarm(&tg->watch, tg->children[i]);
}

/* The loop closed first and freed every task and callback record: only
 * our own memory is left. */
static int free_after_close(cio_taskgroup *tg) {
    free(tg->children);
    tg->magic = CIO__DEAD_MAGIC;
    cio__handle_retire(tg);
    return 0;
}

int cio_taskgroup_free(cio_taskgroup *tg) {
    if (!tg) return 0;
    if (!valid(tg, __func__)) return -EINVAL;
    int rc = cio__loop_check(tg->loop, "cio_taskgroup_free");
    if (rc == -CIO_ECLOSED) return free_after_close(tg);
    if (rc < 0) return rc;
    if (tg->joining) return -EBUSY;
    if (tg->state != CLOSED && (tg->unfinished > 0 || tg->parent_cancelled)) abandon_children(tg);
    for (size_t i = 0; i < tg->count; i++) cio_task_unref(tg->children[i]);
    cio_task_unref(tg->parent);
    free(tg->children);
    tg->magic = CIO__DEAD_MAGIC;
    tg->watch.retire = true; /* the block outlives us while callbacks are armed */
    cio__watch_free(&tg->watch);
    return 0;
}
