/* Cross-thread wake-ups (src/core/wakeup.c): a loop that had posts lately
 * skips the eventfd write while it is awake or spinning, and must still
 * never sleep through a post. Real clock on purpose: the virtual clock's
 * loops do not use that protocol. A lost wake-up shows as a thread that
 * waits 5 s for an answer (the test aborts, naming the round). */
#include "testutil.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct pingpong {
    cio_loop *loop;
    sem_t answered;
    int rounds, answers;
    int pause_every; /* the thread pauses 200 us every this many rounds (0: never) */
};

static void answer(void *arg) {
    struct pingpong *p = arg;
    if (++p->answers == p->rounds) cio_loop_stop(p->loop);
    sem_post(&p->answered);
}

/* Post, wait for the answer, again; now and then pause longer than the
 * loop spins, so that it goes to sleep between posts. */
static void *ping(void *arg) {
    struct pingpong *p = arg;
    for (int i = 0; i < p->rounds; i++) {
        if (cio_call_soon_threadsafe(p->loop, answer, p) != 0) abort();
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += 5;
        while (sem_timedwait(&p->answered, &deadline) != 0) {
            if (errno == EINTR) continue;
            fprintf(stderr, "lost wake-up: round %d never answered\n", i);
            abort();
        }
        if (p->pause_every && i % p->pause_every == 0)
            nanosleep(&(struct timespec){0, 200000}, NULL);
    }
    return NULL;
}

static void run_pingpong(int spin_us, int pause_every) {
    cio_loop_options opts = {.spin_us = spin_us};
    struct pingpong p = {.rounds = test_scaled(5000, 200), .pause_every = pause_every};
    assert_int_equal(cio_loop_new(&opts, &p.loop), 0);
    sem_init(&p.answered, 0, 0);
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, ping, &p), 0);
    assert_int_equal(cio_loop_run_forever(p.loop), 0);
    pthread_join(thread, NULL);
    assert_int_equal(p.answers, p.rounds);
    sem_destroy(&p.answered);
    cio_loop_free(p.loop);
}

/* No spin: after each answer the loop watches, then stores "sleeping" and
 * looks at its inbox once more before it sleeps - the race the protocol's
 * memory order settles, taken every round. */
static void no_spin_never_sleeps_through_a_post(void **state) {
    (void)state;
    run_pingpong(-1, 0);
    run_pingpong(-1, 7);
}

/* The default spin: most answers are caught spinning, the pauses make the
 * loop give up and sleep. */
static void default_spin_never_sleeps_through_a_post(void **state) {
    (void)state;
    run_pingpong(0, 0);
    run_pingpong(0, 3);
}

/* A long spin, and one of 1 us: the spin ends by its clock, never by luck. */
static void spin_lengths_are_honoured(void **state) {
    (void)state;
    run_pingpong(1, 2);
    run_pingpong(500, 5);
}

/* Both threads on one CPU: the loop sees its poster on its own CPU and
 * yields at every look of its spin instead of pausing (wakeup.c, spin). */
static void same_cpu_partner_never_sleeps_through_a_post(void **state) {
    (void)state;
    cpu_set_t saved, one;
    assert_int_equal(sched_getaffinity(0, sizeof saved, &saved), 0);
    CPU_ZERO(&one);
    CPU_SET(sched_getcpu(), &one);
    /* the ping thread inherits the mask */
    assert_int_equal(sched_setaffinity(0, sizeof one, &one), 0);
    run_pingpong(0, 0);
    run_pingpong(0, 3);
    assert_int_equal(sched_setaffinity(0, sizeof saved, &saved), 0);
}

/* Posts stop: after a post the loop watches for a number of blocking polls
 * (here: timers firing every millisecond, more of them than that number),
 * then stops watching and sleeps; a late post wakes it by the eventfd. */
static void tick(void *arg) {
    (void)arg;
}

static void *late_post(void *arg) {
    struct pingpong *p = arg;
    nanosleep(&(struct timespec){0, 30 * 1000 * 1000}, NULL);
    if (cio_call_soon_threadsafe(p->loop, answer, p) != 0) abort();
    return NULL;
}

static void a_quiet_loop_is_woken_by_the_eventfd(void **state) {
    (void)state;
    struct pingpong p = {.rounds = 2};
    assert_int_equal(cio_loop_new(NULL, &p.loop), 0);
    sem_init(&p.answered, 0, 0);
    /* not running yet: this goes through the inbox and makes the loop watch */
    assert_int_equal(cio_call_soon_threadsafe(p.loop, answer, &p), 0);
    /* timers every millisecond meanwhile: many empty blocking polls */
    for (int i = 1; i <= 25; i++)
        assert_int_equal(cio_call_later(p.loop, i * 0.001, tick, NULL, NULL), 0);
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, late_post, &p), 0);
    assert_int_equal(cio_loop_run_forever(p.loop), 0);
    pthread_join(thread, NULL);
    assert_int_equal(p.answers, 2);
    sem_destroy(&p.answered);
    cio_loop_free(p.loop);
}

/* Posts caught by the spin are taken without a poll of the backend; it is
 * still polled every so many entries, so a ready fd is served while a
 * partner keeps posting (were it never polled, the thread would post its
 * whole budget and abort). */
struct stream_of_posts {
    struct pingpong p;
    int fds[2];
    atomic_bool read_seen;
};

static void on_readable(void *arg) {
    struct stream_of_posts *s = arg;
    char byte;
    assert_int_equal(read(s->fds[0], &byte, 1), 1);
    cio_remove_reader(s->p.loop, s->fds[0]);
    atomic_store(&s->read_seen, true);
}

static void *post_until_read(void *arg) {
    struct stream_of_posts *s = arg;
    for (int i = 0; !atomic_load(&s->read_seen); i++) {
        if (i == 100) assert_int_equal(write(s->fds[1], "x", 1), 1);
        if (i == 1000000) {
            fprintf(stderr, "the fd was never served among %d posts\n", i);
            abort();
        }
        if (cio_call_soon_threadsafe(s->p.loop, answer, &s->p) != 0) abort();
        while (sem_wait(&s->p.answered) != 0) continue;
    }
    s->p.rounds = s->p.answers + 1;
    if (cio_call_soon_threadsafe(s->p.loop, answer, &s->p) != 0) abort();
    return NULL;
}

static void posts_caught_spinning_do_not_starve_io(void **state) {
    (void)state;
    struct stream_of_posts s = {.p.rounds = -1};
    cio_loop_options opts = {.spin_us = 1000000}; /* every post is caught spinning */
    assert_int_equal(cio_loop_new(&opts, &s.p.loop), 0);
    sem_init(&s.p.answered, 0, 0);
    assert_int_equal(pipe(s.fds), 0);
    assert_int_equal(cio_add_reader(s.p.loop, s.fds[0], on_readable, &s), 0);
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, post_until_read, &s), 0);
    assert_int_equal(cio_loop_run_forever(s.p.loop), 0);
    pthread_join(thread, NULL);
    assert_true(atomic_load(&s.read_seen));
    close(s.fds[0]);
    close(s.fds[1]);
    sem_destroy(&s.p.answered);
    cio_loop_free(s.p.loop);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_spin_never_sleeps_through_a_post),
        cmocka_unit_test(default_spin_never_sleeps_through_a_post),
        cmocka_unit_test(spin_lengths_are_honoured),
        cmocka_unit_test(same_cpu_partner_never_sleeps_through_a_post),
        cmocka_unit_test(a_quiet_loop_is_woken_by_the_eventfd),
        cmocka_unit_test(posts_caught_spinning_do_not_starve_io),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
