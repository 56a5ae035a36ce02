/* src/core/core.h - the core's shared structures and cross-file functions.
 *
 * Invariants worth knowing before reading any core file:
 *  - Everything here is touched only by the loop's own thread, except the
 *    cross-thread queue in wakeup.c, the thread pool's side of jobs
 *    (pool.c, cio__job_finished) and the handle quarantine (handle.c),
 *    each under its own lock.
 *  - The ready queue is a singly-linked FIFO of cio__ready entries embedded in
 *    tasks and callback records: queueing allocates nothing. An entry is on the
 *    queue at most once (see cio__wake).
 *  - A task waits on one thing at a time, recorded in the task itself
 *    (wait_abort, wait_link, wait_fd, sleep_timer): the common waits allocate
 *    nothing and the runtime never reads a suspended task's stack for them. */
#ifndef CIO_CORE_CORE_H
#define CIO_CORE_CORE_H

#include <cio.h>
#include <cio/introspect.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "arch/switch.h"
#include "base/heap.h"
#include "base/list.h"
#include "core/stack.h"
#include "poll/poll.h"

#define CIO__NS_PER_SEC 1000000000LL

/* ---- the ready queue ---------------------------------------------------------- */

struct cio__ready {
    struct cio__ready *next;
    void (*run)(struct cio__ready *entry);
};

struct cio__ready_queue {
    struct cio__ready *head, *tail;
};

static inline void cio__ready_push(struct cio__ready_queue *queue, struct cio__ready *entry) {
    entry->next = NULL;
    if (queue->tail)
        queue->tail->next = entry;
    else
        queue->head = entry;
    queue->tail = entry;
}

/* Queue entry to run in the loop's next turn (entry->run set by the caller). */
void cio__loop_queue(cio_loop *loop, struct cio__ready *entry);

/* ---- waiter links: what sits on a future's (or a primitive's) wait list ------- */

enum cio__link_kind { CIO__LINK_TASK, CIO__LINK_CALLBACK };

struct cio__link {
    struct cio__list node;
    uint8_t kind;
};

/* ---- callback records (call_soon, call_later, done-callbacks) ------------------ */

enum cio__callback_state {
    CIO__CB_FREE,
    CIO__CB_QUEUED,    /* on the ready queue */
    CIO__CB_TIMED,     /* in the timer heap */
    CIO__CB_LISTED,    /* on a future's done-callback list */
    CIO__CB_CANCELLED, /* still on the ready queue, will be skipped and freed */
};

/* 88 bytes: a million pending timers touch ~40% fewer pages than with the
 * plain 128-byte layout. What shares storage is never needed at once. */
struct cio__callback {
    struct cio__ready ready; /* ready.next also links free records (callback.c) */
    union {
        struct cio__timer timer; /* CIO__CB_TIMED: in the timer heap */
        struct cio__link link;   /* CIO__CB_LISTED: on a future's list (done-callbacks) */
    };
    cio_loop *loop;
    union {
        cio_callback fn;     /* plain callbacks: future is NULL */
        cio_done_fn done_fn; /* done-callbacks: done_fn(future, arg) */
    };
    void *arg;
    cio_future *future;  /* done-callbacks: a held reference while queued; else NULL */
    uint64_t generation; /* bumped when the record is freed: stale handles see it */
    uint8_t state;
    uint16_t slot; /* index in its slab chunk (callback.c) */
};

/* A record with future NULL and state CIO__CB_FREE; the caller sets fn or
 * done_fn, arg, and what it is (queue, timer, list). NULL: no memory. */
struct cio__callback *cio__callback_alloc(cio_loop *loop);
void cio__callback_free(struct cio__callback *record);
void cio__callback_queue(struct cio__callback *record);
void cio__callback_drop_futures(cio_loop *loop);
void cio__callback_slab_free(cio_loop *loop);
/* The function a ready entry will call, if it is a callback record's; else
 * NULL (debug mode names slow callbacks with it). */
cio_callback cio__callback_fn_of_entry(struct cio__ready *entry);

/* ---- futures ------------------------------------------------------------------- */

#define CIO__FUTURE_MAGIC 0x63696f46u /* "cioF" */
#define CIO__TASK_MAGIC   0x63696f54u /* "cioT" */
#define CIO__DEAD_MAGIC   0xdeadc10du

enum cio__future_state { CIO__PENDING, CIO__DONE, CIO__CANCELLED };

