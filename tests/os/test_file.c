/* Files, every test on both backends (the thread pool and io_uring; the
 * io_uring runs are skipped, saying why, only if the kernel refuses it):
 * whole files from 0 B to 8 MiB (256 MiB: test_file_big.c), each single operation, ENOENT / EACCES
 * / EISDIR, atomic replace surviving a writer killed mid-way, cancellation, the virtual clock, many
 * tasks at once, more reads in flight than the ring holds, large reads in parallel - and no fd
 * leaked. */
#include "testutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static cio_file_backend backend; /* the current test's */
static int fds_before;
static char dir[64]; /* a fresh directory per test */

static void *probe_uring(void *arg) {
    (void)arg;
    int rc = cio_file_set_backend(NULL, CIO_FILE_BACKEND_URING);
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void remove_tree(const char *path) {
    DIR *d = opendir(path);
    if (!d) return;
    struct dirent *entry;
    while ((entry = readdir(d)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
        char child[512];
        snprintf(child, sizeof child, "%s/%s", path, entry->d_name);
        if (unlink(child) != 0) remove_tree(child);
    }
    closedir(d);
    rmdir(path);
}

/* Each test runs once per backend: the table entry's state is a variant. */
struct variant {
    cio_file_backend backend;
    void (*test)(void **state);
};

/* cmocka's skip() only works in a test body, so every test goes through here. */
static void run_variant(void **state) {
    const struct variant *variant = *state;
    if (variant->backend == CIO_FILE_BACKEND_URING) {
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
    variant->test(state);
}

static int setup(void **state) {
    backend = ((struct variant *)*state)->backend;
    snprintf(dir, sizeof dir, "/tmp/cio-file-test-XXXXXX");
    assert_non_null(mkdtemp(dir));
    fds_before = test_count_fds();
    return 0;
}

static int teardown(void **state) {
    (void)state;
    assert_int_equal(test_count_fds(), fds_before);
    remove_tree(dir);
    return 0;
}

static char *path_in_dir(const char *name) {
    static char path[2][128];
    static int which;
    which ^= 1;
    snprintf(path[which], sizeof path[which], "%s/%s", dir, name);
    return path[which];
}

/* Every main task starts by choosing the backend under test. */
static void use_backend(void) {
    assert_int_equal(cio_file_set_backend(NULL, backend), 0);
    assert_int_equal(cio_file_backend_of(NULL), backend);
}

static unsigned char *pattern(size_t len, unsigned seed) {
    unsigned char *data = malloc(len ? len : 1);
    assert_non_null(data);
    uint64_t x = seed * 2654435761u + 1;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) { /* xorshift, a word at a time: fast enough for 256 MiB */
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        memcpy(data + i, &x, 8);
    }
    for (; i < len; i++) data[i] = (unsigned char)(x >> (8 * (i % 8)));
    return data;
}

/* ---- whole files ------------------------------------------------------------------- */

static void round_trip(size_t len, unsigned seed) {
    unsigned char *data = pattern(len, seed);
    const char *path = path_in_dir("whole");
    assert_int_equal(cio_write_file_atomic(path, data, len), 0);
    struct stat st;
    assert_int_equal(cio_stat(path, &st), 0);
    assert_int_equal(st.st_size, len);
    char *back;
    size_t back_len;
    assert_int_equal(cio_read_file(path, &back, &back_len), 0);
    assert_int_equal(back_len, len);
    assert_true(memcmp(back, data, len) == 0);
    assert_int_equal(((char *)back)[len], '\0');
    free(back);
    free(data);
}

static void *sizes_main(void *arg) {
    (void)arg;
    use_backend();
    /* 8 MiB + 5: more than one of cio_read_file's chunks, in a huge-page buffer */
    static const size_t sizes[] = {0, 1, 4095, 4096, 65537, (1u << 20) + 3, (8u << 20) + 5};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) round_trip(sizes[i], (unsigned)i);
    return NULL;
}

static void whole_files_small(void **state) {
    (void)state;
    assert_int_equal(test_run(sizes_main, NULL, NULL, NULL), 0);
}

/* ---- single operations ----------------------------------------------------------------- */

static void *ops_main(void *arg) {
    (void)arg;
    use_backend();
    const char *path = path_in_dir("ops");
    int fd = cio_file_open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    assert_int_equal(cio_file_write(fd, "hello", 5), 5);
    assert_int_equal(cio_file_write(fd, " world", 6), 6); /* at the file position */
    char buf[32] = {0};
    assert_int_equal(cio_file_pread(fd, buf, 5, 6), 5);
    assert_string_equal(buf, "world");
    assert_int_equal(cio_file_pwrite(fd, "J", 1, 0), 1);
    assert_int_equal(cio_file_read(fd, buf, sizeof buf), 0); /* position is at the end */
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    memset(buf, 0, sizeof buf);
    assert_int_equal(cio_file_read(fd, buf, sizeof buf), 11);
    assert_string_equal(buf, "Jello world");
    assert_int_equal(cio_file_fsync(fd), 0);
    struct stat st;
    assert_int_equal(cio_file_stat(fd, &st), 0);
    assert_int_equal(st.st_size, 11);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_true(S_ISREG(st.st_mode));
    struct stat by_path;
    assert_int_equal(cio_stat(path, &by_path), 0);
    assert_int_equal(by_path.st_ino, st.st_ino);
    assert_int_equal(cio_file_close(fd), 0);
    assert_int_equal(cio_file_close(fd), -EBADF);
    assert_int_equal(cio_file_read(fd, buf, 1), -EBADF);
    assert_int_equal(cio_file_open(path, O_RDWR | O_CREAT | O_EXCL, 0600), -EEXIST);
    return NULL;
}

static void single_operations(void **state) {
    (void)state;
    assert_int_equal(test_run(ops_main, NULL, NULL, NULL), 0);
}

/* ---- errors ------------------------------------------------------------------------------- */

static void *errors_main(void *arg) {
    (void)arg;
    use_backend();
    char *data = (char *)&data;
    size_t len = 7;
    assert_int_equal(cio_read_file(path_in_dir("missing"), &data, &len), -ENOENT);
    assert_null(data);
    assert_int_equal(len, 0);
    assert_int_equal(cio_file_open(path_in_dir("missing"), O_RDONLY, 0), -ENOENT);
    assert_int_equal(cio_read_file(dir, &data, &len), -EISDIR);
    assert_int_equal(cio_write_file_atomic(dir, "x", 1), -EISDIR);
    assert_int_equal(cio_write_file_atomic("/nonexistent-dir/file", "x", 1), -ENOENT);
    struct stat st;
    assert_int_equal(cio_stat(path_in_dir("missing"), &st), -ENOENT);
    assert_int_equal(cio_file_open(NULL, O_RDONLY, 0), -EINVAL);
    assert_int_equal(cio_write_file_atomic(NULL, "x", 1), -EINVAL);
    assert_int_equal(cio_write_file_atomic(path_in_dir("x"), NULL, 1), -EINVAL);
    assert_int_equal(cio_read_file(path_in_dir("x"), NULL, &len), -EINVAL);
    assert_int_equal(cio_file_pread(0, &st, 1, -1), -EINVAL);
    assert_int_equal(cio_file_stat(-1, &st), -EBADF);
    assert_int_equal(cio_file_set_backend(NULL, CIO_FILE_BACKEND_POOL),
                     -EBUSY); /* chosen already */
    assert_int_equal(cio_file_set_backend(NULL, (cio_file_backend)9), -EINVAL);
    return NULL;
}

static void errors(void **state) {
    (void)state;
    setenv("CIO_QUIET", "1", 1);
    assert_int_equal(test_run(errors_main, NULL, NULL, NULL), 0);
    char buf[4];
    assert_int_equal(cio_file_read(0, buf, 1), -EPERM);   /* outside a task */
    assert_int_equal(cio_file_backend_of(NULL), -EINVAL); /* no loop */
}

/* EACCES needs an unprivileged user: the tests run as root, so a child
 * drops to nobody (65534) first. */
static char secret[128], locked_dir[128];

static void *eacces_main(void *arg) {
    (void)arg;
    if (cio_file_set_backend(NULL, backend) != 0) return cio_fail(-EPROTO);
    char *data;
    size_t len;
    if (cio_read_file(secret, &data, &len) != -EACCES) return cio_fail(-EPROTO);
    char target[160];
    snprintf(target, sizeof target, "%s/new", locked_dir);
    if (cio_write_file_atomic(target, "x", 1) != -EACCES) return cio_fail(-EPROTO);
    if (cio_file_open(secret, O_WRONLY, 0) != -EACCES) return cio_fail(-EPROTO);
    return NULL;
}

static void eacces_child(void) {
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(77);
    _exit(cio_run(eacces_main, NULL, NULL) == 0 ? 0 : 1);
}

static void permission_denied(void **state) {
    (void)state;
    snprintf(secret, sizeof secret, "%s/secret", dir);
    snprintf(locked_dir, sizeof locked_dir, "%s/locked", dir);
    int fd = open(secret, O_CREAT | O_WRONLY, 0600);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(mkdir(locked_dir, 0755), 0);
    assert_int_equal(chmod(dir, 0755), 0); /* nobody may traverse it */
    if (geteuid() != 0) {
        fprintf(stderr, "not root: checking EACCES as this user\n");
        assert_int_equal(chmod(secret, 0000), 0);
        assert_int_equal(chmod(locked_dir, 0555), 0);
    }
    char err[512];
    int status = test_in_child(eacces_child, err, sizeof err);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77) {
        fprintf(stderr, "skipping EACCES: cannot drop privileges to uid 65534\n");
        skip();
    }
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- atomic replace ----------------------------------------------------------------------------
 */

#define OLD_CONTENT "the old file, intact\n"
static char target[128];

static void *slow_writer(void *arg) {
    (void)arg;
    cio_file_set_backend(NULL, backend);
    size_t len = 128u << 20;
    unsigned char *data = pattern(len, 5);
    cio_write_file_atomic(target, data, len);
    return NULL;
}

static void writer_child(void) {
    cio_run(slow_writer, NULL, NULL);
    _exit(0);
}

/* Size of the writer's temp file, or -1 if there is none yet. */
static long temp_size(char *name, size_t cap) {
    DIR *d = opendir(dir);
    long size = -1;
    struct dirent *entry;
    while (d && (entry = readdir(d)) != NULL) {
        if (strncmp(entry->d_name, "target.tmp-", 11) != 0) continue;
        snprintf(name, cap, "%s/%s", dir, entry->d_name);
        struct stat st;
        if (stat(name, &st) == 0) size = (long)st.st_size;
    }
    if (d) closedir(d);
    return size;
}

static void writer_killed_midway(void **state) {
    (void)state;
    snprintf(target, sizeof target, "%s/target", dir);
    int fd = open(target, O_CREAT | O_WRONLY, 0640);
    assert_int_equal(write(fd, OLD_CONTENT, strlen(OLD_CONTENT)), (ssize_t)strlen(OLD_CONTENT));
    close(fd);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) writer_child();
    char temp[400];
    for (int i = 0; i < 20000 && temp_size(temp, sizeof temp) <= 0; i++) usleep(1000);
    assert_true(temp_size(temp, sizeof temp) > 0); /* mid-way: the temp file is filling */
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFSIGNALED(status));
    char buf[64] = {0};
    fd = open(target, O_RDONLY);
    assert_int_equal(read(fd, buf, sizeof buf), (ssize_t)strlen(OLD_CONTENT));
    close(fd);
    assert_string_equal(buf, OLD_CONTENT);
    assert_int_equal(unlink(temp), 0); /* what a crash leaves: only a named temp file */
}

