/* src/runner/run.c - asyncio.run(): a runner of one run (runner.c): a fresh
 * loop, the main task with SIGINT handling, then every other task cancelled
 * and waited for, and the loop freed. */
#include "core/core.h"

int cio_run_ex(cio_task_fn fn, void *arg, const cio_loop_options *opts, void **result) {
    if (result) *result = NULL;
    if (!fn) return -EINVAL;
    if (cio__running_loop) return -EBUSY;
    cio_runner *runner;
    int rc = cio_runner_new(opts, &runner);
    if (rc < 0) return rc;
    rc = cio_runner_run(runner, fn, arg, result);
    cio_runner_free(runner);
    return rc;
}

int cio_run(cio_task_fn fn, void *arg, void **result) {
    return cio_run_ex(fn, arg, NULL, result);
}