struct cio_future {
    uint32_t magic;
    uint8_t state;
    bool retrieved; /* someone looked at the outcome: no "never retrieved" report */
    int refs;
    int error; /* 0, or the negative errno it failed with */
    void *result;
    cio_loop *loop;
    struct cio__list waiters;   /* cio__link: awaiting tasks and done-callbacks, in order */
    struct cio__origin *origin; /* debug mode: where it was made (diag.c); else NULL */
};

void cio__future_init(cio_future *f, cio_loop *loop, uint32_t magic);
/* Complete f: state DONE or CANCELLED; wakes waiters, queues callbacks. */
void cio__future_complete(cio_future *f, int error, void *result);
/* Park the current task until f is done. 0, or an interrupt (-ECANCELED, -ETIMEDOUT). */
int cio__future_wait(cio_future *f);
/* The outcome of a done future; marks it retrieved. */
int cio__future_outcome(cio_future *f, void **result);
/* Free the done-callbacks still listed on f, which will never run (f is
 * being freed); awaiting tasks' links are simply dropped. */
void cio__future_free_callbacks(cio_future *f);

/* ---- stale handles (handle.c) ------------------------------------------------------
 *
 * Every heap handle (future, stream, server, datagram endpoint, queue, task
 * group, process, executor) starts with a uint32_t magic. Its free ends with
 * cio__handle_retire() instead of free(): the struct is poisoned and kept in
 * a process-wide quarantine of the last CIO__QUARANTINE freed handles, so a
 * stale handle passed to any call gets a one-line report and -EINVAL, not a
 * read of freed memory. (Tasks have their own: task.c's spares.) */
#define CIO__QUARANTINE 256

/* Poison handle (its magic becomes CIO__DEAD_MAGIC) and quarantine it: it
 * goes back to malloc CIO__QUARANTINE retirements later. Any thread. */
void cio__handle_retire(void *handle);
int cio__handle_check_slow(const void *handle, uint32_t magic, const char *kind,
                           const char *caller);
/* 0 if handle is a live `kind` (its magic is magic); else -EINVAL, with a
 * report naming caller when it is freed or not that kind (NULL: none). */
static inline int cio__handle_check(const void *handle, uint32_t magic, const char *kind,
                                    const char *caller) {
    if (__builtin_expect(handle && *(const uint32_t *)handle == magic, 1)) return 0;
    return cio__handle_check_slow(handle, magic, kind, caller);
}

/* ---- tasks: what the other layers may know -------------------------------------- */

/* struct cio_task is private to src/core (core/task.h). A task is a future:
 * its first member, so the other layers may use it as one. */
static inline cio_future *cio__task_future(cio_task *task) {
    return (cio_future *)(void *)task;
}
static inline cio_loop *cio__task_loop(const cio_task *task) {
    return ((const cio_future *)(const void *)task)->loop;
}
/* The error the task ended with (0, or a negative errno); 0 while running. */
static inline int cio__task_error(const cio_task *task) {
    return ((const cio_future *)(const void *)task)->error;
}
/* The task has finished (its future is done or cancelled). */
static inline bool cio__task_finished(const cio_task *task) {
    return ((const cio_future *)(const void *)task)->state != CIO__PENDING;
}
static inline cio_task *cio__task_of_future(cio_future *f) {
    return f->magic == CIO__TASK_MAGIC ? (cio_task *)(void *)f : NULL;
}

/* The task's function returned a value (not cio_fail): true also for a
 * task that ended cancelled because it returned before any await saw a
 * cancellation (docs/asyncio-differences.md); its value is its result. */
bool cio__task_returned(const cio_task *task);

/* The running task, or NULL (with a one-line diagnostic naming `caller`). */
cio_task *cio__task_complain_outside(const char *caller);

/* ---- waiting: the core's API for suspending calls (wait.c, waitq.c) ---------------
 *
 * A suspending call checks its fast path, records what it waits for, and
 * parks; whoever makes the awaited thing happen unhooks the task and wakes
 * it. Cancellation and timeouts reach every wait the same way: checked on
 * entry (a due interrupt returns at once without parking) and, while the
 * task is parked, through its abort hook, which must undo the recording.
 * docs/internals.md ("Adding a suspending call") shows a whole one. */

