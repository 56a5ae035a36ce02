/* src/core/future.c - futures: an outcome that arrives later.
 *
 * A future's waiters list holds, in the order they were added, the links of
 * tasks awaiting it and of its done-callbacks: completing it wakes and queues
 * them in that order, as asyncio's callbacks run in registration order. */
#include "core/task.h"

#include <stdlib.h>

/* A live future (or task); false, with a report naming caller, for a
 * stale handle (a future freed into the quarantine, core/handle.c). */
static bool valid(const cio_future *f, const char *caller) {
    if (__builtin_expect(f && (f->magic == CIO__FUTURE_MAGIC || f->magic == CIO__TASK_MAGIC), 1))
        return true;
    return cio__handle_check_slow(f, CIO__FUTURE_MAGIC, "future", caller) == 0;
}

void cio__future_init(cio_future *f, cio_loop *loop, uint32_t magic) {
    f->magic = magic;
    f->state = CIO__PENDING;
    f->refs = 1;
    f->loop = loop;
    cio__list_init(&f->waiters);
    if (__builtin_expect(loop->head.debug, 0)) cio__origin_capture(f);
}

int cio_future_new(cio_loop *loop, cio_future **out) {
    if (!out) return -EINVAL;
    *out = NULL;
    if (!loop) loop = cio__running_loop;
    int rc = cio__loop_check(loop, "cio_future_new");
    if (rc < 0) return rc;
    cio_future *f = calloc(1, sizeof *f);
    if (!f) return -ENOMEM;
    cio__future_init(f, loop, CIO__FUTURE_MAGIC);
    *out = f;
    return 0;
}

cio_future *cio_future_ref(cio_future *f) {
    if (valid(f, __func__)) f->refs++;
    return f;
}

/* Done-callbacks still listed on a future being freed will never run. */
void cio__future_free_callbacks(cio_future *f) {
    struct cio__list *node;
    while ((node = cio__list_pop_front(&f->waiters)) != NULL) {
        struct cio__link *link = cio__container_of(node, struct cio__link, node);
        if (link->kind == CIO__LINK_CALLBACK)
            cio__callback_free(cio__container_of(link, struct cio__callback, link));
    }
}

static void report_unretrieved(cio_future *f) {
    if (f->state != CIO__DONE || !f->error || f->retrieved) return;
    cio_diag diag = {.kind = CIO_DIAG_UNRETRIEVED, .error = f->error, .future = f, .fd = -1};
    char message[96];
    snprintf(message, sizeof message, "future failed: %s (error never retrieved)",
             cio_strerror(f->error));
    diag.message = message;
    cio__diag_report(cio__loop_alive(f->loop) ? f->loop : NULL, &diag); /* it may be freed */
}

void cio_future_unref(cio_future *f) {
    if (!valid(f, __func__)) return;
    if (cio__task_of_future(f)) {
        cio_task_unref((cio_task *)(void *)f);
        return;
    }
    /* Debug mode: refused, as a count changed by two threads at once would be
     * wrong anyway (the leak is the lesser harm). */
    if (cio__debug_wrong_thread_late(f->loop, "cio_future_unref")) return;
    if (--f->refs > 0) return;
    report_unretrieved(f);
    cio__future_free_callbacks(f);
    cio__origin_free(f);
    cio__handle_retire(f);
}

void cio__future_complete(cio_future *f, int error, void *result) {
    f->state = error == -ECANCELED ? CIO__CANCELLED : CIO__DONE;
    f->error = error;
    /* A task that ended cancelled with a value it returned (task.c,
     * cancelled_unseen) still hands the value over: in C it may own memory. */
    f->result = error && error != -ECANCELED ? NULL : result;
    struct cio__list *node;
    while ((node = cio__list_pop_front(&f->waiters)) != NULL) {
        struct cio__link *link = cio__container_of(node, struct cio__link, node);
        if (link->kind == CIO__LINK_TASK) {
            cio__wake(cio__container_of(link, cio_task, wait.link), 0);
        } else {
            struct cio__callback *record = cio__container_of(link, struct cio__callback, link);
            record->future = cio_future_ref(f); /* alive until the callback has run */
            cio__callback_queue(record);
        }
    }
}

static int check_settable(cio_future *f, const char *caller) {
    if (!valid(f, caller)) return -EINVAL;
    if (cio__debug_wrong_thread_late(f->loop, caller)) return -EPERM; /* debug mode only */
    if (f->state != CIO__PENDING) return -EALREADY;
    return 0;
}

int cio_future_set_result(cio_future *f, void *result) {
    int rc = check_settable(f, __func__);
    if (rc == 0 && cio__task_of_future(f)) rc = -EPERM; /* a task sets its own outcome */
    if (rc == 0) cio__future_complete(f, 0, result);
    return rc;
}

int cio_future_set_error(cio_future *f, int err) {
    if (err >= 0 || err < -CIO_ERROR_MAX) return -EINVAL;
    int rc = check_settable(f, __func__);
    if (rc == 0 && cio__task_of_future(f)) rc = -EPERM;
    if (rc == 0) cio__future_complete(f, err, NULL);
    return rc;
}

