/* Task-local context (contextvars): set/get/delete in a task, copy on
 * create (a child's set is not seen by its parent, nor the parent's later
 * set by the child), destructors, context objects and cio_context_run,
 * callbacks with a context, to_thread jobs, the thread's own context, and
 * bad input. Reference: CPython's test_context.py and test_asyncio's
 * test_context / test_tasks (contextvars sections). */
#include "testutil.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static int destroyed;
static char destroyed_log[64];
static void destroy(void *value) {
    destroyed++;
    strncat(destroyed_log, value ? value : "-", sizeof destroyed_log - strlen(destroyed_log) - 1);
}

static cio_context_key request_id = CIO_CONTEXT_KEY_INIT("request_id", NULL);
static cio_context_key owned = CIO_CONTEXT_KEY_INIT("owned", destroy);

static void reset(void) {
    destroyed = 0;
    destroyed_log[0] = '\0';
}

static void *get(cio_context_key *key) {
    void *value = NULL;
    cio_context_get(key, &value);
    return value;
}

/* ---- set, get, delete -------------------------------------------------------------- */

static void *set_get_main(void *arg) {
    (void)arg;
    void *value = &value;
    assert_int_equal(cio_context_get(&request_id, &value), -ENOENT);
    assert_null(value);
    assert_int_equal(cio_context_set(&request_id, "r1"), 0);
    assert_int_equal(cio_context_get(&request_id, &value), 0);
    assert_string_equal(value, "r1");
    assert_int_equal(cio_context_set(&request_id, NULL), 0); /* NULL is a value */
    assert_int_equal(cio_context_get(&request_id, NULL), 0);
    assert_int_equal(cio_context_delete(&request_id), 0);
    assert_int_equal(cio_context_get(&request_id, NULL), -ENOENT);
    assert_int_equal(cio_context_delete(&request_id), -ENOENT);
    assert_int_equal(cio_sleep(1), 0); /* the value survives a suspension */
    assert_int_equal(cio_context_set(&request_id, "r2"), 0);
    assert_int_equal(cio_sleep(1), 0);
    assert_string_equal(get(&request_id), "r2");
    return NULL;
}

static void set_get_delete_in_a_task(void **state) {
    (void)state;
    assert_int_equal(test_run(set_get_main, NULL, NULL, NULL), 0);
}

/* ---- copy on create ----------------------------------------------------------------- */

static void *child(void *arg) {
    (void)arg;
    char *seen = get(&request_id);
    cio_context_set(&request_id, "child");
    cio_sleep(1);
    return seen;
}

static void *grandchild_spawner(void *arg) {
    (void)arg;
    cio_context_set(&request_id, "middle");
    void *seen;
    cio_await(test_spawn(child, NULL), &seen);
    assert_string_equal(seen, "middle");
    return get(&request_id);
}

static void *copy_main(void *arg) {
    (void)arg;
    assert_int_equal(cio_context_set(&request_id, "parent"), 0);
    cio_task *t = test_spawn(child, NULL);
    assert_int_equal(cio_context_set(&request_id, "parent-later"), 0);
    void *seen;
    assert_int_equal(cio_await(t, &seen), 0);
    assert_string_equal(seen, "parent");                   /* a copy taken at creation */
    assert_string_equal(get(&request_id), "parent-later"); /* the child's set stayed there */
    assert_int_equal(cio_await(test_spawn(grandchild_spawner, NULL), &seen), 0);
    assert_string_equal(seen, "middle");
    assert_string_equal(get(&request_id), "parent-later");
    return NULL;
}

static void children_copy_their_creators_context(void **state) {
    (void)state;
    assert_int_equal(test_run(copy_main, NULL, NULL, NULL), 0);
}

static void *no_value_main(void *arg) {
    (void)arg;
    void *seen = &seen;
    assert_int_equal(cio_await(test_spawn(child, NULL), &seen), 0);
    assert_null(seen);
    assert_int_equal(cio_context_get(&request_id, NULL), -ENOENT);
    return NULL;
}

static void a_task_that_sets_nothing_sees_nothing(void **state) {
    (void)state;
    assert_int_equal(test_run(no_value_main, NULL, NULL, NULL), 0);
}

/* ---- destructors -------------------------------------------------------------------------- */

static void *hold_and_sleep(void *arg) {
    (void)arg;
    cio_sleep(5);
    return get(&owned);
}

