/* src/core/io.c - tasks waiting for fd readiness.
 *
 * The loop keeps, per fd, the one task waiting to read and the one waiting to
 * write. The poller reports readiness; this file wakes the matching waiter.
 * cio__io_wait's recheck=false is the hot path for sockets that just returned
 * EAGAIN: on the epoll backend it costs no syscall. */
#include "core/task.h"

#include <stdlib.h>
#include <unistd.h>

static struct cio__fd_waiters *waiters_for(cio_loop *loop, int fd) {
    if ((size_t)fd >= loop->fds_len) {
        size_t len = loop->fds_len ? loop->fds_len : 64;
        while (len <= (size_t)fd) len *= 2;
        struct cio__fd_waiters *grown = realloc(loop->fds, len * sizeof *grown);
        if (!grown) return NULL;
        for (size_t i = loop->fds_len; i < len; i++) grown[i] = (struct cio__fd_waiters){0};
        loop->fds = grown;
        loop->fds_len = len;
    }
    return &loop->fds[fd];
}

void cio__loop_io_waiters_add(cio_loop *loop, int delta) {
    loop->io_waiters += delta;
}

static cio_task **slot_for(struct cio__fd_waiters *waiters, unsigned events) {
    return events & CIO__READABLE ? &waiters->reader : &waiters->writer;
}

static void abort_io(cio_task *task) {
    cio_loop *loop = task->future.loop;
    cio_task **slot = slot_for(&loop->fds[task->wait.fd], task->wait.events);
    if (*slot == task) *slot = NULL;
    loop->io_waiters--;
    task->wait.fd = -1;
}

int cio__io_wait(cio_task *task, int fd, unsigned events, bool recheck) {
    return cio__io_wait_as(task, fd, events, recheck, CIO_WAIT_FD, NULL, NULL);
}

int cio__io_wait_as(cio_task *task, int fd, unsigned events, bool recheck, uint8_t kind,
                    const void *object, const char *detail) {
    cio_loop *loop = task->future.loop;
    if (fd < 0) return -EINVAL;
    struct cio__fd_waiters *waiters = waiters_for(loop, fd);
    if (!waiters) return -ENOMEM;
    cio_task **slot = slot_for(waiters, events);
    if (*slot || (waiters->watch && waiters->watch->exclusive)) return -EBUSY; /* see fd_watch */
    int rc = cio__task_pending_interrupt(task);
    if (rc < 0) return cio__wait(task, NULL, NULL); /* delivers it without parking */
    bool missed = waiters->missed & events;
    waiters->missed &= ~events; /* consumed, or superseded by a recheck */
    if (recheck && events & CIO__READABLE) waiters->hangup = false; /* the recheck says again */
    if ((missed || (waiters->hangup && events & CIO__READABLE)) && !recheck)
        return cio__budget_spend(loop) ? cio__budget_yield(task) : 0; /* ready already */
    rc = loop->poller_ops->arm(loop->poller, fd, events, recheck);
    if (rc < 0) return rc;
    *slot = task;
    task->wait.fd = fd;
    task->wait.events = events;
    loop->io_waiters++;
    cio__wait_tag_detail(task, kind, object, detail);
    return cio__wait(task, abort_io, NULL);
}

static void wake_slot(cio_loop *loop, cio_task **slot, int status) {
    cio_task *task = *slot;
    if (!task) return;
    *slot = NULL;
    loop->io_waiters--;
    task->wait.fd = -1;
    cio__wake(task, status);
}

void cio__io_ready(cio_loop *loop, int fd, unsigned events) {
    if ((size_t)fd >= loop->fds_len) return;
    struct cio__fd_waiters *waiters = &loop->fds[fd];
    if (waiters->watch) {
        waiters->watch->ready(waiters->watch, fd, events);
        /* A watch reads, but a task may still write: a transport's flusher
         * (src/net/transport.c) waits here. The callback may have grown
         * loop->fds or ended the watch (closing fd): look again. */
        waiters = &loop->fds[fd];
        if (!waiters->watch || !(events & CIO__WRITABLE)) return;
        events = CIO__WRITABLE;
    }
    if (events & CIO__READABLE && !waiters->reader) waiters->missed |= CIO__READABLE;
    if (events & CIO__HANGUP) waiters->hangup = true;
    if (events & CIO__WRITABLE && !waiters->writer) waiters->missed |= CIO__WRITABLE;
    if (events & CIO__READABLE) wake_slot(loop, &waiters->reader, 0);
    if (events & CIO__WRITABLE) wake_slot(loop, &waiters->writer, 0);
}

int cio__io_watch(cio_loop *loop, int fd, struct cio__fd_watch *watch, unsigned events,
                  bool recheck) {
    if (fd < 0) return -EBADF;
    struct cio__fd_waiters *waiters = waiters_for(loop, fd);
    if (!waiters) return -ENOMEM;
    waiters->watch = watch;
    return loop->poller_ops->arm(loop->poller, fd, events, recheck);
}

bool cio__io_watch_persists(const cio_loop *loop) {
    return loop->poller_ops->persistent;
}

void cio__io_unwatch(cio_loop *loop, int fd) {
    if (fd < 0) return;
    if ((size_t)fd < loop->fds_len) loop->fds[fd].watch = NULL;
    cio__io_forget(loop, fd);
}

void cio__io_forget(cio_loop *loop, int fd) {
    if ((size_t)fd < loop->fds_len) {
        loop->fds[fd].missed = 0;
        loop->fds[fd].hangup = false;
    }
    loop->poller_ops->forget(loop->poller, fd);
}

void cio__io_free(cio_loop *loop) {
    free(loop->fds);
    loop->fds = NULL;
    loop->fds_len = 0;
}

/* ---- the public, level-triggered waits ------------------------------------------- */

static int wait_public(int fd, unsigned events, double timeout, const char *caller) {
    cio_task *task = cio__task_current_or_complain(caller);
    if (!task) return -EPERM;
    if (fd < 0) return -EINVAL;
    if (timeout < 0) return cio__io_wait(task, fd, events, true);
    cio_timeout scope;
    cio_timeout_begin(&scope, timeout);
    int rc = cio__io_wait(task, fd, events, true);
    int expired = cio_timeout_end(&scope);
    return expired < 0 ? expired : rc;
}

int cio_wait_readable(int fd, double timeout) {
    return wait_public(fd, CIO__READABLE, timeout, "cio_wait_readable");
}

int cio_wait_writable(int fd, double timeout) {
    return wait_public(fd, CIO__WRITABLE, timeout, "cio_wait_writable");
}

int cio_close(int fd) {
    cio_loop *loop = cio__running_loop;
    if (loop && fd >= 0) {
        if ((size_t)fd < loop->fds_len) {
            wake_slot(loop, &loop->fds[fd].reader, -EBADF);
            wake_slot(loop, &loop->fds[fd].writer, -EBADF);
            loop->fds[fd].watch = NULL;
        }
        cio__fd_callbacks_forget(loop, fd);
        cio__io_forget(loop, fd);
    }
    return close(fd) == 0 ? 0 : -errno;
}
