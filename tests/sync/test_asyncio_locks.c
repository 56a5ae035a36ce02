/* CPython's own asyncio lock tests, ported (issue 19): where cio's sync
 * primitives behave as asyncio's, and where they differ on purpose
 * (docs/asyncio-differences.md). Lib/test/test_asyncio/test_locks.py; each
 * test names the one it ports. Virtual clock. */
#include "testutil.h"

#include <stdint.h>

#define N 5

static cio_barrier barrier;
static int count, results1, results2, results3;

/* test_reset_barrier_while_tasks_draining's coro. */
static void *draining_party(void *arg) {
    (void)arg;
    if (cio_barrier_wait(&barrier) < 0) return cio_fail(-EIO);
    if (++count == N) { /* the last task out of the barrier */
        assert_int_equal(cio_barrier_reset(&barrier), 0);
        if (cio_barrier_wait(&barrier) < 0) return cio_fail(-EIO);
    } else if (cio_barrier_wait(&barrier) >= 0) { /* waits again at once */
        results1++;
    } else {
        results2++; /* never: the re-waiters join the round after the draining */
    }
    if (cio_barrier_wait(&barrier) < 0) return cio_fail(-EIO); /* the last round */
    results3++;
    return NULL;
}

/* BarrierTests.test_reset_barrier_while_tasks_draining: a task that passes
 * and waits again joins the next round only once every released task is
 * out, so a reset by the last one out breaks nobody. */
static void *reset_while_draining_main(void *arg) {
    (void)arg;
    assert_int_equal(cio_barrier_init(&barrier, N), 0);
    count = results1 = results2 = results3 = 0;
    cio_task *tasks[N];
    for (int i = 0; i < N; i++) tasks[i] = test_spawn(draining_party, NULL);
    assert_int_equal(cio_gather(tasks, N, NULL, NULL), 0);
    assert_false(cio_barrier_broken(&barrier));
    assert_int_equal(results1, N - 1);
    assert_int_equal(results2, 0);
    assert_int_equal(results3, N);
    assert_int_equal(cio_barrier_n_waiting(&barrier), 0);
    return NULL;
}

static void reset_barrier_while_tasks_draining(void **state) {
    (void)state;
    assert_int_equal(test_run(reset_while_draining_main, NULL, NULL, NULL), 0);
}

static void *wait_once(void *arg) {
    (void)arg;
    int rc = cio_barrier_wait(&barrier);
    return rc < 0 ? cio_fail(rc) : (void *)(intptr_t)rc;
}

static void *abort_barrier(void *arg) {
    (void)arg;
    assert_int_equal(cio_barrier_abort(&barrier), 0);
    return NULL;
}

/* BarrierTests.test_repr's states: while the released tasks drain, a new
 * arrival waits uncounted (n_waiting 0); once they are out it counts. An
 * abort sends such a blocked arrival away broken, while a released task
 * keeps its index (the hand-off rule). */
static void *draining_blocks_arrivals_main(void *arg) {
    (void)arg;
    assert_int_equal(cio_barrier_init(&barrier, 2), 0);
    cio_task *a = test_spawn(wait_once, NULL);
    cio_task_ref(a);
    assert_int_equal(cio_yield(), 0); /* a waits */
    cio_task *b = test_spawn(wait_once, NULL);
    cio_task_ref(b);
    assert_int_equal(cio_barrier_wait(&barrier), 1); /* trips: a released, queued after b */
    assert_int_equal(cio_yield(), 0);                /* b arrives blocked, then a is out */
    assert_true(cio_task_done(a));
    assert_int_equal(cio_barrier_n_waiting(&barrier), 0); /* b blocked, not counted */
    assert_int_equal(cio_yield(), 0);                     /* b arrives again: counted now */
    assert_int_equal(cio_barrier_n_waiting(&barrier), 1);

    cio_task *c = test_spawn(wait_once, NULL);
    cio_task_ref(c);
    cio_task *d = test_spawn(abort_barrier, NULL);
    assert_int_equal(cio_barrier_wait(&barrier), 1);    /* trips: b released, after c and d */
    assert_int_equal(cio_await(c, NULL), -CIO_EBROKEN); /* blocked, then d aborted */
    void *result;
    assert_int_equal(cio_await(b, &result), 0); /* released before the abort: keeps it */
    assert_int_equal((intptr_t)result, 0);
    assert_int_equal(cio_await(a, &result), 0);
    assert_int_equal((intptr_t)result, 0);
    assert_int_equal(cio_await(d, NULL), 0);
    cio_task_unref(a);
    cio_task_unref(b);
    cio_task_unref(c);
    return NULL;
}

