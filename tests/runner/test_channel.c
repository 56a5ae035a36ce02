/* cio_channel: a FIFO between loops. Real clock (waits are for other
 * threads' posts, never for time), loops from cio_run and cio_run_cores. */
#include "testutil.h"

#include <stdatomic.h>

static void bad_arguments_and_try_forms(void **state) {
    (void)state;
    cio_channel *channel = (cio_channel *)1;
    assert_int_equal(cio_channel_new(0, &channel), -EINVAL);
    assert_null(channel);
    assert_int_equal(cio_channel_new(2, NULL), -EINVAL);
    assert_int_equal(cio_channel_new(2, &channel), 0);
    void *item = NULL;
    assert_int_equal(cio_channel_try_receive(channel, &item), -EAGAIN);
    assert_int_equal(cio_channel_try_send(channel, (void *)1), 0);
    assert_int_equal(cio_channel_try_send(channel, (void *)2), 0);
    assert_int_equal(cio_channel_try_send(channel, (void *)3), -EAGAIN);
    assert_int_equal(cio_channel_size(channel), 2);
    /* Outside a task, the waiting forms are refused. */
    assert_int_equal(cio_channel_send(channel, (void *)3), -EPERM);
    assert_int_equal(cio_channel_receive(channel, &item), -EPERM);
    assert_int_equal(cio_channel_try_receive(channel, &item), 0);
    assert_ptr_equal(item, (void *)1);
    assert_int_equal(cio_channel_close(channel), 0);
    assert_int_equal(cio_channel_close(channel), -CIO_ECLOSED);
    assert_int_equal(cio_channel_try_send(channel, (void *)4), -CIO_ECLOSED);
    assert_int_equal(cio_channel_try_receive(channel, &item), 0); /* drained after close */
    assert_ptr_equal(item, (void *)2);
    assert_int_equal(cio_channel_try_receive(channel, &item), -CIO_ECLOSED);
    assert_int_equal(cio_channel_try_send(NULL, item), -EINVAL);
    assert_int_equal(cio_channel_try_receive(channel, NULL), -EINVAL);
    assert_int_equal(cio_channel_send(NULL, item), -EINVAL);
    assert_int_equal(cio_channel_receive(NULL, &item), -EINVAL);
    assert_int_equal(cio_channel_close(NULL), -EINVAL);
    assert_int_equal(cio_channel_size(NULL), 0);
    cio_channel_free(channel);
    cio_channel_free(NULL);
}

/* ---- one loop: parking, cancelling, closing ------------------------------------------ */

static cio_channel *shared;

