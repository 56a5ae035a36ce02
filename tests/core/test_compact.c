/* Compact tasks (cio_task_options.compact): tasks on their loop's shared
 * stack whose frames are copied out while another compact task runs. Each
 * test checks that values kept in frames survive the copies, with normal
 * tasks mixed in, and that the copies did happen (saves, restores). */
#include "testutil.h"

#include "core/compact.h"

#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <fenv.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static cio_task *spawn_compact(cio_task_fn fn, void *arg) {
    cio_task_options opts = {.compact = true};
    cio_task *task;
    assert_int_equal(cio_loop_create_task_ex(cio_get_running_loop(), fn, arg, &opts, &task), 0);
    return task;
}

static struct cio__compact *shared_state(void) {
    return cio__compact_state(cio_get_running_loop());
}

/* Every compact task of this loop on one shared stack: the most copying. */
static void one_shared_stack(void) {
    shared_state()->stacks = 1;
}

/* A frame full of values only this call knows, checked after a suspension. */
static unsigned long fill(unsigned char *buf, size_t len, unsigned seed) {
    unsigned long sum = 0;
    for (size_t i = 0; i < len; i++) sum += buf[i] = (unsigned char)(seed * 31 + i * 7);
    return sum;
}

static unsigned long sum_of(const unsigned char *buf, size_t len) {
    unsigned long sum = 0;
    for (size_t i = 0; i < len; i++) sum += buf[i];
    return sum;
}

/* ---- sleeping, awaiting --------------------------------------------------------------- */

static int order[64], finished;

static void *sleeper(void *arg) {
    int id = (int)(intptr_t)arg;
    unsigned char local[200];
    unsigned long sum = fill(local, sizeof local, (unsigned)id);
    assert_int_equal(cio_sleep(0.001 * (64 - id)), 0);
    assert_int_equal(sum_of(local, sizeof local), sum);
    assert_int_equal(cio_sleep(0.001), 0);
    assert_int_equal(sum_of(local, sizeof local), sum);
    order[finished++] = id;
    return arg;
}

static void *sleepers_main(void *arg) {
    (void)arg;
    cio_task *tasks[64];
    finished = 0;
    for (int i = 0; i < 64; i++) tasks[i] = spawn_compact(sleeper, (void *)(intptr_t)i);
    for (int i = 0; i < 64; i++) {
        void *result;
        assert_int_equal(cio_await(tasks[i], &result), 0);
        assert_ptr_equal(result, (void *)(intptr_t)i);
    }
    for (int i = 0; i < 64; i++) assert_int_equal(order[i], 63 - i); /* shortest sleep first */
    assert_true(shared_state()->saves >= 60); /* 16 tasks on each of 4 stacks */
    assert_true(shared_state()->restores >= 60);
    return NULL;
}

static void compact_tasks_sleep_and_keep_their_frames(void **state) {
    (void)state;
    test_run_checked(sleepers_main, NULL);
}

static void *leaf(void *arg) {
    unsigned char local[64];
    unsigned long sum = fill(local, sizeof local, 9);
    for (int i = 0; i < 5; i++) cio_yield();
    assert_int_equal(sum_of(local, sizeof local), sum);
    return (void *)((intptr_t)arg * 2);
}

static void *awaiter(void *arg) {
    unsigned char local[300];
    unsigned long sum = fill(local, sizeof local, 3);
    cio_task_options plain = {0};
    cio_task *child = (intptr_t)arg % 2 ? spawn_compact(leaf, arg) : NULL;
    if (!child)
        assert_int_equal(cio_loop_create_task_ex(cio_get_running_loop(), leaf, arg, &plain, &child),
                         0);
    void *result;
    assert_int_equal(cio_await(child, &result), 0);
    assert_int_equal(sum_of(local, sizeof local), sum);
    return result;
}

static void *await_main(void *arg) {
    (void)arg;
    cio_task *tasks[20];
    for (int i = 0; i < 20; i++) tasks[i] = spawn_compact(awaiter, (void *)(intptr_t)i);
    for (int i = 0; i < 20; i++) {
        void *result;
        assert_int_equal(cio_await(tasks[i], &result), 0);
        assert_int_equal((intptr_t)result, 2 * i);
    }
    return NULL;
}