/* Park the running task until cio__wake(task, status) or an interrupt;
 * returns that status, or -ECANCELED / -ETIMEDOUT. abort (may be NULL when
 * nothing needs unhooking) runs when an interrupt ends the wait, or at once
 * if one is already due, in which case the task does not park at all.
 * owner is the call's own record of the wait (a job, a barrier, a watch),
 * for abort to find with cio__wait_owner(). The caller has checked it runs
 * inside a task. */
int cio__wait(cio_task *task, void (*abort)(cio_task *task), void *owner);
/* cio__wait that no cancellation or timeout ends: only a wake does. For
 * waits whose outcome must be had (a job writing into the task's memory). */
int cio__wait_uninterruptible(cio_task *task, void (*abort)(cio_task *task), void *owner);
/* Shield task's waits from interrupts until the matching _end (nests): for
 * an uninterruptible call of a suspending function (lock acquire, await). */
void cio__uninterruptible_begin(cio_task *task);
void cio__uninterruptible_end(cio_task *task);
/* Deliver a due interrupt without parking: -ECANCELED / -ETIMEDOUT (as a
 * wait would have returned it), or 0 when none is due. For a call that
 * must check before it starts work it cannot take back. */
int cio__wait_deliver_pending(cio_task *task);
/* A wait in which someone else writes into the task's stack while it is
 * suspended (a thread-pool job, io_uring, another loop's answer) brackets it
 * with these (nest): a compact task's frames then stay on the shared stack,
 * and other compact tasks wait for the unpin (compact.c). */
void cio__task_pin_stack(cio_task *task);
void cio__task_unpin_stack(cio_task *task);
/* What cio__wait's owner was, for the abort hook (and a waker). */
void *cio__wait_owner(const cio_task *task);

/* Make a parked task ready to resume with status. Idempotent while queued (a
 * later call only replaces the status). Ends the wait's interruptibility
 * (its abort hook is dropped): the caller has already unhooked the task from
 * what it waited on. */
void cio__wake(cio_task *task, int status);
/* End task's wait now with status, whatever it waits on and regardless of
 * shields: abort hook, then wake. No-op unless task is in an interruptible
 * wait. For closing an object under a waiter (not a cancellation: a
 * shielded task waiting on a closed socket would otherwise wait forever). */
void cio__wait_end(cio_task *task, int status);
/* The loop is closing and task will never resume: run its abort hook, if
 * any, without waking it. */
void cio__wait_forget(cio_task *task);

/* A FIFO of tasks parked on something (a lock, a stream's drain, a process,
 * a signal). Embeds in its object; needs no teardown while empty. */
struct cio__waitq {
    struct cio__list links; /* struct cio__link, kind CIO__LINK_TASK */
};
static inline void cio__waitq_init(struct cio__waitq *q) {
    cio__list_init(&q->links);
}
static inline bool cio__waitq_empty(const struct cio__waitq *q) {
    return cio__list_empty(&q->links);
}
/* Park task at the back of q (cio__wait's contract). abort NULL: an
 * interrupt only unhooks the task; an abort of one's own (to fix a count)
 * must call cio__waitq_unhook itself. */
int cio__waitq_park(struct cio__waitq *q, cio_task *task, void (*abort)(cio_task *task),
                    void *owner);
/* Take a parked task off the queue it is on (no-op if on none). */
void cio__waitq_unhook(cio_task *task);
/* The longest waiter, left on q; NULL if none. */
cio_task *cio__waitq_first(struct cio__waitq *q);
/* The waiter after task on q; NULL at the end. */
cio_task *cio__waitq_next(struct cio__waitq *q, cio_task *task);
/* Unhook and return the longest waiter, for a waker that hands it something
 * first; NULL if none. */
cio_task *cio__waitq_pop_first(struct cio__waitq *q); /* q not empty */
static inline cio_task *cio__waitq_pop(struct cio__waitq *q) {
    return cio__waitq_empty(q) ? NULL : cio__waitq_pop_first(q); /* no call when nobody waits */
}
/* Unhook the longest waiter and wake it with status: true if there was one. */
bool cio__waitq_wake_first(struct cio__waitq *q, int status);
/* Wake every waiter with status, in the order they came; returns how many. */
int cio__waitq_wake_all(struct cio__waitq *q, int status);
/* A value a waker hands the waiter it pops (a queue item), or the waiter
 * offers (a putter's item); NULL until set. */