int cio_future_cancel(cio_future *f) {
    if (!valid(f, __func__)) return -EINVAL;
    if (cio__task_of_future(f)) return cio_task_cancel((cio_task *)(void *)f);
    int rc = check_settable(f, __func__);
    if (rc == 0) cio__future_complete(f, -ECANCELED, NULL);
    return rc;
}

bool cio_future_done(const cio_future *f) {
    return valid(f, __func__) && f->state != CIO__PENDING;
}
bool cio_future_cancelled(const cio_future *f) {
    return valid(f, __func__) && f->state == CIO__CANCELLED;
}
cio_loop *cio_future_loop(const cio_future *f) {
    return valid(f, __func__) ? f->loop : NULL;
}

int cio__future_outcome(cio_future *f, void **result) {
    f->retrieved = true;
    if (result) *result = f->result;
    return f->error;
}

int cio_future_result(cio_future *f, void **result) {
    if (result) *result = NULL;
    if (!valid(f, __func__)) return -EINVAL;
    if (f->state == CIO__PENDING) return -EAGAIN;
    return cio__future_outcome(f, result);
}

static void abort_future_wait(cio_task *task) {
    cio__list_remove(&task->wait.link.node);
}

/* asyncio's Task.cancel() cancels the future the task awaits (its
 * _fut_waiter) inside cancel(), so the future's other awaiters and its
 * done-callbacks see it cancelled at once, not when the task resumes. An
 * interrupt (a cancellation, or a timeout, which asyncio also delivers as a
 * cancellation) runs this hook with task->interrupt set; a loop that closes
 * under the task (cio__wait_forget) only unhooks it. */
static void abort_await(cio_task *task) {
    cio_future *f = task->wait.owner;
    cio__list_remove(&task->wait.link.node);
    if (task->interrupt != CIO__INTERRUPT_NONE) cio_future_cancel(f);
}

static int wait_with(cio_future *f, void (*abort)(cio_task *task)) {
    cio_task *task = f->loop->head.current;
    if (f->state != CIO__PENDING) /* done already: the cooperative budget's case */
        return cio__budget_spend(f->loop) ? cio__budget_yield(task) : 0;
    task->wait.link.kind = CIO__LINK_TASK;
    cio__list_push_back(&f->waiters, &task->wait.link.node);
    cio__wait_tag(task, f->magic == CIO__TASK_MAGIC ? CIO_WAIT_TASK : CIO_WAIT_FUTURE, f);
    return cio__wait(task, abort, f);
}

int cio__future_wait(cio_future *f) {
    return wait_with(f, abort_future_wait);
}

int cio__future_await(cio_future *f) {
    return wait_with(f, abort_await);
}

int cio_future_await(cio_future *f, void **result) {
    if (result) *result = NULL;
    cio_task *task = cio__task_current_or_complain("cio_future_await");
    if (!task) return -EPERM;
    if (!valid(f, __func__) || f->loop != task->future.loop) return -EINVAL;
    if (cio__task_of_future(f)) {
        cio_task_ref((cio_task *)(void *)f); /* cio_await consumes; this borrows */
        return cio_await((cio_task *)(void *)f, result);
    }
    int rc = cio__future_await(f); /* an interrupt has cancelled f too */
    int status = cio__future_outcome(f, result);
    return rc < 0 ? rc : status;
}

int cio_future_add_done_callback(cio_future *f, cio_done_fn fn, void *arg) {
    if (!valid(f, __func__) || !fn) return -EINVAL;
    int rc = cio__loop_check(f->loop, "cio_future_add_done_callback");
    if (rc < 0) return rc;
    struct cio__callback *record = cio__callback_alloc(f->loop);
    if (!record) return -ENOMEM;
    record->done_fn = fn;
    record->arg = arg;
    record->link.kind = CIO__LINK_CALLBACK;
    if (f->state != CIO__PENDING) {
        record->future = cio_future_ref(f);
        cio__callback_queue(record);
    } else {
        record->state = CIO__CB_LISTED;
        cio__list_push_back(&f->waiters, &record->link.node);
    }
    return 0;
}

int cio_future_remove_done_callback(cio_future *f, cio_done_fn fn, void *arg) {
    if (!valid(f, __func__) || !fn) return -EINVAL;
    int removed = 0;
    struct cio__list *node = f->waiters.next;
    while (node != &f->waiters) {
        struct cio__list *next = node->next;
        struct cio__link *link = cio__container_of(node, struct cio__link, node);
        if (link->kind == CIO__LINK_CALLBACK) {
            struct cio__callback *record = cio__container_of(link, struct cio__callback, link);
            if (record->done_fn == fn && record->arg == arg) {
                cio__list_remove(node);
                cio__callback_free(record);
                removed++;
            }
        }
        node = next;
    }
    return removed;
}
