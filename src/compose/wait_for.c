/* src/compose/wait_for.c - cio_wait_for: await one task with a deadline.
 *
 * asyncio 3.12's shape: `async with timeout(t): return await task`. The
 * deadline is a timeout scope around the await; when it fires the task is
 * cancelled and waited for, and then its outcome decides. A task that ends
 * with a result anyway - it finished in the same instant (its wake-up was
 * already handed over, so the cancellation only reaches its next await), or
 * it caught the cancellation and returned - keeps that result: the race
 * asyncio fixed in 3.12. */
#include "compose/compose.h"

#include <math.h>

/* Cancel task and wait until it has finished, not interruptible. */
static void cancel_and_drain(cio_task *self, cio_task *task) {
    cio_task_cancel(task);
    cio__uninterruptible_begin(self);
    cio__future_wait(cio__task_future(task));
    cio__uninterruptible_end(self);
}

int cio_wait_for(cio_task *task, double timeout, void **result) {
    if (result) *result = NULL;
    cio_task *self = cio__task_current_or_complain("cio_wait_for");
    if (!self) return -EPERM;
    int rc = cio__compose_check_one(self, task);
    if (rc < 0) return rc;
    if (isnan(timeout)) return -EINVAL;
    cio_timeout scope;
    cio_timeout_begin(&scope, timeout);
    rc = cio__future_wait(cio__task_future(task));
    if (rc < 0) cancel_and_drain(self, task);
    bool ours = cio_timeout_end(&scope) == -ETIMEDOUT && rc == -ETIMEDOUT;
    /* A cancellation (or an outer deadline) that came while we drained the
     * task after our own deadline is the caller's, and wins over the task's
     * result, as CPython's test_wait_for_self_cancellation expects. */
    if (ours) {
        int late = cio__wait_deliver_pending(self);
        if (late < 0) {
            ours = false;
            rc = late;
        }
    }
    int status = cio__future_outcome(cio__task_future(task), result);
    /* A task that returned its value after our cancellation reached it only
     * as a pending one (its wake-up was handed over first) ends cancelled,
     * as in asyncio, but its value is still a result that wins here. */
    if (ours && status == -ECANCELED && cio__task_returned(task)) status = 0;
    cio_task_unref(task);
    if (ours && status != -ECANCELED) return status; /* the result (or a real error) wins */
    if (rc < 0 && result) *result = NULL;
    return rc < 0 ? rc : status;
}
