/* Event: set/clear/wait, wake-up order (10k waiters), cancellation and
 * timeouts while waiting, setting from callbacks and before the loop runs. */
#include "testutil.h"

static cio_event event;
static int woken;

/* Wait, then check that waiters resume in the order they began to wait. */
static void *wait_in_order(void *arg) {
    int rc = cio_event_wait(&event);
    if (rc < 0) return cio_fail(rc);
    assert_int_equal((int)(intptr_t)arg, woken);
    woken++;
    return NULL;
}

static void *basics(void *arg) {
    (void)arg;
    assert_false(cio_event_is_set(&event));
    assert_int_equal(cio_event_set(&event), 0);
    assert_true(cio_event_is_set(&event));
    assert_int_equal(cio_event_set(&event), 0);  /* again: nothing changes */
    assert_int_equal(cio_event_wait(&event), 0); /* set: returns at once */
    assert_int_equal(cio_event_clear(&event), 0);
    assert_false(cio_event_is_set(&event));
    assert_true(test_now() == 0.0);
    return NULL;
}

static void event_basics(void **state) {
    (void)state;
    assert_int_equal(cio_event_init(&event), 0);
    assert_int_equal(test_run(basics, NULL, NULL, NULL), 0);
}

static void *set_then_clear(void *arg) {
    (void)arg;
    woken = 0;
    cio_task *tasks[3];
    for (int i = 0; i < 3; i++) cio_create_task(wait_in_order, (void *)(intptr_t)i, &tasks[i]);
    assert_int_equal(cio_sleep(1.0), 0);
    assert_int_equal(woken, 0);
    assert_int_equal(cio_event_set(&event), 0);
    assert_int_equal(cio_event_clear(&event), 0); /* before the waiters run */
    for (int i = 0; i < 3; i++) assert_int_equal(cio_await(tasks[i], NULL), 0);
    assert_int_equal(woken, 3); /* all of them returned 0 anyway */
    assert_true(test_now() == 1.0);
    return NULL;
}

static void set_wakes_everyone_even_if_cleared(void **state) {
    (void)state;
    assert_int_equal(cio_event_init(&event), 0);
    assert_int_equal(test_run(set_then_clear, NULL, NULL, NULL), 0);
}

enum { MANY = 10000 };

static void *ten_thousand(void *arg) {
    (void)arg;
    woken = 0;
    static cio_task *tasks[MANY];
    int many = test_scaled(MANY, 100); /* load: the order is what is checked */
    for (int i = 0; i < many; i++) {
        assert_int_equal(cio_create_task(wait_in_order, (void *)(intptr_t)i, &tasks[i]), 0);
        assert_non_null(tasks[i]);
    }
    assert_int_equal(cio_sleep(1.0), 0);
    assert_int_equal(woken, 0);
    assert_int_equal(cio_event_set(&event), 0);
    for (int i = 0; i < many; i++) assert_int_equal(cio_await(tasks[i], NULL), 0);
    assert_int_equal(woken, many);
    return NULL;
}

static void ten_thousand_waiters_released_in_order(void **state) {
    (void)state;
    assert_int_equal(cio_event_init(&event), 0);
    assert_int_equal(test_run(ten_thousand, NULL, NULL, NULL), 0);
}

/* ---- cancellation and timeouts ------------------------------------------------ */

static void *wait_counting(void *arg) {
    (void)arg;
    int rc = cio_event_wait(&event);
    if (rc == 0) {
        woken++;
        rc = cio_yield(); /* where a cancellation after the wake-up shows */
    }
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void *cancel_one(void *arg) {
    (void)arg;
    woken = 0;
    cio_task *a;
    assert_int_equal(cio_create_task(wait_counting, NULL, &a), 0);
    cio_task *b;
    assert_int_equal(cio_create_task(wait_counting, NULL, &b), 0);
    cio_task *c;
    assert_int_equal(cio_create_task(wait_counting, NULL, &c), 0);
    assert_int_equal(cio_sleep(1.0), 0);
    assert_int_equal(cio_task_cancel(b), 0);
    assert_int_equal(cio_await(b, NULL), -ECANCELED);
    assert_int_equal(cio_event_set(&event), 0);
    assert_int_equal(cio_await(a, NULL), 0);
    assert_int_equal(cio_await(c, NULL), 0);
    assert_int_equal(woken, 2);
    return NULL;
}

static void cancel_while_waiting(void **state) {
    (void)state;
    assert_int_equal(cio_event_init(&event), 0);
    assert_int_equal(test_run(cancel_one, NULL, NULL, NULL), 0);
}

/* Set, then cancelled before it runs: the wait still returns 0. */
static void *cancel_after_set(void *arg) {
    (void)arg;
    woken = 0;
    cio_task *a;
    assert_int_equal(cio_create_task(wait_counting, NULL, &a), 0);
    assert_int_equal(cio_yield(), 0);
    assert_int_equal(cio_event_set(&event), 0);
    assert_int_equal(cio_task_cancel(a), 0);
    assert_int_equal(cio_await(a, NULL), -ECANCELED); /* seen at the next await... */
    assert_int_equal(woken, 1);                       /* ...its wait returned 0 */
    return NULL;
}

static void cancelled_after_set_still_woken(void **state) {
    (void)state;
    assert_int_equal(cio_event_init(&event), 0);
    assert_int_equal(test_run(cancel_after_set, NULL, NULL, NULL), 0);
}

static void set_event(void *arg) {
    assert_int_equal(cio_event_set(arg), 0);
}

static void *timed_wait(void *arg) {
    (void)arg;
    cio_timeout scope;
    assert_int_equal(cio_timeout_begin(&scope, 1.5), 0);
    assert_int_equal(cio_event_wait(&event), -ETIMEDOUT);
    assert_int_equal(cio_timeout_end(&scope), -ETIMEDOUT);
    assert_true(test_now() == 1.5);
    assert_int_equal(cio_timeout_begin(&scope, 1.5), 0);
    assert_int_equal(cio_call_later(cio_get_running_loop(), 1.0, set_event, &event, NULL), 0);
    assert_int_equal(cio_event_wait(&event), 0); /* set by a callback in time */
    assert_int_equal(cio_timeout_end(&scope), 0);
    assert_true(test_now() == 2.5);
    return NULL;
}

static void wait_times_out_in_scope(void **state) {
    (void)state;
    assert_int_equal(cio_event_init(&event), 0);
    assert_int_equal(test_run(timed_wait, NULL, NULL, NULL), 0);
}

static void *wait_once(void *arg) {
    (void)arg;
    assert_int_equal(cio_event_wait(&event), 0);
    assert_true(test_now() == 0.0);
    return NULL;
}

static void set_before_the_loop_runs(void **state) {
    (void)state;
    assert_int_equal(cio_event_init(&event), 0);
    assert_int_equal(cio_event_set(&event), 0); /* unbound, no loop: allowed */
    assert_int_equal(test_run(wait_once, NULL, NULL, NULL), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(event_basics),
        cmocka_unit_test(set_wakes_everyone_even_if_cleared),
        cmocka_unit_test(ten_thousand_waiters_released_in_order),
        cmocka_unit_test(cancel_while_waiting),
        cmocka_unit_test(cancelled_after_set_still_woken),
        cmocka_unit_test(wait_times_out_in_scope),
        cmocka_unit_test(set_before_the_loop_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
