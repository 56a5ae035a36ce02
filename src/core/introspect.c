/* src/core/introspect.c - what each task is doing: its state, what it waits
 * on (the tag its suspending call stored, core.h's cio__wait_tag), who
 * awaits it, its stack; a loop's task table and await graph.
 *
 * Nothing here is on a hot path: it reads what the wait record and the tag
 * already hold. "Who awaits T" is read off T's future: a task parked on it
 * directly (cio_await) is a task link on its waiter list; a task in gather
 * or wait is a done-callback whose argument is the watch that task parked
 * with (its tag's object), found by a scan of the loop's tasks. */
#include "core/backtrace.h"
#include "core/compact.h" /* cio__compact_at: a label in saved-away frames */

#include <math.h>

#define MAX_FRAMES 64

static const char *const kind_names[CIO_WAIT_KIND_COUNT] = {
    [CIO_WAIT_NONE] = "none",
    [CIO_WAIT_SLEEP] = "sleep",
    [CIO_WAIT_FD] = "fd",
    [CIO_WAIT_TASK] = "task",
    [CIO_WAIT_FUTURE] = "future",
    [CIO_WAIT_TASKS] = "tasks",
    [CIO_WAIT_LOCK] = "lock",
    [CIO_WAIT_CONDITION] = "condition",
    [CIO_WAIT_EVENT] = "event",
    [CIO_WAIT_SEMAPHORE] = "semaphore",
    [CIO_WAIT_BARRIER] = "barrier",
    [CIO_WAIT_QUEUE_GET] = "queue-get",
    [CIO_WAIT_QUEUE_PUT] = "queue-put",
    [CIO_WAIT_QUEUE_JOIN] = "queue-join",
    [CIO_WAIT_JOB] = "job",
    [CIO_WAIT_PROCESS] = "process",
    [CIO_WAIT_SIGNAL] = "signal",
    [CIO_WAIT_RING] = "ring",
    [CIO_WAIT_OTHER] = "other",
    [CIO_WAIT_STREAM_READ] = "stream-read",
    [CIO_WAIT_STREAM_WRITE] = "stream-write",
    [CIO_WAIT_ACCEPT] = "accept",
    [CIO_WAIT_CONNECT] = "connect",
    [CIO_WAIT_TLS_HANDSHAKE] = "tls-handshake",
    [CIO_WAIT_DATAGRAM] = "datagram",
    [CIO_WAIT_HTTP] = "http",
    [CIO_WAIT_REDIS] = "redis",
    [CIO_WAIT_PG] = "pg",
    [CIO_WAIT_CHANNEL] = "channel",
    [CIO_WAIT_SUBMIT] = "submit",
};

const char *cio_wait_kind_name(cio_wait_kind kind) {
    return (unsigned)kind < CIO_WAIT_KIND_COUNT ? kind_names[kind] : "?";
}

static const char *state_name(const cio_task *task) {
    switch (task->state) {
    case CIO__TASK_CREATED:
        return "created";
    case CIO__TASK_READY:
        return "ready";
    case CIO__TASK_RUNNING:
        return "running";
    case CIO__TASK_PARKED:
        return "waiting";
    default:
        return "done";
    }
}

static int check_task(const cio_task *task, const char *caller) {
    if (!cio__task_check(task, caller)) return -EINVAL;
    return cio__loop_check(task->future.loop, caller);
}

static cio_loop *loop_or_running(cio_loop *loop) {
    return loop ? loop : cio__running_loop;
}

/* ---- who awaits whom ------------------------------------------------------------ */

static cio_task *task_of_node(struct cio__list *node) {
    return cio__container_of(node, cio_task, all);
}

/* The parked task whose wait (gather, wait ...) is `watch`, or NULL. */
static cio_task *watcher_of(cio_loop *loop, const void *watch) {
    for (struct cio__list *n = loop->tasks.next; n != &loop->tasks; n = n->next) {
        cio_task *t = task_of_node(n);
        if (t->state == CIO__TASK_PARKED && t->tag.kind == CIO_WAIT_TASKS && t->tag.object == watch)
            return t;
    }
    return NULL;
}

