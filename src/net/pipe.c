/* src/net/pipe.c - streams over pipes, FIFOs and terminals (asyncio's
 * connect_read_pipe / connect_write_pipe), and writes to them that never
 * raise SIGPIPE.
 *
 * Such a stream is a socket stream with other syscalls (see
 * enum cio__stream_kind): read and writev instead of recv and sendmsg, and,
 * for a write end, EOF by closing. Regular files and directories are refused:
 * they are always "ready" to the poller (epoll refuses them outright), so a
 * stream over one would block the loop; cio_file_* is for files. */
#include "net/net.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

/* The kind of stream a pipe, FIFO or device opened with `flags` makes. */
static uint8_t kind_of(int flags) {
    switch (flags & O_ACCMODE) {
    case O_RDONLY:
        return CIO__STREAM_READ_END;
    case O_WRONLY:
        return CIO__STREAM_WRITE_END;
    default:
        return CIO__STREAM_DEVICE;
    }
}

int cio_stream_from_fd(int fd, size_t limit, cio_stream **out) {
    if (out) *out = NULL;
    cio_loop *loop = cio__running_loop;
    if (fd < 0 || !out || !loop) return -EINVAL;
    struct stat st;
    if (fstat(fd, &st) < 0) return -errno;
    if (S_ISSOCK(st.st_mode)) return cio_stream_from_socket(fd, limit, out);
    if (!S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode)) return -EINVAL;
    int flags = cio__fd_set_nonblocking(fd);
    int rc = flags < 0 ? flags : cio__stream_new(loop, fd, limit, out);
    if (rc < 0) return rc;
    (*out)->kind = kind_of(flags);
    cio__net_adopt_fd(loop, fd);
    return 0;
}

/* SIGPIPE is blocked in this thread for the call and, if the write raised it,
 * taken back with a zero-timeout sigtimedwait (unless one was already
 * pending before: that one is not ours to swallow). Blocking is per thread,
 * so other threads and the process's disposition are left alone. */
ssize_t cio__writev_quietly(int fd, const struct iovec *iov, int iovcnt) {
    sigset_t pipe_only, old, pending;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
    sigpending(&pending);
    bool was_pending = sigismember(&pending, SIGPIPE);
    ssize_t wrote = writev(fd, iov, iovcnt);
    int saved = errno;
    if (wrote < 0 && saved == EPIPE && !was_pending) {
        struct timespec none = {0, 0};
        sigtimedwait(&pipe_only, NULL, &none);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = saved;
    return wrote;
}
