/* copy_tree: copy a directory tree with at most N files in flight at once.
 *
 *     copy_tree SRC DST [N=16]
 *
 * The tree is walked on the thread pool (opendir/readdir block), then one
 * task per file copies it in 1 MiB chunks with the async file calls; a
 * semaphore keeps N copies going at a time. Ctrl-C stops it cleanly. */
#define _GNU_SOURCE /* lstat, accept4, ... */
#include <cio.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CHUNK (1u << 20)

struct file_pair {
    char *from, *to;
    mode_t mode;
};

struct plan { /* what the walk found; made on a pool thread */
    struct file_pair *files;
    size_t count, cap;
    int error;
};

static cio_semaphore in_flight;
static long long bytes_copied;

/* ---- the walk (blocking, on the pool) ------------------------------------------ */

static char *join(const char *dir, const char *name) {
    size_t len = strlen(dir) + strlen(name) + 2;
    char *path = malloc(len);
    if (path) snprintf(path, len, "%s/%s", dir, name);
    return path;
}

static void add_file(struct plan *plan, char *from, char *to, mode_t mode) {
    if (plan->count == plan->cap) {
        plan->cap = plan->cap ? plan->cap * 2 : 64;
        plan->files = realloc(plan->files, plan->cap * sizeof *plan->files);
    }
    plan->files[plan->count++] = (struct file_pair){from, to, mode};
}

/* Make to/ like from/ and list the regular files under it. */
static void walk(struct plan *plan, const char *from, const char *to) {
    DIR *dir = opendir(from);
    if (!dir || (mkdir(to, 0755) != 0 && errno != EEXIST)) {
        plan->error = -errno;
        if (dir) closedir(dir);
        return;
    }
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
        char *src = join(from, entry->d_name), *dst = join(to, entry->d_name);
        struct stat st;
        if (lstat(src, &st) == 0 && S_ISDIR(st.st_mode)) walk(plan, src, dst);
        if (lstat(src, &st) == 0 && S_ISREG(st.st_mode)) {
            add_file(plan, src, dst, st.st_mode & 0777);
            continue; /* the plan owns both paths now */
        }
        free(src);
        free(dst);
    }
    closedir(dir);
}

static void free_plan(struct plan *plan) {
    for (size_t i = 0; plan && i < plan->count; i++) {
        free(plan->files[i].from);
        free(plan->files[i].to);
    }
    if (plan) free(plan->files);
    free(plan);
}

static const char *const *walk_args; /* {from, to} */

static void *walk_job(void *arg) {
    walk(arg, walk_args[0], walk_args[1]);
    return arg;
}

/* If the main task is cancelled while the walk runs, the walk's plan is
 * freed when it ends: nothing leaks. */
static void discard_plan(void *arg, void *result) {
    (void)result;
    free_plan(arg);
}

/* ---- copying (async) -------------------------------------------------------------- */

static int copy_contents(int in, int out, char *buf) {
    off_t offset = 0;
    for (;;) {
        ssize_t got = cio_file_pread(in, buf, CHUNK, offset);
        if (got <= 0) return (int)got;
        for (ssize_t done = 0; done < got;) {
            ssize_t wrote = cio_file_pwrite(out, buf + done, (size_t)(got - done), offset + done);
            if (wrote < 0) return (int)wrote;
            done += wrote;
        }
        offset += got;
        bytes_copied += got;
    }
}

static void *copy_one(void *arg) {
    struct file_pair *file = arg;
    int rc = cio_semaphore_acquire(&in_flight);
    if (rc < 0) return cio_fail(rc);
    char *buf = malloc(CHUNK);
    int in = cio_file_open(file->from, O_RDONLY, 0);
    int out = in < 0 ? in : cio_file_open(file->to, O_WRONLY | O_CREAT | O_TRUNC, file->mode);
    rc = !buf ? -ENOMEM : in < 0 ? in : out < 0 ? out : copy_contents(in, out, buf);
    cio_shield_begin(); /* close even when cancelled */
    if (in >= 0) cio_file_close(in);
    if (out >= 0) cio_file_close(out);
    cio_shield_end();
    free(buf);
    cio_semaphore_release(&in_flight);
    if (rc < 0) fprintf(stderr, "%s: %s\n", file->from, cio_strerror(rc));
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void *main_task(void *arg) {
    walk_args = arg;
    struct plan *plan = calloc(1, sizeof *plan);
    if (!plan) return cio_fail(-ENOMEM);
    int rc = cio_run_in_executor(NULL, walk_job, plan, discard_plan, NULL);
    if (rc < 0) return cio_fail(rc); /* the plan now belongs to the walk */
    if (plan->error) fprintf(stderr, "walk: %s\n", cio_strerror(plan->error));
    double start = cio_loop_time(cio_get_running_loop());
    cio_task **tasks = calloc(plan->count + 1, sizeof *tasks);
    for (size_t i = 0; i < plan->count; i++) cio_create_task(copy_one, &plan->files[i], &tasks[i]);
    size_t failed = 0;
    for (size_t i = 0; i < plan->count; i++) failed += cio_await(tasks[i], NULL) != 0;
    double took = cio_loop_time(cio_get_running_loop()) - start;
    printf("copied %zu files (%lld bytes) in %.3f s, %zu failed\n", plan->count - failed,
           bytes_copied, took, failed);
    free(tasks);
    free_plan(plan);
    return failed ? cio_fail(-EIO) : NULL;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s SRC DST [files-in-flight=16]\n", argv[0]);
        return 2;
    }
    cio_semaphore_init(&in_flight, argc > 3 ? atoi(argv[3]) : 16);
    const char *paths[] = {argv[1], argv[2]};
    int rc = cio_run(main_task, paths, NULL);
    if (rc < 0 && rc != -EIO) fprintf(stderr, "copy_tree: %s\n", cio_strerror(rc));
    return rc == 0 ? 0 : 1;
}
