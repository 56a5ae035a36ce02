/* tests/compose/compose_test.h - helpers the compose tests share: a job
 * that sleeps then returns or fails, and counters for leaked tasks/stacks. */
#ifndef CIO_COMPOSE_TEST_H
#define CIO_COMPOSE_TEST_H

#include "testutil.h"

#include "core/core.h" /* to count the tasks and stacks a loop still holds */

#include <math.h>
#include <stdint.h>

/* What job_run does: sleep `delay` (negative: do not await at all), then
 * fail with `error` if set, else return `value`. With `stubborn`, it ignores
 * a cancellation (sleeps on, shielded) and returns its value anyway. */
struct job {
    double delay;
    intptr_t value;
    int error;
    bool stubborn;
    int slept;    /* what its sleep returned */
    double ended; /* loop time it finished */
};

static inline double now(void) {
    return cio_loop_time(cio_get_running_loop());
}

static inline void *job_run(void *arg) {
    struct job *job = arg;
    if (job->delay >= 0) job->slept = cio_sleep(job->delay);
    if (job->slept == -ECANCELED && job->stubborn) {
        cio_shield_begin();
        cio_sleep(job->delay);
        cio_shield_end();
        job->slept = 0;
    }
    job->ended = now();
    if (job->slept < 0) return cio_fail(job->slept);
    if (job->error) return cio_fail(job->error);
    return (void *)job->value;
}

static inline cio_task *job_start(struct job *job) {
    cio_task *task = cio_create_task(job_run, job);
    assert_non_null(task);
    return task;
}

/* Every task the running loop still holds (done or not), and the stacks
 * they hold. After a test body has awaited or released everything, both are
 * 1: the main task itself. */
static inline size_t held_tasks(void) {
    cio_loop *loop = cio_get_running_loop();
    size_t count = 0;
    for (struct cio__list *node = loop->tasks.next; node != &loop->tasks; node = node->next)
        count++;
    return count;
}

static inline size_t held_stacks(void) {
    cio_loop *loop = cio_get_running_loop();
    size_t count = 0;
    for (struct cio__list *node = loop->tasks.next; node != &loop->tasks; node = node->next)
        count += cio__container_of(node, cio_task, all)->stack.mapping != NULL;
    return count;
}

static inline void assert_nothing_leaked(void) {
    assert_int_equal(held_tasks(), 1);
    assert_int_equal(held_stacks(), 1);
    assert_int_equal(cio_all_tasks(NULL, NULL, 0), 1);
}

#endif
