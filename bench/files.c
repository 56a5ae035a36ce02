/* bench/files.c - reading many small files and one big file: plain blocking
 * read(2), and cio's file calls on the thread pool and on io_uring.
 * (bench/files_peer.py is the Python peer: asyncio + to_thread per
 * operation, as aiofiles does.) Driven by bench/files.sh.
 *
 *     files setup DIR SMALL_COUNT SMALL_KIB BIG_MIB   make the files
 *     files MODE DIR SMALL_COUNT BIG_MIB [PASSES]     MODE: see below
 *
 * Prints one line: "small SECONDS big SECONDS first-small SECONDS
 * first-big SECONDS": the median of PASSES timed passes [3], then the
 * untimed-in-the-median first pass, all in this one process (for cio: one
 * loop, one ring). The median is a long-running program's steady state; the
 * first pass adds the one-time costs (the pool's threads, the first use of
 * each ring slot and fd table entry).
 *
 * Chunk reads: small files are opened, read to EOF and closed, IN_FLIGHT at
 * a time (one at a time when blocking); the big file is read in CHUNK-sized
 * preads, BIG_IN_FLIGHT at a time (one read() loop when blocking). Modes:
 *     blocking    plain read(2), one buffer
 *     blocking4   plain read(2), the big file's reads rotating over
 *                 BIG_IN_FLIGHT buffers, as the cio ways do
 *     pool, uring cio's file calls on the thread pool / io_uring
 *     uring1      io_uring, the big file read by one task with one buffer:
 *                 the blocking loop's shape, on cio
 * $FILES_CHUNK_KIB (1 to 1024) sets the big file's read size instead: at 4,
 * with uring1 against blocking, it measures cio's cost per operation.
 * Whole files ("small" = each small file, "big" = the big file, IN_FLIGHT
 * small files at a time for cio):
 *     whole-blocking   open, fstat, malloc, read, close, free: what a
 *                      program without cio (or Path.read_bytes) does
 *     whole-pool, whole-uring   cio_read_file, free */
#include <cio.h>

#include <fcntl.h>
#include <malloc.h>
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
#define MAX_PASSES    16

/* Buffers are allocated and touched before any timing, the same for every
 * way: a fresh buffer's page faults (and an munmap's TLB shootdown) would
 * otherwise cost more than the reads being measured. For the same reason
 * the whole-file modes keep glibc from trimming the heap (main): 64 files'
 * buffers freed in any order leave free space at the top, which glibc gives
 * back and the next malloc faults in again, at ~30 us a page on our VMs
 * (cio_read_file of 1,000 x 64 KiB, 64 at a time: 470 ms instead of 9 ms;
 * one at a time, as blocking reads them, never trims). */
static char *small_bufs[IN_FLIGHT], *big_bufs[BIG_IN_FLIGHT];

static const char *dir;
static int small_count;
static size_t big_size;
static int big_in_flight = BIG_IN_FLIGHT; /* cio tasks reading the big file */
static int big_buffers = 1;               /* blocking: buffers its reads rotate over */
static bool whole;                        /* the whole-file modes */
static size_t chunk_size = CHUNK;         /* the big file's read size */

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

static void make_buffers(void) {
    for (int i = 0; i < IN_FLIGHT; i++) memset(small_bufs[i] = malloc(SMALL_MAX), 1, SMALL_MAX);
    for (int i = 0; i < BIG_IN_FLIGHT; i++) memset(big_bufs[i] = malloc(CHUNK), 1, CHUNK);
}

/* ---- blocking --------------------------------------------------------------------------- */

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
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    long long total = 0;
    ssize_t got;
    for (int i = 0; (got = read(fd, big_bufs[i % big_buffers], chunk_size)) > 0; i++) total += got;
    close(fd);
    return total;
}

/* Path.read_bytes() in C: a buffer of the file's size, one read to fill it. */
static long long blocking_whole(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) return -1;
    size_t cap = (size_t)st.st_size + 1, used = 0;
    char *buf = malloc(cap);
    ssize_t got;
    while (buf && used < cap && (got = read(fd, buf + used, cap - used)) > 0) used += (size_t)got;
    free(buf);
    close(fd);
    return (long long)used;
}

static long long blocking_whole_small(void) {
    char path[512];
    long long total = 0;
    for (int i = 0; i < small_count; i++) {
        small_path(path, sizeof path, i);
        total += blocking_whole(path);
    }
    return total;
}

static long long blocking_whole_big(void) {
    char path[512];
    big_path(path, sizeof path);
    return blocking_whole(path);
}

/* ---- cio --------------------------------------------------------------------------------------
 */

static long long cio_total;

static long long cio_whole(const char *path) {
    char *data;
    size_t len;
    int rc = cio_read_file(path, &data, &len);
    if (rc < 0) return rc;
    free(data);
    return (long long)len;
}

/* Worker `first` reads files first, first + IN_FLIGHT, ... */
static void *small_worker(void *arg) {
    int first = (int)(intptr_t)arg;
    char path[512];
    char *buf = small_bufs[first];
    for (int i = first; i < small_count; i += IN_FLIGHT) {
        small_path(path, sizeof path, i);
        if (whole) {
            long long got = cio_whole(path);
            if (got < 0) return cio_fail((int)got);
            cio_total += got;
            continue;
        }
        int fd = cio_file_open(path, O_RDONLY, 0);
        if (fd < 0) return cio_fail(fd);
        ssize_t got;
        while ((got = cio_file_read(fd, buf, SMALL_MAX)) > 0) cio_total += got;
        cio_file_close(fd);
    }
    return NULL;
}

