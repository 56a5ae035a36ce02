/* src/os/process_io.c - waiting for a child, its pipes, and communicate().
 *
 * The pipes are plain non-blocking fds: read or write until EAGAIN, then park
 * on the fd through cio__io_wait. communicate() runs one task per output pipe
 * so a child that fills stdout while we still feed its stdin never
 * deadlocks. */
#include "os/os.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- waiting for the exit ---------------------------------------------------------- */

void cio__process_wake_waiters(cio_process *process, int status) {
    struct cio__list *node;
    while ((node = cio__list_pop_front(&process->waiters)) != NULL)
        cio__wake(cio__container_of(node, cio_task, wait_link.node), status);
    if (process->holds) cio__loop_unhold(process->loop);
    process->holds = 0;
}

static void abort_process_wait(cio_task *task) {
    cio_process *process = task->wait_object;
    cio__list_remove(&task->wait_link.node);
    if (cio__list_empty(&process->waiters) && process->holds) {
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
    *rc = task ? cio__process_check(process) : -EPERM;
    if (*rc == 0 && task->future.loop != process->loop) *rc = -EINVAL;
    return *rc == 0 ? task : NULL;
}

int cio_process_wait(cio_process *process, int *returncode) {
    int rc;
    cio_task *task = task_for(process, "cio_process_wait", &rc);
    if (!task) return rc;
    if (!process->exited) {
        if (!process->holds) cio__loop_hold(process->loop);
        process->holds = 1;
        task->wait_link.kind = CIO__LINK_TASK;
        task->wait_object = process;
        cio__list_push_back(&process->waiters, &task->wait_link.node);
        rc = cio__wait(task, abort_process_wait);
        if (rc == -CIO_ECLOSED) return rc; /* freed or its loop closed: the handle may be gone */
        if (rc < 0) return interrupted(process, rc);
    }
    if (returncode) *returncode = process->returncode;
    return 0;
}

/* ---- pipes --------------------------------------------------------------------------------- */

static int pipe_fd(cio_process *process, int which) {
    return which >= 0 && which <= 2 ? process->fds[which] : -1;
}

ssize_t cio_process_read(cio_process *process, int which, void *buf, size_t n) {
    int rc;
    cio_task *task = task_for(process, "cio_process_read", &rc);
    if (!task) return rc;
    if (!buf || (which != CIO_PROCESS_STDOUT && which != CIO_PROCESS_STDERR)) return -EINVAL;
    for (;;) {
        int fd = pipe_fd(process, which);
        if (fd < 0) return -EBADF;
        ssize_t got = read(fd, buf, n);
        if (got >= 0) return got;
        if (errno == EINTR) continue;
        if (errno != EAGAIN) return -errno;
        rc = cio__io_wait(task, fd, CIO__READABLE, false);
        if (rc < 0) return rc;
    }
}

/* Grow *data so at least `want` more bytes fit after len. */
static int reserve(char **data, size_t *cap, size_t len, size_t want) {
    if (*cap - len >= want) return 0;
    size_t grown = *cap ? *cap : 64 * 1024;
    while (grown - len < want) grown *= 2;
    char *bigger = realloc(*data, grown);
    if (!bigger) return -ENOMEM;
    *data = bigger;
    *cap = grown;
    return 0;
}

int cio_process_read_all(cio_process *process, int which, void **data, size_t *len) {
    if (data) *data = NULL;
    if (len) *len = 0;
    if (!data || !len) return -EINVAL;
    char *buf = NULL;
    size_t cap = 0, used = 0;
    ssize_t got;
    do {
        if (reserve(&buf, &cap, used, 16 * 1024 + 1) < 0) {
            got = -ENOMEM;
            break;
        }
        got = cio_process_read(process, which, buf + used, cap - used - 1);
        if (got > 0) used += (size_t)got;
    } while (got > 0);
    if (got < 0) {
        free(buf);
        return (int)got;
    }
    buf[used] = '\0';
    *data = buf;
    *len = used;
    return 0;
}

/* write(2) that turns a broken pipe into -EPIPE without raising SIGPIPE: the
 * signal is blocked in this thread for the call and, if the write raised it,
 * taken back (unless one was already pending before). */
static ssize_t write_quietly(int fd, const void *buf, size_t len) {
    sigset_t pipe_only, old, pending;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
    sigpending(&pending);
    bool was_pending = sigismember(&pending, SIGPIPE);
    ssize_t wrote = write(fd, buf, len);
    int saved = errno;
    if (wrote < 0 && saved == EPIPE && !was_pending) {
        struct timespec none = {0, 0};
        sigtimedwait(&pipe_only, NULL, &none);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = saved;
    return wrote;
}

int cio_process_write(cio_process *process, const void *buf, size_t len) {
    int rc;
    cio_task *task = task_for(process, "cio_process_write", &rc);
    if (!task) return rc;
    if (!buf && len) return -EINVAL;
    const char *next = buf;
    while (len > 0) {
        int fd = process->fds[0];
        if (fd < 0) return -EBADF;
        ssize_t wrote = write_quietly(fd, next, len);
        if (wrote >= 0) {
            next += wrote;
            len -= (size_t)wrote;
        } else if (errno == EAGAIN) {
            if ((rc = cio__io_wait(task, fd, CIO__WRITABLE, false)) < 0) return rc;
        } else if (errno != EINTR) {
            return -errno;
        }
    }
    return 0;
}

int cio_process_close_stdin(cio_process *process) {
    if (!cio__process_valid(process)) return -EINVAL;
    if (process->fds[0] < 0) return -EBADF;
    int fd = process->fds[0];
    process->fds[0] = -1;
    return cio_close(fd);
}

/* ---- communicate --------------------------------------------------------------------------- */

struct collector {
    cio_process *process;
    int which;
    bool keep; /* false: drain and drop */
    void *data;
    size_t len;
};

static void *collect(void *arg) {
    struct collector *c = arg;
    if (c->keep) {
        int rc = cio_process_read_all(c->process, c->which, &c->data, &c->len);
        return rc < 0 ? cio_fail(rc) : NULL;
    }
    char sink[16 * 1024];
    ssize_t got;
    while ((got = cio_process_read(c->process, c->which, sink, sizeof sink)) > 0) {
    }
    return got < 0 ? cio_fail((int)got) : NULL;
}

/* Feed stdin (a child that stops reading is fine: EPIPE), then close it. */
static int feed(cio_process *process, const void *input, size_t len) {
    if (process->fds[0] < 0) return 0;
    int rc = len ? cio_process_write(process, input, len) : 0;
    if (rc == -EPIPE) rc = 0;
    cio_process_close_stdin(process);
    return rc;
}

/* Await a collector task; the first error wins. */
static int finish_collector(cio_task *task, int rc) {
    if (!task) return rc;
    int status = cio_await(task, NULL);
    return rc < 0 ? rc : status;
}

static void hand_over(struct collector *c, void **data, size_t *len, int rc) {
    if (rc == 0 && data) {
        *data = c->data;
        if (len) *len = c->len;
    } else {
        free(c->data);
    }
}

int cio_process_communicate(cio_process *process, const void *input, size_t len, void **out,
                            size_t *out_len, void **err, size_t *err_len) {
    if (out) *out = NULL;
    if (err) *err = NULL;
    if (out_len) *out_len = 0;
    if (err_len) *err_len = 0;
    int rc;
    cio_task *task = task_for(process, "cio_process_communicate", &rc);
    if (!task) return rc;
    if (!input && len) return -EINVAL;
    struct collector c[2] = {{process, CIO_PROCESS_STDOUT, out != NULL, NULL, 0},
                             {process, CIO_PROCESS_STDERR, err != NULL, NULL, 0}};
    cio_task *readers[2] = {NULL, NULL};
    for (int i = 0; i < 2 && rc == 0; i++)
        if (process->fds[c[i].which] >= 0 && !(readers[i] = cio_create_task(collect, &c[i])))
            rc = -ENOMEM;
    if (rc == 0) rc = feed(process, input, len);
    if (rc < 0)
        for (int i = 0; i < 2; i++)
            if (readers[i]) cio_task_cancel(readers[i]);
    for (int i = 0; i < 2; i++) rc = finish_collector(readers[i], rc);
    if (rc == 0)
        rc = cio_process_wait(process, NULL);
    else if (rc != -CIO_ECLOSED)
        interrupted(process, rc);
    hand_over(&c[0], out, out_len, rc);
    hand_over(&c[1], err, err_len, rc);
    return rc;
}
