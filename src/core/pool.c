/* src/core/pool.c - executors: a FIFO of jobs and the threads that run them.
 *
 * The executor knows nothing of loops: it pops a job, runs job->fn(job->arg)
 * and hands the job to cio__job_finished(), which routes the completion.
 * Threads start lazily, one per submission that finds no idle thread, up to
 * max_workers; they live until shutdown. Every signal is blocked in them, so
 * signals reach the loop threads (signalfd, SIGINT handling) and not a
 * worker that happened to be scheduled. */
#include "core/core.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#define EXECUTOR_MAGIC 0x63696f58u /* "cioX" */

struct cio_executor {
    uint32_t magic; /* EXECUTOR_MAGIC until freed (then quarantined: core/handle.c) */
    pthread_mutex_t lock;
    pthread_cond_t has_work;
    struct cio__job *head, *tail; /* queued jobs, FIFO */
    int max_workers;
    int workers; /* threads started (entries of threads[] in use) */
    int idle;    /* threads waiting on has_work */
    int queued;  /* jobs in head..tail; a thread starts when idle <= queued */
    bool shut;   /* no more submissions */
    pthread_t *threads;
};

/* The executor whose thread this is (NULL on other threads): a pool must not
 * join itself. */
static _Thread_local cio_executor *own_executor;

static int default_size(void) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus < 1) cpus = 1;
    return cpus + 4 > 32 ? 32 : (int)cpus + 4; /* concurrent.futures' default */
}

int cio_executor_new(int max_workers, cio_executor **out) {
    if (!out) return -EINVAL;
    *out = NULL;
    if (max_workers < 0) return -EINVAL;
    if (max_workers == 0) max_workers = default_size();
    cio_executor *executor = calloc(1, sizeof *executor);
    pthread_t *threads = calloc((size_t)max_workers, sizeof *threads);
    if (!executor || !threads) {
        free(executor);
        free(threads);
        return -ENOMEM;
    }
    executor->magic = EXECUTOR_MAGIC;
    pthread_mutex_init(&executor->lock, NULL);
    pthread_cond_init(&executor->has_work, NULL);
    executor->max_workers = max_workers;
    executor->threads = threads;
    *out = executor;
    return 0;
}

int cio__executor_check(const cio_executor *executor, const char *caller) {
    return cio__handle_check(executor, EXECUTOR_MAGIC, "executor", caller);
}

int cio_executor_max_workers(const cio_executor *executor) {
    int rc = cio__executor_check(executor, "cio_executor_max_workers");
    return rc < 0 ? rc : executor->max_workers;
}

/* ---- the worker ------------------------------------------------------------------ */

/* Next job, or NULL when shut down and the queue is empty. Called locked. */
static struct cio__job *next_job(cio_executor *executor) {
    while (!executor->head && !executor->shut) {
        executor->idle++;
        pthread_cond_wait(&executor->has_work, &executor->lock);
        executor->idle--;
    }
    struct cio__job *job = executor->head;
    if (job) {
        executor->head = job->next;
        if (!executor->head) executor->tail = NULL;
        executor->queued--;
    }
    return job;
}

/* fn runs in its submitter's context; what it sets there ends with it. */
static void run_job(struct cio__job *job) {
    struct cio__vars *previous = cio__vars_enter_thread(job->vars);
    job->vars = NULL;
    job->result = job->fn(job->arg);
    job->status = 0;
    cio__vars_unref(cio__vars_enter_thread(previous));
}

static void *worker_main(void *arg) {
    cio_executor *executor = arg;
    own_executor = executor;
    pthread_mutex_lock(&executor->lock);
    struct cio__job *job;
    while ((job = next_job(executor)) != NULL) {
        pthread_mutex_unlock(&executor->lock);
        run_job(job);
        cio__job_finished(job);
        pthread_mutex_lock(&executor->lock);
    }
    pthread_mutex_unlock(&executor->lock);
    return NULL;
}

/* Start one more thread, with every signal blocked. Called locked. A failure
 * is not an error while another thread exists to run the job. */
static int start_worker(cio_executor *executor) {
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&executor->threads[executor->workers], NULL, worker_main, executor);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) return executor->workers > 0 ? 0 : -rc;
    executor->workers++;
    return 0;
}

int cio__executor_submit(cio_executor *executor, struct cio__job *job) {
    pthread_mutex_lock(&executor->lock);
    int rc = executor->shut ? -CIO_ESHUTDOWN : 0;
    if (rc == 0 && executor->idle <= executor->queued && executor->workers < executor->max_workers)
        rc = start_worker(executor);
    if (rc == 0) {
        job->next = NULL;
        if (executor->tail)
            executor->tail->next = job;
        else
            executor->head = job;
        executor->tail = job;
        executor->queued++;
        pthread_cond_signal(&executor->has_work);
    }
    pthread_mutex_unlock(&executor->lock);
    return rc;
}

/* ---- shutdown ----------------------------------------------------------------------- */

/* Queued jobs that will not run report -CIO_ESHUTDOWN, outside the lock. */
static void drop_queue(struct cio__job *job) {
    while (job) {
        struct cio__job *next = job->next;
        job->status = -CIO_ESHUTDOWN;
        job->result = NULL;
        cio__vars_unref(job->vars);
        job->vars = NULL;
        cio__job_finished(job);
        job = next;
    }
}

int cio_executor_shutdown(cio_executor *executor, bool cancel_pending) {
    int rc = cio__executor_check(executor, "cio_executor_shutdown");
    if (rc < 0) return rc;
    if (own_executor == executor) return -EDEADLK;
    pthread_mutex_lock(&executor->lock);
    if (executor->shut) {
        pthread_mutex_unlock(&executor->lock);
        return -CIO_ESHUTDOWN;
    }
    executor->shut = true;
    struct cio__job *dropped = NULL;
    if (cancel_pending) {
        dropped = executor->head;
        executor->head = executor->tail = NULL;
        executor->queued = 0;
    }
    pthread_cond_broadcast(&executor->has_work);
    int workers = executor->workers; /* fixed from now on: shut stops new starts */
    pthread_mutex_unlock(&executor->lock);
    drop_queue(dropped);
    for (int i = 0; i < workers; i++) pthread_join(executor->threads[i], NULL);
    return 0;
}

void cio_executor_free(cio_executor *executor) {
    if (!executor || cio__executor_check(executor, "cio_executor_free") < 0) return;
    if (own_executor == executor) {
        cio__complain("cio_executor_free: called from one of the executor's own threads");
        return;
    }
    cio_executor_shutdown(executor, false);
    pthread_cond_destroy(&executor->has_work);
    pthread_mutex_destroy(&executor->lock);
    free(executor->threads);
    cio__handle_retire(executor);
}
