/* cio_as_completed on the virtual clock: completion order, finished tasks
 * first, the overall timeout (exact, cancelling nothing), cancellation, zero
 * tasks, duplicates, two consumers, misuse. */
#include "compose_test.h"

#include <stdlib.h>

static void *completion_order(void *arg) {
    (void)arg;
    struct job jobs[4] = {{.delay = 3, .value = 3},
                          {.delay = 1, .value = 1},
                          {.delay = 2, .value = 2},
                          {.delay = -1, .value = 0}};
    cio_task *tasks[4] = {job_start(&jobs[0]), job_start(&jobs[1]), job_start(&jobs[2]),
                          job_start(&jobs[3])};
    cio_yield(); /* the last one finishes before we start */
    cio_as_completed *it;
    assert_int_equal(cio_as_completed_new(tasks, 4, INFINITY, &it), 0);
    cio_task *task;
    for (intptr_t expected = 0; expected < 4; expected++) {
        assert_int_equal(cio_as_completed_next(it, &task), 1);
        assert_true(test_now() == (double)expected);
        void *result;
        assert_int_equal(cio_task_result(task, &result), 0);
        assert_int_equal((intptr_t)result, expected);
    }
    assert_int_equal(cio_as_completed_next(it, &task), 0); /* exhausted */
    assert_null(task);
    assert_int_equal(cio_as_completed_next(it, &task), 0);
    assert_int_equal(cio_as_completed_free(it), 0);
    await_all(tasks, 4); /* borrowed: still ours */
    assert_nothing_leaked();
    return NULL;
}

/* Several tasks finish before the consumer asks: they come out in the order
 * they finished (a FIFO), each once. */
static void *finished_while_away(void *arg) {
    (void)arg;
    struct job jobs[3] = {
        {.delay = 2, .value = 2}, {.delay = 1, .value = 1}, {.delay = 3, .value = 3}};
    cio_task *tasks[3] = {job_start(&jobs[0]), job_start(&jobs[1]), job_start(&jobs[2])};
    cio_as_completed *it;
    assert_int_equal(cio_as_completed_new(tasks, 3, INFINITY, &it), 0);
    assert_int_equal(cio_sleep(5), 0); /* all three finish meanwhile */
    cio_task *task;
    for (intptr_t expected = 1; expected <= 3; expected++) {
        assert_int_equal(cio_as_completed_next(it, &task), 1);
        void *result;
        assert_int_equal(cio_task_result(task, &result), 0);
        assert_int_equal((intptr_t)result, expected);
    }
    assert_int_equal(cio_as_completed_next(it, &task), 0);
    assert_int_equal(cio_as_completed_free(it), 0);
    await_all(tasks, 3);
    return NULL;
}

static void as_completed_order(void **state) {
    (void)state;
    assert_int_equal(test_run(completion_order, NULL, NULL, NULL), 0);
    assert_int_equal(test_run(finished_while_away, NULL, NULL, NULL), 0);
}

static void *overall_timeout(void *arg) {
    (void)arg;
    struct job jobs[3] = {{.delay = 1}, {.delay = 1.5}, {.delay = 5}};
    cio_task *tasks[3] = {job_start(&jobs[0]), job_start(&jobs[1]), job_start(&jobs[2])};
    cio_as_completed *it;
    assert_int_equal(cio_as_completed_new(tasks, 3, 2.0, &it), 0);
    cio_task *task;
    assert_int_equal(cio_as_completed_next(it, &task), 1);
    assert_ptr_equal(task, tasks[0]);
    assert_int_equal(cio_sleep(3), 0); /* past the deadline; tasks[1] finished before it */
    assert_int_equal(cio_as_completed_next(it, &task), 1);
    assert_ptr_equal(task, tasks[1]);
    assert_int_equal(cio_as_completed_next(it, &task), -ETIMEDOUT);
    assert_true(test_now() == 4.0);
    assert_int_equal(cio_as_completed_free(it), 0);

    assert_int_equal(cio_as_completed_new(&tasks[2], 1, 0.5, &it), 0);
    assert_int_equal(cio_as_completed_next(it, &task), -ETIMEDOUT);
    assert_true(test_now() == 4.5);                                 /* exactly at the deadline */
    assert_int_equal(cio_as_completed_next(it, &task), -ETIMEDOUT); /* and after it */
    assert_true(test_now() == 4.5);
    assert_int_equal(cio_as_completed_free(it), 0);
    assert_false(cio_task_done(tasks[2])); /* nothing was cancelled */
    await_all(tasks, 3);
    assert_int_equal(jobs[2].slept, 0);
    assert_nothing_leaked();
    return NULL;
}

