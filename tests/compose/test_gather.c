/* cio_gather on the virtual clock: order, errors in both modes, cancellation
 * from outside and inside, timeouts, zero tasks, duplicates, finished tasks,
 * misuse, and 10,000 tasks - each ending with nothing leaked. */
#include "compose_test.h"

#include <stdlib.h>

/* ---- order ------------------------------------------------------------------ */

static void *results_in_input_order(void *arg) {
    (void)arg;
    struct job jobs[3] = {
        {.delay = 3, .value = 10}, {.delay = 1, .value = 20}, {.delay = 2, .value = 30}};
    cio_task *tasks[3] = {job_start(&jobs[0]), job_start(&jobs[1]), job_start(&jobs[2])};
    void *results[3];
    assert_int_equal(cio_gather(tasks, 3, results, NULL), 0);
    assert_true(test_now() == 3.0);
    assert_int_equal((intptr_t)results[0], 10);
    assert_int_equal((intptr_t)results[1], 20);
    assert_int_equal((intptr_t)results[2], 30);
    assert_nothing_leaked();
    return NULL;
}

static void gather_results_in_order(void **state) {
    (void)state;
    assert_int_equal(test_run(results_in_input_order, NULL, NULL, NULL), 0);
}

/* ---- errors -------------------------------------------------------------------- */

static void *first_error_at_once(void *arg) {
    (void)arg;
    struct job jobs[3] = {
        {.delay = 1, .value = 1}, {.delay = 2, .error = -ECONNRESET}, {.delay = 5, .value = 3}};
    cio_task *tasks[3] = {job_start(&jobs[0]), job_start(&jobs[1]), job_start(&jobs[2])};
    void *results[3];
    assert_int_equal(cio_gather(tasks, 3, results, NULL), -ECONNRESET);
    assert_true(test_now() == 2.0); /* at once, not when the last one ends */
    assert_int_equal((intptr_t)results[0], 1);
    assert_null(results[1]);
    assert_null(results[2]);
    assert_int_equal(cio_sleep(10), 0);
    assert_int_equal(jobs[2].slept, 0); /* the other task kept running, uncancelled */
    assert_true(jobs[2].ended == 5.0);
    assert_nothing_leaked(); /* its reference was dropped: it was freed when done */
    return NULL;
}

static void *every_status(void *arg) {
    (void)arg;
    struct job jobs[3] = {
        {.delay = 1, .value = 1}, {.delay = 2, .error = -ECONNRESET}, {.delay = 5, .value = 3}};
    cio_task *tasks[3] = {job_start(&jobs[0]), job_start(&jobs[1]), job_start(&jobs[2])};
    void *results[3];
    int statuses[3];
    assert_int_equal(cio_gather(tasks, 3, results, statuses), 1); /* one failure */
    assert_true(test_now() == 5.0);
    assert_int_equal(statuses[0], 0);
    assert_int_equal(statuses[1], -ECONNRESET);
    assert_int_equal(statuses[2], 0);
    assert_int_equal((intptr_t)results[2], 3);
    assert_null(results[1]);
    assert_nothing_leaked();
    return NULL;
}

static void gather_errors(void **state) {
    (void)state;
    assert_int_equal(test_run(first_error_at_once, NULL, NULL, NULL), 0);
    assert_int_equal(test_run(every_status, NULL, NULL, NULL), 0);
}

/* ---- cancellation ----------------------------------------------------------------- */

struct gatherer {
    struct job jobs[3];
    int statuses[3];
    bool with_statuses;
    bool cancel_self;
};

static void *gather_jobs(void *arg) {
    struct gatherer *g = arg;
    cio_task *tasks[3] = {job_start(&g->jobs[0]), job_start(&g->jobs[1]), job_start(&g->jobs[2])};
    if (g->cancel_self) cio_task_cancel(cio_current_task());
    int rc = cio_gather(tasks, 3, NULL, g->with_statuses ? g->statuses : NULL);
    return cio_fail(rc);
}

static void *cancel_from_outside(void *arg) {
    bool with_statuses = arg != NULL;
    struct gatherer g = {.jobs = {{.delay = 0.5}, {.delay = 5}, {.delay = 7}},
                         .with_statuses = with_statuses};
    cio_task *gathering;
    assert_int_equal(cio_create_task(gather_jobs, &g, &gathering), 0);
    assert_int_equal(cio_sleep(1), 0);
    assert_int_equal(cio_task_cancel(gathering), 0);
    assert_int_equal(cio_await(gathering, NULL), -ECANCELED);
    assert_true(test_now() == 1.0);
    assert_int_equal(g.jobs[1].slept, -ECANCELED); /* the children were cancelled */
    assert_int_equal(g.jobs[2].slept, -ECANCELED);
    assert_true(g.jobs[2].ended == 1.0); /* and had finished */
    if (with_statuses) {
        assert_int_equal(g.statuses[0], 0);
        assert_int_equal(g.statuses[1], -ECANCELED);
        assert_int_equal(g.statuses[2], -ECANCELED);
    }
    assert_nothing_leaked();
    return NULL;
}

