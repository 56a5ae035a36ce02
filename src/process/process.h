/* src/process/process.h - shared internals of the process layer: child
 * processes, their pipes (net's streams) and the thread that reaps them.
 *
 * Why a layer of its own: a process is spawned and reaped with the OS
 * layer's tools (signals, the SIGCHLD watch) and talked to through net's
 * streams; placed in either, it would reach into the other. Above both, it
 * uses each through its own internal header.
 *
 * Invariants:
 *  - A loop's children (struct cio__children) sit in the loop's
 *    CIO__SLOT_PROCESS slot: made on the first spawn, released by the close
 *    hook registered then (orphaned children are reaped in the background).
 *    Loop thread only. */
#ifndef CIO_PROCESS_PROCESS_H
#define CIO_PROCESS_PROCESS_H

#include "net/net.h"
#include "os/os.h"

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

/* A live handle the caller still owns; false, with a report naming caller,
 * for a stale one (freed, even if its child is not reaped yet). */
bool cio__process_valid(const cio_process *process, const char *caller);
/* 0, or -EINVAL / -CIO_ECLOSED / -EPERM (loop closed, wrong thread). */
int cio__process_check(const cio_process *process, const char *caller);
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

#endif
