/* The exception handler, the log hook and debug mode (issue 16, diagnostics). */
#include "testutil.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- what the handler and the hook saw ---------------------------------------------- */

#define MAX_SEEN 16

struct seen {
    cio_diag_kind kind;
    char message[512];
    int error;
    cio_task *task;
    cio_future *future;
    cio_callback callback;
    int fd;
    char created_at[2048], resumed_at[2048], suspended_at[2048];
    bool has_created, has_resumed, has_suspended;
};

static struct seen seen[MAX_SEEN];
static int seen_count;
static char hooked[8192];
static int hook_calls;

static void copy_text(char *dst, size_t size, const char *src, bool *has) {
    *has = src != NULL;
    snprintf(dst, size, "%s", src ? src : "");
}

static void record(cio_loop *loop, const cio_diag *diag, void *arg) {
    (void)loop;
    (void)arg;
    if (seen_count == MAX_SEEN) return;
    struct seen *s = &seen[seen_count++];
    s->kind = diag->kind;
    snprintf(s->message, sizeof s->message, "%s", diag->message);
    s->error = diag->error;
    s->task = diag->task;
    s->future = diag->future;
    s->callback = diag->callback;
    s->fd = diag->fd;
    copy_text(s->created_at, sizeof s->created_at, diag->created_at, &s->has_created);
    copy_text(s->resumed_at, sizeof s->resumed_at, diag->resumed_at, &s->has_resumed);
    copy_text(s->suspended_at, sizeof s->suspended_at, diag->suspended_at, &s->has_suspended);
}

static void hook(const char *text, void *arg) {
    (void)arg;
    hook_calls++;
    size_t used = strlen(hooked);
    snprintf(hooked + used, sizeof hooked - used, "%s\n", text);
}

static const struct seen none = {.kind = -1};

/* The first report of kind, or `none` (kind -1): check s->kind. */
static const struct seen *find(cio_diag_kind kind) {
    for (int i = 0; i < seen_count; i++)
        if (seen[i].kind == kind) return &seen[i];
    return &none;
}

static bool got(cio_diag_kind kind) {
    return find(kind) != &none;
}

static int reset(void **state) {
    (void)state;
    memset(seen, 0, sizeof seen);
    seen_count = 0;
    hooked[0] = '\0';
    hook_calls = 0;
    cio_set_log_hook(hook, NULL); /* nothing reaches stderr; the hook shows what would */
    return test__setup(state);
}

static cio_loop *debug_loop(void) {
    cio_loop *loop = test_loop_new();
    assert_int_equal(cio_loop_set_debug(loop, true), 0);
    assert_int_equal(cio_loop_set_exception_handler(loop, record, NULL), 0);
    return loop;
}

static void block_for(double seconds) { /* holds the loop: the real time is the test */
    struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)(seconds * 1e9)};
    while (nanosleep(&ts, &ts) != 0) continue;
}

static void *nothing(void *arg) {
    return arg;
}

static void run_main(cio_loop *loop, cio_task_fn fn, void *arg) {
    cio_task *main_task = test_spawn_on(loop, fn, arg);
    assert_int_equal(cio_loop_run_until_complete(loop, main_task, NULL), 0);
}

/* ---- a report with no loop: the environment ------------------------------------------- */

/* The stack settings are read once per process, when the first task runs:
 * this test must run first in the program (it is first in main's list). */
static void ignored_variable_goes_to_the_log_hook(void **state) {
    (void)state;
    setenv("CIO_STACK_SIZE", "lots", 1);
    cio_loop *loop = test_loop_new();
    assert_int_equal(cio_loop_set_exception_handler(loop, record, NULL), 0);
    run_main(loop, nothing, NULL);
    cio_loop_free(loop);
    unsetenv("CIO_STACK_SIZE");
    assert_int_equal(seen_count, 0); /* no loop is known where it is read */
    assert_non_null(strstr(hooked, "cio: ignoring CIO_STACK_SIZE='lots'"));
}

/* ---- debug mode: slow steps ---------------------------------------------------------- */

/* Not static: -rdynamic (tests/CMakeLists.txt) puts it in the dynamic symbol
 * table, where the report finds its name. */
