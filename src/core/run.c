/* src/core/run.c - the per-thread default loop, and the end of a run: what
 * asyncio.run() does after its main task (cio_run itself: src/runner/). */
#include "core/task.h"

#include <stdlib.h>

static _Thread_local cio_loop *default_loop;
static pthread_key_t default_loop_key;
static pthread_once_t default_loop_once = PTHREAD_ONCE_INIT;

static void free_default_loop(void *loop) {
    cio_loop_free(loop);
}
static int default_loop_key_rc;
static void make_key(void) {
    default_loop_key_rc = pthread_key_create(&default_loop_key, free_default_loop);
}

cio_loop *cio_get_running_loop(void) {
    return cio__running_loop;
}

cio_loop *cio_get_event_loop(void) {
    if (cio__running_loop) return cio__running_loop;
    if (default_loop) return default_loop;
    pthread_once(&default_loop_once, make_key);
    /* Without the key, the loop could not be freed at thread exit */
    if (default_loop_key_rc != 0 || cio_loop_new(NULL, &default_loop) < 0) return NULL;
    default_loop->is_default = true;
    pthread_setspecific(default_loop_key, default_loop); /* freed at thread exit */
    return default_loop;
}

/* One more turn before the cancelling, as asyncio.run has (its loop stops
 * from a callback, after the turn the main task finished in): the tasks
 * main created just before it returned start, so they are cancelled at an
 * await, run their own cleanup, and a failure of theirs is reported. The
 * turn does not block (stopping: poll timeout 0). */
static void last_turn(cio_loop *loop) {
    loop->stopping = true;
    cio__loop_run_once(loop);
    loop->stopping = false;
}

void cio__loop_cancel_remaining(cio_loop *loop) {
    loop->head.running = true;
    loop->thread = pthread_self();
    cio__running_loop = loop;
    if (loop->unfinished_tasks > 0) last_turn(loop);
    for (struct cio__list *node = loop->tasks.next; node != &loop->tasks; node = node->next) {
        cio_task *task = cio__container_of(node, cio_task, all);
        if (task->state != CIO__TASK_DONE) cio_task_cancel(task);
    }
    while (loop->unfinished_tasks > 0) cio__loop_run_once(loop);
    cio__running_loop = NULL;
    loop->head.running = false;
}
