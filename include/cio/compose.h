/* cio/compose.h - waiting on many tasks: gather, wait, wait_for,
 * as_completed, shield (asyncio's names and semantics).
 *
 * Which one to use (docs/waiting.md has the long form):
 *   all results, in order ............. cio_gather
 *   one task, with a deadline ......... cio_wait_for
 *   the first to finish / fail ........ cio_wait (FIRST_COMPLETED / FIRST_EXCEPTION)
 *   each result as soon as it lands ... cio_as_completed_*
 *   keep a task alive if I'm cancelled  cio_shield
 *   children that fail together ....... cio_taskgroup_* (cio/group.h)
 *
 * Ownership, as for cio_await(): cio_gather, cio_wait_for and cio_shield
 * CONSUME the caller's reference to each task they are given (once they
 * return, except on misuse: then nothing is consumed). cio_wait and
 * cio_as_completed BORROW: the caller still owns the tasks and awaits or
 * releases them afterwards.
 *
 * Common errors: -EPERM outside a task; -EINVAL for NULL arguments, NULL
 * entries, or a task of another loop; -EDEADLK if the calling task is among
 * the tasks it would wait for; -ENOMEM. All functions: loop thread only. */
#ifndef CIO_COMPOSE_H
#define CIO_COMPOSE_H

#include "task.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- futures where tasks are taken ------------------------------------------------ */

/* The awaitable bridge: a task that awaits future and ends with its outcome
 * (result, error, or cancelled), so every function here and the task
 * groups take futures too - a cio_executor_submit() job, a future set by a
 * callback. *out receives the caller's reference. For a task's own future
 * (cio_task_future) it is that task, with a new reference. Cancelling the
 * task cancels the future (as asyncio's gather / wait_for do to a future);
 * cio_shield leaves it running. The task holds a reference to future until
 * it finishes; it starts at once (eagerly), so for a future already done
 * it is done on return. Returns 0, -EINVAL (NULL or not a future),
 * -CIO_ECLOSED, -ENOMEM, -EPERM (wrong thread). Loop thread.
 *
 *     cio_future *f; cio_executor_submit(NULL, digest, file, NULL, &f);
 *     cio_task *t;   cio_future_as_task(f, &t);
 *     rc = cio_wait_for(t, 5.0, &result);   // cancels f on timeout
 *     cio_future_unref(f); */
CIO_EXPORT int cio_future_as_task(cio_future *future, cio_task **out);

/* ---- gather ---------------------------------------------------------------- */

/* asyncio.gather(*tasks): wait for all n tasks; results[i] (results may be
 * NULL) receives task i's result, in input order.
 *
 * statuses == NULL (asyncio's default): returns 0 once all succeeded, or the
 * first error (in the order the tasks fail) as soon as it happens. The other
 * tasks then keep running: gather drops its references to them (they are
 * detached, as by cio_task_unref), and an error of theirs that nobody
 * retrieves is reported on stderr when they are freed. results[i] holds the
 * result of each task that had succeeded by then, NULL for the rest.
 *
 * statuses != NULL (return_exceptions=True): waits for every task, fills
 * statuses[i] with task i's status (0, its error, -ECANCELED) and returns how
 * many statuses are not 0 (0: all succeeded).
 *
 * If the gathering task is cancelled (or its timeout scope expires), every
 * unfinished task is cancelled and waited for, statuses (if given) are filled,
 * and -ECANCELED (-ETIMEDOUT) is returned.
 *
 * Consumes the caller's reference to each distinct task. A task listed twice
 * is awaited once and its status and result appear at both positions
 * (asyncio dedups the same way); it consumes one reference. n == 0 returns 0
 * at once. The tasks array is read during the call and must stay valid. */
CIO_EXPORT int cio_gather(cio_task *const *tasks, size_t n, void **results, int *statuses);

/* ---- wait ------------------------------------------------------------------ */

/* When cio_wait() returns (asyncio.FIRST_COMPLETED, ...). */
typedef enum cio_wait_mode {
    CIO_ALL_COMPLETED = 0, /* every task has finished */
    CIO_FIRST_COMPLETED,   /* at least one has finished */
    /* one has failed (finished with an error other than -ECANCELED: as in
     * asyncio, a cancelled task is not an exception), or all have finished */
    CIO_FIRST_EXCEPTION,
} cio_wait_mode;

