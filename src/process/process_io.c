/* src/process/process_io.c - waiting for a child, its pipes, and communicate().
 *
 * Each pipe is a cio_stream (src/net/pipe.c) owned by the process: the user
 * borrows it through cio_process_stdin/stdout/stderr, and cio_process_free()
 * frees it. communicate() runs one task per output pipe so a child that fills
 * stdout while we still feed its stdin never deadlocks. */
#include "process/process.h"

#include <stdlib.h>

/* ---- waiting for the exit ---------------------------------------------------------- */

void cio__process_wake_waiters(cio_process *process, int status) {
    cio__waitq_wake_all(&process->waiters, status);
    if (process->holds) cio__loop_unhold(process->loop);
    process->holds = 0;
}

static void abort_process_wait(cio_task *task) {
    cio_process *process = cio__wait_owner(task);
    cio__waitq_unhook(task);
    if (cio__waitq_empty(&process->waiters) && process->holds) {
        cio__loop_unhold(process->loop);
        process->holds = 0;
    }
}

/* An interrupted wait or communicate: kill the child if the caller chose so
 * (it is reaped in the background as it dies). */
static int interrupted(cio_process *process, int rc) {
    if ((rc == -ECANCELED || rc == -ETIMEDOUT) && process->kill_on_cancel && !process->exited)
        cio_process_kill(process);
    return rc;
}

static cio_task *task_for(const cio_process *process, const char *caller, int *rc) {
    cio_task *task = cio__task_current_or_complain(caller);
    *rc = task ? cio__process_check(process, caller) : -EPERM;
    if (*rc == 0 && cio__task_loop(task) != process->loop) *rc = -EINVAL;
    return *rc == 0 ? task : NULL;
}

int cio_process_wait(cio_process *process, int *returncode) {
    int rc;
    cio_task *task = task_for(process, "cio_process_wait", &rc);
    if (!task) return rc;
    if (!process->exited) {
        if (!process->holds) cio__loop_hold(process->loop);
        process->holds = 1;
        cio__wait_tag(task, CIO_WAIT_PROCESS, process);
        rc = cio__waitq_park(&process->waiters, task, abort_process_wait, process);
        if (rc == -CIO_ECLOSED) return rc; /* freed or its loop closed: the handle may be gone */
        if (rc < 0) return interrupted(process, rc);
    }
    if (returncode) *returncode = process->returncode;
    return 0;
}

/* ---- pipes --------------------------------------------------------------------------------- */

int cio__process_open_pipes(cio_process *process, int ends[3]) {
    for (int i = 0; i < 3; i++) {
        if (ends[i] < 0) continue;
        int rc = cio_stream_from_fd(ends[i], 0, &process->pipes[i]);
        if (rc < 0) {
            cio__process_close_pipes(process);
            return rc;
        }
        cio__stream_set_borrowed(process->pipes[i], true);
        ends[i] = -1; /* the stream's now */
    }
    return 0;
}

void cio__process_close_pipes(cio_process *process) {
    for (int i = 0; i < 3; i++) {
        cio_stream *stream = process->pipes[i];
        if (!stream) continue;
        process->pipes[i] = NULL;
        cio__stream_set_borrowed(stream, false);
        cio_stream_free(stream); /* graceful: stdin's buffered input is still sent */
    }
}

static cio_stream *pipe_of(const cio_process *process, int index, const char *caller) {
    return cio__process_valid(process, caller) ? process->pipes[index] : NULL;
}

cio_stream *cio_process_stdin(const cio_process *process) {
    return pipe_of(process, 0, "cio_process_stdin");
}
cio_stream *cio_process_stdout(const cio_process *process) {
    return pipe_of(process, 1, "cio_process_stdout");
}
cio_stream *cio_process_stderr(const cio_process *process) {
    return pipe_of(process, 2, "cio_process_stderr");
}

/* ---- communicate --------------------------------------------------------------------------- */

/* Input goes to stdin a slice at a time, with a drain after each, so at most
 * about two slices are ever buffered however large the input is. */