static void compact_tasks_await_compact_and_normal_tasks(void **state) {
    (void)state;
    test_run_checked(await_main, NULL);
}

/* The main task compact too, and the loop-wide default. */
static void *defaults_main(void *arg) {
    (void)arg;
    assert_int_equal(cio_loop_set_compact_tasks(cio_get_running_loop(), true), 0);
    cio_task *t = test_spawn(leaf, (void *)(intptr_t)4);
    void *result;
    assert_int_equal(cio_await(t, &result), 0);
    assert_int_equal((intptr_t)result, 8);
    assert_int_equal(cio_loop_set_compact_tasks(cio_get_running_loop(), false), 0);
    assert_non_null(shared_state());
    return NULL;
}

static void the_loop_default_makes_tasks_compact(void **state) {
    (void)state;
    test_run_checked(defaults_main, NULL);
    assert_int_equal(cio_loop_set_compact_tasks(NULL, true), -EINVAL);
}

/* ---- introspection: the stack of a task whose frames are saved away -------------------- */

static void *long_sleeper(void *arg) {
    (void)arg;
    int rc = cio_sleep(100);
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void *backtrace_main(void *arg) {
    (void)arg;
    one_shared_stack();
    cio_task *a = spawn_compact(long_sleeper, NULL);
    cio_yield(); /* a parks; its frames stay on the shared stack */
    void *resident[32], *saved[32];
    size_t n_resident, n_saved;
    assert_int_equal(cio_task_get_stack(a, resident, 32, &n_resident), 0);
    cio_task *b = spawn_compact(long_sleeper, NULL);
    cio_yield(); /* b runs: a's frames go to their copy */
    assert_ptr_equal(shared_state()->shared[0].resident, b);
    assert_int_equal(cio_task_get_stack(a, saved, 32, &n_saved), 0);
    assert_true(n_resident >= 2);
    assert_int_equal(n_saved, n_resident);
    assert_memory_equal(saved, resident, n_saved * sizeof saved[0]);
    cio_task_cancel(a);
    cio_task_cancel(b);
    assert_int_equal(cio_await(a, NULL), -ECANCELED);
    assert_int_equal(cio_await(b, NULL), -ECANCELED);
    return NULL;
}

static void the_stack_of_a_saved_away_task_is_read_from_its_copy(void **state) {
    (void)state;
    test_run_checked(backtrace_main, NULL);
}

/* A wait label (introspection) lies in the frames of the call that made it:
 * read from the copy once they are saved away. */
static void *receiver(void *arg) {
    char buf[64];
    ssize_t n = cio_datagram_recvfrom(arg, buf, sizeof buf, NULL, NULL);
    return n < 0 ? cio_fail((int)n) : NULL;
}

static void *label_main(void *arg) {
    (void)arg;
    one_shared_stack();
    cio_loop_set_debug(cio_get_running_loop(), true); /* saved frames poisoned */
    cio_datagram *ep;
    assert_int_equal(cio_create_datagram_endpoint("127.0.0.1", 0, NULL, 0, NULL, &ep), 0);
    cio_task *a = spawn_compact(receiver, ep);
    cio_yield(); /* a parks in the receive, its label in its frames */
    cio_task *b = spawn_compact(long_sleeper, NULL);
    cio_yield(); /* b runs: a's frames go to their copy */
    assert_ptr_equal(shared_state()->shared[0].resident, b);
    cio_task_info info;
    assert_int_equal(cio_task_get_info(a, &info), 0);
    assert_int_equal(info.wait, CIO_WAIT_DATAGRAM);
    assert_ptr_equal(info.wait_object, ep);
    cio_task_cancel(a);
    cio_task_cancel(b);
    assert_int_equal(cio_await(a, NULL), -ECANCELED);
    assert_int_equal(cio_await(b, NULL), -ECANCELED);
    cio_datagram_free(ep);
    return NULL;
}

static void the_wait_label_of_a_saved_away_task_is_read_from_its_copy(void **state) {
    (void)state;
    test_run_checked(label_main, NULL);
}

/* ---- sync primitives, timeouts, cancellation ------------------------------------------- */

static cio_lock lock;
static int in_lock, total;

static void *locker(void *arg) {
    unsigned char local[128];
    unsigned long sum = fill(local, sizeof local, (unsigned)(intptr_t)arg);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(cio_lock_acquire(&lock), 0);
        assert_int_equal(in_lock++, 0);
        cio_sleep(0.001);
        total++;
        in_lock--;
        assert_int_equal(cio_lock_release(&lock), 0);
    }
    assert_int_equal(sum_of(local, sizeof local), sum);
    return NULL;
}

