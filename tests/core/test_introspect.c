/* Introspection: what each task waits on and who awaits it, the stack of a
 * suspended task (through the caller of cio_sleep), the task dump, the await
 * graph, and the error paths. On the virtual clock. */
#include "testutil.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- one task per kind of wait ------------------------------------------------- */

static void *status(int rc) {
    return rc ? cio_fail(rc) : NULL;
}

static struct {
    cio_lock lock, cond_lock;
    cio_event event;
    cio_condition cond;
    cio_semaphore sem;
    cio_barrier barrier;
    cio_queue *empty, *full;
    cio_future *future;
    int pipe[2];
    atomic_bool release_job;
    cio_process *process;
    int stream_pipe[2];
    cio_stream *stream; /* of stream_pipe[0] */
    cio_server *server; /* its accept task waits on its listening socket */
} w;

static void *wait_sleep(void *arg) {
    (void)arg;
    return status(cio_sleep(100));
}
static void *wait_fd(void *arg) {
    (void)arg;
    return status(cio_wait_readable(w.pipe[0], -1));
}
static void *wait_lock(void *arg) {
    (void)arg;
    int rc = cio_lock_acquire(&w.lock);
    if (rc == 0) cio_lock_release(&w.lock);
    return status(rc);
}
static void *wait_event(void *arg) {
    (void)arg;
    return status(cio_event_wait(&w.event));
}
static void *wait_condition(void *arg) {
    (void)arg;
    int rc = cio_condition_acquire(&w.cond);
    if (rc == 0) rc = cio_condition_wait(&w.cond);
    if (cio_condition_locked(&w.cond)) cio_condition_release(&w.cond);
    return status(rc);
}
static void *wait_semaphore(void *arg) {
    (void)arg;
    return status(cio_semaphore_acquire(&w.sem));
}
static void *wait_barrier(void *arg) {
    (void)arg;
    return status(cio_barrier_wait(&w.barrier));
}
static void *wait_get(void *arg) {
    (void)arg;
    void *item;
    return status(cio_queue_get(w.empty, &item));
}
static void *wait_put(void *arg) {
    return status(cio_queue_put(w.full, arg));
}
static void *wait_future(void *arg) {
    (void)arg;
    return status(cio_future_await(w.future, NULL));
}
static void *wait_task(void *arg) {
    return status(cio_await(arg, NULL));
}
static void *wait_gather(void *arg) {
    cio_task **pair = arg;
    return status(cio_gather(pair, 2, NULL, NULL));
}
static void *blocked_job(void *arg) {
    (void)arg;
    while (!atomic_load(&w.release_job)) usleep(1000);
    return NULL;
}
static void *wait_job(void *arg) {
    (void)arg;
    return status(cio_to_thread(blocked_job, NULL, NULL));
}
static void *wait_process(void *arg) {
    (void)arg;
    return status(cio_process_wait(w.process, NULL));
}
static void *wait_signal(void *arg) {
    (void)arg;
    return status(cio_wait_signal(SIGUSR2));
}
static void *wait_stream(void *arg) {
    (void)arg;
    char buf[8];
    ssize_t n = cio_stream_read(w.stream, buf, sizeof buf);
    return status(n < 0 ? (int)n : 0);
}
static void no_handler(cio_stream *stream, void *arg) {
    (void)stream, (void)arg;
}

