/* Scheduling order with task-to-task hand-offs (src/core/switch.h): tasks
 * that suspend resume the next task of the turn directly, and start the next
 * turn themselves when it has nothing else to do. These tests pin down that
 * the order is still asyncio's, that timers, I/O and cross-thread calls are
 * still served while tasks keep each other busy, and the timer heap's order
 * on many timers (deadline, then start order). */
#include "testutil.h"

#include <string.h>
#include <unistd.h>

struct trace {
    char log[512];
    size_t len;
};

static void mark(struct trace *trace, char c) {
    if (trace->len + 1 < sizeof trace->log) trace->log[trace->len++] = c;
    trace->log[trace->len] = '\0';
}

struct player {
    struct trace *trace;
    char name;
    int yields;
};

static void *yielder(void *arg) {
    struct player *player = arg;
    for (int i = 0; i < player->yields; i++) {
        mark(player->trace, player->name);
        assert_int_equal(cio_yield(), 0);
    }
    return NULL;
}

static struct trace round_robin_trace;

static void *three_yielders(void *arg) {
    (void)arg;
    struct player players[3] = {
        {&round_robin_trace, 'a', 4}, {&round_robin_trace, 'b', 4}, {&round_robin_trace, 'c', 4}};
    cio_task *tasks[3];
    for (int i = 0; i < 3; i++) cio_create_task(yielder, &players[i], &tasks[i]);
    for (int i = 0; i < 3; i++) assert_int_equal(cio_await(tasks[i], NULL), 0);
    return NULL;
}

static void yielding_tasks_take_turns_round_robin(void **state) {
    (void)state;
    assert_int_equal(test_run(three_yielders, NULL, NULL, NULL), 0);
    assert_string_equal(round_robin_trace.log, "abcabcabcabc");
}

/* A callback scheduled before a yield runs before the yielding task resumes,
 * and the other task's yield does not jump the queue past it. */
struct soon_game {
    struct trace trace;
};

static void mark_x(void *arg) {
    mark(arg, 'x');
}

static void *soon_then_yield(void *arg) {
    struct trace *trace = arg;
    mark(trace, 'A');
    assert_int_equal(cio_call_soon(cio_get_running_loop(), mark_x, trace, NULL), 0);
    assert_int_equal(cio_yield(), 0);
    mark(trace, 'A');
    assert_int_equal(cio_yield(), 0);
    mark(trace, 'A');
    return NULL;
}

static void *just_yield(void *arg) {
    struct trace *trace = arg;
    for (int i = 0; i < 3; i++) {
        mark(trace, 'B');
        assert_int_equal(cio_yield(), 0);
    }
    return NULL;
}

static void *callbacks_scheduled_first_run_first_main(void *arg) {
    struct trace *trace = arg;
    cio_task *a;
    cio_create_task(soon_then_yield, trace, &a);
    cio_task *b;
    cio_create_task(just_yield, trace, &b);
    assert_int_equal(cio_await(a, NULL), 0);
    assert_int_equal(cio_await(b, NULL), 0);
    return NULL;
}

static void a_yield_goes_behind_callbacks_already_scheduled(void **state) {
    (void)state;
    struct soon_game game = {0};
    assert_int_equal(test_run(callbacks_scheduled_first_run_first_main, &game.trace, NULL, NULL),
                     0);
    /* asyncio's order: the turn after "AB" runs x, then A, then B. */
    assert_string_equal(game.trace.log, "ABxABAB");
}

/* A lone task that yields resumes itself without a switch, and still lets
 * what others schedule run in between. */
static void *lone_yielder(void *arg) {
    struct trace *trace = arg;
    cio_loop *loop = cio_get_running_loop();
    for (int i = 0; i < 3; i++) {
        assert_int_equal(cio_call_soon(loop, mark_x, trace, NULL), 0);
        mark(trace, 'A');
        assert_int_equal(cio_yield(), 0);
    }
    return NULL;
}

static void a_lone_yielding_task_lets_callbacks_run(void **state) {
    (void)state;
    struct trace trace = {0};
    assert_int_equal(test_run(lone_yielder, &trace, NULL, NULL), 0);
    assert_string_equal(trace.log, "AxAxAx");
}

/* Timers that fall due are fired while tasks keep each other busy. */
struct busy {
    bool flag;
    long spins;
};

static void set_flag(void *arg) {
    ((struct busy *)arg)->flag = true;
}

static void *spin_until_flag(void *arg) {
    struct busy *busy = arg;
    while (!busy->flag) {
        busy->spins++;
        if (cio_yield() < 0) return cio_fail(-EPROTO);
    }
    return NULL;
}

