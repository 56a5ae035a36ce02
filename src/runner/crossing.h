/* src/runner/crossing.h - what the cross-loop pieces (submit.c, channel.c,
 * cores.c) share: a message another thread is parked waiting for, and the
 * wait for it, which nothing may cut short. */
#ifndef CIO_RUNNER_CROSSING_H
#define CIO_RUNNER_CROSSING_H

#include "cio.h"
#include "core/core.h" /* struct cio__post */

#include <sched.h>

/* Post fn(arg) to loop for a task parked there waiting for exactly this: it
 * cannot be dropped, so retry while the only trouble is memory. */
static inline void cio__post_owed(cio_loop *loop, cio_callback fn, void *arg) {
    while (cio_call_soon_threadsafe(loop, fn, arg) == -ENOMEM) sched_yield();
}

/* cio__post_owed with the post's record embedded in what waits for it: no
 * malloc (memory can be short only on loop's own thread). */
static inline void cio__post_owed_record(cio_loop *loop, struct cio__post *post, cio_callback fn,
                                         void *arg) {
    post->fn = fn;
    post->arg = arg;
    while (cio__post(loop, post) == -ENOMEM) sched_yield();
}

/* Wait until event is set, shielded: another thread still holds a pointer
 * into the caller's stack until the message that sets it arrives. */
static inline void cio__event_wait_shielded(cio_event *event) {
    cio_shield_begin();
    while (!cio_event_is_set(event)) cio_event_wait(event);
    cio_shield_end();
}

#endif
