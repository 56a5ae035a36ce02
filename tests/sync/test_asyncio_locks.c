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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reset_barrier_while_tasks_draining),
        cmocka_unit_test(draining_blocks_arrivals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