static void *timer_fires_while_busy_main(void *arg) {
    struct busy *busy = arg;
    cio_task *a;
    cio_create_task(spin_until_flag, busy, &a);
    cio_task *b;
    cio_create_task(spin_until_flag, busy, &b);
    assert_int_equal(cio_call_later(cio_get_running_loop(), 0.0, set_flag, busy, NULL), 0);
    assert_int_equal(cio_await(a, NULL), 0);
    assert_int_equal(cio_await(b, NULL), 0);
    return NULL;
}

static void due_timers_fire_while_tasks_yield(void **state) {
    (void)state;
    struct busy busy = {0};
    assert_int_equal(test_run(timer_fires_while_busy_main, &busy, NULL, NULL), 0);
    assert_true(busy.flag);
    /* Due at once: fired at the first turn boundary, after each task ran once. */
    assert_int_equal(busy.spins, 2);
}

/* I/O is polled while tasks keep each other busy (BUSY_POLL_INTERVAL). */
struct pipe_game {
    int fds[2];
    bool got;
};

static void *read_pipe(void *arg) {
    struct pipe_game *game = arg;
    assert_int_equal(cio_wait_readable(game->fds[0], -1), 0);
    game->got = true;
    return NULL;
}

static void *spin_until_read(void *arg) {
    struct pipe_game *game = arg;
    long spins = 0;
    while (!game->got) {
        if (++spins > 10000) return cio_fail(-ETIMEDOUT);
        if (cio_yield() < 0) return cio_fail(-EPROTO);
    }
    return NULL;
}

static void *io_while_busy_main(void *arg) {
    struct pipe_game *game = arg;
    cio_task *reader;
    cio_create_task(read_pipe, game, &reader);
    cio_task *a;
    cio_create_task(spin_until_read, game, &a);
    cio_task *b;
    cio_create_task(spin_until_read, game, &b);
    assert_int_equal(cio_yield(), 0); /* the reader parks on the pipe */
    assert_int_equal(write(game->fds[1], "x", 1), 1);
    assert_int_equal(cio_await(a, NULL), 0);
    assert_int_equal(cio_await(b, NULL), 0);
    assert_int_equal(cio_await(reader, NULL), 0);
    return NULL;
}

static void io_is_polled_while_tasks_yield(void **state) {
    (void)state;
    int fds_before = test_count_fds();
    struct pipe_game game = {0};
    assert_int_equal(pipe(game.fds), 0);
    assert_int_equal(test_run(io_while_busy_main, &game, NULL, NULL), 0);
    assert_true(game.got);
    close(game.fds[0]);
    close(game.fds[1]);
    assert_int_equal(test_count_fds(), fds_before);
}

/* run_until_complete returns as soon as its task is done, though others
 * keep yielding. */
static long forever_spins;
static cio_task *forever[2];

static void *yield_forever(void *arg) {
    (void)arg;
    for (;;) {
        forever_spins++;
        int rc = cio_yield();
        if (rc < 0) return cio_fail(rc);
    }
}

static void *main_ends_early(void *arg) {
    (void)arg;
    for (int i = 0; i < 2; i++) cio_create_task(yield_forever, NULL, &forever[i]);
    for (int i = 0; i < 5; i++) assert_int_equal(cio_yield(), 0);
    return (void *)(intptr_t)42;
}

