/* tests/fault/regress.c - the hangs fault injection found, each failing the
 * exact call that caused it (tests/fault/fault.h). Built and run only in a
 * -DCIO_FAULT_INJECTION=ON build (make fault, and ctest in build-fault). */
#include "testutil.h"

#include "fault/fault.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

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

/* ---- src/net/pipe.c: the SIGPIPE of a failed write could not be taken back ---- */

static void *write_to_closed_pipe(void *arg) {
    (void)arg;
    int fds[2];
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    close(fds[0]);
    cio_stream *writer;
    assert_int_equal(cio_stream_from_fd(fds[1], 0, &writer), 0);
    assert_int_equal(cio_fault_arm("sigtimedwait", 0), 0); /* fails with EINTR */
    int rc = cio_stream_write(writer, "x", 1);             /* written at once: -EPIPE */
    if (rc == 0) rc = cio_stream_drain(writer);
    cio_stream_free(writer);
    return cio_fail(rc);
}

static void interrupted_sigpipe_take_back_does_not_kill(void **state) {
    (void)state;
    /* Before the fix the SIGPIPE stayed pending and killed the program
     * when the loop's end unblocked it. */
    assert_int_equal(test_run(write_to_closed_pipe, NULL, NULL, NULL), -EPIPE);
}

/* ---- src/core/run.c: no thread-specific key for the default loop ---- */

static void default_loop_without_a_key_is_null(void **state) {
    (void)state;
    /* The first cio_get_event_loop of the program makes the key (once): the
     * test must run last. Before the fix the loop was stored under an
     * unmade key (0: another library's) and crashed. */
    assert_int_equal(cio_fault_arm("pthread_key_create", 0), 0);
    assert_null(cio_get_event_loop());
    assert_null(cio_get_event_loop()); /* and stays so, without a report each time */
    cio_fault_disarm();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unarmed_deadline_times_out),
        cmocka_unit_test(failed_wakeup_is_reported_and_not_sticky),
        cmocka_unit_test(interrupted_sigpipe_take_back_does_not_kill),
        cmocka_unit_test(default_loop_without_a_key_is_null), /* last: see there */
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