static void setup_objects(void) {
    assert_int_equal(cio_lock_init(&w.lock), 0);
    assert_int_equal(cio_lock_init(&w.cond_lock), 0);
    assert_int_equal(cio_event_init(&w.event), 0);
    assert_int_equal(cio_condition_init(&w.cond, &w.cond_lock), 0);
    assert_int_equal(cio_semaphore_init(&w.sem, 0), 0);
    assert_int_equal(cio_barrier_init(&w.barrier, 2), 0);
    assert_int_equal(cio_queue_new(0, &w.empty), 0);
    assert_int_equal(cio_queue_new(1, &w.full), 0);
    assert_int_equal(cio_queue_put_nowait(w.full, &w), 0);
    assert_int_equal(cio_future_new(cio_get_running_loop(), &w.future), 0);
    assert_int_equal(pipe(w.pipe), 0);
    atomic_store(&w.release_job, false);
    const char *argv[] = {"sleep", "100", NULL};
    assert_int_equal(cio_create_subprocess_exec(argv, NULL, &w.process), 0);
    assert_int_equal(cio_lock_acquire(&w.lock), 0); /* so wait_lock waits */
    assert_int_equal(pipe(w.stream_pipe), 0);
    assert_int_equal(cio_stream_from_fd(w.stream_pipe[0], 0, &w.stream), 0);
    assert_int_equal(cio_start_server("127.0.0.1", 0, no_handler, NULL, NULL, &w.server), 0);
}

static void teardown_objects(void) {
    int killed = cio_process_kill(w.process); /* else the wait would last the child's 100 s */
    if (killed == 0) assert_int_equal(cio_process_wait(w.process, NULL), 0);
    cio_process_free(w.process);
    cio_close(w.pipe[0]);
    close(w.pipe[1]);
    cio_queue_free(w.empty);
    cio_queue_free(w.full);
    cio_future_unref(w.future);
    cio_stream_free(w.stream);
    close(w.stream_pipe[1]);
    cio_server_close(w.server);
    assert_int_equal(cio_server_wait_closed(w.server), 0);
    cio_server_free(w.server);
    assert_int_equal(killed, 0);
}

static cio_task *named(cio_task_fn fn, void *arg, const char *name) {
    cio_task *task = test_spawn(fn, arg);
    assert_int_equal(cio_task_set_name(task, name), 0);
    return task;
}

static cio_task_info info_of(cio_task *task) {
    cio_task_info info;
    assert_int_equal(cio_task_get_info(task, &info), 0);
    return info;
}

#define KINDS 17

static void check_waits(cio_task **t, cio_task *inner, cio_task **pair) {
    static const cio_wait_kind expect[KINDS] = {
        CIO_WAIT_SLEEP,     CIO_WAIT_FD,        CIO_WAIT_LOCK,    CIO_WAIT_EVENT,
        CIO_WAIT_CONDITION, CIO_WAIT_SEMAPHORE, CIO_WAIT_BARRIER, CIO_WAIT_QUEUE_GET,
        CIO_WAIT_QUEUE_PUT, CIO_WAIT_FUTURE,    CIO_WAIT_TASK,    CIO_WAIT_TASKS,
        CIO_WAIT_JOB,       CIO_WAIT_PROCESS,   CIO_WAIT_SIGNAL,  CIO_WAIT_STREAM_READ,
        CIO_WAIT_NONE,
    };
    for (int i = 0; i < KINDS - 1; i++) {
        cio_task_info info = info_of(t[i]);
        if (info.wait != expect[i])
            fail_msg("%s waits on %s, not %s", info.name, cio_wait_kind_name(info.wait),
                     cio_wait_kind_name(expect[i]));
        assert_string_equal(info.state, "waiting");
        assert_true(info.stack_used > 0 && info.stack_used <= info.stack_max_used);
        assert_true(info.stack_max_used <= info.stack_size);
    }
    cio_task_info info = info_of(t[0]);
    assert_true(info.wakes_at == 100.0);
    info = info_of(t[1]);
    assert_int_equal(info.fd, w.pipe[0]);
    assert_int_equal(info.fd_events, CIO_FD_READ);
    assert_ptr_equal(info_of(t[2]).wait_object, &w.lock);
    assert_ptr_equal(info_of(t[3]).wait_object, &w.event);
    assert_ptr_equal(info_of(t[7]).wait_object, w.empty);
    assert_ptr_equal(info_of(t[8]).wait_object, w.full);
    assert_ptr_equal(info_of(t[9]).wait_object, w.future);
    assert_ptr_equal(info_of(t[10]).awaits, inner);
    info = info_of(t[15]);
    assert_ptr_equal(info.wait_object, w.stream);
    assert_int_equal(info.fd, w.stream_pipe[0]);
    assert_int_equal(info.fd_events, CIO_FD_READ);
    assert_string_equal(info.wait_detail, "pipe");
    /* who awaits: cio_await directly, gather through its done-callbacks */
    assert_ptr_equal(info_of(inner).awaited_by, t[10]);
    assert_ptr_equal(info_of(pair[0]).awaited_by, t[11]);
    assert_ptr_equal(info_of(pair[1]).awaited_by, t[11]);
    assert_null(info_of(t[0]).awaited_by);
    info = info_of(cio_current_task());
    assert_string_equal(info.state, "running");
    assert_int_equal(info.wait, CIO_WAIT_NONE);
}

