/* src/core/backtrace.h - stack walking for introspection and the watchdog
 * (backtrace.c). Only src/core includes it. */
#ifndef CIO_CORE_BACKTRACE_H
#define CIO_CORE_BACKTRACE_H

#include "core/core.h"

#include <stdint.h>

/* Follow the frame-pointer chain from fp while it stays inside [lo, hi),
 * storing return addresses into frames[0..cap). Async-signal-safe. */
size_t cio__backtrace_walk(uintptr_t fp, uintptr_t lo, uintptr_t hi, void **frames, size_t cap);
/* task's frames, innermost first: 0 (with *count, 0 for a task with no
 * stack) or -ENOTSUP (no walker for this switch). */
int cio__backtrace_task(const cio_task *task, void **frames, size_t cap, size_t *count);
/* Bytes of task's stack in use now, and the high-water mark. */
size_t cio__stack_used(const cio_task *task);
size_t cio__stack_high_water(const cio_task *task);
/* One line per frame, named by dladdr: 0 or -EIO. */
int cio__backtrace_print(void *const *frames, size_t count, FILE *out);

#endif