static void *nested_timeouts(void *arg) {
    (void)arg;
    struct job jobs[1] = {{.delay = 10}};
    cio_task *tasks[1] = {job_start(&jobs[0])};
    cio_as_completed *it;
    cio_task *task;
    cio_timeout outer;
    assert_int_equal(cio_as_completed_new(tasks, 1, 5.0, &it), 0);
    cio_timeout_begin(&outer, 1.0); /* the outer fires first */
    assert_int_equal(cio_as_completed_next(it, &task), -ETIMEDOUT);
    assert_true(test_now() == 1.0);
    assert_int_equal(cio_timeout_end(&outer), -ETIMEDOUT);
    cio_timeout_begin(&outer, 10.0); /* the iterator's own deadline, at 5, fires first */
    assert_int_equal(cio_as_completed_next(it, &task), -ETIMEDOUT);
    assert_true(test_now() == 5.0);
    assert_int_equal(cio_timeout_end(&outer), 0);
    assert_int_equal(cio_as_completed_free(it), 0);
    cio_await(tasks[0], NULL);
    assert_nothing_leaked();
    return NULL;
}

static void as_completed_timeout(void **state) {
    (void)state;
    assert_int_equal(test_run(overall_timeout, NULL, NULL, NULL), 0);
    assert_int_equal(test_run(nested_timeouts, NULL, NULL, NULL), 0);
}

static cio_as_completed *shared;
static int consumer_status;

static void *consume(void *arg) {
    (void)arg;
    cio_task *task;
    consumer_status = cio_as_completed_next(shared, &task);
    return NULL;
}

static void *cancellation_and_two_consumers(void *arg) {
    (void)arg;
    struct job jobs[1] = {{.delay = 2}};
    cio_task *tasks[1] = {job_start(&jobs[0])};
    assert_int_equal(cio_as_completed_new(tasks, 1, INFINITY, &shared), 0);
    cio_task *consumer;
    assert_int_equal(cio_create_task(consume, NULL, &consumer), 0);
    cio_sleep(1);
    cio_task *task;
    assert_int_equal(cio_as_completed_next(shared, &task), -EBUSY); /* one waiter at a time */
    assert_int_equal(cio_as_completed_free(shared), -EBUSY);
    cio_task_cancel(consumer);
    cio_await(consumer, NULL);
    assert_int_equal(consumer_status, -ECANCELED);
    assert_true(test_now() == 1.0);
    assert_int_equal(cio_as_completed_next(shared, &task), 1); /* still usable */
    assert_true(test_now() == 2.0);
    assert_int_equal(jobs[0].slept, 0);
    assert_int_equal(cio_as_completed_free(shared), 0);
    await_all(tasks, 1);
    assert_nothing_leaked();
    return NULL;
}

/* From inside: the consumer's own cancellation; a failing or cancelled
 * task is yielded like any other, in its turn. */
static void *cancellation_from_inside(void *arg) {
    (void)arg;
    struct job jobs[2] = {{.delay = 2, .error = -EIO}, {.delay = 5}};
    cio_task *tasks[2] = {job_start(&jobs[0]), job_start(&jobs[1])};
    cio_as_completed *it;
    cio_task *task;
    assert_int_equal(cio_as_completed_new(tasks, 2, INFINITY, &it), 0);
    cio_task_cancel(cio_current_task());
    assert_int_equal(cio_as_completed_next(it, &task), -ECANCELED);
    cio_task_uncancel(cio_current_task());
    cio_task_cancel(tasks[1]);
    assert_int_equal(cio_as_completed_next(it, &task), 1);
    assert_ptr_equal(task, tasks[1]);
    assert_int_equal(cio_task_result(task, NULL), -ECANCELED);
    assert_int_equal(cio_as_completed_next(it, &task), 1);
    assert_int_equal(cio_task_result(task, NULL), -EIO);
    assert_true(test_now() == 2.0);
    assert_int_equal(cio_as_completed_free(it), 0);
    await_all(tasks, 2);
    assert_nothing_leaked();
    return NULL;
}

