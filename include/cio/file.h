/* cio/file.h - file I/O that does not block the loop.
 *
 * Regular files are always "ready" to poll, so they cannot use fd readiness.
 * Each call here is done either by io_uring (liburing), when the kernel lets
 * the process use it, or by a blocking syscall on the loop's default thread
 * pool (what aiofiles and asyncio.to_thread do). The backend is chosen per
 * loop on its first file call: $CIO_FILE_BACKEND=pool|uring, else
 * cio_file_set_backend(), else io_uring if it works, else the pool.
 *
 * aiofiles / Python                          cio
 * ----------------                           ---
 * f = await aiofiles.open(path, "rb")        fd = cio_file_open(path, O_RDONLY, 0)
 * await f.read(n)                            cio_file_read(fd, buf, n)
 * await f.write(b)                           cio_file_write(fd, buf, len)
 * os.pread / os.pwrite (to_thread)           cio_file_pread / cio_file_pwrite
 * await f.flush(); os.fsync                  cio_file_fsync(fd)
 * await f.close()                            cio_file_close(fd)
 * await aiofiles.os.stat(path)               cio_stat(path, &st), cio_file_stat(fd, &st)
 * Path.read_bytes / write_bytes              cio_read_file / cio_write_file
 * (crash-safe replace)                       cio_write_file_atomic
 * await aiofiles.os.listdir(path)            cio_list_dir(path, &entries, &count)
 *
 * Files are plain fds (opened O_CLOEXEC), so any blocking code may use them
 * too. Cancellation and timeouts: an operation that has started runs to its
 * end (the kernel or the thread is writing into your buffer, so the call
 * cannot return before it is done; file operations finish promptly); the
 * call then returns its real result and the cancellation or timeout is
 * delivered at the task's next await. One already due when the call is made
 * is returned at once, without doing the operation.
 *
 * Every call: inside a task on the loop thread (else -EPERM); errors are
 * the syscall's negated errno, plus -ENOMEM. */
#ifndef CIO_FILE_H
#define CIO_FILE_H

#include <sys/stat.h>
#include <sys/types.h>

#include "task.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cio_file_backend {
    CIO_FILE_BACKEND_AUTO = 0, /* $CIO_FILE_BACKEND, else io_uring if usable, else the pool */
    CIO_FILE_BACKEND_POOL,     /* blocking syscalls on the loop's default thread pool */
    CIO_FILE_BACKEND_URING,    /* io_uring */
} cio_file_backend;

/* Choose loop's file backend (loop NULL: the running loop) before its first
 * file call. $CIO_FILE_BACKEND, when set, wins over AUTO only. Returns 0;
 * for io_uring, -ENOSYS (cio built without liburing, or an operation the
 * kernel lacks) or the kernel's refusal (-EPERM in many containers, -ENOMEM
 * for locked-memory limits); -EBUSY (the loop already chose), -EINVAL,
 * -CIO_ECLOSED, -EPERM (wrong thread). Loop thread. */
CIO_EXPORT int cio_file_set_backend(cio_loop *loop, cio_file_backend backend);

/* The backend loop uses, deciding it now if no file call has yet:
 * CIO_FILE_BACKEND_POOL or CIO_FILE_BACKEND_URING, or -EINVAL / -CIO_ECLOSED
 * / -EPERM. Loop thread. */
CIO_EXPORT int cio_file_backend_of(cio_loop *loop);

/* open(2): flags as for open (O_CLOEXEC is added), mode for O_CREAT.
 * Returns the new fd (>= 0) or -errno (-ENOENT, -EACCES, -EISDIR...). */
CIO_EXPORT int cio_file_open(const char *path, int flags, mode_t mode);

/* close(2). Returns 0 or -errno. */
CIO_EXPORT int cio_file_close(int fd);

/* read(2) / write(2) at the fd's file position, which they advance. Return
 * the count (read: 0 at end of file; either may be short) or -errno. */
CIO_EXPORT ssize_t cio_file_read(int fd, void *buf, size_t n);
CIO_EXPORT ssize_t cio_file_write(int fd, const void *buf, size_t n);

/* pread(2) / pwrite(2) at offset; the file position is untouched. */
CIO_EXPORT ssize_t cio_file_pread(int fd, void *buf, size_t n, off_t offset);
CIO_EXPORT ssize_t cio_file_pwrite(int fd, const void *buf, size_t n, off_t offset);

/* fsync(2). Returns 0 or -errno. */
CIO_EXPORT int cio_file_fsync(int fd);

/* stat(2) of path / fstat(2) of fd into *st. Returns 0 or -errno. */
CIO_EXPORT int cio_stat(const char *path, struct stat *st);
CIO_EXPORT int cio_file_stat(int fd, struct stat *st);

/* Read the whole file at path. On success *data holds its bytes plus a
 * terminating NUL (the caller's to free()) and *len their count without it.
 * The buffer is sized from the file's size (grown if the file grows); it is
 * filled in reads of at most 8 MiB, so other tasks run in between, and one
 * of 4 MiB or more is advised for transparent huge pages (MADV_HUGEPAGE).
 * Returns 0 or -errno (-ENOENT, -EACCES, -EISDIR, -ENOMEM...); on error
 * *data is NULL. */
CIO_EXPORT int cio_read_file(const char *path, char **data, size_t *len);

/* Path.write_bytes(): create or truncate the file at path (0666 less the
 * umask for a new file) and write len bytes of data. Not crash-safe: a crash
 * or a failed write can leave a short file; no fsync. Returns 0 or -errno
 * (-ENOENT for a missing directory, -EACCES, -EISDIR, -ENOSPC, -ECANCELED,
 * -EINVAL for a NULL or empty path, or NULL data with len > 0). */
CIO_EXPORT int cio_write_file(const char *path, const void *data, size_t len);

/* Replace the file at path with len bytes of data, atomically: they go to a
 * new temporary file in the same directory, which is fsync'ed and renamed
 * over path (and the directory fsync'ed), so a crash at any point leaves
 * either the old file or the new one, never a mix. An existing file's
 * permission bits are kept; a new file gets 0666 less the umask. A failed
 * or cancelled call removes its temporary file (a crash cannot: it is named
 * "PATH.tmp-*"). Returns 0 or -errno (-ENOENT for a missing directory,
 * -EACCES, -EISDIR, -ENOSPC, -ECANCELED...). */
CIO_EXPORT int cio_write_file_atomic(const char *path, const void *data, size_t len);

/* One directory entry: its name and its type as readdir(3) reports it
 * (DT_REG, DT_DIR, DT_LNK, ..., or DT_UNKNOWN where the file system does not
 * say: then stat it). */
typedef struct cio_dir_entry {
    const char *name; /* NUL-terminated, inside the block cio_list_dir returns */
    unsigned char type;
} cio_dir_entry;

/* List the directory at path, without "." and "..", sorted by name (bytes,
 * as strcmp), on the loop's thread pool (readdir blocks). On success
 * *entries is one block holding the array and every name: the caller's to
 * free() with one call; *count is its length (0 for an empty directory, with
 * *entries still a block to free). Returns 0 or -errno (-ENOENT, -ENOTDIR,
 * -EACCES, -ENOMEM, -ECANCELED, -ETIMEDOUT, -EINVAL for NULL arguments,
 * -EPERM outside a task); on error *entries is NULL and *count 0. Cancelled
 * or timed out while the listing runs, it returns at once (as
 * cio_to_thread) and the listing's memory is freed when its thread ends. */
CIO_EXPORT int cio_list_dir(const char *path, cio_dir_entry **entries, size_t *count);

#ifdef __cplusplus
}
#endif
#endif
