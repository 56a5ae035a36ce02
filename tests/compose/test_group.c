/* Task groups on the virtual clock: join, the first failure cancelling the
 * siblings and the parent's pending await, every child's status, refusals,
 * cancellation and timeouts from outside, 1,000 children, leak counts. */
#include "compose_test.h"

#include <stdlib.h>
#include <string.h>

static cio_taskgroup *new_group(void) {
    cio_taskgroup *tg = NULL;
    assert_int_equal(cio_taskgroup_new(&tg), 0);
    assert_non_null(tg);
    return tg;
}

static cio_task *spawn(cio_taskgroup *tg, struct job *job) {
    cio_task *child = NULL;
    assert_int_equal(cio_taskgroup_create_task(tg, job_run, job, &child), 0);
    return child;
}

/* ---- success ------------------------------------------------------------------ */

static void *all_succeed(void *arg) {
    (void)arg;
    struct job jobs[3] = {
        {.delay = 2, .value = 1}, {.delay = 1, .value = 2}, {.delay = 3, .value = 3}};
    cio_taskgroup *tg = new_group();
    for (int i = 0; i < 3; i++) spawn(tg, &jobs[i]);
    assert_int_equal(cio_taskgroup_join(tg), 0);
    assert_true(test_now() == 3.0);
    cio_taskgroup_result results[3];
    assert_int_equal(cio_taskgroup_results(tg, results, 3), 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(results[i].status, 0);
        assert_int_equal((intptr_t)results[i].result, i + 1); /* creation order */
    }
    assert_int_equal(cio_taskgroup_results(tg, NULL, 0), 3);
    assert_int_equal(cio_taskgroup_free(tg), 0);

    tg = new_group(); /* no children: join returns at once */
    assert_int_equal(cio_taskgroup_join(tg), 0);
    assert_true(test_now() == 3.0);
    assert_int_equal(cio_taskgroup_free(tg), 0);
    assert_nothing_leaked();
    return NULL;
}

static void group_all_succeed(void **state) {
    (void)state;
    assert_int_equal(test_run(all_succeed, NULL, NULL, NULL), 0);
}

/* ---- failure -------------------------------------------------------------------- */