static void draining_blocks_arrivals(void **state) {
    (void)state;
    assert_int_equal(test_run(draining_blocks_arrivals_main, NULL, NULL, NULL), 0);
}

/* ---- Condition ------------------------------------------------------------------- */

static cio_condition cond;
static int items;

static bool item_or_end(void *arg) {
    (void)arg;
    return items != 0;
}

static bool consumed(void *arg) {
    (void)arg;
    return items == 0;
}

/* async with condition: while True: await wait_for(state != 0); if state < 0:
 * return; state -= 1 */
static void *consumer(void *arg) {
    (void)arg;
    int rc = cio_condition_acquire(&cond);
    while (rc == 0) {
        rc = cio_condition_wait_for(&cond, item_or_end, NULL);
        if (rc < 0 || items < 0) break;
        items--;
    }
    cio_condition_release(&cond);
    return rc < 0 ? cio_fail(rc) : NULL;
}

/* ConditionTests.test_cancelled_wakeup: a consumer cancelled right after it
 * was notified does not lose the wake-up. asyncio passes it to the other
 * consumer; cio's hand-off rule lets the notified one keep it (its wait
 * returns 0 and it takes the item), and the cancellation ends it at its
 * next wait. Either way the item is consumed. */
static void *cancelled_wakeup_main(void *arg) {
    (void)arg;
    assert_int_equal(cio_condition_init(&cond, NULL), 0);
    items = 0;
    cio_task *c0 = test_spawn(consumer, NULL);
    cio_task *c1 = test_spawn(consumer, NULL);
    assert_int_equal(cio_yield(), 0); /* both wait */
    assert_int_equal(cio_condition_acquire(&cond), 0);
    items++;
    assert_int_equal(cio_condition_notify(&cond, 1), 1);
    assert_int_equal(cio_task_cancel(c0), 0); /* while it waits to run */
    cio_timeout scope;
    assert_int_equal(cio_timeout_begin(&scope, 0.01), 0);
    int rc = cio_condition_wait_for(&cond, consumed, NULL);
    assert_true(rc == 0 || rc == -ETIMEDOUT);
    cio_timeout_end(&scope);
    assert_int_equal(items, 0); /* the notify took hold */
    items = -1;
    cio_condition_notify_all(&cond);
    assert_int_equal(cio_condition_release(&cond), 0);
    assert_int_equal(cio_await(c0, NULL), -ECANCELED);
    assert_int_equal(cio_await(c1, NULL), 0);
    return NULL;
}

static void cancelled_wakeup(void **state) {
    (void)state;
    assert_int_equal(test_run(cancelled_wakeup_main, NULL, NULL, NULL), 0);
}

static void *wait_once_notified(void *arg) {
    (void)arg;
    int rc = cio_condition_acquire(&cond);
    if (rc == 0) rc = cio_condition_wait(&cond);
    cio_condition_release(&cond);
    return rc < 0 ? cio_fail(rc) : (void *)(intptr_t)1;
}

/* A waiter notified and then cancelled before it runs: its wait returns 0
 * (the hand-off rule), and, returning before any await sees the
 * cancellation, it ends cancelled, as asyncio's (test_cancel_at_end's rule),
 * its value still handed over. */
static void *notified_then_cancelled_main(void *arg) {
    (void)arg;
    assert_int_equal(cio_condition_init(&cond, NULL), 0);
    cio_task *waiter = test_spawn(wait_once_notified, NULL);
    assert_int_equal(cio_yield(), 0);
    assert_int_equal(cio_condition_acquire(&cond), 0);
    assert_int_equal(cio_condition_notify(&cond, 1), 1);
    assert_int_equal(cio_task_cancel(waiter), 0);
    assert_int_equal(cio_condition_release(&cond), 0);
    void *result = NULL;
    assert_int_equal(cio_await(waiter, &result), -ECANCELED);
    assert_int_equal((intptr_t)result, 1);
    return NULL;
}

static void notified_then_cancelled(void **state) {
    (void)state;
    assert_int_equal(test_run(notified_then_cancelled_main, NULL, NULL, NULL), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reset_barrier_while_tasks_draining),
        cmocka_unit_test(draining_blocks_arrivals),
        cmocka_unit_test(cancelled_wakeup),
        cmocka_unit_test(notified_then_cancelled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
