/* Scheduling order with task-to-task hand-offs (src/core/switch.h): tasks
 * that suspend resume the next task of the turn directly, and start the next
 * turn themselves when it has nothing else to do. These tests pin down that
 * the order is still asyncio's, that timers, I/O and cross-thread calls are
 * still served while tasks keep each other busy, and the timer heap's order
 * on many timers under random churn (deadline, then start order). */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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
    assert_int_equal(cio_create_task(soon_then_yield, trace, &a), 0);
    cio_task *b;
    assert_int_equal(cio_create_task(just_yield, trace, &b), 0);
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
    assert_int_equal(cio_create_task(spin_until_flag, busy, &a), 0);
    cio_task *b;
    assert_int_equal(cio_create_task(spin_until_flag, busy, &b), 0);
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
    assert_int_equal(cio_create_task(read_pipe, game, &reader), 0);
    cio_task *a;
    assert_int_equal(cio_create_task(spin_until_read, game, &a), 0);
    cio_task *b;
    assert_int_equal(cio_create_task(spin_until_read, game, &b), 0);
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
    assert_int_equal(cio_loop_create_task(loop, main_ends_early, NULL, &main_task), 0);
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
    assert_int_equal(cio_loop_create_task(loop, stop_after_three, &stopper, &a), 0);
    cio_task *b;
    assert_int_equal(cio_loop_create_task(loop, yield_until_cancelled, NULL, &b), 0);
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
    assert_int_equal(cio_create_task(yield_twice_expect_cancel, NULL, &victim), 0);
    cio_task *canceller;
    assert_int_equal(cio_create_task(cancel_peer, &victim, &canceller), 0);
    assert_int_equal(cio_await(canceller, NULL), 0);
    assert_int_equal(cio_await(victim, NULL), 0);
    return NULL;
}

static void cancelling_a_queued_task_reaches_its_yield(void **state) {
    (void)state;
    assert_int_equal(test_run(cancel_in_batch_main, NULL, NULL, NULL), 0);
}

/* The 4-ary timer heap under churn: thousands of timers on random deadlines
 * (many distinct, some tied), and, interleaved with their firing, random
 * cancels, reschedules and new timers - so removals from the middle of the
 * heap need the moved last entry to go up (sift-up) as well as down. Every
 * timer must fire exactly at its deadline, in (deadline, start) order, and
 * a cancelled one never. The seed is printed; CIO_TEST_SEED replays one. */
#define TIMERS     3000
#define HORIZON_MS 10000
#define CHURN_OPS  12

enum { PENDING, FIRED, CANCELLED };

struct churn_timer {
    struct churn *churn;
    int64_t when_ns;
    uint64_t start; /* the order it was (re)started in */
    cio_handle handle;
    int state;
};

struct churn {
    cio_loop *loop;
    uint64_t rng;
    uint64_t starts;
    int64_t last_ns;
    uint64_t last_start;
    int fired, cancelled, rescheduled, out_of_order, late;
    struct churn_timer timers[TIMERS * 2];
    int count;
};

static uint64_t next_random(struct churn *churn) { /* xorshift64 */
    churn->rng ^= churn->rng << 13;
    churn->rng ^= churn->rng >> 7;
    churn->rng ^= churn->rng << 17;
    return churn->rng;
}

static int64_t now_ns(cio_loop *loop) {
    return llround(cio_loop_time(loop) * 1e9);
}

static void churn_fire(void *arg) {
    struct churn_timer *timer = arg;
    struct churn *churn = timer->churn;
    if (timer->state != PENDING) churn->out_of_order++; /* fired twice, or after its cancel */
    if (now_ns(churn->loop) != timer->when_ns) churn->late++;
    if (timer->when_ns < churn->last_ns ||
        (timer->when_ns == churn->last_ns && timer->start < churn->last_start))
        churn->out_of_order++;
    churn->last_ns = timer->when_ns;
    churn->last_start = timer->start;
    timer->state = FIRED;
    churn->fired++;
}