static const char *const names[KINDS - 1] = {
    "w-sleep", "w-fd",     "w-lock",  "w-event",  "w-cond", "w-sem",     "w-barrier", "w-get",
    "w-put",   "w-future", "w-await", "w-gather", "w-job",  "w-process", "w-signal",  "w-stream",
};

static void check_dump(void) {
    char *text = test_dump_tasks();
    static const char *const lines[] = {
        "w-sleep ",     "sleep until 100.000",
        "w-fd ",        "fd ",
        " read",        "w-lock",
        "lock 0x",      "queue-get 0x",
        "queue-put 0x", "w-await ",
        "task inner #", "inner ",
        "w-await #",    "gather-a",
        "w-gather #",   "job 0x",
        "process 0x",   "signal",
        "semaphore 0x", "barrier 0x",
        "condition 0x", "event 0x",
        "future 0x",    "running",
        "accept fd ",
    };
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
        if (!strstr(text, lines[i])) fail_msg("dump lacks '%s':\n%s", lines[i], text);
    char line[48];
    snprintf(line, sizeof line, "stream read fd %d (pipe)", w.stream_pipe[0]);
    if (!strstr(text, line)) fail_msg("dump lacks '%s':\n%s", line, text);
    if (getenv("CIO_TEST_SHOW")) fputs(text, stderr);
    free(text);
}

static void *inspect_every_kind(void *arg) {
    (void)arg;
    setup_objects();
    cio_task *t[KINDS - 1], *inner = named(wait_sleep, NULL, "inner"), *pair[2];
    pair[0] = named(wait_sleep, NULL, "gather-a");
    pair[1] = named(wait_sleep, NULL, "gather-b");
    cio_task_fn fns[KINDS - 1] = {wait_sleep,     wait_fd,        wait_lock,    wait_event,
                                  wait_condition, wait_semaphore, wait_barrier, wait_get,
                                  wait_put,       wait_future,    wait_task,    wait_gather,
                                  wait_job,       wait_process,   wait_signal,  wait_stream};
    void *args[KINDS - 1] = {[8] = &w, [10] = inner, [11] = pair}; /* both consume */
    for (int i = 0; i < KINDS - 1; i++) t[i] = named(fns[i], args[i], names[i]);
    for (int i = 0; i < 5; i++) assert_int_equal(cio_yield(), 0);
    check_waits(t, inner, pair);
    check_dump();
    atomic_store(&w.release_job, true);
    for (int i = 0; i < KINDS - 1; i++) cio_task_cancel(t[i]);
    for (int i = 0; i < KINDS - 1; i++) assert_int_equal(cio_await(t[i], NULL), -ECANCELED);
    cio_lock_release(&w.lock);
    teardown_objects();
    return NULL;
}

static void every_kind_of_wait(void **state) {
    (void)state;
    assert_int_equal(test_run(inspect_every_kind, NULL, NULL, NULL), 0);
}

/* ---- the stack of a suspended task ------------------------------------------------ */