static void *consumer(void *arg) {
    cio_queue *q = arg;
    intptr_t sum = 0;
    for (;;) {
        void *item;
        assert_int_equal(cio_queue_get(q, &item), 0);
        if (!item) break;
        sum += (intptr_t)item;
    }
    return (void *)sum;
}

static void *sync_main(void *arg) {
    (void)arg;
    one_shared_stack();
    cio_lock_init(&lock);
    total = 0;
    cio_task *lockers[8];
    for (int i = 0; i < 8; i++) lockers[i] = spawn_compact(locker, (void *)(intptr_t)i);
    cio_queue *q;
    assert_int_equal(cio_queue_new(2, &q), 0);
    cio_task *c = spawn_compact(consumer, q);
    for (intptr_t i = 1; i <= 100; i++) assert_int_equal(cio_queue_put(q, (void *)i), 0);
    assert_int_equal(cio_queue_put(q, NULL), 0);
    void *sum;
    assert_int_equal(cio_await(c, &sum), 0);
    assert_int_equal((intptr_t)sum, 5050);
    for (int i = 0; i < 8; i++) assert_int_equal(cio_await(lockers[i], NULL), 0);
    assert_int_equal(total, 24);
    cio_queue_free(q);
    return NULL;
}

static void compact_tasks_use_locks_and_queues(void **state) {
    (void)state;
    test_run_checked(sync_main, NULL);
}

/* The scope chain lies in the task's frames: the deadline timer and a
 * canceller read it while another compact task holds the shared stack. */
static void *timed(void *arg) {
    cio_timeout outer, inner;
    assert_int_equal(cio_timeout_begin(&outer, 10), 0);
    assert_int_equal(cio_timeout_begin(&inner, 0.001 * (double)(intptr_t)arg), 0);
    int rc = cio_sleep(1);
    assert_int_equal(rc, -ETIMEDOUT);
    assert_true(cio_timeout_expired(&inner));
    assert_int_equal(cio_timeout_end(&inner), -ETIMEDOUT);
    assert_false(cio_timeout_expired(&outer));
    assert_int_equal(cio_timeout_end(&outer), 0);
    return NULL;
}

static void *parked(void *arg) {
    cio_timeout scope;
    assert_int_equal(cio_timeout_begin(&scope, 10), 0);
    cio_event *event = arg;
    int rc = cio_event_wait(event);
    cio_timeout_end(&scope);
    return (void *)(intptr_t)rc;
}

static void *timeout_main(void *arg) {
    (void)arg;
    one_shared_stack();
    cio_task *tasks[10];
    for (int i = 0; i < 10; i++) tasks[i] = spawn_compact(timed, (void *)(intptr_t)(i + 1));
    cio_event never;
    cio_event_init(&never);
    cio_task *victim = spawn_compact(parked, &never);
    cio_sleep(0.002);
    assert_int_equal(cio_task_cancel(victim), 0);
    assert_int_equal(cio_await(victim, NULL), -ECANCELED);
    for (int i = 0; i < 10; i++) assert_int_equal(cio_await(tasks[i], NULL), 0);
    return NULL;
}

static void compact_tasks_time_out_and_are_cancelled_while_suspended(void **state) {
    (void)state;
    test_run_checked(timeout_main, NULL);
}

/* ---- deep frames ------------------------------------------------------------------------ */

static unsigned long recurse(int depth, unsigned seed) {
    unsigned char local[1000];
    unsigned long sum = fill(local, sizeof local, seed + (unsigned)depth);
    unsigned long below = depth ? recurse(depth - 1, seed) : (cio_sleep(0.001), 0);
    assert_int_equal(sum_of(local, sizeof local), sum);
    return sum + below;
}

