/* 256 MiB through the file API on both backends (pool and io_uring; the
 * io_uring run is skipped, saying why, only if the kernel refuses it). Its
 * own program so the slow disk part runs in parallel with the rest. */
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static cio_file_backend pool_backend = CIO_FILE_BACKEND_POOL;
static cio_file_backend uring_backend = CIO_FILE_BACKEND_URING;
static cio_file_backend backend;
static char path[64];
static int fds_before;

static void *probe_uring(void *arg) {
    (void)arg;
    int rc = cio_file_set_backend(NULL, CIO_FILE_BACKEND_URING);
    return rc < 0 ? cio_fail(rc) : NULL;
}

static int setup(void **state) {
    backend = *(cio_file_backend *)*state;
    snprintf(path, sizeof path, "/tmp/cio-file-big-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    fds_before = test_count_fds();
    return 0;
}

static int teardown(void **state) {
    (void)state;
    assert_int_equal(test_count_fds(), fds_before);
    unlink(path);
    return 0;
}

static unsigned char *pattern(size_t len, uint64_t x) {
    unsigned char *data = malloc(len);
    assert_non_null(data);
    for (size_t i = 0; i + 8 <= len; i += 8) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        memcpy(data + i, &x, 8);
    }
    return data;
}

/* 256 MiB (32 under a small $CIO_TEST_SCALE) through cio_file_pwrite and
 * cio_read_file. Not cio_write_file_atomic: its fsync of 256 MiB costs ~15 s on our
 * virtual disks, and the atomic path is covered with smaller files (and
 * 128 MiB in writer_killed_midway). */
static void *big_main(void *arg) {
    (void)arg;
    assert_int_equal(cio_file_set_backend(NULL, backend), 0);
    size_t len = (size_t)test_scaled(256, 32) << 20; /* MiB; at least 4 read chunks */
    unsigned char *data = pattern(len, 99);

    int fd = cio_file_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    size_t done = 0;
    while (done < len) {
        ssize_t wrote = cio_file_pwrite(fd, data + done, len - done, (off_t)done);
        assert_true(wrote > 0);
        done += (size_t)wrote;
    }
    assert_int_equal(cio_file_close(fd), 0);
    char *back;
    size_t back_len;
    assert_int_equal(cio_read_file(path, &back, &back_len), 0);
    assert_int_equal(back_len, len);
    assert_true(memcmp(back, data, len) == 0);
    free(back);
    free(data);
    return NULL;
}

static void whole_file_256mib(void **state) {
    (void)state;
    if (backend == CIO_FILE_BACKEND_URING) { /* cmocka's skip() only works in a test body */
        int rc = test_run(probe_uring, NULL, NULL, NULL); /* the task fails with the error */
        if (rc != 0) {
            fprintf(stderr, "skipping the io_uring run: %s (%s)\n",
                    rc == -ENOSYS
                        ? "cio was built without liburing, or the kernel lacks an operation"
                        : "the kernel refused io_uring",
                    cio_strerror(rc));
            skip();
        }
    }
    assert_int_equal(test_run(big_main, NULL, NULL, NULL), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        {"whole_file_256mib/pool", whole_file_256mib, setup, teardown, &pool_backend},
        {"whole_file_256mib/uring", whole_file_256mib, setup, teardown, &uring_backend},
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
