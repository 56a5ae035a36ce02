/* cio/runner.h - asyncio.Runner: one loop reused across several runs.
 *
 *     cio_runner *runner;
 *     cio_runner_new(NULL, &runner);
 *     cio_runner_run(runner, connect_main, cfg, NULL);  // same loop...
 *     cio_runner_run(runner, serve_main, cfg, NULL);    // ...for both runs
 *     cio_runner_close(runner);   // cancel leftovers, stop the thread pool
 *     cio_runner_free(runner);
 *
 * cio_run() is a runner of one run. Tasks a run leaves unfinished stay on
 * the loop and go on running in the next run (as with asyncio.Runner);
 * closing cancels them and waits for them to finish, then closes the loop,
 * which shuts down its default thread pool (waiting for running jobs).
 *
 * Ctrl-C, as asyncio: during a run on the main thread, with SIGINT at its
 * default disposition, the first SIGINT cancels the run's main task (the run
 * returns -EINTR if it ends cancelled) and a second one, if the task is still
 * running, kills the process as usual. The disposition is restored after
 * each run; the runner stays usable after an interrupted run.
 *
 * Threads: a runner belongs to the thread that made it; every function here
 * is for that thread, outside any running loop. */
#ifndef CIO_RUNNER_H
#define CIO_RUNNER_H

#include "task.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cio_runner cio_runner;

/* Make a runner and its loop (opts as cio_loop_new; NULL: defaults). *out
 * gets it (NULL on failure); free it with cio_runner_free(). Returns 0,
 * -EINVAL (NULL out), -ENOMEM, or an error of cio_loop_new(). */
CIO_EXPORT int cio_runner_new(const cio_loop_options *opts, cio_runner **out);

/* Runner.run(): run fn(arg) as the main task on the runner's loop until it
 * is done (other tasks then stay as they are). Returns the task's status
 * with its result in *result (may be NULL): 0, its error, -ECANCELED, or
 * -EINTR when a SIGINT cancelled it. Misuse: -EINVAL (NULL runner or fn),
 * -CIO_ECLOSED (closed), -EBUSY (a loop is already running on this thread:
 * a run cannot nest), or an error of task creation. */
CIO_EXPORT int cio_runner_run(cio_runner *runner, cio_task_fn fn, void *arg, void **result);

/* cio_runner_run() with task options for the main task (name, stack size,
 * context, as in cio_loop_create_task_ex). */
CIO_EXPORT int cio_runner_run_ex(cio_runner *runner, cio_task_fn fn, void *arg,
                                 const cio_task_options *opts, void **result);

/* Runner.get_loop(): the runner's loop (borrowed), NULL for NULL or a
 * closed runner. */
CIO_EXPORT cio_loop *cio_runner_loop(const cio_runner *runner);

/* Runner.close(): cancel every unfinished task of the loop and run it until
 * they have finished, then close the loop (shutting down its default thread
 * pool). Returns 0, -CIO_ECLOSED (already closed: nothing done), -EBUSY
 * (called during a run) or -EINVAL (NULL). */
CIO_EXPORT int cio_runner_close(cio_runner *runner);

/* Close if not closed, then free the runner and its loop. NULL: no-op.
 * Refused with a report (nothing freed) during a run. */
CIO_EXPORT void cio_runner_free(cio_runner *runner);

#ifdef __cplusplus
}
#endif
#endif
