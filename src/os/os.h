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

#include <fcntl.h>
#include <sys/stat.h>

/* ---- jobs on executors (pool.c runs them, offload.c submits and delivers) ---- */

/* Shared between a loop and its jobs in flight, so a pool thread can learn,
 * under lock, whether the loop is still there to post a completion to. */
struct cio__loop_link {
    pthread_mutex_t lock;
    cio_loop *loop; /* NULL once the loop began closing */
    int refs;       /* the loop's OS state + each job in flight; under lock */
};

struct cio__job {
    struct cio__job *next;     /* executor queue, under the executor's lock */
    struct cio__list inflight; /* the loop's jobs in flight (loop thread) */
    cio_task_fn fn;
    void *arg;
    void *result; /* fn's return value, once it ran */
    int status;   /* 0 ran, -CIO_ESHUTDOWN dropped before it ran */
    bool posted;  /* completion sent to the loop; under link->lock */
    bool holds;   /* holds the virtual clock until delivered */
    cio_loop *loop;
    struct cio__loop_link *link;
    cio_task *waiter; /* the parked task; NULL once it gave up (abandoned) */
    cio_discard_fn discard;
    /* Called on the loop thread instead of waking a waiter, when set (file.c's
     * batches use it); the job is then the callee's to free. */
    void (*on_done)(struct cio__job *job);
    void *context;
    /* The submitter's task-local context, current while fn runs (pool.c
     * releases it once fn returns or the job is dropped); NULL: none. */
    struct cio__vars *vars;
};

/* pool.c: queue job on executor. 0, or -CIO_ESHUTDOWN. Any thread. */
int cio__executor_submit(cio_executor *executor, struct cio__job *job);
/* offload.c: a pool thread finished job (or dropped it, status set). */
void cio__job_finished(struct cio__job *job);

/* ---- the per-loop OS state (offload.c) ----------------------------------------- */

struct cio__signals;  /* signal.c */
struct cio__children; /* process.c */
struct cio__uring;    /* uring.c */

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
/* Tie job to os's loop without an executor (another thread will call
 * cio__job_finished): its completion comes back like a pool job's. hold:
 * the virtual clock waits for it. */
void cio__job_attach(struct cio__os *os, struct cio__job *job, bool hold);

/* ---- signals (sigpump.c: process-wide; signal.c: per loop) -------------------------- */

/* Signals 1..63, one bit each (bit signo). */
#define CIO__SIG_MAX        64
#define CIO__SIG_BIT(signo) (UINT64_C(1) << (signo))

typedef void (*cio__signal_fn)(void *arg, int signo);

struct cio__signal_handler {
    cio_callback cb;
    void *arg;
};

struct cio__signal_subscriber {
    cio__signal_fn fn;
    void *arg;
};

struct cio__signals {
    struct cio__list registered; /* in sigpump.c's registry while wanted != 0 (its lock) */
    cio_loop *loop;
    _Atomic uint64_t arrived; /* posted by the pump thread, not yet dispatched */
    uint64_t wanted;          /* what this loop catches; changed under the registry lock */
    uint64_t caught;          /* asked for by cio_wait_signals: caught until the loop closes */
    uint64_t kept;            /* caught signals that arrived while no task waited */
    struct cio__signal_handler handlers[CIO__SIG_MAX];
    struct cio__signal_subscriber internal[CIO__SIG_MAX]; /* SIGCHLD, SIGINT */
    struct cio__waitq waiters; /* tasks in cio_wait_signals, with their mask */
    cio_task *main_task;       /* cio_run's, while its SIGINT handling is on (a reference) */
    int sigints;               /* SIGINTs seen by that handling */
};

/* sigpump.c: make the process catch exactly `wanted` for this loop (adding
 * and removing it from the registry, installing and restoring dispositions,
 * starting and stopping the pump thread). 0, or -errno; on error nothing
 * changed. Loop thread. */
/* sigpump.c: cio_run's rule, "a second SIGINT ends the process", on or off.
 * The signal handler itself applies it (turning on resets the count): a
 * task spinning on -ECANCELED may keep the loop from ever dispatching. */
void cio__sigpump_sigint_rule(bool on);
int cio__sigpump_want(struct cio__signals *signals, uint64_t wanted);
/* signal.c: on the loop thread, run what the pump posted. */
void cio__signals_dispatch(void *signals);
/* signal.c: internal subscription (process.c's SIGCHLD watch): fn(arg, signo)
 * runs on the loop thread before the user's handler. fn NULL removes it. */
int cio__signals_subscribe(struct cio__os *os, int signo, cio__signal_fn fn, void *arg);

/* cio_run()'s SIGINT handling (src/core/run.c calls these around the run). */
void cio__signal_run_begin(cio_loop *loop, cio_task *main_task);
int cio__signal_run_end(cio_loop *loop, int status);