/* Not static and not inlined: its frame must be on the stack, and dladdr
 * must know its name (the test programs export their symbols). */
__attribute__((noinline)) void *introspect_test_sleeper(void *arg);
__attribute__((noinline)) void *introspect_test_sleeper(void *arg) {
    (void)arg;
    int rc = cio_sleep(50);
    __asm__ volatile("" ::: "memory"); /* no tail call: keep this frame */
    return status(rc);
}

static void *print_sleeper_stack(void *arg) {
    (void)arg;
    cio_task *task = test_spawn(introspect_test_sleeper, NULL);
    assert_int_equal(cio_yield(), 0);
    void *frames[32];
    size_t count = 0;
    assert_int_equal(cio_task_get_stack(task, frames, 32, &count), 0);
    assert_true(count >= 2);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_int_equal(cio_task_print_stack(task, out), 0);
    fclose(out);
    /* cio__wait is inlined into cio_sleep in optimised builds */
    if (!strstr(text, "introspect_test_sleeper+0x") ||
        !(strstr(text, "cio__wait+0x") || strstr(text, "cio_sleep+0x")))
        fail_msg("no caller frame in the stack:\n%s", text);
    assert_non_null(strstr(text, "waits on: sleep until 50.000"));
    if (getenv("CIO_TEST_SHOW")) fputs(text, stderr);
    free(text);
    /* the running task's own stack works too */
    assert_int_equal(cio_task_get_stack(cio_current_task(), frames, 32, &count), 0);
    assert_true(count >= 1);
    assert_int_equal(cio_task_cancel(task), 0);
    assert_int_equal(cio_await(task, NULL), -ECANCELED);
    return NULL;
}

static void print_stack_shows_caller(void **state) {
    (void)state;
    assert_int_equal(test_run(print_sleeper_stack, NULL, NULL, NULL), 0);
}

/* ---- the await graph -------------------------------------------------------------- */

static void *leaf(void *arg) {
    (void)arg;
    return status(cio_sleep(10));
}
static void *middle(void *arg) {
    (void)arg;
    cio_task *pair[2] = {named(leaf, NULL, "leaf-1"), named(leaf, NULL, "leaf-2")};
    return status(cio_gather(pair, 2, NULL, NULL));
}
static void *top(void *arg) {
    (void)arg;
    return status(cio_await(named(middle, NULL, "middle"), NULL));
}

static void *graph_of_tree(void *arg) {
    (void)arg;
    cio_task *root = named(top, NULL, "top");
    for (int i = 0; i < 4; i++) assert_int_equal(cio_yield(), 0);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_int_equal(cio_loop_print_call_graph(NULL, out), 0);
    fclose(out);
    /* the main task and top are roots; middle under top; the leaves under middle */
    const char *tree = strstr(text, "* top #");
    if (!tree) fail_msg("no root 'top':\n%s", text);
    const char *mid = strstr(tree, "\n  + middle #");
    const char *l1 = mid ? strstr(mid, "\n    + leaf-1 #") : NULL;
    const char *l2 = mid ? strstr(mid, "\n    + leaf-2 #") : NULL;
    if (!mid || !l1 || !l2) fail_msg("wrong tree:\n%s", text);
    assert_non_null(strstr(text, "(waiting: task middle #"));
    assert_non_null(strstr(text, "(running: -)"));
    if (getenv("CIO_TEST_SHOW")) fputs(text, stderr);
    free(text);
    assert_int_equal(cio_await(root, NULL), 0);
    return NULL;
}

static void await_graph(void **state) {
    (void)state;
    assert_int_equal(test_run(graph_of_tree, NULL, NULL, NULL), 0);
}

/* ---- errors ------------------------------------------------------------------------ */