void diag_test_blocking_callback(void *arg);
void diag_test_blocking_callback(void *arg) {
    (void)arg;
    block_for(0.2);
}

static void slow_callback_is_named(void **state) {
    (void)state;
    cio_loop *loop = debug_loop();
    assert_int_equal(cio_call_soon(loop, diag_test_blocking_callback, NULL, NULL), 0);
    run_main(loop, nothing, NULL);
    const struct seen *s = find(CIO_DIAG_SLOW_CALLBACK);
    assert_int_equal(s->kind, CIO_DIAG_SLOW_CALLBACK);
    assert_ptr_equal(s->callback, diag_test_blocking_callback);
    assert_non_null(strstr(s->message, "callback diag_test_blocking_callback"));
    assert_non_null(strstr(s->message, "held the loop for 0.2"));
    cio_loop_free(loop);
}

void *diag_test_blocking_task(void *arg);
void *diag_test_blocking_task(void *arg) {
    assert_int_equal(cio_yield(), 0); /* where it resumes from, in the slow step */
    block_for(0.06);
    assert_int_equal(cio_yield(), 0); /* where it suspends */
    return arg;
}

static void slow_task_step_says_where_it_resumed_and_suspended(void **state) {
    (void)state;
    cio_loop *loop = debug_loop();
    assert_int_equal(cio_loop_set_slow_callback_duration(loop, 0.03), 0);
    cio_task *task = test_spawn_on(loop, diag_test_blocking_task, NULL);
    assert_int_equal(cio_task_set_name(task, "blocker"), 0);
    assert_int_equal(cio_loop_run_until_complete(loop, task, NULL), 0);
    const struct seen *s = find(CIO_DIAG_SLOW_CALLBACK);
    assert_int_equal(s->kind, CIO_DIAG_SLOW_CALLBACK);
    assert_non_null(strstr(s->message, "task 'blocker' held the loop"));
    assert_ptr_equal(s->task, task);
    assert_true(s->has_resumed && s->has_suspended && s->has_created);
    assert_non_null(strstr(s->resumed_at, "diag_test_blocking_task"));
    assert_non_null(strstr(s->suspended_at, "diag_test_blocking_task"));
    cio_loop_free(loop);
}

static void fast_steps_are_not_reported(void **state) {
    (void)state;
    cio_loop *loop = debug_loop();
    assert_int_equal(cio_call_soon(loop, diag_test_blocking_callback, NULL, NULL), 0);
    assert_int_equal(cio_loop_set_slow_callback_duration(loop, 5.0), 0);
    run_main(loop, nothing, NULL);
    assert_int_equal(seen_count, 0);
    cio_loop_free(loop);
}

/* ---- debug mode: tasks never awaited -------------------------------------------------- */

static cio_task *forgotten;

void *diag_test_forgets_a_task(void *arg);
void *diag_test_forgets_a_task(void *arg) {
    assert_int_equal(cio_create_task(nothing, NULL, &forgotten), 0);
    return arg;
}

static void never_awaited_task_reported_with_creation_site(void **state) {
    (void)state;
    cio_loop *loop = debug_loop();
    run_main(loop, diag_test_forgets_a_task, NULL);
    assert_false(got(CIO_DIAG_NEVER_AWAITED)); /* not before the loop closes */
    assert_int_equal(cio_loop_close(loop), 0);
    const struct seen *s = find(CIO_DIAG_NEVER_AWAITED);
    assert_int_equal(s->kind, CIO_DIAG_NEVER_AWAITED);
    assert_ptr_equal(s->task, forgotten);
    assert_non_null(strstr(s->message, "was never awaited nor released"));
    assert_true(s->has_created);
    assert_non_null(strstr(s->created_at, "diag_test_forgets_a_task"));
    cio_loop_free(loop);
}

static void awaited_and_released_tasks_are_not_reported(void **state) {
    (void)state;
    cio_loop *loop = debug_loop();
    cio_task *awaited = test_spawn_on(loop, nothing, NULL);
    cio_task *released = test_spawn_on(loop, nothing, NULL);
    cio_task_unref(released);
    assert_int_equal(cio_loop_run_until_complete(loop, awaited, NULL), 0);
    assert_int_equal(cio_loop_close(loop), 0);
    assert_false(got(CIO_DIAG_NEVER_AWAITED));
    cio_loop_free(loop);
}

