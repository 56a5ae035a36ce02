/* The seed programs' coroutines on the virtual clock: same order, and the
 * loop time each run takes (example 2 overlaps its tasks: 5 s, not 7). The
 * ctest output_seed* tests compare the programs' printed output. */
#include "testutil.h"

int seed1_main(void);
int seed2_main(void);
int seed3_main(void);

#define main seed1_main
#include "../../examples/seed/seed1_hello_world.c"
#undef main
#define main      seed2_main
#define main_task seed2_main_task
#include "../../examples/seed/seed2_tasks.c"
#undef main
#undef main_task
#define main      seed3_main
#define main_task seed3_main_task
#include "../../examples/seed/seed3_event_loop.c"
#undef main
#undef main_task

static void seed_durations(void **state) {
    (void)state;
    double elapsed;
    assert_int_equal(test_run(hello_world, NULL, NULL, &elapsed), 0);
    assert_true(elapsed == 1.0);
    assert_int_equal(test_run(seed2_main_task, NULL, NULL, &elapsed), 0);
    assert_true(elapsed == 5.0);
    assert_int_equal(test_run(seed3_main_task, NULL, NULL, &elapsed), 0);
    assert_true(elapsed == 1.0);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(seed_durations)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
