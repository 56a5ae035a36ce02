/* Thread pools: results and errors, the virtual clock waiting for jobs,
 * cancellation and timeouts while a job runs (the result discarded on the
 * loop thread), executor shutdown, a loop closed with jobs in flight, and
 * run_coroutine_threadsafe from a plain thread. */
#include "testutil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void *double_it(void *arg) {
    return (void *)((intptr_t)arg * 2);
}
static void *fail_io(void *arg) {
    (void)arg;
    return cio_fail(-EIO);
}

/* A job that blocks until the test writes a byte into its pipe. */
struct gate {
    int fds[2];
    atomic_int started;
};

static void gate_open(struct gate *gate) {
    assert_int_equal(pipe(gate->fds), 0);
    atomic_init(&gate->started, 0);
}

static void gate_release(struct gate *gate) {
    char byte = 'x';
    assert_int_equal(write(gate->fds[1], &byte, 1), 1);
}

static void gate_close(struct gate *gate) {
    close(gate->fds[0]);
    close(gate->fds[1]);
}

static void *wait_at_gate(void *arg) {
    struct gate *gate = arg;
    atomic_fetch_add(&gate->started, 1);
    char byte;
    ssize_t n = read(gate->fds[0], &byte, 1);
    return (void *)(intptr_t)(n == 1 ? 77 : -1);
}

/* What discard saw. */
static struct {
    atomic_int calls;
    void *arg, *result;
    pthread_t thread;
} discarded;

static void record_discard(void *arg, void *result) {
    discarded.arg = arg;
    discarded.result = result;
    discarded.thread = pthread_self();
    atomic_fetch_add(&discarded.calls, 1);
}

static void reset_discarded(void) {
    memset(&discarded, 0, sizeof discarded);
}

/* ---- results, errors, the clock --------------------------------------------------- */

static void *result_and_error_main(void *arg) {
    (void)arg;
    void *result = NULL;
    assert_int_equal(cio_to_thread(double_it, (void *)21, &result), 0);
    assert_int_equal((intptr_t)result, 42);
    result = &result;
    assert_int_equal(cio_to_thread(fail_io, NULL, &result), -EIO);
    assert_null(result);
    assert_int_equal(cio_to_thread(double_it, (void *)1, NULL), 0);
    return NULL;
}

static void to_thread_result_and_error(void **state) {
    (void)state;
    assert_int_equal(test_run(result_and_error_main, NULL, NULL, NULL), 0);
}

static void *slow_job(void *arg) {
    sleep_ms(30);
    return arg;
}

static void *sleeper(void *arg) {
    (void)arg;
    cio_sleep(10.0);
    return NULL;
}

/* The virtual clock must not jump to the sleeper's 10 s while the job runs. */
static void *clock_waits_main(void *arg) {
    (void)arg;
    cio_task *other;
    cio_create_task(sleeper, NULL, &other);
    void *result;
    assert_int_equal(cio_to_thread(slow_job, (void *)5, &result), 0);
    assert_int_equal((intptr_t)result, 5);
    assert_true(test_now() == 0.0);
    assert_int_equal(cio_await(other, NULL), 0);
    assert_true(test_now() == 10.0);
    return NULL;
}

static void virtual_clock_waits_for_jobs(void **state) {
    (void)state;
    assert_int_equal(test_run(clock_waits_main, NULL, NULL, NULL), 0);
}

/* Many jobs at once on a small pool: all run, never more than its size. */
static atomic_int running_now, running_max;

static void *count_concurrency(void *arg) {
    int now = atomic_fetch_add(&running_now, 1) + 1;
    int max = atomic_load(&running_max);
    while (now > max && !atomic_compare_exchange_weak(&running_max, &max, now)) {
    }
    sleep_ms(2);
    atomic_fetch_sub(&running_now, 1);
    return arg;
}

