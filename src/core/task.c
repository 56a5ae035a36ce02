/* src/core/task.c - tasks: creation, the run of a task's function on its own
 * stack, completion, references, and the task-level queries.
 *
 * Life of a task: CREATED (queued to start) -> RUNNING <-> PARKED/READY ->
 * DONE. The loop holds its own reference (loop_holds) from creation until
 * DONE; the creator's and cio_task_ref's are counted apart (future.refs), so
 * a release too many is refused instead of taking the loop's. The stack is
 * taken when the task first runs and given back as soon as it finishes. */
#include "core/switch.h" /* cio__switch_to_task, cio__switch_to_scheduler */
#include "core/compact.h"

#include <stdlib.h>
#include <string.h>

static void run_task_entry(struct cio__ready *entry);

bool cio__task_valid(const cio_task *task) {
    return task && task->future.magic == CIO__TASK_MAGIC;
}

bool cio__task_check(const cio_task *task, const char *caller) {
    if (cio__task_valid(task))
        return !cio__debug_wrong_thread(task->future.loop, caller); /* debug mode only */
    if (task && task->future.magic == CIO__DEAD_MAGIC)
        cio__complain("%s: stale task pointer %p: its last reference was already dropped "
                      "(released twice, or used after cio_await consumed it)",
                      caller, (const void *)task);
    return false;
}

/* cio__task_check, inline for the common case: a live task, debug mode off
 * (the wrong-thread check is debug mode's). */
static inline bool task_usable(const cio_task *task, const char *caller) {
    if (__builtin_expect(cio__task_valid(task) && !task->future.loop->head.debug, 1)) return true;
    return cio__task_check(task, caller);
}

cio_task *cio__task_complain_outside(const char *caller) {
    cio__complain("%s: must be called from inside a task (it suspends the caller)", caller);
    return NULL;
}

cio_task *cio_current_task(void) {
    return cio__running_loop ? cio__running_loop->head.current : NULL;
}

/* ---- creation --------------------------------------------------------------------- */

static void fire_sleep(struct cio__timer *timer) {
    cio__wake(cio__container_of(timer, cio_task, sleep_timer), 0);
}

static int set_name(cio_task *task, const char *name) {
    char *copy = name ? strdup(name) : NULL;
    if (name && !copy) return -ENOMEM;
    free(task->name);
    task->name = copy;
    task->stack.name = copy;
    return 0;
}

/* Freed task structs are kept per loop for reuse, up to SPARE_TASKS: without
 * this, glibc hands a batch of freed tasks back to the kernel and the next
 * batch faults them in again (54,700 faults per 1M spawns; see
 * bench/results/core.md).
 *
 * The spares are also a quarantine: a freed struct keeps the dead magic and
 * is reused only once QUARANTINE newer ones were freed after it (first in,
 * first out), so a stale pointer to one of a loop's last QUARANTINE freed
 * tasks is refused with a report instead of reaching a new task. Past that
 * window the memory may hold a new task (or, beyond SPARE_TASKS or after the
 * loop is freed, be freed): a plain pointer cannot carry more. */
#define SPARE_TASKS 2048
#define QUARANTINE  256

/* Zeroing the struct with memset of a known size compiles inline to `rep
 * stos`, whose start-up cost made it a third of an eager task's time (perf
 * on bench/core_eager); glibc's memset, reached through this pointer the
 * compiler cannot see through, does it in a few vector stores. */
static void *(*volatile zero_memory)(void *, int, size_t) = memset;

static cio_task *task_alloc(cio_loop *loop) {
    if (loop->spare_task_count <= QUARANTINE) return calloc(1, sizeof(cio_task));
    struct cio__list *spare = cio__list_pop_front(&loop->spare_tasks);
    loop->spare_task_count--;
    cio_task *task = cio__container_of(spare, cio_task, all);
    uint32_t generation = task->generation + 1;
    zero_memory(task, 0, sizeof *task);
    task->generation = generation;
    return task;
}

static void task_dispose(cio_task *task) {
    cio_loop *loop = task->future.loop;
    task->future.magic = CIO__DEAD_MAGIC; /* a stale handle is refused while quarantined */
    if (loop->head.closed) {
        free(task);
        return;
    }
    cio__list_push_back(&loop->spare_tasks, &task->all);
    if (++loop->spare_task_count > SPARE_TASKS) { /* the oldest leaves quarantine for good */
        free(cio__container_of(cio__list_pop_front(&loop->spare_tasks), cio_task, all));
        loop->spare_task_count--;
    }
}