static int big_fd;

/* Worker `first` reads chunks first, first + big_in_flight, ... */
static void *big_worker(void *arg) {
    size_t first = (size_t)(intptr_t)arg;
    char *buf = big_bufs[first];
    for (size_t chunk = first; chunk * chunk_size < big_size; chunk += (size_t)big_in_flight) {
        ssize_t got = cio_file_pread(big_fd, buf, chunk_size, (off_t)(chunk * chunk_size));
        if (got < 0) return cio_fail((int)got);
        cio_total += got;
    }
    return NULL;
}

static void run_workers(cio_task_fn fn, int count) {
    cio_task *tasks[IN_FLIGHT];
    for (int i = 0; i < count; i++) cio_create_task(fn, (void *)(intptr_t)i, &tasks[i]);
    for (int i = 0; i < count; i++) cio_await(tasks[i], NULL);
}

/* ---- passes ------------------------------------------------------------------------------ */

/* One pass: seconds[0] for the small files, seconds[1] for the big one. */
static void cio_pass(double *seconds) {
    double start = now();
    run_workers(small_worker, IN_FLIGHT);
    seconds[0] = now() - start;
    char path[512];
    big_path(path, sizeof path);
    start = now();
    if (whole) {
        cio_total += cio_whole(path);
    } else {
        big_fd = cio_file_open(path, O_RDONLY, 0);
        run_workers(big_worker, big_in_flight);
        cio_file_close(big_fd);
    }
    seconds[1] = now() - start;
}

static void blocking_pass(double *seconds) {
    double start = now();
    whole ? blocking_whole_small() : blocking_small();
    seconds[0] = now() - start;
    start = now();
    whole ? blocking_whole_big() : blocking_big();
    seconds[1] = now() - start;
}

struct passes {
    int count;                     /* timed passes, after the first */
    double first[2];               /* the first pass */
    double seconds[MAX_PASSES][2]; /* the timed ones */
    void (*pass)(double *seconds); /* cio_pass or blocking_pass */
    cio_file_backend backend;      /* for cio */
};

static void run_passes(struct passes *passes) {
    passes->pass(passes->first);
    for (int i = 0; i < passes->count; i++) passes->pass(passes->seconds[i]);
}

static void *cio_main(void *arg) {
    struct passes *passes = arg;
    int rc = cio_file_set_backend(NULL, passes->backend);
    if (rc < 0) return cio_fail(rc);
    run_passes(passes);
    return NULL;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_of(struct passes *passes, int column) {
    double values[MAX_PASSES];
    for (int i = 0; i < passes->count; i++) values[i] = passes->seconds[i][column];
    qsort(values, (size_t)passes->count, sizeof values[0], compare_doubles);
    int mid = passes->count / 2;
    return passes->count % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

static int run_mode(const char *mode, struct passes *passes) {
    whole = strncmp(mode, "whole-", 6) == 0;
    if (whole) mode += 6;
    if (strncmp(mode, "blocking", 8) == 0) {
        big_buffers = strcmp(mode, "blocking4") == 0 ? BIG_IN_FLIGHT : 1;
        passes->pass = blocking_pass;
        run_passes(passes);
        return 0;
    }
    passes->pass = cio_pass;
    passes->backend = strcmp(mode, "pool") == 0 ? CIO_FILE_BACKEND_POOL : CIO_FILE_BACKEND_URING;
    if (strcmp(mode, "uring1") == 0) big_in_flight = 1;
    int rc = cio_run(cio_main, passes, NULL);
    if (rc < 0) fprintf(stderr, "files %s: %s\n", mode, cio_strerror(rc));
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr,
                "usage: %s setup DIR COUNT KIB BIG_MIB | %s MODE DIR COUNT BIG_MIB [PASSES]\n"
                "MODE: blocking | blocking4 | pool | uring | uring1 | whole-blocking | "
                "whole-pool | whole-uring\n",
                argv[0], argv[0]);
        return 2;
    }
    dir = argv[2];
    small_count = atoi(argv[3]);
    if (strcmp(argv[1], "setup") == 0) return argc < 6 ? 2 : setup(atoi(argv[4]), atoi(argv[5]));
    big_size = (size_t)atoi(argv[4]) << 20;
    struct passes passes = {.count = argc > 5 ? atoi(argv[5]) : 3};
    if (passes.count < 1 || passes.count > MAX_PASSES) return 2;
    const char *chunk_kib = getenv("FILES_CHUNK_KIB");
    if (chunk_kib) chunk_size = (size_t)atoi(chunk_kib) << 10;
    if (chunk_size < 1024 || chunk_size > CHUNK) return 2;
    make_buffers();
    mallopt(M_TRIM_THRESHOLD, 256 << 20); /* see small_bufs */
    if (run_mode(argv[1], &passes) < 0) return 1;
    printf("small %.6f big %.6f first-small %.6f first-big %.6f\n", median_of(&passes, 0),
           median_of(&passes, 1), passes.first[0], passes.first[1]);
    return 0;
}
