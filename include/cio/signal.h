/* cio/signal.h - Unix signals, delivered to the loop as ordinary callbacks.
 *
 * asyncio                                  cio
 * -------                                  ---
 * loop.add_signal_handler(sig, cb, arg)    cio_add_signal_handler(loop, sig, cb, arg)
 * loop.remove_signal_handler(sig)          cio_remove_signal_handler(loop, sig)
 * (an Event set from a handler)            cio_wait_signal(sig), cio_wait_signals(sigs, n)
 * asyncio.run: Ctrl-C cancels main task    cio_run: SIGINT cancels the main task
 *
 * How: a process-wide sigaction handler writes the signal number into a pipe
 * (async-signal-safe), one internal thread reads it and hands it to every
 * loop that asked for that signal with cio_call_soon_threadsafe(). So
 * handlers run on the loop thread, between tasks, and may call any loop-thread
 * function. Signals of one kind that arrive before the loop sees the first
 * are merged into one delivery (as the kernel merges them). The handler is
 * installed while some loop wants the signal, and the previous disposition is
 * restored afterwards. Signals 1..63 except SIGKILL, SIGSTOP and the fault
 * signals (SIGSEGV, SIGBUS, SIGILL, SIGFPE) may be handled.
 *
 * SIGINT and cio_run(): when cio_run() runs on the process's main thread and
 * SIGINT has its default disposition, the first SIGINT cancels the main task
 * (unless the program handles or waits for SIGINT itself) and cio_run() then
 * returns -EINTR instead of -ECANCELED; a second SIGINT before the main task
 * ends kills the process the default way. Between cio_run()s SIGINT keeps its
 * default action. */
#ifndef CIO_SIGNAL_H
#define CIO_SIGNAL_H

#include <signal.h>

#include "task.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Run cb(arg) on loop (NULL: the running loop) each time signo arrives,
 * replacing any handler loop had for it. Returns 0, -EINVAL (bad loop, NULL
 * cb, a signal that cannot be handled), -CIO_ECLOSED, -EPERM (wrong thread),
 * -ENOMEM, or -EAGAIN / -EMFILE if the signal thread or its pipe cannot be
 * made. Loop thread. */
CIO_EXPORT int cio_add_signal_handler(cio_loop *loop, int signo, cio_callback cb, void *arg);

/* Remove loop's handler for signo. Returns 0, -ENOENT if it had none, or
 * -EINVAL / -CIO_ECLOSED / -EPERM as above. Loop thread. */
CIO_EXPORT int cio_remove_signal_handler(cio_loop *loop, int signo);

/* Suspend the calling task until one of the count signals in signos
 * arrives, and return its number (> 0). The first wait for a signal makes the loop catch
 * it until the loop closes: one that arrives while no task waits is kept and
 * returned by the next wait, so a task looping on cio_wait_signal() misses
 * none (repeats merge). Returns the signal, -ECANCELED, -ETIMEDOUT, -EPERM
 * (outside a task), -EINVAL (NULL, count 0, or a signal that cannot be handled),
 * -ENOMEM, -EAGAIN / -EMFILE. Loop thread. */
CIO_EXPORT int cio_wait_signals(const int *signos, size_t count);

/* cio_wait_signals() for one signal: returns signo or an error. */
CIO_EXPORT int cio_wait_signal(int signo);

#ifdef __cplusplus
}
#endif
#endif
