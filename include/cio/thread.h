/* cio/thread.h - thread pools: running blocking work off the loop.
 *
 * asyncio                               cio
 * -------                               ---
 * await asyncio.to_thread(fn, arg)      cio_to_thread(fn, arg, &result)
 * await loop.run_in_executor(ex, fn)    cio_run_in_executor(ex, fn, arg, discard, &result)
 * ThreadPoolExecutor(max_workers=n)     cio_executor_new(n, &ex)
 * executor.shutdown(wait=True, ...)     cio_executor_shutdown(ex, cancel_pending)
 * run_coroutine_threadsafe(coro, loop)  cio_run_coroutine_threadsafe(loop, fn, arg, &cf)
 * concurrent.futures.Future.result(t)   cio_cfuture_wait(cf, t, &result)
 *
 * The default executor belongs to the loop (as asyncio's does): it is made on
 * first use with min(32, CPUs + 4) threads, and shut down when the loop
 * closes - queued jobs are dropped, running ones are waited for.
 *
 * A job's fn runs on a pool thread with every signal blocked. It returns its
 * result, or fails with cio_fail(err) exactly as a task does. Completions come
 * back to the loop through cio_call_soon_threadsafe(); while a job is in flight
 * the virtual clock waits for it instead of jumping. */
#ifndef CIO_THREAD_H
#define CIO_THREAD_H

#include "task.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cio_executor cio_executor;

/* Called with (arg, result) for a job whose result nobody will receive: its
 * awaiting task was cancelled or timed out, or its loop closed. result is fn's
 * return value, or NULL if fn never ran. */
typedef void (*cio_discard_fn)(void *arg, void *result);

/* Make a pool of at most max_workers threads (0: min(32, CPUs + 4)), started
 * as jobs need them. The caller owns it: free it with cio_executor_free().
 * It may serve many loops. Returns 0, -EINVAL (NULL out, max_workers < 0) or
 * -ENOMEM. Any thread. */
CIO_EXPORT int cio_executor_new(int max_workers, cio_executor **out);

/* Stop accepting jobs and wait until every running job has returned (and, if
 * cancel_pending is false, every queued job has run). With cancel_pending,
 * queued jobs are dropped: their awaiting calls return -CIO_ESHUTDOWN with fn
 * not run. Later submissions get -CIO_ESHUTDOWN. Returns 0, -EINVAL (NULL),
 * -EDEADLK (called from one of the pool's own threads) or -CIO_ESHUTDOWN
 * (already shut down). Any thread; it blocks, so a loop thread that calls it
 * stalls its loop until the jobs end. */
CIO_EXPORT int cio_executor_shutdown(cio_executor *executor, bool cancel_pending);

/* Shut down (waiting for queued and running jobs) if not done yet, and free.
 * NULL is a no-op. No loop may submit to it afterwards: the handle is stale,
 * and a call with it (or a second free) is reported and refused with
 * -EINVAL. Any thread but the pool's own (from there: reported, nothing
 * done). */
CIO_EXPORT void cio_executor_free(cio_executor *executor);

/* Number of threads the pool may run at once. -EINVAL for NULL. Any thread. */
CIO_EXPORT int cio_executor_max_workers(const cio_executor *executor);

/* Run fn(arg) on executor (NULL: the running loop's default pool) and suspend
 * the calling task until it returns. Returns fn's status: 0 with its result in
 * *result (result may be NULL), or the error fn returned with cio_fail().
 *
 * Cancellation and timeouts (asyncio's semantics): the call returns
 * -ECANCELED / -ETIMEDOUT at once and fn keeps running on its thread. arg then
 * belongs to the job: when fn returns, discard(arg, result) runs on the loop
 * thread (or, if the loop has closed meanwhile, on the pool thread), so
 * nothing leaks; discard NULL means there is nothing to free. So arg must
 * outlive the call: heap memory that discard frees, or static data - never the
 * caller's stack unless the caller cannot be cancelled (inside a shield).
 * If an interrupt is already due on entry, fn does not run and discard(arg,
 * NULL) is called before returning.
 *
 * Other returns, with arg still the caller's and discard not called: -EPERM
 * (outside a task), -EINVAL (NULL fn), -ENOMEM, -CIO_ESHUTDOWN (executor shut
 * down, or shut down with cancel_pending before fn started). Loop thread. */