/* A deadline from now on: on a 50 ms grid half the time, so deadlines tie. */
static int64_t random_deadline_ms(struct churn *churn, int64_t from_ms) {
    int64_t span = from_ms < HORIZON_MS ? HORIZON_MS - from_ms + 1 : 1;
    int64_t ms = from_ms + (int64_t)(next_random(churn) % (uint64_t)span);
    if (next_random(churn) & 1) ms -= ms % 50;
    return ms < from_ms ? from_ms : ms;
}

static void churn_start(struct churn *churn, struct churn_timer *timer, int64_t ms) {
    timer->churn = churn;
    timer->when_ns = ms * 1000000;
    timer->start = churn->starts++;
    timer->state = PENDING;
    assert_int_equal(
        cio_call_at(churn->loop, (double)ms / 1000.0, churn_fire, timer, &timer->handle), 0);
}

static struct churn_timer *random_pending(struct churn *churn) {
    for (int tries = 0; tries < 8; tries++) {
        struct churn_timer *timer = &churn->timers[next_random(churn) % (uint64_t)churn->count];
        if (timer->state == PENDING) return timer;
    }
    return NULL;
}

/* Every few (random) ms: cancel, reschedule or add timers at random. */
static void churn_step(void *arg) {
    struct churn *churn = arg;
    int64_t now_ms = now_ns(churn->loop) / 1000000;
    for (int op = 0; op < CHURN_OPS; op++) {
        struct churn_timer *timer = random_pending(churn);
        unsigned kind = (unsigned)(next_random(churn) % 3);
        if (timer && kind == 0) {
            assert_int_equal(cio_handle_cancel(timer->handle), 0);
            timer->state = CANCELLED;
            churn->cancelled++;
        } else if (timer && kind == 1) {
            assert_int_equal(cio_handle_cancel(timer->handle), 0);
            churn_start(churn, timer, random_deadline_ms(churn, now_ms));
            churn->rescheduled++;
        } else if (churn->count < TIMERS * 2) {
            churn_start(churn, &churn->timers[churn->count++], random_deadline_ms(churn, now_ms));
        }
    }
    if (now_ms < HORIZON_MS)
        assert_int_equal(cio_call_later(churn->loop, (double)(1 + next_random(churn) % 40) / 1000.0,
                                        churn_step, churn, NULL),
                         0);
}

static void stop_loop(void *arg) {
    cio_loop_stop(arg);
}

static uint64_t test_seed(void) {
    const char *env = getenv("CIO_TEST_SEED");
    uint64_t seed =
        env && *env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) ^ (uint64_t)getpid();
    return seed ? seed : 1;
}

static void timers_under_churn_fire_at_deadline_in_order(void **state) {
    (void)state;
    static struct churn churn;
    memset(&churn, 0, sizeof churn);
    uint64_t seed = test_seed();
    fprintf(stderr, "timer churn seed: CIO_TEST_SEED=%llu\n", (unsigned long long)seed);
    churn.rng = seed;
    churn.loop = test_loop_new();
    for (churn.count = 0; churn.count < TIMERS; churn.count++)
        churn_start(&churn, &churn.timers[churn.count], random_deadline_ms(&churn, 0));
    assert_int_equal(cio_call_later(churn.loop, 0.001, churn_step, &churn, NULL), 0);
    assert_int_equal(
        cio_call_later(churn.loop, HORIZON_MS / 1000.0 + 1.0, stop_loop, churn.loop, NULL), 0);
    assert_int_equal(cio_loop_run_forever(churn.loop), 0);
    int pending = 0, fired = 0;
    for (int i = 0; i < churn.count; i++) {
        pending += churn.timers[i].state == PENDING;
        fired += churn.timers[i].state == FIRED;
    }
    fprintf(stderr, "%d timers, %d fired, %d cancelled, %d rescheduled\n", churn.count, churn.fired,
            churn.cancelled, churn.rescheduled);
    assert_int_equal(churn.out_of_order, 0);
    assert_int_equal(churn.late, 0);
    assert_int_equal(pending, 0);
    assert_int_equal(fired, churn.fired);
    assert_true(churn.cancelled > 100 && churn.rescheduled > 100);
    cio_loop_free(churn.loop);
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
        cmocka_unit_test(timers_under_churn_fire_at_deadline_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