void cio__task_spares_free(cio_loop *loop) {
    struct cio__list *spare;
    while ((spare = cio__list_pop_front(&loop->spare_tasks)) != NULL)
        free(cio__container_of(spare, cio_task, all));
    loop->spare_task_count = 0;
}

/* "Task-<id>", as asyncio names tasks; written out only when someone asks
 * for the name (it was 11% of a spawn's instructions when written at
 * creation), by hand since snprintf is slower still. Readers that must not
 * write (the watchdog thread, the overflow handler) format the id
 * themselves. */
static void default_name(cio_task *task) {
    char digits[20];
    size_t len = 0;
    for (uint64_t id = task->id; id || !len; id /= 10) digits[len++] = (char)('0' + id % 10);
    memcpy(task->name_buf, "Task-", 5);
    for (size_t i = 0; i < len; i++) task->name_buf[5 + i] = digits[len - 1 - i];
    task->name_buf[5 + len] = '\0';
}

static void run_eagerly(cio_loop *loop, cio_task *task);

int cio_task_new(cio_loop *loop, cio_task_fn fn, void *arg, const cio_task_options *opts,
                 cio_task **out) {
    if (out) *out = NULL;
    int rc = cio__loop_check(loop, "cio_task_new");
    if (rc < 0) return rc;
    if (!fn) return -EINVAL;
    cio_task *task = task_alloc(loop);
    if (!task) return -ENOMEM;
    cio__future_init(&task->future, loop, CIO__TASK_MAGIC);
    task->future.refs = out ? 1 : 0; /* the creator's, unless detached */
    task->loop_holds = true;
    task->fn = fn;
    task->arg = arg;
    task->id = ++loop->next_task_id;
    task->wait.fd = -1;
    task->deadline = INT64_MAX;
    task->stack_size = opts ? opts->stack_size : 0;
    task->compact = (opts && opts->compact) || loop->compact_default; /* compact.c */
    if (opts && opts->name && set_name(task, opts->name) < 0) {
        task_dispose(task);
        return -ENOMEM;
    }
    /* Copy on create: a reference to an immutable map (NULL when empty). */
    task->vars = opts && opts->context ? cio__context_vars(opts->context) : cio__vars_current();
    cio__timer_init(&task->sleep_timer, fire_sleep);
    cio__timer_init(&task->deadline_timer, NULL); /* timeout.c sets it */
    task->ready.run = run_task_entry;
    task->state = CIO__TASK_CREATED;
    cio__list_push_back(&loop->tasks, &task->all);
    loop->unfinished_tasks++;
    if (out) *out = task; /* before it runs: a detached eager task may be freed by then */
    if (opts && opts->eager_start && cio__running_loop == loop && !task->compact)
        run_eagerly(loop, task);
    else
        cio__ready_push(&loop->ready, &task->ready);
    return 0;
}

int cio_loop_create_task_ex(cio_loop *loop, cio_task_fn fn, void *arg, const cio_task_options *opts,
                            cio_task **out) {
    if (loop && loop->head.magic == CIO__LOOP_MAGIC && loop->task_factory) {
        if (out) *out = NULL;
        int rc = cio__loop_check(loop, "cio_loop_create_task");
        if (rc < 0) return rc;
        return loop->task_factory(loop, fn, arg, opts, loop->task_factory_arg, out);
    }
    return cio_task_new(loop, fn, arg, opts, out);
}

int cio_loop_create_task(cio_loop *loop, cio_task_fn fn, void *arg, cio_task **out) {
    return cio_loop_create_task_ex(loop, fn, arg, NULL, out);
}

int cio_loop_set_task_factory(cio_loop *loop, cio_task_factory factory, void *factory_arg) {
    int rc = cio__loop_check(loop, "cio_loop_set_task_factory");
    if (rc < 0) return rc;
    loop->task_factory = factory;
    loop->task_factory_arg = factory ? factory_arg : NULL;
    return 0;
}

cio_task_factory cio_loop_get_task_factory(const cio_loop *loop, void **factory_arg) {
    bool valid = loop && loop->head.magic == CIO__LOOP_MAGIC;
    if (factory_arg) *factory_arg = valid ? loop->task_factory_arg : NULL;
    return valid ? loop->task_factory : NULL;
}