static void *destructor_main(void *arg) {
    (void)arg;
    cio_context_set(&owned, "a");
    cio_context_set(&owned, "b"); /* a: no context holds it any more */
    assert_int_equal(destroyed, 1);
    assert_string_equal(destroyed_log, "a");
    cio_task *t = test_spawn(hold_and_sleep, NULL); /* holds b too */
    cio_context_delete(&owned);
    assert_int_equal(destroyed, 1); /* the child still holds b */
    void *seen;
    assert_int_equal(cio_await(t, &seen), 0);
    assert_string_equal(seen, "b");
    assert_int_equal(destroyed, 2); /* the child finished: b goes */
    cio_context_set(&owned, "c");
    return NULL; /* c goes as this task finishes */
}

static void destructors_run_when_no_context_holds_the_value(void **state) {
    (void)state;
    reset();
    assert_int_equal(test_run(destructor_main, NULL, NULL, NULL), 0);
    assert_int_equal(destroyed, 3);
    assert_string_equal(destroyed_log, "abc");
}

static void *parked_forever(void *arg) {
    (void)arg;
    cio_context_set(&owned, "z");
    cio_sleep(3600); /* the loop closes first */
    return NULL;
}

static void a_task_left_at_loop_close_releases_its_values(void **state) {
    (void)state;
    reset();
    cio_loop *loop = test_loop_new();
    cio_task *t = test_spawn_on(loop, parked_forever, NULL);
    cio_loop_stop(loop);
    cio_loop_run_forever(loop);
    assert_int_equal(destroyed, 0);
    cio_task_unref(t);
    cio_loop_free(loop);
    assert_int_equal(destroyed, 1);
}

/* ---- context objects --------------------------------------------------------------------------
 */

static void *set_inside(void *arg) {
    assert_string_equal(get(&request_id), "outer");
    cio_context_set(&request_id, arg);
    return get(&request_id);
}

static void *nested_run(void *arg) {
    cio_context *ctx = arg;
    return (void *)(intptr_t)cio_context_run(ctx, set_inside, "x", NULL);
}

static void *context_object_main(void *arg) {
    (void)arg;
    cio_context_set(&request_id, "outer");
    cio_context *ctx;
    assert_int_equal(cio_context_copy(&ctx), 0);
    void *result;
    assert_int_equal(cio_context_run(ctx, set_inside, "inner", &result), 0);
    assert_string_equal(result, "inner");
    assert_string_equal(get(&request_id), "outer"); /* the set stayed in ctx */
    cio_context_set(&request_id, "outer");
    /* ctx keeps what was set in it: a second run sees "inner" */
    assert_int_equal(cio_context_run(ctx, nested_run, ctx, &result), 0);
    assert_int_equal((int)(intptr_t)result, -EBUSY); /* entered twice */
    /* a task created with options.context starts with a copy of ctx */
    cio_task_options opts = {.context = ctx};
    cio_task *t;
    assert_int_equal(cio_loop_create_task_ex(cio_get_running_loop(), child, NULL, &opts, &t), 0);
    assert_int_equal(cio_await(t, &result), 0);
    assert_string_equal(result, "inner");
    assert_int_equal(cio_context_run(NULL, set_inside, NULL, NULL), -EINVAL);
    assert_int_equal(cio_context_run(ctx, NULL, NULL, NULL), -EINVAL);
    assert_int_equal(cio_context_copy(NULL), -EINVAL);
    assert_ptr_equal(cio_context_ref(ctx), ctx);
    cio_context_unref(ctx);
    cio_context_unref(ctx);
    cio_context_unref(NULL);
    return NULL;
}

static void context_objects_and_run(void **state) {
    (void)state;
    assert_int_equal(test_run(context_object_main, NULL, NULL, NULL), 0);
}

/* ---- callbacks with a context ------------------------------------------------------------------
 */

static void *read_value(void *arg) {
    (void)arg;
    return get(&request_id);
}

static char callback_saw[16];
static void callback_reads(void *arg) {
    char *seen = get(&request_id);
    strcpy(callback_saw, seen ? seen : "(none)");
    if (arg) cio_context_set(&request_id, arg);
}