/* The task a waiter-list link stands for: a parked task, or the task
 * watching through a done-callback; NULL for any other callback. */
static cio_task *awaiter_of_link(cio_loop *loop, struct cio__link *link) {
    if (link->kind == CIO__LINK_TASK) return cio__container_of(link, cio_task, wait.link);
    struct cio__callback *cb = cio__container_of(link, struct cio__callback, link);
    return watcher_of(loop, cb->arg);
}

static cio_task *first_awaiter(cio_task *task, size_t *count) {
    cio_task *first = NULL;
    size_t n = 0;
    struct cio__list *head = &task->future.waiters;
    for (struct cio__list *node = head->next; node != head; node = node->next, n++) {
        if (!first) first = awaiter_of_link(task->future.loop, (struct cio__link *)node);
    }
    if (count) *count = n;
    return first;
}

/* ---- one task ------------------------------------------------------------------- */

/* Kinds whose wait is an fd's readiness (io.c's cio__io_wait_as). */
static bool on_fd(uint8_t kind) {
    return kind == CIO_WAIT_FD || (kind >= CIO_WAIT_STREAM_READ && kind <= CIO_WAIT_TLS_HANDSHAKE);
}

static void fill_fd(const cio_task *task, cio_task_info *info) {
    if (!on_fd(task->tag.kind) || task->wait.fd < 0) return;
    info->fd = task->wait.fd;
    info->fd_events = task->wait.events & CIO__READABLE ? CIO_FD_READ : CIO_FD_WRITE;
}

/* The label (the operation) wins over the tag (its current wait), but the
 * fd of the tag's wait is kept. */
static void fill_wait(const cio_task *task, cio_task_info *info) {
    info->fd = -1;
    info->wakes_at = -1;
    info->timeout_at = task->scopes ? (double)task->deadline / 1e9 : -1;
    if (task->state != CIO__TASK_PARKED) return;
    fill_fd(task, info);
    /* The label lies in the frames of the call that made it: for a compact
     * task whose frames are saved away, in their copy (compact.c). */
    const struct cio__wait_label *label = cio__compact_at(task, (void *)task->tag.label);
    if (label) {
        info->wait = (cio_wait_kind)label->kind;
        info->wait_object = label->object;
        info->wait_detail = cio__compact_at(task, (void *)label->detail);
        return;
    }
    info->wait = task->tag.kind ? (cio_wait_kind)task->tag.kind : CIO_WAIT_OTHER;
    info->wait_object = task->tag.object;
    info->wait_detail = task->tag.detail;
    if (info->wait == CIO_WAIT_SLEEP) {
        info->wakes_at = (double)task->sleep_timer.when / 1e9;
    } else if (info->wait == CIO_WAIT_TASK) {
        info->awaits = cio__task_of_future((cio_future *)(uintptr_t)task->tag.object);
    }
}

static void fill_info(cio_task *task, cio_task_info *info) {
    *info = (cio_task_info){.id = task->id, .name = cio_task_name(task), .state = state_name(task)};
    fill_wait(task, info);
    info->awaited_by = first_awaiter(task, &info->awaiter_count);
    if (task->stack.top && task->state != CIO__TASK_DONE) {
        info->stack_size = task->stack.size;
        info->stack_used = cio__stack_used(task);
        info->stack_max_used = cio__stack_high_water(task);
    }
}

int cio_task_get_info(cio_task *task, cio_task_info *info) {
    int rc = check_task(task, "cio_task_get_info");
    if (rc < 0) return rc;
    if (!info) return -EINVAL;
    fill_info(task, info);
    return 0;
}

int cio_task_get_stack(cio_task *task, void **frames, size_t cap, size_t *count) {
    if (count) *count = 0;
    int rc = check_task(task, "cio_task_get_stack");
    if (rc < 0) return rc;
    if (!count || (!frames && cap)) return -EINVAL;
    return cio__backtrace_task(task, frames, cap, count);
}

