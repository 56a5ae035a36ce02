/* task_tree: a small program to look inside (docs/debugging.md).
 *
 *   ./task_tree [seconds]
 *
 * Builds a tree of tasks that wait on different things (a sleep, a lock, a
 * queue, a gather of two children), prints it with cio_loop_print_call_graph
 * and a task's stack with cio_task_print_stack, then keeps running for
 * `seconds` (default 60) so that you can look at it from outside:
 *   cio-ps PID, cio-pstree PID      (it serves its task table on a socket)
 *   kill -USR1 PID                  (dumps every task to stderr)
 *   gdb -p PID -x tools/cio-gdb.py  (info cio-tasks, cio-bt ID)
 * It prints "ready PID" once everything waits. */
#include <cio.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static cio_lock lock;
static cio_queue *queue;

/* Not static and not inlined: their frames show in backtraces by name. */
__attribute__((noinline)) void *task_tree_sleeper(void *arg);
__attribute__((noinline)) void *task_tree_sleeper(void *arg) {
    int rc = cio_sleep(*(double *)arg);
    __asm__ volatile("" ::: "memory"); /* keep this frame: no tail call */
    return rc ? cio_fail(rc) : NULL;
}

static void *locker(void *arg) {
    (void)arg;
    int rc = cio_lock_acquire(&lock);
    if (rc == 0) cio_lock_release(&lock);
    return rc ? cio_fail(rc) : NULL;
}

static void *consumer(void *arg) {
    (void)arg;
    void *item;
    int rc = cio_queue_get(queue, &item);
    return rc ? cio_fail(rc) : NULL;
}

static void *gatherer(void *arg) {
    cio_task *children[2];
    cio_create_task(task_tree_sleeper, arg, &children[0]);
    cio_create_task(consumer, NULL, &children[1]);
    cio_task_set_name(children[0], "child-sleeper");
    cio_task_set_name(children[1], "child-consumer");
    int rc = cio_gather(children, 2, NULL, NULL);
    return rc ? cio_fail(rc) : NULL;
}

static cio_task *spawn(cio_task_fn fn, void *arg, const char *name) {
    cio_task *task = NULL;
    if (cio_create_task(fn, arg, &task) == 0) cio_task_set_name(task, name);
    return task;
}

/* Everything waits: a breakpoint anchor for tests/tools/gdb_helper.sh. */
__attribute__((noinline)) void task_tree_ready(void);
__attribute__((noinline)) void task_tree_ready(void) {
    printf("ready %d\n", (int)getpid());
    fflush(stdout);
}

static void *main_task(void *arg) {
    double seconds = *(double *)arg;
    cio_loop *loop = cio_get_running_loop();
    int rc = cio_loop_serve_introspection(loop, getenv("TASK_TREE_SOCKET")); /* NULL: default */
    if (rc == 0) rc = cio_loop_dump_on_signal(loop, SIGUSR1);
    if (rc < 0) return cio_fail(rc);
    cio_lock_init(&lock);
    cio_lock_acquire(&lock); /* held: locker waits */
    cio_queue_new(0, &queue);
    cio_task *tasks[] = {spawn(task_tree_sleeper, arg, "sleeper"), spawn(locker, NULL, "locker"),
                         spawn(gatherer, arg, "gatherer")};
    for (int i = 0; i < 4; i++) cio_yield();
    cio_loop_print_call_graph(NULL, stdout);
    cio_task_print_stack(tasks[0], stdout);
    task_tree_ready();
    cio_sleep(seconds);
    for (size_t i = 0; i < 3; i++) cio_task_cancel(tasks[i]);
    for (size_t i = 0; i < 3; i++) cio_await(tasks[i], NULL);
    cio_lock_release(&lock);
    cio_queue_free(queue);
    return NULL;
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 60;
    int rc = cio_run(main_task, &seconds, NULL);
    if (rc < 0) fprintf(stderr, "task_tree: %s\n", cio_strerror(rc));
    return rc < 0;
}
