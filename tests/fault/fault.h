/* tests/fault/fault.h - fail one chosen call from inside a test.
 *
 * Only in a -DCIO_FAULT_INJECTION=ON build (tests/fault/fault.c): the
 * regression tests of tests/fault/regress.c pick the exact call that once
 * hung or crashed, instead of a call number that moves with every change. */
#ifndef CIO_TESTS_FAULT_H
#define CIO_TESTS_FAULT_H

#include <stdbool.h>

/* Fail the (skip + 1)th next call cio makes to `name` (a name of calls.txt),
 * once, whatever CIO_FAULT_CALLS says; a later arm of the same name replaces
 * this one. 0, or -EINVAL for a name not wrapped. Any thread. */
int cio_fault_arm(const char *name, unsigned long skip);
/* Fail the next `times` calls cio makes to `name`, one after another. 0 or
 * -EINVAL. Any thread. */
int cio_fault_arm_times(const char *name, unsigned long times);
/* True while an arm of `name` has not fired yet (a test waits for another
 * thread to make the failed call). Any thread. */
bool cio_fault_armed(const char *name);
/* Drop every arm not yet fired. */
void cio_fault_disarm(void);

#endif
