/* src/arch/shadow_stack.c - refuse to run tasks under a user shadow stack.
 *
 * Kernels 6.6+ with glibc 2.39+ can enable x86 shadow stacks (CET SHSTK) for a
 * process. Our switch moves the stack pointer without telling the shadow
 * stack, so the first return on a task stack would kill the process with a
 * control-protection fault. Until the switch supports it, detect the mode
 * and refuse with a clear message instead of crashing. */
#include "arch/switch.h"

#include <errno.h>

#include <stdio.h>
#include <string.h>

/* status: the text of /proc/PID/status. The kernel lists the enabled
 * features on an "x86_Thread_features:" line (absent on kernels without CET). */
bool cio__shadow_stack_in_status(FILE *status) {
    char line[256];
    bool enabled = false;
    while (fgets(line, sizeof line, status))
        if (strncmp(line, "x86_Thread_features:", 20) == 0) enabled = strstr(line, "shstk") != NULL;
    return enabled;
}

static bool shadow_stack_enabled(void) {
    FILE *status = fopen("/proc/self/status", "r");
    if (!status) return false;
    bool enabled = cio__shadow_stack_in_status(status);
    fclose(status);
    return enabled;
}

int cio__switch_check(const char **message) {
    static _Atomic int verdict = 1; /* 1: not checked yet */
    if (verdict == 1) verdict = shadow_stack_enabled() ? -ENOTSUP : 0;
    if (verdict < 0)
        *message = "x86 shadow stacks (CET SHSTK) are enabled for this process; cio's context "
                   "switch does not support them yet: run without "
                   "GLIBC_TUNABLES=glibc.cpu.x86_shstk=on";
    return verdict;
}
