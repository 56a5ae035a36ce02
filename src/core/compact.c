/* src/core/compact.c - compact tasks (cio_task_options.compact): many tasks
 * share a few stacks per loop, and a suspended one that had to give its
 * stack up keeps only a heap copy of its live frames (libaco's copy-stack
 * mode).
 *
 * A shared stack holds the frames of its resident: the compact task that ran
 * on it last, running or suspended. Resuming another compact task of that
 * stack first saves the resident's frames ([its saved sp, top), into a
 * buffer kept across suspensions, right-sized then doubled) and copies the
 * new one's back; resuming the resident itself copies nothing. The copies
 * happen on the stack of whoever jumps (the scheduler, a normal task or a
 * compact task of another shared stack handing off), never on the stack
 * being written: a compact task switching to another of its own shared
 * stack goes through the swapper, a context with a stack of its own.
 *
 * A frame's address is where it ran, so a pointer into a suspended compact
 * task's frames is good only while it is the resident. cio keeps its wait
 * records in the task struct; the one record of its own it keeps on the
 * task's stack, the timeout scope chain, is read through
 * cio__compact_translate. A wait in which someone else writes into the
 * task's stack while it is suspended (file operations, a submission to
 * another loop, a channel wait) pins it (cio__task_pin_stack): the resident
 * then keeps its shared stack, and the other compact tasks of that stack
 * wait (cio__compact_defer) until the pin ends. docs/internals.md has the
 * rest. */
#include "core/compact.h"

#include "core/switch.h" /* cio__switch_enter, cio__switch_resumed */

#include "cio/introspect.h" /* CIO_WAIT_NONE */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__has_include)
#if __has_include(<sanitizer/asan_interface.h>)
#include <sanitizer/asan_interface.h>
#endif
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#endif
#endif
#ifndef ASAN_UNPOISON_MEMORY_REGION
#define ASAN_UNPOISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#endif
#ifndef VALGRIND_MAKE_MEM_UNDEFINED
#define VALGRIND_MAKE_MEM_UNDEFINED(addr, len) ((void)(addr), (void)(len))
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

/* The swapper's frames are the copies: memcpy, and the debug check's report. */
#define SWAPPER_STACK_SIZE (64u * 1024u)

/* Debug mode: the byte a saved task's frames are overwritten with. */
#define CIO__COMPACT_POISON 0xcd

static cio__ctx_entry task_entry; /* task.c's task_main, the same for every task */

struct cio__compact *cio__compact_state(cio_loop *loop) {
    if (loop->compact) return loop->compact;
    struct cio__compact *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->stacks = CIO__COMPACT_STACKS;
    c->blocked_tail = &c->blocked;
    c->on_valgrind = RUNNING_ON_VALGRIND; /* its client request costs every restore */
    loop->compact = c;
    return c;
}

static struct cio__shared_stack *shared_of(const cio_task *task) {
    return &task->future.loop->compact->shared[task->shared_stack];
}

int cio__compact_start(cio_task *task, cio__ctx_entry entry) {
    struct cio__compact *c = cio__compact_state(task->future.loop);
    if (!c) return -ENOMEM;
    unsigned index = c->next_stack++ % c->stacks;
    struct cio__shared_stack *s = &c->shared[index];
    /* Not cio__stack_default_size(): $CIO_STACK_SIZE sizes the normal stacks. */
    if (!s->stack.mapping) {
        if (cio__stack_acquire(&s->stack, CIO_COMPACT_STACK_SIZE) < 0) return -ENOMEM;
        s->stack.name = "(compact tasks' shared stack)";
    }
    task_entry = entry;
    task->shared_stack = (uint8_t)index;
    task->stack = s->stack;
    task->stack.mapping = NULL;    /* not the task's to release */
    task->stack.name = task->name; /* NULL: the overflow report says Task-<task_id> */
    task->stack.task_id = task->id;
    task->ctx = NULL; /* made on its first swap-in, when the stack is its */
#if defined(CIO_TSAN)
    task->tsan_fiber = __tsan_create_fiber(0); /* as task.c's start() does */
#endif
    return 0;
}

/* ---- saving and restoring frames ----------------------------------------------- */

/* Where its saved frames start: its context's stack pointer (the context
 * itself, but for the ucontext switch's record: src/arch/switch.h). */
static char *live_low(const cio_task *task) {
    return cio__ctx_sp(task->ctx);
}

static size_t live_bytes(const cio_task *task) {
    return (size_t)((char *)task->stack.top - live_low(task));
}

