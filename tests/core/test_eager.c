/* Eager tasks and task factories (asyncio 3.12+: eager_task_factory,
 * create_task(eager_start=True), loop.set_task_factory). Reference:
 * CPython's test_asyncio/test_eager_task_factory.py - an eager task runs
 * inside the creating call until its first suspension; one that finishes
 * without suspending is done when creation returns; the rest is scheduled
 * as usual. */
#include "testutil.h"

#include <string.h>

static char trace[64];
static void note(const char *what) {
    strncat(trace, what, sizeof trace - strlen(trace) - 1);
}

static cio_task *spawn_eager(cio_task_fn fn, void *arg) {
    cio_task_options opts = {.eager_start = true};
    cio_task *task;
    assert_int_equal(cio_loop_create_task_ex(cio_get_running_loop(), fn, arg, &opts, &task), 0);
    return task;
}

static void *quick(void *arg) {
    note("q");
    return arg;
}

static void *suspends(void *arg) {
    (void)arg;
    note("1");
    cio_sleep(0);
    note("2");
    return "late";
}

static void *finishes_at_once_main(void *arg) {
    (void)arg;
    trace[0] = '\0';
    cio_task *t = spawn_eager(quick, "now");
    note("c");
    assert_string_equal(trace, "qc"); /* ran before creation returned */
    assert_true(cio_task_done(t));
    void *result;
    assert_int_equal(cio_task_result(t, &result), 0);
    assert_string_equal(result, "now");
    assert_int_equal(cio_await(t, &result), 0);
    assert_string_equal(result, "now");
    return NULL;
}

static void an_eager_task_that_never_suspends_is_done_at_once(void **state) {
    (void)state;
    assert_int_equal(test_run(finishes_at_once_main, NULL, NULL, NULL), 0);
}

static void *suspending_main(void *arg) {
    (void)arg;
    trace[0] = '\0';
    cio_task *self = cio_current_task();
    cio_task *t = spawn_eager(suspends, NULL);
    assert_ptr_equal(cio_current_task(), self); /* the creator is current again */
    note("c");
    assert_false(cio_task_done(t));
    void *result;
    assert_int_equal(cio_await(t, &result), 0);
    assert_string_equal(result, "late");
    assert_string_equal(trace, "1c2");
    return NULL;
}

static void an_eager_task_runs_until_its_first_suspension(void **state) {
    (void)state;
    assert_int_equal(test_run(suspending_main, NULL, NULL, NULL), 0);
}

static void *inner(void *arg) {
    (void)arg;
    note("i");
    cio_sleep(1);
    note("I");
    return NULL;
}

static void *outer(void *arg) {
    (void)arg;
    note("o");
    cio_task *t = spawn_eager(inner, NULL);
    note("O");
    cio_await(t, NULL);
    note("e");
    return NULL;
}

static void *nested_main(void *arg) {
    (void)arg;
    trace[0] = '\0';
    cio_task *t = spawn_eager(outer, NULL);
    note("m");
    assert_int_equal(cio_await(t, NULL), 0);
    assert_string_equal(trace, "oiOmIe");
    return NULL;
}

static void eager_tasks_nest(void **state) {
    (void)state;
    assert_int_equal(test_run(nested_main, NULL, NULL, NULL), 0);
}

/* ---- from a callback, and with no running loop --------------------------------------- */

static cio_task *from_callback;
static void create_in_callback(void *arg) {
    (void)arg;
    from_callback = spawn_eager(suspends, NULL);
    assert_null(cio_current_task());
    note("b");
}

static void *callback_main(void *arg) {
    (void)arg;
    trace[0] = '\0';
    cio_call_soon(cio_get_running_loop(), create_in_callback, NULL, NULL);
    cio_sleep(0);
    assert_int_equal(cio_await(from_callback, NULL), 0);
    assert_string_equal(trace, "1b2");
    return NULL;
}

static void an_eager_task_made_in_a_callback(void **state) {
    (void)state;
    assert_int_equal(test_run(callback_main, NULL, NULL, NULL), 0);
}

static void no_running_loop_starts_it_later(void **state) {
    (void)state;
    trace[0] = '\0';
    cio_loop *loop = test_loop_new();
    cio_task_options opts = {.eager_start = true};
    cio_task *t;
    assert_int_equal(cio_loop_create_task_ex(loop, quick, "x", &opts, &t), 0);
    assert_false(cio_task_done(t)); /* as asyncio: eager only on a running loop */
    assert_string_equal(trace, "");
    assert_int_equal(cio_loop_run_until_complete(loop, t, NULL), 0);
    assert_string_equal(trace, "q");
    cio_loop_free(loop);
}

/* ---- outcomes, detached, context ------------------------------------------------------- */

static void *fails(void *arg) {
    (void)arg;
    return cio_fail_msg(-EIO, "eager failure");
}

static void *cancels_itself(void *arg) {
    (void)arg;
    cio_task_cancel(cio_current_task());
    int rc = cio_sleep(1);
    return cio_fail(rc);
}

static cio_context_key key = CIO_CONTEXT_KEY_INIT("eager", NULL);

static void *reads_and_sets(void *arg) {
    (void)arg;
    void *seen = NULL;
    cio_context_get(&key, &seen);
    cio_context_set(&key, "child");
    return seen;
}