static void *deep(void *arg) {
    unsigned seed = (unsigned)(intptr_t)arg;
    unsigned long first = recurse(10, seed);
    unsigned long second = recurse(100, seed); /* ~100 KiB: the copy grows */
    unsigned long third = recurse(10, seed);
    assert_int_equal(first, third);
    assert_true(second > first);
    cio_task *self = cio_current_task();
    assert_true(self->frames && self->frames->cap >= 100 * 1000);
    return NULL;
}

static void *deep_main(void *arg) {
    (void)arg;
    one_shared_stack();
    cio_task *tasks[4];
    for (int i = 0; i < 4; i++) tasks[i] = spawn_compact(deep, (void *)(intptr_t)i);
    for (int i = 0; i < 4; i++) assert_int_equal(cio_await(tasks[i], NULL), 0);
    return NULL;
}

static void deep_recursion_grows_the_copy(void **state) {
    (void)state;
    test_run_checked(deep_main, NULL);
}

/* ---- streams on loopback: reads and writes through stack buffers --------------------- */

static void *echo_side(void *arg) {
    cio_stream *stream = arg;
    char buf[256]; /* filled by the task itself, after it resumes: fine */
    size_t got;
    for (;;) {
        int rc = cio_stream_readexactly(stream, buf, 100, &got);
        if (rc < 0) break;
        assert_int_equal(cio_stream_write(stream, buf, 100), 0);
        assert_int_equal(cio_stream_drain(stream), 0);
    }
    return NULL;
}

static void *client_side(void *arg) {
    cio_stream *stream = arg;
    char out[100], in[100];
    unsigned char local[500];
    unsigned long sum = fill(local, sizeof local, 11);
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < 100; i++) out[i] = (char)(round + i);
        assert_int_equal(cio_stream_write(stream, out, sizeof out), 0);
        size_t got;
        assert_int_equal(cio_stream_readexactly(stream, in, sizeof in, &got), 0);
        assert_memory_equal(in, out, sizeof out);
    }
    assert_int_equal(sum_of(local, sizeof local), sum);
    return NULL;
}

