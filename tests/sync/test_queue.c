/* Queues: FIFO/LIFO/priority order and stability, growth, maxsize
 * backpressure, join/task_done, cancellation and timeouts of getters and
 * putters, shutdown (graceful and immediate), free, callbacks, bad input. */
#include "testutil.h"

#include <stdlib.h>

#define ITEM(n) ((void *)(intptr_t)(n))
#define NUM(p)  ((int)(intptr_t)(p))

static cio_queue *queue;

static void *nowait_order(void *arg) {
    (void)arg;
    for (int i = 1; i <= 3; i++) assert_int_equal(cio_queue_put_nowait(queue, ITEM(i)), 0);
    assert_int_equal(cio_queue_put_nowait(queue, NULL), 0); /* NULL is an item too */
    assert_int_equal(cio_queue_qsize(queue), 4);
    assert_false(cio_queue_empty(queue));
    assert_false(cio_queue_full(queue)); /* unbounded */
    void *item = ITEM(99);
    int expect[] = {1, 2, 3, 0};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(cio_queue_get_nowait(queue, &item), 0);
        assert_int_equal(NUM(item), expect[i]);
    }
    assert_int_equal(cio_queue_get_nowait(queue, &item), -EAGAIN);
    assert_true(cio_queue_empty(queue));
    return NULL;
}

static void fifo_order(void **state) {
    (void)state;
    assert_int_equal(cio_queue_new(0, &queue), 0);
    assert_int_equal(test_run(nowait_order, NULL, NULL, NULL), 0);
    cio_queue_free(queue);
}

static void *lifo(void *arg) {
    (void)arg;
    for (int i = 1; i <= 20; i++) assert_int_equal(cio_queue_put(queue, ITEM(i)), 0);
    for (int i = 20; i >= 1; i--) {
        void *item;
        assert_int_equal(cio_queue_get(queue, &item), 0);
        assert_int_equal(NUM(item), i);
    }
    return NULL;
}

static void lifo_order(void **state) {
    (void)state;
    assert_int_equal(cio_lifo_queue_new(0, &queue), 0);
    assert_int_equal(test_run(lifo, NULL, NULL, NULL), 0);
    cio_queue_free(queue);
}

/* The ring wraps and grows, through a bound that is not a power of two. */
static void *wrap_and_grow(void *arg) {
    (void)arg;
    int next_in = 0, next_out = 0;
    for (int round = 0; round < 50; round++) {
        int puts = 1 + round % 7, gets = round % 5;
        for (int i = 0; i < puts && !cio_queue_full(queue); i++)
            assert_int_equal(cio_queue_put_nowait(queue, ITEM(next_in++)), 0);
        void *item;
        for (int i = 0; i < gets && cio_queue_get_nowait(queue, &item) == 0; i++)
            assert_int_equal(NUM(item), next_out++);
    }
    void *item;
    while (cio_queue_get_nowait(queue, &item) == 0) assert_int_equal(NUM(item), next_out++);
    assert_int_equal(next_out, next_in);
    assert_true(next_in > 20);
    return NULL;
}

static void ring_keeps_order_across_growth(void **state) {
    (void)state;
    assert_int_equal(cio_queue_new(13, &queue), 0);
    assert_int_equal(test_run(wrap_and_grow, NULL, NULL, NULL), 0);
    cio_queue_free(queue);
    assert_int_equal(cio_queue_new(0, &queue), 0);
    assert_int_equal(test_run(wrap_and_grow, NULL, NULL, NULL), 0);
    cio_queue_free(queue);
}

/* ---- priority ----------------------------------------------------------------- */

struct job {
    int priority, id;
};

static int by_priority(const void *a, const void *b, void *arg) {
    assert_ptr_equal(arg, &queue);
    const struct job *x = a, *y = b;
    return (x->priority > y->priority) - (x->priority < y->priority);
}

