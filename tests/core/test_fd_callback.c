/* Persistent readiness callbacks (cio_add_reader & co), on both pollers. */
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

struct watched {
    int fds[2];
    int calls;
    int other_calls;
    bool remove_self;
    bool eof;
};

static void open_pair(struct watched *w) {
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, w->fds), 0);
}

static void close_pair(struct watched *w) {
    cio_close(w->fds[0]);
    cio_close(w->fds[1]);
}

/* Reads one byte per call: a level-triggered reader runs once per byte. */
static void read_one(void *arg) {
    struct watched *w = arg;
    char byte;
    ssize_t n = read(w->fds[0], &byte, 1);
    if (n == 0) w->eof = true;
    w->calls++;
    if (w->remove_self || n == 0)
        assert_int_equal(cio_remove_reader(cio_get_running_loop(), w->fds[0]), 1);
}

static void count_other(void *arg) {
    struct watched *w = arg;
    w->other_calls++;
}

static void *fires_while_readable(void *arg) {
    (void)arg;
    cio_loop *loop = cio_get_running_loop();
    struct watched w = {0};
    open_pair(&w);
    assert_int_equal(cio_add_reader(loop, w.fds[0], read_one, &w), 0);
    cio_sleep(1.0);
    assert_int_equal(w.calls, 0); /* nothing to read: never called */
    assert_int_equal(write(w.fds[1], "abc", 3), 3);
    cio_sleep(1.0);
    assert_int_equal(w.calls, 3); /* once per byte: level-triggered */
    assert_int_equal(write(w.fds[1], "d", 1), 1);
    cio_sleep(1.0);
    assert_int_equal(w.calls, 4); /* and again on new data */
    assert_int_equal(cio_remove_reader(loop, w.fds[0]), 1);
    assert_int_equal(write(w.fds[1], "e", 1), 1);
    cio_sleep(1.0);
    assert_int_equal(w.calls, 4); /* removed: not called */
    assert_int_equal(cio_remove_reader(loop, w.fds[0]), 0);
    close_pair(&w);
    return NULL;
}

static void *replace_callback(void *arg) {
    (void)arg;
    cio_loop *loop = cio_get_running_loop();
    struct watched w = {0};
    open_pair(&w);
    assert_int_equal(cio_add_reader(loop, w.fds[0], count_other, &w), 0);
    assert_int_equal(cio_add_reader(loop, w.fds[0], read_one, &w), 0); /* replaces */
    assert_int_equal(write(w.fds[1], "ab", 2), 2);
    cio_sleep(1.0);
    assert_int_equal(w.calls, 2);
    assert_int_equal(w.other_calls, 0);
    assert_int_equal(cio_remove_reader(loop, w.fds[0]), 1);
    close_pair(&w);
    return NULL;
}

static void *close_while_watched(void *arg) {
    (void)arg;
    cio_loop *loop = cio_get_running_loop();
    struct watched w = {0};
    open_pair(&w);
    assert_int_equal(cio_add_reader(loop, w.fds[0], read_one, &w), 0);
    assert_int_equal(cio_add_writer(loop, w.fds[0], count_other, &w), 0);
    assert_int_equal(write(w.fds[1], "a", 1), 1);
    assert_int_equal(cio_close(w.fds[0]), 0); /* drops both callbacks */
    cio_sleep(1.0);
    assert_int_equal(w.calls, 0);
    assert_int_equal(w.other_calls, 0);
    assert_int_equal(cio_remove_reader(loop, w.fds[0]), 0);
    assert_int_equal(cio_remove_writer(loop, w.fds[0]), 0);
    cio_close(w.fds[1]);
    return NULL;
}

static void *peer_closes(void *arg) {
    (void)arg;
    cio_loop *loop = cio_get_running_loop();
    struct watched w = {0};
    open_pair(&w);
    assert_int_equal(cio_add_reader(loop, w.fds[0], read_one, &w), 0);
    cio_close(w.fds[1]);
    cio_sleep(1.0);
    assert_true(w.eof); /* EOF counts as readable; the callback removed itself */
    assert_int_equal(w.calls, 1);
    cio_close(w.fds[0]);
    return NULL;
}

/* A writer that removes itself once, beside a reader on the same fd. */
static void write_once(void *arg) {
    struct watched *w = arg;
    w->other_calls++;
    assert_int_equal(write(w->fds[0], "w", 1), 1);
    assert_int_equal(cio_remove_writer(cio_get_running_loop(), w->fds[0]), 1);
}