void cio__wait_set_item(cio_task *task, void *item);
void *cio__wait_item(const cio_task *task);
/* A mask the waiter states and a waker tests (cio_wait_signals' signals). */
void cio__wait_set_mask(cio_task *task, uint64_t mask);
uint64_t cio__wait_mask(const cio_task *task);

/* ---- what a task waits on, for introspection (introspect.c) ----------------------
 *
 * A suspending call says what it is about to wait on just before it parks:
 * a few stores, no allocation. cio__wait clears the kind once the wait
 * returns, so a site that says nothing shows as "other". The values are the
 * public cio_wait_kind's (cio/introspect.h).
 *
 * An operation made of several waits (an HTTP request, a redis command, a
 * channel send) puts a label on the task for its whole length, and the
 * label is what introspection shows, with the inner wait's fd if it has
 * one: the label says why, the tag says on what. */
struct cio__wait_label {
    const void *object;                  /* the request, client, channel ... */
    const char *detail;                  /* borrowed text for the dump (a URL), or NULL */
    const struct cio__wait_label *outer; /* the label it nests in, or NULL */
    uint8_t kind;                        /* enum cio_wait_kind */
};
struct cio__wait_tag {
    const void *object; /* the lock, queue, future, watch, job, process, stream ... */
    const char *detail; /* borrowed text for the dump ("tls"), or NULL */
    /* The operation's label, in the frame of the call that made it (valid
     * while it runs), or NULL: one pointer keeps the task small. */
    const struct cio__wait_label *label;
    uint8_t kind; /* enum cio_wait_kind */
};
/* Where the tag sits in struct cio_task (task.h asserts it): right after
 * the future, so layers that see no task fields can still store it. */
struct cio__task_head {
    cio_future future;
    struct cio__wait_tag tag;
};
static inline struct cio__wait_tag *cio__wait_tag_of(cio_task *task) {
    return (struct cio__wait_tag *)(void *)((char *)task + offsetof(struct cio__task_head, tag));
}
static inline void cio__wait_tag(cio_task *task, uint8_t kind, const void *object) {
    struct cio__wait_tag *tag = cio__wait_tag_of(task);
    tag->kind = kind;
    tag->object = object;
    tag->detail = NULL;
}
static inline void cio__wait_tag_detail(cio_task *task, uint8_t kind, const void *object,
                                        const char *detail) {
    cio__wait_tag(task, kind, object);
    cio__wait_tag_of(task)->detail = detail;
}
/* Label task's waits with kind, object and detail (valid until the end)
 * until cio__wait_label_end(task, label), which every path out of the
 * operation must call; label is the caller's (on its stack). Labels nest.
 * task may be NULL (not in a task): no-op. */
static inline void cio__wait_label_begin(cio_task *task, struct cio__wait_label *label,
                                         uint8_t kind, const void *object, const char *detail) {
    if (!task) return;
    struct cio__wait_tag *tag = cio__wait_tag_of(task);
    *label = (struct cio__wait_label){
        .object = object, .detail = detail, .outer = tag->label, .kind = kind};
    tag->label = label;
}
static inline void cio__wait_label_end(cio_task *task, const struct cio__wait_label *label) {
    if (task) cio__wait_tag_of(task)->label = label->outer;
}

/* ---- the cooperative budget ---------------------------------------------------- */

/* Operations a task may complete without suspending before it must yield
 * (Tokio's cooperative budget, also 128): a task whose reads always find
 * data would otherwise never let timers, signals or other tasks run. The
 * loop holds the running task's budget; cio__switch_enter refills it. */
#define CIO__BUDGET 128

/* Count one operation that completes at once: true when the running task has
 * spent its turn's budget and should cio__budget_yield() before going on. */
static inline bool cio__budget_spend(cio_loop *loop); /* (defined with the loop's head) */
/* Yield because the budget is spent: queue the task behind everything ready
 * and switch out. Unlike cio_yield, it switches out even when an interrupt
 * is due (a task spinning on -ECANCELED must still let the loop turn).
 * Returns 0, or the interrupt (-ECANCELED, -ETIMEDOUT) now due. */
int cio__budget_yield(cio_task *task);

bool cio__task_valid(const cio_task *task);
/* cio__task_valid, and a one-line report naming caller when task is a
 * stale pointer (a task whose last reference is gone, still in quarantine). */
bool cio__task_check(const cio_task *task, const char *caller);

/* ---- fd waits (io.c) ---------------------------------------------------------- */