static void *callback_main(void *arg) {
    (void)arg;
    cio_context_set(&request_id, "cb");
    cio_context *ctx;
    assert_int_equal(cio_context_copy(&ctx), 0);
    cio_context_set(&request_id, "task");
    cio_callback_options opts = {.context = ctx};
    cio_loop *loop = cio_get_running_loop();
    assert_int_equal(cio_call_soon_ex(loop, callback_reads, "set-by-cb", &opts, NULL), 0);
    cio_sleep(0);
    assert_string_equal(callback_saw, "cb");
    assert_string_equal(get(&request_id), "task");
    void *seen;
    assert_int_equal(cio_context_run(ctx, read_value, NULL, &seen), 0);
    assert_string_equal(seen, "set-by-cb"); /* the callback's set stayed in ctx */
    /* a callback without context runs in an empty one */
    assert_int_equal(cio_call_soon_ex(loop, callback_reads, NULL, NULL, NULL), 0);
    cio_sleep(0);
    assert_string_equal(callback_saw, "(none)");
    /* cancelled before it runs: the box and the reference are released */
    cio_handle h;
    strcpy(callback_saw, "untouched");
    assert_int_equal(cio_call_soon_ex(loop, callback_reads, NULL, &opts, &h), 0);
    assert_int_equal(cio_handle_cancel(h), 0);
    cio_sleep(0);
    assert_string_equal(callback_saw, "untouched");
    assert_int_equal(cio_call_soon_ex(loop, NULL, NULL, &opts, NULL), -EINVAL);
    cio_context_unref(ctx);
    return NULL;
}

static void callbacks_run_in_the_context_given(void **state) {
    (void)state;
    assert_int_equal(test_run(callback_main, NULL, NULL, NULL), 0);
}

static void callbacks_never_run_release_their_context(void **state) {
    (void)state;
    reset();
    cio_loop *loop = test_loop_new();
    assert_int_equal(cio_context_set(&owned, "kept"), 0); /* this thread's context */
    cio_context *ctx;
    assert_int_equal(cio_context_copy(&ctx), 0);
    assert_int_equal(cio_context_delete(&owned), 0);
    cio_callback_options opts = {.context = ctx};
    assert_int_equal(cio_call_soon_ex(loop, callback_reads, NULL, &opts, NULL), 0);
    cio_context_unref(ctx);
    assert_int_equal(destroyed, 0); /* the queued callback holds it */
    cio_loop_free(loop);            /* it never ran */
    assert_int_equal(destroyed, 1);
}

/* ---- thread-pool jobs -------------------------------------------------------------------------
 */

static void *in_pool(void *arg) {
    (void)arg;
    char *seen = get(&owned);
    cio_context_set(&owned, "pool"); /* ends with the job */
    return seen;
}

static void *pool_main(void *arg) {
    (void)arg;
    cio_context_set(&owned, "job");
    void *seen;
    assert_int_equal(cio_to_thread(in_pool, NULL, &seen), 0);
    assert_string_equal(seen, "job");
    assert_string_equal(get(&owned), "job");
    assert_string_equal(destroyed_log, "pool");
    return NULL;
}

static void to_thread_jobs_run_in_a_copy(void **state) {
    (void)state;
    reset();
    assert_int_equal(test_run(pool_main, NULL, NULL, NULL), 0);
    assert_string_equal(destroyed_log, "pooljob");
}

/* ---- outside a loop -------------------------------------------------------------------------- */

static void *thread_main(void *arg) {
    (void)arg;
    cio_loop *loop = test_loop_new();
    cio_context_set(&request_id, "thread");
    void *seen;
    assert_int_equal(cio_loop_run_until_complete(loop, test_spawn_on(loop, child, NULL), &seen), 0);
    assert_string_equal(seen, "thread"); /* the task copied the thread's context */
    assert_string_equal(get(&request_id), "thread");
    cio_loop_free(loop);
    cio_context_delete(&request_id);
    return NULL;
}

static void tasks_made_outside_copy_the_threads_context(void **state) {
    (void)state;
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, thread_main, NULL), 0);
    assert_int_equal(pthread_join(thread, NULL), 0);
    assert_int_equal(cio_context_get(&request_id, NULL), -ENOENT); /* per thread */
}

static void bad_keys_are_refused(void **state) {
    (void)state;
    cio_context_key junk;
    memset(&junk, 0, sizeof junk);
    void *value = &value;
    assert_int_equal(cio_context_set(NULL, "x"), -EINVAL);
    assert_int_equal(cio_context_set(&junk, "x"), -EINVAL);
    assert_int_equal(cio_context_get(&junk, &value), -EINVAL);
    assert_null(value);
    assert_int_equal(cio_context_delete(NULL), -EINVAL);
    assert_int_equal(cio_context_key_init(NULL, "n", NULL), -EINVAL);
    assert_int_equal(cio_context_key_init(&junk, "n", NULL), 0);
    assert_int_equal(cio_context_set(&junk, "x"), 0);
    assert_string_equal(get(&junk), "x");
    assert_int_equal(cio_context_delete(&junk), 0);
}

