/* The loop: callback order, timers, handles, run/stop, nesting, threads. */
#include "testutil.h"

#include <math.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

struct trace {
    char log[256];
    cio_loop *loop;
};

struct step {
    struct trace *trace;
    char mark;
};

static void record(void *arg) {
    struct step *step = arg;
    size_t len = strlen(step->trace->log);
    step->trace->log[len] = step->mark;
    step->trace->log[len + 1] = '\0';
}

static void stop_loop(void *arg) {
    cio_loop_stop(arg);
}

static void call_soon_runs_in_fifo_order(void **state) {
    (void)state;
    cio_loop *loop = test_loop_new();
    struct trace trace = {.loop = loop};
    struct step steps[5];
    for (int i = 0; i < 5; i++) {
        steps[i] = (struct step){&trace, (char)('a' + i)};
        assert_int_equal(cio_call_soon(loop, record, &steps[i], NULL), 0);
    }
    assert_int_equal(cio_call_soon(loop, stop_loop, loop, NULL), 0);
    assert_int_equal(cio_loop_run_forever(loop), 0);
    assert_string_equal(trace.log, "abcde");
    cio_loop_free(loop);
}

static void call_later_orders_by_deadline_then_fifo(void **state) {
    (void)state;
    cio_loop *loop = test_loop_new();
    struct trace trace = {.loop = loop};
    struct step a = {&trace, 'a'}, b = {&trace, 'b'}, c = {&trace, 'c'}, d = {&trace, 'd'};
    assert_int_equal(cio_call_later(loop, 2.0, record, &a, NULL), 0);
    assert_int_equal(cio_call_later(loop, 1.0, record, &b, NULL), 0);
    assert_int_equal(cio_call_later(loop, 1.0, record, &c, NULL), 0); /* equal deadline: after b */
    assert_int_equal(cio_call_at(loop, 0.5, record, &d, NULL), 0);
    assert_int_equal(cio_call_later(loop, 3.0, stop_loop, loop, NULL), 0);
    assert_int_equal(cio_loop_run_forever(loop), 0);
    assert_string_equal(trace.log, "dbca");
    assert_true(cio_loop_time(loop) == 3.0); /* virtual clock: exact */
    cio_loop_free(loop);
}

static void cancelled_handles_never_run(void **state) {
    (void)state;
    cio_loop *loop = test_loop_new();
    struct trace trace = {.loop = loop};
    struct step a = {&trace, 'a'}, b = {&trace, 'b'}, c = {&trace, 'c'};
    cio_handle soon, later, kept;
    assert_int_equal(cio_call_soon(loop, record, &a, &soon), 0);
    assert_int_equal(cio_call_later(loop, 1.0, record, &b, &later), 0);
    assert_int_equal(cio_call_later(loop, 1.0, record, &c, &kept), 0);
    assert_int_equal(cio_handle_cancel(soon), 0);
    assert_int_equal(cio_handle_cancel(later), 0);
    assert_int_equal(cio_handle_cancel(later), -EALREADY); /* twice */
    assert_int_equal(cio_call_later(loop, 2.0, stop_loop, loop, NULL), 0);
    cio_loop_run_forever(loop);
    assert_string_equal(trace.log, "c");
    assert_int_equal(cio_handle_cancel(kept), -EALREADY); /* already ran */
    assert_int_equal(cio_handle_cancel((cio_handle){0}), -EALREADY);
    cio_loop_free(loop);
}

static void bad_arguments_are_refused(void **state) {
    (void)state;
    cio_loop *loop = test_loop_new();
    cio_handle handle;
    assert_int_equal(cio_call_soon(NULL, record, NULL, NULL), -EINVAL);
    assert_int_equal(cio_call_soon(loop, NULL, NULL, &handle), -EINVAL);
    assert_int_equal(cio_call_later(loop, NAN, record, NULL, NULL), -EINVAL);
    assert_int_equal(cio_call_at(loop, NAN, record, NULL, NULL), -EINVAL);
    assert_int_equal(cio_loop_new(NULL, NULL), -EINVAL);
    cio_loop *other;
    assert_int_equal(cio_loop_new(&(cio_loop_options){.poller = "no-such"}, &other), -EINVAL);
    assert_null(other);
    assert_int_equal(cio_loop_close(loop), 0);
    assert_int_equal(cio_loop_close(loop), -CIO_ECLOSED);
    assert_int_equal(cio_call_soon(loop, record, NULL, NULL), -CIO_ECLOSED);
    assert_int_equal(cio_loop_run_forever(loop), -CIO_ECLOSED);
    assert_true(cio_loop_is_closed(loop));
    cio_loop_free(loop);
    cio_loop_free(NULL);
}