static void as_completed_cancellation(void **state) {
    (void)state;
    assert_int_equal(test_run(cancellation_and_two_consumers, NULL, NULL, NULL), 0);
    assert_int_equal(test_run(cancellation_from_inside, NULL, NULL, NULL), 0);
}

static void *edge_cases(void *arg) {
    (void)arg;
    cio_as_completed *it;
    cio_task *task;
    assert_int_equal(cio_as_completed_new(NULL, 0, 1.0, &it), 0); /* zero tasks */
    assert_int_equal(cio_as_completed_next(it, &task), 0);
    assert_int_equal(cio_as_completed_free(it), 0);

    struct job jobs[2] = {{.delay = 1}, {.delay = 2}};
    cio_task *a = job_start(&jobs[0]), *b = job_start(&jobs[1]);
    cio_task *twice[3] = {b, a, b};
    assert_int_equal(cio_as_completed_new(twice, 3, INFINITY, &it), 0);
    cio_task *order[3];
    for (int i = 0; i < 3; i++) assert_int_equal(cio_as_completed_next(it, &order[i]), 1);
    assert_ptr_equal(order[0], a);
    assert_ptr_equal(order[1], b); /* yielded once per listing */
    assert_ptr_equal(order[2], b);
    assert_int_equal(cio_as_completed_next(it, &task), 0);
    assert_int_equal(cio_as_completed_free(it), 0);

    /* Freed early: stops watching; the tasks are untouched. */
    struct job later = {.delay = 1, .value = 5};
    cio_task *c = job_start(&later);
    assert_int_equal(cio_as_completed_new(&c, 1, INFINITY, &it), 0);
    assert_int_equal(cio_as_completed_free(it), 0);
    void *result;
    assert_int_equal(cio_await(c, &result), 0);
    assert_int_equal((intptr_t)result, 5);
    await_all((cio_task *[]){a, b}, 2);
    assert_nothing_leaked();
    return NULL;
}

static void *misuse(void *arg) {
    cio_task *foreign = arg;
    struct job job = {.delay = 1};
    cio_task *mine = job_start(&job);
    cio_as_completed *it = NULL;
    cio_task *mixed[2] = {mine, foreign};
    assert_int_equal(cio_as_completed_new(mixed, 2, INFINITY, &it), -EINVAL);
    assert_null(it);
    assert_int_equal(cio_as_completed_new(mixed, 1, NAN, &it), -EINVAL);
    assert_int_equal(cio_as_completed_new(mixed, 1, 1.0, NULL), -EINVAL);
    assert_int_equal(cio_as_completed_new(NULL, 1, 1.0, &it), -EINVAL);
    cio_task *self[1] = {cio_current_task()};
    assert_int_equal(cio_as_completed_new(self, 1, 1.0, &it), -EDEADLK);
    cio_task *task;
    assert_int_equal(cio_as_completed_next(NULL, &task), -EINVAL);
    assert_int_equal(cio_as_completed_free(NULL), -EINVAL);
    assert_int_equal(cio_await(mine, NULL), 0);
    assert_nothing_leaked();
    return NULL;
}

static cio_as_completed *made_in_callback;
static void make_iterator(void *arg) {
    (void)arg;
    assert_int_equal(cio_as_completed_new(NULL, 0, INFINITY, &made_in_callback), 0);
}

static void as_completed_edge_cases_and_misuse(void **state) {
    (void)state;
    assert_int_equal(test_run(edge_cases, NULL, NULL, NULL), 0);
    cio_loop *other = run_with_foreign_task(misuse);
    /* new() need not be called from a task; next() must. */
    cio_call_soon(other, make_iterator, NULL, NULL);
    cio_loop_stop(other);
    assert_int_equal(cio_loop_run_forever(other), 0);
    assert_non_null(made_in_callback);
    setenv("CIO_QUIET", "1", 1);
    cio_task *task;
    assert_int_equal(cio_as_completed_next(made_in_callback, &task), -EPERM);
    assert_int_equal(cio_as_completed_free(made_in_callback), 0);
    cio_loop_free(other);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(as_completed_order),
        cmocka_unit_test(as_completed_timeout),
        cmocka_unit_test(as_completed_cancellation),
        cmocka_unit_test(as_completed_edge_cases_and_misuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
