/* src/os/offload.c - the loop side of the thread pool: the per-loop OS state,
 * submitting jobs, bringing completions back, and cio_run_in_executor().
 *
 * A job's completion travels worker -> cio_call_soon_threadsafe -> deliver()
 * on the loop thread, which wakes the parked task (it reads the result and
 * frees the job) or, if the task gave up, discards the result. If the loop
 * closes first, the link tells the worker so, and whichever side holds the
 * job then (see close_os) discards and frees it. */
#include "os/os.h"

#include <stdlib.h>

/* ---- the loop link ---------------------------------------------------------------- */

static struct cio__loop_link *link_new(cio_loop *loop) {
    struct cio__loop_link *link = calloc(1, sizeof *link);
    if (!link) return NULL;
    pthread_mutex_init(&link->lock, NULL);
    link->loop = loop;
    link->refs = 1;
    return link;
}

static void link_unref(struct cio__loop_link *link) {
    pthread_mutex_lock(&link->lock);
    int refs = --link->refs;
    pthread_mutex_unlock(&link->lock);
    if (refs > 0) return;
    pthread_mutex_destroy(&link->lock);
    free(link);
}

/* ---- jobs -------------------------------------------------------------------------- */

/* Nobody will receive the outcome: hand it to discard and free the job. */
static void drop_job(struct cio__job *job) {
    if (job->discard) job->discard(job->arg, job->status == 0 ? job->result : NULL);
    free(job);
}

/* On the loop thread: the job's outcome is back. */
static void deliver(void *arg) {
    struct cio__job *job = arg;
    if (job->holds) cio__loop_unhold(job->loop);
    cio__list_remove(&job->inflight);
    if (job->on_done)
        job->on_done(job);
    else if (job->waiter)
        cio__wake(job->waiter, 0); /* the task reads the outcome and frees the job */
    else
        drop_job(job);
}

void cio__job_finished(struct cio__job *job) {
    struct cio__loop_link *link = job->link;
    pthread_mutex_lock(&link->lock);
    bool orphan = link->loop == NULL;
    if (!orphan) {
        job->posted = true;
        /* Only -ENOMEM can fail here (the loop is open: its close waits on
         * this lock); the task must hear back, so retry rather than lose it. */
        while (cio_call_soon_threadsafe(link->loop, deliver, job) == -ENOMEM) sched_yield();
    }
    pthread_mutex_unlock(&link->lock);
    if (orphan) {
        job->on_done = NULL;
        drop_job(job); /* the loop is gone: discard runs here, on the pool thread */
    }
    link_unref(link);
}

void cio__job_attach(struct cio__os *os, struct cio__job *job, bool hold) {
    job->loop = os->loop;
    job->link = os->link;
    job->posted = false;
    job->holds = hold;
    pthread_mutex_lock(&os->link->lock);
    os->link->refs++;
    pthread_mutex_unlock(&os->link->lock);
    cio__list_push_back(&os->inflight, &job->inflight);
    if (hold) cio__loop_hold(os->loop);
}

/* Undo cio__job_attach for a job that was never handed to another thread. */
static void unattach(struct cio__job *job) {
    cio__list_remove(&job->inflight);
    if (job->holds) cio__loop_unhold(job->loop);
    link_unref(job->link);
}

int cio__job_start(struct cio__os *os, cio_executor *executor, struct cio__job *job) {
    if (!executor) executor = cio__os_default_executor(os);
    if (!executor) return -ENOMEM;
    cio__job_attach(os, job, true);
    int rc = cio__executor_submit(executor, job);
    if (rc < 0) unattach(job);
    return rc;
}

/* ---- the per-loop OS state ------------------------------------------------------------ */

/* Loop close: no completion may be posted to the loop after this. Jobs whose
 * completion is already posted are ours to drop (the loop's inbox will be
 * freed without running them); the others belong to their pool threads. */
static void detach_jobs(struct cio__os *os) {
    struct cio__list posted;
    cio__list_init(&posted);
    pthread_mutex_lock(&os->link->lock);
    os->link->loop = NULL;
    struct cio__list *node;
    while ((node = cio__list_pop_front(&os->inflight)) != NULL) {
        struct cio__job *job = cio__container_of(node, struct cio__job, inflight);
        if (job->posted) cio__list_push_back(&posted, &job->inflight);
    }
    pthread_mutex_unlock(&os->link->lock);
    while ((node = cio__list_pop_front(&posted)) != NULL) {
        struct cio__job *job = cio__container_of(node, struct cio__job, inflight);
        job->on_done = NULL;
        drop_job(job);
    }
}