static void *receive_one(void *arg) {
    void **got = arg;
    int rc = cio_channel_receive(shared, got);
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void *send_one(void *arg) {
    int rc = cio_channel_send(shared, arg);
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void *parked_waiters(void *arg) {
    int *failures = arg;
    void *got = NULL;
    /* A receiver cancelled while parked takes nothing. */
    cio_task *receiver;
    cio_create_task(receive_one, &got, &receiver);
    cio_yield();
    cio_task_cancel(receiver);
    if (cio_await(receiver, NULL) != -ECANCELED || got) (*failures)++;
    if (cio_channel_try_send(shared, (void *)7) != 0 || cio_channel_size(shared) != 1)
        (*failures)++;

    /* A sender cancelled while parked (the channel holds 1) sends nothing. */
    cio_task *sender;
    cio_create_task(send_one, (void *)8, &sender);
    cio_yield();
    cio_task_cancel(sender);
    if (cio_await(sender, NULL) != -ECANCELED || cio_channel_size(shared) != 1) (*failures)++;

    /* A receive that makes room lets the parked sender's item in, in order. */
    cio_create_task(send_one, (void *)9, &sender);
    cio_yield();
    if (cio_channel_receive(shared, &got) != 0 || got != (void *)7) (*failures)++;
    if (cio_await(sender, NULL) != 0) (*failures)++;
    if (cio_channel_receive(shared, &got) != 0 || got != (void *)9) (*failures)++;

    /* Hand-off: an item given to a parked receiver is its own, even if the
     * receiver is cancelled before it runs again. */
    got = NULL;
    cio_create_task(receive_one, &got, &receiver);
    cio_yield();
    if (cio_channel_try_send(shared, (void *)10) != 0) (*failures)++;
    cio_task_cancel(receiver);
    if (cio_await(receiver, NULL) != 0 || got != (void *)10) (*failures)++;
    if (cio_channel_size(shared) != 0) (*failures)++;

    /* Close wakes a parked receiver and a parked sender with -CIO_ECLOSED. */
    cio_create_task(receive_one, &got, &receiver);
    cio_yield();
    cio_channel_close(shared);
    if (cio_await(receiver, NULL) != -CIO_ECLOSED) (*failures)++;
    return NULL;
}

static void *parked_sender_sees_close(void *arg) {
    int *failures = arg;
    cio_task *sender;
    cio_create_task(send_one, (void *)2, &sender);
    cio_yield();
    cio_channel_close(shared);
    if (cio_await(sender, NULL) != -CIO_ECLOSED) (*failures)++;
    void *got;
    if (cio_channel_receive(shared, &got) != 0 || got != (void *)1) (*failures)++; /* drains */
    if (cio_channel_receive(shared, &got) != -CIO_ECLOSED) (*failures)++;
    if (cio_channel_send(shared, got) != -CIO_ECLOSED) (*failures)++;
    return NULL;
}

static void parking_cancelling_closing(void **state) {
    (void)state;
    int failures = 0;
    assert_int_equal(cio_channel_new(1, &shared), 0);
    assert_int_equal(cio_run(parked_waiters, &failures, NULL), 0);
    assert_int_equal(failures, 0);
    cio_channel_free(shared);

    assert_int_equal(cio_channel_new(1, &shared), 0);
    assert_int_equal(cio_channel_try_send(shared, (void *)1), 0);
    assert_int_equal(cio_run(parked_sender_sees_close, &failures, NULL), 0);
    assert_int_equal(failures, 0);
    cio_channel_free(shared);
}

/* ---- across loops ------------------------------------------------------------------------- */

#define PER_PRODUCER 5000
#define PRODUCERS    3

struct traffic {
    cio_channel *channel;
    atomic_int producers_left;
    long received, out_of_order;
    long last[PRODUCERS];
};

/* Loop 0 receives until the channel closes; loops 1..3 each send
 * PER_PRODUCER items tagged (producer, sequence), and the last one done
 * closes the channel. */
static void *traffic_main(void *arg) {
    struct traffic *traffic = arg;
    int index = cio_cores_index();
    if (index == 0) {
        void *item;
        int rc;
        while ((rc = cio_channel_receive(traffic->channel, &item)) == 0) {
            long value = (long)(intptr_t)item, producer = value / 1000000, seq = value % 1000000;
            if (seq != traffic->last[producer] + 1) traffic->out_of_order++;
            traffic->last[producer] = seq;
            traffic->received++;
        }
        return rc == -CIO_ECLOSED ? NULL : cio_fail(rc);
    }
    long producer = index - 1;
    for (long seq = 1; seq <= PER_PRODUCER; seq++) {
        int rc = cio_channel_send(traffic->channel, (void *)(intptr_t)(producer * 1000000 + seq));
        if (rc < 0) return cio_fail(rc);
    }
    if (atomic_fetch_sub(&traffic->producers_left, 1) == 1) cio_channel_close(traffic->channel);
    return NULL;
}

static void items_cross_loops_in_order(void **state) {
    (void)state;
    struct traffic traffic = {.producers_left = PRODUCERS};
    assert_int_equal(cio_channel_new(8, &traffic.channel), 0); /* small: senders park often */
    cio_cores_options opts = {.loops = PRODUCERS + 1};
    assert_int_equal(cio_run_cores_ex(traffic_main, &traffic, &opts), 0);
    assert_int_equal(traffic.received, PER_PRODUCER * PRODUCERS);
    assert_int_equal(traffic.out_of_order, 0);
    for (int i = 0; i < PRODUCERS; i++) assert_int_equal(traffic.last[i], PER_PRODUCER);
    cio_channel_free(traffic.channel);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_arguments_and_try_forms),
        cmocka_unit_test(parking_cancelling_closing),
        cmocka_unit_test(items_cross_loops_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