struct cio__fd_waiters {
    cio_task *reader, *writer;
    /* Readiness the poller reported that no waiter took (READABLE/WRITABLE
     * reported while that slot was empty). A recheck=false wait for a missed
     * event returns at once, so a caller that saw a short read or EAGAIN
     * before the edge was consumed never sleeps past it. At worst it costs
     * one retried syscall. */
    unsigned missed;
    /* The poller reported a hang-up (FIN, reset, error): from then on every
     * recheck=false READABLE wait returns at once. One bit in `missed` was
     * not enough: the peer's FIN can arrive with the last data, the wait that
     * gets that data uses the bit up, and an edge-triggered poller reports
     * the FIN only that once - the next read would park for ever. A
     * recheck=true wait clears it (the level check reports a real hang-up
     * again), so a stale bit cannot make a public wait spin. Both are cleared
     * by cio__io_forget() and cio_close(). */
    bool hangup;
    struct cio__fd_watch *watch; /* set: reports go to it, not to tasks */
};

/* A callback told of every readiness report on an fd, instead of a waiting
 * task: for foreign event loops that own their sockets (libcurl's
 * multi-socket API, src/http/) and for transports' reads (src/net/). It runs
 * inside the poller's dispatch, so it may arm, watch and unwatch fds but must
 * not switch tasks. A task may still wait for the fd to be writable (a
 * transport's flusher): WRITABLE reports wake it after the callback. */
struct cio__fd_watch {
    void (*ready)(struct cio__fd_watch *watch, int fd, unsigned events);
    /* Every report goes to the watch, so a task may not wait on the fd
     * (-EBUSY): add_reader/add_writer. A transport's watch reads but lets its
     * flusher task wait for WRITABLE, so it is not exclusive. */
    bool exclusive;
};

/* Send fd's reports to watch and arm it for events (recheck: see poll.h).
 * Again on a watched fd: re-arms (after each report on the poll backend, whose
 * arms are oneshot). Returns 0, -ENOMEM or the poller's error. */
int cio__io_watch(cio_loop *loop, int fd, struct cio__fd_watch *watch, unsigned events,
                  bool recheck);
/* Whether a watch stays armed on loop's poller once cio__io_watch armed it
 * (until the fd is unwatched, forgotten or closed): then a watcher that
 * would re-arm with recheck=false after each report may skip that call (see
 * cio__poller_ops.persistent). */
bool cio__io_watch_persists(const cio_loop *loop);
/* Stop watching fd and drop it from the poller; call before closing fd. */
void cio__io_unwatch(cio_loop *loop, int fd);
/* Drop fd from the poller and forget what it reported (missed edges, a
 * hang-up): for an fd number that now names another file (adopted by a
 * stream), or is about to be closed. */
void cio__io_forget(cio_loop *loop, int fd);
/* io.c: count delta more (or fewer) things the loop can be woken by that are
 * not a parked task (a transport's open read watch), so a virtual-clock loop
 * is not idle while they are there. */
void cio__loop_io_waiters_add(cio_loop *loop, int delta);

/* Park until fd has events (CIO__READABLE or CIO__WRITABLE). recheck: see poll.h.
 * Returns 0, an interrupt, -EBUSY (someone else waits, or fd is watched:
 * cio__io_watch), -EBADF, or the poller's error. */
int cio__io_wait(cio_task *task, int fd, unsigned events, bool recheck);
/* As cio__io_wait, tagged for introspection as kind (a cio_wait_kind that
 * waits on an fd: a stream read, an accept ...) with object and detail
 * (cio__wait_tag_detail); cio__io_wait is this with CIO_WAIT_FD. */
int cio__io_wait_as(cio_task *task, int fd, unsigned events, bool recheck, uint8_t kind,
                    const void *object, const char *detail);
void cio__io_ready(cio_loop *loop, int fd, unsigned events);
void cio__io_free(cio_loop *loop);
/* fd_callback.c: drop fd's add_reader/add_writer callbacks (cio_close). */
void cio__fd_callbacks_forget(cio_loop *loop, int fd);

/* ---- the loop ------------------------------------------------------------------ */

#define CIO__LOOP_MAGIC 0x63696f4cu /* "cioL" */

struct cio__close_hook {
    struct cio__list node;
    void (*fn)(cio_loop *loop, void *arg);
    void *arg;
    bool allocated; /* cio__loop_on_close's own; else embedded in its object */
};

