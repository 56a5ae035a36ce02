/* tests/poll/test_poller.c - one suite, run against every poller backend.
 *
 * Each test gets a fresh poller of the backend in its prestate and checks,
 * on teardown, that no fd leaked. Where edge- and level-triggered backends
 * may rightly differ (a re-arm without recheck on an fd that is still ready)
 * the test says which answer it expects from which. Sockets may report
 * WRITABLE without being asked (epoll registers both directions), so tests
 * on sockets check the bits they care about, not equality. */
#include "testutil.h"

#include "poll/poll.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

struct fixture {
    const struct cio__poller_ops *ops;
    bool edge_triggered;
    cio__poller *poller;
    int fds_before;
};

#ifdef __linux__
static struct fixture epoll_fixture = {.ops = &cio__poller_epoll, .edge_triggered = true};
#endif
static struct fixture poll_fixture = {.ops = &cio__poller_poll};

static int setup(void **state) {
    struct fixture *fx = *state;
    fx->fds_before = test_count_fds();
    return fx->ops->init(&fx->poller);
}

static int teardown(void **state) {
    struct fixture *fx = *state;
    fx->ops->close(fx->poller);
    fx->poller = NULL;
    int fds_after = test_count_fds();
    if (fds_after == fx->fds_before) return 0;
    print_error("%s: %d fds before, %d after\n", fx->ops->name, fx->fds_before, fds_after);
    return -1;
}

/* ---- helpers ---------------------------------------------------------------- */

#define MAX_REPORTS 4096

struct reports {
    int count;
    int fd[MAX_REPORTS];
    unsigned events[MAX_REPORTS];
};

static void record(void *ctx, int fd, unsigned events) {
    struct reports *reports = ctx;
    assert_true(reports->count < MAX_REPORTS);
    reports->fd[reports->count] = fd;
    reports->events[reports->count++] = events;
}

/* One poll; fills *reports and checks the return value matches them. */
static void poll_into(struct fixture *fx, int timeout_ms, struct reports *reports) {
    reports->count = 0;
    int rc = fx->ops->poll(fx->poller, timeout_ms, record, reports);
    assert_int_equal(rc, reports->count);
}

/* Poll without waiting; what was reported for fd (0: nothing). An fd is
 * reported at most once per poll. */
static unsigned poll_fd(struct fixture *fx, int fd) {
    static struct reports reports;
    poll_into(fx, 0, &reports);
    unsigned events = 0;
    int times = 0;
    for (int i = 0; i < reports.count; i++) {
        if (reports.fd[i] != fd) continue;
        events |= reports.events[i];
        times++;
    }
    assert_true(times <= 1);
    return events;
}

static void arm(struct fixture *fx, int fd, unsigned events, bool recheck) {
    assert_int_equal(fx->ops->arm(fx->poller, fd, events, recheck), 0);
}