/* Cancelled from inside: the gathering task's own pending cancellation, and
 * a child cancelled while gathered (asyncio: gather raises CancelledError). */
static void *cancel_from_inside(void *arg) {
    (void)arg;
    struct gatherer self = {.jobs = {{.delay = 1}, {.delay = 2}, {.delay = 3}},
                            .cancel_self = true};
    assert_int_equal(cio_await(test_spawn(gather_jobs, &self), NULL), -ECANCELED);
    assert_int_equal(self.jobs[0].slept, 0);
    assert_true(self.jobs[0].ended == 0.0); /* cancelled before they ever ran */

    struct job jobs[2] = {{.delay = 1}, {.delay = 5, .value = 2}};
    cio_task *tasks[2] = {job_start(&jobs[0]), job_start(&jobs[1])};
    cio_task_cancel(tasks[0]);
    assert_int_equal(cio_gather(tasks, 2, NULL, NULL), -ECANCELED);
    assert_true(test_now() == 0.0);
    assert_int_equal(cio_sleep(5), 0);
    assert_int_equal(jobs[1].slept, 0);
    assert_nothing_leaked();
    return NULL;
}

static void gather_cancellation(void **state) {
    (void)state;
    assert_int_equal(test_run(cancel_from_outside, NULL, NULL, NULL), 0);
    assert_int_equal(test_run(cancel_from_outside, "statuses", NULL, NULL), 0);
    assert_int_equal(test_run(cancel_from_inside, NULL, NULL, NULL), 0);
}

/* ---- timeouts ----------------------------------------------------------------------- */

static void *timeout_scope_around_gather(void *arg) {
    (void)arg;
    struct job jobs[2] = {{.delay = 1, .value = 1}, {.delay = 3, .value = 2}};
    cio_task *tasks[2] = {job_start(&jobs[0]), job_start(&jobs[1])};
    int statuses[2];
    cio_timeout scope;
    cio_timeout_begin(&scope, 2.0);
    assert_int_equal(cio_gather(tasks, 2, NULL, statuses), -ETIMEDOUT);
    assert_true(test_now() == 2.0); /* exactly at the deadline */
    assert_int_equal(cio_timeout_end(&scope), -ETIMEDOUT);
    assert_int_equal(statuses[0], 0);
    assert_int_equal(statuses[1], -ECANCELED);
    assert_true(jobs[1].ended == 2.0);
    assert_nothing_leaked();
    return NULL;
}

static void *nested_timeouts(void *arg) {
    (void)arg;
    struct job jobs[2] = {{.delay = 10}, {.delay = 10}};
    cio_timeout outer, inner;
    cio_task *tasks[1] = {job_start(&jobs[0])};
    cio_timeout_begin(&outer, 1.0); /* the outer fires first */
    cio_timeout_begin(&inner, 5.0);
    assert_int_equal(cio_gather(tasks, 1, NULL, NULL), -ETIMEDOUT);
    assert_true(test_now() == 1.0);
    assert_int_equal(cio_timeout_end(&inner), 0);
    assert_int_equal(cio_timeout_end(&outer), -ETIMEDOUT);

    tasks[0] = job_start(&jobs[1]);
    cio_timeout_begin(&outer, 5.0); /* the inner fires first */
    cio_timeout_begin(&inner, 1.0);
    assert_int_equal(cio_gather(tasks, 1, NULL, NULL), -ETIMEDOUT);
    assert_true(test_now() == 2.0);
    assert_int_equal(cio_timeout_end(&inner), -ETIMEDOUT);
    assert_int_equal(cio_timeout_end(&outer), 0);
    assert_int_equal(jobs[1].slept, -ECANCELED);
    assert_nothing_leaked();
    return NULL;
}

static void gather_timeout(void **state) {
    (void)state;
    assert_int_equal(test_run(timeout_scope_around_gather, NULL, NULL, NULL), 0);
    assert_int_equal(test_run(nested_timeouts, NULL, NULL, NULL), 0);
}

/* ---- edge cases --------------------------------------------------------------------- */

static bool other_ran;
static void *mark_other(void *arg) {
    (void)arg;
    other_ran = true;
    return NULL;
}

static void *zero_tasks(void *arg) {
    (void)arg;
    other_ran = false;
    cio_task *other;
    assert_int_equal(cio_create_task(mark_other, NULL, &other), 0);
    assert_int_equal(cio_gather(NULL, 0, NULL, NULL), 0);
    int statuses[1] = {7};
    assert_int_equal(cio_gather(NULL, 0, NULL, statuses), 0);
    assert_false(other_ran); /* returned without suspending */
    assert_int_equal(cio_await(other, NULL), 0);
    return NULL;
}