static void *priority_stability(void *arg) {
    (void)arg;
    enum { N = 2000 };
    static struct job jobs[N];
    srand(7);
    for (int i = 0; i < N; i++) {
        jobs[i] = (struct job){rand() % 10, i};
        assert_int_equal(cio_queue_put_nowait(queue, &jobs[i]), 0);
        if (i % 3 == 0) { /* interleave gets: the heap is not just sorted once */
            void *item;
            assert_int_equal(cio_queue_get_nowait(queue, &item), 0);
            ((struct job *)item)->id = -1 - ((struct job *)item)->id; /* mark taken */
        }
    }
    struct job *last = NULL;
    void *item;
    while (cio_queue_get_nowait(queue, &item) == 0) {
        struct job *job = item;
        assert_true(job->id >= 0);
        if (last) {
            assert_true(last->priority <= job->priority);
            if (last->priority == job->priority) assert_true(last->id < job->id); /* stable */
        }
        last = job;
    }
    return NULL;
}

static void priority_is_stable_for_equal_keys(void **state) {
    (void)state;
    assert_int_equal(cio_priority_queue_new(0, by_priority, &queue, &queue), 0);
    assert_int_equal(test_run(priority_stability, NULL, NULL, NULL), 0);
    cio_queue_free(queue);
}

static struct job high = {0, 1}, mid = {5, 2}, low = {9, 3}, low2 = {9, 4};

