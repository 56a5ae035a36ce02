/* src/runner/run.c - asyncio.run(): a fresh loop, the main task, SIGINT
 * handling, then every other task cancelled and the loop freed.
 *
 * It sits above every area (base <- core <- {compose, sync, net, os} <-
 * runner): the core knows nothing of signals, and cio_run is what ties the
 * loop to the os layer's SIGINT handling. */
#include "core/core.h"
#include "os/os.h" /* cio__signal_run_begin/end: SIGINT cancels the main task */

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
    cio_loop *loop;
    int rc = cio_loop_new(opts, &loop);
    if (rc < 0) return rc;
    watchdog_from_env(loop);
    cio_task *main_task;
    rc = cio_loop_create_task_ex(loop, fn, arg, NULL, &main_task);
    if (rc == 0) {
        cio__signal_run_begin(loop, main_task);
        rc = cio_loop_run_until_complete(loop, main_task, result);
        rc = cio__signal_run_end(loop, rc);
    }
    cio__loop_cancel_remaining(loop);
    cio_loop_free(loop);
    return rc;
}

int cio_run(cio_task_fn fn, void *arg, void **result) {
    return cio_run_ex(fn, arg, NULL, result);
}
