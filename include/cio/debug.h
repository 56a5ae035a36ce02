/* cio/debug.h - where cio's diagnostics go, and debug mode.
 *
 * Every report cio makes (an error never retrieved, a task destroyed while
 * pending, a misuse, a scope left open, a slow callback, ...) is a cio_diag
 * record handed to the loop's exception handler (asyncio's
 * loop.set_exception_handler). The default handler formats it as text and
 * gives the text to the process-wide log hook, or writes it to stderr when
 * no hook is set. A report raised where no loop is known (another thread,
 * no loop running) goes to the default handler with loop NULL.
 *
 * One report is not a cio_diag: a task's stack overflow is reported from a
 * signal handler, which writes its one line straight to stderr (only
 * async-signal-safe calls are allowed there). See docs/debugging.md. */
#ifndef CIO_DEBUG_H
#define CIO_DEBUG_H

#include "loop.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cio_future cio_future;

/* What a diagnostic is about. */
typedef enum cio_diag_kind {
    CIO_DIAG_OTHER = 0,
    CIO_DIAG_MISUSE,            /* a call the API refuses (it also returned an error) */
    CIO_DIAG_UNRETRIEVED,       /* a task or future failed and no one looked at the error */
    CIO_DIAG_PENDING_DESTROYED, /* the loop closed under an unfinished task */
    CIO_DIAG_OPEN_SCOPE,        /* a task ended inside a timeout scope or a shield */
    CIO_DIAG_DEADLOCK,          /* a virtual-clock run can never finish */
    CIO_DIAG_ACCEPT_STOPPED,    /* a server stopped accepting connections */
    CIO_DIAG_CONFIG,            /* an environment variable was ignored */
    CIO_DIAG_SLOW_CALLBACK,     /* debug mode: a step held the loop too long */
    CIO_DIAG_NEVER_AWAITED,     /* debug mode: a task was never awaited nor released */
    CIO_DIAG_STACK_OVERFLOW,    /* never delivered: written by the signal handler */
} cio_diag_kind;

/* One diagnostic, asyncio's exception handler context. Every pointer is
 * borrowed for the duration of the handler call only. */
typedef struct cio_diag {
    cio_diag_kind kind;
    const char *message;   /* one line, without the "cio: " prefix; never NULL */
    int error;             /* the negative errno it is about, or 0 */
    cio_task *task;        /* the task it is about, or NULL */
    cio_future *future;    /* the (plain) future it is about, or NULL */
    cio_callback callback; /* the callback it is about, or NULL */
    int fd;                /* the fd it is about, or -1 */
    /* Debug mode: where the task or future was created, and for a slow
     * step where the task resumed and suspended, as lines of symbolised
     * return addresses (one frame a line); else NULL. */
    const char *created_at;
    const char *resumed_at;
    const char *suspended_at;
} cio_diag;

/* Receives each diagnostic of a loop, on the loop's thread, inside whatever
 * raised it (a task, a callback, cio_loop_close). arg is the one given to
 * cio_loop_set_exception_handler. It may call cio but must not suspend; a
 * diagnostic raised inside it goes to the default handler, not back to it. */
typedef void (*cio_exception_handler)(cio_loop *loop, const cio_diag *diag, void *arg);

/* Receives each line of text the default handler makes (no trailing
 * newline; a multi-line report comes as one string with inner newlines).
 * Any thread may call it, with the process's other threads too: it must be
 * thread-safe. */
typedef void (*cio_log_hook)(const char *text, void *arg);

/* Send loop's diagnostics to handler(loop, diag, arg) instead of the
 * default handler; handler NULL restores the default. Returns 0, -EINVAL
 * (loop NULL or not a loop), -CIO_ECLOSED, or -EPERM (called from a thread
 * that is not running the loop while it runs). Loop thread. */
CIO_EXPORT int cio_loop_set_exception_handler(cio_loop *loop, cio_exception_handler handler,
                                              void *arg);

/* Hand diag to loop's exception handler (the default one if none is set):
 * for code of one's own that wants its reports to go where cio's go.
 * diag->message NULL is reported as "(no message)". Returns 0, -EINVAL
 * (loop or diag NULL, not a loop), or -EPERM (wrong thread). A closed loop
 * still takes reports. Loop thread. */
CIO_EXPORT int cio_loop_call_exception_handler(cio_loop *loop, const cio_diag *diag);

/* The default handler: formats diag as "cio: MESSAGE" (plus its task's
 * name and, in debug mode, where things were created, resumed and
 * suspended) and passes the text to the log hook, or writes it to stderr.
 * $CIO_QUIET=1 silences misuse, open-scope and deadlock reports (the ones
 * it always silenced). loop may be NULL; diag NULL does nothing. Any
 * thread. */
CIO_EXPORT void cio_default_exception_handler(cio_loop *loop, const cio_diag *diag);

/* Send the default handler's text, process-wide, to hook(text, arg);
 * hook NULL restores stderr. The previous hook may still be running in
 * another thread when this returns. Any thread. */
CIO_EXPORT void cio_set_log_hook(cio_log_hook hook, void *arg);

/* Turn debug mode on or off for loop (asyncio's loop.set_debug). On: a
 * callback or task step that holds the loop longer than the slow-callback
 * threshold is reported (CIO_DIAG_SLOW_CALLBACK), tasks and futures made
 * from then on record where they were made, a task never awaited nor
 * released is reported when the loop closes, and loop-thread-only calls
 * check their thread. New loops start in debug mode when
 * cio_loop_options.debug is set or $CIO_DEBUG=1. Returns 0, -EINVAL,
 * -CIO_ECLOSED or -EPERM (wrong thread). Loop thread. */
CIO_EXPORT int cio_loop_set_debug(cio_loop *loop, bool enabled);

/* Whether loop is in debug mode (false for NULL). Any thread. */
CIO_EXPORT bool cio_loop_get_debug(const cio_loop *loop);

/* The debug-mode threshold, in seconds (asyncio's
 * loop.slow_callback_duration; default 0.1). Returns 0, -EINVAL (not a
 * loop, seconds negative or NaN), -CIO_ECLOSED or -EPERM. Loop thread. */
CIO_EXPORT int cio_loop_set_slow_callback_duration(cio_loop *loop, double seconds);

#ifdef __cplusplus
}
#endif
#endif
