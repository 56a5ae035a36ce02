/* src/os/file.c - the file API: each call becomes one cio__file_op, done by
 * io_uring (uring.c) or by a blocking syscall on the loop's default pool.
 *
 * The backend is decided once per loop, on its first file call (or by
 * cio_file_set_backend), and kept in the loop's OS state. Operations are not
 * interruptible once started (their buffers are in use by the kernel or a
 * thread); an interrupt already due on entry is returned without starting. */
#include "os/os.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* read(2)'s own cap, so a huge n means a short count, not an error. */
#define MAX_IO ((size_t)0x7ffff000)

/* ---- choosing the backend ------------------------------------------------------------ */

static cio_file_backend from_environment(void) {
    const char *env = getenv("CIO_FILE_BACKEND");
    if (env && strcmp(env, "pool") == 0) return CIO_FILE_BACKEND_POOL;
    if (env && strcmp(env, "uring") == 0) return CIO_FILE_BACKEND_URING;
    return CIO_FILE_BACKEND_AUTO;
}

/* Decide os->file_backend. Returns it, or the error of a forced io_uring. */
static int decide(struct cio__os *os, cio_file_backend wanted) {
    if (wanted == CIO_FILE_BACKEND_AUTO) wanted = from_environment();
    if (wanted == CIO_FILE_BACKEND_POOL) return os->file_backend = CIO_FILE_BACKEND_POOL;
    int rc = cio__uring_open(os);
    if (rc < 0 && wanted == CIO_FILE_BACKEND_URING) return rc;
    return os->file_backend = rc == 0 ? CIO_FILE_BACKEND_URING : CIO_FILE_BACKEND_POOL;
}

static struct cio__os *os_for(cio_loop **loop, const char *caller, int *rc) {
    if (!*loop) *loop = cio__running_loop;
    *rc = cio__loop_check(*loop, caller);
    if (*rc < 0) return NULL;
    struct cio__os *os = cio__os_get(*loop);
    if (!os) *rc = -ENOMEM;
    return os;
}

int cio_file_set_backend(cio_loop *loop, cio_file_backend backend) {
    if (backend < CIO_FILE_BACKEND_AUTO || backend > CIO_FILE_BACKEND_URING) return -EINVAL;
    int rc;
    struct cio__os *os = os_for(&loop, "cio_file_set_backend", &rc);
    if (!os) return rc;
    if (os->file_backend) return -EBUSY;
    rc = decide(os, backend);
    return rc < 0 ? rc : 0;
}

int cio_file_backend_of(cio_loop *loop) {
    int rc;
    struct cio__os *os = os_for(&loop, "cio_file_backend_of", &rc);
    if (!os) return rc;
    return os->file_backend ? os->file_backend : decide(os, CIO_FILE_BACKEND_AUTO);
}

/* ---- running one operation ------------------------------------------------------------- */

/* On a pool thread: the blocking syscall. */
static void *run_blocking(void *arg) {
    const struct cio__file_op *op = arg;
    int64_t rc;
    switch (op->opcode) {
    case CIO__FILE_OPEN:
        rc = openat(op->fd, op->path, op->flags, op->mode);
        break;
    case CIO__FILE_CLOSE:
        rc = close(op->fd);
        break;
    case CIO__FILE_READ:
        rc = op->offset < 0 ? read(op->fd, op->buf, op->len)
                            : pread(op->fd, op->buf, op->len, op->offset);
        break;
    case CIO__FILE_WRITE:
        rc = op->offset < 0 ? write(op->fd, op->buf, op->len)
                            : pwrite(op->fd, op->buf, op->len, op->offset);
        break;
    case CIO__FILE_FSYNC:
        rc = fsync(op->fd);
        break;
    case CIO__FILE_STATX:
        rc = statx(op->fd, op->path, op->flags, STATX_BASIC_STATS, op->stx);
        break;
    case CIO__FILE_RENAME:
        rc = rename(op->path, op->path2);
        break;
    case CIO__FILE_UNLINK:
        rc = unlink(op->path);
        break;
    default:
        rc = -1;
        errno = EINVAL;
    }
    return (void *)(intptr_t)(rc < 0 ? -errno : rc);
}

static int64_t run_on_pool(cio_task *task, const struct cio__file_op *op) {
    void *result;
    int rc = cio__offload_wait(task, run_blocking, (void *)op, &result);
    return rc < 0 ? rc : (int64_t)(intptr_t)result;
}

/* Do op for the calling task; returns its result (>= 0) or -errno. */
static int64_t run(const struct cio__file_op *op, const char *caller) {
    cio_task *task = cio__task_current_or_complain(caller);
    if (!task) return -EPERM;
    int due = cio__wait_deliver_pending(task);
    if (due < 0) return due;
    struct cio__os *os = cio__os_get(cio__task_loop(task));
    if (!os) return -ENOMEM;
    if (!os->file_backend) decide(os, CIO_FILE_BACKEND_AUTO);
    /* The kernel or a pool thread writes op (often on the caller's stack) and
     * its buffer while the task is suspended: a compact task's frames stay put. */
    cio__task_pin_stack(task);
    int64_t rc = os->file_backend == CIO_FILE_BACKEND_URING ? cio__uring_run(os, task, op)
                                                            : run_on_pool(task, op);
    cio__task_unpin_stack(task);
    return rc;
}

