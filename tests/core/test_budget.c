/* The cooperative budget (issue 11.2): a task whose operations always
 * complete at once still lets timers and other tasks run. Virtual clock. */
#include "testutil.h"

#define SPINS 100000

static int spins;
static int spins_when_fired = -1;
static double fired_at = -1;

static void on_timer(void *arg) {
    (void)arg;
    spins_when_fired = spins;
    fired_at = test_now();
}

static void *set_timer(void *arg) {
    (void)arg;
    cio_call_later(cio_get_running_loop(), 0.010, on_timer, NULL, NULL);
    return NULL;
}

/* Wakes at 10 ms together with the timer (its sleep's timer is first in
 * line), then awaits a done future over and over: never suspends by itself. */
static void *spin_main(void *arg) {
    (void)arg;
    cio_future *done;
    assert_int_equal(cio_future_new(NULL, &done), 0);
    cio_future_set_result(done, NULL);
    cio_task *timer_setter = test_spawn(set_timer, NULL);
    assert_int_equal(cio_sleep(0.010), 0);
    for (spins = 0; spins < SPINS; spins++) assert_int_equal(cio_future_await(done, NULL), 0);
    cio_future_unref(done);
    assert_int_equal(cio_await(timer_setter, NULL), 0);
    return NULL;
}

static void timer_fires_while_a_task_spins(void **state) {
    (void)state;
    assert_int_equal(test_run(spin_main, NULL, NULL, NULL), 0);
    assert_true(fired_at == 0.010);
    assert_in_range(spins_when_fired, 0, 2 * 128);
}

static int ticks;
static void *ticker(void *arg) {
    int *stop = arg;
    while (!*stop && cio_yield() == 0) ticks++;
    return NULL;
}

/* Two tasks: one spinning on completed awaits, one yielding. The yielding
 * one runs about once per 128 of the other's operations. */
static void *share_main(void *arg) {
    (void)arg;
    int stop = 0;
    cio_future *done;
    cio_future_new(NULL, &done);
    cio_future_set_result(done, NULL);
    cio_task *other = test_spawn(ticker, &stop);
    for (int i = 0; i < 128 * 100; i++) cio_future_await(done, NULL);
    stop = 1;
    cio_future_unref(done);
    assert_int_equal(cio_await(other, NULL), 0);
    return NULL;
}

static void other_tasks_get_turns(void **state) {
    (void)state;
    ticks = 0;
    assert_int_equal(test_run(share_main, NULL, NULL, NULL), 0);
    assert_in_range(ticks, 90, 110);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(timer_fires_while_a_task_spins),
        cmocka_unit_test(other_tasks_get_turns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