/* ---- tokens (var.set returning a Token, var.reset): CPython test_context.py ------------- */

static cio_context_key other = CIO_CONTEXT_KEY_INIT("other", NULL);

/* test_context_var_reset_1: reset unsets a key that had no value; a token is
 * good once. */
static void *reset_1(void *arg) {
    (void)arg;
    cio_context_token t;
    assert_int_equal(cio_context_set_token(&request_id, "1", &t), 0);
    assert_ptr_equal(t.key, &request_id); /* Token.var */
    assert_string_equal(get(&request_id), "1");
    assert_int_equal(cio_context_reset(&request_id, &t), 0);
    assert_int_equal(cio_context_get(&request_id, NULL), -ENOENT);
    assert_int_equal(cio_context_reset(&request_id, &t), -EALREADY); /* RuntimeError */
    return NULL;
}

/* test_context_var_reset_2: resets unwind sets in between, other keys stay. */
static void *reset_2(void *arg) {
    (void)arg;
    cio_context_token t0, t1;
    assert_int_equal(cio_context_set_token(&request_id, "1", &t0), 0);
    assert_int_equal(cio_context_set_token(&request_id, "2", &t1), 0);
    assert_int_equal(cio_context_set(&other, "o"), 0);
    assert_int_equal(cio_context_set(&request_id, "3"), 0);
    assert_int_equal(cio_context_reset(&request_id, &t1), 0);
    assert_string_equal(get(&request_id), "1");
    assert_string_equal(get(&other), "o");
    assert_int_equal(cio_context_reset(&request_id, &t0), 0);
    assert_int_equal(cio_context_get(&request_id, NULL), -ENOENT);
    assert_string_equal(get(&other), "o");
    return NULL;
}

static void *reset_elsewhere(void *arg) {
    return (void *)(intptr_t)cio_context_reset(&request_id, arg);
}

/* test_context_var_reset_3: a token is for the context it was made in. */
static void *reset_3(void *arg) {
    cio_context *ctx2 = arg;
    cio_context_token t;
    assert_int_equal(cio_context_set_token(&request_id, "1", &t), 0);
    void *rc;
    assert_int_equal(cio_context_run(ctx2, reset_elsewhere, &t, &rc), 0);
    assert_int_equal((int)(intptr_t)rc, -EXDEV); /* ValueError */
    assert_string_equal(get(&request_id), "1");  /* the token is still good here */
    assert_int_equal(cio_context_reset(&request_id, &t), 0);
    return NULL;
}

/* test_context_var_reset_4: a token is for the key that made it. */
static void *reset_4(void *arg) {
    (void)arg;
    cio_context_token t;
    assert_int_equal(cio_context_set_token(&request_id, "1", &t), 0);
    assert_int_equal(cio_context_reset(&other, &t), -EINVAL); /* ValueError */
    assert_int_equal(cio_context_reset(&request_id, &t), 0);
    return NULL;
}

/* test_context_getset_1: Token.old_value, MISSING first. */
static void *old_values(void *arg) {
    (void)arg;
    cio_context_token t0, t;
    void *old = &old;
    assert_int_equal(cio_context_set_token(&request_id, "42", &t0), 0);
    assert_int_equal(cio_context_token_old_value(&t0, &old), -ENOENT); /* Token.MISSING */
    assert_null(old);
    assert_int_equal(cio_context_set_token(&request_id, "spam", &t), 0);
    assert_int_equal(cio_context_token_old_value(&t, &old), 0);
    assert_string_equal(old, "42");
    assert_int_equal(cio_context_reset(&request_id, &t), 0);
    assert_string_equal(get(&request_id), "42");
    assert_int_equal(cio_context_token_old_value(&t, &old), -EALREADY);
    assert_int_equal(cio_context_reset(&request_id, &t0), 0);
    return NULL;
}

static void run_in_fresh_context(void *(*fn)(void *), void *arg) {
    cio_context *ctx;
    assert_int_equal(cio_context_copy(&ctx), 0); /* the test thread's: empty */
    assert_int_equal(cio_context_run(ctx, fn, arg, NULL), 0);
    cio_context_unref(ctx);
}