static void make_pipe(int fds[2]) {
    assert_int_equal(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
}

static void make_socketpair(int fds[2]) {
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
}

/* Forget then close, the order the core follows; -1 entries are skipped. */
static void close_pair(struct fixture *fx, int fds[2]) {
    for (int i = 0; i < 2; i++) {
        if (fds[i] < 0) continue;
        fx->ops->forget(fx->poller, fds[i]);
        close(fds[i]);
        fds[i] = -1;
    }
}

static void put_byte(int fd) {
    assert_int_equal(write(fd, "x", 1), 1);
}

static void take_byte(int fd) {
    char byte;
    assert_int_equal(read(fd, &byte, 1), 1);
}

static bool has(unsigned events, unsigned wanted) {
    return (events & wanted) == wanted;
}

/* ---- pipes --------------------------------------------------------------------- */

static void pipe_readable_once(void **state) {
    struct fixture *fx = *state;
    int fds[2];
    make_pipe(fds);
    arm(fx, fds[0], CIO__READABLE, false);
    assert_int_equal(poll_fd(fx, fds[0]), 0);

    put_byte(fds[1]);
    assert_true(has(poll_fd(fx, fds[0]), CIO__READABLE));
    assert_int_equal(poll_fd(fx, fds[0]), 0); /* once, not on every turn */

    take_byte(fds[0]);
    arm(fx, fds[0], CIO__READABLE, false);
    assert_int_equal(poll_fd(fx, fds[0]), 0);

    put_byte(fds[1]);
    assert_true(has(poll_fd(fx, fds[0]), CIO__READABLE));
    close_pair(fx, fds);
}

static void pipe_write_end_writable(void **state) {
    struct fixture *fx = *state;
    int fds[2];
    make_pipe(fds);
    arm(fx, fds[1], CIO__WRITABLE, false);
    assert_true(has(poll_fd(fx, fds[1]), CIO__WRITABLE));
    assert_int_equal(poll_fd(fx, fds[1]), 0); /* once */
    close_pair(fx, fds);
}

static void pipe_closed_write_end_hangs_up(void **state) {
    struct fixture *fx = *state;
    int fds[2];
    make_pipe(fds);
    arm(fx, fds[0], CIO__READABLE, false);
    assert_int_equal(poll_fd(fx, fds[0]), 0);
    fx->ops->forget(fx->poller, fds[1]);
    close(fds[1]);
    fds[1] = -1;
    assert_true(has(poll_fd(fx, fds[0]), CIO__READABLE | CIO__HANGUP));
    close_pair(fx, fds);
}

/* ---- sockets ------------------------------------------------------------------ */

/* Arm fd for reading and let a first poll take any report that arming alone
 * caused (epoll reports a fresh socket as writable). */
static void arm_quiet_socket(struct fixture *fx, int fd) {
    arm(fx, fd, CIO__READABLE, false);
    assert_false(poll_fd(fx, fd) & CIO__READABLE);
}

static void socket_peer_shutdown_hangs_up(void **state) {
    struct fixture *fx = *state;
    int fds[2];
    make_socketpair(fds);
    arm_quiet_socket(fx, fds[0]);
    assert_int_equal(shutdown(fds[1], SHUT_WR), 0);
    assert_true(has(poll_fd(fx, fds[0]), CIO__READABLE | CIO__HANGUP));
    close_pair(fx, fds);
}

/* Data and FIN before one read: the read is short and no later edge comes
 * for the FIN, so the report itself must carry HANGUP (EPOLLRDHUP). */
static void socket_data_and_fin_together(void **state) {
    struct fixture *fx = *state;
    int fds[2];
    make_socketpair(fds);
    arm_quiet_socket(fx, fds[0]);
    assert_int_equal(write(fds[1], "hello", 5), 5);
    assert_int_equal(shutdown(fds[1], SHUT_WR), 0);
    assert_true(has(poll_fd(fx, fds[0]), CIO__READABLE | CIO__HANGUP));
    char buf[16];
    assert_int_equal(read(fds[0], buf, sizeof buf), 5);
    assert_int_equal(read(fds[0], buf, sizeof buf), 0);
    close_pair(fx, fds);
}

/* ---- recheck, forget, reuse of fd numbers ------------------------------------- */

static void recheck_reports_ready_fd_again(void **state) {
    struct fixture *fx = *state;
    int fds[2];
    make_pipe(fds);
    put_byte(fds[1]);
    arm(fx, fds[0], CIO__READABLE, false);
    assert_true(has(poll_fd(fx, fds[0]), CIO__READABLE));
    if (fx->edge_triggered) { /* the edge is consumed: a plain arm stays silent */
        arm(fx, fds[0], CIO__READABLE, false);
        assert_int_equal(poll_fd(fx, fds[0]), 0);
    }
    arm(fx, fds[0], CIO__READABLE, true);
    assert_true(has(poll_fd(fx, fds[0]), CIO__READABLE));
    close_pair(fx, fds);
}

static void forget_close_reopen_same_number(void **state) {
    struct fixture *fx = *state;
    int old[2], fresh[2];
    make_pipe(old);
    arm(fx, old[0], CIO__READABLE, false);
    int number = old[0];
    close_pair(fx, old);
    make_pipe(fresh); /* lowest free numbers: the same ones */
    assert_int_equal(fresh[0], number);
    arm(fx, fresh[0], CIO__READABLE, false);
    put_byte(fresh[1]);
    assert_true(has(poll_fd(fx, fresh[0]), CIO__READABLE));
    close_pair(fx, fresh);
}

/* Forgetting fds leaves the others armed, however the poller stores them. */
static void forget_leaves_others_armed(void **state) {
    struct fixture *fx = *state;
    int fds[3][2];
    for (int i = 0; i < 3; i++) {
        make_pipe(fds[i]);
        arm(fx, fds[i][0], CIO__READABLE, false);
    }
    close_pair(fx, fds[0]);
    close_pair(fx, fds[2]);
    put_byte(fds[1][1]);
    struct reports reports;
    poll_into(fx, 0, &reports);
    assert_int_equal(reports.count, 1);
    assert_int_equal(reports.fd[0], fds[1][0]);
    close_pair(fx, fds[1]);
}

/* Without forget() the poller still thinks the number is armed; a recheck
 * must mend that (epoll: MOD fails with ENOENT, so ADD). */
static void closed_behind_our_back_then_recheck(void **state) {
    struct fixture *fx = *state;
    int old[2], fresh[2];
    make_pipe(old);
    arm(fx, old[0], CIO__READABLE, false);
    int number = old[0];
    close(old[0]);
    close(old[1]);
    make_pipe(fresh);
    assert_int_equal(fresh[0], number);
    arm(fx, fresh[0], CIO__READABLE, true);
    put_byte(fresh[1]);
    assert_true(has(poll_fd(fx, fresh[0]), CIO__READABLE));
    close_pair(fx, fresh);
}

/* poll(2) says POLLNVAL: report so the waiters wake, then drop the entry.
 * epoll drops a closed fd by itself and says nothing. */
static void closed_fd_reported_then_dropped(void **state) {
    struct fixture *fx = *state;
    int fds[2];
    make_pipe(fds);
    arm(fx, fds[0], CIO__READABLE, false);
    int closed = fds[0];
    close(fds[0]);
    fds[0] = -1;
    unsigned expected = fx->edge_triggered ? 0 : CIO__READABLE | CIO__WRITABLE | CIO__HANGUP;
    assert_int_equal(poll_fd(fx, closed), expected);
    assert_int_equal(poll_fd(fx, closed), 0);
    fx->ops->forget(fx->poller, closed); /* late, harmless */
    close_pair(fx, fds);
}

/* ---- errors ------------------------------------------------------------------- */

static void regular_file(void **state) {
    struct fixture *fx = *state;
    char path[] = "/tmp/cio_test_poller_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    int rc = fx->ops->arm(fx->poller, fd, CIO__READABLE, false);
    if (fx->edge_triggered) { /* epoll refuses regular files; the caller must hear it */
        assert_int_equal(rc, -EPERM);
        assert_int_equal(fx->ops->arm(fx->poller, fd, CIO__READABLE, true), -EPERM);
    } else { /* poll(2) calls a regular file always ready */
        assert_int_equal(rc, 0);
        assert_true(has(poll_fd(fx, fd), CIO__READABLE));
    }
    fx->ops->forget(fx->poller, fd);
    close(fd);
}

static void bad_fds(void **state) {
    struct fixture *fx = *state;
    assert_int_equal(fx->ops->arm(fx->poller, -1, CIO__READABLE, false), -EBADF);
    fx->ops->forget(fx->poller, -1);
    fx->ops->forget(fx->poller, 1 << 20); /* never armed, beyond any table */
    if (fx->edge_triggered) {             /* poll(2) learns of a closed fd only at poll: POLLNVAL */
        int fds[2];
        make_pipe(fds);
        int closed = fds[0];
        close_pair(fx, fds);
        assert_int_equal(fx->ops->arm(fx->poller, closed, CIO__READABLE, false), -EBADF);
    }
}

/* ---- waiting ------------------------------------------------------------------ */

static void timeout_with_nothing_ready(void **state) {
    struct fixture *fx = *state;
    struct reports reports;
    poll_into(fx, 10, &reports); /* nothing armed */
    assert_int_equal(reports.count, 0);

    int fds[2];
    make_pipe(fds);
    arm(fx, fds[0], CIO__READABLE, false);
    poll_into(fx, 10, &reports); /* armed, idle */
    assert_int_equal(reports.count, 0);
    close_pair(fx, fds);
}

#define MANY 1000

/* Room for MANY socketpairs; false (and the test is skipped) if the hard
 * limit does not allow it. */
static bool raise_fd_limit(void) {
    struct rlimit limit;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &limit), 0);
    rlim_t needed = 2 * MANY + 64;
    if (limit.rlim_cur >= needed) return true;
    if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < needed) return false;
    limit.rlim_cur = limit.rlim_max;
    return setrlimit(RLIMIT_NOFILE, &limit) == 0;
}