static void *submit_one(void *arg) {
    cio_executor *executor = arg;
    void *result;
    int rc = cio_run_in_executor(executor, count_concurrency, (void *)9, NULL, &result);
    return rc == 0 && (intptr_t)result == 9 ? NULL : cio_fail(-EPROTO);
}

static void *many_jobs_main(void *arg) {
    cio_task *tasks[100];
    for (int i = 0; i < 100; i++) cio_create_task(submit_one, arg, &tasks[i]);
    for (int i = 0; i < 100; i++) assert_int_equal(cio_await(tasks[i], NULL), 0);
    return NULL;
}

static void many_jobs_respect_pool_size(void **state) {
    (void)state;
    cio_executor *executor;
    assert_int_equal(cio_executor_new(3, &executor), 0);
    assert_int_equal(cio_executor_max_workers(executor), 3);
    atomic_store(&running_max, 0);
    assert_int_equal(test_run(many_jobs_main, executor, NULL, NULL), 0);
    assert_true(atomic_load(&running_max) >= 1 && atomic_load(&running_max) <= 3);
    cio_executor_free(executor);
    /* the default pool: its size comes from the CPU count */
    atomic_store(&running_max, 0);
    assert_int_equal(test_run(many_jobs_main, NULL, NULL, NULL), 0);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    assert_true(atomic_load(&running_max) <= (cpus + 4 > 32 ? 32 : cpus + 4));
}

/* ---- cancellation and timeouts ---------------------------------------------------------- */

static void *run_gated(void *arg) {
    int rc = cio_run_in_executor(NULL, wait_at_gate, arg, record_discard, NULL);
    return cio_fail(rc < 0 ? rc : -EPROTO);
}

static void *cancel_in_pool_main(void *arg) {
    struct gate *gate = arg;
    cio_task *child;
    cio_create_task(run_gated, gate, &child);
    cio_task_ref(child);
    while (atomic_load(&gate->started) == 0) cio_yield();
    assert_int_equal(cio_task_cancel(child), 0);
    double before = test_now();
    assert_int_equal(cio_await(child, NULL), -ECANCELED); /* at once, the job still blocked */
    assert_true(test_now() == before);
    assert_int_equal(atomic_load(&discarded.calls), 0);
    gate_release(gate);
    while (atomic_load(&discarded.calls) == 0) cio_sleep(0.001); /* the clock waits for the job */
    assert_ptr_equal(discarded.arg, gate);
    assert_int_equal((intptr_t)discarded.result, 77);
    assert_true(pthread_equal(discarded.thread, pthread_self())); /* on the loop thread */
    cio_task_unref(child);
    return NULL;
}

static void cancel_while_in_pool(void **state) {
    (void)state;
    struct gate gate;
    gate_open(&gate);
    reset_discarded();
    assert_int_equal(test_run(cancel_in_pool_main, &gate, NULL, NULL), 0);
    gate_close(&gate);
}

static void *timeout_in_pool_main(void *arg) {
    struct gate *gate = arg;
    cio_timeout scope;
    cio_timeout_begin(&scope, 0.05);
    int rc = cio_run_in_executor(NULL, wait_at_gate, gate, record_discard, NULL);
    assert_int_equal(cio_timeout_end(&scope), -ETIMEDOUT);
    assert_int_equal(rc, -ETIMEDOUT);
    gate_release(gate);
    while (atomic_load(&discarded.calls) == 0) cio_sleep(0.005);
    assert_int_equal((intptr_t)discarded.result, 77);
    return NULL;
}

/* Real clock: on the virtual one the deadline waits for the job. */
static void timeout_while_in_pool(void **state) {
    (void)state;
    struct gate gate;
    gate_open(&gate);
    reset_discarded();
    cio_loop_options opts = {.clock = CIO_CLOCK_MONOTONIC};
    assert_int_equal(cio_run_ex(timeout_in_pool_main, &gate, &opts, NULL), 0);
    gate_close(&gate);
}

