/* Futures where tasks are taken (cio_future_as_task) and thread-pool jobs
 * as futures (cio_executor_submit, asyncio.wrap_future of a pool job):
 * gather, wait, wait_for, shield and as_completed over futures, with
 * asyncio's cancellation rules for a future handed to them. */
#include "testutil.h"

#include <math.h>
#include <unistd.h>

static void set_later(void *arg) {
    cio_future_set_result(arg, "late");
}

static cio_future *future_done_in(double seconds) {
    cio_future *f;
    assert_int_equal(cio_future_new(NULL, &f), 0);
    cio_call_later(cio_get_running_loop(), seconds, set_later, f, NULL);
    return f;
}

static cio_task *as_task(cio_future *f) {
    cio_task *t = NULL;
    assert_int_equal(cio_future_as_task(f, &t), 0);
    return t;
}

static void *gather_main(void *arg) {
    (void)arg;
    cio_future *done, *failed, *later = future_done_in(2);
    cio_future_new(NULL, &done);
    cio_future_new(NULL, &failed);
    cio_future_set_result(done, "now");
    cio_task *tasks[3] = {as_task(done), as_task(later), NULL};
    assert_true(cio_task_done(tasks[0])); /* eager: done when made */
    void *results[3];
    assert_int_equal(cio_gather(tasks, 2, results, NULL), 0);
    assert_string_equal(results[0], "now");
    assert_string_equal(results[1], "late");
    cio_future_set_error(failed, -EIO);
    tasks[0] = as_task(failed);
    int statuses[1];
    assert_int_equal(cio_gather(tasks, 1, results, statuses), 1);
    assert_int_equal(statuses[0], -EIO);
    cio_future_unref(done);
    cio_future_unref(failed);
    cio_future_unref(later);
    return NULL;
}

static void gather_takes_futures(void **state) {
    (void)state;
    assert_int_equal(test_run(gather_main, NULL, NULL, NULL), 0);
}

static void *timeouts_main(void *arg) {
    (void)arg;
    cio_future *never;
    cio_future_new(NULL, &never);
    assert_int_equal(cio_wait_for(as_task(never), 1, NULL), -ETIMEDOUT);
    assert_true(cio_future_cancelled(never)); /* as asyncio.wait_for does */
    cio_future_unref(never);

    cio_future *later = future_done_in(3);
    cio_task *t = as_task(later);
    cio_task_ref(t);
    cio_task *done_first[1];
    assert_int_equal(cio_wait(&t, 1, CIO_FIRST_COMPLETED, 1, done_first), 0); /* none in time */
    assert_false(cio_future_done(later)); /* wait cancels nothing */
    void *result;
    assert_int_equal(cio_shield(t, &result), 0);
    assert_string_equal(result, "late");
    cio_task_unref(t);
    cio_future_unref(later);
    return NULL;
}

static void wait_for_cancels_the_future_and_wait_does_not(void **state) {
    (void)state;
    assert_int_equal(test_run(timeouts_main, NULL, NULL, NULL), 0);
}

static cio_future *shielded;
static void *shields(void *arg) {
    (void)arg;
    return cio_fail(cio_shield(as_task(shielded), NULL));
}

static void *shield_main(void *arg) {
    (void)arg;
    shielded = future_done_in(5);
    cio_task *t = test_spawn(shields, NULL);
    cio_sleep(1);
    cio_task_cancel(t);
    assert_int_equal(cio_await(t, NULL), -ECANCELED);
    assert_false(cio_future_done(shielded)); /* left alone */
    cio_sleep(5);
    assert_true(cio_future_done(shielded) && !cio_future_cancelled(shielded));
    cio_future_unref(shielded);
    return NULL;
}

static void shield_leaves_the_future_alone(void **state) {
    (void)state;
    assert_int_equal(test_run(shield_main, NULL, NULL, NULL), 0);
}

static void *as_completed_main(void *arg) {
    (void)arg;
    cio_future *slow = future_done_in(2), *fast = future_done_in(1);
    cio_task *tasks[2] = {as_task(slow), as_task(fast)};
    cio_as_completed *it;
    assert_int_equal(cio_as_completed_new(tasks, 2, INFINITY, &it), 0);
    cio_task *next;
    assert_int_equal(cio_as_completed_next(it, &next), 1);
    assert_ptr_equal(next, tasks[1]);
    assert_int_equal(cio_as_completed_next(it, &next), 1);
    assert_ptr_equal(next, tasks[0]);
    cio_as_completed_free(it);
    cio_task_unref(tasks[0]);
    cio_task_unref(tasks[1]);
    cio_future_unref(slow);
    cio_future_unref(fast);
    return NULL;
}

static void as_completed_takes_futures(void **state) {
    (void)state;
    assert_int_equal(test_run(as_completed_main, NULL, NULL, NULL), 0);
}