/* Room for len bytes of frames, which save() found too few: false (frames
 * untouched) without memory. Out of line: once a task's buffer fits, a save
 * only copies. */
__attribute__((noinline, cold)) static bool grow(cio_task *task, size_t len) {
    /* Right-sized at first (malloc's granule: 16 bytes), then doubled: a
     * parked task's frames are about the same size at every suspension. */
    size_t cap = task->frames ? (size_t)task->frames->cap * 2 : (len + 15) & ~(size_t)15;
    while (cap < len) cap *= 2;
    struct cio__compact_frames *grown = realloc(task->frames, sizeof *grown + cap);
    if (!grown) {
        cio__complain("cio: no memory to save the %zu bytes of frames of compact task '%s'", len,
                      cio_task_name(task));
        return false;
    }
    if (!task->frames) grown->len = 0;
    grown->cap = (uint32_t)cap;
    task->frames = grown;
    return true;
}

static inline void save(struct cio__compact *c, cio_task *task) {
    size_t len = live_bytes(task);
    if (__builtin_expect(!task->frames || task->frames->cap < len, 0) && !grow(task, len))
        abort(); /* its frames would be overwritten: nothing sound is left to do */
    /* ASan: the frames' redzones are poisoned; their owner re-poisons them. */
    ASAN_UNPOISON_MEMORY_REGION(live_low(task), len);
    memcpy(task->frames->data, live_low(task), len);
    task->frames->len = (uint32_t)len;
    c->saves++;
}

static inline void restore(struct cio__compact *c, cio_task *task) {
    char *top = task->stack.top;
    ASAN_UNPOISON_MEMORY_REGION(top - task->stack.size, task->stack.size);
    /* valgrind: below the last resident's stack pointer is no-access to it;
     * the frames' own definedness comes with the copy. */
    if (__builtin_expect(c->on_valgrind, 0)) {
        size_t len = task->ctx ? task->frames->len : 256;
        VALGRIND_MAKE_MEM_UNDEFINED(top - len, len);
    }
    if (!task->ctx) { /* its first run */
        task->ctx = cio__ctx_make(top, task->stack.size, task_entry);
        return;
    }
    memcpy(top - task->frames->len, task->frames->data, task->frames->len);
    c->restores++;
}

/* ---- debug mode: a suspended task's frames, pointed at from outside ----------------- */

static bool within(const void *p, const void *low, const void *top) {
    return p && (const char *)p >= (const char *)low && (const char *)p < (const char *)top;
}

/* Just before task's frames leave the shared stack: does a wait, its own or
 * another task's, name something in them? Whoever wakes that wait will write
 * into another task's frames. O(tasks): debug mode only. */
static void debug_check(cio_loop *loop, cio_task *task) {
    void *low = live_low(task), *top = task->stack.top;
    /* What the next task's frames do not cover reads as 0xcd... to a stale
     * pointer (a pointer loaded from it faults): the mistake shows sooner. */
    memset(low, CIO__COMPACT_POISON, (size_t)((char *)top - (char *)low));
    const void *own[] = {task->wait.owner, task->wait.item};
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        if (within(own[i], low, top))
            cio__complain(
                "compact task '%s' is suspended in a wait whose record %p lies in its own "
                "frames, which another compact task now overwrites",
                cio_task_name(task), own[i]);
    for (struct cio__list *at = loop->tasks.next; at != &loop->tasks; at = at->next) {
        cio_task *waiter = cio__container_of(at, cio_task, all);
        if (waiter->state == CIO__TASK_PARKED && waiter->tag.kind != CIO_WAIT_NONE &&
            within(waiter->tag.object, low, top))
            cio__complain("task '%s' waits on an object at %p in the frames of suspended compact "
                          "task '%s', which another compact task now overwrites (keep objects "
                          "other tasks use off a compact task's stack)",
                          cio_task_name(waiter), waiter->tag.object, cio_task_name(task));
    }
}

/* Make task's frames those of its shared stack s, which holds another's (or
 * none). Inline: the swapper's whole work. */
__attribute__((always_inline)) static inline void
swap(cio_loop *loop, struct cio__compact *c, struct cio__shared_stack *s, cio_task *task) {
    cio_task *resident = s->resident;
    if (resident) {
        save(c, resident);
        if (__builtin_expect(loop->head.debug, 0)) debug_check(loop, resident);
    }
    restore(c, task);
    s->resident = task;
}

