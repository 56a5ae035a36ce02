/* cio/task.h - tasks: coroutines with their own stacks, run by a loop.
 *
 * A task is a coroutine plus a future. Its function runs on its own stack and
 * reads as straight-line code: every suspending call (cio_sleep, cio_await, a
 * socket read, a lock acquire...) parks the task and lets others run. The
 * task's result is what its function returns; it fails by returning
 * cio_fail(err).
 *
 * Ownership: creating a task gives the caller one reference. cio_await() and
 * cio_loop_run_until_complete() consume it (like pthread_join); take another
 * with cio_task_ref() first to keep using the task afterwards. A task you
 * will never await is let go with cio_task_unref() (like pthread_detach).
 * The loop holds its own reference while the task runs, apart from yours:
 * releasing more references than you hold is refused with a report, never
 * takes the loop's. The loop frees every task that is left when it closes,
 * so nothing leaks.
 *
 * The rule for cio_await: it consumes the reference it is given on every
 * return except -EINVAL. -EINVAL means no task this thread may use was
 * given (NULL, a stale pointer, a task of another loop), so nothing was
 * consumed. -EPERM (outside a task) and -EDEADLK (awaiting itself) consume it.
 *
 * A task pointer used after its last reference is gone is stale. cio keeps a
 * loop's last 256 freed tasks in quarantine, so such a pointer is refused
 * (-EINVAL, or a no-op for unref) with a one-line report; past that window
 * the memory may belong to a new task, and after the loop is freed it is
 * freed memory: do not rely on the report.
 *
 * Cancellation is level-triggered: after cio_task_cancel(t), t's current
 * await returns -ECANCELED and so does every later one, so a task that
 * ignores one error still winds down. Awaits inside cio_shield_begin() /
 * cio_shield_end() are not interrupted (cleanup that must await).
 *
 * Threads: every function here is loop-thread only. Suspending functions
 * called outside a task return -EPERM and print a one-line diagnostic. */
#ifndef CIO_TASK_H
#define CIO_TASK_H

#include "context.h"
#include "future.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A task's function: returns the result, or cio_fail(err). */
typedef void *(*cio_task_fn)(void *arg);

/* Options for cio_loop_create_task_ex(); zero-initialise. */
typedef struct cio_task_options {
    const char *name;  /* copied; NULL: "Task-N" as asyncio names them */
    size_t stack_size; /* usable bytes, rounded up to pages; 0: the default */
    /* The context the task starts with a copy of (borrowed; asyncio's
     * create_task(context=)); NULL: its creator's current context. */
    cio_context *context;
    /* Start running at once, inside the creating call, until the task's
     * first suspension (asyncio's create_task(eager_start=True), 3.14): a
     * task that finishes without suspending is done when creation returns
     * and was never scheduled. Only when the loop runs on this thread;
     * otherwise the task starts on a later turn as usual. */
    bool eager_start;
    /* A compact task (docs/tasks.md, "Compact tasks"): it runs on one of a
     * few stacks its loop shares among compact tasks (CIO_COMPACT_STACK_SIZE
     * each; stack_size is ignored) and, while suspended, keeps a heap copy of only the frames it
     * has live - a few hundred bytes for a task parked in a sleep - once
     * another compact task needs the stack. The price: no pointer into its
     * stack may be used by anyone while it is suspended (a local handed to
     * another task, a stack buffer another task or a callback fills), and
     * each switch to it may copy its frames. It never starts eagerly.
     * false: the loop's default (cio_loop_set_compact_tasks), normally a
     * stack of its own. */
    bool compact;
} cio_task_options;

/* Make compact tasks (cio_task_options.compact) the default for the tasks
 * created on loop from now on, or (on false) stop. Loop thread or before the
 * loop runs. Returns 0, or -EINVAL for an invalid or closed loop. */
CIO_EXPORT int cio_loop_set_compact_tasks(cio_loop *loop, bool on);

/* The default stack size: 256 KiB of address space, of which a task touches
 * (and so costs) only the pages it uses. Override per task in
 * cio_task_options, or for the process with $CIO_STACK_SIZE (bytes, or with a
 * K/M suffix). A task that overflows its stack hits a guard page and the
 * process aborts with "cio: task 'NAME' overflowed its N KiB stack". */
#define CIO_DEFAULT_STACK_SIZE (256u * 1024u)

/* The size of the stack a loop's compact tasks share (cio_task_options). */
#define CIO_COMPACT_STACK_SIZE (256u * 1024u)

/* Create a task on loop running fn(arg), through the loop's task factory
 * if one is set; it starts on a later turn (or at once with eager_start). On
 * success *out holds the caller's reference; out NULL makes the task
 * detached (no reference for the caller, as creating it and calling
 * cio_task_unref at once): fire-and-forget. On failure *out is NULL.
 * Returns 0, -EINVAL (NULL loop or fn), -CIO_ECLOSED, -ENOMEM, or -EPERM
 * (wrong thread). */
