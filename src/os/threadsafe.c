/* src/os/threadsafe.c - cio_run_coroutine_threadsafe(): a plain thread asks a
 * loop running elsewhere to run a task, and blocks on the outcome.
 *
 * A cfuture has two owners: the caller (until cio_cfuture_free) and the loop
 * side (until the outcome is set). The loop side starts the task from a
 * call_soon_threadsafe callback, listens for its end with a done-callback,
 * and is listed in the loop's OS state so a closing loop ends it with
 * -CIO_ECLOSED. */
#include "os/os.h"

#include <math.h>
#include <stdlib.h>
#include <time.h>

struct cio_cfuture {
    pthread_mutex_t lock;
    pthread_cond_t changed; /* on CLOCK_MONOTONIC */
    int refs;               /* under lock */
    bool done;              /* outcome set; under lock */
    bool cancel_requested;  /* under lock */
    int status;
    void *result;
    cio_loop *loop;
    cio_task_fn fn;
    void *arg;
    /* Loop thread only: */
    cio_task *task;          /* borrowed while listed (the loop holds it) */
    struct cio__list listed; /* on the OS state's cfutures while the task runs */
};

static void unref(cio_cfuture *future) {
    pthread_mutex_lock(&future->lock);
    int refs = --future->refs;
    pthread_mutex_unlock(&future->lock);
    if (refs > 0) return;
    pthread_cond_destroy(&future->changed);
    pthread_mutex_destroy(&future->lock);
    free(future);
}

/* Set the outcome and drop the loop side's reference. */
static void complete(cio_cfuture *future, int status, void *result) {
    pthread_mutex_lock(&future->lock);
    future->done = true;
    future->status = status;
    future->result = result;
    pthread_cond_broadcast(&future->changed);
    pthread_mutex_unlock(&future->lock);
    unref(future);
}

/* ---- the loop side ------------------------------------------------------------------ */

static void on_task_done(cio_future *f, void *arg) {
    cio_cfuture *future = arg;
    cio__list_remove(&future->listed);
    void *result;
    int status = cio_future_result(f, &result);
    complete(future, status, result);
}

static bool cancel_requested(cio_cfuture *future) {
    pthread_mutex_lock(&future->lock);
    bool requested = future->cancel_requested;
    pthread_mutex_unlock(&future->lock);
    return requested;
}

static int start_task(cio_cfuture *future) {
    struct cio__os *os = cio__os_get(future->loop);
    if (!os) return -ENOMEM;
    int rc = cio_loop_create_task_ex(future->loop, future->fn, future->arg, NULL, &future->task);
    if (rc < 0) return rc;
    rc = cio_future_add_done_callback(cio_task_future(future->task), on_task_done, future);
    if (rc < 0) {
        cio_task_cancel(future->task); /* never started: it ends without running */
        cio_task_unref(future->task);
        return rc;
    }
    cio_task_unref(future->task); /* the loop keeps it alive until it is done */
    cio__list_push_back(&os->cfutures, &future->listed);
    return 0;
}

static void start(void *arg) {
    cio_cfuture *future = arg;
    int rc = cancel_requested(future) ? -ECANCELED : start_task(future);
    if (rc < 0) complete(future, rc, NULL);
}

static void cancel_on_loop(void *arg) {
    cio_cfuture *future = arg;
    if (cio__list_linked(&future->listed)) cio_task_cancel(future->task);
    unref(future);
}

void cio__cfutures_close(struct cio__os *os) {
    struct cio__list *node;
    while ((node = cio__list_pop_front(&os->cfutures)) != NULL) {
        cio_cfuture *future = cio__container_of(node, cio_cfuture, listed);
        cio_future_remove_done_callback(cio_task_future(future->task), on_task_done, future);
        complete(future, -CIO_ECLOSED, NULL);
    }
}

/* ---- the caller's side ----------------------------------------------------------------- */

static cio_cfuture *cfuture_new(cio_loop *loop, cio_task_fn fn, void *arg) {
    cio_cfuture *future = calloc(1, sizeof *future);
    if (!future) return NULL;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&future->changed, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&future->lock, NULL);
    future->refs = 2;
    future->loop = loop;
    future->fn = fn;
    future->arg = arg;
    return future;
}

int cio_run_coroutine_threadsafe(cio_loop *loop, cio_task_fn fn, void *arg, cio_cfuture **out) {
    if (out) *out = NULL;
    if (!cio__loop_valid(loop) || !fn || !out) return -EINVAL;
    cio_cfuture *future = cfuture_new(loop, fn, arg);
    if (!future) return -ENOMEM;
    int rc = cio_call_soon_threadsafe(loop, start, future);
    if (rc < 0) {
        future->refs = 1;
        unref(future);
        return rc;
    }
    *out = future;
    return 0;
}

static struct timespec deadline_after(double timeout) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double whole = floor(timeout);
    ts.tv_sec += (time_t)whole;
    ts.tv_nsec += (long)((timeout - whole) * 1e9);
    if (ts.tv_nsec >= CIO__NS_PER_SEC) {
        ts.tv_sec++;
        ts.tv_nsec -= CIO__NS_PER_SEC;
    }
    return ts;
}

int cio_cfuture_wait(cio_cfuture *future, double timeout, void **result) {
    if (result) *result = NULL;
    if (!future || isnan(timeout)) return -EINVAL;
    if (cio__running_loop == future->loop) return -EDEADLK;
    bool limited = timeout >= 0 && timeout < 1e9;
    struct timespec deadline = limited ? deadline_after(timeout) : (struct timespec){0};
    pthread_mutex_lock(&future->lock);
    int rc = 0;
    while (!future->done && rc == 0)
        rc = limited ? pthread_cond_timedwait(&future->changed, &future->lock, &deadline)
                     : pthread_cond_wait(&future->changed, &future->lock);
    int status = future->done ? future->status : -ETIMEDOUT;
    if (result && future->done && status == 0) *result = future->result;
    pthread_mutex_unlock(&future->lock);
    return status;
}

int cio_cfuture_cancel(cio_cfuture *future) {
    if (!future) return -EINVAL;
    pthread_mutex_lock(&future->lock);
    bool done = future->done;
    bool first = !future->cancel_requested;
    future->cancel_requested = true;
    if (!done && first) future->refs++; /* for cancel_on_loop */
    pthread_mutex_unlock(&future->lock);
    if (done) return -EALREADY;
    if (first && cio_call_soon_threadsafe(future->loop, cancel_on_loop, future) < 0)
        unref(future); /* the loop is closing: it ends the task itself */
    return 0;
}

bool cio_cfuture_done(cio_cfuture *future) {
    if (!future) return false;
    pthread_mutex_lock(&future->lock);
    bool done = future->done;
    pthread_mutex_unlock(&future->lock);
    return done;
}

void cio_cfuture_free(cio_cfuture *future) {
    if (future) unref(future);
}
