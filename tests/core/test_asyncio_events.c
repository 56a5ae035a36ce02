/* CPython's own asyncio event-loop tests, ported (issue 19): where cio's
 * loop behaves as asyncio's (Lib/test/test_asyncio/test_events.py; each
 * test names the one it ports). */
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

struct order {
    cio_loop *loop;
    char seen[8][8];
    int count;
    int stop_at;
};

static struct order order;

static void record(void *arg) {
    snprintf(order.seen[order.count], sizeof order.seen[0], "%s", (const char *)arg);
    if (++order.count >= order.stop_at) cio_loop_stop(order.loop);
}

/* The result goes back through pthread_join: a cmocka assertion failing on
 * this thread would longjmp onto the test's stack from the wrong thread. */
static void *post_hello(void *arg) {
    (void)arg;
    return (void *)(intptr_t)cio_call_soon_threadsafe(order.loop, record, "hello");
}

/* test_call_soon_threadsafe: another thread's call_soon_threadsafe that came
 * first runs first, before a call_soon made after it. */
static void call_soon_threadsafe_keeps_order(void **state) {
    (void)state;
    memset(&order, 0, sizeof order);
    order.loop = test_loop_new();
    order.stop_at = 2;
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, post_hello, NULL), 0);
    void *posted;
    assert_int_equal(pthread_join(thread, &posted), 0);
    assert_int_equal((intptr_t)posted, 0);
    assert_int_equal(cio_call_soon(order.loop, record, "world", NULL), 0);
    assert_int_equal(cio_loop_run_forever(order.loop), 0);
    assert_int_equal(order.count, 2);
    assert_string_equal(order.seen[0], "hello");
    assert_string_equal(order.seen[1], "world");
    cio_loop_free(order.loop);
}

static void schedule_from_the_loop(void *arg) {
    (void)arg;
    assert_int_equal(cio_call_soon_threadsafe(order.loop, record, "hello"), 0);
    assert_int_equal(cio_call_soon(order.loop, record, "world", NULL), 0);
    assert_int_equal(cio_call_soon_threadsafe(order.loop, record, "again"), 0);
}

/* test_call_soon_threadsafe_same_thread: from the loop's own thread it is
 * call_soon: the order of scheduling is kept. */
static void call_soon_threadsafe_same_thread(void **state) {
    (void)state;
    memset(&order, 0, sizeof order);
    order.loop = test_loop_new();
    order.stop_at = 3;
    assert_int_equal(cio_call_soon(order.loop, schedule_from_the_loop, NULL, NULL), 0);
    assert_int_equal(cio_loop_run_forever(order.loop), 0);
    assert_int_equal(order.count, 3);
    assert_string_equal(order.seen[0], "hello");
    assert_string_equal(order.seen[1], "world");
    assert_string_equal(order.seen[2], "again");
    cio_loop_free(order.loop);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(call_soon_threadsafe_keeps_order),
        cmocka_unit_test(call_soon_threadsafe_same_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
