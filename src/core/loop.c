/* src/core/loop.c - the loop's turn, and its life (new, run, stop, close).
 *
 * One turn (asyncio's _run_once): compute how long poll may sleep (0 if
 * anything is ready, else until the nearest timer), poll, move expired timers
 * onto the ready queue, then run exactly the entries that were ready when
 * running began (the batch); what they schedule runs next turn.
 *
 * Tasks switch straight to the next task of the batch when they suspend
 * (the hand-off, cio__task_switch_out), and take the turn boundary
 * themselves when the next turn has nothing to do but run its batch: the
 * order is the scheduler's, only the jumps through the scheduler are saved.
 * One function, cio__turn_next (core/switch.h), decides what runs next for
 * both; the turn boundary it may take is cio__loop_next_batch, here. */
#include "core/switch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

CIO__TLS cio_loop *cio__running_loop;

/* ---- clock ---------------------------------------------------------------------- */

static int64_t monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * CIO__NS_PER_SEC + ts.tv_nsec;
}

int64_t cio__now(const cio_loop *loop) {
    return loop->clock == CIO_CLOCK_VIRTUAL ? loop->virtual_now : monotonic_ns();
}

int64_t cio__seconds_to_ns(double seconds) {
    if (seconds >= 9.0e9) return INT64_MAX / 2; /* ~146 years: "never" */
    if (seconds <= -9.0e9) return -(INT64_MAX / 2);
    /* llround(ns), without its ~30-instruction library call (a third of a
     * call_later). Exact: within +-9e18 a double's fractional part, ns - t,
     * is computed without rounding, and halves round away from zero. */
    double ns = seconds * 1e9;
    int64_t whole = (int64_t)ns;
    double fraction = ns - (double)whole;
    if (fraction >= 0.5) return whole + 1;
    if (fraction <= -0.5) return whole - 1;
    return whole;
}

double cio_loop_time(const cio_loop *loop) {
    return loop ? (double)cio__now(loop) / 1e9 : NAN;
}

/* ---- checks ------------------------------------------------------------------------ */

int cio__loop_check_slow(const cio_loop *loop, const char *caller) {
    if (!loop || loop->head.magic != CIO__LOOP_MAGIC) return -EINVAL;
    if (loop->head.closed) return -CIO_ECLOSED;
    if (loop->head.running && !pthread_equal(loop->thread, pthread_self())) {
        cio__complain("%s: called from a thread that does not run the loop", caller);
        return -EPERM;
    }
    return 0;
}

bool cio__loop_usable(const cio_loop *loop, const char *caller) {
    return cio__loop_check(loop, caller) == 0;
}

/* ---- timers ------------------------------------------------------------------------ */

int cio__timer_start(cio_loop *loop, struct cio__timer *timer, int64_t when) {
    if (cio__timer_armed(timer)) cio__heap_remove(&loop->timers, timer);
    timer->when = when;
    return cio__heap_push(&loop->timers, timer);
}

void cio__timer_stop(cio_loop *loop, struct cio__timer *timer) {
    if (cio__timer_armed(timer)) cio__heap_remove(&loop->timers, timer);
}

static void fire_expired_timers(cio_loop *loop) {
    if (!loop->timers.len) return; /* no clock read on timer-free busy turns */
    int64_t now = cio__now(loop);
    struct cio__timer *timer;
    while ((timer = cio__heap_top(&loop->timers)) && timer->when <= now) {
        cio__heap_remove(&loop->timers, timer);
        timer->fire(timer);
    }
}

/* Out of line: it reads the clock, and the hand-off's fast path (no timers)
 * then needs no stack frame. */
__attribute__((noinline)) static bool timer_due(cio_loop *loop) {
    return cio__heap_top(&loop->timers)->when <= cio__now(loop);
}

/* ---- the turn ---------------------------------------------------------------------- */