static atomic_int ran;
static void *mark_ran(void *arg) {
    atomic_fetch_add(&ran, 1);
    return arg;
}

static void *cancelled_on_entry_main(void *arg) {
    (void)arg;
    cio_task_cancel(cio_current_task());
    assert_int_equal(cio_run_in_executor(NULL, mark_ran, &ran, record_discard, NULL), -ECANCELED);
    assert_int_equal(atomic_load(&discarded.calls), 1); /* at once, fn never ran */
    assert_ptr_equal(discarded.arg, &ran);
    assert_null(discarded.result);
    assert_int_equal(cio_task_uncancel(cio_current_task()), 0);
    return NULL;
}

static void interrupt_due_on_entry(void **state) {
    (void)state;
    reset_discarded();
    atomic_store(&ran, 0);
    assert_int_equal(test_run(cancelled_on_entry_main, NULL, NULL, NULL), 0);
    assert_int_equal(atomic_load(&ran), 0);
}

/* ---- shutdown ------------------------------------------------------------------------- */

struct shutdown_case {
    cio_executor *executor;
    struct gate gate;
    pthread_t thread;
    atomic_int returned;
    int rc;
};

static void *shutdown_thread(void *arg) {
    struct shutdown_case *c = arg;
    c->rc = cio_executor_shutdown(c->executor, true);
    atomic_store(&c->returned, 1);
    return NULL;
}

static void *submit_gated(void *arg) {
    struct shutdown_case *c = arg;
    void *result;
    int rc = cio_run_in_executor(c->executor, wait_at_gate, &c->gate, NULL, &result);
    return rc < 0 ? cio_fail(rc) : result;
}

static void *shutdown_main(void *arg) {
    struct shutdown_case *c = arg;
    cio_task *first;
    cio_create_task(submit_gated, c, &first);
    cio_task *queued;
    cio_create_task(submit_gated, c, &queued);
    while (atomic_load(&c->gate.started) == 0) cio_yield();
    assert_int_equal(pthread_create(&c->thread, NULL, shutdown_thread, c), 0);
    /* the queued job is dropped at once; the running one is waited for */
    assert_int_equal(cio_await(queued, NULL), -CIO_ESHUTDOWN);
    assert_int_equal(atomic_load(&c->returned), 0);
    gate_release(&c->gate);
    void *result;
    assert_int_equal(cio_await(first, &result), 0);
    assert_int_equal((intptr_t)result, 77);
    pthread_join(c->thread, NULL);
    assert_int_equal(c->rc, 0);
    assert_int_equal(cio_run_in_executor(c->executor, mark_ran, NULL, NULL, NULL), -CIO_ESHUTDOWN);
    return NULL;
}

static void shutdown_waits_for_running_jobs(void **state) {
    (void)state;
    struct shutdown_case c = {0};
    gate_open(&c.gate);
    assert_int_equal(cio_executor_new(1, &c.executor), 0);
    assert_int_equal(test_run(shutdown_main, &c, NULL, NULL), 0);
    assert_int_equal(cio_executor_shutdown(c.executor, false), -CIO_ESHUTDOWN);
    cio_executor_free(c.executor);
    gate_close(&c.gate);
}

static void *shutdown_keep_queue(void *arg) {
    struct shutdown_case *c = arg;
    c->rc = cio_executor_shutdown(c->executor, false);
    atomic_store(&c->returned, 1);
    return NULL;
}

static void *drain_main(void *arg) {
    struct shutdown_case *c = arg;
    cio_task *tasks[3];
    for (int i = 0; i < 3; i++) cio_create_task(submit_gated, c, &tasks[i]);
    while (atomic_load(&c->gate.started) == 0) cio_yield();
    cio_yield(); /* the other two are queued behind the first */
    assert_int_equal(pthread_create(&c->thread, NULL, shutdown_keep_queue, c), 0);
    for (int i = 0; i < 3; i++) gate_release(&c->gate);
    for (int i = 0; i < 3; i++) assert_int_equal(cio_await(tasks[i], NULL), 0);
    pthread_join(c->thread, NULL);
    assert_int_equal(c->rc, 0);
    return NULL;
}