CIO_EXPORT int cio_loop_create_task_ex(cio_loop *loop, cio_task_fn fn, void *arg,
                                       const cio_task_options *opts, cio_task **out);

/* ---- task factories (loop.set_task_factory) and eager tasks ---------------------------- */

/* Makes the tasks cio_loop_create_task_ex() (and so cio_create_task, task
 * groups, servers) creates on a loop: called with the creation's arguments
 * and the factory_arg it was set with; must honour cio_loop_create_task_ex's
 * contract (0 with *out set, or a negative errno with *out NULL; out NULL:
 * detached), typically by calling cio_task_new() with adjusted options. */
typedef int (*cio_task_factory)(cio_loop *loop, cio_task_fn fn, void *arg,
                                const cio_task_options *opts, void *factory_arg, cio_task **out);

/* loop.set_task_factory(): factory NULL restores the default. Returns 0,
 * -EINVAL (NULL loop), -CIO_ECLOSED or -EPERM (wrong thread). */
CIO_EXPORT int cio_loop_set_task_factory(cio_loop *loop, cio_task_factory factory,
                                         void *factory_arg);

/* loop.get_task_factory(): the factory set, or NULL (default, or invalid
 * loop); *factory_arg (may be NULL) receives its argument. */
CIO_EXPORT cio_task_factory cio_loop_get_task_factory(const cio_loop *loop, void **factory_arg);

/* asyncio.Task(...): make a task bypassing the loop's task factory (what a
 * factory calls). Contract as cio_loop_create_task_ex(). */
CIO_EXPORT int cio_task_new(cio_loop *loop, cio_task_fn fn, void *arg, const cio_task_options *opts,
                            cio_task **out);

/* asyncio.eager_task_factory: a cio_task_factory that creates every task
 * with eager_start (factory_arg unused). Install it with
 * cio_loop_set_task_factory(loop, cio_eager_task_factory, NULL). */
CIO_EXPORT int cio_eager_task_factory(cio_loop *loop, cio_task_fn fn, void *arg,
                                      const cio_task_options *opts, void *factory_arg,
                                      cio_task **out);

/* cio_loop_create_task_ex() with default options. */
CIO_EXPORT int cio_loop_create_task(cio_loop *loop, cio_task_fn fn, void *arg, cio_task **out);

/* asyncio.create_task(): a task on the running loop (the calling task's, or
 * the one a callback runs on). Returns 0 with the caller's reference in *out,
 * -EPERM when no loop is running on this thread, -EINVAL (NULL fn or out),
 * -ENOMEM. out NULL: detached, as for cio_loop_create_task_ex(). *out is
 * NULL on failure, so a later cio_await(*out) is -EINVAL. */
CIO_EXPORT int cio_create_task(cio_task_fn fn, void *arg, cio_task **out);

/* Wait for task to finish and consume the caller's reference to it. Returns
 * its status: 0 with its result in *result (result may be NULL), its
 * cio_fail() error, or -ECANCELED if it was cancelled.
 * If the awaiting task is cancelled (or its timeout scope expires) meanwhile,
 * task is cancelled too (asyncio semantics; see cio_shield for the opposite),
 * waited for, and -ECANCELED (-ETIMEDOUT) is returned. So when cio_await
 * returns, task has always finished - except on misuse: -EPERM (outside a
 * task) and -EDEADLK (a task awaiting itself), which still consume the
 * reference, and -EINVAL (NULL, a stale pointer, a task of another loop),
 * which consumes nothing. Each misuse also prints a one-line report.
 * To read a failure's message, keep a reference:
 *     cio_task_ref(t); rc = cio_await(t, NULL);
 *     if (rc < 0) puts(cio_task_error_message(t));  // may be NULL
 *     cio_task_unref(t); */
CIO_EXPORT int cio_await(cio_task *task, void **result);

CIO_EXPORT cio_task *cio_task_ref(cio_task *task);
/* Drop a reference without waiting (NULL: no-op). If the task later fails and
 * no one retrieved the error, it is reported on stderr when freed. */
CIO_EXPORT void cio_task_unref(cio_task *task);

/* True once the task has finished (returned, failed or been cancelled). */
CIO_EXPORT bool cio_task_done(const cio_task *task);

/* Without waiting, as cio_future_result(): -EAGAIN if not done yet. Borrows. */
CIO_EXPORT int cio_task_result(cio_task *task, void **result);

