/* src/core/switch.h - the scheduler<->task switch, with the sanitizer
 * annotations every switch needs (compiled in only for those builds).
 * Inline so the jump happens straight from the scheduler or the waiting task. */
#ifndef CIO_CORE_SWITCH_H
#define CIO_CORE_SWITCH_H

#include "core/core.h"

#if defined(CIO_ASAN)
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(CIO_TSAN)
void *__tsan_get_current_fiber(void);
void *__tsan_create_fiber(unsigned flags);
void __tsan_destroy_fiber(void *fiber);
void __tsan_switch_to_fiber(void *fiber, unsigned flags);
#endif

/* Scheduler -> task. Returns when the task parks or finishes. */
static inline void cio__switch_to_task(cio_loop *loop, cio_task *task) {
    loop->current = task;
    task->state = CIO__TASK_RUNNING;
    cio__stack_set_running(&task->stack);
#if defined(CIO_ASAN)
    __sanitizer_start_switch_fiber(&loop->asan_fake_stack,
                                   (char *)task->stack.top - task->stack.size, task->stack.size);
#endif
#if defined(CIO_TSAN)
    if (!loop->tsan_scheduler_fiber) loop->tsan_scheduler_fiber = __tsan_get_current_fiber();
    __tsan_switch_to_fiber(task->tsan_fiber, 0);
#endif
    cio__transfer back = cio__ctx_jump(task->ctx, task);
#if defined(CIO_ASAN)
    __sanitizer_finish_switch_fiber(loop->asan_fake_stack, NULL, NULL);
#endif
    task->ctx = back.from;
    cio__stack_set_running(NULL);
    loop->current = NULL;
}

/* Task -> scheduler. finished: this is the task's last switch (ASan frees
 * its fake stack). Returns when the scheduler resumes the task. */
static inline void cio__switch_to_scheduler(cio_loop *loop, cio_task *task, bool finished) {
#if defined(CIO_ASAN)
    __sanitizer_start_switch_fiber(finished ? NULL : &task->asan_fake_stack,
                                   loop->scheduler_stack_bottom, loop->scheduler_stack_size);
#else
    (void)finished;
    (void)task;
#endif
#if defined(CIO_TSAN)
    __tsan_switch_to_fiber(loop->tsan_scheduler_fiber, 0);
#endif
    cio__transfer back = cio__ctx_jump(loop->scheduler_ctx, NULL);
    loop->scheduler_ctx = back.from;
#if defined(CIO_ASAN)
    __sanitizer_finish_switch_fiber(task->asan_fake_stack, NULL, NULL);
#endif
}

#endif