/* One reference for a task listed twice (asyncio dedups): the result twice. */
static void *listed_twice(void *arg) {
    (void)arg;
    struct job jobs[2] = {{.delay = 1, .value = 5}, {.delay = 2, .error = -EIO}};
    cio_task *a = job_start(&jobs[0]), *b = job_start(&jobs[1]);
    cio_task *tasks[4] = {a, b, a, b};
    void *results[4];
    int statuses[4];
    assert_int_equal(cio_gather(tasks, 4, results, statuses), 2);
    assert_int_equal((intptr_t)results[0], 5);
    assert_int_equal((intptr_t)results[2], 5);
    assert_int_equal(statuses[1], -EIO);
    assert_int_equal(statuses[3], -EIO);
    assert_nothing_leaked();

    cio_task *c = job_start(&jobs[0]);
    cio_task_ref(c); /* ours, beside the one gather consumes */
    cio_task *same[2] = {c, c};
    assert_int_equal(cio_gather(same, 2, results, NULL), 0);
    assert_int_equal((intptr_t)results[1], 5);
    assert_int_equal(held_tasks(), 2); /* exactly one reference was consumed */
    assert_true(cio_task_done(c));
    cio_task_unref(c);
    assert_nothing_leaked();
    return NULL;
}

static void *already_finished(void *arg) {
    (void)arg;
    struct job jobs[3] = {{.delay = -1, .value = 1}, {.delay = -1, .error = -EPIPE}, {.delay = 4}};
    cio_task *tasks[3] = {job_start(&jobs[0]), job_start(&jobs[1]), job_start(&jobs[2])};
    cio_task_ref(tasks[2]);
    assert_int_equal(cio_yield(), 0); /* the first two run to completion */
    void *results[3];
    assert_int_equal(cio_gather(tasks, 2, results, NULL), -EPIPE); /* without waiting */
    assert_true(test_now() == 0.0);
    assert_int_equal((intptr_t)results[0], 1);
    assert_int_equal(cio_sleep(5), 0);
    assert_true(cio_task_done(tasks[2]));
    assert_int_equal(cio_gather(&tasks[2], 1, results, NULL), 0);
    assert_true(test_now() == 5.0);
    cio_task_unref(tasks[2]);
    assert_nothing_leaked();
    return NULL;
}

static void gather_edge_cases(void **state) {
    (void)state;
    assert_int_equal(test_run(zero_tasks, NULL, NULL, NULL), 0);
    assert_int_equal(test_run(listed_twice, NULL, NULL, NULL), 0);
    assert_int_equal(test_run(already_finished, NULL, NULL, NULL), 0);
}

/* ---- misuse ------------------------------------------------------------------------- */

static void *misuse(void *arg) {
    cio_task *foreign = arg; /* a task of another loop */
    struct job job = {.delay = 1, .value = 1};
    cio_task *mine = job_start(&job);
    cio_task *mixed[2] = {mine, foreign};
    assert_int_equal(cio_gather(mixed, 2, NULL, NULL), -EINVAL); /* another loop's task */
    cio_task *with_null[2] = {mine, NULL};
    assert_int_equal(cio_gather(with_null, 2, NULL, NULL), -EINVAL);
    assert_int_equal(cio_gather(NULL, 1, NULL, NULL), -EINVAL);
    cio_task *with_self[2] = {mine, cio_current_task()};
    assert_int_equal(cio_gather(with_self, 2, NULL, NULL), -EDEADLK);
    assert_int_equal(cio_await(mine, NULL), 0); /* nothing was consumed */
    assert_nothing_leaked();
    return NULL;
}

static void gather_misuse(void **state) {
    (void)state;
    cio_loop_free(run_with_foreign_task(misuse));
    setenv("CIO_QUIET", "1", 1);
    assert_int_equal(cio_gather(NULL, 0, NULL, NULL), -EPERM); /* outside a task */
}

/* ---- many ------------------------------------------------------------------------- */

#define MANY 10000

static void *many(void *arg) {
    (void)arg;
    static struct job jobs[MANY];
    static cio_task *tasks[MANY];
    static void *results[MANY];
    int count = test_scaled(MANY, 100); /* load, not a limit */
    for (int i = 0; i < count; i++) {
        jobs[i] = (struct job){.delay = (i % 10) * 0.1, .value = i};
        tasks[i] = job_start(&jobs[i]);
    }
    assert_int_equal(cio_gather(tasks, (size_t)count, results, NULL), 0);
    assert_true(fabs(test_now() - 0.9) < 1e-9);
    for (int i = 0; i < count; i++) assert_int_equal((intptr_t)results[i], i);
    assert_nothing_leaked();
    return NULL;
}

static void gather_ten_thousand(void **state) {
    (void)state;
    assert_int_equal(test_run(many, NULL, NULL, NULL), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gather_results_in_order), cmocka_unit_test(gather_errors),
        cmocka_unit_test(gather_cancellation),     cmocka_unit_test(gather_timeout),
        cmocka_unit_test(gather_edge_cases),       cmocka_unit_test(gather_misuse),
        cmocka_unit_test(gather_ten_thousand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