/* Fail the calling task with err and a message: returns cio_fail(err), for
 * `return cio_fail_msg(-CIO_EUSER(1), "line %d: %s", n, what);`. The text
 * (printf-style) is copied into the task; the last call before the task
 * returns wins, and it is kept only if the task fails (not if it returns a
 * result or ends cancelled). Outside a task, or when the copy cannot be
 * allocated, only the error is returned. A code outside 1..4095 is reported
 * and becomes -CIO_EBADCODE. Loop thread. */
CIO_EXPORT void *cio_fail_msg(int err, const char *fmt, ...) CIO_PRINTF(2, 3);

/* The message a finished task failed with (cio_fail_msg), or NULL: none, not
 * done, or not a valid task. Borrowed: valid while you hold a reference
 * (see cio_await for the pattern). It is also shown in the "error never
 * retrieved" report. */
CIO_EXPORT const char *cio_task_error_message(const cio_task *task);

/* Request cancellation. A task not yet started finishes as cancelled without
 * running (asyncio semantics: its arg is not consumed); a suspended one
 * resumes with -ECANCELED from its await; the running task (cancelling
 * itself) sees -ECANCELED at its next await. A task parked in cio_await or
 * cio_future_await has the task or future it awaits cancelled here, at once
 * (asyncio's Task.cancel()). A task that returns before any await has given
 * it -ECANCELED ends cancelled, its returned value still handed over through
 * cio_await's *result (asyncio: test_cancel_at_end). Returns 0, -EALREADY if
 * the task is done, -EINVAL for NULL. Each call adds one to
 * cio_task_cancelling(). */
CIO_EXPORT int cio_task_cancel(cio_task *task);

/* Undo one cancellation request (asyncio 3.11); returns the remaining count.
 * At 0, awaits stop returning -ECANCELED. -EINVAL for NULL. */
CIO_EXPORT int cio_task_uncancel(cio_task *task);

/* Number of pending cancellation requests (0: not being cancelled). */
CIO_EXPORT int cio_task_cancelling(const cio_task *task);

CIO_EXPORT bool cio_task_cancelled(const cio_task *task); /* done by cancellation */

CIO_EXPORT const char *cio_task_name(const cio_task *task);
/* Rename (copied). Returns 0, -EINVAL or -ENOMEM. */
CIO_EXPORT int cio_task_set_name(cio_task *task, const char *name);

/* The future side of a task (borrowed: valid as long as the task is), for
 * done-callbacks and code that takes futures. */
CIO_EXPORT cio_future *cio_task_future(cio_task *task);
CIO_EXPORT cio_loop *cio_task_loop(const cio_task *task);

/* The task running on this thread, or NULL in callbacks and outside loops. */
CIO_EXPORT cio_task *cio_current_task(void);

/* Fill out[0..cap) with the loop's unfinished tasks (borrowed pointers) and
 * return how many there are in all (may exceed cap). loop NULL: the running
 * loop; none: 0. */
CIO_EXPORT size_t cio_all_tasks(cio_loop *loop, cio_task **out, size_t cap);

/* Suspend the calling task for seconds of loop time (<= 0: one turn, like
 * cio_yield). Returns 0, -ECANCELED, -ETIMEDOUT, -EINVAL (NaN) or -EPERM. */
CIO_EXPORT int cio_sleep(double seconds);

/* Let every other ready task and callback run once (asyncio.sleep(0)).
 * Returns 0, -ECANCELED, -ETIMEDOUT or -EPERM. */
CIO_EXPORT int cio_yield(void);

/* Shield regions: between begin and end, the calling task's awaits are not
 * interrupted by cancellation or timeouts; requests that arrive meanwhile are
 * delivered at the first await after the outermost end. They nest. Return 0,
 * -EPERM outside a task, and for end -EINVAL without a matching begin. */
CIO_EXPORT int cio_shield_begin(void);
CIO_EXPORT int cio_shield_end(void);

/* asyncio.run(): make a loop, run fn(arg) as its main task until it is done,
 * let the loop turn once more (tasks main created just before it returned
 * start), cancel every task still left and wait for them, close and free
 * the loop; a left task's failure is reported ("error never retrieved").
 * Returns the main task's status, its result in *result (may be NULL).
 * Returns -EBUSY if a loop is already running on this thread, or an error
 * of cio_loop_new()/cio_loop_create_task_ex(). On the main thread, with
 * SIGINT at its default disposition, the first SIGINT cancels the main task
 * (as asyncio.run does) and cio_run then returns -EINTR; a second one kills
 * the process as usual. */
CIO_EXPORT int cio_run(cio_task_fn fn, void *arg, void **result);

/* cio_run() with loop options (e.g. the virtual clock for tests). */
CIO_EXPORT int cio_run_ex(cio_task_fn fn, void *arg, const cio_loop_options *opts, void **result);

#ifdef __cplusplus
}
#endif
#endif