/* Milliseconds poll may sleep: 0 when work is ready, -1 with no timers. */
static int poll_timeout(cio_loop *loop) {
    if (loop->ready.head || loop->stopping) return 0;
    struct cio__timer *next = cio__heap_top(&loop->timers);
    if (!next) return -1;
    int64_t wait_ns = next->when - cio__now(loop);
    if (wait_ns <= 0) return 0;
    int64_t ms = (wait_ns + 999999) / 1000000; /* round up: never wake early and spin */
    return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

static void on_fd_ready(void *ctx, int fd, unsigned events) {
    cio_loop *loop = ctx;
    if (fd == loop->wakeup_fd)
        cio__wakeup_fired(loop);
    else
        cio__io_ready(loop, fd, events);
}

/* How long (real time) an idle virtual-clock loop waits for another thread
 * (a call_soon_threadsafe, a signal) before it calls the run a deadlock. */
#define STALL_GRACE_MS 250

/* Polls for the whole grace: a signal handler run on this thread ends a poll
 * early (EINTR, which the poller reports as 0 events), and the signal it
 * caught is still on its way to the loop (through the pump thread): that is
 * no stall. (A process-directed signal reaches a loop thread when the
 * sender's thread cannot take it, as under valgrind.) */
static int stall_poll(cio_loop *loop) {
    int64_t end = monotonic_ns() + (int64_t)STALL_GRACE_MS * 1000000;
    int left = STALL_GRACE_MS, events;
    do {
        events = loop->poller_ops->poll(loop->poller, left, on_fd_ready, loop);
        int64_t rest = end - monotonic_ns();
        left = rest > 0 ? (int)((rest + 999999) / 1000000) : 0;
    } while (events == 0 && left > 0 && !loop->ready.head &&
             !atomic_load_explicit(&loop->wakeup_pending, memory_order_acquire));
    return events;
}

/* Nothing ready, no timer, no thread working for the loop: only I/O or
 * another thread can wake it. With no task waiting on an fd, a short wait
 * for another thread settles it: if nothing comes, every task is parked for
 * good - a lost wake-up - and run_until_complete reports it (-EDEADLK)
 * instead of blocking forever. Only the virtual clock: it belongs to tests. */
static void poll_idle_virtual(cio_loop *loop) {
    if (loop->io_waiters > 0) {
        loop->poller_ops->poll(loop->poller, -1, on_fd_ready, loop);
        return;
    }
    int events = stall_poll(loop);
    if (events <= 0 && !loop->ready.head && !loop->timers.len && loop->holds == 0 &&
        !atomic_load_explicit(&loop->wakeup_pending, memory_order_acquire))
        loop->stalled = true;
}

/* The virtual clock polls without sleeping and, if nothing happened, jumps to
 * the next timer - unless another thread works for the loop (holds), whose
 * answer must arrive first. */
static void poll_virtual(cio_loop *loop, int timeout) {
    if (timeout != 0 && loop->holds > 0) {
        loop->poller_ops->poll(loop->poller, -1, on_fd_ready, loop);
        return;
    }
    int events = loop->poller_ops->poll(loop->poller, 0, on_fd_ready, loop);
    struct cio__timer *next = cio__heap_top(&loop->timers);
    if (timeout != 0 && events <= 0 && !loop->ready.head && next && next->when > loop->virtual_now)
        loop->virtual_now = next->when;
    else if (timeout != 0 && events <= 0 && !loop->ready.head && !next)
        poll_idle_virtual(loop);
}

/* The ready queue becomes the batch the turn runs; what the batch schedules
 * goes to the (now empty) queue, for the next turn. */
static void take_batch(cio_loop *loop) {
    loop->batch = loop->ready.head;
    loop->ready.head = loop->ready.tail = NULL;
}

/* A zero-timeout epoll_wait costs ~1.3 us on our VMs: more than a dozen task
 * switches. So while work is ready, a turn polls the backend only once
 * BUSY_POLL_INTERVAL entries have run since the last poll (Tokio polls every
 * 61 ticks for the same reason; see bench/results/sync.md for the figures).
 * Cross-thread wake-ups are still taken every turn: they cost one atomic load
 * unless one is pending. An idle loop polls every turn, as asyncio does. */
#define BUSY_POLL_INTERVAL 64

static void poll_backend(cio_loop *loop) {
    int timeout = poll_timeout(loop);
    bool poll_due = loop->stopping || loop->ran_since_poll >= BUSY_POLL_INTERVAL;
    if (timeout == 0 && !poll_due) {
        if (atomic_load_explicit(&loop->wakeup_pending, memory_order_acquire))
            cio__wakeup_drain(loop);
        return;
    }
    cio__loop_heartbeat(loop, true);
    if (loop->clock == CIO_CLOCK_VIRTUAL) {
        loop->ran_since_poll = 0;
        poll_virtual(loop, timeout);
    } else {
        bool posted = timeout != 0 && cio__wakeup_before_sleep(loop);
        if (posted && !poll_due) {
            /* A post came while the loop spun: take it without the
             * zero-timeout poll, a syscall worth half a cross-loop round
             * trip. The backend is still polled once BUSY_POLL_INTERVAL
             * entries have run, as on the busy path. */
            cio__wakeup_after_poll(loop);
        } else {
            loop->ran_since_poll = 0;
            loop->poller_ops->poll(loop->poller, posted ? 0 : timeout, on_fd_ready, loop);
            cio__wakeup_after_poll(loop);
        }
    }
    cio__loop_heartbeat(loop, false);
}

/* The turn boundary, taken by a task that switches out at the end of a batch
 * (the hand-off): the next turn starts right here when the scheduler would do
 * nothing else first - the run is not ending (stop, or the awaited task
 * done), the poll would be skipped (see poll_backend), no cross-thread
 * wake-up is pending and no timer is due. Else false: the scheduler runs
 * the turn. */
bool cio__loop_next_batch(cio_loop *loop) {
    if (!loop->ready.head || loop->stopping || loop->ran_since_poll >= BUSY_POLL_INTERVAL)
        return false;
    if (loop->until && loop->until->state == CIO__TASK_DONE) return false;
    if (atomic_load_explicit(&loop->wakeup_pending, memory_order_acquire)) return false;
    if (loop->timers.len && timer_due(loop)) return false;
    take_batch(loop);
    return true;
}

static void run_ready(cio_loop *loop) {
    take_batch(loop);
    struct cio__ready *entry;
    while ((entry = cio__turn_next(loop, false)) != NULL) entry->run(entry);
}

void cio__loop_run_once(cio_loop *loop) {
    poll_backend(loop);
    fire_expired_timers(loop);
    run_ready(loop);
}

/* ---- life ----------------------------------------------------------------------------- */

static int loop_init(cio_loop *loop, const cio_loop_options *opts) {
    static atomic_uint_fast64_t last_serial;
    loop->head.serial = (uint64_t)atomic_fetch_add(&last_serial, 1) + 1; /* 0 means "no loop" */
    const char *poller = opts ? opts->poller : NULL;
    if (!poller) poller = getenv("CIO_POLLER");
    loop->poller_ops = cio__poller_find(poller && *poller ? poller : NULL);
    if (!loop->poller_ops) return -EINVAL;
    /* The virtual clock is an option a test sets, never the environment: a
     * production loop must not start skipping time because of a variable. */
    loop->clock =
        opts && opts->clock == CIO_CLOCK_VIRTUAL ? CIO_CLOCK_VIRTUAL : CIO_CLOCK_MONOTONIC;
    int spin_us = opts && opts->spin_us ? opts->spin_us : CIO_LOOP_SPIN_US_DEFAULT;
    loop->spin_ns = spin_us > 0 ? (int64_t)spin_us * 1000 : 0;
    cio__list_init(&loop->tasks);
    cio__list_init(&loop->spare_tasks);
    cio__list_init(&loop->close_hooks);
    cio__list_init(&loop->object_hooks);
    loop->wakeup_fd = -1;
    int rc = cio__debug_init(loop, opts && opts->debug);
    if (rc < 0) return rc;
    rc = loop->poller_ops->init(&loop->poller);
    if (rc < 0) return rc;
    return cio__wakeup_init(loop);
}

int cio_loop_new(const cio_loop_options *opts, cio_loop **out) {
    if (!out) return -EINVAL;
    *out = NULL;
    if (opts && (opts->clock < CIO_CLOCK_DEFAULT || opts->clock > CIO_CLOCK_VIRTUAL))
        return -EINVAL;
    const char *why;
    int rc = cio__switch_check(&why);
    if (rc < 0) {
        cio__complain("%s", why);
        return rc;
    }
    cio_loop *loop = aligned_alloc(_Alignof(cio_loop), sizeof *loop); /* loop.h: cache lines */
    if (!loop) return -ENOMEM;
    memset(loop, 0, sizeof *loop);
    loop->head.magic = CIO__LOOP_MAGIC;
    atomic_init(&loop->idle, true); /* not running: no stall to watch for */
    rc = loop_init(loop, opts);
    if (rc < 0) {
        if (loop->poller) loop->poller_ops->close(loop->poller);
        free(loop->debug_state);
        free(loop);
        return rc;
    }
    cio__loop_alive_add(loop);
    *out = loop;
    return 0;
}

int cio__loop_on_close(cio_loop *loop, void (*fn)(cio_loop *, void *), void *arg) {
    struct cio__close_hook *hook = malloc(sizeof *hook);
    if (!hook) return -ENOMEM;
    *hook = (struct cio__close_hook){.fn = fn, .arg = arg, .allocated = true};
    cio__list_push_back(&loop->close_hooks, &hook->node);
    return 0;
}

void cio__loop_hook_add(cio_loop *loop, struct cio__close_hook *hook,
                        void (*fn)(cio_loop *, void *), void *arg) {
    hook->fn = fn;
    hook->arg = arg;
    hook->allocated = false;
    cio__list_push_back(&loop->object_hooks, &hook->node);
}

void cio__loop_hook_remove(struct cio__close_hook *hook) {
    if (cio__list_linked(&hook->node)) cio__list_remove(&hook->node);
}

/* Newest first. Each hook is unlinked before it runs, so it may free its own
 * object (and with it other hooks of the list). */
static void run_close_hooks(struct cio__list *hooks, cio_loop *loop) {
    while (!cio__list_empty(hooks)) {
        struct cio__list *last = hooks->prev;
        cio__list_remove(last);
        struct cio__close_hook *hook = cio__container_of(last, struct cio__close_hook, node);
        bool allocated = hook->allocated;
        hook->fn(loop, hook->arg);
        if (allocated) free(hook);
    }
}

/* Every unfinished task is cancelled and taken off whatever it waits on (a
 * future's or a lock's list, an fd slot, a signal), so the futures, queues,
 * streams and servers of the loop, which outlive it in the caller's hands,
 * hold no pointer to a task about to be freed. */
static void unhook_tasks(cio_loop *loop) {
    for (struct cio__list *node = loop->tasks.next; node != &loop->tasks; node = node->next) {
        cio_task *task = cio__container_of(node, cio_task, all);
        if (task->state == CIO__TASK_DONE) continue;
        task->cancel_requests++;
        cio__wait_forget(task);
    }
}

static void free_all_tasks(cio_loop *loop) {
    struct cio__list *node;
    while ((node = cio__list_pop_front(&loop->tasks)) != NULL) {
        cio_task *task = cio__container_of(node, cio_task, all);
        if (task->state != CIO__TASK_DONE)
            cio__diag(loop, CIO_DIAG_PENDING_DESTROYED, task, 0,
                      "task '%s' was destroyed but it is pending", cio_task_name(task));
        cio__task_free(task);
    }
}

int cio_loop_close(cio_loop *loop) {
    if (!loop || loop->head.magic != CIO__LOOP_MAGIC) return -EINVAL;
    if (loop->head.closed) return -CIO_ECLOSED;
    if (loop->head.running) return -EBUSY;
    run_close_hooks(&loop->object_hooks, loop);
    unhook_tasks(loop);
    run_close_hooks(&loop->close_hooks, loop);
    cio__offload_close(loop); /* after the hooks: their objects' jobs are in flight to the end */
    cio__callback_drop_futures(loop);
    cio__debug_loop_close(loop);
    loop->head.closed = true; /* from here on, freed tasks are not kept as spares */
    free_all_tasks(loop);
    cio__task_spares_free(loop);
    cio__compact_loop_close(loop);
    cio__wakeup_close(loop);
    loop->poller_ops->close(loop->poller);
    loop->poller = NULL;
    cio__io_free(loop);
    cio__heap_free(&loop->timers);
    cio__callback_slab_free(loop);
    loop->ready.head = loop->ready.tail = loop->batch = NULL;
    loop->head.closed = true;
    return 0;
}

void cio_loop_free(cio_loop *loop) {
    if (!loop || loop->head.magic != CIO__LOOP_MAGIC || loop->head.running) return;
    cio_loop_close(loop);
    cio__loop_alive_remove(loop);
    loop->head.magic = CIO__DEAD_MAGIC;
    free(loop);
}

/* ---- running ----------------------------------------------------------------------------- */

static int enter(cio_loop *loop) {
    int rc = cio__loop_check(loop, "cio_loop_run");
    if (rc < 0) return rc;
    if (loop->head.running || cio__running_loop) return -EBUSY; /* nested loops are refused */
    loop->head.running = true;
    loop->thread = pthread_self();
    cio__running_loop = loop;
    cio__stack_guard_install();
    cio__loop_heartbeat(loop, false);
    return 0;
}

static void leave(cio_loop *loop) {
    cio__loop_heartbeat(loop, true);
    loop->head.running = false;
    loop->stopping = false;
    loop->until = NULL;
    cio__running_loop = NULL;
}

/* The virtual-clock run stalled: name every task still parked. */
static int report_deadlock(cio_loop *loop, cio_task *until) {
    loop->stalled = false;
    cio__diag(loop, CIO_DIAG_DEADLOCK, until, -EDEADLK,
              "deadlock: virtual-clock loop has nothing ready, no timer, no fd or thread "
              "to wait for, and task '%s' is not done; parked tasks:",
              cio_task_name(until));
    for (struct cio__list *node = loop->tasks.next; node != &loop->tasks; node = node->next) {
        cio_task *task = cio__container_of(node, cio_task, all);
        if (task->state == CIO__TASK_PARKED)
            cio__diag(loop, CIO_DIAG_DEADLOCK, task, -EDEADLK, "  parked: '%s'",
                      cio_task_name(task));
    }
    return -EDEADLK;
}

int cio_loop_run_until_complete(cio_loop *loop, cio_task *task, void **result) {
    if (result) *result = NULL;
    if (!cio__task_check(task, "cio_loop_run_until_complete")) return -EINVAL;
    if (loop && loop->head.magic == CIO__LOOP_MAGIC && task->future.loop != loop) return -EINVAL;
    int rc = enter(loop);
    if (rc < 0) return rc;
    loop->until = task;
    loop->stalled = false;
    while (task->state != CIO__TASK_DONE) {
        cio__loop_run_once(loop);
        if (loop->stopping || loop->stalled) break;
    }
    leave(loop);
    if (task->state != CIO__TASK_DONE && loop->stalled) return report_deadlock(loop, task);
    if (task->state != CIO__TASK_DONE) return -EINTR;
    rc = cio__future_outcome(&task->future, result);
    cio_task_unref(task);
    return rc;
}

int cio_loop_run_forever(cio_loop *loop) {
    int rc = enter(loop);
    if (rc < 0) return rc;
    do cio__loop_run_once(loop);
    while (!loop->stopping);
    leave(loop);
    return 0;
}

int cio_loop_stop(cio_loop *loop) {
    if (!loop || loop->head.magic != CIO__LOOP_MAGIC) return -EINVAL;
    loop->stopping = true;
    return 0;
}

bool cio_loop_is_running(const cio_loop *loop) {
    return loop && loop->head.running;
}
bool cio_loop_is_closed(const cio_loop *loop) {
    return !loop || loop->head.closed;
}
const char *cio_loop_poller_name(const cio_loop *loop) {
    return loop && loop->poller_ops ? loop->poller_ops->name : "none";
}

void cio__loop_hold(cio_loop *loop) {
    loop->holds++;
}
void cio__loop_unhold(cio_loop *loop) {
    loop->holds--;
}

void cio__loop_queue(cio_loop *loop, struct cio__ready *entry) {
    cio__ready_push(&loop->ready, entry);
}

void *cio__loop_slot(const cio_loop *loop, enum cio__loop_slot slot) {
    return loop->slots[slot];
}

void cio__loop_set_slot(cio_loop *loop, enum cio__loop_slot slot, void *state) {
    loop->slots[slot] = state;
}
