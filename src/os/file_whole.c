/* src/os/file_whole.c - whole-file helpers: cio_read_file, cio_write_file
 * (a plain truncate-and-write), and cio_write_file_atomic's atomic replace
 * (temp file, fsync, rename, fsync the directory).
 *
 * Cleanup (closing fds, removing the temp file) runs inside a shield: a
 * cancelled call must still release what it holds, and file operations
 * refuse to start once a cancellation is due. */
#include "os/os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void close_shielded(int fd) {
    cio_shield_begin();
    cio_file_close(fd);
    cio_shield_end();
}

/* ---- reading ------------------------------------------------------------------------ */

/* Whole-file reads go in chunks of at most READ_CHUNK. On io_uring a read of
 * cached data is copied inline, on the loop thread: one 1 GiB read would
 * stall every other task for the whole copy (~0.1 s a GiB, plus the page
 * faults below); 8 MiB keeps a stall near a millisecond, for one loop turn
 * per chunk (under 1% of the read, bench/results/files.md). */
#define READ_CHUNK ((size_t)8 << 20)

/* Buffers this big ask for transparent huge pages (where the kernel offers
 * them only on request, the usual setting): filling a fresh buffer otherwise
 * takes one page fault per 4 KiB, which measured 10-20x the copy itself on
 * our VMs (256 MiB: ~2 s of faults against ~0.1 s). Only the 2 MiB-aligned
 * interior is advised, so the rounding costs no memory. */
#define HUGE_BUFFER_MIN ((size_t)4 << 20)
#define HUGE_PAGE       ((uintptr_t)2 << 20)

static void advise_huge(char *buf, size_t cap) {
#ifdef MADV_HUGEPAGE
    if (cap < HUGE_BUFFER_MIN) return;
    uintptr_t first = ((uintptr_t)buf + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    uintptr_t end = ((uintptr_t)buf + cap) & ~(HUGE_PAGE - 1);
    if (end > first)
        madvise((void *)first, end - first, MADV_HUGEPAGE); /* a hint: errors ignored */
#else
    (void)buf, (void)cap;
#endif
}

/* Double *buf's capacity. 0 or -ENOMEM (*buf untouched). */
static int grow(char **buf, size_t *cap) {
    char *bigger = *cap > SIZE_MAX / 2 ? NULL : realloc(*buf, *cap * 2);
    if (!bigger) return -ENOMEM;
    *buf = bigger;
    *cap *= 2;
    advise_huge(bigger, *cap);
    return 0;
}

/* Read fd from offset 0 to EOF into a buffer sized from the file's size.
 * Invariant: buf holds used bytes and has room for at least one more plus
 * the NUL, so a file of exactly size_hint bytes ends with a 1-byte read
 * that returns 0, not a reallocation (grown only if the file grows
 * meanwhile; files in /proc say 0). */
static int read_to_end(int fd, size_t size_hint, char **data, size_t *len) {
    size_t cap = size_hint + 2, used = 0;
    char *buf = malloc(cap);
    ssize_t got = buf ? 1 : -ENOMEM;
    if (buf) advise_huge(buf, cap);
    while (got > 0) {
        if (cap - used < 2 && (got = grow(&buf, &cap)) < 0) break;
        size_t room = cap - used - 1;
        got = cio_file_pread(fd, buf + used, room < READ_CHUNK ? room : READ_CHUNK, (off_t)used);
        if (got > 0) used += (size_t)got;
    }
    if (got < 0) {
        free(buf);
        return (int)got;
    }
    buf[used] = '\0';
    *data = buf;
    *len = used;
    return 0;
}

int cio_read_file(const char *path, char **data, size_t *len) {
    if (data) *data = NULL;
    if (len) *len = 0;
    if (!path || !data || !len) return -EINVAL;
    int fd = cio_file_open(path, O_RDONLY, 0);
    if (fd < 0) return fd;
    struct stat st;
    int rc = cio_file_stat(fd, &st);
    char *buf = NULL;
    size_t used = 0;
    if (rc == 0 && (uintmax_t)st.st_size > SIZE_MAX / 2) rc = -ENOMEM; /* a 32-bit process */
    if (rc == 0) rc = read_to_end(fd, st.st_size > 0 ? (size_t)st.st_size : 4096, &buf, &used);
    close_shielded(fd);
    if (rc < 0) return rc;
    *data = buf;
    *len = used;
    return 0;
}

static int write_all(int fd, const char *data, size_t len) {
    size_t done = 0;
    while (done < len) {
        ssize_t wrote = cio_file_pwrite(fd, data + done, len - done, (off_t)done);
        if (wrote < 0) return (int)wrote;
        if (wrote == 0) return -EIO;
        done += (size_t)wrote;
    }
    return 0;
}

/* ---- plain write --------------------------------------------------------------------------- */

/* Path.write_bytes: no temp file and no fsync, so a crash can leave a short
 * file; measured 2.8x faster than the atomic form for small files, where
 * the two fsyncs dominate. */
int cio_write_file(const char *path, const void *data, size_t len) {
    if (!path || !*path || (!data && len)) return -EINVAL;
    int fd = cio_file_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0) return fd;
    int rc = write_all(fd, data, len);
    close_shielded(fd);
    return rc;
}