void cio__compact_swap(cio_loop *loop, cio_task *task) {
    struct cio__compact *c = loop->compact;
    swap(loop, c, &c->shared[task->shared_stack], task);
}

void *cio__compact_translate(const cio_task *task, void *p) {
    if (!task->future.loop->compact || shared_of(task)->resident == task || !task->frames) return p;
    char *top = task->stack.top, *low = top - task->frames->len;
    if ((char *)p < low || (char *)p >= top) return p;
    return task->frames->data + ((char *)p - low);
}

/* ---- who may switch to whom --------------------------------------------------------- */

/* Is task's shared stack held by another task whose frames must stay put? */
static bool resident_pinned(const cio_task *task) {
    const cio_task *resident = shared_of(task)->resident;
    return resident && resident != task && resident->stack_pins > 0;
}

static void block(struct cio__compact *c, cio_task *task) {
    task->ready.next = NULL;
    *c->blocked_tail = &task->ready;
    c->blocked_tail = &task->ready.next;
}

bool cio__compact_defer(cio_task *task) {
    struct cio__compact *c = task->future.loop->compact;
    if (!resident_pinned(task)) return false;
    block(c, task);
    return true;
}

/* ---- the swapper ---------------------------------------------------------------------- */

/* A compact task switching to another of its own shared stack leaves the shared stack for the
 * swapper's, where the copies happen: they must not run on the stack they write. On x86-64 that is
 * one jump, the copies done on the way (cio__ctx_jump_via); elsewhere, and under ASan, whose fiber
 * annotations want a context to switch to, the swapper is a context of its own that the task jumps
 * to and that jumps on (two jumps). Either way it is cheaper than a trip through the scheduler
 * (bench/core_yield compact). TSan builds go through the scheduler
 * (swapper_ready): the swapper has no fiber of its own. */
#if defined(CIO__CTX_JUMP_VIA) && !defined(CIO_ASAN) && !defined(CIO_TSAN)
#define SWAPPER_ONE_JUMP 1
#endif

#if defined(SWAPPER_ONE_JUMP)
/* On the swapper's stack, between the running task's jump (from) and
 * next's resumption: returns next's context. The jumper is the resident of
 * next's shared stack, whose frames save() takes from its context. */
static cio__ctx swap_between(void *arg, cio__ctx from) {
    cio_task *next = arg;
    cio_loop *loop = next->future.loop;
    struct cio__compact *c = loop->compact;
    loop->head.current->ctx = from;
    swap(loop, c, &c->shared[next->shared_stack], next);
    cio__switch_enter(loop, next);
    return next->ctx;
}
#elif !defined(CIO_TSAN)
/* The swapper as a context: runs for the loop's life; never returns. */
static void swapper_main(cio__transfer t) {
    cio_loop *loop = cio__running_loop;
    struct cio__compact *c = loop->compact;
#if defined(CIO_ASAN)
    __sanitizer_finish_switch_fiber(NULL, NULL, NULL);
#endif
    for (;;) {
        cio_task *from = t.data; /* a compact task, suspended (parked or queued) */
        from->ctx = t.from;
        cio_task *next = c->swap_to;
        swap(loop, c, &c->shared[next->shared_stack], next); /* saves from's, restores next's */
        cio__switch_enter(loop, next);
#if defined(CIO_ASAN)
        __sanitizer_start_switch_fiber(
            &c->swapper_fake_stack, (char *)next->stack.top - next->stack.size, next->stack.size);
#endif
        /* next stores our context in the stand-in's ctx (cio__switch_save_from) */
        t = cio__ctx_jump(next->ctx, &c->swapper);
#if defined(CIO_ASAN)
        __sanitizer_finish_switch_fiber(c->swapper_fake_stack, NULL, NULL);
#endif
    }
}
#endif

/* The swapper's stack (and context), on first use; false if there is no
 * memory for them (the scheduler does the swap then). */
static bool swapper_ready(struct cio__compact *c) {
#if defined(CIO_TSAN)
    (void)c;
    return false;
#else
    if (c->swapper_stack.mapping) return true;
    if (cio__stack_acquire(&c->swapper_stack, SWAPPER_STACK_SIZE) < 0) return false;
    c->swapper_stack.name = "(compact tasks' swapper)";
#if !defined(SWAPPER_ONE_JUMP)
    c->swapper.ctx = cio__ctx_make(c->swapper_stack.top, c->swapper_stack.size, swapper_main);
#endif
    return true;
#endif
}