/* asyncio.wait(tasks, timeout=, return_when=): wait until mode is satisfied
 * or timeout seconds pass (INFINITY: no timeout; <= 0: just look). Returns
 * the number k of finished tasks and, if out is non-NULL, partitions the
 * tasks into out[0..k) finished and out[k..n) pending, each in input order
 * (out has room for n; it must not be the tasks array itself).
 *
 * The timeout is not an error: it returns k like any other wake-up, and
 * nothing is cancelled. If the calling task is cancelled (or an enclosing
 * timeout scope expires) it returns -ECANCELED (-ETIMEDOUT), out still
 * filled, and the tasks are not cancelled either.
 *
 * Borrows the tasks. A task listed twice counts (and is reported) twice.
 * n == 0 is -EINVAL (asyncio raises ValueError); so are an unknown mode, a
 * NaN timeout and n > INT_MAX. */
CIO_EXPORT int cio_wait(cio_task *const *tasks, size_t n, cio_wait_mode mode, double timeout,
                        cio_task **out);

/* ---- wait_for ---------------------------------------------------------------- */

/* asyncio.wait_for(task, timeout) (3.12 semantics): await task for at most
 * timeout seconds (INFINITY: no limit; <= 0: only if it is already done).
 * Returns task's status with its result in *result (result may be NULL).
 * On timeout, task is cancelled and waited for, then -ETIMEDOUT is returned -
 * unless task still ends with a result (it finished in the same instant, or
 * caught the cancellation and returned normally): that result wins and 0 is
 * returned; an error other than -ECANCELED it ends with is returned as is.
 * If the caller itself is cancelled (or an enclosing timeout scope expires),
 * task is cancelled and waited for and -ECANCELED (-ETIMEDOUT) is returned.
 * Consumes the caller's reference to task; when it returns, task has
 * finished. -EINVAL also for a NaN timeout. */
CIO_EXPORT int cio_wait_for(cio_task *task, double timeout, void **result);

/* ---- shield ------------------------------------------------------------------ */

/* await asyncio.shield(task): wait for task, but if the caller is cancelled
 * (or its timeout scope expires), return -ECANCELED (-ETIMEDOUT) at once and
 * leave task running, uncancelled. Otherwise returns task's status and its
 * result in *result (may be NULL). Consumes the caller's reference either
 * way: an interrupted cio_shield detaches the task (cio_task_ref() it
 * first to await it again afterwards). To protect a whole region of code
 * rather than one task, see cio_shield_begin() and
 * cio_timeout_begin_shielded(). */
CIO_EXPORT int cio_shield(cio_task *task, void **result);

/* ---- as_completed -------------------------------------------------------------- */

/* An iterator over tasks in the order they finish (asyncio.as_completed). */
typedef struct cio_as_completed cio_as_completed;

/* Start watching n tasks (tasks may be NULL if n == 0), with an overall
 * timeout in seconds from now (INFINITY: none). *out receives the iterator;
 * free it with cio_as_completed_free(). The iterator holds its own reference
 * to each task until it is freed; the caller keeps theirs. Tasks already
 * finished come first, in input order; a task listed twice is yielded twice.
 * Returns 0, -EINVAL (NULL out, bad entries, tasks of different loops, NaN
 * timeout), -EDEADLK (the calling task is listed), -ENOMEM; -EPERM from
 * another thread. Need not be called from a task. */
CIO_EXPORT int cio_as_completed_new(cio_task *const *tasks, size_t n, double timeout,
                                    cio_as_completed **out);

/* Wait for the next task to finish and store it in *task (borrowed: valid
 * until the iterator is freed). Returns 1 with a task, 0 once every task
 * has been yielded, -ETIMEDOUT if the overall timeout passed first (tasks
 * that had finished before it are still yielded first; later calls keep
 * returning -ETIMEDOUT while none is ready), -ECANCELED if the caller is
 * cancelled. Nothing is cancelled. -EINVAL (NULL), -EPERM (outside a task),
 * -EBUSY (another task is already waiting on this iterator). */
CIO_EXPORT int cio_as_completed_next(cio_as_completed *it, cio_task **task);

/* Stop watching and free the iterator, dropping its references. The tasks
 * are not cancelled. Returns 0, -EINVAL (NULL or not an iterator), or -EBUSY
 * if a task is waiting in cio_as_completed_next() on it (nothing is freed). */
CIO_EXPORT int cio_as_completed_free(cio_as_completed *it);

#ifdef __cplusplus
}
#endif
#endif