/* shutdown without cancel_pending runs what is queued before it returns. */
static void shutdown_runs_queued_jobs(void **state) {
    (void)state;
    struct shutdown_case c = {0};
    gate_open(&c.gate);
    assert_int_equal(cio_executor_new(1, &c.executor), 0);
    assert_int_equal(test_run(drain_main, &c, NULL, NULL), 0);
    assert_int_equal(atomic_load(&c.gate.started), 3);
    cio_executor_free(c.executor);
    gate_close(&c.gate);
}

static void *shutdown_self(void *arg) {
    return (void *)(intptr_t)cio_executor_shutdown(arg, false);
}

static void *shutdown_from_worker_main(void *arg) {
    /* the job returns the errno as a cio_fail() pointer */
    assert_int_equal(cio_run_in_executor(arg, shutdown_self, arg, NULL, NULL), -EDEADLK);
    return NULL;
}

static void shutdown_from_own_thread_refused(void **state) {
    (void)state;
    cio_executor *executor;
    assert_int_equal(cio_executor_new(1, &executor), 0);
    assert_int_equal(test_run(shutdown_from_worker_main, executor, NULL, NULL), 0);
    cio_executor_free(executor);
}

/* ---- loops that close with jobs in flight ------------------------------------------------ */

struct closing_case {
    cio_executor *executor;
    struct gate gate;
    atomic_int loop_ran; /* run_until_complete returned: the job can no longer be delivered */
};

static void *submit_and_forget(void *arg) {
    struct closing_case *c = arg;
    cio_run_in_executor(c->executor, wait_at_gate, &c->gate, record_discard, NULL);
    return NULL;
}

static void *start_then_leave(void *arg) {
    struct closing_case *c = arg;
    cio_create_task(submit_and_forget, c, NULL);
    while (atomic_load(&c->gate.started) == 0) cio_yield();
    return NULL;
}

static void run_and_leave_job(struct closing_case *c) {
    cio_loop *loop = test_loop_new();
    cio_task *task;
    cio_loop_create_task(loop, start_then_leave, c, &task);
    assert_int_equal(cio_loop_run_until_complete(loop, task, NULL), 0);
    atomic_store(&c->loop_ran, 1);
    cio_loop_free(loop); /* the job is still blocked at the gate */
}

/* A user pool outlives the loop: the finished job must not touch it. */
static void loop_closed_while_job_runs(void **state) {
    (void)state;
    struct closing_case c = {0};
    gate_open(&c.gate);
    reset_discarded();
    assert_int_equal(cio_executor_new(1, &c.executor), 0);
    run_and_leave_job(&c);
    gate_release(&c.gate);
    cio_executor_free(c.executor); /* waits for the job */
    assert_int_equal(atomic_load(&discarded.calls), 1);
    assert_int_equal((intptr_t)discarded.result, 77);
    assert_false(pthread_equal(discarded.thread, pthread_self())); /* ran on the pool thread */
    gate_close(&c.gate);
}

/* Released only once the loop has stopped running: released earlier (a slow
 * run, under TSan or load), the job's result would reach its task and never be
 * discarded. 30 ms later the loop is most likely blocked in its close. */
static void *release_later(void *arg) {
    struct closing_case *c = arg;
    while (atomic_load(&c->loop_ran) == 0) sleep_ms(1);
    sleep_ms(30);
    gate_release(&c->gate);
    return NULL;
}

/* The default pool is the loop's: closing the loop waits for its running job. */
static void loop_close_waits_for_default_pool(void **state) {
    (void)state;
    struct closing_case c = {0};
    gate_open(&c.gate);
    reset_discarded();
    pthread_t releaser;
    assert_int_equal(pthread_create(&releaser, NULL, release_later, &c), 0);
    run_and_leave_job(&c);
    assert_int_equal(atomic_load(&discarded.calls), 1);
    pthread_join(releaser, NULL);
    gate_close(&c.gate);
}