static void *streams_main(void *arg) {
    (void)arg;
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(listener >= 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    assert_int_equal(bind(listener, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(listen(listener, 8), 0);
    assert_int_equal(getsockname(listener, (struct sockaddr *)&addr, &len), 0);
    enum { PAIRS = 4 };
    cio_stream *clients[PAIRS], *servers[PAIRS];
    cio_task *tasks[2 * PAIRS];
    for (int i = 0; i < PAIRS; i++) {
        assert_int_equal(cio_open_connection("127.0.0.1", ntohs(addr.sin_port), NULL, &clients[i]),
                         0);
        int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC); /* in the backlog already */
        assert_true(fd >= 0);
        assert_int_equal(cio_stream_from_socket(fd, 0, &servers[i]), 0);
        tasks[2 * i] = spawn_compact(echo_side, servers[i]);
        tasks[2 * i + 1] = spawn_compact(client_side, clients[i]);
    }
    for (int i = 0; i < PAIRS; i++) {
        assert_int_equal(cio_await(tasks[2 * i + 1], NULL), 0);
        cio_stream_close(clients[i]);
        assert_int_equal(cio_await(tasks[2 * i], NULL), 0);
        cio_stream_close(servers[i]);
        cio_stream_free(clients[i]);
        cio_stream_free(servers[i]);
    }
    close(listener);
    return NULL;
}

static void compact_tasks_use_streams_on_loopback(void **state) {
    (void)state;
    test_run_on_both_pollers(streams_main);
}

/* ---- a file read into a stack buffer pins the frames ------------------------------------ */

static char path[64];

static void *reader(void *arg) {
    (void)arg;
    char buf[512];
    memset(buf, 0, sizeof buf);
    int fd = cio_file_open(path, O_RDONLY, 0);
    assert_true(fd >= 0);
    assert_int_equal(cio_file_read(fd, buf, sizeof buf), 512);
    for (int i = 0; i < 512; i++) assert_int_equal(buf[i], (char)(i % 100));
    cio_file_close(fd);
    return NULL;
}

static void *spinner(void *arg) {
    (void)arg;
    unsigned char local[2000];
    unsigned long sum = fill(local, sizeof local, 5);
    for (int i = 0; i < 50; i++) cio_yield();
    assert_int_equal(sum_of(local, sizeof local), sum);
    return NULL;
}

static void *file_main(void *arg) {
    (void)arg;
    one_shared_stack();
    /* Compact tasks deferred behind a pinned reader, some before their first
     * run, resumed by the scheduler, by normal tasks' hand-offs and through
     * the swapper. */
    cio_task *tasks[16];
    for (int i = 0; i < 12; i++) tasks[i] = spawn_compact(i % 2 ? reader : spinner, NULL);
    for (int i = 12; i < 16; i++) tasks[i] = test_spawn(spinner, NULL);
    for (int i = 0; i < 16; i++) assert_int_equal(cio_await(tasks[i], NULL), 0);
    return NULL;
}

static void a_file_read_into_a_compact_tasks_stack_is_safe(void **state) {
    (void)state;
    snprintf(path, sizeof path, "/tmp/cio_compact_%d", (int)getpid());
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    for (int i = 0; i < 512; i++) fputc(i % 100, file);
    fclose(file);
    test_run_checked(file_main, NULL);
    unlink(path);
}

/* ---- taking turns on one shared stack ------------------------------------------------- */

/* Compact tasks of one shared stack yielding in turn switch through the
 * swapper, which on x86-64 resumes the next with a `ret` (switch_x86_64.S,
 * cio__ctx_jump_via): here each suspends at its own call depth, and one
 * last before a normal task's turn, so some are resumed at another site
 * than the jumper's. Values kept in registers and frames, and each task's
 * rounding mode (the FPU state a switch keeps), must survive every swap. */
enum { TURNS = 200, TURN_TAKERS = 3 };

struct turns {
    int turn; /* which compact task's turn it is */
    int out_of_turn;
};

struct taker {
    struct turns *turns;
    int me, depth, rounding;
};

static __attribute__((noinline)) void take_turn(struct taker *self, int depth) {
    unsigned long mine = (unsigned long)self->me * 1000003u + (unsigned long)depth;
    if (depth > 0) {
        take_turn(self, depth - 1);
    } else {
        struct turns *turns = self->turns;
        if (turns->turn != self->me) turns->out_of_turn++;
        turns->turn = (self->me + 1) % TURN_TAKERS;
        assert_int_equal(cio_yield(), 0);
    }
    assert_int_equal(mine, (unsigned long)self->me * 1000003u + (unsigned long)depth);
}

static void *turn_taker(void *arg) {
    struct taker *self = arg;
#if !defined(CIO_SWITCH_NO_FPU_STATE)
    assert_int_equal(fesetround(self->rounding), 0);
#endif
    for (int i = 0; i < TURNS; i++) {
        take_turn(self, self->depth);
#if !defined(CIO_SWITCH_NO_FPU_STATE)
        assert_int_equal(fegetround(), self->rounding);
#endif
    }
    return NULL;
}

static void *normal_yielder(void *arg) {
    (void)arg;
    for (int i = 0; i < TURNS; i++) assert_int_equal(cio_yield(), 0);
    return NULL;
}

static void *turns_main(void *arg) {
    (void)arg;
    one_shared_stack();
    struct turns turns = {0};
    struct taker takers[TURN_TAKERS] = {
        {&turns, 0, 0, FE_TONEAREST}, {&turns, 1, 3, FE_UPWARD}, {&turns, 2, 7, FE_DOWNWARD}};
    cio_task *tasks[TURN_TAKERS + 1];
    for (int i = 0; i < TURN_TAKERS; i++) tasks[i] = spawn_compact(turn_taker, &takers[i]);
    tasks[TURN_TAKERS] = test_spawn(normal_yielder, NULL);
    uint64_t saves = shared_state()->saves;
    for (int i = 0; i <= TURN_TAKERS; i++) assert_int_equal(cio_await(tasks[i], NULL), 0);
    assert_int_equal(turns.out_of_turn, 0);
    /* Every compact task's turn but the first swapped frames. */
    assert_true(shared_state()->saves - saves >= (uint64_t)(TURNS - 1) * TURN_TAKERS);
    assert_int_equal(fegetround(), FE_TONEAREST); /* the tasks' modes stayed theirs */
    return NULL;
}

static void compact_tasks_taking_turns_on_one_stack_keep_registers_and_fpu_state(void **state) {
    (void)state;
    test_run_checked(turns_main, NULL);
}

/* ---- debug mode: an object on a compact task's stack that another waits on ----------- */

static void *waits_on_own_event(void *arg) {
    (void)arg;
    cio_event event; /* the mistake: another task would set it while we are suspended */
    cio_event_init(&event);
    cio_task *self = cio_current_task();
    char *top = self->stack.top, *at = (char *)&event;
    if (at < top - self->stack.size || at >= top) fprintf(stderr, "(a fake stack)\n");
    cio_event_wait(&event);
    return NULL;
}

static void *debug_main(void *arg) {
    (void)arg;
    one_shared_stack();
    cio_loop_set_debug(cio_get_running_loop(), true);
    spawn_compact(waits_on_own_event, NULL);
    cio_task *b = spawn_compact(leaf, NULL); /* takes the shared stack: the report */
    cio_await(b, NULL);
    /* Whoever touched the event now would corrupt b's old frames (or, under
     * valgrind, read undefined bytes): stop here. */
    fflush(stderr);
    _exit(0);
}

/* A stale pointer into saved frames, read in debug mode: the part of the
 * frames the next resident does not cover is poisoned. */
static volatile unsigned long *published;

static unsigned long publish_deep(int depth) {
    volatile unsigned long local[64];
    for (int i = 0; i < 64; i++) local[i] = 42;
    if (depth > 0) return publish_deep(depth - 1) + local[0];
    published = &local[0]; /* the mistake */
    cio_sleep(100);
    return local[0];
}

static void *deep_publisher(void *arg) {
    (void)arg;
    publish_deep(40); /* ~20 KiB deep: below what b touches, even briefly */
    return NULL;
}

static void *stale_main(void *arg) {
    (void)arg;
    one_shared_stack();
    cio_loop_set_debug(cio_get_running_loop(), true);
    cio_task *a = spawn_compact(deep_publisher, NULL);
    cio_yield(); /* a parks deep; published points into its frames */
    assert_int_equal(*published, 42);
    char *top = a->stack.top, *at = (char *)published;
    bool on_stack = at >= top - a->stack.size && at < top; /* not on ASan's fake stack */
    cio_task *b = spawn_compact(long_sleeper, NULL);       /* shallow: covers only the top */
    cio_yield();
    if (on_stack) assert_int_equal(*published, 0xcdcdcdcdcdcdcdcdul);
    cio_task_cancel(a);
    cio_task_cancel(b);
    cio_await(a, NULL);
    cio_await(b, NULL);
    return NULL;
}

static void debug_mode_poisons_saved_frames(void **state) {
    (void)state;
    test_run_checked(stale_main, NULL);
}

static void debug_child(void) {
    cio_loop *loop = test_loop_new();
    cio_task *t = test_spawn_on(loop, debug_main, NULL);
    cio_loop_run_until_complete(loop, t, NULL);
    _exit(0);
}

static void debug_mode_reports_a_waited_object_in_saved_frames(void **state) {
    (void)state;
    char out[4096];
    test_in_child(debug_child, out, sizeof out);
    if (strstr(out, "(a fake stack)")) skip(); /* ASan's use-after-return keeps locals off it */
    assert_non_null(strstr(out, "in the frames of suspended compact task"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(compact_tasks_sleep_and_keep_their_frames),
        cmocka_unit_test(compact_tasks_await_compact_and_normal_tasks),
        cmocka_unit_test(the_loop_default_makes_tasks_compact),
        cmocka_unit_test(the_stack_of_a_saved_away_task_is_read_from_its_copy),
        cmocka_unit_test(the_wait_label_of_a_saved_away_task_is_read_from_its_copy),
        cmocka_unit_test(compact_tasks_use_locks_and_queues),
        cmocka_unit_test(compact_tasks_time_out_and_are_cancelled_while_suspended),
        cmocka_unit_test(deep_recursion_grows_the_copy),
        cmocka_unit_test(compact_tasks_taking_turns_on_one_stack_keep_registers_and_fpu_state),
        cmocka_unit_test(compact_tasks_use_streams_on_loopback),
        cmocka_unit_test(a_file_read_into_a_compact_tasks_stack_is_safe),
        cmocka_unit_test(debug_mode_reports_a_waited_object_in_saved_frames),
        cmocka_unit_test(debug_mode_poisons_saved_frames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
