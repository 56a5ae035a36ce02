/* src/process/childwatch.c - one process-wide thread that waits on the pidfds of
 * every child of every loop, reaps each child as it exits and sends its
 * return code back as a job completion (core/offload.c).
 *
 * Why a thread and not the loop's poller: a child must be reaped even when no
 * task waits for it (its handle was freed, or its loop closed), and only tasks
 * can wait on fds in the loop. The job machinery already knows how to reach a
 * loop that may be closing, and to drop the result if it has closed.
 *
 * The thread runs while something is watched. It closes its eventfd and
 * marks itself stopped *before* finishing the last job, so by the time a loop
 * learns that its last child exited the watcher holds no fd. */
#include "process/process.h"

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static pthread_mutex_t watch_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cio__child_watch *watched; /* under watch_lock */
static size_t watched_count;             /* under watch_lock */
static int wake_fd = -1;                 /* under watch_lock; valid while running */
static bool running;                     /* under watch_lock */

/* Reap the exited child and report it (the watch is then not ours). */
static void reap(struct cio__child_watch *watch) {
    siginfo_t info = {0};
    int rc;
    do /* the child has exited: only a signal can make this fail, and not for good */
        rc = waitid((idtype_t)P_PIDFD, (id_t)watch->pidfd, &info, WEXITED);
    while (rc < 0 && errno == EINTR);
    close(watch->pidfd);
    int returncode = info.si_code == CLD_EXITED ? info.si_status : -info.si_status;
    watch->job.result =
        (void *)(intptr_t)(rc == 0 ? returncode : 255); /* 255: asyncio's "unknown" */
    watch->job.status = 0;
    cio__job_finished(&watch->job);
}

/* Unlink watch. If the list is now empty, the thread stops: returns false.
 * Called locked. */
static bool unlink_watch(struct cio__child_watch *watch) {
    struct cio__child_watch **slot = &watched;
    while (*slot != watch) slot = &(*slot)->next;
    *slot = watch->next;
    if (--watched_count > 0) return true;
    close(wake_fd);
    wake_fd = -1;
    running = false;
    return false;
}

/* The pollfds: [0] the eventfd, then every pidfd, with the matching watch in
 * each[]. Called locked; NULL on out of memory (the caller retries). */
static struct pollfd *snapshot(struct cio__child_watch ***each, size_t *count) {
    *count = watched_count + 1;
    struct pollfd *fds = calloc(*count, sizeof *fds);
    *each = calloc(*count, sizeof **each);
    if (!fds || !*each) {
        free(fds);
        free(*each);
        return NULL;
    }
    fds[0] = (struct pollfd){.fd = wake_fd, .events = POLLIN};
    size_t i = 1;
    for (struct cio__child_watch *watch = watched; watch; watch = watch->next, i++) {
        fds[i] = (struct pollfd){.fd = watch->pidfd, .events = POLLIN};
        (*each)[i] = watch;
    }
    return fds;
}

/* Reap what poll reported; false once the thread has stopped. */
static bool reap_ready(struct pollfd *fds, struct cio__child_watch **each, size_t count) {
    bool keep_running = true;
    for (size_t i = 1; i < count; i++) {
        if (!fds[i].revents) continue;
        pthread_mutex_lock(&watch_lock);
        keep_running = unlink_watch(each[i]);
        pthread_mutex_unlock(&watch_lock);
        reap(each[i]);
    }
    return keep_running;
}

static void *watch_main(void *arg) {
    (void)arg;
    for (;;) {
        struct cio__child_watch **each;
        size_t count;
        pthread_mutex_lock(&watch_lock);
        struct pollfd *fds = snapshot(&each, &count);
        pthread_mutex_unlock(&watch_lock);
        if (!fds) {
            sched_yield();
            continue;
        }
        int ready = poll(fds, count, -1);
        uint64_t drained;
        if (ready > 0 && fds[0].revents && read(fds[0].fd, &drained, sizeof drained) < 0)
            drained = 0;
        bool keep_running = ready <= 0 || reap_ready(fds, each, count);
        free(fds);
        free(each);
        if (!keep_running) return NULL;
    }
}

static int start_thread(void) {
    wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd < 0) return -errno;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    sigset_t all, old;
    sigfillset(&all);
    /* The thread must start with every signal blocked (it would take the
     * loop's SIGCHLD and SIGINT otherwise): no mask, no thread. */
    int rc = pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t thread;
    if (rc == 0) {
        rc = pthread_create(&thread, &attr, watch_main, NULL);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        close(wake_fd);
        wake_fd = -1;
        return -rc;
    }
    running = true;
    return 0;
}

int cio__childwatch_add(struct cio__child_watch *watch) {
    pthread_mutex_lock(&watch_lock);
    int rc = running ? 0 : start_thread();
    if (rc == 0) {
        watch->next = watched;
        watched = watch;
        watched_count++;
        uint64_t one = 1;
        if (write(wake_fd, &one, sizeof one) < 0) rc = 0; /* EAGAIN: a wake-up is pending */
    }
    pthread_mutex_unlock(&watch_lock);
    return rc;
}
