/* cio/loop.h - the event loop, callbacks and handles.
 *
 * One loop per thread. Each turn runs the callbacks that were ready when the
 * turn began (FIFO), polls for I/O with a timeout set by the nearest timer,
 * then moves expired timers and ready I/O onto the ready queue.
 *
 * Threads: a loop belongs to the thread that runs it. Only the functions marked
 * "any thread" may be called from elsewhere; the rest return -EPERM (and print
 * a one-line diagnostic) when called from another thread while the loop runs. */
#ifndef CIO_LOOP_H
#define CIO_LOOP_H

#include "base.h"
#include "context.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cio_loop cio_loop;
typedef struct cio_task cio_task;

/* A plain callback, as for asyncio's loop.call_soon(). */
typedef void (*cio_callback)(void *arg);

/* Which clock a loop reads. */
typedef enum cio_clock_kind {
    CIO_CLOCK_DEFAULT = 0, /* CIO_CLOCK_MONOTONIC */
    CIO_CLOCK_MONOTONIC,   /* CLOCK_MONOTONIC, in seconds */
    /* Test clock (Trio's autojump MockClock): starts at 0 and, whenever no
     * callback is ready and no I/O is pending, jumps straight to the next
     * timer. Timing tests become exact and take no real time. Work handed to
     * other threads (cio_call_soon_threadsafe senders that registered with the
     * loop, e.g. the thread pool) holds the jump until it reports back. */
    CIO_CLOCK_VIRTUAL
} cio_clock_kind;

/* Options for cio_loop_new(); zero-initialise and set what you need. */
typedef struct cio_loop_options {
    cio_clock_kind clock;
    /* I/O backend by name: "epoll", "poll", or NULL for the default
     * ($CIO_POLLER if set, else the best this platform has). */
    const char *poller;
    /* Start in debug mode (cio/debug.h: cio_loop_set_debug); false leaves
     * it to $CIO_DEBUG. */
    bool debug;
    /* Microseconds an idle loop that had cio_call_soon_threadsafe posts
     * lately spins, watching its inbox, before it sleeps in poll: an answer
     * that comes within it skips the eventfd wake-up (docs/cores.md,
     * "Crossing latency"). 0: CIO_LOOP_SPIN_US_DEFAULT; negative: never
     * spin. A loop with no posts lately never spins. Ignored on the
     * virtual clock. */
    int spin_us;
} cio_loop_options;

/* cio_loop_options.spin_us when left 0. */
#define CIO_LOOP_SPIN_US_DEFAULT 20

/* A value naming one scheduled callback (call_soon/call_later/call_at).
 * Copy it freely: cancelling a handle whose callback already ran or was
 * cancelled is safe and returns -EALREADY. Valid until its loop is freed. */
typedef struct cio_handle {
    void *slot;
    uint64_t generation;
} cio_handle;

/* Make a new loop. opts may be NULL. On success *loop owns the new loop; free
 * it with cio_loop_free(). Returns 0, -EINVAL (NULL loop, unknown poller),
 * -ENOMEM, -ENOTSUP (the process runs with x86 shadow stacks, which the
 * context switch does not support yet), or a poller setup error such as
 * -EMFILE. Any thread. */
CIO_EXPORT int cio_loop_new(const cio_loop_options *opts, cio_loop **loop);

/* Close the loop: runs no task (use cio_run() to let them wind down) but
 * frees every task, pending callback and timer it still holds, and its
 * poller. Unfinished tasks are reported, cancelled and unhooked from what
 * they wait on first, so the streams, servers, queues and futures made on the
 * loop can still be closed and freed afterwards. The loop must not be
 * running. Later calls on it return -CIO_ECLOSED. Closing twice
 * returns -CIO_ECLOSED; a running loop -EBUSY; NULL -EINVAL. */
CIO_EXPORT int cio_loop_close(cio_loop *loop);

/* Close (if still open) and free the loop's memory. NULL is a no-op. The
 * loop must not be running. Handles and tasks of the loop become invalid. */
CIO_EXPORT void cio_loop_free(cio_loop *loop);

/* Run until task is done, then return its status (0, its cio_fail() error,
 * or -ECANCELED) and store its result in *result (if result is non-NULL).
 * Consumes the caller's reference to task, as cio_await() does. Returns -EBUSY
 * if the loop is already running (nested loops are refused), -EINVAL for NULL
 * arguments or a task of another loop, -CIO_ECLOSED on a closed loop, and
 * -EINTR if cio_loop_stop() was called before the task finished (the task is
 * then not consumed). On the virtual clock (a test's loop) it returns
 * -EDEADLK, naming the parked tasks on stderr, when nothing can ever finish
 * the task: nothing ready, no timer, no task waiting on an fd, no thread
 * working for the loop, and no call_soon_threadsafe arriving within 250 ms
 * of real time (the task is then not consumed either). Call from the loop's
 * thread with no loop running. */
