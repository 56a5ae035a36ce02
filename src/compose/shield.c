/* src/compose/shield.c - cio_shield: await a task that the caller's
 * cancellation must not reach.
 *
 * Plain cio_await() cancels what it awaits when interrupted; this is the
 * same wait without that step. The task is not touched: asyncio.shield()'s
 * outer future is not needed, because the wait is already the caller's own. */
#include "compose/compose.h"

int cio_shield(cio_task *task, void **result) {
    if (result) *result = NULL;
    cio_task *self = cio__task_current_or_complain("cio_shield");
    if (!self) return -EPERM;
    int rc = cio__compose_check_one(self, task);
    if (rc < 0) return rc;
    rc = cio__future_wait(cio__task_future(task));
    if (rc == 0) rc = cio__future_outcome(cio__task_future(task), result);
    cio_task_unref(task); /* interrupted: detached, it keeps running */
    return rc;
}
