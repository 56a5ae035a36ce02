/* Scopes left open (issue 12): a task that ends with a timeout scope or a
 * shield still open is reported, as is a scope ended out of order; and
 * CIO_WITH_TIMEOUT cannot be left open. Virtual clock. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static char err[4096];

static int leaves_scope_open(cio_timeout *scope) {
    cio_timeout_begin(scope, 1.0);
    return -1; /* the early return that skips cio_timeout_end */
}

static void *forgetful(void *arg) {
    (void)arg;
    cio_timeout scope;
    leaves_scope_open(&scope);
    return NULL;
}

static void *shield_left_open(void *arg) {
    (void)arg;
    cio_shield_begin();
    return NULL;
}

static void *ends_out_of_order(void *arg) {
    (void)arg;
    cio_timeout outer, inner;
    cio_timeout_begin(&outer, 1.0);
    cio_timeout_begin(&inner, 2.0);
    if (cio_timeout_end(&outer) != -EINVAL) return cio_fail(-EPROTO);
    cio_timeout_end(&inner);
    cio_timeout_end(&outer);
    return NULL;
}

static void open_scopes_child(void) {
    cio_loop *loop = test_loop_new();
    cio_task *a, *b, *c;
    cio_task_options named = {.name = "forgetful"};
    cio_loop_create_task_ex(loop, forgetful, NULL, &named, &a);
    named.name = "shielded";
    cio_loop_create_task_ex(loop, shield_left_open, NULL, &named, &b);
    named.name = "disorderly";
    cio_loop_create_task_ex(loop, ends_out_of_order, NULL, &named, &c);
    if (cio_loop_run_until_complete(loop, a, NULL) != 0) _exit(3);
    if (cio_loop_run_until_complete(loop, b, NULL) != 0) _exit(4);
    if (cio_loop_run_until_complete(loop, c, NULL) != 0) _exit(5);
    cio_loop_free(loop);
    _exit(0);
}

static void open_scopes_are_reported(void **state) {
    (void)state;
    int status = test_in_child(open_scopes_child, err, sizeof err);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_non_null(strstr(err, "task 'forgetful' ended with a timeout scope still open"));
    assert_non_null(strstr(err, "task 'shielded' ended inside a shield"));
    assert_non_null(strstr(err, "task 'disorderly' ends a scope out of order"));
}

/* A task that leaves a scope open no longer times out later: the scope is
 * dropped when the task ends, and the next task is unaffected. */
static void *after_forgetful(void *arg) {
    (void)arg;
    cio_task *first = test_spawn(forgetful, NULL);
    assert_int_equal(cio_await(first, NULL), 0);
    assert_int_equal(cio_sleep(5.0), 0);
    return NULL;
}

static void forgotten_scope_is_dropped(void **state) {
    (void)state;
    setenv("CIO_QUIET", "1", 1);
    assert_int_equal(test_run(after_forgetful, NULL, NULL, NULL), 0);
    unsetenv("CIO_QUIET");
}

#if defined(CIO_WITH_TIMEOUT)
static int with_return(cio_timeout *scope) {
    CIO_WITH_TIMEOUT(scope, 1.0) {
        return cio_sleep(0.5); /* leaves the block: the scope ends */
    }
    return 99;
}

static void *with_timeout_main(void *arg) {
    (void)arg;
    cio_timeout t;
    int rc = 1;
    CIO_WITH_TIMEOUT(&t, 1.0) {
        rc = cio_sleep(5.0);
    }
    assert_int_equal(rc, -ETIMEDOUT);
    assert_true(cio_timeout_expired(&t));
    assert_true(test_now() == 1.0);

    CIO_WITH_TIMEOUT(&t, 1.0) {
        rc = cio_sleep(0.5);
    }
    assert_int_equal(rc, 0);
    assert_false(cio_timeout_expired(&t));

    for (int i = 0; i < 3; i++) {
        CIO_WITH_TIMEOUT(&t, 1.0) {
            if (i == 1) break; /* leaves the scope's block only */
            cio_sleep(0.1);
        }
    }
    assert_int_equal(with_return(&t), 0);
    /* every scope ended: a long sleep is not cut short */
    assert_int_equal(cio_sleep(10.0), 0);

    CIO_WITH_TIMEOUT(&t, 1.0) {
        cio_timeout inner;
        CIO_WITH_TIMEOUT(&inner, 0.5) {
            rc = cio_sleep(5.0);
        }
        assert_true(cio_timeout_expired(&inner));
        assert_false(cio_timeout_expired(&t));
    }
    assert_int_equal(cio_sleep(10.0), 0);
    return NULL;
}

static void with_timeout_always_ends(void **state) {
    (void)state;
    assert_int_equal(test_run(with_timeout_main, NULL, NULL, NULL), 0);
}
#endif

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(open_scopes_are_reported),
        cmocka_unit_test(forgotten_scope_is_dropped),
#if defined(CIO_WITH_TIMEOUT)
        cmocka_unit_test(with_timeout_always_ends),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