static void *cancelled_write(void *arg) {
    (void)arg;
    size_t len = 8u << 20;
    unsigned char *data = pattern(len, 6);
    int rc = cio_write_file_atomic(target, data, len);
    free(data);
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void *replace_main(void *arg) {
    (void)arg;
    use_backend();
    assert_int_equal(cio_write_file_atomic(target, OLD_CONTENT, strlen(OLD_CONTENT)), 0);
    assert_int_equal(chmod(target, 0640), 0);
    assert_int_equal(cio_write_file_atomic(target, "new", 3), 0);
    struct stat st;
    assert_int_equal(cio_stat(target, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640); /* kept */
    cio_task *writer;
    cio_create_task(cancelled_write, NULL, &writer);
    cio_task_ref(writer);
    cio_yield(); /* the writer is inside its first operation */
    cio_task_cancel(writer);
    assert_int_equal(cio_await(writer, NULL), -ECANCELED);
    cio_task_unref(writer);
    char *data;
    size_t len;
    assert_int_equal(cio_read_file(target, &data, &len), 0);
    assert_string_equal(data, "new"); /* untouched */
    free(data);
    char temp[400];
    assert_int_equal(temp_size(temp, sizeof temp), -1); /* cleaned up */
    return NULL;
}

static void replace_keeps_mode_and_cancel_cleans_up(void **state) {
    (void)state;
    snprintf(target, sizeof target, "%s/target", dir);
    assert_int_equal(test_run(replace_main, NULL, NULL, NULL), 0);
}

/* ---- cancellation, the clock, concurrency
 * ----------------------------------------------------------- */

static void *sleeper(void *arg) {
    (void)arg;
    cio_sleep(10.0);
    return NULL;
}

static void *due_and_clock_main(void *arg) {
    (void)arg;
    use_backend();
    cio_task_cancel(cio_current_task());
    assert_int_equal(cio_file_open("/proc/self/exe", O_RDONLY, 0), -ECANCELED); /* due: not done */
    cio_task_uncancel(cio_current_task());
    /* the virtual clock waits for file operations */
    cio_task *other;
    cio_create_task(sleeper, NULL, &other);
    char *data;
    size_t len;
    assert_int_equal(cio_read_file("/proc/self/exe", &data, &len), 0);
    assert_true(len > 1000);
    free(data);
    assert_true(test_now() == 0.0);
    assert_int_equal(cio_await(other, NULL), 0);
    assert_true(test_now() == 10.0);
    return NULL;
}

static int verdict;
static void *judge_reader(void *arg) {
    int fd = *(int *)arg;
    char buf[8];
    ssize_t got = cio_file_pread(fd, buf, sizeof buf, 0); /* cancelled while in flight */
    int next = cio_yield();
    verdict = got == 8 && next == -ECANCELED;
    return NULL;
}

static void *judge_main(void *arg) {
    (void)arg;
    use_backend();
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    cio_task *reader;
    cio_create_task(judge_reader, &fd, &reader);
    cio_yield(); /* the reader starts and parks in its read */
    cio_task_cancel(reader);
    assert_int_equal(cio_await(reader, NULL), 0); /* it returned normally */
    close(fd);
    return NULL;
}

static void cancellation_and_clock(void **state) {
    (void)state;
    assert_int_equal(test_run(due_and_clock_main, NULL, NULL, NULL), 0);
    verdict = 0;
    assert_int_equal(test_run(judge_main, NULL, NULL, NULL), 0);
    assert_int_equal(verdict, 1); /* the read completed; the cancel came at the next await */
}

static void *one_file(void *arg) {
    intptr_t i = (intptr_t)arg;
    char name[32];
    snprintf(name, sizeof name, "f%d", (int)i);
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t len = 1000 + (size_t)i * 37;
    unsigned char *data = pattern(len, (unsigned)i);
    int rc = cio_write_file_atomic(path, data, len);
    char *back = NULL;
    size_t back_len = 0;
    if (rc == 0) rc = cio_read_file(path, &back, &back_len);
    bool same = rc == 0 && back_len == len && memcmp(back, data, len) == 0;
    free(back);
    free(data);
    return same ? NULL : cio_fail(rc < 0 ? rc : -EPROTO);
}

static void *many_main(void *arg) {
    (void)arg;
    use_backend();
    cio_task *tasks[200];
    for (intptr_t i = 0; i < 200; i++) cio_create_task(one_file, (void *)i, &tasks[i]);
    for (int i = 0; i < 200; i++) assert_int_equal(cio_await(tasks[i], NULL), 0);
    return NULL;
}

static void many_tasks_at_once(void **state) {
    (void)state;
    assert_int_equal(test_run(many_main, NULL, NULL, NULL), 0);
}

/* ---- many reads in flight ------------------------------------------------------------ */

#define BLOCK 4096

static const unsigned char *shared_data; /* what the shared file holds */
static int shared_fd;

/* Write len bytes of pattern into a new file, open it for cio reads. */
static unsigned char *make_shared_file(size_t len) {
    unsigned char *data = pattern(len, 7);
    int fd = open(path_in_dir("shared"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    shared_fd = cio_file_open(path_in_dir("shared"), O_RDONLY, 0);
    assert_true(shared_fd >= 0);
    shared_data = data;
    return data;
}

/* Read len bytes at offset into a fresh buffer and compare. */
static void *read_and_check(size_t offset, size_t len) {
    unsigned char *buf = malloc(len);
    if (!buf) return cio_fail(-ENOMEM);
    ssize_t got = cio_file_pread(shared_fd, buf, len, (off_t)offset);
    bool same = got == (ssize_t)len && memcmp(buf, shared_data + offset, len) == 0;
    free(buf);
    return same ? NULL : cio_fail(got < 0 ? (int)got : -EPROTO);
}

static void *read_block(void *arg) {
    return read_and_check((size_t)(intptr_t)arg * BLOCK, BLOCK);
}

static void *read_mib(void *arg) {
    return read_and_check((size_t)(intptr_t)arg << 20, 1u << 20);
}

/* count tasks, task i running fn(i), all started before any is awaited. */
static void run_all(cio_task_fn fn, int count) {
    cio_task **tasks = calloc((size_t)count, sizeof *tasks);
    assert_non_null(tasks);
    for (intptr_t i = 0; i < count; i++) cio_create_task(fn, (void *)i, &tasks[i]);
    for (int i = 0; i < count; i++) assert_int_equal(cio_await(tasks[i], NULL), 0);
    free(tasks);
}

/* 1,000 reads at once: more than io_uring's SQ (256) takes in one turn and
 * its CQ (512) holds, so completions wait in the kernel's overflow list. */
static void *overflow_main(void *arg) {
    (void)arg;
    use_backend();
    unsigned char *data = make_shared_file(1000 * BLOCK);
    run_all(read_block, 1000);
    assert_int_equal(cio_file_close(shared_fd), 0);
    free(data);
    return NULL;
}

static void more_reads_than_the_ring_holds(void **state) {
    (void)state;
    assert_int_equal(test_run(overflow_main, NULL, NULL, NULL), 0);
}

/* Eight 1 MiB reads in one turn: on io_uring every other one is copied by
 * an io-wq thread, the rest inline. */
static void *large_reads_main(void *arg) {
    (void)arg;
    use_backend();
    unsigned char *data = make_shared_file(8u << 20);
    run_all(read_mib, 8);
    run_all(read_mib, 8); /* again, with the io-wq workers already there */
    assert_int_equal(cio_file_close(shared_fd), 0);
    free(data);
    return NULL;
}

static void large_reads_at_once(void **state) {
    (void)state;
    assert_int_equal(test_run(large_reads_main, NULL, NULL, NULL), 0);
}

/* $CIO_FILE_BACKEND decides when the program does not. */
static void *env_main(void *arg) {
    (void)arg;
    assert_int_equal(cio_file_backend_of(NULL), backend);
    round_trip(5000, 1);
    return NULL;
}

static void backend_from_environment(void **state) {
    (void)state;
    setenv("CIO_FILE_BACKEND", backend == CIO_FILE_BACKEND_URING ? "uring" : "pool", 1);
    assert_int_equal(test_run(env_main, NULL, NULL, NULL), 0);
    unsetenv("CIO_FILE_BACKEND");
}

/* ---- plain write and directory listing --------------------------------------------------- */

static void *plain_write_main(void *arg) {
    (void)arg;
    use_backend();
    const char *path = path_in_dir("plain");
    assert_int_equal(cio_write_file(path, "first, longer content", 21), 0);
    assert_int_equal(cio_write_file(path, "second", 6), 0); /* truncates */
    char *back;
    size_t len;
    assert_int_equal(cio_read_file(path, &back, &len), 0);
    assert_int_equal(len, 6);
    assert_string_equal(back, "second"); /* NUL-terminated */
    free(back);
    assert_int_equal(cio_write_file(path, NULL, 0), 0); /* empty is fine */
    struct stat st;
    assert_int_equal(cio_stat(path, &st), 0);
    assert_int_equal(st.st_size, 0);
    assert_int_equal(cio_write_file(dir, "x", 1), -EISDIR);
    assert_int_equal(cio_write_file("/nonexistent-dir/file", "x", 1), -ENOENT);
    assert_int_equal(cio_write_file(NULL, "x", 1), -EINVAL);
    assert_int_equal(cio_write_file("", "x", 1), -EINVAL);
    assert_int_equal(cio_write_file(path, NULL, 1), -EINVAL);
    return NULL;
}

static void plain_write(void **state) {
    (void)state;
    assert_int_equal(test_run(plain_write_main, NULL, NULL, NULL), 0);
    assert_int_equal(cio_write_file(path_in_dir("outside"), "x", 1), -EPERM);
}

static void *list_main(void *arg) {
    (void)arg;
    use_backend();
    cio_dir_entry *entries = (cio_dir_entry *)&entries;
    size_t count = 99;
    assert_int_equal(cio_list_dir(dir, &entries, &count), 0);
    assert_int_equal(count, 0); /* empty: a block to free all the same */
    free(entries);
    static const char *names[] = {"b-file", "a-dir", "c-link", "\xc3\xa9t\xc3\xa9"};
    assert_int_equal(cio_write_file(path_in_dir(names[0]), "x", 1), 0);
    assert_int_equal(mkdir(path_in_dir(names[1]), 0700), 0);
    assert_int_equal(symlink("b-file", path_in_dir(names[2])), 0);
    assert_int_equal(cio_write_file(path_in_dir(names[3]), "", 0), 0);
    assert_int_equal(cio_list_dir(dir, &entries, &count), 0);
    assert_int_equal(count, 4);
    assert_string_equal(entries[0].name, "a-dir"); /* sorted by bytes */
    assert_string_equal(entries[1].name, "b-file");
    assert_string_equal(entries[2].name, "c-link");
    assert_string_equal(entries[3].name, names[3]);
    if (entries[0].type != DT_UNKNOWN) {
        assert_int_equal(entries[0].type, DT_DIR);
        assert_int_equal(entries[1].type, DT_REG);
        assert_int_equal(entries[2].type, DT_LNK);
    }
    free(entries);
    entries = (cio_dir_entry *)&entries;
    assert_int_equal(cio_list_dir(path_in_dir("missing"), &entries, &count), -ENOENT);
    assert_null(entries);
    assert_int_equal(count, 0);
    assert_int_equal(cio_list_dir(path_in_dir("b-file"), &entries, &count), -ENOTDIR);
    assert_int_equal(cio_list_dir(NULL, &entries, &count), -EINVAL);
    assert_int_equal(cio_list_dir(dir, NULL, &count), -EINVAL);
    assert_int_equal(cio_list_dir(dir, &entries, NULL), -EINVAL);
    /* Cancelled while the listing runs: returns at once, nothing leaks. */
    cio_task_cancel(cio_current_task());
    assert_int_equal(cio_list_dir(dir, &entries, &count), -ECANCELED);
    assert_null(entries);
    assert_int_equal(cio_task_uncancel(cio_current_task()), 0);
    return NULL;
}

static void list_dir(void **state) {
    (void)state;
    assert_int_equal(test_run(list_main, NULL, NULL, NULL), 0);
    cio_dir_entry *entries;
    size_t count;
    assert_int_equal(cio_list_dir(dir, &entries, &count), -EPERM);
}

#define BOTH(test)                                                                                 \
    {#test "/pool", run_variant, setup, teardown, &(struct variant){CIO_FILE_BACKEND_POOL, test}}, \
    {                                                                                              \
#test "/uring", run_variant, setup, teardown, &(struct variant) {                          \
            CIO_FILE_BACKEND_URING, test                                                           \
        }                                                                                          \
    }

int main(void) {
    const struct CMUnitTest tests[] = {
        BOTH(whole_files_small),
        BOTH(single_operations),
        BOTH(errors),
        BOTH(permission_denied),
        BOTH(writer_killed_midway),
        BOTH(replace_keeps_mode_and_cancel_cleans_up),
        BOTH(cancellation_and_clock),
        BOTH(many_tasks_at_once),
        BOTH(more_reads_than_the_ring_holds),
        BOTH(large_reads_at_once),
        BOTH(backend_from_environment),
        BOTH(plain_write),
        BOTH(list_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