static void *reader_and_writer(void *arg) {
    (void)arg;
    cio_loop *loop = cio_get_running_loop();
    struct watched w = {0};
    open_pair(&w);
    assert_int_equal(cio_add_writer(loop, w.fds[0], write_once, &w), 0);
    assert_int_equal(cio_add_reader(loop, w.fds[0], read_one, &w), 0);
    cio_sleep(1.0);
    assert_int_equal(w.other_calls, 1); /* writable at once, then removed */
    assert_int_equal(w.calls, 0);
    char byte;
    assert_int_equal(read(w.fds[1], &byte, 1), 1);
    assert_int_equal(byte, 'w');
    assert_int_equal(write(w.fds[1], "r", 1), 1);
    cio_sleep(1.0);
    assert_int_equal(w.calls, 1); /* the reader outlives the writer */
    assert_int_equal(cio_remove_writer(loop, w.fds[0]), 0);
    assert_int_equal(cio_remove_reader(loop, w.fds[0]), 1);
    close_pair(&w);
    return NULL;
}

/* Two readers ready in the same turn, each removing the other: whichever
 * runs first drops the other's call already queued. */
struct duel {
    struct watched a, b;
    int calls;
};

static struct duel *the_duel;

static void remove_other(void *arg) {
    struct watched *me = arg;
    struct watched *other = me == &the_duel->a ? &the_duel->b : &the_duel->a;
    the_duel->calls++;
    cio_loop *loop = cio_get_running_loop();
    assert_int_equal(cio_remove_reader(loop, other->fds[0]), 1);
    assert_int_equal(cio_remove_reader(loop, me->fds[0]), 1);
}

static void *removed_while_due(void *arg) {
    (void)arg;
    cio_loop *loop = cio_get_running_loop();
    struct duel duel = {0};
    the_duel = &duel;
    open_pair(&duel.a);
    open_pair(&duel.b);
    assert_int_equal(write(duel.a.fds[1], "a", 1), 1);
    assert_int_equal(write(duel.b.fds[1], "b", 1), 1);
    assert_int_equal(cio_add_reader(loop, duel.a.fds[0], remove_other, &duel.a), 0);
    assert_int_equal(cio_add_reader(loop, duel.b.fds[0], remove_other, &duel.b), 0);
    cio_sleep(1.0);
    assert_int_equal(duel.calls, 1);
    close_pair(&duel.a);
    close_pair(&duel.b);
    return NULL;
}

static void *waits_forever(void *arg) {
    return cio_fail(cio_wait_readable(*(int *)arg, -1));
}

static void *errors(void *arg) {
    (void)arg;
    cio_loop *loop = cio_get_running_loop();
    struct watched w = {0};
    open_pair(&w);
    assert_int_equal(cio_add_reader(loop, -1, read_one, &w), -EBADF);
    int closed = dup(w.fds[0]);
    close(closed);
    assert_int_equal(cio_add_reader(loop, closed, read_one, &w), -EBADF);
    assert_int_equal(cio_add_writer(loop, closed, read_one, &w), -EBADF);
    assert_int_equal(cio_add_reader(loop, w.fds[0], NULL, &w), -EINVAL);
    assert_int_equal(cio_add_reader(NULL, w.fds[0], read_one, &w), -EINVAL);
    assert_int_equal(cio_remove_reader(NULL, w.fds[0]), -EINVAL);
    assert_int_equal(cio_remove_reader(loop, w.fds[0]), 0); /* never watched */
    assert_int_equal(cio_remove_writer(loop, w.fds[0]), 0);
    assert_int_equal(cio_remove_reader(loop, -1), 0);
    assert_int_equal(cio_remove_reader(loop, 1 << 20), 0);
    /* A task waits to read fds[0]: its reports must not be taken away. */
    cio_task *waiter = test_spawn(waits_forever, &w.fds[0]);
    cio_yield();
    assert_int_equal(cio_add_reader(loop, w.fds[0], read_one, &w), -EBUSY);
    assert_int_equal(cio_add_writer(loop, w.fds[0], count_other, &w), 0); /* other direction */
    assert_int_equal(cio_remove_writer(loop, w.fds[0]), 1);
    cio_task_cancel(waiter);
    assert_int_equal(cio_await(waiter, NULL), -ECANCELED);
    /* The other way round: a task may not wait on a watched fd (it would
     * never hear of it: the reports go to the callbacks). */
    assert_int_equal(cio_add_reader(loop, w.fds[1], read_one, &w), 0);
    assert_int_equal(cio_wait_writable(w.fds[1], 1.0), -EBUSY);
    assert_int_equal(cio_remove_reader(loop, w.fds[1]), 1);
    assert_int_equal(cio_wait_writable(w.fds[1], 1.0), 0);
    close_pair(&w);
    return NULL;
}

