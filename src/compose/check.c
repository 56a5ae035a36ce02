/* src/compose/check.c - the input checks every compose tool shares, done
 * before anything is consumed or armed, so misuse changes nothing. */
#include "compose/compose.h"

static bool live_task(const cio_task *task) {
    return cio__task_valid(task);
}

int cio__compose_check_one(cio_task *self, cio_task *task) {
    if (!live_task(task) || cio__task_loop(task) != cio__task_loop(self)) return -EINVAL;
    if (task == self) return -EDEADLK;
    return 0;
}

int cio__compose_check(cio_task *self, cio_task *const *tasks, size_t n, cio_loop **loop) {
    if (loop) *loop = NULL;
    if (n > 0 && !tasks) return -EINVAL;
    cio_loop *first = n > 0 && live_task(tasks[0]) ? cio__task_loop(tasks[0]) : NULL;
    if (self) first = cio__task_loop(self);
    bool listed_self = false;
    for (size_t i = 0; i < n; i++) {
        if (!live_task(tasks[i]) || cio__task_loop(tasks[i]) != first) return -EINVAL;
        listed_self |= tasks[i] == self;
    }
    if (listed_self) return -EDEADLK;
    if (loop) *loop = first;
    return 0;
}
