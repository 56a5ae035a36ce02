/* cio/cores.h - a loop on every core: N loops on N threads running the same
 * main function, stopped together, and work handed from one loop to another.
 *
 *     static void *serve(void *arg) {          // runs once on every loop
 *         cio_server_options opts = {.reuse_port = true};
 *         cio_server *server;
 *         int rc = cio_start_server("0.0.0.0", 8080, handle, NULL, &opts, &server);
 *         if (rc < 0) return cio_fail(rc);     // stops every loop
 *         rc = cio_server_serve_forever(server); // until Ctrl-C or cio_cores_stop()
 *         cio_server_free(server);
 *         return rc < 0 ? cio_fail(rc) : NULL;
 *     }
 *     int main(void) { return cio_run_cores(serve, NULL, NULL) < 0; }
 *
 * With SO_REUSEPORT (cio_server_options.reuse_port) every loop listens on the
 * same port and the kernel spreads new connections among them. Nothing is
 * shared between the loops: each keeps its own tasks, stacks, timers and
 * pools, so no lock sits on any loop's hot path. Each loop also has its own
 * default thread pool (cio/thread.h), made on first use; a program that wants
 * one pool for all loops makes an executor and passes it to
 * cio_run_in_executor from every loop.
 *
 * Hand-offs between loops go through cio_call_soon_threadsafe (loop.h), which
 * cio_loop_submit below wraps into an await. */
#ifndef CIO_CORES_H
#define CIO_CORES_H

#include "task.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Options for cio_run_cores_ex; zero-initialise and set what you need. */
typedef struct cio_cores_options {
    int loops; /* how many loops (threads); 0: the CPUs this process may run on */
    bool pin;  /* pin loop i's thread to the i-th of those CPUs (wrapping round) */
    const cio_loop_options *loop; /* options of every loop; NULL: defaults */
} cio_cores_options;

/* Run fn(arg) as the main task of each of N fresh loops, one per thread, and
 * return when every main task has ended, each loop's remaining tasks
 * cancelled and awaited and the loop freed, as cio_run does for one. fn learns
 * which loop it runs on from cio_cores_index().
 *
 * Stopping: a main task that fails (returns cio_fail(err), err other than
 * -ECANCELED) cancels every other loop's main task; so does cio_cores_stop(),
 * and, when called on the process's main thread, a SIGINT (as cio_run: the
 * first cancels, a second interrupts). A main task that returns normally
 * leaves the other loops running. The calling thread sleeps in a loop of its
 * own meanwhile (it serves the signals).
 *
 * Every loop exists before any main task starts: cio_cores_loop(i) finds
 * each of them from the first instruction of fn.
 *
 * Returns 0 when every main task returned normally; -EINTR when a SIGINT
 * stopped them; else the error of the lowest-indexed loop whose main task
 * failed with something other than -ECANCELED; else -ECANCELED when a stop
 * cancelled any of them. Also -EINVAL (NULL fn,
 * loops < 0), -EBUSY (a loop already runs on this thread), -EAGAIN or
 * -ENOMEM (threads or loops could not be made; those made are stopped and
 * joined first). Call it from any thread that runs no loop. */
CIO_EXPORT int cio_run_cores_ex(cio_task_fn fn, void *arg, const cio_cores_options *opts);
CIO_EXPORT int cio_run_cores(cio_task_fn fn, void *arg); /* cio_run_cores_ex with defaults */

/* The index (0..count-1) of the loop running on this thread within its
 * cio_run_cores group, or -EPERM on a thread that is not one of its loops. */
CIO_EXPORT int cio_cores_index(void);

/* How many loops the calling loop's group has, or -EPERM outside a group. */
CIO_EXPORT int cio_cores_count(void);

/* The group's loop at index (borrowed: valid for as long as any task of the
 * group runs, since a loop whose main task ended goes on serving what the
 * others submit to it until every loop's main task has ended), or NULL
 * outside a group or for an index out of range (or, on a loop that could not
 * be made, for that index). For cio_loop_submit. */
CIO_EXPORT cio_loop *cio_cores_loop(int index);

/* Cancel the main task of every loop of the calling loop's group (any of its
 * loops, any task or callback). Returns 0, or -EPERM outside a group. */
CIO_EXPORT int cio_cores_stop(void);

/* Run fn(arg) as a task on target, another loop running on another thread,
 * and suspend the calling task until it ends: its result in *result (may be
 * NULL), its cio_fail() error returned. asyncio's
 * `await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, loop))`.
 *
 * Cancelling the caller cancels the task on target, and the caller still waits
 * for it to end before returning -ECANCELED (so arg may live on the caller's
 * stack); a result it produced anyway is dropped (*result stays NULL): free
 * what it owns in fn on -ECANCELED paths if that matters. The caller's timeout
 * scopes act the same way with -ETIMEDOUT.
 *
 * Returns fn's error or 0, -ECANCELED, -ETIMEDOUT, -EINVAL (NULL target or
 * fn), -EDEADLK (target is the caller's own loop: create a task instead),
 * -CIO_ECLOSED (target is closed), -ENOMEM, -EPERM (outside a task). Inside a
 * task only; target may be any loop of the process, in a group or not. */
CIO_EXPORT int cio_loop_submit(cio_loop *target, cio_task_fn fn, void *arg, void **result);

#ifdef __cplusplus
}
#endif

#endif
