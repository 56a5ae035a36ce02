/* src/core/loop.h - the loop's insides: for src/core only.
 *
 * The other layers see a loop through core.h: the head's inline accessors
 * (cio__loop_check, cio__loop_current, cio__loop_serial, the budget) and the
 * functions declared there (timers, fd waits, slots, close hooks, holds).
 * scripts/check_layers.sh refuses an include of this header from outside
 * src/core. */
#ifndef CIO_CORE_LOOP_H
#define CIO_CORE_LOOP_H

#include "core/core.h"

#define CIO__CACHE_LINE 64

struct cio_loop {
    struct cio__loop_head head; /* first: core.h's inline accessors read it */
    bool stopping, is_default;
    bool stalled; /* virtual clock: nothing can ever wake a task (loop.c) */
    cio_clock_kind clock;
    int64_t virtual_now;
    pthread_t thread; /* valid while running */

    struct cio__ready_queue ready; /* for the next turn */
    struct cio__ready *batch;      /* what is left to run of this turn (loop.c) */
    unsigned ran_since_poll;       /* ready entries run since the backend was last polled */
    cio_task *until;               /* run_until_complete's task: its end ends the run */
    struct cio__heap timers;

    const struct cio__poller_ops *poller_ops;
    cio__poller *poller;
    struct cio__fd_waiters *fds; /* indexed by fd */
    size_t fds_len;
    int io_waiters;

    /* cross-thread: wakeup.c. What posters write (the lock, the list, the
     * flags, the count) has a cache line of its own: the loop's own hot
     * fields around it would otherwise bounce between the cores with every
     * post (the loop is allocated aligned: cio_loop_new). */
    _Alignas(CIO__CACHE_LINE) pthread_mutex_t inbox_lock;
    struct cio__post *inbox_head, *inbox_tail;
    atomic_bool wakeup_pending;
    /* True while the loop will look at wakeup_pending before it next sleeps
     * (it is awake, or spinning): a poster then need not write the eventfd.
     * Only set on a loop that had cross-thread posts lately (cross_recent);
     * the protocol and its memory-order argument are in wakeup.c. */
    atomic_bool inbox_watched;
    atomic_int posters;    /* cio_call_soon_threadsafe calls still touching the loop */
    atomic_int poster_cpu; /* the CPU the last poster ran on (spin: yield at once if ours) */
    _Alignas(CIO__CACHE_LINE) int wakeup_fd; /* posters read it, rarely: the loop's line */
    int cross_recent; /* blocking polls left to spin and watch (loop thread) */
    int64_t spin_ns;  /* cio_loop_options.spin_us: how long to spin first */
    int holds;        /* work in other threads the virtual clock must wait for */

    struct cio__callback_chunk *callback_chunks; /* every chunk of the slab */
    struct cio__callback_chunk *partial_chunks;  /* the chunks with free records */

    struct cio__list tasks;       /* every task the loop holds, done or not */
    struct cio__list spare_tasks; /* freed task structs kept for reuse (task.c) */
    size_t spare_task_count;
    size_t unfinished_tasks;
    uint64_t next_task_id;
    struct cio__list close_hooks;  /* cio__loop_on_close: after the tasks' waits are unhooked */
    void *slots[CIO__SLOT_COUNT];  /* cio__loop_slot */
    struct cio__offload *offload;  /* the thread pool's side of the loop (offload.c), or NULL */
    struct cio__list object_hooks; /* cio__loop_hook_add: before, while they can still be seen */

    /* diag.c: diagnostics and debug mode. head.debug is the one flag the hot
     * paths test (cio__turn_next); the rest is read only when it is set or a
     * report is made. */
    cio_exception_handler handler; /* NULL: cio_default_exception_handler */
    void *handler_arg;
    struct cio__debug_state *debug_state; /* made when debug mode is first turned on */
    struct cio__list alive;               /* on diag.c's list of loops not yet freed */

    struct cio__vars *vars;        /* the running callback's context (context.c), else NULL */
    cio_task_factory task_factory; /* cio_loop_set_task_factory; NULL: cio_task_new */
    void *task_factory_arg;
    /* The watchdog's view (watchdog.c), written by the loop thread only:
     * beat counts the loop's returns from poll, idle is set while it polls
     * or is not running. Relaxed stores, one or two per poll. */
    _Atomic uint64_t beat;
    atomic_bool idle;
    struct cio__watchdog *watchdog; /* NULL unless cio_loop_start_watchdog */

    struct cio__compact *compact; /* compact tasks' shared stack (compact.c), or NULL */
    bool compact_default;         /* cio_loop_set_compact_tasks */

    cio__ctx scheduler_ctx; /* the scheduler, while a task runs */
#if defined(CIO_ASAN)
    void *asan_fake_stack;
    const void *scheduler_stack_bottom;
    size_t scheduler_stack_size;
#endif
#if defined(CIO_TSAN)
    void *tsan_scheduler_fiber;
#endif
};

/* wakeup.c: the eventfd fired (read it, drain); before a blocking poll on
 * the monotonic clock (true: a post is pending, do not sleep); after it. */
void cio__wakeup_fired(cio_loop *loop);
bool cio__wakeup_before_sleep(cio_loop *loop);
void cio__wakeup_after_poll(cio_loop *loop);

/* The loop comes back from poll (or starts running: idle false), or goes
 * into poll (or stops running: idle true). For the watchdog (watchdog.c). */
static inline void cio__loop_heartbeat(cio_loop *loop, bool idle) {
    if (!idle)
        atomic_store_explicit(&loop->beat,
                              atomic_load_explicit(&loop->beat, memory_order_relaxed) + 1,
                              memory_order_relaxed);
    atomic_store_explicit(&loop->idle, idle, memory_order_relaxed);
}

#endif