static void *outcomes_main(void *arg) {
    (void)arg;
    cio_task *t = spawn_eager(fails, NULL);
    assert_true(cio_task_done(t));
    cio_task_ref(t);
    assert_int_equal(cio_await(t, NULL), -EIO);
    const char *message = cio_task_error_message(t); /* NULL if it had no memory */
    assert_non_null(message);
    assert_string_equal(message, "eager failure");
    cio_task_unref(t);
    t = spawn_eager(cancels_itself, NULL);
    assert_true(cio_task_done(t));
    assert_true(cio_task_cancelled(t));
    assert_int_equal(cio_await(t, NULL), -ECANCELED);
    cio_task_options opts = {.eager_start = true};
    trace[0] = '\0';
    assert_int_equal(cio_loop_create_task_ex(cio_get_running_loop(), quick, NULL, &opts, NULL), 0);
    assert_string_equal(trace, "q"); /* detached: ran, finished and freed */
    cio_context_set(&key, "parent");
    void *seen;
    assert_int_equal(cio_await(spawn_eager(reads_and_sets, NULL), &seen), 0);
    assert_string_equal(seen, "parent");
    cio_context_get(&key, &seen);
    assert_string_equal(seen, "parent");
    return NULL;
}

static void eager_outcomes_detached_and_context(void **state) {
    (void)state;
    assert_int_equal(test_run(outcomes_main, NULL, NULL, NULL), 0);
}

/* ---- task factories -------------------------------------------------------------------- */

static int made;
static int counting_factory(cio_loop *loop, cio_task_fn fn, void *arg, const cio_task_options *opts,
                            void *factory_arg, cio_task **out) {
    made++;
    cio_task_options named = opts ? *opts : (cio_task_options){0};
    named.name = factory_arg;
    return cio_task_new(loop, fn, arg, &named, out);
}

static void *factory_main(void *arg) {
    (void)arg;
    cio_loop *loop = cio_get_running_loop();
    void *factory_arg = &factory_arg;
    assert_null(cio_loop_get_task_factory(loop, &factory_arg));
    assert_null(factory_arg);
    assert_int_equal(cio_loop_set_task_factory(loop, cio_eager_task_factory, NULL), 0);
    assert_ptr_equal(cio_loop_get_task_factory(loop, NULL), cio_eager_task_factory);
    trace[0] = '\0';
    cio_task *t;
    assert_int_equal(cio_create_task(quick, "f", &t), 0);
    assert_true(cio_task_done(t)); /* cio_create_task went through the factory */
    cio_await(t, NULL);
    /* task groups create through the factory too */
    cio_taskgroup *tg;
    assert_int_equal(cio_taskgroup_new(&tg), 0);
    assert_int_equal(cio_taskgroup_create_task(tg, suspends, NULL, &t), 0);
    assert_false(cio_task_done(t));
    assert_string_equal(trace, "q1");
    assert_int_equal(cio_taskgroup_join(tg), 0);
    cio_taskgroup_free(tg);
    assert_int_equal(cio_loop_set_task_factory(loop, counting_factory, "made"), 0);
    made = 0;
    assert_int_equal(cio_create_task(quick, NULL, &t), 0);
    assert_int_equal(made, 1);
    assert_string_equal(cio_task_name(t), "made");
    assert_false(cio_task_done(t)); /* not eager */
    cio_await(t, NULL);
    assert_int_equal(cio_task_new(loop, quick, NULL, NULL, &t), 0); /* bypasses it */
    assert_int_equal(made, 1);
    cio_await(t, NULL);
    assert_int_equal(cio_loop_set_task_factory(loop, NULL, "ignored"), 0);
    assert_null(cio_loop_get_task_factory(loop, &factory_arg));
    assert_null(factory_arg);
    return NULL;
}

static void task_factories(void **state) {
    (void)state;
    assert_int_equal(test_run(factory_main, NULL, NULL, NULL), 0);
}

static void factory_errors(void **state) {
    (void)state;
    assert_int_equal(cio_loop_set_task_factory(NULL, cio_eager_task_factory, NULL), -EINVAL);
    assert_null(cio_loop_get_task_factory(NULL, NULL));
    cio_task *t = (cio_task *)&t;
    assert_int_equal(cio_task_new(NULL, quick, NULL, NULL, &t), -EINVAL);
    assert_null(t);
    cio_loop *loop = test_loop_new();
    assert_int_equal(cio_task_new(loop, NULL, NULL, NULL, &t), -EINVAL);
    assert_int_equal(cio_eager_task_factory(loop, NULL, NULL, NULL, NULL, &t), -EINVAL);
    cio_loop_close(loop);
    assert_int_equal(cio_loop_set_task_factory(loop, NULL, NULL), -CIO_ECLOSED);
    cio_loop_free(loop);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(an_eager_task_that_never_suspends_is_done_at_once),
        cmocka_unit_test(an_eager_task_runs_until_its_first_suspension),
        cmocka_unit_test(eager_tasks_nest),
        cmocka_unit_test(an_eager_task_made_in_a_callback),
        cmocka_unit_test(no_running_loop_starts_it_later),
        cmocka_unit_test(eager_outcomes_detached_and_context),
        cmocka_unit_test(task_factories),
        cmocka_unit_test(factory_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