/* Per-loop state of a layer above the core (made on first use, freed by
 * its close hook): one slot each, so finding it is one load. */
enum cio__loop_slot {
    CIO__SLOT_OS,
    CIO__SLOT_PROCESS, /* src/process/ */
    CIO__SLOT_HTTP_CLIENT,
    CIO__SLOT_FD_CALLBACKS, /* fd_callback.c */
    CIO__SLOT_INTROSPECT,   /* introspect_server.c */
    CIO__SLOT_COUNT
};

/* struct cio_loop is private to src/core (core/loop.h). Its first member is
 * this head: the few fields the inline accessors below read on hot paths
 * (every suspending call, every sync primitive, every stream read). Other
 * layers use the accessors, never the fields; the rest of the loop they
 * reach through the functions further down. */
struct cio__loop_head {
    uint32_t magic;       /* CIO__LOOP_MAGIC while the loop is alive */
    bool running, closed; /* run by a thread now; closed (not yet freed) */
    bool debug;           /* debug mode (diag.c, debug.c): the one flag its hot paths test */
    int budget;           /* the running task's cooperative budget (CIO__BUDGET) */
    uint64_t serial;      /* unique among the process's loops, never reused */
    cio_task *current;    /* the running task, NULL between tasks */
};

extern CIO__TLS cio_loop *cio__running_loop;

static inline struct cio__loop_head *cio__loop_head(cio_loop *loop) {
    return (struct cio__loop_head *)(void *)loop;
}
static inline const struct cio__loop_head *cio__loop_head_const(const cio_loop *loop) {
    return (const struct cio__loop_head *)(const void *)loop;
}
/* loop is a live loop (not freed, not garbage): it may be closed. */
static inline bool cio__loop_valid(const cio_loop *loop) {
    return loop && cio__loop_head_const(loop)->magic == CIO__LOOP_MAGIC;
}
static inline bool cio__loop_closed(const cio_loop *loop) {
    return cio__loop_head_const(loop)->closed;
}
/* Unique among the process's loops and never reused, unlike the loop's
 * address: what loop-bound objects (sync primitives) remember. */
static inline uint64_t cio__loop_serial(const cio_loop *loop) {
    return cio__loop_head_const(loop)->serial;
}
/* The task the loop is running, or NULL (callback code, or not running). */
static inline cio_task *cio__loop_current(const cio_loop *loop) {
    return cio__loop_head_const(loop)->current;
}

static inline bool cio__budget_spend(cio_loop *loop) {
    struct cio__loop_head *head = cio__loop_head(loop);
    return --head->budget <= 0 && head->current;
}

/* The running task of this thread's loop, or NULL (quietly). */
static inline cio_task *cio__task_current(void) {
    cio_loop *loop = cio__running_loop;
    return loop ? cio__loop_current(loop) : NULL;
}

static inline cio_task *cio__task_current_or_complain(const char *caller) {
    cio_loop *loop = cio__running_loop;
    cio_task *task = loop ? cio__loop_current(loop) : NULL;
    if (__builtin_expect(task != NULL, 1)) return task;
    return cio__task_complain_outside(caller);
}

/* Per-loop state of the layer that owns slot (NULL until it sets it). */
void *cio__loop_slot(const cio_loop *loop, enum cio__loop_slot slot);
void cio__loop_set_slot(cio_loop *loop, enum cio__loop_slot slot, void *state);

int64_t cio__now(const cio_loop *loop);
int64_t cio__seconds_to_ns(double seconds); /* saturates; NaN is the caller's to refuse */
bool cio__loop_usable(const cio_loop *loop, const char *caller); /* valid, open, right thread */
/* 0 or -EINVAL/-CIO_ECLOSED/-EPERM (wrong thread). Inline for the common
 * case: an open loop, idle or run by this very thread. */