static void *submit_quick(void *arg) {
    cio_run_in_executor(arg, double_it, (void *)4, record_discard, NULL);
    return NULL;
}

static void *start_quick_then_leave(void *arg) {
    cio_create_task(submit_quick, arg, NULL);
    cio_yield(); /* submitted; its completion will arrive after we return */
    return NULL;
}

/* A completion already posted to the loop when it closes is discarded there. */
static void loop_closed_with_completion_posted(void **state) {
    (void)state;
    cio_executor *executor;
    assert_int_equal(cio_executor_new(1, &executor), 0);
    reset_discarded();
    cio_loop *loop = test_loop_new();
    cio_task *task;
    cio_loop_create_task(loop, start_quick_then_leave, executor, &task);
    assert_int_equal(cio_loop_run_until_complete(loop, task, NULL), 0);
    sleep_ms(20); /* the job ends and posts its completion into the loop's inbox */
    cio_loop_free(loop);
    assert_int_equal(atomic_load(&discarded.calls), 1);
    assert_int_equal((intptr_t)discarded.result, 8);
    cio_executor_free(executor);
}

/* ---- run_coroutine_threadsafe --------------------------------------------------------- */

struct loop_thread {
    cio_loop *loop;
    pthread_t thread;
};

static void *run_loop(void *arg) {
    struct loop_thread *lt = arg;
    cio_loop_run_forever(lt->loop);
    return NULL;
}

static void stop_loop(void *arg) {
    cio_loop_stop(arg);
}

static void loop_thread_start(struct loop_thread *lt) {
    cio_loop_options opts = {.clock = CIO_CLOCK_MONOTONIC};
    assert_int_equal(cio_loop_new(&opts, &lt->loop), 0);
    assert_int_equal(pthread_create(&lt->thread, NULL, run_loop, lt), 0);
}

static void loop_thread_stop(struct loop_thread *lt) {
    assert_int_equal(cio_call_soon_threadsafe(lt->loop, stop_loop, lt->loop), 0);
    pthread_join(lt->thread, NULL);
    cio_loop_free(lt->loop);
}

/* cio_run_coroutine_threadsafe that fails the test on error, having first
 * stopped the loop thread: left running, it would hang the program. */
static cio_cfuture *submit(struct loop_thread *lt, cio_task_fn fn, void *arg) {
    cio_cfuture *future = NULL;
    int rc = cio_run_coroutine_threadsafe(lt->loop, fn, arg, &future);
    if (rc < 0) {
        loop_thread_stop(lt);
        fail_msg("cio_run_coroutine_threadsafe: %s", cio_strerror(rc));
    }
    return future;
}

static void *sleep_then_triple(void *arg) {
    int rc = cio_sleep(0.01);
    return rc < 0 ? cio_fail(rc) : (void *)((intptr_t)arg * 3);
}

static void *sleep_long(void *arg) {
    int rc = cio_sleep(3600);
    return rc < 0 ? cio_fail(rc) : arg;
}

static void threadsafe_results(void **state) {
    (void)state;
    struct loop_thread lt;
    loop_thread_start(&lt);
    cio_cfuture *ok, *bad, *slow;
    ok = submit(&lt, sleep_then_triple, (void *)5);
    bad = submit(&lt, fail_io, NULL);
    slow = submit(&lt, sleep_long, NULL);
    void *result;
    assert_int_equal(cio_cfuture_wait(ok, -1, &result), 0);
    assert_int_equal((intptr_t)result, 15);
    assert_true(cio_cfuture_done(ok));
    assert_int_equal(cio_cfuture_wait(bad, 5.0, &result), -EIO);
    assert_int_equal(cio_cfuture_wait(slow, 0.02, &result), -ETIMEDOUT);
    assert_false(cio_cfuture_done(slow));
    assert_int_equal(cio_cfuture_cancel(slow), 0);
    assert_int_equal(cio_cfuture_wait(slow, 5.0, &result), -ECANCELED);
    assert_int_equal(cio_cfuture_cancel(slow), -EALREADY);
    cio_cfuture_free(ok);
    cio_cfuture_free(bad);
    cio_cfuture_free(slow);
    loop_thread_stop(&lt);
}