/* ---- children (process.c, childwatch.c) ---------------------------------------------- */

struct cio__children {
    struct cio__list processes; /* cio_process.listed: not yet reaped */
    bool sigchld;               /* subscribed to SIGCHLD (until the loop closes) */
};

/* A pidfd watched by childwatch.c's thread. The job is first, so freeing the
 * job frees the watch. When the child exits, the thread reaps it, closes the
 * pidfd, puts the return code in job.result and finishes the job. */
struct cio__child_watch {
    struct cio__job job;
    struct cio__child_watch *next; /* the watcher's list, under its lock */
    int pidfd;
};

#define CIO__PROCESS_MAGIC 0x63696f50u /* "cioP" */

struct cio_process {
    uint32_t magic;
    bool exited; /* reaped: returncode is valid */
    bool freed;  /* the caller let go: free when reaped */
    bool kill_on_cancel;
    cio_loop *loop;          /* NULL once the loop closed */
    struct cio__list listed; /* on the loop's children while not reaped */
    pid_t pid;
    int pidfd;                 /* ours, for signals; -1 if SIGCHLD-watched or reaped */
    int returncode;            /* exit status, or -signal */
    cio_stream *pipes[3];      /* stdin/stdout/stderr pipes (ours, borrowed out), or NULL */
    struct cio__waitq waiters; /* tasks in cio_process_wait */
    int holds;                 /* 1 while tasks wait: the virtual clock waits for the exit */
};

bool cio__process_valid(const cio_process *process);
/* 0, or -EINVAL / -CIO_ECLOSED / -EPERM (loop closed, wrong thread). */
int cio__process_check(const cio_process *process);
/* process_io.c: wake every cio_process_wait() with status; drop the hold. */
void cio__process_wake_waiters(cio_process *process, int status);
/* process_io.c: make streams of our pipe ends (ends[i] >= 0), owned by the
 * process; each end taken is set to -1. 0, or an error with the streams made
 * so far freed (and their ends closed); the ends left are the caller's. */
int cio__process_open_pipes(cio_process *process, int ends[3]);
/* process_io.c: close (gracefully) and free the pipe streams. */
void cio__process_close_pipes(cio_process *process);

/* childwatch.c: start watching (the thread starts if needed). 0 or -errno. */
int cio__childwatch_add(struct cio__child_watch *watch);

/* ---- files (file.c: the API and the pool path; uring.c: io_uring) ---------------- */

enum cio__file_opcode {
    CIO__FILE_OPEN,
    CIO__FILE_CLOSE,
    CIO__FILE_READ,
    CIO__FILE_WRITE,
    CIO__FILE_FSYNC,
    CIO__FILE_STATX,
    CIO__FILE_RENAME,
    CIO__FILE_UNLINK,
};

/* One file operation, the same for both backends. Everything it points to
 * stays valid until it completes: the caller's task is parked, shielded. */
struct cio__file_op {
    int opcode;
    int fd;            /* the file, or AT_FDCWD with a path */
    const char *path;  /* OPEN, STATX ("" with AT_EMPTY_PATH for an fd), RENAME (from), UNLINK */
    const char *path2; /* RENAME (to) */
    int flags;         /* OPEN: open flags; STATX: AT_* flags */
    mode_t mode;
    void *buf; /* READ/WRITE */
    size_t len;
    off_t offset; /* READ/WRITE: -1 for the file position */
    struct statx *stx;
};

/* The result of op: >= 0 or -errno. Loop thread, inside task, which parks
 * uninterruptibly until it completes. */
int64_t cio__uring_run(struct cio__os *os, cio_task *task, const struct cio__file_op *op);
/* Set up os->uring. 0, or -ENOSYS (not built with liburing, or an opcode
 * missing) or the kernel's refusal (-EPERM...). */
int cio__uring_open(struct cio__os *os);

/* file.c, for cio_write_file_atomic: rename(2) / unlink(2) on the loop's backend. */
int cio__file_rename(const char *from, const char *to);
int cio__file_unlink(const char *path);

/* offload.c: run fn(arg) on the loop's default pool and park task,
 * uninterruptibly, until it returns. 0 with *result, or -ENOMEM /
 * -CIO_ESHUTDOWN. */
int cio__offload_wait(struct cio__os *os, cio_task *task, cio_task_fn fn, void *arg, void **result);

/* threadsafe.c: end every cfuture of the closing loop with -CIO_ECLOSED. */
void cio__cfutures_close(struct cio__os *os);
/* signal.c, process.c, uring.c: release what the loop's OS state holds. */
void cio__signals_close(struct cio__os *os);
void cio__children_close(struct cio__os *os);
void cio__uring_close(struct cio__os *os);

#endif
