/* Condition: lock rules, wait_for, notify order, a shared lock, and the
 * re-acquire-even-when-interrupted rule for cancellation and timeouts. */
#include "testutil.h"

static cio_condition cond;
static int order[8], order_len;

/* Wait for one notification; note the order; check the lock came back. */
static void *wait_once(void *arg) {
    assert_int_equal(cio_condition_acquire(&cond), 0);
    int rc = cio_condition_wait(&cond);
    assert_true(cio_condition_locked(&cond)); /* held again, whatever rc */
    if (rc == 0) order[order_len++] = (int)(intptr_t)arg;
    if (rc == 0) rc = cio_yield(); /* shows a cancellation that came after */
    assert_int_equal(cio_condition_release(&cond), 0);
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void *basics(void *arg) {
    (void)arg;
    assert_int_equal(cio_condition_wait(&cond), -EPERM); /* lock not held */
    assert_int_equal(cio_condition_notify(&cond, 1), -EPERM);
    assert_int_equal(cio_condition_notify_all(&cond), -EPERM);
    assert_false(cio_condition_locked(&cond));
    assert_int_equal(cio_condition_acquire(&cond), 0);
    assert_true(cio_condition_locked(&cond));
    assert_int_equal(cio_condition_try_acquire(&cond), -EDEADLK);
    assert_int_equal(cio_condition_notify(&cond, 1), 0); /* nobody waits */
    assert_int_equal(cio_condition_notify(&cond, -1), -EINVAL);
    assert_int_equal(cio_condition_wait_for(&cond, NULL, NULL), -EINVAL);
    assert_int_equal(cio_condition_release(&cond), 0);
    assert_int_equal(cio_condition_release(&cond), -EPERM);
    return NULL;
}

static void condition_basics(void **state) {
    (void)state;
    assert_int_equal(cio_condition_init(&cond, NULL), 0);
    assert_int_equal(test_run(basics, NULL, NULL, NULL), 0);
    cio_lock zeroed = {0};
    assert_int_equal(cio_condition_init(&cond, &zeroed), -EINVAL);
    assert_int_equal(cio_condition_init(NULL, NULL), -EINVAL);
}

static void *notify_order(void *arg) {
    (void)arg;
    order_len = 0;
    cio_task *tasks[5];
    for (int i = 0; i < 5; i++) cio_create_task(wait_once, (void *)(intptr_t)i, &tasks[i]);
    assert_int_equal(cio_sleep(1.0), 0);
    assert_int_equal(cio_condition_acquire(&cond), 0);
    assert_int_equal(cio_condition_notify(&cond, 2), 2);
    assert_int_equal(cio_condition_release(&cond), 0);
    assert_int_equal(cio_await(tasks[0], NULL), 0);
    assert_int_equal(cio_await(tasks[1], NULL), 0);
    assert_int_equal(order_len, 2);
    assert_int_equal(cio_condition_acquire(&cond), 0);
    assert_int_equal(cio_condition_notify_all(&cond), 3);
    assert_int_equal(cio_condition_notify_all(&cond), 0);
    assert_int_equal(cio_condition_release(&cond), 0);
    for (int i = 2; i < 5; i++) assert_int_equal(cio_await(tasks[i], NULL), 0);
    assert_int_equal(order_len, 5);
    for (int i = 0; i < 5; i++) assert_int_equal(order[i], i);
    return NULL;
}

static void notify_wakes_in_fifo_order(void **state) {
    (void)state;
    assert_int_equal(cio_condition_init(&cond, NULL), 0);
    assert_int_equal(test_run(notify_order, NULL, NULL, NULL), 0);
}

/* ---- wait_for: a bounded buffer of counts ------------------------------------- */

static int available;

static bool something_available(void *arg) {
    (void)arg;
    return available > 0;
}

static void *consume(void *arg) {
    (void)arg;
    assert_int_equal(cio_condition_acquire(&cond), 0);
    int rc = cio_condition_wait_for(&cond, something_available, NULL);
    if (rc == 0) available--;
    assert_int_equal(cio_condition_release(&cond), 0);
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void *produce(void *arg) {
    (void)arg;
    available = 0;
    cio_task *consumers[3];
    for (int i = 0; i < 3; i++) cio_create_task(consume, NULL, &consumers[i]);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(cio_sleep(1.0), 0);
        assert_int_equal(cio_condition_acquire(&cond), 0);
        available++;
        /* Wake everyone: only one finds the item, the others wait again. */
        assert_int_equal(cio_condition_notify_all(&cond), 3 - i);
        assert_int_equal(cio_condition_release(&cond), 0);
    }
    for (int i = 0; i < 3; i++) assert_int_equal(cio_await(consumers[i], NULL), 0);
    assert_int_equal(available, 0);
    assert_true(test_now() == 3.0);
    return NULL;
}

static void wait_for_rechecks_the_predicate(void **state) {
    (void)state;
    assert_int_equal(cio_condition_init(&cond, NULL), 0);
    assert_int_equal(test_run(produce, NULL, NULL, NULL), 0);
}

static void *predicate_already_true(void *arg) {
    (void)arg;
    available = 1;
    assert_int_equal(cio_condition_wait_for(&cond, something_available, NULL),
                     -EPERM); /* no lock */
    assert_int_equal(cio_condition_acquire(&cond), 0);
    assert_int_equal(cio_condition_wait_for(&cond, something_available, NULL), 0);
    assert_true(test_now() == 0.0); /* did not wait */
    assert_int_equal(cio_condition_release(&cond), 0);
    return NULL;
}

static void wait_for_true_predicate_returns_at_once(void **state) {
    (void)state;
    assert_int_equal(cio_condition_init(&cond, NULL), 0);
    assert_int_equal(test_run(predicate_already_true, NULL, NULL, NULL), 0);
}

/* ---- cancellation and timeouts ------------------------------------------------ */

static void *cancel_waiter(void *arg) {
    (void)arg;
    order_len = 0;
    cio_task *a;
    assert_int_equal(cio_create_task(wait_once, (void *)1, &a), 0);
    cio_task *b;
    assert_int_equal(cio_create_task(wait_once, (void *)2, &b), 0);
    assert_int_equal(cio_sleep(1.0), 0);
    assert_int_equal(cio_condition_acquire(&cond), 0);
    assert_int_equal(cio_task_cancel(a), 0);
    assert_int_equal(cio_sleep(1.0), 0); /* a waits for the lock we hold */
    assert_false(cio_task_done(a));
    assert_int_equal(cio_condition_notify(&cond, 1), 1); /* goes to b, not lost on a */
    assert_int_equal(cio_condition_release(&cond), 0);
    assert_int_equal(cio_await(a, NULL), -ECANCELED);
    assert_int_equal(cio_await(b, NULL), 0);
    assert_int_equal(order_len, 1);
    assert_int_equal(order[0], 2);
    assert_false(cio_condition_locked(&cond));
    return NULL;
}

static void cancel_while_waiting_reacquires_and_passes_on(void **state) {
    (void)state;
    assert_int_equal(cio_condition_init(&cond, NULL), 0);
    assert_int_equal(test_run(cancel_waiter, NULL, NULL, NULL), 0);
}

static void *cancel_after_notify(void *arg) {
    (void)arg;
    order_len = 0;
    cio_task *a;
    assert_int_equal(cio_create_task(wait_once, (void *)1, &a), 0);
    assert_int_equal(cio_sleep(1.0), 0);
    assert_int_equal(cio_condition_acquire(&cond), 0);
    assert_int_equal(cio_condition_notify(&cond, 1), 1);
    assert_int_equal(cio_task_cancel(a), 0);
    assert_int_equal(cio_condition_release(&cond), 0);
    assert_int_equal(cio_await(a, NULL), -ECANCELED); /* at its next await */
    assert_int_equal(order_len, 1);                   /* but the wait returned 0 */
    assert_false(cio_condition_locked(&cond));
    return NULL;
}

static void cancel_after_notify_keeps_the_notification(void **state) {
    (void)state;
    assert_int_equal(cio_condition_init(&cond, NULL), 0);
    assert_int_equal(test_run(cancel_after_notify, NULL, NULL, NULL), 0);
}

static void *wait_with_timeout(void *arg) {
    (void)arg;
    assert_int_equal(cio_condition_acquire(&cond), 0);
    cio_timeout scope;
    assert_int_equal(cio_timeout_begin(&scope, 1.0), 0);
    int rc = cio_condition_wait(&cond);
    assert_true(test_now() == 3.0); /* returned only once the lock came back */
    assert_true(cio_condition_locked(&cond));
    assert_int_equal(cio_timeout_end(&scope), -ETIMEDOUT);
    assert_int_equal(cio_condition_release(&cond), 0);
    return cio_fail(rc);
}

static void *timeout(void *arg) {
    (void)arg;
    cio_task *a;
    assert_int_equal(cio_create_task(wait_with_timeout, NULL, &a), 0);
    assert_int_equal(cio_yield(), 0);
    assert_int_equal(cio_condition_acquire(&cond), 0);
    assert_int_equal(cio_sleep(3.0), 0); /* the deadline passes while we hold the lock */
    assert_int_equal(cio_condition_notify(&cond, 1), 0); /* a no longer waits */
    assert_int_equal(cio_condition_release(&cond), 0);
    assert_int_equal(cio_await(a, NULL), -ETIMEDOUT);
    return NULL;
}

static void timeout_reacquires_the_lock(void **state) {
    (void)state;
    assert_int_equal(cio_condition_init(&cond, NULL), 0);
    assert_int_equal(test_run(timeout, NULL, NULL, NULL), 0);
}

/* ---- a shared lock, callbacks ------------------------------------------------- */

static cio_lock shared;
static cio_condition other;

static void *shared_lock(void *arg) {
    (void)arg;
    order_len = 0;
    cio_task *a;
    assert_int_equal(cio_create_task(wait_once, (void *)1, &a), 0);
    assert_int_equal(cio_sleep(1.0), 0);
    assert_int_equal(cio_lock_acquire(&shared), 0);
    assert_true(cio_condition_locked(&other));             /* same lock */
    assert_int_equal(cio_condition_notify_all(&other), 0); /* a waits on cond, not other */
    assert_int_equal(cio_condition_notify_all(&cond), 1);
    assert_int_equal(cio_lock_release(&shared), 0);
    assert_int_equal(cio_await(a, NULL), 0);
    assert_int_equal(order_len, 1);
    return NULL;
}

static void conditions_share_a_lock(void **state) {
    (void)state;
    assert_int_equal(cio_lock_init(&shared), 0);
    assert_int_equal(cio_condition_init(&cond, &shared), 0);
    assert_int_equal(cio_condition_init(&other, &shared), 0);
    assert_int_equal(test_run(shared_lock, NULL, NULL, NULL), 0);
}

static int notified_from_callback;

static void notify_in_callback(void *arg) {
    (void)arg;
    assert_int_equal(cio_condition_notify(&cond, 1), -EPERM); /* lock not held */
    assert_int_equal(cio_condition_try_acquire(&cond), 0);
    notified_from_callback = cio_condition_notify(&cond, 1);
    assert_int_equal(cio_condition_release(&cond), 0);
}

static void *callbacks(void *arg) {
    (void)arg;
    order_len = 0;
    assert_int_equal(cio_call_later(cio_get_running_loop(), 2.0, notify_in_callback, NULL, NULL),
                     0);
    assert_int_equal(cio_condition_acquire(&cond), 0);
    assert_int_equal(cio_condition_wait(&cond), 0);
    assert_true(test_now() == 2.0);
    assert_int_equal(notified_from_callback, 1);
    assert_int_equal(cio_condition_release(&cond), 0);
    return NULL;
}

static void notify_from_a_callback(void **state) {
    (void)state;
    assert_int_equal(cio_condition_init(&cond, NULL), 0);
    assert_int_equal(test_run(callbacks, NULL, NULL, NULL), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(condition_basics),
        cmocka_unit_test(notify_wakes_in_fifo_order),
        cmocka_unit_test(wait_for_rechecks_the_predicate),
        cmocka_unit_test(wait_for_true_predicate_returns_at_once),
        cmocka_unit_test(cancel_while_waiting_reacquires_and_passes_on),
        cmocka_unit_test(cancel_after_notify_keeps_the_notification),
        cmocka_unit_test(timeout_reacquires_the_lock),
        cmocka_unit_test(conditions_share_a_lock),
        cmocka_unit_test(notify_from_a_callback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
