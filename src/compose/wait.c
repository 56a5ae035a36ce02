/* src/compose/wait.c - cio_wait: until the first, the first failure, or all.
 *
 * Each entry (a task listed twice is two entries) that is unfinished on entry
 * gets a done-callback that counts it; the waiter is woken once the mode is
 * satisfied. The timeout is a timeout scope around the park: when that scope
 * is the one that fired, it is a normal return, not an error. */
#include "compose/compose.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>

struct waiting {
    struct cio__watch watch; /* first: the block is freed through it */
    cio_wait_mode mode;
    size_t entries, finished; /* finished: counted on entry or by a callback */
    bool failed;              /* an entry finished with an error, not -ECANCELED */
};

static bool is_failure(const cio_task *task) {
    int error = cio__task_error(task);
    return cio__task_finished(task) && error != 0 && error != -ECANCELED;
}

static bool satisfied(const struct waiting *w) {
    if (w->finished == w->entries) return true;
    if (w->mode == CIO_FIRST_COMPLETED) return w->finished > 0;
    if (w->mode == CIO_FIRST_EXCEPTION) return w->failed;
    return false;
}

static bool on_done(struct cio__watch *watch, cio_task *task) {
    struct waiting *w = (struct waiting *)watch;
    w->finished++;
    w->failed |= is_failure(task);
    return satisfied(w);
}

static void disarm_entries(struct waiting *w, cio_task *const *tasks, size_t n) {
    for (size_t i = 0; i < n; i++) cio__watch_disarm(&w->watch, tasks[i]);
}

static int arm(struct waiting *w, cio_task *const *tasks, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (cio__task_finished(tasks[i])) {
            w->finished++;
            w->failed |= is_failure(tasks[i]);
        } else if (cio__watch_arm(&w->watch, tasks[i]) < 0) {
            disarm_entries(w, tasks, i);
            return -ENOMEM;
        }
    }
    return 0;
}

/* Park until satisfied, interrupted, or our own deadline (then 0). */
static int park(struct waiting *w, cio_task *self, double timeout) {
    cio_timeout scope;
    bool timed = timeout < INFINITY;
    if (timed) cio_timeout_begin(&scope, timeout);
    int rc = 0;
    while (rc == 0 && !satisfied(w)) rc = cio__watch_wait(&w->watch, self);
    if (timed && cio_timeout_end(&scope) == -ETIMEDOUT && rc == -ETIMEDOUT) rc = 0;
    return rc;
}

/* Finished entries first, then pending ones, each in input order. Decided
 * by the tasks' state now: one that finished after the wake-up counts. */
static int partition(cio_task *const *tasks, size_t n, cio_task **out) {
    size_t done = 0;
    for (size_t i = 0; i < n; i++)
        if (cio__task_finished(tasks[i])) {
            if (out) out[done] = tasks[i];
            done++;
        }
    size_t pending = done;
    for (size_t i = 0; i < n && out; i++)
        if (!cio__task_finished(tasks[i])) out[pending++] = tasks[i];
    return (int)done;
}

static int check_arguments(cio_task *const *tasks, size_t n, cio_wait_mode mode, double timeout,
                           cio_task **out) {
    if (n == 0 || n > INT_MAX || isnan(timeout)) return -EINVAL;
    if (mode != CIO_ALL_COMPLETED && mode != CIO_FIRST_COMPLETED && mode != CIO_FIRST_EXCEPTION)
        return -EINVAL;
    if (out && out == (cio_task **)tasks) return -EINVAL;
    return 0;
}

int cio_wait(cio_task *const *tasks, size_t n, cio_wait_mode mode, double timeout, cio_task **out) {
    cio_task *self = cio__task_current_or_complain("cio_wait");
    if (!self) return -EPERM;
    int rc = check_arguments(tasks, n, mode, timeout, out);
    if (rc == 0) rc = cio__compose_check(self, tasks, n, NULL);
    if (rc < 0) return rc;
    struct waiting *w = malloc(sizeof *w);
    if (!w) return -ENOMEM;
    *w = (struct waiting){.mode = mode, .entries = n};
    cio__watch_init(&w->watch, on_done);
    rc = arm(w, tasks, n);
    if (rc == 0 && !satisfied(w)) rc = park(w, self, timeout);
    if (rc != -ENOMEM) disarm_entries(w, tasks, n);
    cio__watch_free(&w->watch);
    if (rc < 0) {
        if (rc != -ENOMEM) partition(tasks, n, out);
        return rc;
    }
    return partition(tasks, n, out);
}