static void *regular_file_on_epoll(void *arg) {
    (void)arg;
    char path[] = "/tmp/cio-fdcb-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    int calls = 0;
    assert_int_equal(cio_add_reader(cio_get_running_loop(), fd, count_other, &calls), -EPERM);
    close(fd);
    return NULL;
}

/* Callbacks still registered when the loop closes are freed with it (ASan
 * and the fd count tell). */
static void *left_registered(void *arg) {
    struct watched *w = arg;
    open_pair(w);
    assert_int_equal(write(w->fds[1], "x", 1), 1);
    assert_int_equal(cio_add_reader(cio_get_running_loop(), w->fds[0], count_other, w), 0);
    cio_yield(); /* the call is queued now, maybe run */
    return NULL;
}

/* From another thread (a pool thread) while the loop runs: refused. */
struct elsewhere {
    cio_loop *loop;
    int fd;
    int add_rc, remove_rc;
};

static void *call_from_pool(void *arg) {
    struct elsewhere *e = arg;
    int calls = 0;
    e->add_rc = cio_add_reader(e->loop, e->fd, count_other, &calls);
    e->remove_rc = cio_remove_reader(e->loop, e->fd);
    return NULL;
}

static void *wrong_thread(void *arg) {
    (void)arg;
    struct watched w = {0};
    open_pair(&w);
    struct elsewhere e = {cio_get_running_loop(), w.fds[0], 1, 1};
    assert_int_equal(cio_to_thread(call_from_pool, &e, NULL), 0);
    assert_int_equal(e.add_rc, -EPERM);
    assert_int_equal(e.remove_rc, -EPERM);
    close_pair(&w);
    return NULL;
}

static void fd_callbacks_fire_while_readable(void **state) {
    (void)state;
    test_run_on_both_pollers(fires_while_readable);
}

static void fd_callbacks_replace(void **state) {
    (void)state;
    test_run_on_both_pollers(replace_callback);
}

static void fd_callbacks_close_while_watched(void **state) {
    (void)state;
    test_run_on_both_pollers(close_while_watched);
}

static void fd_callbacks_peer_closes(void **state) {
    (void)state;
    test_run_on_both_pollers(peer_closes);
}

static void fd_callbacks_reader_and_writer(void **state) {
    (void)state;
    test_run_on_both_pollers(reader_and_writer);
}

static void fd_callbacks_removed_while_due(void **state) {
    (void)state;
    test_run_on_both_pollers(removed_while_due);
}

static void fd_callbacks_errors(void **state) {
    (void)state;
    test_run_on_both_pollers(errors);
    test_run_checked(regular_file_on_epoll, "epoll");
}

static void fd_callbacks_freed_with_loop(void **state) {
    (void)state;
    struct watched w = {0};
    assert_int_equal(test_run(left_registered, &w, NULL, NULL), 0);
    close(w.fds[0]);
    close(w.fds[1]);
}

static void fd_callbacks_wrong_thread(void **state) {
    (void)state;
    test_run_checked(wrong_thread, NULL);
}

static void fd_callbacks_closed_loop(void **state) {
    (void)state;
    cio_loop *loop = test_loop_new();
    int fds[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
    assert_int_equal(cio_loop_close(loop), 0);
    int calls = 0;
    assert_int_equal(cio_add_reader(loop, fds[0], count_other, &calls), -CIO_ECLOSED);
    assert_int_equal(cio_remove_reader(loop, fds[0]), -CIO_ECLOSED);
    cio_loop_free(loop);
    close(fds[0]);
    close(fds[1]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fd_callbacks_fire_while_readable),
        cmocka_unit_test(fd_callbacks_replace),
        cmocka_unit_test(fd_callbacks_close_while_watched),
        cmocka_unit_test(fd_callbacks_peer_closes),
        cmocka_unit_test(fd_callbacks_reader_and_writer),
        cmocka_unit_test(fd_callbacks_removed_while_due),
        cmocka_unit_test(fd_callbacks_errors),
        cmocka_unit_test(fd_callbacks_freed_with_loop),
        cmocka_unit_test(fd_callbacks_wrong_thread),
        cmocka_unit_test(fd_callbacks_closed_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
