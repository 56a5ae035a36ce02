/* cio/fd.h - waiting for readiness on any non-blocking file descriptor.
 *
 * These let a non-blocking C library (libpq, hiredis, libcurl's multi-socket
 * API, OpenSSL) run inside a task: on EAGAIN / WANT_READ, wait, then retry.
 * They are level-triggered: they return at once if the fd is ready now.
 * At most one task may wait for reading and one for writing on an fd at a
 * time (a second gets -EBUSY). The waits: inside a task, loop thread only. */
#ifndef CIO_FD_H
#define CIO_FD_H

#include "task.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Suspend until fd is readable (data, EOF, error or hang-up), or timeout
 * seconds pass (negative: no timeout). Returns 0, -ETIMEDOUT, -ECANCELED,
 * -EBADF (fd not open, or closed through cio_close() while waiting), -EBUSY
 * (another task waits to read fd, or fd has cio_add_reader/cio_add_writer
 * callbacks), -EPERM (outside a task), -EINVAL (fd < 0),
 * or the poller's error (e.g. -EPERM for a regular file under epoll). */
CIO_EXPORT int cio_wait_readable(int fd, double timeout);

/* As cio_wait_readable, for writability. */
CIO_EXPORT int cio_wait_writable(int fd, double timeout);

/* Close fd, first waking any task waiting on it in this thread's running loop
 * with -EBADF and forgetting its registration. Use it (not close()) for fds
 * that tasks wait on. Returns 0 or -errno from close(2) (e.g. -EBADF). */
CIO_EXPORT int cio_close(int fd);

/* ---- persistent callbacks: asyncio's loop.add_reader / add_writer ----------------
 *
 * A callback registered on an fd runs, as a loop callback (like
 * cio_call_soon's), each turn that fd is readable (or writable): they are
 * level-triggered, so a reader that does not drain the fd runs again next
 * turn. It may add and remove callbacks (its own too), close fds and create
 * tasks, but not suspend. Readable includes EOF, errors and hang-up. An fd
 * has at most one reader and one writer callback; registering again replaces
 * it (fn and arg). A registered callback keeps the loop from counting as idle
 * (a virtual-clock run waits for the fd instead of reporting -EDEADLK).
 * Close a watched fd with cio_close(), which drops its callbacks, or remove
 * them first: after a plain close() the callbacks stay registered and never
 * fire. A task's cio_wait_readable/writable on a watched fd is -EBUSY. All: the
 * loop's thread only (else -EPERM, reported). */

/* Call fn(arg) whenever fd is readable. fd is borrowed (not closed by cio).
 * Returns 0, -EINVAL (loop not a loop, fn NULL), -CIO_ECLOSED (loop closed),
 * -EPERM (another thread; or the poller refuses fd: epoll refuses regular
 * files), -EBADF (fd not open), -EBUSY (a task waits on fd, or fd belongs to
 * another cio watcher such as the HTTP client), -ENOMEM. */
CIO_EXPORT int cio_add_reader(cio_loop *loop, int fd, cio_callback fn, void *arg);

/* As cio_add_reader, for writability. */
CIO_EXPORT int cio_add_writer(cio_loop *loop, int fd, cio_callback fn, void *arg);

/* Stop calling fd's reader callback (a call already due this turn is dropped
 * too). Returns 1 if one was registered, 0 if none was (asyncio's True and
 * False), or -EINVAL / -CIO_ECLOSED / -EPERM as cio_add_reader. */
CIO_EXPORT int cio_remove_reader(cio_loop *loop, int fd);

/* As cio_remove_reader, for the writer callback. */
CIO_EXPORT int cio_remove_writer(cio_loop *loop, int fd);

#ifdef __cplusplus
}
#endif
#endif