static void close_os(cio_loop *loop, void *arg) {
    (void)loop;
    struct cio__os *os = arg;
    cio__loop_set_slot(loop, CIO__SLOT_OS, NULL);
    cio__uring_close(os); /* first: waits for operations that write into task stacks */
    cio__children_close(os);
    cio__signals_close(os);
    detach_jobs(os);
    cio__cfutures_close(os);
    if (os->default_executor) {
        cio_executor_shutdown(os->default_executor, true); /* waits for running jobs */
        cio_executor_free(os->default_executor);
    }
    link_unref(os->link);
    free(os);
}

struct cio__os *cio__os_get(cio_loop *loop) {
    struct cio__os *os = cio__loop_slot(loop, CIO__SLOT_OS);
    if (os) return os;
    os = calloc(1, sizeof *os);
    if (!os) return NULL;
    os->loop = loop;
    os->link = link_new(loop);
    cio__list_init(&os->inflight);
    cio__list_init(&os->cfutures);
    if (!os->link || cio__loop_on_close(loop, close_os, os) < 0) {
        free(os->link);
        free(os);
        return NULL;
    }
    cio__loop_set_slot(loop, CIO__SLOT_OS, os);
    return os;
}

cio_executor *cio__os_default_executor(struct cio__os *os) {
    if (!os->default_executor) cio_executor_new(0, &os->default_executor);
    return os->default_executor;
}

/* ---- cio_run_in_executor ---------------------------------------------------------------- */

/* The task gave up (cancelled, timed out): the job finishes on its own. */
static void abandon_job(cio_task *task) {
    struct cio__job *job = cio__wait_owner(task);
    job->waiter = NULL;
}

/* The task was woken by deliver(): the outcome is in the job, which is ours. */
static int collect(struct cio__job *job, void **result) {
    int status = job->status ? job->status : cio_error_of(job->result);
    if (result && status == 0) *result = job->result;
    free(job);
    return status;
}

int cio_run_in_executor(cio_executor *executor, cio_task_fn fn, void *arg, cio_discard_fn discard,
                        void **result) {
    if (result) *result = NULL;
    cio_task *task = cio__task_current_or_complain("cio_run_in_executor");
    if (!task) return -EPERM;
    if (!fn) return -EINVAL;
    int due = cio__wait_deliver_pending(task);
    if (due < 0) {
        if (discard) discard(arg, NULL);
        return due;
    }
    struct cio__os *os = cio__os_get(cio__task_loop(task));
    struct cio__job *job = os ? calloc(1, sizeof *job) : NULL;
    if (!job) return -ENOMEM;
    *job = (struct cio__job){.fn = fn, .arg = arg, .discard = discard, .waiter = task};
    job->vars = cio__vars_current(); /* to_thread runs fn in a copy of the context */
    int rc = cio__job_start(os, executor, job);
    if (rc < 0) {
        cio__vars_unref(job->vars);
        free(job);
        return rc;
    }
    cio__wait_tag(task, CIO_WAIT_JOB, job);
    rc = cio__wait(task, abandon_job, job);
    return rc < 0 ? rc : collect(job, result);
}

int cio__offload_wait(struct cio__os *os, cio_task *task, cio_task_fn fn, void *arg,
                      void **result) {
    struct cio__job *job = calloc(1, sizeof *job);
    if (!job) return -ENOMEM;
    *job = (struct cio__job){.fn = fn, .arg = arg, .waiter = task};
    int rc = cio__job_start(os, NULL, job);
    if (rc < 0) {
        free(job);
        return rc;
    }
    /* fn may be writing into the task's memory: never leave early. */
    cio__wait_tag(task, CIO_WAIT_JOB, job);
    cio__wait_uninterruptible(task, abandon_job, job);
    *result = job->result;
    free(job);
    return 0;
}

int cio_to_thread(cio_task_fn fn, void *arg, void **result) {
    return cio_run_in_executor(NULL, fn, arg, NULL, result);
}