/* The ways out of cio__compact_switch_out, which tail-calls them: the frames
 * a suspended compact task keeps (and copies at every swap) are those on its
 * stack at its jump, so each keeps only task across it (loop is read again
 * from it) and cio__compact_switch_out none (bench/results/compact-switch.md). */

/* Straight to next, whose frames are in place. */
__attribute__((noinline)) static void jump_to(cio_task *task, cio_task *next) {
    cio__switch_enter_stack(task->future.loop, next, CIO__FAKE_STACK(task));
    cio__transfer back = cio__ctx_handoff(next->ctx, task);
    cio__switch_resumed(task->future.loop, task, back);
}

/* Through the swapper, to next, of task's own shared stack. */
__attribute__((noinline)) static void via_swapper(struct cio__compact *c, cio_task *task,
                                                  cio_task *next) {
#if defined(SWAPPER_ONE_JUMP)
    cio__transfer back = cio__ctx_jump_via(c->swapper_stack.top, task, swap_between, next);
#else
    c->swap_to = next;
#if defined(CIO_ASAN)
    __sanitizer_start_switch_fiber(&task->asan_fake_stack,
                                   (char *)c->swapper_stack.top - c->swapper_stack.size,
                                   c->swapper_stack.size);
#endif
    cio__transfer back = cio__ctx_jump(c->swapper.ctx, task);
#endif
    cio__switch_resumed(task->future.loop, task, back);
}

/* To the scheduler, next waiting for a pin (blocked) or put back first in
 * the batch. */
__attribute__((noinline, cold)) static void to_scheduler(cio_task *task) {
    cio__switch_to_scheduler(task->future.loop, task, false);
}

static void put_back(cio_loop *loop, cio_task *next) {
    next->ready.next = loop->batch;
    loop->batch = &next->ready;
    loop->ran_since_poll--;
}

void cio__compact_switch_out(cio_loop *loop, cio_task *task, cio_task *next) {
    struct cio__compact *c = loop->compact;
    const cio_task *resident = c->shared[next->shared_stack].resident;
    if (resident == next) { /* its frames are in place (so it ran: ctx is set) */
        jump_to(task, next);
        return;
    }
    if (resident && resident->stack_pins > 0) {
        block(c, next);
        to_scheduler(task);
        return;
    }
    /* A first run (of a task deferred before it ever ran) is the
     * scheduler's: task_main takes its jumper for the scheduler. Else a
     * task not running on next's shared stack copies next's frames itself. */
    if (next->ctx && !(task->compact && task->shared_stack == next->shared_stack)) {
        cio__compact_swap(loop, next);
        jump_to(task, next);
        return;
    }
    if (next->ctx && swapper_ready(c)) {
        via_swapper(c, task, next);
        return;
    }
    put_back(loop, next);
    to_scheduler(task);
}

/* The pin ended: what waited for it is queued again, in order. */
static void unblock(cio_loop *loop, struct cio__compact *c) {
    struct cio__ready *entry = c->blocked;
    c->blocked = NULL;
    c->blocked_tail = &c->blocked;
    while (entry) {
        struct cio__ready *next = entry->next;
        cio__ready_push(&loop->ready, entry);
        entry = next;
    }
}

void cio__task_pin_stack(cio_task *task) {
    task->stack_pins++;
}

void cio__task_unpin_stack(cio_task *task) {
    if (--task->stack_pins > 0 || !task->compact) return;
    struct cio__compact *c = task->future.loop->compact;
    if (c && c->blocked) unblock(task->future.loop, c);
}

int cio_loop_set_compact_tasks(cio_loop *loop, bool on) {
    int rc = cio__loop_check(loop, "cio_loop_set_compact_tasks");
    if (rc < 0) return rc;
    loop->compact_default = on;
    return 0;
}

/* ---- ends -------------------------------------------------------------------------- */

void cio__compact_release(cio_task *task) {
    cio_loop *loop = task->future.loop;
    if (loop->compact && task->stack.top && shared_of(task)->resident == task)
        shared_of(task)->resident = NULL;
    free(task->frames);
    task->frames = NULL;
}

void cio__compact_loop_close(cio_loop *loop) {
    struct cio__compact *c = loop->compact;
    if (!c) return;
    loop->compact = NULL;
    for (unsigned i = 0; i < CIO__COMPACT_STACKS; i++)
        cio__stack_release(&c->shared[i].stack); /* no-op if never made */
    cio__stack_release(&c->swapper_stack);       /* no-op if never made */
    free(c);
}
