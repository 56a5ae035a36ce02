/* Detection of x86 user shadow stacks, from /proc/self/status text. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "arch/switch.h"

static bool detect(const char *text) {
    FILE *status = fmemopen((void *)text, strlen(text), "r");
    assert_non_null(status);
    bool enabled = cio__shadow_stack_in_status(status);
    fclose(status);
    return enabled;
}

static void reads_the_features_line(void **state) {
    (void)state;
    assert_false(detect("Name:\ttest\nPid:\t1\n")); /* kernel without CET */
    assert_false(detect("x86_Thread_features:\t\nx86_Thread_features_locked:\t\n"));
    assert_true(
        detect("Name:\tt\nx86_Thread_features:\tshstk wrss\nx86_Thread_features_locked:\t\n"));
    assert_true(detect("x86_Thread_features:\tshstk\n"));
}

static void this_process_runs_without_one(void **state) {
    (void)state;
    const char *why = NULL;
    assert_int_equal(cio__switch_check(&why), 0); /* loops are made, so no shadow stack here */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_the_features_line),
        cmocka_unit_test(this_process_runs_without_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