/* How the dump names a kind: "stream read fd 7", "http request <url>". */
static const char *const kind_phrases[CIO_WAIT_KIND_COUNT] = {
    [CIO_WAIT_STREAM_READ] = "stream read",     [CIO_WAIT_STREAM_WRITE] = "stream write",
    [CIO_WAIT_TLS_HANDSHAKE] = "tls handshake", [CIO_WAIT_HTTP] = "http request",
    [CIO_WAIT_SUBMIT] = "submit to loop",
};

static const char *phrase(cio_wait_kind kind) {
    const char *p = (unsigned)kind < CIO_WAIT_KIND_COUNT ? kind_phrases[kind] : NULL;
    return p ? p : cio_wait_kind_name(kind);
}

/* Waits on an fd that say what for: "stream read fd 7 (tls)", "accept fd 5",
 * "tls handshake fd 9 read" (the direction where it varies). */
static void describe_fd_kind(const cio_task_info *info, char *buf, size_t len) {
    if (info->fd < 0) { /* a drain, a server's serve_forever ...: waits on no fd itself */
        snprintf(buf, len, "%s (%s)", phrase(info->wait),
                 info->wait_detail ? info->wait_detail : "no fd");
        return;
    }
    bool fixed = info->wait != CIO_WAIT_TLS_HANDSHAKE; /* the kind says the direction */
    const char *dir = fixed ? "" : info->fd_events & CIO_FD_READ ? " read" : " write";
    snprintf(buf, len, "%s fd %d%s%s%s%s", phrase(info->wait), info->fd, dir,
             info->wait_detail ? " (" : "", info->wait_detail ? info->wait_detail : "",
             info->wait_detail ? ")" : "");
}

/* "http request http://h/x (fd 8 read)", "redis 0x55.. (fd 6 read)", "lock 0x55..". */
static void describe_other(const cio_task_info *info, char *buf, size_t len) {
    int n = snprintf(buf, len, "%s", phrase(info->wait));
    if (info->wait_detail)
        n += snprintf(buf + n, len - (size_t)n, " %s", info->wait_detail);
    else if (info->wait_object)
        n += snprintf(buf + n, len - (size_t)n, " %p", info->wait_object);
    if ((size_t)n >= len || info->fd < 0) return;
    snprintf(buf + n, len - (size_t)n, " (fd %d %s)", info->fd,
             info->fd_events & CIO_FD_READ ? "read" : "write");
}

/* "sleep until 2.000", "fd 7 read", "task worker #3", and describe_other. */
static void describe_wait(const cio_task_info *info, char *buf, size_t len) {
    if (info->wait == CIO_WAIT_NONE)
        snprintf(buf, len, "-");
    else if (info->wait == CIO_WAIT_SLEEP)
        snprintf(buf, len, "sleep until %.3f", info->wakes_at);
    else if (info->wait == CIO_WAIT_FD)
        snprintf(buf, len, "fd %d %s", info->fd, info->fd_events & CIO_FD_READ ? "read" : "write");
    else if (info->awaits)
        snprintf(buf, len, "task %s #%llu", cio_task_name(info->awaits),
                 (unsigned long long)info->awaits->id);
    else if (info->wait >= CIO_WAIT_STREAM_READ && info->wait <= CIO_WAIT_TLS_HANDSHAKE)
        describe_fd_kind(info, buf, len);
    else
        describe_other(info, buf, len);
}

static int print_frames(cio_task *task, FILE *out) {
    void *frames[MAX_FRAMES];
    size_t count = 0;
    int rc = cio__backtrace_task(task, frames, MAX_FRAMES, &count);
    if (rc == -ENOTSUP)
        return fprintf(out, "  (no backtrace with this context switch)\n") < 0 ? -EIO : 0;
    return cio__backtrace_print(frames, count, out);
}

int cio_task_print_stack(cio_task *task, FILE *out) {
    int rc = check_task(task, "cio_task_print_stack");
    if (rc < 0) return rc;
    if (!out) out = stderr;
    cio_task_info info;
    fill_info(task, &info);
    char wait[160];
    describe_wait(&info, wait, sizeof wait);
    if (fprintf(out, "Stack for task %s #%llu (%s, waits on: %s):\n", info.name,
                (unsigned long long)info.id, info.state, wait) < 0)
        return -EIO;
    return print_frames(task, out);
}

