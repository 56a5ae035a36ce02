/* Timeout scopes on the virtual clock: exact deadlines, nesting, reschedule. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>

static void *fires_at_deadline(void *arg) {
    (void)arg;
    cio_timeout scope;
    assert_int_equal(cio_timeout_begin(&scope, 2.0), 0);
    assert_true(cio_timeout_when(&scope) == 2.0);
    assert_int_equal(cio_sleep(1.0), 0);
    assert_int_equal(cio_sleep(5.0), -ETIMEDOUT);
    assert_true(test_now() == 2.0);
    assert_int_equal(cio_yield(), -ETIMEDOUT); /* level-triggered inside the scope */
    assert_true(cio_timeout_expired(&scope));
    assert_int_equal(cio_timeout_end(&scope), -ETIMEDOUT);
    assert_int_equal(cio_sleep(1.0), 0); /* outside: fine again */
    return NULL;
}

static void timeout_fires_exactly(void **state) {
    (void)state;
    assert_int_equal(test_run(fires_at_deadline, NULL, NULL, NULL), 0);
}

static void *not_fired(void *arg) {
    (void)arg;
    cio_timeout scope;
    cio_timeout_begin(&scope, 2.0);
    assert_int_equal(cio_sleep(1.0), 0);
    assert_int_equal(cio_timeout_end(&scope), 0);
    assert_false(cio_timeout_expired(&scope));
    assert_int_equal(cio_sleep(5.0), 0); /* the timer is gone */
    assert_true(test_now() == 6.0);
    return NULL;
}

static void timeout_that_does_not_fire(void **state) {
    (void)state;
    assert_int_equal(test_run(not_fired, NULL, NULL, NULL), 0);
}

static void *outer_fires_first(void *arg) {
    (void)arg;
    cio_timeout outer, inner;
    cio_timeout_begin(&outer, 1.0);
    cio_timeout_begin(&inner, 5.0);
    assert_int_equal(cio_sleep(10.0), -ETIMEDOUT);
    assert_int_equal(cio_timeout_end(&inner), 0); /* not the one that fired */
    assert_int_equal(cio_timeout_end(&outer), -ETIMEDOUT);
    assert_true(test_now() == 1.0);
    return NULL;
}

static void *inner_fires_first(void *arg) {
    (void)arg;
    cio_timeout outer, inner;
    cio_timeout_begin(&outer, 5.0);
    cio_timeout_begin(&inner, 1.0);
    assert_int_equal(cio_sleep(10.0), -ETIMEDOUT);
    assert_int_equal(cio_timeout_end(&inner), -ETIMEDOUT);
    assert_int_equal(cio_sleep(10.0), -ETIMEDOUT); /* then the outer, at 5 */
    assert_true(test_now() == 5.0);
    assert_int_equal(cio_timeout_end(&outer), -ETIMEDOUT);
    return NULL;
}

static void *equal_deadlines_credit_outer(void *arg) {
    (void)arg;
    cio_timeout outer, inner;
    cio_timeout_begin(&outer, 2.0);
    cio_timeout_begin(&inner, 2.0);
    assert_int_equal(cio_sleep(10.0), -ETIMEDOUT);
    assert_int_equal(cio_timeout_end(&inner), 0);
    assert_int_equal(cio_timeout_end(&outer), -ETIMEDOUT);
    return NULL;
}

static void nested_scopes(void **state) {
    (void)state;
    assert_int_equal(test_run(outer_fires_first, NULL, NULL, NULL), 0);
    assert_int_equal(test_run(inner_fires_first, NULL, NULL, NULL), 0);
    assert_int_equal(test_run(equal_deadlines_credit_outer, NULL, NULL, NULL), 0);
}

static void *reschedule(void *arg) {
    (void)arg;
    cio_timeout scope;
    cio_timeout_begin(&scope, INFINITY);
    assert_true(isinf(cio_timeout_when(&scope)));
    assert_int_equal(cio_sleep(1.0), 0);
    assert_int_equal(cio_timeout_reschedule(&scope, test_now() + 3.0), 0);
    assert_int_equal(cio_sleep(10.0), -ETIMEDOUT);
    assert_true(test_now() == 4.0);
    assert_int_equal(cio_timeout_reschedule(&scope, NAN), -EINVAL);
    assert_int_equal(cio_timeout_end(&scope), -ETIMEDOUT);
    assert_int_equal(cio_timeout_reschedule(&scope, 1.0), -EINVAL); /* closed */
    assert_true(isnan(cio_timeout_when(&scope)));
    cio_timeout at;
    assert_int_equal(cio_timeout_begin_at(&at, test_now() + 0.5), 0);
    assert_int_equal(cio_sleep(1.0), -ETIMEDOUT);
    assert_true(test_now() == 4.5);
    assert_int_equal(cio_timeout_end(&at), -ETIMEDOUT);
    return NULL;
}

static void reschedule_and_absolute(void **state) {
    (void)state;
    assert_int_equal(test_run(reschedule, NULL, NULL, NULL), 0);
}

