/* Bad input and misuse, for every primitive and the queue: NULL and
 * uninitialised storage, suspending calls outside a task, use from a second
 * loop and from another thread (loop-local binding), and re-initialising. */
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static cio_lock lock;
static cio_event event;
static cio_condition cond;
static cio_semaphore sem;
static cio_barrier barrier;
static cio_queue *queue;

static void init_all(void) {
    assert_int_equal(cio_lock_init(&lock), 0);
    assert_int_equal(cio_event_init(&event), 0);
    assert_int_equal(cio_condition_init(&cond, NULL), 0);
    assert_int_equal(cio_semaphore_init(&sem, 1), 0);
    assert_int_equal(cio_barrier_init(&barrier, 2), 0);
}

/* Every changing call of every primitive must return expect (0 or -EPERM). */
static void change_all(int expect) {
    void *item;
    assert_int_equal(cio_lock_try_acquire(&lock), expect);
    assert_int_equal(cio_lock_release(&lock), expect);
    assert_int_equal(cio_event_set(&event), expect);
    assert_int_equal(cio_event_clear(&event), expect);
    assert_int_equal(cio_condition_try_acquire(&cond), expect);
    assert_int_equal(cio_condition_notify(&cond, 1), expect);
    assert_int_equal(cio_condition_release(&cond), expect);
    assert_int_equal(cio_semaphore_try_acquire(&sem), expect);
    assert_int_equal(cio_semaphore_release(&sem), expect);
    assert_int_equal(cio_barrier_reset(&barrier), expect);
    assert_int_equal(cio_queue_put_nowait(queue, NULL), expect);
    assert_int_equal(cio_queue_get_nowait(queue, &item), expect);
    assert_int_equal(cio_queue_task_done(queue), expect);
}

/* The suspending calls, in a task: all return expect at once. */
static void wait_all(int expect) {
    void *item;
    assert_int_equal(cio_lock_acquire(&lock), expect);
    assert_int_equal(cio_event_wait(&event), expect);
    assert_int_equal(cio_condition_acquire(&cond), expect);
    assert_int_equal(cio_semaphore_acquire(&sem), expect);
    assert_int_equal(cio_barrier_wait(&barrier), expect);
    assert_int_equal(cio_queue_put(queue, NULL), expect);
    assert_int_equal(cio_queue_get(queue, &item), expect);
    assert_int_equal(cio_queue_join(queue), expect);
}

static void *bind_here(void *arg) {
    (void)arg;
    change_all(0); /* binds each to this loop */
    return NULL;
}

static void *refused_here(void *arg) {
    (void)arg;
    change_all(-EPERM);
    wait_all(-EPERM);
    return NULL;
}

/* Run fn as a task on loop (which stays alive for the caller). */
static void run_on(cio_loop *loop, cio_task_fn fn) {
    cio_task *task;
    cio_loop_create_task(loop, fn, NULL, &task);
    assert_non_null(task);
    assert_int_equal(cio_loop_run_until_complete(loop, task, NULL), 0);
}

static void second_loop_is_refused(void **state) {
    (void)state;
    cio_loop *first = test_loop_new();
    init_all();
    assert_int_equal(cio_queue_new(0, &queue), 0);
    run_on(first, bind_here);
    assert_int_equal(test_run(refused_here, NULL, NULL, NULL), 0);
    change_all(-EPERM);    /* and from no loop at all, once bound */
    cio_queue_free(queue); /* nobody waits: fine from any thread */
    init_all();            /* re-initialising unbinds (a queue is made anew) */
    assert_int_equal(cio_queue_new(0, &queue), 0);
    assert_int_equal(test_run(bind_here, NULL, NULL, NULL), 0);
    cio_queue_free(queue);
    cio_loop_free(first);
}

/* A loop made where a freed one was (malloc hands the same memory back at
 * once, often) is still another loop: the binding is the loop's serial
 * number, not its address. */