CIO_EXPORT int cio_run_in_executor(cio_executor *executor, cio_task_fn fn, void *arg,
                                   cio_discard_fn discard, void **result);

/* loop.run_in_executor() as a future (asyncio.wrap_future of
 * executor.submit(fn)): submit fn(arg) to executor (NULL: the running loop's
 * default pool) and give the caller a cio_future (*out, the caller's
 * reference) that completes on the loop with fn's result, or its cio_fail()
 * error, or -CIO_ESHUTDOWN if the pool dropped the job unrun. Await it,
 * gather it (cio_future_as_task), add done-callbacks. fn runs in a copy of
 * the caller's context.
 *
 * Cancelling the future does not stop fn (a thread cannot be interrupted):
 * when it returns, discard(arg, result) runs on the loop thread (discard may
 * be NULL), as it does if the loop closes first (then on the pool thread,
 * and the future stays pending). So arg must outlive the call, as for
 * cio_run_in_executor. Returns 0, -EINVAL (NULL fn or out), -EPERM (no
 * loop running on this thread), -ENOMEM, -CIO_ESHUTDOWN (executor shut
 * down); on error fn never runs and arg stays the caller's. Loop thread:
 * tasks and callbacks alike (it does not suspend). */
CIO_EXPORT int cio_executor_submit(cio_executor *executor, cio_task_fn fn, void *arg,
                                   cio_discard_fn discard, cio_future **out);

/* asyncio.to_thread: cio_run_in_executor(NULL, fn, arg, NULL, result). The
 * same rules hold for arg when the caller is cancelled. */
CIO_EXPORT int cio_to_thread(cio_task_fn fn, void *arg, void **result);

/* ---- a task on a loop, from another thread ------------------------------------ */

/* The outcome of cio_run_coroutine_threadsafe(), for a plain thread to wait on
 * (concurrent.futures.Future). */
typedef struct cio_cfuture cio_cfuture;

/* Create a task running fn(arg) on loop, which runs in another thread, and
 * give the caller a handle on its outcome in *out (free it with
 * cio_cfuture_free()). Returns 0, -EINVAL (NULL argument), -ENOMEM, or
 * -CIO_ECLOSED. If the loop closes before the task is done, waits end with
 * -CIO_ECLOSED. Any thread (on the loop's own, prefer cio_loop_create_task:
 * waiting there is -EDEADLK). */
CIO_EXPORT int cio_run_coroutine_threadsafe(cio_loop *loop, cio_task_fn fn, void *arg,
                                            cio_cfuture **out);

/* Block this thread until the task is done or timeout seconds pass (negative:
 * no limit). Returns the task's status (0 with *result set, its cio_fail()
 * error, -ECANCELED), -ETIMEDOUT (the task keeps running), -CIO_ECLOSED (the
 * loop closed first), -EINVAL, or -EDEADLK when called on the thread running
 * the task's loop (it could never finish). May be called again. Any thread.
 * Limit: a request still queued in the loop's cross-thread inbox when the
 * loop closes is never answered; wait with a timeout if that can happen. */
CIO_EXPORT int cio_cfuture_wait(cio_cfuture *future, double timeout, void **result);

/* Ask for the task to be cancelled (it is, on its loop's next turn). Returns 0,
 * -EALREADY if it is done, -EINVAL. Any thread. */
CIO_EXPORT int cio_cfuture_cancel(cio_cfuture *future);

/* True once the outcome is known. Any thread. */
CIO_EXPORT bool cio_cfuture_done(cio_cfuture *future);

/* Drop the caller's handle; the task is not cancelled. NULL is a no-op. Any
 * thread. */
CIO_EXPORT void cio_cfuture_free(cio_cfuture *future);

#ifdef __cplusplus
}
#endif
#endif