CIO_EXPORT int cio_loop_run_until_complete(cio_loop *loop, cio_task *task, void **result);

/* Run until cio_loop_stop() is called. Returns 0, -EBUSY if already running,
 * -CIO_ECLOSED or -EINVAL. */
CIO_EXPORT int cio_loop_run_forever(cio_loop *loop);

/* Ask a running loop to stop after the current turn (asyncio's loop.stop()).
 * If the loop is not running, the next run_forever runs one turn and stops.
 * Returns 0 or -EINVAL. Loop thread only (use cio_call_soon_threadsafe from
 * others). */
CIO_EXPORT int cio_loop_stop(cio_loop *loop);

/* Current time on the loop's clock, in seconds. Monotonic; arbitrary epoch
 * (0 for the virtual clock). Any thread, but only the loop thread sees a
 * value consistent with its timers. */
CIO_EXPORT double cio_loop_time(const cio_loop *loop);

CIO_EXPORT bool cio_loop_is_running(const cio_loop *loop);
CIO_EXPORT bool cio_loop_is_closed(const cio_loop *loop);

/* Name of the loop's I/O backend ("epoll", "poll"). */
CIO_EXPORT const char *cio_loop_poller_name(const cio_loop *loop);

/* The loop running on this thread, or NULL (asyncio raises instead). */
CIO_EXPORT cio_loop *cio_get_running_loop(void);

/* Inside a task or callback: the running loop. Outside: this thread's default
 * loop, made on first use (freed when the thread exits); NULL if it cannot be
 * made (out of memory, or no thread-specific key for it). The default loop is owned by cio: close
 * it with cio_loop_close(), never cio_loop_free(). */
CIO_EXPORT cio_loop *cio_get_event_loop(void);

/* Schedule cb(arg) to run on the next turn, after those already scheduled.
 * handle (may be NULL) receives a handle for cio_handle_cancel(). Returns 0,
 * -EINVAL (NULL loop or cb), -CIO_ECLOSED, -ENOMEM, -EPERM (wrong thread). */
CIO_EXPORT int cio_call_soon(cio_loop *loop, cio_callback cb, void *arg, cio_handle *handle);

/* Options for cio_call_soon_ex(); zero-initialise. */
typedef struct cio_callback_options {
    /* Run cb inside this context (call_soon(context=)): it sees ctx's values,
     * and what it sets stays in ctx. A reference is held until cb has run or
     * been cancelled. NULL: as cio_call_soon (an empty context). */
    cio_context *context;
} cio_callback_options;

/* cio_call_soon() with options (opts NULL: the same). Errors as
 * cio_call_soon(); -EINVAL also for an invalid opts->context. If the context
 * is being run elsewhere when cb's turn comes (cio_context_run's -EBUSY),
 * cb is skipped with a report. Loop thread. */
CIO_EXPORT int cio_call_soon_ex(cio_loop *loop, cio_callback cb, void *arg,
                                const cio_callback_options *opts, cio_handle *handle);

/* Schedule cb(arg) after delay seconds (0 or less: as soon as possible, after
 * earlier timers that are already due). Callbacks with equal deadlines run in
 * the order they were scheduled. Errors as cio_call_soon(); a NaN delay is
 * -EINVAL. */
CIO_EXPORT int cio_call_later(cio_loop *loop, double delay, cio_callback cb, void *arg,
                              cio_handle *handle);

/* As cio_call_later(), at absolute loop time when (see cio_loop_time()). */
CIO_EXPORT int cio_call_at(cio_loop *loop, double when, cio_callback cb, void *arg,
                           cio_handle *handle);

/* Schedule cb(arg) on loop from any thread, waking the loop if it sleeps in
 * poll. The only way other threads hand work to a loop. Order is kept with
 * cio_call_soon, as in asyncio: a callback posted here runs before one the
 * loop's thread schedules with cio_call_soon after it (from the loop's own
 * thread this is cio_call_soon). Returns 0, -EINVAL, -CIO_ECLOSED, -ENOMEM,
 * or the -errno of a failed write to the loop's eventfd (the loop could not
 * be woken; cb will not run). Any thread. */
CIO_EXPORT int cio_call_soon_threadsafe(cio_loop *loop, cio_callback cb, void *arg);

/* Cancel a scheduled callback so it never runs. Returns 0, or -EALREADY if it
 * already ran or was cancelled. Loop thread only. */
CIO_EXPORT int cio_handle_cancel(cio_handle handle);

#ifdef __cplusplus
}
#endif
#endif