static void *misuse(void *arg) {
    (void)arg;
    cio_task_info info;
    void *frames[4];
    size_t count = 9;
    assert_int_equal(cio_task_get_info(NULL, &info), -EINVAL);
    assert_int_equal(cio_task_get_info(cio_current_task(), NULL), -EINVAL);
    assert_int_equal(cio_task_get_stack(NULL, frames, 4, &count), -EINVAL);
    assert_int_equal(count, 0);
    assert_int_equal(cio_task_get_stack(cio_current_task(), NULL, 4, &count), -EINVAL);
    assert_int_equal(cio_task_get_stack(cio_current_task(), frames, 4, NULL), -EINVAL);
    assert_int_equal(cio_task_print_stack(NULL, stderr), -EINVAL);
    /* a stale task (its last reference dropped) is refused */
    cio_task *gone = test_spawn(leaf, NULL);
    assert_int_equal(cio_task_cancel(gone), 0);
    assert_int_equal(cio_await(gone, NULL), -ECANCELED);
    assert_int_equal(cio_task_get_info(gone, &info), -EINVAL);
    assert_string_equal(cio_wait_kind_name(CIO_WAIT_QUEUE_JOIN), "queue-join");
    assert_string_equal(cio_wait_kind_name((cio_wait_kind)99), "?");
    return NULL;
}

/* Another thread may not look while the loop runs: -EPERM. */
static struct {
    cio_task *task;
    cio_loop *loop;
    int info_rc, dump_rc, graph_rc, stack_rc;
} other;

static void *other_thread(void *arg) {
    (void)arg;
    cio_task_info info;
    void *frames[4];
    size_t count;
    other.info_rc = cio_task_get_info(other.task, &info);
    other.stack_rc = cio_task_get_stack(other.task, frames, 4, &count);
    other.dump_rc = cio_loop_dump_tasks(other.loop, stderr, false);
    other.graph_rc = cio_loop_print_call_graph(other.loop, stderr);
    return NULL;
}

static void *look_from_another_thread(void *arg) {
    (void)arg;
    other.task = cio_current_task();
    other.loop = cio_get_running_loop();
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, other_thread, NULL), 0);
    pthread_join(thread, NULL); /* blocks the loop briefly: fine in a test */
    assert_int_equal(other.info_rc, -EPERM);
    assert_int_equal(other.stack_rc, -EPERM);
    assert_int_equal(other.dump_rc, -EPERM);
    assert_int_equal(other.graph_rc, -EPERM);
    return NULL;
}

static void errors(void **state) {
    (void)state;
    assert_int_equal(test_run(misuse, NULL, NULL, NULL), 0);
    assert_int_equal(test_run(look_from_another_thread, NULL, NULL, NULL), 0);
    /* no loop running in this thread */
    assert_int_equal(cio_loop_dump_tasks(NULL, NULL, false), -EINVAL);
    assert_int_equal(cio_loop_print_call_graph(NULL, NULL), -EINVAL);
    cio_loop *closed = test_loop_new();
    cio_loop_close(closed);
    assert_int_equal(cio_loop_dump_tasks(closed, NULL, false), -CIO_ECLOSED);
    cio_loop_free(closed);
}

static void *not_started(void *arg) {
    (void)arg;
    cio_task *task = test_spawn(leaf, NULL);
    cio_task_info info;
    assert_int_equal(cio_task_get_info(task, &info), 0);
    assert_string_equal(info.state, "created");
    assert_int_equal(info.stack_size, 0);
    void *frames[4];
    size_t count = 9;
    assert_int_equal(cio_task_get_stack(task, frames, 4, &count), 0);
    assert_int_equal(count, 0);
    assert_int_equal(cio_task_cancel(task), 0);
    assert_int_equal(cio_await(task, NULL), -ECANCELED);
    return NULL;
}

static void task_not_started(void **state) {
    (void)state;
    assert_int_equal(test_run(not_started, NULL, NULL, NULL), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_kind_of_wait), cmocka_unit_test(print_stack_shows_caller),
        cmocka_unit_test(await_graph),        cmocka_unit_test(errors),
        cmocka_unit_test(task_not_started),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