static void a_new_loop_at_a_freed_loops_address_is_refused(void **state) {
    (void)state;
    init_all();
    assert_int_equal(cio_queue_new(0, &queue), 0);
    int reused = 0;
    for (int i = 0; i < 8; i++) {
        cio_loop *first = test_loop_new();
        void *address = first;
        run_on(first, i == 0 ? bind_here : refused_here);
        cio_loop_free(first);
        cio_loop *next = test_loop_new();
        reused += (void *)next == address;
        run_on(next, refused_here);
        cio_loop_free(next);
    }
    print_message("(a new loop took a freed loop's address %d times of 8)\n", reused);
    cio_queue_free(queue);
}

/* ---- another thread ------------------------------------------------------------ */

static void *from_thread(void *arg) {
    (void)arg;
    change_all(-EPERM);
    return NULL;
}

static void *bind_and_call_from_thread(void *arg) {
    (void)arg;
    change_all(0);
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, from_thread, NULL), 0);
    assert_int_equal(pthread_join(thread, NULL), 0); /* blocks the loop: fine here */
    return NULL;
}

static void thread_use_in_child(void) {
    unsetenv("CIO_QUIET");
    init_all();
    assert_int_equal(cio_queue_new(0, &queue), 0);
    assert_int_equal(test_run(bind_and_call_from_thread, NULL, NULL, NULL), 0);
    cio_queue_free(queue);
}

static void other_thread_is_refused_with_a_diagnostic(void **state) {
    (void)state;
    char err[4096];
    int status = test_in_child(thread_use_in_child, err, sizeof err);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_non_null(strstr(err, "cio_event_set: used from another loop or thread"));
    assert_non_null(strstr(err, "cio_queue_put_nowait: used from another loop or thread"));
}

/* ---- NULL, uninitialised, outside a task ---------------------------------------- */

static void *uninitialised(void *arg) {
    (void)arg;
    memset(&lock, 0, sizeof lock);
    memset(&event, 0, sizeof event);
    memset(&cond, 0, sizeof cond);
    memset(&sem, 0, sizeof sem);
    memset(&barrier, 0, sizeof barrier);
    queue = NULL;
    change_all(-EINVAL);
    wait_all(-EINVAL);
    assert_int_equal(cio_condition_wait(&cond), -EINVAL);
    assert_int_equal(cio_condition_notify_all(&cond), -EINVAL);
    assert_int_equal(cio_barrier_abort(&barrier), -EINVAL);
    assert_false(cio_lock_locked(&lock));
    assert_false(cio_event_is_set(&event));
    assert_false(cio_condition_locked(&cond));
    assert_false(cio_semaphore_locked(&sem));
    assert_int_equal(cio_semaphore_value(&sem), -EINVAL);
    assert_int_equal(cio_barrier_parties(&barrier), -EINVAL);
    assert_int_equal(cio_barrier_n_waiting(&barrier), -EINVAL);
    assert_false(cio_barrier_broken(&barrier));
    assert_int_equal(cio_lock_acquire(NULL), -EINVAL);
    assert_int_equal(cio_event_wait(NULL), -EINVAL);
    assert_int_equal(cio_condition_wait(NULL), -EINVAL);
    assert_int_equal(cio_semaphore_acquire(NULL), -EINVAL);
    assert_int_equal(cio_barrier_wait(NULL), -EINVAL);
    assert_false(cio_lock_locked(NULL));
    assert_int_equal(cio_lock_init(NULL), -EINVAL);
    assert_int_equal(cio_event_init(NULL), -EINVAL);
    return NULL;
}

static void uninitialised_storage_is_einval(void **state) {
    (void)state;
    assert_int_equal(test_run(uninitialised, NULL, NULL, NULL), 0);
}

static void suspending_outside_a_task_is_eperm(void **state) {
    (void)state;
    init_all();
    assert_int_equal(cio_queue_new(0, &queue), 0);
    wait_all(-EPERM);
    assert_int_equal(cio_condition_wait(&cond), -EPERM);
    cio_queue_free(queue);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(other_thread_is_refused_with_a_diagnostic),
        cmocka_unit_test(second_loop_is_refused),
        cmocka_unit_test(a_new_loop_at_a_freed_loops_address_is_refused),
        cmocka_unit_test(uninitialised_storage_is_einval),
        cmocka_unit_test(suspending_outside_a_task_is_eperm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