static void the_run_ends_with_its_task_while_others_yield(void **state) {
    (void)state;
    cio_loop *loop = test_loop_new();
    forever_spins = 0;
    void *result = NULL;
    cio_task *main_task;
    cio_loop_create_task(loop, main_ends_early, NULL, &main_task);
    assert_int_equal(cio_loop_run_until_complete(loop, main_task, &result), 0);
    assert_int_equal((intptr_t)result, 42);
    /* Each of main's 5 yields let both others spin once, and the run ended
     * in the turn main returned in. */
    assert_int_equal(forever_spins, 2 * 5);
    for (int i = 0; i < 2; i++) assert_int_equal(cio_task_cancel(forever[i]), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(cio_loop_run_until_complete(loop, forever[i], NULL), -ECANCELED);
    assert_int_equal(forever_spins, 2 * 5);
    cio_loop_free(loop);
}

/* cio_loop_stop from a yielding task ends run_forever at the turn boundary. */
struct stopper {
    cio_loop *loop;
    int turns;
};

static void *stop_after_three(void *arg) {
    struct stopper *stopper = arg;
    for (;;) {
        if (++stopper->turns == 3) cio_loop_stop(stopper->loop);
        if (cio_yield() < 0) return NULL;
    }
}

static void *yield_until_cancelled(void *arg) {
    (void)arg;
    while (cio_yield() == 0) continue;
    return NULL;
}

static void stop_from_a_yielding_task_ends_the_run(void **state) {
    (void)state;
    cio_loop *loop = test_loop_new();
    struct stopper stopper = {loop, 0};
    cio_task *a;
    cio_loop_create_task(loop, stop_after_three, &stopper, &a);
    cio_task *b;
    cio_loop_create_task(loop, yield_until_cancelled, NULL, &b);
    assert_int_equal(cio_loop_run_forever(loop), 0);
    assert_int_equal(stopper.turns, 3);
    assert_int_equal(cio_task_cancel(a), 0);
    assert_int_equal(cio_task_cancel(b), 0);
    assert_int_equal(cio_loop_run_until_complete(loop, a, NULL), 0);
    assert_int_equal(cio_loop_run_until_complete(loop, b, NULL), 0);
    cio_loop_free(loop);
}

/* Cancelling a task that sits in the turn's batch (queued by its yield):
 * the hand-off resumes it with -ECANCELED. */
static void *yield_twice_expect_cancel(void *arg) {
    (void)arg;
    assert_int_equal(cio_yield(), 0);
    assert_int_equal(cio_yield(), -ECANCELED);
    return NULL;
}

static void *cancel_peer(void *arg) {
    cio_task *peer = *(cio_task **)arg;
    assert_int_equal(cio_yield(), 0);
    assert_int_equal(cio_task_cancel(peer), 0); /* peer is queued behind us */
    assert_int_equal(cio_yield(), 0);
    return NULL;
}

static void *cancel_in_batch_main(void *arg) {
    (void)arg;
    cio_task *victim;
    cio_create_task(yield_twice_expect_cancel, NULL, &victim);
    cio_task *canceller;
    cio_create_task(cancel_peer, &victim, &canceller);
    assert_int_equal(cio_await(canceller, NULL), 0);
    assert_int_equal(cio_await(victim, NULL), 0);
    return NULL;
}

static void cancelling_a_queued_task_reaches_its_yield(void **state) {
    (void)state;
    assert_int_equal(test_run(cancel_in_batch_main, NULL, NULL, NULL), 0);
}

/* The 4-ary timer heap: many timers on few distinct deadlines, a third
 * cancelled, fire by deadline and then in start order. */
#define MANY 600

struct fire_log {
    int order[MANY];
    int count;
};

struct numbered {
    struct fire_log *log;
    int index;
};

static void log_fire(void *arg) {
    struct numbered *timer = arg;
    timer->log->order[timer->log->count++] = timer->index;
}

static void stop_loop(void *arg) {
    cio_loop_stop(arg);
}

static int deadline_of(int i) {
    return (int)((i * 7919u) % 13u); /* 0..12 seconds, scattered */
}

static void many_timers_fire_by_deadline_then_start_order(void **state) {
    (void)state;
    cio_loop *loop = test_loop_new();
    static struct numbered timers[MANY];
    static struct fire_log log;
    memset(&log, 0, sizeof log);
    cio_handle handles[MANY];
    for (int i = 0; i < MANY; i++) {
        timers[i] = (struct numbered){&log, i};
        assert_int_equal(cio_call_later(loop, deadline_of(i), log_fire, &timers[i], &handles[i]),
                         0);
    }
    for (int i = 0; i < MANY; i += 3) assert_int_equal(cio_handle_cancel(handles[i]), 0);
    assert_int_equal(cio_call_later(loop, 20.0, stop_loop, loop, NULL), 0);
    assert_int_equal(cio_loop_run_forever(loop), 0);
    assert_int_equal(log.count, MANY - (MANY + 2) / 3);
    for (int k = 1; k < log.count; k++) {
        int prev = log.order[k - 1], cur = log.order[k];
        assert_true(deadline_of(prev) < deadline_of(cur) ||
                    (deadline_of(prev) == deadline_of(cur) && prev < cur));
    }
    for (int k = 0; k < log.count; k++) assert_int_not_equal(log.order[k] % 3, 0);
    cio_loop_free(loop);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(yielding_tasks_take_turns_round_robin),
        cmocka_unit_test(a_yield_goes_behind_callbacks_already_scheduled),
        cmocka_unit_test(a_lone_yielding_task_lets_callbacks_run),
        cmocka_unit_test(due_timers_fire_while_tasks_yield),
        cmocka_unit_test(io_is_polled_while_tasks_yield),
        cmocka_unit_test(the_run_ends_with_its_task_while_others_yield),
        cmocka_unit_test(stop_from_a_yielding_task_ends_the_run),
        cmocka_unit_test(cancelling_a_queued_task_reaches_its_yield),
        cmocka_unit_test(many_timers_fire_by_deadline_then_start_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
