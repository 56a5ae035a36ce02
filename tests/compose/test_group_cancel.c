/* cio_taskgroup_cancel (asyncio 3.14's TaskGroup.cancel): children and the
 * parent's body cancelled, the join ends gracefully (0), new children
 * refused, a real failure still wins, no-op once joined. */
#include "testutil.h"

static int cancelled_children;

static void *sleeper(void *arg) {
    int rc = cio_sleep(arg ? *(double *)arg : 10);
    if (rc == -ECANCELED) cancelled_children++;
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void *cancel_from_body(void *arg) {
    (void)arg;
    cancelled_children = 0;
    cio_taskgroup *tg;
    assert_int_equal(cio_taskgroup_new(&tg), 0);
    cio_taskgroup_create_task(tg, sleeper, NULL, NULL);
    cio_taskgroup_create_task(tg, sleeper, NULL, NULL);
    cio_sleep(1);
    assert_int_equal(cio_taskgroup_cancel(tg), 0);
    assert_int_equal(cio_taskgroup_cancel(tg), -EALREADY); /* already shutting down */
    assert_int_equal(cio_sleep(1), -ECANCELED);            /* the body is cancelled too */
    assert_int_equal(cio_taskgroup_create_task(tg, sleeper, NULL, NULL), -ECANCELED);
    assert_int_equal(cio_taskgroup_join(tg), 0); /* graceful */
    assert_int_equal(cio_task_cancelling(cio_current_task()), 0);
    assert_int_equal(cio_sleep(1), 0); /* the cancellation was withdrawn */
    assert_int_equal(cancelled_children, 2);
    cio_taskgroup_result out[2];
    assert_int_equal(cio_taskgroup_results(tg, out, 2), 2);
    assert_int_equal(out[0].status, -ECANCELED);
    assert_int_equal(cio_taskgroup_cancel(tg), -EALREADY); /* joined */
    cio_taskgroup_free(tg);
    return NULL;
}

static void cancel_from_the_body_ends_the_group_gracefully(void **state) {
    (void)state;
    double elapsed;
    assert_int_equal(test_run(cancel_from_body, NULL, NULL, &elapsed), 0);
    assert_true(elapsed < 5);
}

static cio_taskgroup *shared;
static void *canceller(void *arg) {
    cio_sleep(*(double *)arg);
    return (void *)(intptr_t)cio_taskgroup_cancel(shared);
}

static void *cancel_while_joining(void *arg) {
    (void)arg;
    cancelled_children = 0;
    assert_int_equal(cio_taskgroup_new(&shared), 0);
    double when = 2;
    cio_taskgroup_create_task(shared, sleeper, NULL, NULL);
    cio_task *c;
    cio_taskgroup_create_task(shared, canceller, &when, &c);
    assert_int_equal(cio_taskgroup_join(shared), 0);
    assert_int_equal(test_now(), 2);
    void *rc;
    cio_task_result(c, &rc);
    assert_int_equal((int)(intptr_t)rc, 0);
    assert_int_equal(cancelled_children, 1);
    cio_taskgroup_free(shared);
    return NULL;
}

static void cancel_from_a_child_while_joining(void **state) {
    (void)state;
    assert_int_equal(test_run(cancel_while_joining, NULL, NULL, NULL), 0);
}

static void *fails_on_cancel(void *arg) {
    (void)arg;
    cio_sleep(10);
    return cio_fail(-EIO); /* an error of its own while being cancelled */
}

static void *failure_wins(void *arg) {
    (void)arg;
    cio_taskgroup *tg;
    cio_taskgroup_new(&tg);
    cio_taskgroup_create_task(tg, fails_on_cancel, NULL, NULL);
    cio_sleep(1);
    cio_taskgroup_cancel(tg);
    assert_int_equal(cio_taskgroup_join(tg), -EIO);
    cio_taskgroup_free(tg);
    return NULL;
}

static void a_child_error_still_wins(void **state) {
    (void)state;
    assert_int_equal(test_run(failure_wins, NULL, NULL, NULL), 0);
}

static void bad_groups(void **state) {
    (void)state;
    assert_int_equal(cio_taskgroup_cancel(NULL), -EINVAL);
    int junk[16] = {0};
    assert_int_equal(cio_taskgroup_cancel((cio_taskgroup *)junk), -EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cancel_from_the_body_ends_the_group_gracefully),
        cmocka_unit_test(cancel_from_a_child_while_joining),
        cmocka_unit_test(a_child_error_still_wins),
        cmocka_unit_test(bad_groups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