static void *cancel_beats_timeout(void *arg) {
    (void)arg;
    cio_timeout scope;
    cio_timeout_begin(&scope, 1.0);
    cio_sleep(2.0);
    cio_task_cancel(cio_current_task());
    assert_int_equal(cio_yield(), -ECANCELED);
    cio_task_uncancel(cio_current_task());
    assert_int_equal(cio_timeout_end(&scope), -ETIMEDOUT);
    return NULL;
}

static void *shielded_cleanup(void *arg) {
    (void)arg;
    cio_timeout scope;
    cio_timeout_begin(&scope, 1.0);
    assert_int_equal(cio_sleep(2.0), -ETIMEDOUT);
    cio_shield_begin();
    assert_int_equal(cio_sleep(2.0), 0);
    cio_shield_end();
    assert_true(test_now() == 3.0);
    cio_timeout_end(&scope);
    return NULL;
}

static void cancel_precedence_and_shield(void **state) {
    (void)state;
    assert_int_equal(test_run(cancel_beats_timeout, NULL, NULL, NULL), 0);
    assert_int_equal(test_run(shielded_cleanup, NULL, NULL, NULL), 0);
}

/* ---- shielded scopes: cleanup regions with a deadline ---------------------------- */

/* Cancellation waits at the wall; the scope's own deadline still fires. */
static void *shield_holds_off_cancellation(void *arg) {
    (void)arg;
    cio_timeout cleanup;
    assert_int_equal(cio_timeout_begin_shielded(&cleanup, 2.0), 0);
    assert_true(cio_timeout_shielded(&cleanup));
    cio_task_cancel(cio_current_task());
    assert_int_equal(cio_yield(), 0);
    assert_int_equal(cio_sleep(5.0), -ETIMEDOUT); /* bounded: cleanup cannot hang */
    assert_true(test_now() == 2.0);
    assert_int_equal(cio_timeout_end(&cleanup), -ETIMEDOUT);
    assert_false(cio_timeout_shielded(&cleanup));
    assert_int_equal(cio_yield(), -ECANCELED); /* delivered after the wall */
    cio_task_uncancel(cio_current_task());
    return NULL;
}

static struct {
    cio_timeout scope;
    int slept;
    double woke;
} parked;

static void *sleep_in_shield(void *arg) {
    (void)arg;
    cio_timeout_begin_shielded(&parked.scope, INFINITY); /* Trio's shield=True */
    parked.slept = cio_sleep(10.0);
    parked.woke = test_now();
    cio_timeout_end(&parked.scope);
    return NULL;
}

/* From outside: cancel a task inside a shield (nothing happens), then lower
 * the shield (the cancellation lands at once, even though it is parked). */
static void *shield_lowered_from_outside(void *arg) {
    (void)arg;
    cio_task *task;
    assert_int_equal(cio_create_task(sleep_in_shield, NULL, &task), 0);
    cio_sleep(1.0);
    cio_task_cancel(task);
    cio_sleep(1.0);
    assert_false(cio_task_done(task));
    assert_int_equal(cio_timeout_set_shield(&parked.scope, false), 0);
    cio_await(task, NULL);
    assert_int_equal(parked.slept, -ECANCELED);
    assert_true(parked.woke == 2.0);
    return NULL;
}

/* Outer deadlines wait at the wall too; scopes inside it still fire. */
static void *shield_holds_off_outer_deadline(void *arg) {
    (void)arg;
    cio_timeout outer, cleanup, inner;
    cio_timeout_begin(&outer, 1.0);
    cio_timeout_begin_shielded(&cleanup, 3.0);
    assert_int_equal(cio_sleep(2.0), 0); /* past the outer deadline */
    assert_true(test_now() == 2.0);
    cio_timeout_begin(&inner, 0.5);
    assert_int_equal(cio_sleep(5.0), -ETIMEDOUT);
    assert_true(test_now() == 2.5);
    assert_int_equal(cio_timeout_end(&inner), -ETIMEDOUT);
    assert_int_equal(cio_sleep(5.0), -ETIMEDOUT); /* the wall's own deadline */
    assert_true(test_now() == 3.0);
    assert_int_equal(cio_timeout_end(&cleanup), -ETIMEDOUT);
    assert_false(cio_timeout_expired(&outer));
    assert_int_equal(cio_yield(), -ETIMEDOUT); /* now the outer one: credited to it */
    assert_int_equal(cio_timeout_end(&outer), -ETIMEDOUT);
    return NULL;
}

/* Raising the shield on an open scope; rescheduling under a shield. */
static void *set_shield_and_reschedule(void *arg) {
    (void)arg;
    cio_timeout outer, scope;
    cio_timeout_begin(&outer, 1.0);
    cio_timeout_begin(&scope, INFINITY);
    assert_int_equal(cio_timeout_set_shield(&scope, true), 0);
    assert_int_equal(cio_sleep(2.0), 0);
    assert_int_equal(cio_timeout_reschedule(&scope, 3.0), 0);
    assert_int_equal(cio_sleep(2.0), -ETIMEDOUT);
    assert_true(test_now() == 3.0);
    assert_int_equal(cio_timeout_reschedule(&scope, 10.0), -EALREADY); /* fired stays fired */
    assert_int_equal(cio_yield(), -ETIMEDOUT);
    assert_int_equal(cio_timeout_end(&scope), -ETIMEDOUT);
    assert_int_equal(cio_timeout_end(&outer), 0); /* due, but no await saw it since the wall fell */
    assert_int_equal(cio_timeout_set_shield(&scope, true), -EINVAL); /* closed */
    assert_int_equal(cio_timeout_set_shield(NULL, true), -EINVAL);
    return NULL;
}

