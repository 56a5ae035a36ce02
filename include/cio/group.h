/* cio/group.h - task groups (asyncio.TaskGroup, Trio's nursery).
 *
 *     cio_taskgroup *tg;
 *     cio_taskgroup_new(&tg);                      // the calling task is the parent
 *     for (i = 0; i < n; i++) cio_taskgroup_create_task(tg, fetch, &jobs[i], NULL);
 *     int rc = cio_taskgroup_join(tg);             // waits for every child
 *     if (rc < 0) ... cio_taskgroup_results(tg, out, n) ...   // each child's status
 *     cio_taskgroup_free(tg);
 *
 * Semantics (asyncio's): the first child that fails (finishes with an error
 * other than -ECANCELED) cancels every other child and, if the parent is not
 * yet in cio_taskgroup_join(), the parent too, so the await it is parked in
 * returns -ECANCELED (level-triggered: so does every await until the join,
 * which withdraws that cancellation). Join waits for every child, including
 * children created while it waits, and returns the first child error, else
 * -ECANCELED / -ETIMEDOUT if the parent was cancelled or its timeout scope
 * expired (the children are then cancelled and waited for), else 0. Children
 * cancelled by the group are not errors. cio_taskgroup_results() is C's
 * ExceptionGroup: every child with its status.
 *
 * Ownership: the group owns its children. cio_taskgroup_create_task() hands
 * back a borrowed pointer, valid until cio_taskgroup_free(); take your own
 * reference with cio_task_ref() to use a child after that. Children's
 * errors count as retrieved (the group reports them).
 *
 * A group never outlives its scope: join it before its parent leaves the
 * block that made it. Freeing a group that was not joined cancels its
 * unfinished children (they finish on their own, detached) and prints a
 * diagnostic. All functions: loop thread only. */
#ifndef CIO_GROUP_H
#define CIO_GROUP_H

#include "task.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cio_taskgroup cio_taskgroup;

/* One child's outcome, from cio_taskgroup_results(). */
typedef struct cio_taskgroup_result {
    cio_task *task; /* borrowed: valid until cio_taskgroup_free() */
    int status;     /* 0, its error, -ECANCELED, or -EAGAIN if not finished yet */
    void *result;   /* its result when status is 0, else NULL */
} cio_taskgroup_result;

/* Make a group whose parent is the calling task. *out receives it. Returns
 * 0, -EINVAL (NULL out), -ENOMEM, -EPERM outside a task. */
CIO_EXPORT int cio_taskgroup_new(cio_taskgroup **out);

/* tg.create_task(): start fn(arg) as a child of the group (from the parent,
 * a child, or any task or callback of the loop). *child (may be NULL)
 * receives a borrowed pointer. Returns 0; -CIO_ECLOSED once the group has been
 * joined; -ECANCELED while the group is shutting down (a child failed, or the
 * join was interrupted), as asyncio refuses with RuntimeError; -EINVAL (NULL
 * tg or fn, not a group); -ENOMEM; -EPERM from another thread. On error fn
 * never runs and arg is not consumed. */
CIO_EXPORT int cio_taskgroup_create_task(cio_taskgroup *tg, cio_task_fn fn, void *arg,
                                         cio_task **child);

/* As cio_taskgroup_create_task(), with task options (name, stack size). */
CIO_EXPORT int cio_taskgroup_create_task_ex(cio_taskgroup *tg, cio_task_fn fn, void *arg,
                                            const cio_task_options *opts, cio_task **child);

/* The end of `async with TaskGroup()`: wait until every child has finished,
 * then close the group to new children. Returns 0 if all succeeded, else the
 * first child error; if the parent is cancelled (or its timeout scope
 * expires) meanwhile, the children are cancelled and waited for, and
 * -ECANCELED (-ETIMEDOUT) is returned unless a child failed. Only the parent
 * may join: -EINVAL from another task (or NULL); -CIO_ECLOSED if already
 * joined; -EPERM outside a task. */
CIO_EXPORT int cio_taskgroup_join(cio_taskgroup *tg);

/* TaskGroup.cancel() (asyncio 3.14): cancel every unfinished child and, if
 * the parent is not yet in cio_taskgroup_join(), the parent's body too (its
 * awaits return -ECANCELED until the join, which withdraws that
 * cancellation). The join then waits for the children as usual and returns
 * 0 - a cancelled group ends gracefully - unless a child failed with an
 * error of its own first. New children are refused (-ECANCELED) from then
 * on. Any task or callback of the loop may call it. Returns 0, -EALREADY
 * (joined, or already shutting down: nothing done), -EINVAL (NULL, not a
 * group), -EPERM (wrong thread). */
CIO_EXPORT int cio_taskgroup_cancel(cio_taskgroup *tg);

/* Every child's outcome, in creation order: fills out[0..cap) (out may be
 * NULL with cap 0) and returns the number of children (may exceed cap); 0
 * for an invalid group. Does not suspend. */
CIO_EXPORT size_t cio_taskgroup_results(cio_taskgroup *tg, cio_taskgroup_result *out, size_t cap);

/* Free the group and drop its references to the children (NULL: no-op). See
 * above for a group that was not joined. Must not be called while the
 * parent waits in cio_taskgroup_join() (returns -EBUSY then). A group whose
 * loop was closed (but not yet freed) only has its own memory freed: the
 * loop freed the tasks. Returns 0, -EBUSY, -EINVAL (not a group), or -EPERM
 * from another thread. */
CIO_EXPORT int cio_taskgroup_free(cio_taskgroup *tg);

#ifdef __cplusplus
}
#endif
#endif