static void *own_future_main(void *arg) {
    (void)arg;
    cio_task *t = test_spawn(gather_main, NULL);
    cio_task *same = as_task(cio_task_future(t));
    assert_ptr_equal(same, t); /* a task's own future: the task itself */
    cio_task_unref(same);
    assert_int_equal(cio_await(t, NULL), 0);
    int junk[8] = {0};
    cio_task *out = (cio_task *)junk;
    assert_int_equal(cio_future_as_task(NULL, &out), -EINVAL);
    assert_null(out);
    assert_int_equal(cio_future_as_task((cio_future *)junk, &out), -EINVAL);
    cio_future *f;
    cio_future_new(NULL, &f);
    assert_int_equal(cio_future_as_task(f, NULL), -EINVAL);
    cio_future_unref(f);
    return NULL;
}

static void a_tasks_future_and_bad_input(void **state) {
    (void)state;
    assert_int_equal(test_run(own_future_main, NULL, NULL, NULL), 0);
}

/* ---- thread-pool jobs as futures ---------------------------------------------------- */

static void *square(void *arg) {
    intptr_t n = (intptr_t)arg;
    return (void *)(n * n);
}

static void *failing_job(void *arg) {
    (void)arg;
    return cio_fail(-EIO);
}

static int discarded;
static void *slow_job(void *arg) {
    usleep(20000);
    return arg;
}
static void count_discard(void *arg, void *result) {
    /* result is 7 if the job ran, NULL if a closing loop's pool dropped it */
    if (arg == (void *)7 && (result == arg || !result)) discarded++;
}

static void *submit_main(void *arg) {
    (void)arg;
    cio_future *jobs[3];
    cio_task *tasks[3];
    for (intptr_t i = 0; i < 3; i++) {
        assert_int_equal(cio_executor_submit(NULL, square, (void *)(i + 2), NULL, &jobs[i]), 0);
        tasks[i] = as_task(jobs[i]);
    }
    void *results[3];
    assert_int_equal(cio_gather(tasks, 3, results, NULL), 0);
    assert_int_equal((intptr_t)results[0], 4);
    assert_int_equal((intptr_t)results[2], 16);
    for (int i = 0; i < 3; i++) cio_future_unref(jobs[i]);

    cio_future *f;
    assert_int_equal(cio_executor_submit(NULL, failing_job, NULL, NULL, &f), 0);
    assert_int_equal(cio_future_await(f, NULL), -EIO);
    cio_future_unref(f);

    discarded = 0;
    assert_int_equal(cio_executor_submit(NULL, slow_job, (void *)7, count_discard, &f), 0);
    cio_future_cancel(f); /* the job runs on; its result goes to discard */
    cio_future_unref(f);
    while (discarded == 0) cio_sleep(0.01);

    cio_executor *pool;
    assert_int_equal(cio_executor_new(1, &pool), 0);
    cio_executor_shutdown(pool, false);
    f = (cio_future *)&f;
    assert_int_equal(cio_executor_submit(pool, square, NULL, NULL, &f), -CIO_ESHUTDOWN);
    assert_null(f);
    cio_executor_free(pool);
    assert_int_equal(cio_executor_submit(NULL, NULL, NULL, NULL, &f), -EINVAL);
    assert_int_equal(cio_executor_submit(NULL, square, NULL, NULL, NULL), -EINVAL);
    return NULL;
}

static void pool_jobs_as_futures(void **state) {
    (void)state;
    assert_int_equal(test_run(submit_main, NULL, NULL, NULL), 0);
    cio_future *f;
    assert_int_equal(cio_executor_submit(NULL, square, NULL, NULL, &f), -EPERM); /* no loop */
}

static void *left_running(void *arg) {
    (void)arg;
    cio_future *f;
    assert_int_equal(cio_executor_submit(NULL, slow_job, (void *)7, count_discard, &f), 0);
    cio_future_unref(f);
    return NULL; /* the loop closes with the job in flight */
}

static void a_job_in_flight_at_loop_close_is_discarded(void **state) {
    (void)state;
    discarded = 0;
    assert_int_equal(test_run(left_running, NULL, NULL, NULL), 0);
    assert_int_equal(discarded, 1); /* run and waited for, or dropped unrun */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gather_takes_futures),
        cmocka_unit_test(wait_for_cancels_the_future_and_wait_does_not),
        cmocka_unit_test(shield_leaves_the_future_alone),
        cmocka_unit_test(as_completed_takes_futures),
        cmocka_unit_test(a_tasks_future_and_bad_input),
        cmocka_unit_test(pool_jobs_as_futures),
        cmocka_unit_test(a_job_in_flight_at_loop_close_is_discarded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