static void stop_before_run_runs_one_turn(void **state) {
    (void)state;
    cio_loop *loop = test_loop_new();
    struct trace trace = {.loop = loop};
    struct step a = {&trace, 'a'};
    cio_call_soon(loop, record, &a, NULL);
    cio_loop_stop(loop);
    assert_int_equal(cio_loop_run_forever(loop), 0);
    assert_string_equal(trace.log, "a");
    assert_false(cio_loop_is_running(loop));
    cio_loop_free(loop);
}

static void *return_null(void *arg) {
    (void)arg;
    return NULL;
}

static void *nested_run(void *arg) {
    cio_task *other_task = arg;
    int rc = cio_loop_run_until_complete(cio_task_loop(other_task), other_task, NULL);
    return rc == -EBUSY ? NULL : cio_fail(-EPROTO);
}

static void nested_loops_are_refused(void **state) {
    (void)state;
    cio_loop *other = test_loop_new();
    cio_task *other_task;
    assert_int_equal(cio_loop_create_task(other, return_null, NULL, &other_task), 0);
    assert_int_equal(test_run(nested_run, other_task, NULL, NULL), 0);
    assert_int_equal(cio_loop_run_until_complete(other, other_task, NULL), 0); /* not consumed */
    cio_loop_free(other);
}

static void *stop_inside(void *arg) {
    cio_loop_stop(arg);
    int rc = cio_sleep(10);
    return rc ? cio_fail(rc) : NULL;
}

static void run_until_complete_interrupted_by_stop(void **state) {
    (void)state;
    cio_loop *loop = test_loop_new();
    cio_task *task;
    assert_int_equal(cio_loop_create_task(loop, stop_inside, loop, &task), 0);
    assert_int_equal(cio_loop_run_until_complete(loop, task, NULL), -EINTR);
    assert_false(cio_task_done(task));
    assert_int_equal(cio_task_cancel(task), 0);
    assert_int_equal(cio_loop_run_until_complete(loop, task, NULL), -ECANCELED);
    cio_loop_free(loop);
}

struct poster {
    cio_loop *loop;
    int ran;
    int refused; /* posts cio_call_soon_threadsafe refused (-ENOMEM), then retried */
};

static void count_run(void *arg) {
    struct poster *poster = arg;
    if (++poster->ran == 100) cio_loop_stop(poster->loop);
}

static void *post_from_thread(void *arg) {
    struct poster *poster = arg;
    /* A refused post is counted and retried (a bounded number of times): a
     * lost one would leave the loop waiting for its hundredth call forever,
     * a hang instead of the failure the count reports after the join. */
    for (int i = 0; i < 100; i++) {
        int tries = 0;
        while (cio_call_soon_threadsafe(poster->loop, count_run, poster) < 0 && tries++ < 1000)
            poster->refused++;
    }
    return NULL;
}

static void threadsafe_calls_wake_the_loop(void **state) {
    (void)state;
    cio_loop *loop;
    assert_int_equal(cio_loop_new(NULL, &loop), 0); /* real clock: poll blocks */
    struct poster poster = {loop, 0, 0};
    pthread_t thread;
    pthread_create(&thread, NULL, post_from_thread, &poster);
    assert_int_equal(cio_loop_run_forever(loop), 0);
    pthread_join(thread, NULL);
    assert_int_equal(poster.refused, 0);
    assert_int_equal(poster.ran, 100);
    assert_int_equal(cio_call_soon_threadsafe(NULL, count_run, NULL), -EINVAL);
    cio_loop_free(loop);
}

/* Each poller reports an fd ready: a task parked on a pipe's read end wakes
 * when a timer writes into it, on the virtual clock's time of the write. */
struct pipe_wait {
    int fds[2];
    double woke;
};

static void write_byte(void *arg) {
    struct pipe_wait *pw = arg;
    assert_int_equal(write(pw->fds[1], "x", 1), 1);
}

static void *wait_for_pipe(void *arg) {
    struct pipe_wait *pw = arg;
    assert_int_equal(cio_wait_readable(pw->fds[0], -1), 0);
    pw->woke = test_now();
    return NULL;
}

static void *poll_a_pipe(void *arg) {
    (void)arg;
    struct pipe_wait pw = {.woke = -1};
    assert_int_equal(pipe(pw.fds), 0);
    assert_int_equal(cio_call_later(cio_get_running_loop(), 2.0, write_byte, &pw, NULL), 0);
    cio_task *reader = test_spawn(wait_for_pipe, &pw);
    assert_int_equal(cio_wait_writable(pw.fds[1], 0.5), 0); /* writability, too */
    assert_int_equal(cio_await(reader, NULL), 0);
    assert_true(pw.woke == 2.0);
    assert_int_equal(cio_wait_readable(pw.fds[0], 1.0), 0); /* the byte is still there */
    assert_int_equal(cio_close(pw.fds[0]), 0);
    assert_int_equal(cio_close(pw.fds[1]), 0);
    return NULL;
}

