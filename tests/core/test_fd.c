/* Waiting for fd readiness from tasks, on both pollers. */
#include "testutil.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

struct pair {
    int fds[2];
};

static void *late_writer(void *arg) {
    struct pair *pair = arg;
    cio_sleep(1.0);
    assert_int_equal(write(pair->fds[1], "x", 1), 1);
    return NULL;
}

static void *wait_for_data(void *arg) {
    struct pair *pair = arg;
    cio_task *writer;
    assert_int_equal(cio_create_task(late_writer, pair, &writer), 0);
    assert_int_equal(cio_wait_readable(pair->fds[0], -1), 0);
    assert_true(test_now() == 1.0);
    assert_int_equal(cio_wait_readable(pair->fds[0], -1), 0); /* level: still readable */
    char byte;
    assert_int_equal(read(pair->fds[0], &byte, 1), 1);
    assert_int_equal(cio_wait_readable(pair->fds[0], 0.5), -ETIMEDOUT);
    assert_int_equal(cio_wait_writable(pair->fds[1], 1.0), 0);
    assert_int_equal(cio_await(writer, NULL), 0);
    return NULL;
}

static void *second_reader(void *arg) {
    struct pair *pair = arg;
    return cio_fail(cio_wait_readable(pair->fds[0], -1));
}

static void *busy_and_closed(void *arg) {
    struct pair *pair = arg;
    cio_task *first;
    assert_int_equal(cio_create_task(second_reader, pair, &first), 0);
    cio_yield();
    assert_int_equal(cio_wait_readable(pair->fds[0], 0.1), -EBUSY);
    assert_int_equal(cio_close(pair->fds[0]), 0); /* wakes the waiter */
    assert_int_equal(cio_await(first, NULL), -EBADF);
    assert_int_equal(cio_wait_readable(pair->fds[0], -1), -EBADF); /* closed fd */
    assert_int_equal(cio_wait_readable(-1, -1), -EINVAL);
    assert_int_equal(cio_close(pair->fds[0]), -EBADF); /* double close */
    return NULL;
}

static void *cancel_waiter(void *arg) {
    struct pair *pair = arg;
    cio_task *waiter;
    assert_int_equal(cio_create_task(second_reader, pair, &waiter), 0);
    cio_sleep(1.0);
    cio_task_cancel(waiter);
    assert_int_equal(cio_await(waiter, NULL), -ECANCELED);
    assert_int_equal(cio_wait_readable(pair->fds[0], 0.5), -ETIMEDOUT); /* slot was freed */
    return NULL;
}

static void run_on(const char *poller, cio_task_fn fn, bool close_first) {
    struct pair pair;
    int before = test_count_fds();
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair.fds), 0);
    cio_loop *loop;
    cio_loop_options opts = {.clock = CIO_CLOCK_VIRTUAL, .poller = poller};
    assert_int_equal(cio_loop_new(&opts, &loop), 0);
    cio_task *task;
    assert_int_equal(cio_loop_create_task(loop, fn, &pair, &task), 0);
    assert_int_equal(cio_loop_run_until_complete(loop, task, NULL), 0);
    cio_loop_free(loop);
    if (!close_first) close(pair.fds[0]);
    close(pair.fds[1]);
    assert_int_equal(test_count_fds(), before);
}

static void readiness(void **state) {
    (void)state;
    run_on("epoll", wait_for_data, false);
    run_on("poll", wait_for_data, false);
}

static void busy_close_and_bad_fds(void **state) {
    (void)state;
    run_on("epoll", busy_and_closed, true);
    run_on("poll", busy_and_closed, true);
}

static void cancel_while_waiting(void **state) {
    (void)state;
    run_on("epoll", cancel_waiter, false);
    run_on("poll", cancel_waiter, false);
}

static void *regular_file(void *arg) {
    (void)arg;
    int fd = open("/proc/self/status", O_RDONLY);
    assert_int_equal(cio_wait_readable(fd, -1), -EPERM); /* epoll refuses regular files */
    close(fd);
    return NULL;
}

static void regular_files_are_refused_by_epoll(void **state) {
    (void)state;
    cio_loop *loop;
    cio_loop_options opts = {.clock = CIO_CLOCK_VIRTUAL, .poller = "epoll"};
    assert_int_equal(cio_loop_new(&opts, &loop), 0);
    assert_int_equal(
        cio_loop_run_until_complete(loop, test_spawn_on(loop, regular_file, NULL), NULL), 0);
    cio_loop_free(loop);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(readiness),
        cmocka_unit_test(busy_close_and_bad_fds),
        cmocka_unit_test(cancel_while_waiting),
        cmocka_unit_test(regular_files_are_refused_by_epoll),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
