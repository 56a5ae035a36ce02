/* cio/future.h - futures: a result (void *) or an error that arrives later.
 *
 * A future is pending until set_result, set_error or cancel makes it done.
 * Tasks awaiting it resume, and its done-callbacks are scheduled with
 * cio_call_soon(), in the order they were added.
 *
 * Ownership: cio_future_new() gives the caller one reference; each
 * cio_future_ref() adds one and each cio_future_unref() drops one; the
 * last release frees it. Awaiting borrows. All functions: loop thread only. */
#ifndef CIO_FUTURE_H
#define CIO_FUTURE_H

#include "loop.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cio_future cio_future;

/* A done-callback: runs on the loop once f is done. */
typedef void (*cio_done_fn)(cio_future *f, void *arg);

/* Make a pending future on loop (NULL: the running loop). Returns 0, -EINVAL
 * (NULL out, or no loop given or running), -CIO_ECLOSED or -ENOMEM. */
CIO_EXPORT int cio_future_new(cio_loop *loop, cio_future **out);

CIO_EXPORT cio_future *cio_future_ref(cio_future *f);
CIO_EXPORT void cio_future_unref(cio_future *f); /* NULL: no-op */

/* Complete f with a result, or with an error (a negative errno; 0 or positive
 * is -EINVAL). Return 0, -EALREADY if f is already done (asyncio's
 * InvalidStateError), -EINVAL for NULL. */
CIO_EXPORT int cio_future_set_result(cio_future *f, void *result);
CIO_EXPORT int cio_future_set_error(cio_future *f, int err);

/* Cancel f: it becomes done with -ECANCELED. Returns 0, or -EALREADY if it
 * was already done. */
CIO_EXPORT int cio_future_cancel(cio_future *f);

CIO_EXPORT bool cio_future_done(const cio_future *f);
CIO_EXPORT bool cio_future_cancelled(const cio_future *f);

/* Without waiting: the status of a done future (0, its error, -ECANCELED) and
 * its result in *result (may be NULL); -EAGAIN if still pending. Marks the
 * error as retrieved. */
CIO_EXPORT int cio_future_result(cio_future *f, void **result);

/* Suspend the calling task until f is done; then as cio_future_result().
 * If the caller is cancelled (or its timeout scope expires) while waiting, f is
 * cancelled too, as asyncio does, and -ECANCELED (-ETIMEDOUT) is returned.
 * Returns -EPERM outside a task, -EINVAL for NULL or a future of another
 * loop. Borrows f. */
CIO_EXPORT int cio_future_await(cio_future *f, void **result);

/* Add a done-callback; if f is already done it is scheduled at once. The same
 * (fn, arg) may be added twice and then runs twice. Returns 0, -EINVAL, or
 * -ENOMEM. */
CIO_EXPORT int cio_future_add_done_callback(cio_future *f, cio_done_fn fn, void *arg);

/* Remove every pending (fn, arg) registration; returns how many (>= 0), or
 * -EINVAL. */
CIO_EXPORT int cio_future_remove_done_callback(cio_future *f, cio_done_fn fn, void *arg);

/* The loop f belongs to. */
CIO_EXPORT cio_loop *cio_future_loop(const cio_future *f);

#ifdef __cplusplus
}
#endif
#endif
