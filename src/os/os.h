/* src/os/os.h - shared internals of the OS layer: the per-loop OS state,
 * signals, and the io_uring file backend. (The thread pool
 * they offload to is the core's: struct cio__job in core/core.h.)
 *
 * Invariants:
 *  - A loop's OS state (struct cio__os) sits in the loop's CIO__SLOT_OS slot
 *    (cio__loop_slot): made on first use, torn down by the close hook it
 *    registers when the loop closes. Loop thread only. */
#ifndef CIO_OS_OS_H
#define CIO_OS_OS_H

#include "core/core.h"

#include <fcntl.h>
#include <sys/stat.h>

/* ---- the per-loop OS state (state.c) ----------------------------------------- */

struct cio__signals; /* signal.c */
struct cio__uring;   /* uring.c */

struct cio__os {
    cio_loop *loop;
    struct cio__list cfutures; /* run_coroutine_threadsafe tasks not yet done */
    struct cio__signals *signals;
    struct cio__uring *uring;
    int file_backend; /* enum cio__file_backend, decided on first file call */
};

/* The loop's OS state, made on first use; NULL on out of memory. */
struct cio__os *cio__os_get(cio_loop *loop);

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

/* threadsafe.c: end every cfuture of the closing loop with -CIO_ECLOSED. */
void cio__cfutures_close(struct cio__os *os);
/* signal.c, uring.c: release what the loop's OS state holds. */
void cio__signals_close(struct cio__os *os);
void cio__uring_close(struct cio__os *os);

#endif