static void never_awaited_is_not_reported_without_debug(void **state) {
    (void)state;
    cio_loop *loop = test_loop_new();
    assert_int_equal(cio_loop_set_debug(loop, false), 0); /* whatever $CIO_DEBUG says */
    assert_int_equal(cio_loop_set_exception_handler(loop, record, NULL), 0);
    run_main(loop, diag_test_forgets_a_task, NULL);
    cio_loop_free(loop);
    assert_false(got(CIO_DIAG_NEVER_AWAITED));
}

/* ---- every kind reaches the handler --------------------------------------------------- */

static void *fails(void *arg) {
    (void)arg;
    return cio_fail(-EIO);
}

static void handler_gets_unretrieved_task_error(void **state) {
    (void)state;
    cio_loop *loop = debug_loop();
    assert_int_equal(cio_loop_create_task(loop, fails, NULL, NULL), 0);
    run_main(loop, nothing, NULL);
    cio_loop_free(loop);
    const struct seen *s = find(CIO_DIAG_UNRETRIEVED);
    assert_int_equal(s->kind, CIO_DIAG_UNRETRIEVED);
    assert_int_equal(s->error, -EIO);
    assert_non_null(s->task);
    assert_non_null(strstr(s->message, "(error never retrieved)"));
    assert_true(s->has_created); /* debug mode: where the task was made */
}

__attribute__((noinline)) cio_future *diag_test_make_future(cio_loop *loop);
cio_future *diag_test_make_future(cio_loop *loop) {
    cio_future *f;
    assert_int_equal(cio_future_new(loop, &f), 0);
    return f;
}

static void handler_gets_unretrieved_future_error(void **state) {
    (void)state;
    cio_loop *loop = debug_loop();
    cio_future *f = diag_test_make_future(loop);
    assert_int_equal(cio_future_set_error(f, -EPIPE), 0);
    cio_future_unref(f);
    const struct seen *s = find(CIO_DIAG_UNRETRIEVED);
    assert_int_equal(s->kind, CIO_DIAG_UNRETRIEVED);
    assert_int_equal(s->error, -EPIPE);
    assert_ptr_equal(s->future, f); /* only compared: it is freed */
    assert_true(s->has_created);
    assert_non_null(strstr(s->created_at, "diag_test_make_future"));
    cio_loop_free(loop);
}

