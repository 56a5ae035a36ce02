/* src/core/failure.c - what a task leaves behind when it ends: a failure's
 * message (cio_fail_msg), the scopes it forgot to end, and the report of an
 * error no one retrieved. */
#include "core/task.h"

#include <stdarg.h>
#include <stdlib.h>

void *cio_fail_msg(int err, const char *fmt, ...) {
    void *failure = cio_fail(err);
    cio_task *task = cio_current_task();
    if (err < -CIO_ERROR_MAX || err > CIO_ERROR_MAX)
        cio__complain("cio_fail_msg: error code %d is outside 1..%d (see CIO_EUSER)", err,
                      CIO_ERROR_MAX);
    if (!task || !fmt) return failure;
    va_list args;
    va_start(args, fmt);
    int len = vsnprintf(NULL, 0, fmt, args);
    va_end(args);
    char *text = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (!text) return failure; /* the error itself still gets through */
    va_start(args, fmt);
    vsnprintf(text, (size_t)len + 1, fmt, args);
    va_end(args);
    free(task->error_message); /* the last call before returning wins */
    task->error_message = text;
    return failure;
}

const char *cio_task_error_message(const cio_task *task) {
    if (!cio__task_valid(task) || task->state != CIO__TASK_DONE) return NULL;
    return task->error_message;
}

/* The scope storage may be in a frame that has returned: only the pointers
 * are looked at, never the scopes. */
static void report_open_scopes(cio_task *task) {
    cio_loop *loop = task->future.loop;
    if (task->scopes)
        cio__diag(loop, CIO_DIAG_OPEN_SCOPE, task, 0,
                  "task '%s' ended with a timeout scope still open "
                  "(cio_timeout_begin without cio_timeout_end; CIO_WITH_TIMEOUT cannot "
                  "be left open)",
                  cio_task_name(task));
    if (task->shield_depth > 0)
        cio__diag(loop, CIO_DIAG_OPEN_SCOPE, task, 0,
                  "task '%s' ended inside a shield (cio_shield_begin without "
                  "cio_shield_end)",
                  cio_task_name(task));
    task->scopes = NULL;
    task->shield_depth = 0;
}

void cio__task_finish_checks_slow(cio_task *task, int error) {
    if (task->scopes || task->shield_depth > 0) report_open_scopes(task);
    if (!error || error == -ECANCELED) { /* a message belongs to a failure only */
        free(task->error_message);
        task->error_message = NULL;
    }
}

void cio__task_report_unretrieved_slow(cio_task *task) {
    int error = task->future.error;
    if (task->state != CIO__TASK_DONE || !error || error == -ECANCELED || task->future.retrieved)
        return;
    cio__diag(task->future.loop, CIO_DIAG_UNRETRIEVED, task, error,
              "task '%s' failed: %s%s%s (error never retrieved)", cio_task_name(task),
              cio_strerror(error), task->error_message ? ": " : "",
              task->error_message ? task->error_message : "");
}