int cio_eager_task_factory(cio_loop *loop, cio_task_fn fn, void *arg, const cio_task_options *opts,
                           void *factory_arg, cio_task **out) {
    (void)factory_arg;
    cio_task_options eager = opts ? *opts : (cio_task_options){0};
    eager.eager_start = true;
    return cio_task_new(loop, fn, arg, &eager, out);
}

int cio_create_task(cio_task_fn fn, void *arg, cio_task **out) {
    if (out) *out = NULL;
    cio_loop *loop = cio__running_loop;
    if (!loop) return -EPERM; /* no running loop: cio_loop_create_task names one */
    return cio_loop_create_task_ex(loop, fn, arg, NULL, out);
}

/* ---- running and finishing --------------------------------------------------------- */

/* Its values' destructors may run now: a finished task holds no context. */
static void drop_vars(cio_task *task) {
    struct cio__vars *vars = task->vars;
    task->vars = NULL;
    cio__vars_unref(vars);
}

static void finish(cio_task *task, int error, void *result) {
    cio_loop *loop = task->future.loop;
    task->state = CIO__TASK_DONE;
    loop->unfinished_tasks--;
    if (cio__timer_armed(&task->sleep_timer)) cio__timer_stop(loop, &task->sleep_timer);
    if (cio__timer_armed(&task->deadline_timer)) cio__timer_stop(loop, &task->deadline_timer);
    cio__future_complete(&task->future, error, result);
    if (task->vars) drop_vars(task);
}

/* A task cancelled after its last delivered -ECANCELED (while it ran, or
 * after a waker had made it ready) that returns before any await sees the
 * cancellation ends cancelled, as asyncio's Task ends when _must_cancel is
 * still set at its return. One that got -ECANCELED and returns anyway ends
 * normally (it handled it), as in asyncio; so does one that uncancelled. */
static int cancelled_unseen(const cio_task *task) {
    return task->cancel_unseen && task->cancel_requests > 0 ? -ECANCELED : 0;
}

/* The task's function and its end, for both ways in (task_main, call_main). */
static void run_body(cio_task *task) {
    void *result = task->fn(task->arg);
    /* A task that returns cio_fail(-ECANCELED) ends as cancelled. */
    int error = cio_error_of(result);
    cio__task_finish_checks(task, error);
    task->returned = !error;
    if (error)
        finish(task, error, NULL);
    else
        finish(task, cancelled_unseen(task), result);
}

/* The first frame of a compact task, which the scheduler starts by a jump
 * (compact.c makes its context on a shared stack), having made it current. */
static void task_main(cio__transfer start) {
#if defined(CIO_ASAN)
    __sanitizer_finish_switch_fiber(NULL, &cio__running_loop->scheduler_stack_bottom,
                                    &cio__running_loop->scheduler_stack_size);
#endif
    cio_loop *loop = cio__running_loop;
    cio_task *task = loop->head.current;
    loop->scheduler_ctx = start.from;
    run_body(task);
    cio__switch_to_scheduler(loop, task, true);
    abort(); /* a finished task is never resumed */
}

/* The first frame of a task's stack when its first run is a call
 * (cio__ctx_call): by the scheduler (cio__switch_call_task) or, for an
 * eager start, by its creator (run_eagerly). One that ends without
 * switching out returns to that caller; one that switched out was resumed
 * by a jump since, and ends with one, as task_main does. */
static void call_main(void *arg) {
    cio_task *task = arg;
    cio_loop *loop = task->future.loop;
#if defined(CIO_ASAN)
    /* The stack returned to, if it returns: the creator's or the scheduler's. */
    const void **bottom = task->eager ? &task->eager_stack_bottom : &loop->scheduler_stack_bottom;
    size_t *size = task->eager ? &task->eager_stack_size : &loop->scheduler_stack_size;
    __sanitizer_finish_switch_fiber(NULL, bottom, size);
#endif
    run_body(task);
    if (!task->in_call) {
        cio__switch_to_scheduler(loop, task, true);
        abort(); /* a finished task is never resumed */
    }
    task->eager = false;
#if defined(CIO_ASAN)
    __sanitizer_start_switch_fiber(NULL, *bottom, *size);
#endif
    /* TSan's switch back is the caller's: our own return belongs to this fiber. */
}

