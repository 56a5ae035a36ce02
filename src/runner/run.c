/* src/runner/run.c - asyncio.run(): a runner of one run (runner.c): a fresh
 * loop, the main task with SIGINT handling, then every other task cancelled
 * and waited for, and the loop freed. */
#include "core/core.h"

#include <stdlib.h>

/* $CIO_WATCHDOG_MS=N: watch the run's loop for stalls of N ms (see
 * cio_loop_start_watchdog), so a program can be watched without a change. */
static void watchdog_from_env(cio_loop *loop) {
    const char *env = getenv("CIO_WATCHDOG_MS");
    char *end;
    long ms = env && *env ? strtol(env, &end, 10) : 0;
    if (ms <= 0 || *end || ms > 3600000) {
        if (env && *env) cio__complain("CIO_WATCHDOG_MS='%s' is not a count of ms: ignored", env);
        return;
    }
    int rc = cio_loop_start_watchdog(loop, (unsigned)ms);
    if (rc < 0) cio__complain("CIO_WATCHDOG_MS: no watchdog: %s", cio_strerror(rc));
}

int cio_run_ex(cio_task_fn fn, void *arg, const cio_loop_options *opts, void **result) {
    if (result) *result = NULL;
    if (!fn) return -EINVAL;
    if (cio__running_loop) return -EBUSY;
    cio_runner *runner;
    int rc = cio_runner_new(opts, &runner);
    if (rc < 0) return rc;
    watchdog_from_env(cio_runner_loop(runner));
    rc = cio_runner_run(runner, fn, arg, result);
    cio_runner_free(runner);
    return rc;
}

int cio_run(cio_task_fn fn, void *arg, void **result) {
    return cio_run_ex(fn, arg, NULL, result);
}
