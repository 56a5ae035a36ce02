/* bench/files.c - reading many small files and one big file, four ways:
 * plain blocking read(2), and cio's file calls on the thread pool and on
 * io_uring. (bench/files_peer.py is the fourth: asyncio + to_thread per
 * operation, as aiofiles does.) Driven by bench/files.sh.
 *
 *     files setup DIR SMALL_COUNT SMALL_KIB BIG_MIB   make the files
 *     files MODE DIR SMALL_COUNT BIG_MIB              MODE: blocking | pool | uring
 *
 * Prints one line: "small SECONDS big SECONDS". Small files: open, read the
 * whole file, close, with IN_FLIGHT files at a time (one at a time when
 * blocking). Big file: CHUNK-sized preads, BIG_IN_FLIGHT at a time. */
#include <cio.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define IN_FLIGHT     64
#define CHUNK         (1u << 20)
#define BIG_IN_FLIGHT 4
#define SMALL_MAX     (128u * 1024u) /* read size for the small files (64 KiB each) */

/* Buffers are allocated and touched before any timing, the same for every
 * way: a fresh buffer's page faults (and an munmap's TLB shootdown) would
 * otherwise cost more than the reads being measured. */
static char *small_bufs[IN_FLIGHT], *big_bufs[BIG_IN_FLIGHT];

static const char *dir;
static int small_count;
static size_t big_size;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void small_path(char *path, size_t cap, int i) {
    snprintf(path, cap, "%s/small-%04d", dir, i);
}
static void big_path(char *path, size_t cap) {
    snprintf(path, cap, "%s/big", dir);
}

/* ---- setup -------------------------------------------------------------------------- */

static void write_file(const char *path, size_t len) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    char *buf = malloc(CHUNK);
    memset(buf, 'x', CHUNK);
    for (size_t done = 0; fd >= 0 && done < len;) {
        size_t n = len - done < CHUNK ? len - done : CHUNK;
        ssize_t wrote = write(fd, buf, n);
        if (wrote <= 0) break;
        done += (size_t)wrote;
    }
    free(buf);
    if (fd >= 0) close(fd);
}

static int setup(int small_kib, int big_mib) {
    mkdir(dir, 0755);
    char path[512];
    for (int i = 0; i < small_count; i++) {
        small_path(path, sizeof path, i);
        write_file(path, (size_t)small_kib * 1024);
    }
    big_path(path, sizeof path);
    write_file(path, (size_t)big_mib << 20);
    return 0;
}

/* ---- blocking --------------------------------------------------------------------------- */

static void make_buffers(void) {
    for (int i = 0; i < IN_FLIGHT; i++) memset(small_bufs[i] = malloc(SMALL_MAX), 1, SMALL_MAX);
    for (int i = 0; i < BIG_IN_FLIGHT; i++) memset(big_bufs[i] = malloc(CHUNK), 1, CHUNK);
}

static long long blocking_small(void) {
    char path[512];
    char *buf = small_bufs[0];
    long long total = 0;
    for (int i = 0; i < small_count; i++) {
        small_path(path, sizeof path, i);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t got;
        while ((got = read(fd, buf, SMALL_MAX)) > 0) total += got;
        close(fd);
    }
    return total;
}

static long long blocking_big(void) {
    char path[512];
    big_path(path, sizeof path);
    char *buf = big_bufs[0];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    long long total = 0;
    ssize_t got;
    while ((got = read(fd, buf, CHUNK)) > 0) total += got;
    close(fd);
    return total;
}

/* ---- cio --------------------------------------------------------------------------------------
 */

static long long cio_total;

/* Worker `first` reads files first, first + IN_FLIGHT, ... */
static void *small_worker(void *arg) {
    int first = (int)(intptr_t)arg;
    char path[512];
    char *buf = small_bufs[first];
    for (int i = first; i < small_count; i += IN_FLIGHT) {
        small_path(path, sizeof path, i);
        int fd = cio_file_open(path, O_RDONLY, 0);
        if (fd < 0) return cio_fail(fd);
        ssize_t got;
        while ((got = cio_file_read(fd, buf, SMALL_MAX)) > 0) cio_total += got;
        cio_file_close(fd);
    }
    return NULL;
}

static int big_fd;

/* Worker `first` reads chunks first, first + BIG_IN_FLIGHT, ... */
static void *big_worker(void *arg) {
    size_t first = (size_t)(intptr_t)arg;
    char *buf = big_bufs[first];
    for (size_t chunk = first; chunk * CHUNK < big_size; chunk += BIG_IN_FLIGHT) {
        ssize_t got = cio_file_pread(big_fd, buf, CHUNK, (off_t)(chunk * CHUNK));
        if (got < 0) return cio_fail((int)got);
        cio_total += got;
    }
    return NULL;
}

static void run_workers(cio_task_fn fn, int count) {
    cio_task *tasks[IN_FLIGHT];
    for (int i = 0; i < count; i++) tasks[i] = cio_create_task(fn, (void *)(intptr_t)i);
    for (int i = 0; i < count; i++) cio_await(tasks[i], NULL);
}

static void *cio_main(void *arg) {
    double *seconds = arg;
    cio_file_backend backend = (cio_file_backend)(intptr_t)(seconds[2]);
    int rc = cio_file_set_backend(NULL, backend);
    if (rc < 0) return cio_fail(rc);
    double start = now();
    run_workers(small_worker, IN_FLIGHT);
    seconds[0] = now() - start;
    char path[512];
    big_path(path, sizeof path);
    start = now();
    big_fd = cio_file_open(path, O_RDONLY, 0);
    run_workers(big_worker, BIG_IN_FLIGHT);
    cio_file_close(big_fd);
    seconds[1] = now() - start;
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(
            stderr,
            "usage: %s setup DIR COUNT KIB BIG_MIB | %s blocking|pool|uring DIR COUNT BIG_MIB\n",
            argv[0], argv[0]);
        return 2;
    }
    dir = argv[2];
    small_count = atoi(argv[3]);
    if (strcmp(argv[1], "setup") == 0) return argc < 6 ? 2 : setup(atoi(argv[4]), atoi(argv[5]));
    big_size = (size_t)atoi(argv[4]) << 20;
    double seconds[3] = {0, 0, 0};
    make_buffers();
    if (strcmp(argv[1], "blocking") == 0) {
        double start = now();
        blocking_small();
        seconds[0] = now() - start;
        start = now();
        blocking_big();
        seconds[1] = now() - start;
    } else {
        seconds[2] = strcmp(argv[1], "uring") == 0 ? CIO_FILE_BACKEND_URING : CIO_FILE_BACKEND_POOL;
        int rc = cio_run(cio_main, seconds, NULL);
        if (rc < 0) {
            fprintf(stderr, "files %s: %s\n", argv[1], cio_strerror(rc));
            return 1;
        }
    }
    printf("small %.6f big %.6f\n", seconds[0], seconds[1]);
    return 0;
}
