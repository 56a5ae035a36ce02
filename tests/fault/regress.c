/* tests/fault/regress.c - the hangs fault injection found, each failing the
 * exact call that caused it (tests/fault/fault.h). Built and run only in a
 * -DCIO_FAULT_INJECTION=ON build (make fault, and ctest in build-fault). */
#include "testutil.h"

#include "fault/fault.h"

#include <errno.h>

/* ---- src/core/timeout.c: the deadline timer could not be armed ---- */

static void *wait_in_scope(void *arg) {
    (void)arg;
    cio_event never;
    cio_event_init(&never);
    cio_timeout scope;
    /* The loop's timer heap is empty: arming the deadline grows it (realloc). */
    assert_int_equal(cio_fault_arm("realloc", 0), 0);
    assert_int_equal(cio_timeout_begin(&scope, 1.0), 0);
    int rc = cio_event_wait(&never); /* parked: only the deadline can end it */
    assert_int_equal(cio_timeout_end(&scope), -ETIMEDOUT);
    assert_true(cio_timeout_expired(&scope));
    return cio_fail(rc);
}

static void unarmed_deadline_times_out(void **state) {
    (void)state;
    assert_int_equal(test_run(wait_in_scope, NULL, NULL, NULL), -ETIMEDOUT);
    cio_fault_disarm();
}

/* ---- src/core/wakeup.c: the eventfd write of a threadsafe call failed ---- */

static void count_and_stop(void *arg) {
    int *ran = arg;
    if (++*ran == 2) cio_loop_stop(cio_get_running_loop());
}

static void failed_wakeup_is_reported_and_not_sticky(void **state) {
    (void)state;
    cio_loop *loop;
    assert_int_equal(cio_loop_new(NULL, &loop), 0); /* real clock: poll blocks */
    int ran = 0;
    assert_int_equal(cio_fault_arm("write", 0), 0);
    /* The call is refused (it will not run), and the next ones still wake
     * the loop (before the fix: 0, and no post ever woke it again). */
    assert_int_equal(cio_call_soon_threadsafe(loop, count_and_stop, &ran), -EIO);
    assert_int_equal(cio_call_soon_threadsafe(loop, count_and_stop, &ran), 0);
    assert_int_equal(cio_call_soon_threadsafe(loop, count_and_stop, &ran), 0);
    assert_int_equal(cio_loop_run_forever(loop), 0);
    assert_int_equal(ran, 2);
    cio_loop_free(loop);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unarmed_deadline_times_out),
        cmocka_unit_test(failed_wakeup_is_reported_and_not_sticky),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