static void *put_job(void *arg) {
    int rc = cio_queue_put(queue, arg);
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void *priority_backpressure(void *arg) {
    (void)arg;
    assert_int_equal(cio_queue_put(queue, &low), 0);
    assert_int_equal(cio_queue_put(queue, &mid), 0);
    assert_true(cio_queue_full(queue));
    cio_task *putter;
    assert_int_equal(cio_create_task(put_job, &high, &putter), 0);
    assert_int_equal(cio_sleep(1.0), 0);
    assert_false(cio_task_done(putter));
    void *item;
    assert_int_equal(cio_queue_get(queue, &item), 0);
    assert_ptr_equal(item, &mid);                /* high was not in yet */
    assert_int_equal(cio_queue_qsize(queue), 2); /* high went in as mid came out */
    assert_int_equal(cio_await(putter, NULL), 0);
    assert_int_equal(cio_queue_put_nowait(queue, &low2), -EAGAIN);
    assert_int_equal(cio_queue_get(queue, &item), 0);
    assert_ptr_equal(item, &high);
    assert_int_equal(cio_queue_put_nowait(queue, &low2), 0);
    assert_int_equal(cio_queue_get(queue, &item), 0);
    assert_ptr_equal(item, &low);
    assert_int_equal(cio_queue_get(queue, &item), 0);
    assert_ptr_equal(item, &low2);
    return NULL;
}

static void priority_with_maxsize(void **state) {
    (void)state;
    assert_int_equal(cio_priority_queue_new(2, by_priority, &queue, &queue), 0);
    assert_int_equal(cio_queue_maxsize(queue), 2);
    assert_int_equal(test_run(priority_backpressure, NULL, NULL, NULL), 0);
    cio_queue_free(queue);
}

/* ---- blocking put and get ----------------------------------------------------- */

static int got[16], got_len;

static void *get_one(void *arg) {
    (void)arg;
    void *item;
    int rc = cio_queue_get(queue, &item);
    if (rc < 0) return cio_fail(rc);
    got[got_len++] = NUM(item);
    rc = cio_yield(); /* shows a cancellation that came after the hand-off */
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void *put_item(void *arg) {
    int rc = cio_queue_put(queue, arg);
    if (rc == 0) rc = cio_yield();
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void *getters_fifo(void *arg) {
    (void)arg;
    got_len = 0;
    cio_task *getters[4];
    for (int i = 0; i < 4; i++) cio_create_task(get_one, NULL, &getters[i]);
    assert_int_equal(cio_sleep(1.0), 0);
    for (int i = 0; i < 4; i++) assert_int_equal(cio_queue_put(queue, ITEM(10 + i)), 0);
    assert_int_equal(cio_queue_qsize(queue), 0); /* straight to the getters */
    for (int i = 0; i < 4; i++) assert_int_equal(cio_await(getters[i], NULL), 0);
    for (int i = 0; i < 4; i++) assert_int_equal(got[i], 10 + i);
    return NULL;
}

static void blocked_getters_served_in_order(void **state) {
    (void)state;
    assert_int_equal(cio_queue_new(0, &queue), 0);
    assert_int_equal(test_run(getters_fifo, NULL, NULL, NULL), 0);
    cio_queue_free(queue);
}

static void *backpressure(void *arg) {
    (void)arg;
    assert_int_equal(cio_queue_put(queue, ITEM(1)), 0);
    assert_int_equal(cio_queue_put(queue, ITEM(2)), 0);
    assert_true(cio_queue_full(queue));
    assert_int_equal(cio_queue_put_nowait(queue, ITEM(9)), -EAGAIN);
    cio_task *putters[3];
    for (int i = 0; i < 3; i++) cio_create_task(put_item, ITEM(3 + i), &putters[i]);
    assert_int_equal(cio_sleep(1.0), 0);
    for (int i = 1; i <= 5; i++) {
        void *item;
        assert_int_equal(cio_queue_get(queue, &item), 0);
        assert_int_equal(NUM(item), i); /* putters admitted in FIFO order */
        assert_true(i > 3 || cio_queue_full(queue));
    }
    for (int i = 0; i < 3; i++) assert_int_equal(cio_await(putters[i], NULL), 0);
    assert_true(test_now() == 1.0);
    return NULL;
}

static void maxsize_blocks_putters_in_order(void **state) {
    (void)state;
    assert_int_equal(cio_queue_new(2, &queue), 0);
    assert_int_equal(test_run(backpressure, NULL, NULL, NULL), 0);
    cio_queue_free(queue);
}

/* ---- join / task_done ---------------------------------------------------------- */

static void *worker(void *arg) {
    (void)arg;
    for (;;) {
        void *item;
        int rc = cio_queue_get(queue, &item);
        if (rc < 0) return rc == -CIO_ESHUTDOWN ? NULL : cio_fail(rc);
        assert_int_equal(cio_sleep((double)NUM(item)), 0);
        assert_int_equal(cio_queue_task_done(queue), 0);
    }
}

static void *join_counts(void *arg) {
    (void)arg;
    assert_int_equal(cio_queue_join(queue), 0); /* nothing unfinished */
    assert_int_equal(cio_queue_task_done(queue), -EOVERFLOW);
    cio_task *w;
    assert_int_equal(cio_create_task(worker, NULL, &w), 0);
    for (int i = 1; i <= 3; i++) assert_int_equal(cio_queue_put(queue, ITEM(i)), 0);
    assert_int_equal(cio_queue_join(queue), 0);
    assert_true(test_now() == 6.0); /* 1 + 2 + 3 s of work */
    assert_true(cio_queue_empty(queue));
    assert_int_equal(cio_queue_task_done(queue), -EOVERFLOW);
    assert_int_equal(cio_queue_shutdown(queue, false), 0);
    assert_int_equal(cio_await(w, NULL), 0);
    return NULL;
}

static void join_waits_for_every_task_done(void **state) {
    (void)state;
    assert_int_equal(cio_queue_new(0, &queue), 0);
    assert_int_equal(test_run(join_counts, NULL, NULL, NULL), 0);
    cio_queue_free(queue);
}

/* An item a put hands straight to a parked getter (it never enters the
 * store) is unfinished all the same: join waits for its task_done. */
static void *handed_over_counts(void *arg) {
    (void)arg;
    cio_task *w = test_spawn(worker, NULL);
    assert_int_equal(cio_sleep(0), 0); /* the worker parks in get */
    assert_int_equal(cio_queue_put_nowait(queue, ITEM(2)), 0);
    assert_int_equal(cio_queue_qsize(queue), 0); /* handed over, not stored */
    assert_int_equal(cio_sleep(0), 0);
    assert_int_equal(cio_queue_put(queue, ITEM(3)), 0); /* worker busy: stored */
    assert_int_equal(cio_queue_join(queue), 0);
    assert_true(test_now() == 5.0); /* both items' task_done, 2 + 3 s of work */
    assert_int_equal(cio_queue_task_done(queue), -EOVERFLOW);
    assert_int_equal(cio_queue_shutdown(queue, false), 0);
    assert_int_equal(cio_await(w, NULL), 0); /* its task_done calls all returned 0 */
    return NULL;
}

static void *put_one(void *item) {
    int rc = cio_queue_put(queue, item);
    return rc ? cio_fail(rc) : NULL;
}

/* An item whose putter was parked on a full queue counts once the get that
 * makes room admits it: join waits for its task_done too. */
static void *admitted_putter_counts(void *arg) {
    (void)arg;
    assert_int_equal(cio_queue_put(queue, ITEM(1)), 0); /* full (maxsize 1) */
    cio_task *putter = test_spawn(put_one, ITEM(2));
    assert_int_equal(cio_sleep(0), 0); /* the putter parks */
    void *item;
    assert_int_equal(cio_queue_get(queue, &item), 0); /* room: the putter's item enters */
    assert_int_equal(cio_await(putter, NULL), 0);
    assert_int_equal(cio_queue_task_done(queue), 0);
    assert_int_equal(cio_queue_get(queue, &item), 0);
    assert_ptr_equal(item, ITEM(2));
    assert_int_equal(cio_queue_task_done(queue), 0); /* the admitted item was counted */
    assert_int_equal(cio_queue_task_done(queue), -EOVERFLOW);
    return NULL;
}

static void join_counts_items_of_admitted_putters(void **state) {
    (void)state;
    assert_int_equal(cio_queue_new(1, &queue), 0);
    assert_int_equal(test_run(admitted_putter_counts, NULL, NULL, NULL), 0);
    cio_queue_free(queue);
}

static void join_counts_items_handed_to_a_waiting_getter(void **state) {
    (void)state;
    assert_int_equal(cio_queue_new(0, &queue), 0);
    assert_int_equal(test_run(handed_over_counts, NULL, NULL, NULL), 0);
    cio_queue_free(queue);
}

static void *join_in_task(void *arg) {
    (void)arg;
    int rc = cio_queue_join(queue);
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void *join_cancel(void *arg) {
    (void)arg;
    assert_int_equal(cio_queue_put(queue, ITEM(1)), 0);
    cio_task *a;
    assert_int_equal(cio_create_task(join_in_task, NULL, &a), 0);
    cio_task *b;
    assert_int_equal(cio_create_task(join_in_task, NULL, &b), 0);
    cio_timeout scope;
    assert_int_equal(cio_timeout_begin(&scope, 1.0), 0);
    assert_int_equal(cio_queue_join(queue), -ETIMEDOUT);
    assert_int_equal(cio_timeout_end(&scope), -ETIMEDOUT);
    assert_int_equal(cio_task_cancel(a), 0);
    assert_int_equal(cio_await(a, NULL), -ECANCELED);
    void *item;
    assert_int_equal(cio_queue_get(queue, &item), 0);
    assert_int_equal(cio_queue_task_done(queue), 0);
    assert_int_equal(cio_await(b, NULL), 0);
    return NULL;
}

static void join_can_be_cancelled_and_timed_out(void **state) {
    (void)state;
    assert_int_equal(cio_queue_new(0, &queue), 0);
    assert_int_equal(test_run(join_cancel, NULL, NULL, NULL), 0);
    cio_queue_free(queue);
}

/* ---- cancellation and timeouts ------------------------------------------------ */

static void *cancel_getter(void *arg) {
    (void)arg;
    got_len = 0;
    cio_task *a;
    assert_int_equal(cio_create_task(get_one, NULL, &a), 0);
    cio_task *b;
    assert_int_equal(cio_create_task(get_one, NULL, &b), 0);
    assert_int_equal(cio_sleep(1.0), 0);
    assert_int_equal(cio_task_cancel(a), 0);
    assert_int_equal(cio_await(a, NULL), -ECANCELED);
    assert_int_equal(cio_queue_put(queue, ITEM(7)), 0);
    assert_int_equal(cio_await(b, NULL), 0);
    assert_int_equal(got_len, 1); /* b got it; a took nothing */
    assert_int_equal(got[0], 7);
    assert_true(cio_queue_empty(queue));
    return NULL;
}

static void cancelled_getter_takes_nothing(void **state) {
    (void)state;
    assert_int_equal(cio_queue_new(0, &queue), 0);
    assert_int_equal(test_run(cancel_getter, NULL, NULL, NULL), 0);
    cio_queue_free(queue);
}

static void *cancel_getter_after_handoff(void *arg) {
    (void)arg;
    got_len = 0;
    cio_task *a;
    assert_int_equal(cio_create_task(get_one, NULL, &a), 0);
    assert_int_equal(cio_yield(), 0);
    assert_int_equal(cio_queue_put(queue, ITEM(8)), 0);
    assert_int_equal(cio_task_cancel(a), 0);
    assert_int_equal(cio_await(a, NULL), -ECANCELED); /* at its next await */
    assert_int_equal(got_len, 1);                     /* the item was not lost */
    assert_int_equal(got[0], 8);
    return NULL;
}

static void cancelled_getter_keeps_a_handed_item(void **state) {
    (void)state;
    assert_int_equal(cio_queue_new(0, &queue), 0);
    assert_int_equal(test_run(cancel_getter_after_handoff, NULL, NULL, NULL), 0);
    cio_queue_free(queue);
}

static void *cancel_putter(void *arg) {
    (void)arg;
    assert_int_equal(cio_queue_put(queue, ITEM(1)), 0);
    cio_task *a;
    assert_int_equal(cio_create_task(put_item, ITEM(2), &a), 0);
    cio_task *b;
    assert_int_equal(cio_create_task(put_item, ITEM(3), &b), 0);
    assert_int_equal(cio_sleep(1.0), 0);
    assert_int_equal(cio_task_cancel(a), 0);
    assert_int_equal(cio_await(a, NULL), -ECANCELED); /* 2 was not put */
    void *item;
    assert_int_equal(cio_queue_get(queue, &item), 0);
    assert_int_equal(NUM(item), 1);
    assert_int_equal(cio_await(b, NULL), 0);
    assert_int_equal(cio_queue_get(queue, &item), 0);
    assert_int_equal(NUM(item), 3);
    assert_true(cio_queue_empty(queue));
    return NULL;
}

static void cancelled_putter_puts_nothing(void **state) {
    (void)state;
    assert_int_equal(cio_queue_new(1, &queue), 0);
    assert_int_equal(test_run(cancel_putter, NULL, NULL, NULL), 0);
    cio_queue_free(queue);
}

static void *cancel_putter_after_admission(void *arg) {
    (void)arg;
    assert_int_equal(cio_queue_put(queue, ITEM(1)), 0);
    cio_task *a;
    assert_int_equal(cio_create_task(put_item, ITEM(2), &a), 0);
    assert_int_equal(cio_yield(), 0);
    void *item;
    assert_int_equal(cio_queue_get(queue, &item), 0);
    assert_int_equal(cio_task_cancel(a), 0);          /* after 2 went in */
    assert_int_equal(cio_await(a, NULL), -ECANCELED); /* at its next await */
    assert_int_equal(cio_queue_get_nowait(queue, &item), 0);
    assert_int_equal(NUM(item), 2); /* in the queue all the same */
    return NULL;
}

static void cancelled_putter_admitted_stays_put(void **state) {
    (void)state;
    assert_int_equal(cio_queue_new(1, &queue), 0);
    assert_int_equal(test_run(cancel_putter_after_admission, NULL, NULL, NULL), 0);
    cio_queue_free(queue);
}

static void *timeouts(void *arg) {
    (void)arg;
    cio_timeout scope;
    void *item = ITEM(42);
    assert_int_equal(cio_timeout_begin(&scope, 1.0), 0);
    assert_int_equal(cio_queue_get(queue, &item), -ETIMEDOUT);
    assert_int_equal(cio_timeout_end(&scope), -ETIMEDOUT);
    assert_int_equal(NUM(item), 42); /* untouched */
    assert_int_equal(cio_queue_put(queue, ITEM(1)), 0);
    assert_int_equal(cio_timeout_begin(&scope, 1.0), 0);
    assert_int_equal(cio_queue_put(queue, ITEM(2)), -ETIMEDOUT);
    assert_int_equal(cio_timeout_end(&scope), -ETIMEDOUT);
    assert_true(test_now() == 2.0);
    assert_int_equal(cio_queue_qsize(queue), 1);
    return NULL;
}

static void get_and_put_time_out_in_scope(void **state) {
    (void)state;
    assert_int_equal(cio_queue_new(1, &queue), 0);
    assert_int_equal(test_run(timeouts, NULL, NULL, NULL), 0);
    cio_queue_free(queue);
}

/* ---- shutdown ----------------------------------------------------------------- */

static int disposed;
static void count_disposed(void *item, void *arg) {
    assert_ptr_equal(arg, &disposed);
    disposed += NUM(item);
}

static void *graceful(void *arg) {
    (void)arg;
    got_len = 0;
    cio_task *getter;
    assert_int_equal(cio_create_task(get_one, NULL, &getter), 0);
    assert_int_equal(cio_yield(), 0);
    assert_int_equal(cio_queue_shutdown(queue, false), 0);
    assert_int_equal(cio_await(getter, NULL), -CIO_ESHUTDOWN);
    return NULL;
}

static void *graceful_with_items(void *arg) {
    (void)arg;
    assert_int_equal(cio_queue_put(queue, ITEM(1)), 0);
    assert_int_equal(cio_queue_put(queue, ITEM(2)), 0);
    cio_task *putter;
    assert_int_equal(cio_create_task(put_item, ITEM(3), &putter), 0);
    assert_int_equal(cio_yield(), 0);
    assert_int_equal(cio_queue_shutdown(queue, false), 0);
    assert_int_equal(cio_await(putter, NULL), -CIO_ESHUTDOWN); /* 3 stays the putter's */
    assert_int_equal(cio_queue_put(queue, ITEM(4)), -CIO_ESHUTDOWN);
    assert_int_equal(cio_queue_put_nowait(queue, ITEM(4)), -CIO_ESHUTDOWN);
    void *item;
    assert_int_equal(cio_queue_get(queue, &item), 0); /* what is left still comes out */
    assert_int_equal(NUM(item), 1);
    assert_int_equal(cio_queue_get_nowait(queue, &item), 0);
    assert_int_equal(NUM(item), 2);
    assert_int_equal(cio_queue_get(queue, &item), -CIO_ESHUTDOWN);
    assert_int_equal(cio_queue_get_nowait(queue, &item), -CIO_ESHUTDOWN);
    assert_int_equal(cio_queue_shutdown(queue, false), 0); /* again: fine */
    assert_int_equal(disposed, 0);
    return NULL;
}

static void graceful_shutdown(void **state) {
    (void)state;
    assert_int_equal(cio_queue_new(0, &queue), 0);
    assert_int_equal(test_run(graceful, NULL, NULL, NULL), 0);
    cio_queue_free(queue);
    disposed = 0;
    assert_int_equal(cio_queue_new(2, &queue), 0);
    assert_int_equal(cio_queue_set_dispose(queue, count_disposed, &disposed), 0);
    assert_int_equal(test_run(graceful_with_items, NULL, NULL, NULL), 0);
    cio_queue_free(queue);
    assert_int_equal(disposed, 0);
}

static void *immediate(void *arg) {
    (void)arg;
    disposed = 0;
    for (int i = 1; i <= 3; i++) assert_int_equal(cio_queue_put(queue, ITEM(i)), 0);
    void *item;
    assert_int_equal(cio_queue_get(queue, &item), 0); /* 1: taken, not yet done */
    cio_task *joiner;
    assert_int_equal(cio_create_task(join_in_task, NULL, &joiner), 0);
    cio_task *putter;
    assert_int_equal(cio_create_task(put_item, ITEM(10), &putter), 0);
    assert_int_equal(cio_queue_put(queue, ITEM(4)), 0); /* full now */
    assert_int_equal(cio_yield(), 0);
    assert_false(cio_task_done(putter)); /* blocked */
    assert_int_equal(cio_queue_shutdown(queue, true), 0);
    assert_int_equal(disposed, 2 + 3 + 4); /* the queued items, not the putter's */
    assert_true(cio_queue_empty(queue));
    assert_int_equal(cio_await(putter, NULL), -CIO_ESHUTDOWN);
    assert_int_equal(cio_queue_get(queue, &item), -CIO_ESHUTDOWN);
    assert_false(cio_task_done(joiner)); /* item 1 is still unfinished */
    assert_int_equal(cio_queue_task_done(queue), 0);
    assert_int_equal(cio_await(joiner, NULL), 0);
    assert_int_equal(cio_queue_task_done(queue), -EOVERFLOW);
    return NULL;
}

static void immediate_shutdown_drops_items(void **state) {
    (void)state;
    assert_int_equal(cio_queue_new(3, &queue), 0);
    assert_int_equal(cio_queue_set_dispose(queue, count_disposed, &disposed), 0);
    assert_int_equal(test_run(immediate, NULL, NULL, NULL), 0);
    cio_queue_free(queue);
}

static void *shutdown_wakes_all(void *arg) {
    (void)arg;
    got_len = 0;
    cio_task *getters[5];
    for (int i = 0; i < 5; i++) cio_create_task(get_one, NULL, &getters[i]);
    assert_int_equal(cio_sleep(1.0), 0);
    assert_int_equal(cio_queue_shutdown(queue, false), 0);
    for (int i = 0; i < 5; i++) assert_int_equal(cio_await(getters[i], NULL), -CIO_ESHUTDOWN);
    assert_true(test_now() == 1.0);
    assert_int_equal(got_len, 0);
    return NULL;
}

static void shutdown_wakes_every_getter(void **state) {
    (void)state;
    assert_int_equal(cio_queue_new(0, &queue), 0);
    assert_int_equal(test_run(shutdown_wakes_all, NULL, NULL, NULL), 0);
    cio_queue_free(queue);
}

/* ---- free, callbacks, bad input ----------------------------------------------- */

static void *free_while_waited_on(void *arg) {
    (void)arg;
    void *item;
    assert_int_equal(cio_queue_put_nowait(queue, ITEM(5)), 0);
    assert_int_equal(cio_queue_get_nowait(queue, &item), 0); /* 5 taken, not done */
    cio_task *getter;
    assert_int_equal(cio_create_task(get_one, NULL, &getter), 0);
    cio_task *joiner;
    assert_int_equal(cio_create_task(join_in_task, NULL, &joiner), 0);
    assert_int_equal(cio_yield(), 0); /* both wait now */
    cio_queue_free(queue);
    queue = NULL;
    assert_int_equal(cio_await(getter, NULL), -CIO_ECLOSED);
    assert_int_equal(cio_await(joiner, NULL), -CIO_ECLOSED);
    return NULL;
}

static void free_wakes_waiters_with_eclosed(void **state) {
    (void)state;
    assert_int_equal(cio_queue_new(0, &queue), 0);
    assert_int_equal(test_run(free_while_waited_on, NULL, NULL, NULL), 0);
}

static void free_disposes_of_items(void **state) {
    (void)state;
    disposed = 0;
    assert_int_equal(cio_queue_new(0, &queue), 0);
    assert_int_equal(cio_queue_set_dispose(queue, count_disposed, &disposed), 0);
    assert_int_equal(cio_queue_put_nowait(queue, ITEM(20)), 0); /* unbound, no loop: fine */
    assert_int_equal(cio_queue_put_nowait(queue, ITEM(22)), 0);
    cio_queue_free(queue);
    assert_int_equal(disposed, 42);
    cio_queue_free(NULL);
}

static int callback_rc[3];
static void *callback_item;

static void feed_in_callback(void *arg) {
    (void)arg;
    callback_rc[0] = cio_queue_put_nowait(queue, ITEM(30));
    callback_rc[1] = cio_queue_put(queue, ITEM(31)); /* suspending: tasks only */
    callback_rc[2] = cio_queue_get_nowait(queue, &callback_item);
}

static void *callbacks(void *arg) {
    (void)arg;
    assert_int_equal(cio_queue_put_nowait(queue, ITEM(29)), 0);
    assert_int_equal(cio_call_later(cio_get_running_loop(), 1.0, feed_in_callback, NULL, NULL), 0);
    void *item;
    assert_int_equal(cio_queue_get(queue, &item), 0);
    assert_int_equal(NUM(item), 29);
    assert_int_equal(cio_queue_get(queue, &item), 0); /* woken by the callback's put */
    assert_int_equal(NUM(item), 30);
    assert_true(test_now() == 1.0);
    assert_int_equal(callback_rc[0], 0);
    assert_int_equal(callback_rc[1], -EPERM);
    assert_int_equal(callback_rc[2], -EAGAIN); /* 30 went straight to us */
    return NULL;
}

static void usable_from_callbacks(void **state) {
    (void)state;
    assert_int_equal(cio_queue_new(0, &queue), 0);
    assert_int_equal(test_run(callbacks, NULL, NULL, NULL), 0);
    cio_queue_free(queue);
}

static void *bad_input(void *arg) {
    (void)arg;
    void *item;
    assert_int_equal(cio_queue_put(NULL, NULL), -EINVAL);
    assert_int_equal(cio_queue_get(NULL, &item), -EINVAL);
    assert_int_equal(cio_queue_get(queue, NULL), -EINVAL);
    assert_int_equal(cio_queue_get_nowait(queue, NULL), -EINVAL);
    assert_int_equal(cio_queue_put_nowait(NULL, NULL), -EINVAL);
    assert_int_equal(cio_queue_get_nowait(NULL, &item), -EINVAL);
    assert_int_equal(cio_queue_join(NULL), -EINVAL);
    assert_int_equal(cio_queue_task_done(NULL), -EINVAL);
    assert_int_equal(cio_queue_shutdown(NULL, true), -EINVAL);
    assert_int_equal(cio_queue_set_dispose(NULL, NULL, NULL), -EINVAL);
    assert_int_equal(cio_queue_qsize(NULL), 0);
    assert_int_equal(cio_queue_maxsize(NULL), 0);
    assert_true(cio_queue_empty(NULL));
    assert_false(cio_queue_full(NULL));
    return NULL;
}

static void bad_input_is_einval(void **state) {
    (void)state;
    cio_queue *q = ITEM(1);
    assert_int_equal(cio_queue_new(0, NULL), -EINVAL);
    assert_int_equal(cio_priority_queue_new(0, NULL, NULL, &q), -EINVAL);
    assert_null(q);
    assert_int_equal(cio_queue_new(0, &queue), 0);
    assert_int_equal(test_run(bad_input, NULL, NULL, NULL), 0);
    void *item;
    assert_int_equal(cio_queue_get(queue, &item), -EPERM); /* outside a task */
    assert_int_equal(cio_queue_join(queue), -EPERM);
    cio_queue_free(queue);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fifo_order),
        cmocka_unit_test(lifo_order),
        cmocka_unit_test(ring_keeps_order_across_growth),
        cmocka_unit_test(priority_is_stable_for_equal_keys),
        cmocka_unit_test(priority_with_maxsize),
        cmocka_unit_test(blocked_getters_served_in_order),
        cmocka_unit_test(maxsize_blocks_putters_in_order),
        cmocka_unit_test(join_waits_for_every_task_done),
        cmocka_unit_test(join_counts_items_handed_to_a_waiting_getter),
        cmocka_unit_test(join_counts_items_of_admitted_putters),
        cmocka_unit_test(join_can_be_cancelled_and_timed_out),
        cmocka_unit_test(cancelled_getter_takes_nothing),
        cmocka_unit_test(cancelled_getter_keeps_a_handed_item),
        cmocka_unit_test(cancelled_putter_puts_nothing),
        cmocka_unit_test(cancelled_putter_admitted_stays_put),
        cmocka_unit_test(get_and_put_time_out_in_scope),
        cmocka_unit_test(graceful_shutdown),
        cmocka_unit_test(immediate_shutdown_drops_items),
        cmocka_unit_test(shutdown_wakes_every_getter),
        cmocka_unit_test(free_wakes_waiters_with_eclosed),
        cmocka_unit_test(free_disposes_of_items),
        cmocka_unit_test(usable_from_callbacks),
        cmocka_unit_test(bad_input_is_einval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