static void both_pollers_work(void **state) {
    (void)state;
    const char *names[] = {"epoll", "poll"};
    for (int i = 0; i < 2; i++) {
        cio_loop *loop;
        cio_loop_options opts = {.clock = CIO_CLOCK_VIRTUAL, .poller = names[i]};
        assert_int_equal(cio_loop_new(&opts, &loop), 0);
        assert_string_equal(cio_loop_poller_name(loop), names[i]);
        cio_loop_free(loop);
        test_run_checked(poll_a_pipe, names[i]);
    }
}

/* Each thread has its own default loop, made on first use there. */
struct thread_loop {
    cio_loop *first, *again;
};

static void *default_loop_of_thread(void *arg) {
    struct thread_loop *seen = arg;
    seen->first = cio_get_event_loop();
    seen->again = cio_get_event_loop();
    return NULL; /* the thread's default loop is freed at its exit */
}

static void default_loop_is_per_thread(void **state) {
    (void)state;
    assert_null(cio_get_running_loop());
    cio_loop *loop = cio_get_event_loop();
    assert_non_null(loop);
    assert_ptr_equal(cio_get_event_loop(), loop);
    struct thread_loop seen[2] = {{0}};
    pthread_t threads[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, default_loop_of_thread, &seen[i]), 0);
    for (int i = 0; i < 2; i++) pthread_join(threads[i], NULL);
    for (int i = 0; i < 2; i++) {
        assert_non_null(seen[i].first);
        assert_ptr_equal(seen[i].again, seen[i].first); /* the same within a thread */
        assert_ptr_not_equal(seen[i].first, loop);      /* not this thread's */
    }
    assert_ptr_equal(cio_get_event_loop(), loop);
    assert_int_equal(cio_loop_close(loop), 0);
}

static void strerror_covers_cio_codes(void **state) {
    (void)state;
    assert_string_equal(cio_strerror(-CIO_ELIMIT), "separator not found within the buffer limit");
    assert_string_equal(cio_strerror(CIO_ELIMIT), cio_strerror(-CIO_ELIMIT));
    assert_string_equal(cio_strerror(-ECANCELED), "Operation canceled");
    assert_string_equal(cio_strerror(0), "Success");
    assert_non_null(cio_strerror(-99999));
    assert_true(cio_is_error(cio_fail(-ECONNRESET)));
    assert_int_equal(cio_error_of(cio_fail(ECONNRESET)), -ECONNRESET);
    assert_int_equal(cio_error_of(cio_fail(0)), -EINVAL);
    assert_false(cio_is_error(NULL));
    assert_string_equal(cio_version(), CIO_VERSION_STRING);
}

static void *sleep_one_second(void *arg) {
    (void)arg;
    int rc = cio_sleep(1.0);
    return rc < 0 ? cio_fail(rc) : NULL;
}

/* The virtual clock jumps only when nothing is ready: tasks that keep
 * yielding hold it still however near the next timer is. */
static void *yielding(void *arg) {
    (void)arg;
    cio_task *sleeper;
    assert_int_equal(cio_create_task(sleep_one_second, NULL, &sleeper), 0);
    for (int i = 0; i < 300; i++) { /* past BUSY_POLL_INTERVAL: polls happen */
        assert_int_equal(cio_yield(), 0);
        assert_true(test_now() == 0.0);
    }
    assert_int_equal(cio_await(sleeper, NULL), 0);
    assert_true(test_now() == 1.0);
    return NULL;
}

static void virtual_clock_waits_for_ready_work(void **state) {
    (void)state;
    assert_int_equal(test_run(yielding, NULL, NULL, NULL), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(call_soon_runs_in_fifo_order),
        cmocka_unit_test(call_later_orders_by_deadline_then_fifo),
        cmocka_unit_test(cancelled_handles_never_run),
        cmocka_unit_test(bad_arguments_are_refused),
        cmocka_unit_test(stop_before_run_runs_one_turn),
        cmocka_unit_test(nested_loops_are_refused),
        cmocka_unit_test(run_until_complete_interrupted_by_stop),
        cmocka_unit_test(threadsafe_calls_wake_the_loop),
        cmocka_unit_test(both_pollers_work),
        cmocka_unit_test(default_loop_is_per_thread),
        cmocka_unit_test(strerror_covers_cio_codes),
        cmocka_unit_test(virtual_clock_waits_for_ready_work),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