static void *waits_forever(void *arg) {
    int rc = cio_future_await(arg, NULL);
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void handler_gets_pending_destroyed(void **state) {
    (void)state;
    cio_loop *loop = test_loop_new();
    assert_int_equal(cio_loop_set_exception_handler(loop, record, NULL), 0);
    cio_future *f;
    assert_int_equal(cio_future_new(loop, &f), 0);
    assert_int_equal(cio_loop_create_task(loop, waits_forever, f, NULL), 0);
    cio_task *main_task = test_spawn_on(loop, nothing, NULL);
    assert_int_equal(cio_loop_run_until_complete(loop, main_task, NULL), 0);
    assert_int_equal(cio_loop_close(loop), 0);
    const struct seen *s = find(CIO_DIAG_PENDING_DESTROYED);
    assert_int_equal(s->kind, CIO_DIAG_PENDING_DESTROYED);
    assert_non_null(strstr(s->message, "was destroyed but it is pending"));
    cio_future_unref(f);
    cio_loop_free(loop);
}

static void *misuses(void *arg) {
    (void)arg;
    cio_task *self = cio_current_task();
    cio_task_ref(self);
    assert_int_equal(cio_await(self, NULL), -EDEADLK);
    return NULL;
}

static void handler_gets_misuse(void **state) {
    (void)state;
    cio_loop *loop = test_loop_new();
    assert_int_equal(cio_loop_set_exception_handler(loop, record, NULL), 0);
    run_main(loop, misuses, NULL);
    const struct seen *s = find(CIO_DIAG_MISUSE);
    assert_int_equal(s->kind, CIO_DIAG_MISUSE);
    assert_non_null(strstr(s->message, "awaits itself"));
    assert_non_null(s->task);
    assert_int_equal(s->fd, -1);
    cio_loop_free(loop);
}

static void *leaves_scope_open(void *arg) {
    (void)arg;
    static cio_timeout scope; /* outlives the frame: only its pointer is looked at */
    assert_int_equal(cio_timeout_begin(&scope, 10), 0);
    return NULL;
}

static void handler_gets_open_scope(void **state) {
    (void)state;
    cio_loop *loop = test_loop_new();
    assert_int_equal(cio_loop_set_exception_handler(loop, record, NULL), 0);
    run_main(loop, leaves_scope_open, NULL);
    const struct seen *s = find(CIO_DIAG_OPEN_SCOPE);
    assert_int_equal(s->kind, CIO_DIAG_OPEN_SCOPE);
    assert_non_null(strstr(s->message, "timeout scope still open"));
    cio_loop_free(loop);
}

static void handler_gets_deadlock(void **state) {
    (void)state;
    cio_loop *loop = test_loop_new();
    assert_int_equal(cio_loop_set_exception_handler(loop, record, NULL), 0);
    cio_future *f;
    assert_int_equal(cio_future_new(loop, &f), 0);
    cio_task *stuck = test_spawn_on(loop, waits_forever, f);
    assert_int_equal(cio_loop_run_until_complete(loop, stuck, NULL), -EDEADLK);
    const struct seen *s = find(CIO_DIAG_DEADLOCK);
    assert_int_equal(s->kind, CIO_DIAG_DEADLOCK);
    assert_int_equal(s->error, -EDEADLK);
    assert_ptr_equal(s->task, stuck);
    cio_task_unref(stuck);
    cio_loop_free(loop);
    cio_future_unref(f);
}

/* A report from a thread with no loop goes to the default handler. */
static void no_loop_goes_to_the_log_hook(void **state) {
    (void)state;
    cio_diag diag = {.kind = CIO_DIAG_OTHER, .message = "from nowhere", .fd = -1};
    cio_default_exception_handler(NULL, &diag);
    assert_string_equal(hooked, "cio: from nowhere\n");
}

/* ---- the handler, the default and the hook -------------------------------------------- */

static void log_hook_receives_the_default_text(void **state) {
    (void)state;
    cio_loop *loop = test_loop_new();
    run_main(loop, misuses, NULL);
    cio_loop_free(loop);
    assert_int_equal(hook_calls, 1);
    assert_non_null(strstr(hooked, "cio: cio_await: task 'Task-1' awaits itself\n"));
}

static void handler_null_restores_the_default(void **state) {
    (void)state;
    cio_loop *loop = test_loop_new();
    assert_int_equal(cio_loop_set_exception_handler(loop, record, NULL), 0);
    assert_int_equal(cio_loop_set_exception_handler(loop, NULL, NULL), 0);
    run_main(loop, misuses, NULL);
    cio_loop_free(loop);
    assert_int_equal(seen_count, 0);
    assert_non_null(strstr(hooked, "awaits itself"));
}

static void call_exception_handler_delivers_the_record(void **state) {
    (void)state;
    cio_loop *loop = test_loop_new();
    assert_int_equal(cio_loop_set_exception_handler(loop, record, NULL), 0);
    cio_diag diag = {.kind = CIO_DIAG_OTHER, .message = "mine", .error = -EIO, .fd = 7};
    assert_int_equal(cio_loop_call_exception_handler(loop, &diag), 0);
    assert_int_equal(seen_count, 1);
    assert_string_equal(seen[0].message, "mine");
    assert_int_equal(seen[0].error, -EIO);
    assert_int_equal(seen[0].fd, 7);
    diag.message = NULL;
    assert_int_equal(cio_loop_call_exception_handler(loop, &diag), 0);
    assert_string_equal(seen[1].message, "(no message)");
    cio_loop_free(loop);
}

/* A handler that misuses cio: its report goes to the default handler. */
static void misusing_handler(cio_loop *loop, const cio_diag *diag, void *arg) {
    record(loop, diag, arg);
    cio_task_unref(cio_current_task()); /* outside a task: no task, a no-op */
    cio_diag again = {.kind = CIO_DIAG_OTHER, .message = "inner", .fd = -1};
    cio_loop_call_exception_handler(loop, &again);
}

static void a_report_inside_the_handler_goes_to_the_default(void **state) {
    (void)state;
    cio_loop *loop = test_loop_new();
    assert_int_equal(cio_loop_set_exception_handler(loop, misusing_handler, NULL), 0);
    cio_diag diag = {.kind = CIO_DIAG_OTHER, .message = "outer", .fd = -1};
    assert_int_equal(cio_loop_call_exception_handler(loop, &diag), 0);
    assert_int_equal(seen_count, 1);
    assert_string_equal(hooked, "cio: inner\n");
    cio_loop_free(loop);
}

static void hook_null_restores_stderr(void **state) {
    (void)state;
    cio_set_log_hook(NULL, NULL);
    cio_set_log_hook(hook, NULL);
    cio_diag diag = {.kind = CIO_DIAG_OTHER, .message = "back", .fd = -1};
    cio_default_exception_handler(NULL, &diag);
    cio_default_exception_handler(NULL, NULL); /* nothing */
    assert_string_equal(hooked, "cio: back\n");
}

/* ---- debug mode: the wrong thread ------------------------------------------------------ */

struct foreign_calls {
    cio_future *future;
    cio_task *task;
    cio_handle handle;
    int set_rc, cancel_rc, handle_rc;
};

static void *from_another_thread(void *arg) {
    struct foreign_calls *calls = arg;
    calls->set_rc = cio_future_set_result(calls->future, NULL);
    calls->cancel_rc = cio_task_cancel(calls->task);
    calls->handle_rc = cio_handle_cancel(calls->handle);
    return NULL;
}

/* Blocks the loop while the other thread runs: the loop is running, in
 * another thread than the caller's, the case the check is for. */
static void *calls_from_another_thread(void *arg) {
    struct foreign_calls *calls = arg;
    calls->task = cio_current_task();
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, from_another_thread, calls), 0);
    pthread_join(thread, NULL);
    return NULL;
}