static void drop_loop_reference(cio_task *task) {
    if (task->compact) cio__compact_release(task);
    if (task->stack.mapping) cio__stack_release(&task->stack);
    task->stack.mapping = NULL;
#if defined(CIO_TSAN)
    if (task->tsan_fiber) __tsan_destroy_fiber(task->tsan_fiber);
    task->tsan_fiber = NULL;
#endif
    task->loop_holds = false;
    if (task->future.refs == 0) {
        cio__list_remove(&task->all);
        cio__task_free(task);
    }
}

static int take_stack(cio_task *task) {
    int rc = cio__stack_acquire(&task->stack, task->stack_size);
    if (rc < 0) return rc;
    task->stack.name = task->name;
    task->stack.task_id = task->id;
#if defined(CIO_TSAN)
    task->tsan_fiber = __tsan_create_fiber(0);
#endif
    return 0;
}

/* Resume a queued task. What comes back may be another task: the one the
 * hand-offs ended in. A finished task always comes back here, as its stack
 * can be released only from another one. */
void cio__task_resume(struct cio__ready *entry) {
    cio_task *task = cio__container_of(entry, cio_task, ready);
    if (__builtin_expect(task->compact, 0) && cio__compact_defer(task)) return;
    cio_task *back = cio__switch_to_task(task->future.loop, task);
    if (back->state == CIO__TASK_DONE) drop_loop_reference(back);
}

cio_task *cio__task_of_entry(struct cio__ready *entry) {
    if (entry->run != cio__task_resume && entry->run != run_task_entry) return NULL;
    return cio__container_of(entry, cio_task, ready);
}

/* A task's first turn: cancelled before it started, it never runs (asyncio).
 * Otherwise it starts by a call on its stack, or for a compact task on a
 * shared stack (compact.c). */
static void run_task_entry(struct cio__ready *entry) {
    cio_task *task = cio__container_of(entry, cio_task, ready);
    int rc = task->cancel_requests > 0 ? -ECANCELED
             : task->compact           ? cio__compact_start(task, task_main)
                                       : take_stack(task);
    if (rc < 0) {
        finish(task, rc, NULL);
        drop_loop_reference(task);
        return;
    }
    task->ready.run = cio__task_resume;
    if (task->compact) {
        cio__task_resume(entry);
        return;
    }
    cio_task *back = cio__switch_call_task(task->future.loop, task, call_main);
    if (back->state == CIO__TASK_DONE) drop_loop_reference(back);
}

/* Eager start (asyncio 3.12's eager tasks): run the new task now, on its own
 * stack, straight from the creating call - a task, a callback, or code on
 * the scheduler's stack - as a call on that stack (cio__ctx_call). Its
 * first switch out jumps back here (cio__switch_eager_return) instead of
 * going through the scheduler; a task that finishes without suspending just
 * returns, so it costs a stack from the pool and a call, and never touches
 * the ready queue. The creator's running state (current task, budget, the
 * stack the overflow handler names) is put back by hand, since no scheduler
 * pass restores it. */
static void run_eagerly(cio_loop *loop, cio_task *task) {
    int rc = take_stack(task);
    if (rc < 0) {
        finish(task, rc, NULL);
        drop_loop_reference(task);
        return;
    }
    cio_task *creator = loop->head.current;
    int budget = loop->head.budget;
    task->eager = true;
    task->in_call = true;
    task->ready.run = cio__task_resume;
#if defined(CIO_TSAN)
    task->eager_fiber = __tsan_get_current_fiber();
#endif
    void *fake_stack = NULL;
    cio__switch_enter_stack(loop, task, &fake_stack);
    cio__transfer back =
        cio__ctx_call(task->stack.top, task->stack.size, call_main, task, &task->eager_return);
#if defined(CIO_ASAN)
    __sanitizer_finish_switch_fiber(fake_stack, NULL, NULL);
#endif
#if defined(CIO_TSAN)
    if (!back.from) __tsan_switch_to_fiber(task->eager_fiber, 0); /* it returned */
#endif
    if (back.from) task->ctx = back.from; /* it suspended; back.data is task */
    loop->head.current = creator;
    loop->head.budget = budget;
    cio__stack_set_running(creator ? &creator->stack : NULL);
    if (task->state == CIO__TASK_DONE) drop_loop_reference(task);
}

bool cio__task_returned(const cio_task *task) {
    return task->returned;
}

/* ---- references ---------------------------------------------------------------------- */

cio_task *cio_task_ref(cio_task *task) {
    if (task_usable(task, "cio_task_ref")) task->future.refs++;
    return task;
}

