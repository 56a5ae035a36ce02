/* tests/compose/compose_test.h - helpers the compose tests share: a job
 * that sleeps then returns or fails, a task of another loop for the misuse
 * tests, and counters for leaked tasks/stacks. */
#ifndef CIO_COMPOSE_TEST_H
#define CIO_COMPOSE_TEST_H

#include "testutil.h"

#include "core/task.h" /* white-box: counts the tasks and stacks a loop still holds */

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

static inline void *job_run(void *arg) {
    struct job *job = arg;
    if (job->delay >= 0) job->slept = cio_sleep(job->delay);
    if (job->slept == -ECANCELED && job->stubborn) {
        cio_shield_begin();
        cio_sleep(job->delay);
        cio_shield_end();
        job->slept = 0;
    }
    job->ended = test_now();
    if (job->slept < 0) return cio_fail(job->slept);
    if (job->error) return cio_fail(job->error);
    return (void *)job->value;
}

static inline cio_task *job_start(struct job *job) {
    cio_task *task;
    cio_create_task(job_run, job, &task);
    assert_non_null(task);
    return task;
}

static inline void await_all(cio_task **tasks, size_t n) {
    for (size_t i = 0; i < n; i++) cio_await(tasks[i], NULL);
}

/* Run body(foreign) as the main task of a fresh loop, where foreign is a
 * task of another loop (for the "another loop's task" checks), then let
 * foreign finish. Returns that other loop, the caller's to free. */
static inline cio_loop *run_with_foreign_task(cio_task_fn body) {
    cio_loop *other = test_loop_new();
    static struct job job = {.delay = -1};
    cio_task *foreign;
    cio_loop_create_task(other, job_run, &job, &foreign);
    assert_int_equal(test_run(body, foreign, NULL, NULL), 0);
    assert_int_equal(cio_loop_run_until_complete(other, foreign, NULL), 0);
    return other;
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