static void wrong_thread_is_refused_in_debug_mode(void **state) {
    (void)state;
    cio_loop *loop = debug_loop();
    /* The step that starts and joins the thread is slow under valgrind on a
     * busy machine: only the wrong-thread reports are this test's. */
    assert_int_equal(cio_loop_set_slow_callback_duration(loop, 3600), 0);
    struct foreign_calls calls = {0};
    assert_int_equal(cio_future_new(loop, &calls.future), 0);
    assert_int_equal(cio_call_later(loop, 60, diag_test_blocking_callback, NULL, &calls.handle), 0);
    run_main(loop, calls_from_another_thread, &calls);
    assert_int_equal(calls.set_rc, -EPERM);
    assert_int_equal(calls.handle_rc, -EPERM);
    assert_int_equal(cio_handle_cancel(calls.handle), 0); /* from the loop's thread: fine */
    assert_int_equal(calls.cancel_rc, -EINVAL);           /* as for a task of another loop */
    assert_false(cio_future_done(calls.future));
    assert_non_null(strstr(hooked, "cio: cio_future_set_result: called from a thread that does "
                                   "not run the loop (debug mode)"));
    assert_non_null(strstr(hooked, "cio: cio_task_cancel: called from a thread"));
    assert_int_equal(seen_count, 0); /* not the loop's handler: it is not that thread's */
    cio_future_unref(calls.future);
    cio_loop_free(loop);
}

/* A future outlives its loop: its report goes to the default handler, and
 * the freed loop is not read. */
static void future_outliving_its_loop_reports_to_the_hook(void **state) {
    (void)state;
    cio_loop *loop = debug_loop();
    cio_future *f = diag_test_make_future(loop);
    assert_int_equal(cio_future_set_error(f, -EIO), 0);
    cio_loop_free(loop);
    cio_future_unref(f);
    assert_int_equal(seen_count, 0);
    assert_non_null(strstr(hooked, "cio: future failed: Input/output error (error never "
                                   "retrieved)\n  created at:\n"));
}