/* Every fd is reported exactly once, over as many polls as the backend's
 * batch size needs, and then all is quiet. */
static void many_fds_all_reported(void **state) {
    struct fixture *fx = *state;
    if (!raise_fd_limit()) skip();
    static int pairs[MANY][2];
    int highest = 0;
    for (int i = 0; i < MANY; i++) {
        make_socketpair(pairs[i]);
        put_byte(pairs[i][1]);
        arm(fx, pairs[i][0], CIO__READABLE, false);
        highest = pairs[i][1] > highest ? pairs[i][1] : highest;
    }
    int *seen = calloc((size_t)highest + 1, sizeof *seen);
    assert_non_null(seen);
    static struct reports reports;
    int total = 0;
    for (int round = 0; round < 100 && total < MANY; round++) {
        poll_into(fx, 0, &reports);
        if (round == 0 && !fx->edge_triggered) /* poll(2) has no batch limit */
            assert_int_equal(reports.count, MANY);
        for (int i = 0; i < reports.count; i++) {
            assert_true(reports.events[i] & CIO__READABLE);
            seen[reports.fd[i]]++;
            total++;
        }
    }
    poll_into(fx, 0, &reports);
    assert_int_equal(reports.count, 0);
    for (int i = 0; i < MANY; i++) {
        assert_int_equal(seen[pairs[i][0]], 1);
        close_pair(fx, pairs[i]);
    }
    free(seen);
}