static void shielded_scopes(void **state) {
    (void)state;
    assert_int_equal(test_run(shield_holds_off_cancellation, NULL, NULL, NULL), 0);
    assert_int_equal(test_run(shield_lowered_from_outside, NULL, NULL, NULL), 0);
    assert_int_equal(test_run(shield_holds_off_outer_deadline, NULL, NULL, NULL), 0);
    assert_int_equal(test_run(set_shield_and_reschedule, NULL, NULL, NULL), 0);
}

/* ---- a cancel that arrives while the task is parked inside a shield ----------------- */

enum shield_kind { SHIELD_REGION, SHIELDED_SCOPE, PLAIN_SCOPE_IN_SHIELDED, PLAIN_SCOPE_IN_REGION };

struct held {
    enum shield_kind kind;
    int slept, after;
    double woke, delivered;
};

/* Parks for 5 s inside the shield (cancelled at 1 s from outside), then
 * ends the shield and awaits again: the cancel lands there, not before. */
static void *park_in_shield(void *arg) {
    struct held *held = arg;
    cio_timeout shielded, plain;
    if (held->kind == SHIELD_REGION || held->kind == PLAIN_SCOPE_IN_REGION)
        assert_int_equal(cio_shield_begin(), 0);
    else
        assert_int_equal(cio_timeout_begin_shielded(&shielded, INFINITY), 0);
    bool nested = held->kind == PLAIN_SCOPE_IN_SHIELDED || held->kind == PLAIN_SCOPE_IN_REGION;
    if (nested) assert_int_equal(cio_timeout_begin(&plain, 100.0), 0);
    held->slept = cio_sleep(5.0);
    held->woke = test_now();
    if (nested) assert_int_equal(cio_timeout_end(&plain), 0);
    if (held->kind == SHIELD_REGION || held->kind == PLAIN_SCOPE_IN_REGION)
        assert_int_equal(cio_shield_end(), 0);
    else
        assert_int_equal(cio_timeout_end(&shielded), 0);
    held->after = cio_sleep(5.0);
    held->delivered = test_now();
    return NULL;
}

static void *cancel_parked_shielded_task(void *arg) {
    cio_task *task = test_spawn(park_in_shield, arg);
    assert_int_equal(cio_sleep(1.0), 0);
    assert_int_equal(cio_task_cancel(task), 0);
    cio_await(task, NULL);
    return NULL;
}

static void cancel_while_parked_in_a_shield_waits_for_its_end(void **state) {
    (void)state;
    const enum shield_kind kinds[] = {SHIELD_REGION, SHIELDED_SCOPE, PLAIN_SCOPE_IN_SHIELDED,
                                      PLAIN_SCOPE_IN_REGION};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        struct held held = {.kind = kinds[i]};
        assert_int_equal(test_run(cancel_parked_shielded_task, &held, NULL, NULL), 0);
        assert_int_equal(held.slept, 0); /* the whole 5 s, the cancel held off */
        assert_true(held.woke == 5.0);
        assert_int_equal(held.after, -ECANCELED); /* delivered at the first await after */
        assert_true(held.delivered == 5.0);
    }
}

static void *misuse(void *arg) {
    (void)arg;
    cio_timeout a, b;
    assert_int_equal(cio_timeout_begin(NULL, 1.0), -EINVAL);
    assert_int_equal(cio_timeout_begin(&a, NAN), -EINVAL);
    cio_timeout_begin(&a, 1.0);
    cio_timeout_begin(&b, 1.0);
    assert_int_equal(cio_timeout_end(&a), -EINVAL); /* not innermost */
    assert_int_equal(cio_timeout_end(&b), 0);
    assert_int_equal(cio_timeout_end(&a), 0);
    return NULL;
}

static void misuse_is_refused(void **state) {
    (void)state;
    assert_int_equal(test_run(misuse, NULL, NULL, NULL), 0);
    cio_timeout scope;
    setenv("CIO_QUIET", "1", 1);
    assert_int_equal(cio_timeout_begin(&scope, 1.0), -EPERM); /* outside a task */
    unsetenv("CIO_QUIET");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(timeout_fires_exactly),
        cmocka_unit_test(timeout_that_does_not_fire),
        cmocka_unit_test(nested_scopes),
        cmocka_unit_test(reschedule_and_absolute),
        cmocka_unit_test(cancel_precedence_and_shield),
        cmocka_unit_test(shielded_scopes),
        cmocka_unit_test(cancel_while_parked_in_a_shield_waits_for_its_end),
        cmocka_unit_test(misuse_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
