/* src/core/future.c - futures: an outcome that arrives later.
 *
 * A future's waiters list holds, in the order they were added, the links of
 * tasks awaiting it and of its done-callbacks: completing it wakes and queues
 * them in that order, as asyncio's callbacks run in registration order. */
#include "core/task.h"

#include <stdlib.h>

static bool valid(const cio_future *f) {
    return f && (f->magic == CIO__FUTURE_MAGIC || f->magic == CIO__TASK_MAGIC);
}

void cio__future_init(cio_future *f, cio_loop *loop, uint32_t magic) {
    f->magic = magic;
    f->state = CIO__PENDING;
    f->refs = 1;
    f->loop = loop;
    cio__list_init(&f->waiters);
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
    if (valid(f)) f->refs++;
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
    if (f->state == CIO__DONE && f->error && !f->retrieved)
        fprintf(stderr, "cio: future failed: %s (error never retrieved)\n", cio_strerror(f->error));
}

void cio_future_unref(cio_future *f) {
    if (!valid(f)) return;
    if (cio__task_of_future(f)) {
        cio_task_unref((cio_task *)(void *)f);
        return;
    }
    if (--f->refs > 0) return;
    report_unretrieved(f);
    cio__future_free_callbacks(f);
    f->magic = CIO__DEAD_MAGIC;
    free(f);
}

void cio__future_complete(cio_future *f, int error, void *result) {
    f->state = error == -ECANCELED ? CIO__CANCELLED : CIO__DONE;
    f->error = error;
    f->result = error ? NULL : result;
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

static int check_settable(cio_future *f) {
    if (!valid(f)) return -EINVAL;
    if (f->state != CIO__PENDING) return -EALREADY;
    return 0;
}

int cio_future_set_result(cio_future *f, void *result) {
    int rc = check_settable(f);
    if (rc == 0 && cio__task_of_future(f)) rc = -EPERM; /* a task sets its own outcome */
    if (rc == 0) cio__future_complete(f, 0, result);
    return rc;
}

int cio_future_set_error(cio_future *f, int err) {
    if (err >= 0 || err < -CIO_ERROR_MAX) return -EINVAL;
    int rc = check_settable(f);
    if (rc == 0 && cio__task_of_future(f)) rc = -EPERM;
    if (rc == 0) cio__future_complete(f, err, NULL);
    return rc;
}

int cio_future_cancel(cio_future *f) {
    if (valid(f) && cio__task_of_future(f)) return cio_task_cancel((cio_task *)(void *)f);
    int rc = check_settable(f);
    if (rc == 0) cio__future_complete(f, -ECANCELED, NULL);
    return rc;
}

bool cio_future_done(const cio_future *f) {
    return valid(f) && f->state != CIO__PENDING;
}
bool cio_future_cancelled(const cio_future *f) {
    return valid(f) && f->state == CIO__CANCELLED;
}
cio_loop *cio_future_loop(const cio_future *f) {
    return valid(f) ? f->loop : NULL;
}

int cio__future_outcome(cio_future *f, void **result) {
    f->retrieved = true;
    if (result) *result = f->state == CIO__DONE && !f->error ? f->result : NULL;
    return f->error;
}

int cio_future_result(cio_future *f, void **result) {
    if (result) *result = NULL;
    if (!valid(f)) return -EINVAL;
    if (f->state == CIO__PENDING) return -EAGAIN;
    return cio__future_outcome(f, result);
}

static void abort_future_wait(cio_task *task) {
    cio__list_remove(&task->wait.link.node);
}

int cio__future_wait(cio_future *f) {
    cio_task *task = f->loop->current;
    if (f->state != CIO__PENDING) /* done already: the cooperative budget's case */
        return cio__budget_spend(f->loop) ? cio__budget_yield(task) : 0;
    task->wait.link.kind = CIO__LINK_TASK;
    cio__list_push_back(&f->waiters, &task->wait.link.node);
    cio__wait_tag(task, f->magic == CIO__TASK_MAGIC ? CIO_WAIT_TASK : CIO_WAIT_FUTURE, f);
    return cio__wait(task, abort_future_wait, f);
}

int cio_future_await(cio_future *f, void **result) {
    if (result) *result = NULL;
    cio_task *task = cio__task_current_or_complain("cio_future_await");
    if (!task) return -EPERM;
    if (!valid(f) || f->loop != task->future.loop) return -EINVAL;
    if (cio__task_of_future(f)) {
        cio_task_ref((cio_task *)(void *)f); /* cio_await consumes; this borrows */
        return cio_await((cio_task *)(void *)f, result);
    }
    int rc = cio__future_wait(f);
    if (rc < 0) { /* interrupted: asyncio cancels the awaited future too */
        cio_future_cancel(f);
        cio__future_outcome(f, result);
        return rc;
    }
    return cio__future_outcome(f, result);
}

int cio_future_add_done_callback(cio_future *f, cio_done_fn fn, void *arg) {
    if (!valid(f) || !fn) return -EINVAL;
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
    if (!valid(f) || !fn) return -EINVAL;
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