/* ---- atomic replace ------------------------------------------------------------------------ */

static atomic_uint temp_counter;

/* The permission bits to give the new file: the old file's, or 0666 (less the
 * umask, applied by open). -EISDIR if path is a directory. */
static int mode_for(const char *path, mode_t *mode, bool *exact) {
    struct stat st;
    int rc = cio_stat(path, &st);
    *mode = 0666;
    *exact = false;
    if (rc == -ENOENT) return 0;
    if (rc < 0) return rc;
    if (S_ISDIR(st.st_mode)) return -EISDIR;
    *mode = st.st_mode & 07777;
    *exact = true;
    return 0;
}

/* fsync the directory holding path, so the rename itself is durable. */
static int sync_directory(const char *path) {
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    if (!dir) return -ENOMEM;
    int fd = cio_file_open(dir, O_RDONLY | O_DIRECTORY, 0);
    free(dir);
    if (fd < 0) return fd;
    int rc = cio_file_fsync(fd);
    close_shielded(fd);
    return rc;
}

/* Write data into the new file temp and make it durable. */
static int fill_temp(const char *temp, const void *data, size_t len, mode_t mode, bool exact) {
    int fd = cio_file_open(temp, O_WRONLY | O_CREAT | O_EXCL, mode);
    if (fd < 0) return fd;
    /* An existing file's bits exactly (open applied the umask): a quick
     * metadata call on a file nobody else has open yet. */
    int rc = exact && fchmod(fd, mode) != 0 ? -errno : 0;
    if (rc == 0) rc = write_all(fd, data, len);
    if (rc == 0) rc = cio_file_fsync(fd);
    close_shielded(fd);
    return rc;
}

int cio_write_file_atomic(const char *path, const void *data, size_t len) {
    if (!path || !*path || (!data && len)) return -EINVAL;
    mode_t mode;
    bool exact;
    int rc = mode_for(path, &mode, &exact);
    if (rc < 0) return rc;
    char *temp = malloc(strlen(path) + 48);
    if (!temp) return -ENOMEM;
    sprintf(temp, "%s.tmp-%d-%u", path, (int)getpid(), atomic_fetch_add(&temp_counter, 1));
    rc = fill_temp(temp, data, len, mode, exact);
    if (rc == 0) rc = cio__file_rename(temp, path);
    if (rc == 0)
        rc = sync_directory(path);
    else if (rc != -EEXIST) {
        cio_shield_begin();
        cio__file_unlink(temp);
        cio_shield_end();
    }
    free(temp);
    return rc;
}
