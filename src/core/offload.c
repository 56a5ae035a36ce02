/* src/core/offload.c - the loop side of the thread pool: submitting jobs,
 * bringing completions back, the loop's default pool, cio_run_in_executor()
 * and the core's offload primitive (cio__offload_wait).
 *
 * Why in the core: offloading a blocking call is what every layer above
 * needs (net's name resolution, os's files and child watches); with the
 * pool here none of them has to reach into another.
 *
 * A job's completion travels worker -> cio_call_soon_threadsafe -> deliver()
 * on the loop thread, which wakes the parked task (it reads the result and
 * frees the job) or, if the task gave up, discards the result. If the loop
 * closes first, the link tells the worker so, and whichever side holds the
 * job then (see cio__offload_close) discards and frees it. */
#include "core/loop.h"

#include <sched.h>
#include <stdlib.h>

/* Shared between a loop and its jobs in flight, so a pool thread can learn,
 * under lock, whether the loop is still there to post a completion to. */
struct cio__loop_link {
    pthread_mutex_t lock;
    cio_loop *loop; /* NULL once the loop began closing */
    int refs;       /* the loop's offload state + each job in flight; under lock */
};

/* The loop's offload state, made on first use (loop->offload). */
struct cio__offload {
    struct cio__loop_link *link;
    cio_executor *default_executor; /* made on first use */
    struct cio__list inflight;      /* cio__job.inflight, submitted here, not yet delivered */
};

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

static struct cio__offload *offload_get(cio_loop *loop) {
    if (loop->offload) return loop->offload;
    struct cio__offload *offload = calloc(1, sizeof *offload);
    if (!offload) return NULL;
    offload->link = link_new(loop);
    if (!offload->link) {
        free(offload);
        return NULL;
    }
    cio__list_init(&offload->inflight);
    return loop->offload = offload;
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

int cio__job_attach(cio_loop *loop, struct cio__job *job, bool hold) {
    struct cio__offload *offload = offload_get(loop);
    if (!offload) return -ENOMEM;
    job->loop = loop;
    job->link = offload->link;
    job->posted = false;
    job->holds = hold;
    pthread_mutex_lock(&offload->link->lock);
    offload->link->refs++;
    pthread_mutex_unlock(&offload->link->lock);
    cio__list_push_back(&offload->inflight, &job->inflight);
    if (hold) cio__loop_hold(loop);
    return 0;
}

/* Undo cio__job_attach for a job that was never handed to another thread. */
static void unattach(struct cio__job *job) {
    cio__list_remove(&job->inflight);
    if (job->holds) cio__loop_unhold(job->loop);
    link_unref(job->link);
}

static cio_executor *default_executor(struct cio__offload *offload) {
    if (!offload->default_executor) cio_executor_new(0, &offload->default_executor);
    return offload->default_executor;
}

int cio__job_start(cio_loop *loop, cio_executor *executor, struct cio__job *job) {
    struct cio__offload *offload = offload_get(loop);
    if (!offload) return -ENOMEM;
    if (!executor) executor = default_executor(offload);
    if (!executor) return -ENOMEM;
    int rc = cio__job_attach(loop, job, true);
    if (rc < 0) return rc;
    rc = cio__executor_submit(executor, job);
    if (rc < 0) unattach(job);
    return rc;
}

/* ---- the loop closes --------------------------------------------------------------- */

/* No completion may be posted to the loop after this. Jobs whose completion
 * is already posted are ours to drop (the loop's inbox will be freed without
 * running them); the others belong to their pool threads. */
static void detach_jobs(struct cio__offload *offload) {
    struct cio__list posted;
    cio__list_init(&posted);
    pthread_mutex_lock(&offload->link->lock);
    offload->link->loop = NULL;
    struct cio__list *node;
    while ((node = cio__list_pop_front(&offload->inflight)) != NULL) {
        struct cio__job *job = cio__container_of(node, struct cio__job, inflight);
        if (job->posted) cio__list_push_back(&posted, &job->inflight);
    }
    pthread_mutex_unlock(&offload->link->lock);
    while ((node = cio__list_pop_front(&posted)) != NULL) {
        struct cio__job *job = cio__container_of(node, struct cio__job, inflight);
        job->on_done = NULL;
        drop_job(job);
    }
}

void cio__offload_close(cio_loop *loop) {
    struct cio__offload *offload = loop->offload;
    if (!offload) return;
    loop->offload = NULL;
    detach_jobs(offload);
    if (offload->default_executor) {
        cio_executor_shutdown(offload->default_executor, true); /* waits for running jobs */
        cio_executor_free(offload->default_executor);
    }
    link_unref(offload->link);
    free(offload);
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
    if (!fn || (executor && cio__executor_check(executor, "cio_run_in_executor") < 0))
        return -EINVAL;
    int due = cio__wait_deliver_pending(task);
    if (due < 0) {
        if (discard) discard(arg, NULL);
        return due;
    }
    struct cio__job *job = calloc(1, sizeof *job);
    if (!job) return -ENOMEM;
    *job = (struct cio__job){.fn = fn, .arg = arg, .discard = discard, .waiter = task};
    job->vars = cio__vars_current(); /* to_thread runs fn in a copy of the context */
    int rc = cio__job_start(cio__task_loop(task), executor, job);
    if (rc < 0) {
        cio__vars_unref(job->vars);
        free(job);
        return rc;
    }
    cio__wait_tag(task, CIO_WAIT_JOB, job);
    rc = cio__wait(task, abandon_job, job);
    return rc < 0 ? rc : collect(job, result);
}

int cio__offload_wait(cio_task *task, cio_task_fn fn, void *arg, void **result) {
    struct cio__job *job = calloc(1, sizeof *job);
    if (!job) return -ENOMEM;
    *job = (struct cio__job){.fn = fn, .arg = arg, .waiter = task};
    int rc = cio__job_start(cio__task_loop(task), NULL, job);
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
