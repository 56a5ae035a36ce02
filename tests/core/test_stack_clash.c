/* A frame larger than a task stack's guard still gets the overflow report:
 * cio's build adds -fstack-clash-protection (CIO_STACK_CLASH_PROTECTION), so
 * the compiler touches each page of a large frame as it grows it and the
 * first touch below the usable stack lands in the guard (issue 11). Without
 * the flag, the frame's one write lands beyond the guard: silent corruption
 * or a fault the handler does not own, never the report. */
#include "testutil.h"

#include "arch/switch.h"
#include "core/stack.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef CIO_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

static struct cio__stack clash_stack;

/* 128 KiB of frame on a 64 KiB stack with a 16 KiB guard: the lowest byte is
 * 64 KiB past the guard. */
static volatile size_t lowest = 0; /* an index the compiler cannot see: the array stays whole */

__attribute__((noinline)) static int huge_frame(void) {
    volatile char frame[128 * 1024];
    frame[lowest] = 1;
    return frame[lowest];
}

static void clashing_entry(cio__transfer t) {
#ifdef CIO_ASAN
    __sanitizer_finish_switch_fiber(NULL, NULL, NULL);
#endif
    (void)t;
    cio__stack_set_running(&clash_stack);
    huge_frame();
    _exit(4); /* the frame stepped over the guard unnoticed */
}

static void clash_in_child(void) {
    if (cio__stack_guard_install() != 0) _exit(2);
    if (cio__stack_acquire(&clash_stack, 64 * 1024) != 0) _exit(3);
    clash_stack.name = "big-frame";
    cio__ctx ctx = cio__ctx_make(clash_stack.top, clash_stack.size, clashing_entry);
#ifdef CIO_ASAN
    void *fake_stack = NULL;
    __sanitizer_start_switch_fiber(&fake_stack, (char *)clash_stack.top - clash_stack.size,
                                   clash_stack.size);
#endif
    cio__ctx_jump(ctx, NULL);
    _exit(5); /* not reached */
}

static void frame_larger_than_the_guard_is_reported(void **state) {
    (void)state;
#ifdef CIO_ASAN
    skip(); /* ASan moves large locals off the stack (detect_stack_use_after_return) */
#endif
    char err[4096];
    int status = test_in_child(clash_in_child, err, sizeof err);
    assert_true(WIFSIGNALED(status));
    assert_non_null(strstr(err, "cio: task 'big-frame' overflowed its 64 KiB stack\n"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(frame_larger_than_the_guard_is_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
