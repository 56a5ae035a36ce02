/* src/runner/runner.c - asyncio.Runner: a loop kept across runs, SIGINT
 * handling per run, cancel-and-wait of what is left at close. cio_run
 * (run.c) is a runner of one run.
 *
 * It sits above every area (base <- core <- {compose, sync, net, os} <-
 * runner): the core knows nothing of signals, and the runner is what ties
 * the loop to the os layer's SIGINT handling. */
#include "core/core.h"
#include "os/os.h" /* cio__signal_run_begin/end: SIGINT cancels the main task */

#include <stdlib.h>

#define RUNNER_MAGIC 0x63696f52u /* "cioR" */

struct cio_runner {
    uint32_t magic;
    bool closed;
    bool running;
    cio_loop *loop;
};

int cio_runner_new(const cio_loop_options *opts, cio_runner **out) {
    if (!out) return -EINVAL;
    *out = NULL;
    cio_runner *runner = calloc(1, sizeof *runner);
    if (!runner) return -ENOMEM;
    int rc = cio_loop_new(opts, &runner->loop);
    if (rc < 0) {
        free(runner);
        return rc;
    }
    runner->magic = RUNNER_MAGIC;
    *out = runner;
    return 0;
}

/* A live runner; false, with a report naming caller, for a stale handle
 * (a runner freed into the quarantine, core/handle.c). */
static bool valid(const cio_runner *runner, const char *caller) {
    return cio__handle_check(runner, RUNNER_MAGIC, "runner", caller) == 0;
}

int cio_runner_run_ex(cio_runner *runner, cio_task_fn fn, void *arg, const cio_task_options *opts,
                      void **result) {
    if (result) *result = NULL;
    if (!valid(runner, __func__) || !fn) return -EINVAL;
    if (runner->closed) return -CIO_ECLOSED;
    if (cio__running_loop) {
        cio__complain("cio_runner_run: a loop is already running on this thread");
        return -EBUSY;
    }
    cio_task *main_task;
    int rc = cio_loop_create_task_ex(runner->loop, fn, arg, opts, &main_task);
    if (rc < 0) return rc;
    runner->running = true;
    cio__signal_run_begin(runner->loop, main_task);
    rc = cio_loop_run_until_complete(runner->loop, main_task, result);
    rc = cio__signal_run_end(runner->loop, rc);
    runner->running = false;
    return rc;
}

int cio_runner_run(cio_runner *runner, cio_task_fn fn, void *arg, void **result) {
    return cio_runner_run_ex(runner, fn, arg, NULL, result);
}

cio_loop *cio_runner_loop(const cio_runner *runner) {
    return valid(runner, __func__) && !runner->closed ? runner->loop : NULL;
}

int cio_runner_close(cio_runner *runner) {
    if (!valid(runner, __func__)) return -EINVAL;
    if (runner->closed) return -CIO_ECLOSED;
    if (runner->running) {
        cio__complain("cio_runner_close: called during a run of the runner");
        return -EBUSY;
    }
    runner->closed = true;
    cio__loop_cancel_remaining(runner->loop);
    cio_loop_close(runner->loop); /* shuts the default thread pool down */
    return 0;
}

void cio_runner_free(cio_runner *runner) {
    if (!runner) return;
    if (!valid(runner, __func__) || runner->running) {
        cio__complain("cio_runner_free: %s",
                      runner->running ? "called during a run of the runner" : "not a runner");
        return;
    }
    if (!runner->closed) cio_runner_close(runner);
    cio_loop_free(runner->loop);
    cio__handle_retire(runner); /* a stale handle is reported (core/handle.c) */
}
