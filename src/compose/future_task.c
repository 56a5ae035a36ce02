/* src/compose/future_task.c - cio_future_as_task: any future as a task, so
 * gather, wait, wait_for, shield, as_completed and task groups - which take
 * tasks - take futures too (the one "awaitable" type of the C API is the
 * task; a task's own future is cio_task_future()).
 *
 * The task awaits the future, so it behaves as asyncio does for a future
 * handed to those functions: cancelling the task (wait_for's timeout,
 * gather's cancellation) cancels the future, and shield leaves it alone. It
 * starts eagerly: for a future already done, the task is done when it is
 * made, with no scheduling. */
#include "compose/compose.h"

static void *await_future(void *arg) {
    cio_future *future = arg;
    void *result;
    int rc = cio_future_await(future, &result);
    cio_future_unref(future);
    return rc < 0 ? cio_fail(rc) : result;
}

int cio_future_as_task(cio_future *future, cio_task **out) {
    if (out) *out = NULL;
    if (!future || !out || (future->magic != CIO__FUTURE_MAGIC && future->magic != CIO__TASK_MAGIC))
        return -EINVAL;
    cio_task *task = cio__task_of_future(future);
    if (task) { /* the future behind a task: the task itself */
        *out = cio_task_ref(task);
        return 0;
    }
    cio_task_options opts = {.eager_start = true};
    int rc = cio_task_new(future->loop, await_future, cio_future_ref(future), &opts, out);
    if (rc < 0) cio_future_unref(future);
    return rc;
}