/* ---- turning debug mode on ------------------------------------------------------------- */

static void debug_from_option_and_environment(void **state) {
    (void)state;
    cio_loop *loop;
    assert_int_equal(cio_loop_new(&(cio_loop_options){.debug = true}, &loop), 0);
    assert_true(cio_loop_get_debug(loop));
    assert_int_equal(cio_loop_set_debug(loop, false), 0);
    assert_false(cio_loop_get_debug(loop));
    cio_loop_free(loop);

    setenv("CIO_DEBUG", "1", 1);
    assert_int_equal(cio_loop_new(NULL, &loop), 0);
    unsetenv("CIO_DEBUG");
    assert_true(cio_loop_get_debug(loop));
    cio_loop_free(loop);
    assert_int_equal(cio_loop_new(NULL, &loop), 0);
    assert_false(cio_loop_get_debug(loop));
    cio_loop_free(loop);
}

static void bad_arguments(void **state) {
    (void)state;
    cio_diag diag = {.message = "x", .fd = -1};
    assert_int_equal(cio_loop_set_exception_handler(NULL, record, NULL), -EINVAL);
    assert_int_equal(cio_loop_call_exception_handler(NULL, &diag), -EINVAL);
    assert_int_equal(cio_loop_set_debug(NULL, true), -EINVAL);
    assert_false(cio_loop_get_debug(NULL));
    assert_int_equal(cio_loop_set_slow_callback_duration(NULL, 1), -EINVAL);
    cio_loop *loop = test_loop_new();
    assert_int_equal(cio_loop_call_exception_handler(loop, NULL), -EINVAL);
    assert_int_equal(cio_loop_set_slow_callback_duration(loop, -1), -EINVAL);
    assert_int_equal(cio_loop_set_slow_callback_duration(loop, NAN), -EINVAL);
    assert_int_equal(cio_loop_close(loop), 0);
    assert_int_equal(cio_loop_set_exception_handler(loop, record, NULL), -CIO_ECLOSED);
    assert_int_equal(cio_loop_set_debug(loop, true), -CIO_ECLOSED);
    assert_int_equal(cio_loop_set_slow_callback_duration(loop, 1), -CIO_ECLOSED);
    cio_loop_free(loop);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(ignored_variable_goes_to_the_log_hook, reset), /* first */
        cmocka_unit_test_setup(slow_callback_is_named, reset),
        cmocka_unit_test_setup(slow_task_step_says_where_it_resumed_and_suspended, reset),
        cmocka_unit_test_setup(fast_steps_are_not_reported, reset),
        cmocka_unit_test_setup(never_awaited_task_reported_with_creation_site, reset),
        cmocka_unit_test_setup(awaited_and_released_tasks_are_not_reported, reset),
        cmocka_unit_test_setup(never_awaited_is_not_reported_without_debug, reset),
        cmocka_unit_test_setup(handler_gets_unretrieved_task_error, reset),
        cmocka_unit_test_setup(handler_gets_unretrieved_future_error, reset),
        cmocka_unit_test_setup(handler_gets_pending_destroyed, reset),
        cmocka_unit_test_setup(handler_gets_misuse, reset),
        cmocka_unit_test_setup(handler_gets_open_scope, reset),
        cmocka_unit_test_setup(handler_gets_deadlock, reset),
        cmocka_unit_test_setup(no_loop_goes_to_the_log_hook, reset),
        cmocka_unit_test_setup(log_hook_receives_the_default_text, reset),
        cmocka_unit_test_setup(handler_null_restores_the_default, reset),
        cmocka_unit_test_setup(call_exception_handler_delivers_the_record, reset),
        cmocka_unit_test_setup(a_report_inside_the_handler_goes_to_the_default, reset),
        cmocka_unit_test_setup(hook_null_restores_stderr, reset),
        cmocka_unit_test_setup(wrong_thread_is_refused_in_debug_mode, reset),
        cmocka_unit_test_setup(future_outliving_its_loop_reports_to_the_hook, reset),
        cmocka_unit_test_setup(debug_from_option_and_environment, reset),
        cmocka_unit_test_setup(bad_arguments, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