/* ---- callbacks that change the poller ----------------------------------------- */

#define ARMED_IN_CALLBACK 64

struct meddler {
    struct fixture *fx;
    int first[2], second[2];
    int added[ARMED_IN_CALLBACK][2];
    int calls;
};

/* On the first report: forget and close the other pipe, and arm enough new
 * fds to make the poller grow its tables mid-dispatch. */
static void meddle(void *ctx, int fd, unsigned events) {
    struct meddler *m = ctx;
    assert_true(events & CIO__READABLE);
    if (m->calls++ > 0) return;
    close_pair(m->fx, fd == m->first[0] ? m->second : m->first);
    for (int i = 0; i < ARMED_IN_CALLBACK; i++) {
        make_pipe(m->added[i]);
        arm(m->fx, m->added[i][0], CIO__READABLE, false);
    }
}

static void callback_may_arm_and_forget(void **state) {
    struct fixture *fx = *state;
    struct meddler m = {.fx = fx};
    make_pipe(m.first);
    make_pipe(m.second);
    put_byte(m.first[1]);
    put_byte(m.second[1]);
    arm(fx, m.first[0], CIO__READABLE, false);
    arm(fx, m.second[0], CIO__READABLE, false);
    int rc = fx->ops->poll(fx->poller, 0, meddle, &m);
    assert_int_equal(rc, m.calls);
    /* A report for the fd forgotten mid-batch is spurious, which is allowed. */
    assert_true(m.calls >= 1 && m.calls <= 2);
    close_pair(fx, m.first);
    close_pair(fx, m.second);
    for (int i = 0; i < ARMED_IN_CALLBACK; i++) close_pair(fx, m.added[i]);
}

/* ---- the backend table -------------------------------------------------------- */

static void find_backends(void **state) {
    (void)state;
    assert_ptr_equal(cio__poller_find("poll"), &cio__poller_poll);
#ifdef __linux__
    assert_ptr_equal(cio__poller_find("epoll"), &cio__poller_epoll);
    assert_ptr_equal(cio__poller_find(NULL), &cio__poller_epoll);
#else
    assert_ptr_equal(cio__poller_find(NULL), &cio__poller_poll);
#endif
    assert_null(cio__poller_find("kqueue-someday"));
    assert_null(cio__poller_find(""));
}

/* Each test once per backend, named "test (backend)". */
#define TEST(function, fixture)                                                                    \
    {                                                                                              \
        .name = #function " (" #fixture ")", .test_func = function, .setup_func = setup,           \
        .teardown_func = teardown, .initial_state = &fixture                                       \
    }

#define FOR_BACKEND(fixture)                                                                       \
    TEST(pipe_readable_once, fixture), TEST(pipe_write_end_writable, fixture),                     \
        TEST(pipe_closed_write_end_hangs_up, fixture),                                             \
        TEST(socket_peer_shutdown_hangs_up, fixture), TEST(socket_data_and_fin_together, fixture), \
        TEST(recheck_reports_ready_fd_again, fixture),                                             \
        TEST(forget_close_reopen_same_number, fixture), TEST(forget_leaves_others_armed, fixture), \
        TEST(closed_behind_our_back_then_recheck, fixture),                                        \
        TEST(closed_fd_reported_then_dropped, fixture), TEST(regular_file, fixture),               \
        TEST(bad_fds, fixture), TEST(timeout_with_nothing_ready, fixture),                         \
        TEST(many_fds_all_reported, fixture), TEST(callback_may_arm_and_forget, fixture)

int main(void) {
    const struct CMUnitTest tests[] = {
#ifdef __linux__
        FOR_BACKEND(epoll_fixture),
#endif
        FOR_BACKEND(poll_fixture),
        cmocka_unit_test(find_backends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