int cio__loop_check_slow(const cio_loop *loop, const char *caller);
static inline int cio__loop_check(const cio_loop *loop, const char *caller) {
    const struct cio__loop_head *head = cio__loop_head_const(loop);
    if (__builtin_expect(loop && head->magic == CIO__LOOP_MAGIC && !head->closed &&
                             (!head->running || cio__running_loop == loop),
                         1))
        return 0;
    return cio__loop_check_slow(loop, caller);
}
int cio__timer_start(cio_loop *loop, struct cio__timer *timer, int64_t when);
void cio__timer_stop(cio_loop *loop, struct cio__timer *timer);
void cio__loop_run_once(cio_loop *loop);
/* Keep the virtual clock from jumping while other threads work for the loop. */
void cio__loop_hold(cio_loop *loop);
void cio__loop_unhold(cio_loop *loop);
/* Run fn(loop, arg) when the loop closes, newest first (thread pools, signals). */
int cio__loop_on_close(cio_loop *loop, void (*fn)(cio_loop *, void *), void *arg);
/* run.c: let the loop turn once more (without blocking), then cancel every
 * unfinished task and run the loop until all are done (the end of cio_run). */
void cio__loop_cancel_remaining(cio_loop *loop);
/* The same with a hook embedded in its object: no allocation, and the object
 * takes it back with cio__loop_hook_remove() when it goes first (safe on a
 * hook never added, already removed, or already run). These run first, while
 * the tasks parked on the object are still hooked to it (a stream counts the
 * references they hold); cio__loop_on_close's run after every wait is
 * unhooked (a pool frees the jobs those waits point to). */
void cio__loop_hook_add(cio_loop *loop, struct cio__close_hook *hook,
                        void (*fn)(cio_loop *, void *), void *arg);
void cio__loop_hook_remove(struct cio__close_hook *hook);

/* ---- thread-pool jobs (pool.c runs them, offload.c routes them back) ------------
 *
 * A job is owned by exactly one party at a time: the executor while queued
 * or running, then the loop (the deliver callback, or the loop's close), or
 * the pool thread if the loop closed before the job finished. */

struct cio__loop_link; /* offload.c: lets a pool thread learn the loop is gone */

struct cio__job {
    struct cio__job *next;     /* executor queue, under the executor's lock */
    struct cio__list inflight; /* the loop's jobs in flight (loop thread) */
    cio_task_fn fn;
    void *arg;
    void *result; /* fn's return value, once it ran */
    int status;   /* 0 ran, -CIO_ESHUTDOWN dropped before it ran */
    bool posted;  /* completion sent to the loop; under link->lock */
    bool holds;   /* holds the virtual clock until delivered */
    cio_loop *loop;
    struct cio__loop_link *link;
    cio_task *waiter; /* the parked task; NULL once it gave up (abandoned) */
    cio_discard_fn discard;
    /* Called on the loop thread instead of waking a waiter, when set (file.c's
     * batches, process.c's child watches); the job is then the callee's. */
    void (*on_done)(struct cio__job *job);
    void *context;
    /* The submitter's task-local context, current while fn runs (pool.c
     * releases it once fn returns or the job is dropped); NULL: none. */
    struct cio__vars *vars;
};

/* pool.c: 0 for a live executor, else -EINVAL (a report naming caller
 * for a stale one). */
int cio__executor_check(const cio_executor *executor, const char *caller);
/* pool.c: queue job on executor. 0, or -CIO_ESHUTDOWN. Any thread. */
int cio__executor_submit(cio_executor *executor, struct cio__job *job);
/* A pool thread (or another thread the job was attached for) finished job,
 * or dropped it (status set): route the outcome back to its loop. */
void cio__job_finished(struct cio__job *job);
/* Submit job (fn, arg, and waiter or on_done/context filled by the caller;
 * the rest is set here) on executor, NULL: the loop's default pool. 0, or
 * -CIO_ESHUTDOWN / -ENOMEM. On success the loop is held until the
 * completion is delivered. Loop thread. */
int cio__job_start(cio_loop *loop, cio_executor *executor, struct cio__job *job);
/* Tie job to loop without an executor (another thread will call
 * cio__job_finished): its completion comes back like a pool job's. hold:
 * the virtual clock waits for it. 0, or -ENOMEM. Loop thread. */
int cio__job_attach(cio_loop *loop, struct cio__job *job, bool hold);
/* The core's offload primitive: run fn(arg) on the loop's default pool and
 * park task, uninterruptibly, until it returns (fn may write into the
 * task's memory). 0 with *result, or -ENOMEM / -CIO_ESHUTDOWN. For an
 * interruptible offload, cio_run_in_executor(). */
int cio__offload_wait(cio_task *task, cio_task_fn fn, void *arg, void **result);
/* loop.c: the loop closes; after the close hooks (whose objects may still
 * have jobs attached): drop what came back, shut the default pool down. */