void cio__task_free(cio_task *task) {
    if (task->compact) cio__compact_release(task);
    if (task->stack.mapping) cio__stack_release(&task->stack);
    cio__task_report_unretrieved(task);
    if (!cio__list_empty(&task->future.waiters)) cio__future_free_callbacks(&task->future);
    cio__origin_free(&task->future);
    if (task->vars) drop_vars(task);
    if (task->name) free(task->name); /* both NULL for most tasks: skip the calls */
    if (task->error_message) free(task->error_message);
    task_dispose(task);
}

void cio_task_unref(cio_task *task) {
    if (!task || !task_usable(task, "cio_task_unref")) return;
    if (task->future.refs == 0) {
        /* Only the loop's own reference is left: taking it would free a
         * task that is still queued or running. */
        cio__complain("cio_task_unref: task '%s' has no reference left to release "
                      "(released twice, or already consumed by cio_await)",
                      cio_task_name(task));
        return;
    }
    if (--task->future.refs > 0 || task->loop_holds) return;
    cio__list_remove(&task->all);
    cio__task_free(task);
}

/* ---- awaiting -------------------------------------------------------------------------- */

/* A task this thread may not touch: of another loop than the one running
 * here, or (no loop running here) of a loop that runs on another thread. */
static bool foreign(const cio_task *task) {
    cio_loop *here = cio__running_loop;
    if (here) return task->future.loop != here;
    return task->future.loop->head.running;
}

int cio_await(cio_task *task, void **result) {
    if (result) *result = NULL;
    if (!task_usable(task, "cio_await")) return -EINVAL;
    if (foreign(task)) {
        cio__complain("cio_await: task '%s' belongs to another loop", cio_task_name(task));
        return -EINVAL;
    }
    /* From here on the reference is consumed on every return. */
    cio_task *self = cio__task_current_or_complain("cio_await");
    int rc = !self ? -EPERM : task == self ? -EDEADLK : 0;
    if (rc == -EDEADLK) cio__complain("cio_await: task '%s' awaits itself", cio_task_name(task));
    if (rc < 0) {
        cio_task_unref(task);
        return rc;
    }
    rc = cio__future_await(&task->future);
    if (rc < 0) {
        /* Interrupted, which cancelled the awaited task at once: wait,
         * shielded, for it to finish, so a returning cio_await never leaves
         * the task running. */
        self->shield_depth++;
        while (task->state != CIO__TASK_DONE) cio__future_wait(&task->future);
        self->shield_depth--;
    }
    int status = cio__future_outcome(&task->future, result);
    cio_task_unref(task);
    return rc < 0 ? rc : status;
}

/* ---- queries ----------------------------------------------------------------------------- */

bool cio_task_done(const cio_task *task) {
    return cio__task_valid(task) && task->state == CIO__TASK_DONE;
}

bool cio_task_cancelled(const cio_task *task) {
    return cio__task_valid(task) && task->future.state == CIO__CANCELLED;
}

int cio_task_result(cio_task *task, void **result) {
    if (!cio__task_check(task, "cio_task_result")) {
        if (result) *result = NULL;
        return -EINVAL;
    }
    return cio_future_result(&task->future, result);
}

const char *cio_task_name(const cio_task *task) {
    if (!cio__task_valid(task)) return "(invalid task)";
    if (task->name) return task->name;
    if (!task->name_buf[0]) default_name((cio_task *)task); /* its own buffer, on its own loop */
    return task->name_buf;
}

int cio_task_set_name(cio_task *task, const char *name) {
    if (!cio__task_check(task, "cio_task_set_name") || !name) return -EINVAL;
    return set_name(task, name);
}

cio_future *cio_task_future(cio_task *task) {
    return cio__task_valid(task) ? &task->future : NULL;
}

cio_loop *cio_task_loop(const cio_task *task) {
    return cio__task_valid(task) ? task->future.loop : NULL;
}

size_t cio_all_tasks(cio_loop *loop, cio_task **out, size_t cap) {
    if (!loop) loop = cio__running_loop;
    if (!loop || loop->head.magic != CIO__LOOP_MAGIC || loop->head.closed) return 0;
    size_t count = 0;
    for (struct cio__list *node = loop->tasks.next; node != &loop->tasks; node = node->next) {
        cio_task *task = cio__container_of(node, cio_task, all);
        if (task->state == CIO__TASK_DONE) continue;
        if (out && count < cap) out[count] = task;
        count++;
    }
    return count;
}
