/* src/os/os.h - shared internals of the OS layer: thread-pool jobs, the
 * per-loop OS state, signals, and the io_uring file backend.
 *
 * Invariants:
 *  - A loop's OS state (struct cio__os) is found through the loop's close-hook
 *    list (its hook is the one whose fn is the OS close function), so the core
 *    needs no field for it. It is made on first use and torn down when the
 *    loop closes. Loop thread only.
 *  - A job is owned by exactly one party at a time: the executor while queued
 *    or running, then the loop (the deliver callback, or the loop's close), or
 *    the pool thread if the loop closed before the job finished. */
#ifndef CIO_OS_OS_H
#define CIO_OS_OS_H

#include "core/core.h"

/* ---- jobs on executors (pool.c runs them, offload.c submits and delivers) ---- */

/* Shared between a loop and its jobs in flight, so a pool thread can learn,
 * under lock, whether the loop is still there to post a completion to. */
struct cio__loop_link {
    pthread_mutex_t lock;
    cio_loop *loop; /* NULL once the loop began closing */
    int refs;       /* the loop's OS state + each job in flight; under lock */
};

struct cio__job {
    struct cio__job *next;  /* executor queue, under the executor's lock */
    struct cio__list inflight; /* the loop's jobs in flight (loop thread) */
    cio_task_fn fn;
    void *arg;
    void *result;           /* fn's return value, once it ran */
    int status;             /* 0 ran, -CIO_ESHUTDOWN dropped before it ran */
    bool posted;            /* completion sent to the loop; under link->lock */
    cio_loop *loop;
    struct cio__loop_link *link;
    cio_task *waiter;       /* the parked task; NULL once it gave up (abandoned) */
    cio_discard_fn discard;
    /* Called on the loop thread instead of waking a waiter, when set (file.c's
     * batches use it); the job is then the callee's to free. */
    void (*on_done)(struct cio__job *job);
    void *context;
};

/* pool.c: queue job on executor. 0, or -CIO_ESHUTDOWN. Any thread. */
int cio__executor_submit(cio_executor *executor, struct cio__job *job);
/* offload.c: a pool thread finished job (or dropped it, status set). */
void cio__job_finished(struct cio__job *job);

/* ---- the per-loop OS state (offload.c) ----------------------------------------- */

struct cio__signals; /* signal.c */
struct cio__children; /* process.c */
struct cio__uring;   /* uring.c */

struct cio__os {
    cio_loop *loop;
    struct cio__loop_link *link;
    cio_executor *default_executor; /* made on first use */
    struct cio__list inflight;      /* cio__job.inflight, submitted here, not yet delivered */
    struct cio__list cfutures;      /* run_coroutine_threadsafe tasks not yet done */
    struct cio__signals *signals;
    struct cio__children *children;
    struct cio__uring *uring;
    int file_backend; /* enum cio__file_backend, decided on first file call */
};

/* The loop's OS state, made on first use; NULL on out of memory. */
struct cio__os *cio__os_get(cio_loop *loop);
/* The loop's default executor, made on first use; NULL on out of memory. */
cio_executor *cio__os_default_executor(struct cio__os *os);

/* Submit job (fn, arg, and on_done/context filled by the caller; the rest is
 * set here) for loop; 0 or -CIO_ESHUTDOWN / -ENOMEM. On success the loop is
 * held until the completion is delivered. */
int cio__job_start(struct cio__os *os, cio_executor *executor, struct cio__job *job);

/* threadsafe.c: end every cfuture of the closing loop with -CIO_ECLOSED. */
void cio__cfutures_close(struct cio__os *os);
/* signal.c, process.c, uring.c: release what the loop's OS state holds. */
void cio__signals_close(struct cio__os *os);
void cio__children_close(struct cio__os *os);
void cio__uring_close(struct cio__os *os);

#endif
