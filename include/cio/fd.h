/* cio/fd.h - waiting for readiness on any non-blocking file descriptor.
 *
 * These let a non-blocking C library (libpq, hiredis, libcurl's multi-socket
 * API, OpenSSL) run inside a task: on EAGAIN / WANT_READ, wait, then retry.
 * They are level-triggered: they return at once if the fd is ready now.
 * At most one task may wait for reading and one for writing on an fd at a
 * time (a second gets -EBUSY). All: inside a task, loop thread only. */
#ifndef CIO_FD_H
#define CIO_FD_H

#include "task.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Suspend until fd is readable (data, EOF, error or hang-up), or timeout
 * seconds pass (negative: no timeout). Returns 0, -ETIMEDOUT, -ECANCELED,
 * -EBADF (fd not open, or closed through cio_close() while waiting), -EBUSY
 * (another task waits to read fd), -EPERM (outside a task), -EINVAL (fd < 0),
 * or the poller's error (e.g. -EPERM for a regular file under epoll). */
CIO_EXPORT int cio_wait_readable(int fd, double timeout);

/* As cio_wait_readable, for writability. */
CIO_EXPORT int cio_wait_writable(int fd, double timeout);

/* Close fd, first waking any task waiting on it in this thread's running loop
 * with -EBADF and forgetting its registration. Use it (not close()) for fds
 * that tasks wait on. Returns 0 or -errno from close(2) (e.g. -EBADF). */
CIO_EXPORT int cio_close(int fd);

#ifdef __cplusplus
}
#endif
#endif