/* ---- the calls --------------------------------------------------------------------------- */

int cio_file_open(const char *path, int flags, mode_t mode) {
    if (!path) return -EINVAL;
    struct cio__file_op op = {.opcode = CIO__FILE_OPEN,
                              .fd = AT_FDCWD,
                              .path = path,
                              .flags = flags | O_CLOEXEC,
                              .mode = mode};
    return (int)run(&op, "cio_file_open");
}

int cio_file_close(int fd) {
    if (fd < 0) return -EBADF;
    struct cio__file_op op = {.opcode = CIO__FILE_CLOSE, .fd = fd};
    return (int)run(&op, "cio_file_close");
}

static ssize_t transfer(int opcode, int fd, void *buf, size_t n, off_t offset, const char *caller) {
    if (fd < 0) return -EBADF;
    if (!buf && n) return -EINVAL;
    struct cio__file_op op = {
        .opcode = opcode, .fd = fd, .buf = buf, .len = n < MAX_IO ? n : MAX_IO, .offset = offset};
    return (ssize_t)run(&op, caller);
}

ssize_t cio_file_read(int fd, void *buf, size_t n) {
    return transfer(CIO__FILE_READ, fd, buf, n, -1, "cio_file_read");
}

ssize_t cio_file_write(int fd, const void *buf, size_t n) {
    return transfer(CIO__FILE_WRITE, fd, (void *)buf, n, -1, "cio_file_write");
}

ssize_t cio_file_pread(int fd, void *buf, size_t n, off_t offset) {
    if (offset < 0) return -EINVAL;
    return transfer(CIO__FILE_READ, fd, buf, n, offset, "cio_file_pread");
}

ssize_t cio_file_pwrite(int fd, const void *buf, size_t n, off_t offset) {
    if (offset < 0) return -EINVAL;
    return transfer(CIO__FILE_WRITE, fd, (void *)buf, n, offset, "cio_file_pwrite");
}

int cio_file_fsync(int fd) {
    if (fd < 0) return -EBADF;
    struct cio__file_op op = {.opcode = CIO__FILE_FSYNC, .fd = fd};
    return (int)run(&op, "cio_file_fsync");
}

static void stat_of_statx(struct stat *st, const struct statx *stx) {
    memset(st, 0, sizeof *st);
    st->st_dev = makedev(stx->stx_dev_major, stx->stx_dev_minor);
    st->st_ino = stx->stx_ino;
    st->st_mode = stx->stx_mode;
    st->st_nlink = stx->stx_nlink;
    st->st_uid = stx->stx_uid;
    st->st_gid = stx->stx_gid;
    st->st_rdev = makedev(stx->stx_rdev_major, stx->stx_rdev_minor);
    st->st_size = (off_t)stx->stx_size;
    st->st_blksize = stx->stx_blksize;
    st->st_blocks = (blkcnt_t)stx->stx_blocks;
    st->st_atim = (struct timespec){stx->stx_atime.tv_sec, stx->stx_atime.tv_nsec};
    st->st_mtim = (struct timespec){stx->stx_mtime.tv_sec, stx->stx_mtime.tv_nsec};
    st->st_ctim = (struct timespec){stx->stx_ctime.tv_sec, stx->stx_ctime.tv_nsec};
}

static int stat_op(int fd, const char *path, int flags, struct stat *st, const char *caller) {
    if (!st) return -EINVAL;
    struct statx stx;
    struct cio__file_op op = {
        .opcode = CIO__FILE_STATX, .fd = fd, .path = path, .flags = flags, .stx = &stx};
    int rc = (int)run(&op, caller);
    if (rc == 0) stat_of_statx(st, &stx);
    return rc;
}

int cio_stat(const char *path, struct stat *st) {
    if (!path) return -EINVAL;
    return stat_op(AT_FDCWD, path, 0, st, "cio_stat");
}

int cio_file_stat(int fd, struct stat *st) {
    if (fd < 0) return -EBADF;
    return stat_op(fd, "", AT_EMPTY_PATH, st, "cio_file_stat");
}

/* For cio_write_file_atomic (file_whole.c). */
int cio__file_rename(const char *from, const char *to) {
    struct cio__file_op op = {
        .opcode = CIO__FILE_RENAME, .fd = AT_FDCWD, .path = from, .path2 = to};
    return (int)run(&op, "cio_write_file_atomic");
}

int cio__file_unlink(const char *path) {
    struct cio__file_op op = {.opcode = CIO__FILE_UNLINK, .fd = AT_FDCWD, .path = path};
    return (int)run(&op, "cio_write_file_atomic");
}
