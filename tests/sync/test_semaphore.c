/* Semaphore and BoundedSemaphore: counting, FIFO hand-off, bound
 * violations, cancellation and timeouts while waiting, callbacks. */
#include "testutil.h"

#include <limits.h>

static cio_semaphore sem;
static int order[8], order_len;

static void *acquire_noting(void *arg) {
    int rc = cio_semaphore_acquire(&sem);
    if (rc < 0) return cio_fail(rc);
    order[order_len++] = (int)(intptr_t)arg;
    rc = cio_yield(); /* shows a cancellation that came after the hand-off */
    assert_int_equal(cio_semaphore_release(&sem), 0);
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void *basics(void *arg) {
    (void)arg;
    assert_int_equal(cio_semaphore_value(&sem), 2);
    assert_false(cio_semaphore_locked(&sem));
    assert_int_equal(cio_semaphore_acquire(&sem), 0);
    assert_int_equal(cio_semaphore_try_acquire(&sem), 0);
    assert_true(cio_semaphore_locked(&sem));
    assert_int_equal(cio_semaphore_try_acquire(&sem), -EAGAIN);
    assert_int_equal(cio_semaphore_value(&sem), 0);
    assert_int_equal(cio_semaphore_release(&sem), 0);
    assert_int_equal(cio_semaphore_release(&sem), 0);
    assert_int_equal(cio_semaphore_release(&sem), 0); /* unbounded: a third is fine */
    assert_int_equal(cio_semaphore_value(&sem), 3);
    assert_true(test_now() == 0.0);
    return NULL;
}

static void semaphore_basics(void **state) {
    (void)state;
    assert_int_equal(cio_semaphore_init(&sem, 2), 0);
    assert_int_equal(test_run(basics, NULL, NULL, NULL), 0);
    assert_int_equal(cio_semaphore_init(&sem, -1), -EINVAL);
    assert_int_equal(cio_bounded_semaphore_init(&sem, -1), -EINVAL);
    assert_int_equal(cio_semaphore_init(NULL, 1), -EINVAL);
}

static void *bounded(void *arg) {
    (void)arg;
    assert_int_equal(cio_semaphore_release(&sem), -EOVERFLOW);
    assert_int_equal(cio_semaphore_value(&sem), 1);
    assert_int_equal(cio_semaphore_acquire(&sem), 0);
    assert_int_equal(cio_semaphore_release(&sem), 0);
    assert_int_equal(cio_semaphore_release(&sem), -EOVERFLOW);
    assert_int_equal(cio_semaphore_value(&sem), 1);
    return NULL;
}

static void bounded_release_past_the_bound_is_eoverflow(void **state) {
    (void)state;
    assert_int_equal(cio_bounded_semaphore_init(&sem, 1), 0);
    assert_int_equal(test_run(bounded, NULL, NULL, NULL), 0);
}

static void *at_int_max(void *arg) {
    (void)arg;
    assert_int_equal(cio_semaphore_release(&sem), -EOVERFLOW);
    assert_int_equal(cio_semaphore_value(&sem), INT_MAX);
    return NULL;
}

static void plain_release_past_int_max_is_eoverflow(void **state) {
    (void)state;
    assert_int_equal(cio_semaphore_init(&sem, INT_MAX), 0);
    assert_int_equal(test_run(at_int_max, NULL, NULL, NULL), 0);
}

static void *fifo(void *arg) {
    (void)arg;
    order_len = 0;
    cio_task *tasks[5];
    for (int i = 0; i < 5; i++) cio_create_task(acquire_noting, (void *)(intptr_t)i, &tasks[i]);
    assert_int_equal(cio_sleep(1.0), 0);
    assert_int_equal(order_len, 0);
    assert_int_equal(cio_semaphore_release(&sem), 0);
    assert_int_equal(cio_semaphore_value(&sem), 0);             /* handed to task 0 */
    assert_int_equal(cio_semaphore_try_acquire(&sem), -EAGAIN); /* no overtaking */
    for (int i = 0; i < 5; i++) assert_int_equal(cio_await(tasks[i], NULL), 0);
    for (int i = 0; i < 5; i++) assert_int_equal(order[i], i);
    assert_int_equal(cio_semaphore_value(&sem), 1); /* the one permit, passed along */
    return NULL;
}

static void waiters_served_in_fifo_order(void **state) {
    (void)state;
    assert_int_equal(cio_semaphore_init(&sem, 0), 0);
    assert_int_equal(test_run(fifo, NULL, NULL, NULL), 0);
}

/* ---- cancellation and timeouts ------------------------------------------------ */

static void *cancel_waiter(void *arg) {
    (void)arg;
    order_len = 0;
    cio_task *a;
    assert_int_equal(cio_create_task(acquire_noting, (void *)1, &a), 0);
    cio_task *b;
    assert_int_equal(cio_create_task(acquire_noting, (void *)2, &b), 0);
    assert_int_equal(cio_sleep(1.0), 0);
    assert_int_equal(cio_task_cancel(a), 0);
    assert_int_equal(cio_await(a, NULL), -ECANCELED);
    assert_int_equal(cio_semaphore_release(&sem), 0); /* b is next */
    assert_int_equal(cio_await(b, NULL), 0);
    assert_int_equal(order_len, 1);
    assert_int_equal(order[0], 2);
    assert_int_equal(cio_semaphore_value(&sem), 1); /* nothing leaked, nothing lost */
    return NULL;
}

static void cancel_while_waiting_wakes_next(void **state) {
    (void)state;
    assert_int_equal(cio_semaphore_init(&sem, 0), 0);
    assert_int_equal(test_run(cancel_waiter, NULL, NULL, NULL), 0);
}

static void *cancel_after_handoff(void *arg) {
    (void)arg;
    order_len = 0;
    cio_task *a;
    assert_int_equal(cio_create_task(acquire_noting, (void *)1, &a), 0);
    assert_int_equal(cio_yield(), 0);
    assert_int_equal(cio_semaphore_release(&sem), 0);
    assert_int_equal(cio_task_cancel(a), 0);
    assert_int_equal(cio_await(a, NULL), -ECANCELED);
    assert_int_equal(order_len, 1);                 /* it got the permit... */
    assert_int_equal(cio_semaphore_value(&sem), 1); /* ...and gave it back */
    return NULL;
}

static void cancelled_after_handoff_keeps_the_permit(void **state) {
    (void)state;
    assert_int_equal(cio_bounded_semaphore_init(&sem, 1), 0);
    assert_int_equal(cio_semaphore_try_acquire(&sem), 0); /* outside any loop: unbound */
    assert_int_equal(test_run(cancel_after_handoff, NULL, NULL, NULL), 0);
}

static void *acquire_with_timeout(void *arg) {
    (void)arg;
    cio_timeout scope;
    assert_int_equal(cio_timeout_begin(&scope, 2.0), 0);
    int rc = cio_semaphore_acquire(&sem);
    assert_int_equal(cio_timeout_end(&scope), -ETIMEDOUT);
    assert_true(test_now() == 2.0);
    return cio_fail(rc);
}

static void *timeout(void *arg) {
    (void)arg;
    assert_int_equal(cio_await(test_spawn(acquire_with_timeout, NULL), NULL), -ETIMEDOUT);
    assert_int_equal(cio_semaphore_release(&sem), 0);
    assert_int_equal(cio_semaphore_value(&sem), 1); /* the timed-out waiter took nothing */
    return NULL;
}

static void acquire_times_out_in_scope(void **state) {
    (void)state;
    assert_int_equal(cio_semaphore_init(&sem, 0), 0);
    assert_int_equal(test_run(timeout, NULL, NULL, NULL), 0);
}

/* ---- callbacks ---------------------------------------------------------------- */

static int callback_rc[2];

static void release_in_callback(void *arg) {
    (void)arg;
    callback_rc[0] = cio_semaphore_release(&sem);
    callback_rc[1] = cio_semaphore_acquire(&sem); /* suspending: tasks only */
}

static void *callbacks(void *arg) {
    (void)arg;
    assert_int_equal(cio_call_later(cio_get_running_loop(), 1.0, release_in_callback, NULL, NULL),
                     0);
    assert_int_equal(cio_semaphore_acquire(&sem), 0);
    assert_true(test_now() == 1.0);
    assert_int_equal(callback_rc[0], 0);
    assert_int_equal(callback_rc[1], -EPERM);
    return NULL;
}

static void release_from_a_callback(void **state) {
    (void)state;
    assert_int_equal(cio_semaphore_init(&sem, 0), 0);
    assert_int_equal(test_run(callbacks, NULL, NULL, NULL), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(semaphore_basics),
        cmocka_unit_test(bounded_release_past_the_bound_is_eoverflow),
        cmocka_unit_test(plain_release_past_int_max_is_eoverflow),
        cmocka_unit_test(waiters_served_in_fifo_order),
        cmocka_unit_test(cancel_while_waiting_wakes_next),
        cmocka_unit_test(cancelled_after_handoff_keeps_the_permit),
        cmocka_unit_test(acquire_times_out_in_scope),
        cmocka_unit_test(release_from_a_callback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