void cio__offload_close(cio_loop *loop);
/* ---- task-local context (context.c) -------------------------------------------------- */

/* An immutable map of context values, shared by count (NULL: empty). */
struct cio__vars;
struct cio__vars *cio__vars_ref(struct cio__vars *vars); /* NULL: no-op */
void cio__vars_unref(struct cio__vars *vars);            /* NULL: no-op */
/* The current context (the running task's, callback's or thread's), with a
 * reference for the caller: what a new task or a thread-pool job copies. */
struct cio__vars *cio__vars_current(void);
/* Make vars (a reference the thread now owns) the current context of a
 * thread that runs no loop; returns the previous one, for the caller to put
 * back with another call and then release what comes back. */
struct cio__vars *cio__vars_enter_thread(struct cio__vars *vars);
/* ctx's map, referenced; NULL for an empty or invalid ctx. */
struct cio__vars *cio__context_vars(cio_context *ctx);
bool cio__context_valid(const cio_context *ctx);

/* wakeup.c */
/* A cross-thread post whose record the poster provides, embedded in what
 * waits for it (a parked channel waiter, a cio_loop_submit): no malloc per
 * post, and no -ENOMEM but on the loop's own thread. */
struct cio__post {
    struct cio__post *next;
    cio_callback fn;
    void *arg;
    bool owned; /* malloc'd by cio_call_soon_threadsafe: freed once taken */
};
/* cio_call_soon_threadsafe(loop, post->fn, post->arg) with post as the
 * inbox record: post must stay valid, and not be posted again, until the
 * loop has taken it (at the latest when fn runs; a loop that closes first
 * drops it). Same returns (on the loop's own thread it is cio_call_soon). */
int cio__post(cio_loop *loop, struct cio__post *post);
int cio__wakeup_init(cio_loop *loop);
void cio__wakeup_drain(cio_loop *loop);
void cio__wakeup_close(cio_loop *loop);

/* diag.c: a one-line diagnostic for misuse, made on every call, handed to
 * the running loop's exception handler (or, with no loop running here, the
 * default handler: stderr or the log hook; $CIO_QUIET=1 silences them). */
void cio__complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A diagnostic of kind about task (may be NULL) for loop's exception
 * handler. loop NULL, or a loop this thread does not run: the default
 * handler, with loop NULL. */
void cio__diag(cio_loop *loop, cio_diag_kind kind, cio_task *task, int error, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void cio__diag_report(cio_loop *loop, cio_diag *diag);
/* Debug mode: record where f is being made (a backtrace); forget it. */
void cio__origin_capture(cio_future *f);
void cio__origin_free_slow(cio_future *f);
static inline void cio__origin_free(cio_future *f) {
    if (__builtin_expect(f->origin != NULL, 0)) cio__origin_free_slow(f); /* no free(NULL) call */
}
/* Where f was made, one symbolised frame a line (malloc'd), or NULL. */
char *cio__origin_text(const cio_future *f);
/* Debug mode: the loop closes; report the tasks never awaited nor released,
 * and free the debug state. */
void cio__debug_loop_close(cio_loop *loop);
int cio__debug_init(cio_loop *loop, bool enabled); /* 0 or -ENOMEM */
/* Debug mode: a loop-thread-only call made from another thread while the
 * loop runs. true (with a report naming caller) when that is the case; always
 * false, for one predicted branch, when loop is not in debug mode. */
bool cio__debug_thread_slow(const cio_loop *loop, const char *caller);
static inline bool cio__debug_wrong_thread(const cio_loop *loop, const char *caller) {
    return __builtin_expect(cio__loop_head_const(loop)->debug, 0) &&
           cio__debug_thread_slow(loop, caller);
}
/* diag.c: loops made and not yet freed. A future may outlive its loop: what
 * reads its loop from outside that loop's run asks cio__loop_alive first. */
void cio__loop_alive_add(cio_loop *loop);
void cio__loop_alive_remove(cio_loop *loop);
bool cio__loop_alive(const cio_loop *loop);
/* cio__debug_wrong_thread for an object whose loop may be freed: free for
 * a call from inside the running loop (the common case, no lock). */
static inline bool cio__debug_wrong_thread_late(const cio_loop *loop, const char *caller) {
    return loop != cio__running_loop && cio__loop_alive(loop) &&
           cio__debug_wrong_thread(loop, caller);
}

#endif