static void tokens_as_cpython_test_context(void **state) {
    (void)state;
    run_in_fresh_context(reset_1, NULL);
    run_in_fresh_context(reset_2, NULL);
    cio_context *ctx2;
    assert_int_equal(cio_context_copy(&ctx2), 0);
    run_in_fresh_context(reset_3, ctx2);
    cio_context_unref(ctx2);
    run_in_fresh_context(reset_4, NULL);
    run_in_fresh_context(old_values, NULL);
    reset_1(NULL); /* the thread's own context works the same */
}

static void *token_task_main(void *arg) {
    (void)arg;
    cio_context_token t;
    assert_int_equal(cio_context_set_token(&request_id, "parent", &t), 0);
    assert_int_equal(cio_sleep(1), 0); /* the same task after a suspension */
    /* a child task is another context (its return is a cio_fail value) */
    assert_int_equal(cio_await(test_spawn(reset_elsewhere, &t), NULL), -EXDEV);
    void *rc;
    cio_context *ctx;
    assert_int_equal(cio_context_copy(&ctx), 0);
    assert_int_equal(cio_context_run(ctx, reset_elsewhere, &t, &rc), 0);
    assert_int_equal((int)(intptr_t)rc, -EXDEV);
    cio_context_unref(ctx);
    assert_int_equal(cio_context_reset(&request_id, &t), 0);
    assert_int_equal(cio_context_get(&request_id, NULL), -ENOENT);
    return NULL;
}

static void tokens_belong_to_their_task(void **state) {
    (void)state;
    assert_int_equal(test_run(token_task_main, NULL, NULL, NULL), 0);
}

static void tokens_keep_the_old_value_alive(void **state) {
    (void)state;
    reset();
    cio_context_token t;
    assert_int_equal(cio_context_set(&owned, "a"), 0);
    assert_int_equal(cio_context_set_token(&owned, "b", &t), 0);
    assert_int_equal(destroyed, 0); /* "a" is the token's */
    assert_int_equal(cio_context_reset(&owned, &t), 0);
    assert_string_equal(destroyed_log, "b");
    assert_string_equal(get(&owned), "a");
    assert_int_equal(cio_context_set_token(&owned, "c", &t), 0);
    cio_context_token_discard(&t);
    assert_string_equal(destroyed_log, "ba"); /* no context and no token hold "a" */
    cio_context_token_discard(&t);            /* twice: no-op */
    assert_int_equal(cio_context_reset(&owned, &t), -EALREADY);
    assert_int_equal(cio_context_delete(&owned), 0);
    assert_string_equal(destroyed_log, "bac");
}

static void bad_tokens_are_refused(void **state) {
    (void)state;
    cio_context_token t, junk;
    memset(&junk, 0, sizeof junk);
    void *old = &old;
    assert_int_equal(cio_context_set_token(&request_id, "x", NULL), -EINVAL);
    assert_int_equal(cio_context_set_token(NULL, "x", &t), -EINVAL);
    assert_int_equal(cio_context_reset(&request_id, &t), -EINVAL); /* left unusable */
    assert_int_equal(cio_context_reset(&request_id, NULL), -EINVAL);
    assert_int_equal(cio_context_reset(&request_id, &junk), -EINVAL);
    assert_int_equal(cio_context_token_old_value(&junk, &old), -EINVAL);
    assert_null(old);
    assert_int_equal(cio_context_token_old_value(NULL, NULL), -EINVAL);
    cio_context_token_discard(NULL);
    cio_context_token_discard(&junk);
    assert_int_equal(cio_context_set_token(&request_id, "x", &t), 0);
    assert_int_equal(cio_context_reset(NULL, &t), -EINVAL);
    assert_int_equal(cio_context_reset(&request_id, &t), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(set_get_delete_in_a_task),
        cmocka_unit_test(children_copy_their_creators_context),
        cmocka_unit_test(a_task_that_sets_nothing_sees_nothing),
        cmocka_unit_test(destructors_run_when_no_context_holds_the_value),
        cmocka_unit_test(a_task_left_at_loop_close_releases_its_values),
        cmocka_unit_test(context_objects_and_run),
        cmocka_unit_test(callbacks_run_in_the_context_given),
        cmocka_unit_test(callbacks_never_run_release_their_context),
        cmocka_unit_test(to_thread_jobs_run_in_a_copy),
        cmocka_unit_test(tasks_made_outside_copy_the_threads_context),
        cmocka_unit_test(bad_keys_are_refused),
        cmocka_unit_test(tokens_as_cpython_test_context),
        cmocka_unit_test(tokens_belong_to_their_task),
        cmocka_unit_test(tokens_keep_the_old_value_alive),
        cmocka_unit_test(bad_tokens_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