static void check_one_failure(cio_taskgroup *tg, size_t n, size_t failing, int error) {
    cio_taskgroup_result *results = calloc(n, sizeof *results);
    assert_int_equal(cio_taskgroup_results(tg, results, n), n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(results[i].status, i == failing ? error : -ECANCELED);
    free(results);
}

/* The parent is parked elsewhere when a child fails: that await returns
 * -ECANCELED (and so would every await until the join, which withdraws it). */
static void *failure_cancels_parent_await(void *arg) {
    (void)arg;
    struct job jobs[3] = {{.delay = 5}, {.delay = 1, .error = -ECONNRESET}, {.delay = 7}};
    cio_taskgroup *tg = new_group();
    for (int i = 0; i < 3; i++) spawn(tg, &jobs[i]);
    assert_int_equal(cio_sleep(10), -ECANCELED);
    assert_true(test_now() == 1.0);
    assert_int_equal(cio_yield(), -ECANCELED); /* level-triggered until the join */
    assert_int_equal(cio_taskgroup_join(tg), -ECONNRESET);
    assert_int_equal(cio_task_cancelling(cio_current_task()), 0); /* withdrawn */
    assert_int_equal(cio_sleep(1), 0);
    check_one_failure(tg, 3, 1, -ECONNRESET);
    assert_int_equal(jobs[2].slept, -ECANCELED);
    assert_int_equal(cio_taskgroup_free(tg), 0);
    assert_nothing_leaked();
    return NULL;
}

static void *failure_while_joining(void *arg) {
    (void)arg;
    struct job jobs[3] = {
        {.delay = 5}, {.delay = 1, .error = -EPIPE}, {.delay = 7, .stubborn = true}};
    cio_taskgroup *tg = new_group();
    for (int i = 0; i < 3; i++) spawn(tg, &jobs[i]);
    assert_int_equal(cio_taskgroup_join(tg), -EPIPE);
    assert_true(test_now() == 8.0); /* it waited for the stubborn child: 1 + 7 */
    assert_int_equal(cio_task_cancelling(cio_current_task()),
                     0); /* the parent was never cancelled */
    cio_taskgroup_result results[3];
    cio_taskgroup_results(tg, results, 3);
    assert_int_equal(results[0].status, -ECANCELED);
    assert_int_equal(results[1].status, -EPIPE);
    assert_int_equal(results[2].status, 0); /* it caught the cancellation */
    assert_int_equal(cio_taskgroup_free(tg), 0);
    assert_nothing_leaked();
    return NULL;
}

/* A later child that fails too (it finished its cleanup under a shield and
 * then failed) does not replace the first failure, which join reports -
 * whether the parent was joining or parked elsewhere when they came. */
static void *first_error_wins(void *arg) {
    bool joining = arg != NULL;
    struct job jobs[3] = {{.delay = 1, .error = -EPIPE},
                          {.delay = 3, .stubborn = true, .error = -ECONNRESET},
                          {.delay = 2, .stubborn = true, .error = -EIO}};
    cio_taskgroup *tg = new_group();
    for (int i = 0; i < 3; i++) spawn(tg, &jobs[i]);
    if (!joining) assert_int_equal(cio_sleep(10), -ECANCELED);
    assert_int_equal(cio_taskgroup_join(tg), -EPIPE);
    assert_true(test_now() == 4.0); /* the stubborn children finished: 1 + 3 */
    cio_taskgroup_result results[3];
    assert_int_equal(cio_taskgroup_results(tg, results, 3), 3);
    assert_int_equal(results[0].status, -EPIPE);
    assert_int_equal(results[1].status, -ECONNRESET);
    assert_int_equal(results[2].status, -EIO);
    assert_int_equal(cio_taskgroup_free(tg), 0);
    assert_nothing_leaked();
    return NULL;
}

static void group_reports_the_first_error_not_a_later_one(void **state) {
    (void)state;
    assert_int_equal(test_run(first_error_wins, (void *)1, NULL, NULL), 0);
    assert_int_equal(test_run(first_error_wins, NULL, NULL, NULL), 0);
}

/* A child cancelled by someone else is not a failure. */
static void *cancelled_child_is_not_failure(void *arg) {
    (void)arg;
    struct job jobs[2] = {{.delay = 5}, {.delay = 2, .value = 1}};
    cio_taskgroup *tg = new_group();
    cio_task *victim = spawn(tg, &jobs[0]);
    spawn(tg, &jobs[1]);
    cio_sleep(1);
    cio_task_cancel(victim);
    assert_int_equal(cio_taskgroup_join(tg), 0);
    assert_true(test_now() == 2.0);
    cio_taskgroup_result results[2];
    cio_taskgroup_results(tg, results, 2);
    assert_int_equal(results[0].status, -ECANCELED);
    assert_int_equal(results[1].status, 0);
    assert_int_equal(cio_taskgroup_free(tg), 0);
    assert_nothing_leaked();
    return NULL;
}

static void group_failure(void **state) {
    (void)state;
    assert_int_equal(test_run(failure_cancels_parent_await, NULL, NULL, NULL), 0);
    assert_int_equal(test_run(failure_while_joining, NULL, NULL, NULL), 0);
    assert_int_equal(test_run(cancelled_child_is_not_failure, NULL, NULL, NULL), 0);
}

/* Children's errors are reported through the group, not as "never retrieved". */
static void run_failure(void) {
    test_run(failure_while_joining, NULL, NULL, NULL);
}

static void group_errors_count_as_retrieved(void **state) {
    (void)state;
    char err[512];
    assert_int_equal(test_in_child(run_failure, err, sizeof err), 0);
    assert_null(strstr(err, "never retrieved"));
}

/* ---- refusals ------------------------------------------------------------------- */

struct spawner {
    cio_taskgroup *tg;
    int status;
};

static void *spawn_sibling_late(void *arg) {
    struct spawner *s = arg;
    cio_sleep(2);
    static struct job sibling = {.delay = 1, .value = 9};
    s->status = cio_taskgroup_create_task(s->tg, job_run, &sibling, NULL);
    return NULL;
}

static void *refusals(void *arg) {
    (void)arg;
    /* A child adds a sibling while the parent joins: join waits for it too. */
    cio_taskgroup *tg = new_group();
    struct spawner s = {tg, 1};
    assert_int_equal(cio_taskgroup_create_task(tg, spawn_sibling_late, &s, NULL), 0);
    assert_int_equal(cio_taskgroup_join(tg), 0);
    assert_int_equal(s.status, 0);
    assert_true(test_now() == 3.0);
    assert_int_equal(cio_taskgroup_results(tg, NULL, 0), 2);
    struct job job = {.delay = 1};
    cio_task *child = &(cio_task){0};
    assert_int_equal(cio_taskgroup_create_task(tg, job_run, &job, &child), -CIO_ECLOSED);
    assert_null(child);
    assert_int_equal(cio_taskgroup_join(tg), -CIO_ECLOSED); /* joined twice */
    assert_int_equal(cio_taskgroup_free(tg), 0);

    /* A failing group refuses new children, from the parent or a child. */
    tg = new_group();
    struct job failing = {.delay = 1, .error = -EIO};
    spawn(tg, &failing);
    s = (struct spawner){tg, 1};
    assert_int_equal(cio_taskgroup_create_task(tg, spawn_sibling_late, &s, NULL), 0);
    assert_int_equal(cio_sleep(5), -ECANCELED);
    assert_int_equal(cio_taskgroup_create_task(tg, job_run, &job, NULL), -ECANCELED);
    assert_int_equal(cio_taskgroup_join(tg), -EIO);
    assert_int_equal(s.status, -ECANCELED); /* cancelled in its sleep, it tried anyway */
    assert_int_equal(cio_taskgroup_free(tg), 0);
    assert_nothing_leaked();
    return NULL;
}

static void group_refuses_closed_and_failing(void **state) {
    (void)state;
    assert_int_equal(test_run(refusals, NULL, NULL, NULL), 0);
}

/* ---- cancellation and timeouts from outside --------------------------------------- */

static struct job outside_jobs[2];
static int join_status;

static void *group_parent(void *arg) {
    (void)arg;
    cio_taskgroup *tg = new_group();
    for (int i = 0; i < 2; i++) spawn(tg, &outside_jobs[i]);
    join_status = cio_taskgroup_join(tg);
    cio_taskgroup_free(tg);
    return NULL;
}

static void *cancel_parent_from_outside(void *arg) {
    (void)arg;
    outside_jobs[0] = (struct job){.delay = 5};
    outside_jobs[1] = (struct job){.delay = 5, .stubborn = true};
    cio_task *parent;
    assert_int_equal(cio_create_task(group_parent, NULL, &parent), 0);
    cio_sleep(1);
    cio_task_cancel(parent);
    cio_await(parent, NULL);
    assert_int_equal(join_status, -ECANCELED);
    assert_true(test_now() == 6.0); /* the join waited for the stubborn child */
    assert_int_equal(outside_jobs[0].slept, -ECANCELED);
    assert_true(outside_jobs[0].ended == 1.0);
    assert_nothing_leaked();
    return NULL;
}

static void *timeout_around_join(void *arg) {
    (void)arg;
    struct job jobs[2] = {{.delay = 1}, {.delay = 5}};
    cio_timeout scope;
    cio_timeout_begin(&scope, 2.0);
    cio_taskgroup *tg = new_group();
    for (int i = 0; i < 2; i++) spawn(tg, &jobs[i]);
    assert_int_equal(cio_taskgroup_join(tg), -ETIMEDOUT);
    assert_true(test_now() == 2.0);
    assert_int_equal(cio_timeout_end(&scope), -ETIMEDOUT);
    cio_taskgroup_result results[2];
    cio_taskgroup_results(tg, results, 2);
    assert_int_equal(results[0].status, 0);
    assert_int_equal(results[1].status, -ECANCELED);
    assert_true(jobs[1].ended == 2.0);
    cio_taskgroup_free(tg);

    /* The scope fires while the parent is in the body: join still drains. */
    cio_timeout_begin(&scope, 1.0);
    tg = new_group();
    spawn(tg, &jobs[1]);
    assert_int_equal(cio_sleep(3), -ETIMEDOUT);
    assert_int_equal(cio_taskgroup_join(tg), -ETIMEDOUT);
    assert_true(test_now() == 3.0);
    assert_int_equal(cio_timeout_end(&scope), -ETIMEDOUT);
    cio_taskgroup_free(tg);
    assert_nothing_leaked();
    return NULL;
}

static void *nested_timeouts_around_join(void *arg) {
    (void)arg;
    struct job jobs[2] = {{.delay = 10}, {.delay = 10}};
    cio_timeout outer, inner;
    cio_timeout_begin(&outer, 1.0); /* the outer fires first */
    cio_timeout_begin(&inner, 5.0);
    cio_taskgroup *tg = new_group();
    spawn(tg, &jobs[0]);
    assert_int_equal(cio_taskgroup_join(tg), -ETIMEDOUT);
    assert_true(test_now() == 1.0);
    assert_int_equal(cio_timeout_end(&inner), 0);
    assert_int_equal(cio_timeout_end(&outer), -ETIMEDOUT);
    cio_taskgroup_free(tg);

    cio_timeout_begin(&outer, 5.0); /* the inner fires first */
    cio_timeout_begin(&inner, 1.0);
    tg = new_group();
    spawn(tg, &jobs[1]);
    assert_int_equal(cio_taskgroup_join(tg), -ETIMEDOUT);
    assert_true(test_now() == 2.0);
    assert_int_equal(cio_timeout_end(&inner), -ETIMEDOUT);
    assert_int_equal(cio_timeout_end(&outer), 0);
    assert_int_equal(jobs[1].slept, -ECANCELED);
    cio_taskgroup_free(tg);
    assert_nothing_leaked();
    return NULL;
}

static void group_cancel_and_timeout(void **state) {
    (void)state;
    assert_int_equal(test_run(cancel_parent_from_outside, NULL, NULL, NULL), 0);
    assert_int_equal(test_run(timeout_around_join, NULL, NULL, NULL), 0);
    assert_int_equal(test_run(nested_timeouts_around_join, NULL, NULL, NULL), 0);
}

/* ---- 1,000 children -------------------------------------------------------------- */

#define THOUSAND 1000

static void *thousand_one_fails(void *arg) {
    (void)arg;
    static struct job jobs[THOUSAND];
    int n = test_scaled(THOUSAND, 100), failing = n / 2; /* n is load, not a limit */
    cio_taskgroup *tg = new_group();
    for (int i = 0; i < n; i++) {
        jobs[i] =
            (struct job){.delay = i == failing ? 1.0 : 10.0, .error = i == failing ? -ENOSPC : 0};
        spawn(tg, &jobs[i]);
    }
    assert_int_equal(held_tasks(), n + 1);
    assert_int_equal(cio_taskgroup_join(tg), -ENOSPC);
    assert_true(test_now() == 1.0);
    check_one_failure(tg, (size_t)n, (size_t)failing, -ENOSPC);
    assert_int_equal(held_stacks(), 1); /* every child's stack is back */
    assert_int_equal(cio_taskgroup_free(tg), 0);
    assert_nothing_leaked();

    tg = new_group();
    for (int i = 0; i < n; i++) {
        jobs[i] = (struct job){.delay = i % 7, .value = i};
        spawn(tg, &jobs[i]);
    }
    assert_int_equal(cio_taskgroup_join(tg), 0);
    assert_true(test_now() == 7.0);
    assert_int_equal(cio_taskgroup_free(tg), 0);
    assert_nothing_leaked();
    return NULL;
}

static void group_thousand_children(void **state) {
    (void)state;
    assert_int_equal(test_run(thousand_one_fails, NULL, NULL, NULL), 0);
}

/* ---- misuse ------------------------------------------------------------------------ */

static cio_taskgroup *foreign_group;
static int join_from_child;

static void *join_someone_elses(void *arg) {
    (void)arg;
    join_from_child = cio_taskgroup_join(foreign_group);
    return NULL;
}

static void *misuse(void *arg) {
    (void)arg;
    assert_int_equal(cio_taskgroup_new(NULL), -EINVAL);
    assert_int_equal(cio_taskgroup_join(NULL), -EINVAL);
    assert_int_equal(cio_taskgroup_create_task(NULL, job_run, NULL, NULL), -EINVAL);
    assert_int_equal(cio_taskgroup_results(NULL, NULL, 0), 0);
    assert_int_equal(cio_taskgroup_free(NULL), 0);
    uint64_t not_a_group[32] = {0};
    assert_int_equal(cio_taskgroup_free((cio_taskgroup *)(void *)not_a_group), -EINVAL);

    foreign_group = new_group();
    assert_int_equal(cio_taskgroup_create_task(foreign_group, NULL, NULL, NULL), -EINVAL);
    assert_int_equal(cio_taskgroup_create_task(foreign_group, join_someone_elses, NULL, NULL), 0);
    assert_int_equal(cio_taskgroup_join(foreign_group), 0);
    assert_int_equal(join_from_child, -EINVAL); /* only the parent joins */

    /* Freed without a join: the children are cancelled, nothing outlives it. */
    cio_taskgroup *tg = new_group();
    struct job jobs[2] = {{.delay = 5}, {.delay = 1, .error = -EIO}};
    spawn(tg, &jobs[0]);
    spawn(tg, &jobs[1]);
    assert_int_equal(cio_sleep(2), -ECANCELED); /* jobs[1] failed */
    assert_int_equal(cio_taskgroup_free(tg), 0);
    assert_int_equal(cio_task_cancelling(cio_current_task()), 0); /* withdrawn */
    assert_int_equal(cio_sleep(1), 0);
    assert_int_equal(cio_taskgroup_free(foreign_group), 0);
    assert_nothing_leaked();

    tg = new_group();
    spawn(tg, &jobs[0]);
    assert_int_equal(cio_taskgroup_free(tg), 0);
    assert_int_equal(cio_sleep(1), 0);
    assert_int_equal(jobs[0].slept, -ECANCELED);
    assert_nothing_leaked();
    return NULL;
}

static cio_taskgroup *left_open;

static void *leave_group_open(void *arg) {
    (void)arg;
    static struct job job = {.delay = -1};
    left_open = new_group();
    spawn(left_open, &job);
    return NULL;
}

static void group_misuse(void **state) {
    (void)state;
    setenv("CIO_QUIET", "1", 1);
    assert_int_equal(test_run(misuse, NULL, NULL, NULL), 0);
    /* Its loop closed first: only the group's own memory is left to free. */
    cio_loop *loop = test_loop_new();
    assert_int_equal(
        cio_loop_run_until_complete(loop, test_spawn_on(loop, leave_group_open, NULL), NULL), 0);
    assert_int_equal(cio_loop_close(loop), 0);
    assert_int_equal(cio_taskgroup_free(left_open), 0);
    cio_loop_free(loop);
    cio_taskgroup *tg = NULL;
    assert_int_equal(cio_taskgroup_new(&tg), -EPERM);
    assert_int_equal(cio_taskgroup_join(tg), -EPERM);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(group_all_succeed),
        cmocka_unit_test(group_failure),
        cmocka_unit_test(group_reports_the_first_error_not_a_later_one),
        cmocka_unit_test(group_errors_count_as_retrieved),
        cmocka_unit_test(group_refuses_closed_and_failing),
        cmocka_unit_test(group_cancel_and_timeout),
        cmocka_unit_test(group_thousand_children),
        cmocka_unit_test(group_misuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