static void threadsafe_loop_closes_first(void **state) {
    (void)state;
    struct loop_thread lt;
    loop_thread_start(&lt);
    cio_cfuture *slow;
    slow = submit(&lt, sleep_long, NULL);
    assert_int_equal(cio_cfuture_wait(slow, 0.02, NULL), -ETIMEDOUT); /* it has started */
    loop_thread_stop(&lt);
    assert_int_equal(cio_cfuture_wait(slow, -1, NULL), -CIO_ECLOSED);
    cio_cfuture_free(slow);
}

/* ---- misuse ----------------------------------------------------------------------------- */

static void *misuse_main(void *arg) {
    (void)arg;
    assert_int_equal(cio_run_in_executor(NULL, NULL, NULL, NULL, NULL), -EINVAL);
    cio_cfuture *cf;
    assert_int_equal(cio_run_coroutine_threadsafe(cio_get_running_loop(), double_it, NULL, &cf), 0);
    assert_int_equal(cio_cfuture_wait(cf, 1.0, NULL), -EDEADLK);
    assert_int_equal(cio_cfuture_wait(cf, -1, NULL), -EDEADLK);
    for (int turns = 0; turns < 10 && !cio_cfuture_done(cf); turns++) cio_yield();
    assert_true(cio_cfuture_done(cf)); /* the task ran on a later turn */
    cio_cfuture_free(cf);
    return NULL;
}

static void misuse(void **state) {
    (void)state;
    setenv("CIO_QUIET", "1", 1);
    assert_int_equal(cio_to_thread(double_it, NULL, NULL), -EPERM);
    cio_executor *executor = NULL;
    assert_int_equal(cio_executor_new(1, NULL), -EINVAL);
    assert_int_equal(cio_executor_new(-1, &executor), -EINVAL);
    assert_null(executor);
    assert_int_equal(cio_executor_shutdown(NULL, false), -EINVAL);
    assert_int_equal(cio_executor_max_workers(NULL), -EINVAL);
    cio_executor_free(NULL);
    assert_int_equal(cio_run_coroutine_threadsafe(NULL, double_it, NULL, NULL), -EINVAL);
    assert_int_equal(cio_cfuture_wait(NULL, 0, NULL), -EINVAL);
    assert_int_equal(cio_cfuture_cancel(NULL), -EINVAL);
    assert_false(cio_cfuture_done(NULL));
    cio_cfuture_free(NULL);
    assert_int_equal(test_run(misuse_main, NULL, NULL, NULL), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(to_thread_result_and_error),
        cmocka_unit_test(virtual_clock_waits_for_jobs),
        cmocka_unit_test(many_jobs_respect_pool_size),
        cmocka_unit_test(cancel_while_in_pool),
        cmocka_unit_test(timeout_while_in_pool),
        cmocka_unit_test(interrupt_due_on_entry),
        cmocka_unit_test(shutdown_waits_for_running_jobs),
        cmocka_unit_test(shutdown_runs_queued_jobs),
        cmocka_unit_test(shutdown_from_own_thread_refused),
        cmocka_unit_test(loop_closed_while_job_runs),
        cmocka_unit_test(loop_close_waits_for_default_pool),
        cmocka_unit_test(loop_closed_with_completion_posted),
        cmocka_unit_test(threadsafe_results),
        cmocka_unit_test(threadsafe_loop_closes_first),
        cmocka_unit_test(misuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