#define FEED_SLICE (64u * 1024u)

struct collector {
    cio_stream *stream;
    cio_stream *stdin_pipe; /* stopped when this collector fails */
    bool keep;              /* false: drain and drop */
    char *data;
    size_t len;
    int failed; /* its own error (not a cancel by communicate), or 0 */
};

static int read_output(struct collector *c) {
    if (c->keep) return cio_stream_read_all(c->stream, &c->data, &c->len);
    char sink[16 * 1024];
    ssize_t got;
    while ((got = cio_stream_read(c->stream, sink, sizeof sink)) > 0) {
    }
    return (int)got;
}

/* A failed read stops the feeding too: with nobody reading its output, a
 * child that echoes its input would block, and the feed with it, for good. */
static void *collect(void *arg) {
    struct collector *c = arg;
    int rc = read_output(c);
    if (rc >= 0) return NULL;
    if (rc != -ECANCELED) {
        c->failed = rc;
        if (c->stdin_pipe && cio_stream_fd(c->stdin_pipe) >= 0) cio_stream_abort(c->stdin_pipe);
    }
    return cio_fail(rc);
}

static bool usable(const cio_stream *stream) {
    return stream && !cio_stream_is_closing(stream);
}

/* Feed stdin, then close it and wait until it is sent. A child that stops
 * reading is fine (EPIPE). On an interrupt stdin is left as it is. */
static int feed(cio_stream *stdin_pipe, const char *input, size_t len) {
    if (!usable(stdin_pipe)) return 0;
    int rc = 0;
    while (rc == 0 && len > 0) {
        size_t slice = len < FEED_SLICE ? len : FEED_SLICE;
        rc = cio_stream_write(stdin_pipe, input, slice);
        if (rc == 0) rc = cio_stream_drain(stdin_pipe);
        input += slice;
        len -= slice;
    }
    if (rc == -EPIPE) rc = 0;
    if (rc < 0) return rc;
    cio_stream_close(stdin_pipe);
    return cio_stream_wait_closed(stdin_pipe);
}

/* Await a collector task; the first error wins. */
static int finish_collector(cio_task *task, int rc) {
    if (!task) return rc;
    int status = cio_await(task, NULL);
    return rc < 0 ? rc : status;
}

static void hand_over(struct collector *c, char **data, size_t *len, int rc) {
    if (rc == 0 && data) {
        *data = c->data;
        if (len) *len = c->len;
    } else {
        free(c->data);
    }
}

int cio_process_communicate(cio_process *process, const void *input, size_t len, char **out,
                            size_t *out_len, char **err, size_t *err_len) {
    if (out) *out = NULL;
    if (err) *err = NULL;
    if (out_len) *out_len = 0;
    if (err_len) *err_len = 0;
    int rc;
    cio_task *task = task_for(process, "cio_process_communicate", &rc);
    if (!task) return rc;
    if (!input && len) return -EINVAL;
    struct collector c[2] = {{process->pipes[1], process->pipes[0], out != NULL, NULL, 0, 0},
                             {process->pipes[2], process->pipes[0], err != NULL, NULL, 0, 0}};
    cio_task *readers[2] = {NULL, NULL};
    for (int i = 0; i < 2 && rc == 0; i++)
        if (usable(c[i].stream)) rc = cio_create_task(collect, &c[i], &readers[i]);
    if (rc == 0) rc = feed(process->pipes[0], input, len);
    if (rc < 0)
        for (int i = 0; i < 2; i++)
            if (readers[i]) cio_task_cancel(readers[i]);
    for (int i = 0; i < 2; i++) rc = finish_collector(readers[i], rc);
    for (int i = 1; i >= 0; i--) /* a read's error, not the aborted feed's, is the cause */
        if (c[i].failed) rc = c[i].failed;
    if (rc == 0)
        rc = cio_process_wait(process, NULL);
    else if (rc != -CIO_ECLOSED)
        interrupted(process, rc);
    hand_over(&c[0], out, out_len, rc);
    hand_over(&c[1], err, err_len, rc);
    return rc;
}