/* ---- the loop's tasks ------------------------------------------------------------ */

static int check_loop(cio_loop *loop, const char *caller) {
    if (!loop) {
        cio__complain("%s: no loop given and none is running in this thread", caller);
        return -EINVAL;
    }
    return cio__loop_check(loop, caller);
}

static int dump_row(cio_task *task, FILE *out) {
    cio_task_info info;
    fill_info(task, &info);
    char wait[160], by[64] = "-";
    describe_wait(&info, wait, sizeof wait);
    if (info.awaited_by)
        snprintf(by, sizeof by, "%s #%llu", cio_task_name(info.awaited_by),
                 (unsigned long long)info.awaited_by->id);
    else if (info.awaiter_count)
        snprintf(by, sizeof by, "(%zu callbacks)", info.awaiter_count);
    int rc = fprintf(out, "%6llu  %-8s %-20s %-32s %-20s %zu/%zu/%zu\n",
                     (unsigned long long)info.id, info.state, info.name, wait, by, info.stack_used,
                     info.stack_max_used, info.stack_size);
    return rc < 0 ? -EIO : 0;
}

int cio_loop_dump_tasks(cio_loop *loop, FILE *out, bool backtraces) {
    loop = loop_or_running(loop);
    int rc = check_loop(loop, "cio_loop_dump_tasks");
    if (rc < 0) return rc;
    if (!out) out = stderr;
    if (fprintf(out, "%zu unfinished tasks at loop time %.3f\n%6s  %-8s %-20s %-32s %-20s %s\n",
                loop->unfinished_tasks, cio_loop_time(loop), "id", "state", "name", "waits on",
                "awaited by", "stack used/max/size") < 0)
        return -EIO;
    for (struct cio__list *n = loop->tasks.next; n != &loop->tasks && rc == 0; n = n->next)
        if (task_of_node(n)->state != CIO__TASK_DONE) rc = dump_row(task_of_node(n), out);
    for (struct cio__list *n = loop->tasks.next; backtraces && n != &loop->tasks && rc == 0;
         n = n->next) {
        cio_task *task = task_of_node(n);
        if (task->state != CIO__TASK_DONE && task->state != CIO__TASK_CREATED)
            rc = cio_task_print_stack(task, out);
    }
    return rc;
}

/* ---- the await graph ------------------------------------------------------------ */

static int print_tree(cio_task *task, int depth, FILE *out);

/* The tasks task awaits: one for cio_await, those it watches for gather/wait. */
static int print_children(cio_task *task, int depth, FILE *out) {
    cio_loop *loop = task->future.loop;
    int rc = 0;
    for (struct cio__list *n = loop->tasks.next; n != &loop->tasks && rc == 0; n = n->next) {
        cio_task *child = task_of_node(n);
        if (child != task && child->state != CIO__TASK_DONE && first_awaiter(child, NULL) == task)
            rc = print_tree(child, depth + 1, out);
    }
    return rc;
}

static int print_tree(cio_task *task, int depth, FILE *out) {
    if (depth > 64) return fprintf(out, "%*s...\n", 2 * depth, "") < 0 ? -EIO : 0; /* a cycle */
    cio_task_info info;
    fill_info(task, &info);
    char wait[160];
    describe_wait(&info, wait, sizeof wait);
    if (fprintf(out, "%*s%c %s #%llu (%s: %s)\n", 2 * depth, "", depth ? '+' : '*', info.name,
                (unsigned long long)info.id, info.state, wait) < 0)
        return -EIO;
    return print_children(task, depth, out);
}

int cio_loop_print_call_graph(cio_loop *loop, FILE *out) {
    loop = loop_or_running(loop);
    int rc = check_loop(loop, "cio_loop_print_call_graph");
    if (rc < 0) return rc;
    if (!out) out = stderr;
    for (struct cio__list *n = loop->tasks.next; n != &loop->tasks && rc == 0; n = n->next) {
        cio_task *task = task_of_node(n);
        if (task->state != CIO__TASK_DONE && !first_awaiter(task, NULL))
            rc = print_tree(task, 0, out);
    }
    return rc;
}
