/* cio/handoff.h - accept on one loop, serve on all: for when SO_REUSEPORT
 * spreads connections badly (few, long-lived, uneven ones; docs/cores.md).
 *
 *     static cio_handoff *handoff;   // cio_handoff_new(loops, &handoff) in main
 *
 *     static void *serve(void *arg) {             // every loop's main task
 *         if (cio_cores_index() == 0) {           // loop 0 also accepts
 *             cio_task *acceptor;
 *             cio_create_task(accept_main, arg, &acceptor);  // cio_handoff_accept
 *             ...
 *         }
 *         int rc = cio_handoff_serve(handoff, echo, NULL);
 *         ...
 *     }
 *
 * One task accepts on a listening socket and hands each new connection's fd
 * to the serving loops in turn (round robin), through a bounded channel per
 * loop; each serving loop makes it a stream and runs handler(stream, arg) in
 * a task of its own, as cio_start_server does. A connection handed to a loop
 * that has stopped serving goes to the next; one that no loop takes is
 * closed. No fd is ever leaked: cio_handoff_free closes those still queued.
 *
 * Threads: cio_handoff_new, _close and _free from any thread; _serve and
 * _accept inside a task of a loop of a cio_run_cores group (serve) or any
 * loop (accept). */
#ifndef CIO_HANDOFF_H
#define CIO_HANDOFF_H

#include "server.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cio_handoff cio_handoff;

/* Make a hand-off for `loops` serving loops (slots 0..loops-1; slot i is
 * served by the group's loop i). *out gets the caller's handle. Returns 0,
 * -EINVAL (loops < 1, NULL out), -ENOMEM. Any thread. */
CIO_EXPORT int cio_handoff_new(int loops, cio_handoff **out);

/* Serve the connections handed to the calling loop's slot (its
 * cio_cores_index()), each with handler(stream, arg) in a task of its own
 * (the stream is closed and freed when the handler returns, as a server
 * does; cancelled with the loop's leftover tasks when the loop ends).
 * Suspends until cio_handoff_close (then 0, after every connection queued
 * before it was started) or until the task is cancelled (-ECANCELED); the
 * slot takes no connection after that, and those queued for it are closed.
 * Returns also -EPERM (outside a task, or a loop outside a cio_run_cores
 * group), -EINVAL (NULL handoff or handler, the loop's index has no slot),
 * -EBUSY (the slot is served already), -CIO_ECLOSED (already closed). */
CIO_EXPORT int cio_handoff_serve(cio_handoff *handoff, cio_connection_handler handler, void *arg);

/* Accept connections on listen_fd (a non-blocking listening socket, which
 * stays the caller's) and hand each to the next slot still served, round
 * robin; while every open slot is full it waits for room. Suspends until
 * cancelled (-ECANCELED; the way to stop it), closed (cio_handoff_close,
 * seen when the next connection comes, or every slot stopped serving:
 * -CIO_ECLOSED, that connection closed), or accept fails for good (its -errno: -EINVAL for a
 * blocking or non-listening fd, -EBADF). Out of fds (-EMFILE, -ENFILE), it
 * waits 10 ms and tries again. -EPERM outside a task, -EINVAL (NULL). */
CIO_EXPORT int cio_handoff_accept(cio_handoff *handoff, int listen_fd);

/* Connections handed to slot so far (accepted and queued for it), or
 * -EINVAL. Any thread: a snapshot. */
CIO_EXPORT long cio_handoff_count(const cio_handoff *handoff, int slot);

/* Close: serving loops return 0 once they have taken what was queued,
 * acceptors return -CIO_ECLOSED. Returns 0, -CIO_ECLOSED (closed already),
 * -EINVAL. Any thread. */
CIO_EXPORT int cio_handoff_close(cio_handoff *handoff);

/* Free the hand-off, closing every fd still queued. Nobody may be serving or
 * accepting on it any more (cio_run_cores has returned, say). NULL is a
 * no-op. Any thread. */
CIO_EXPORT void cio_handoff_free(cio_handoff *handoff);

#ifdef __cplusplus
}
#endif
#endif
