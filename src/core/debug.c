/* src/core/debug.c - debug mode (asyncio's loop.set_debug): slow steps,
 * where tasks and futures were made, tasks never awaited, wrong threads.
 *
 * Debug mode off costs the hot paths one predictable branch each, on
 * loop->head.debug: in cio__turn_next (every switch and callback) and in
 * cio__future_init (every spawn). Everything else here runs only when the
 * flag is set, or when a report is made.
 *
 * Frames are raw return addresses (backtrace(3)), symbolised only when a
 * report is made (backtrace_symbols(3)). Names come from the dynamic symbol
 * table: static functions, and an executable's functions unless it is linked
 * with -rdynamic, show as file+offset, which addr2line -e FILE turns into a
 * line (build with -g). */
#include "core/switch.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FRAMES 16

struct cio__origin {
    int created_len, suspended_len;
    void *created[FRAMES];   /* where it was made */
    void *suspended[FRAMES]; /* tasks: where the task last switched out */
};

/* The step running now (a callback, or a task from resume to suspend). */
struct cio__debug_state {
    int64_t slow_ns;
    struct cio__ready *entry; /* NULL: no step is open */
    int64_t started;
    cio_task *task; /* the step's task (it may be freed by the step's end) */
    char name[64];  /* its name, copied for that case */
    cio_callback callback;
    int resumed_len;
    void *resumed[FRAMES]; /* where the task resumed: its last suspension */
};

#define DEFAULT_SLOW_NS (CIO__NS_PER_SEC / 10) /* asyncio's slow_callback_duration */

static int64_t real_ns(void) { /* real time even on the virtual clock: it is the wait felt */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * CIO__NS_PER_SEC + ts.tv_nsec;
}

/* ---- the switches ----------------------------------------------------------------------- */

/* The caller's stack, from the caller of capture's caller on. The first
 * frames shown may still be cio's own: inlining and tail calls make any
 * fixed count of frames to drop wrong at some optimisation level, and a
 * frame too many is better than the user's frame lost. */
__attribute__((noinline)) static int capture(void **out) {
    enum { skip = 1 }; /* capture itself */
    void *frames[FRAMES + 4];
    int len = backtrace(frames, FRAMES + skip);
    len = len > skip ? len - skip : 0;
    memcpy(out, frames + skip, (size_t)len * sizeof *out);
    return len;
}

static void step_begin(struct cio__debug_state *st, struct cio__ready *entry) {
    st->entry = entry;
    st->task = cio__task_of_entry(entry);
    st->callback = st->task ? NULL : cio__callback_fn_of_entry(entry);
    st->resumed_len = 0;
    if (st->task) {
        snprintf(st->name, sizeof st->name, "%s", cio_task_name(st->task));
        struct cio__origin *origin = st->task->future.origin;
        if (origin) {
            st->resumed_len = origin->suspended_len;
            memcpy(st->resumed, origin->suspended, sizeof st->resumed);
        }
    }
    st->started = real_ns(); /* last: the bookkeeping above is not the step's */
}

static char *frames_text(void *const *frames, int len);
static void report_slow(cio_loop *loop, struct cio__debug_state *st, int64_t held, cio_task *task,
                        void *const *suspended, int suspended_len);

/* handoff: called by the step's own task as it switches out, on its stack. */
static void step_end(cio_loop *loop, struct cio__debug_state *st, bool handoff) {
    if (!st->entry) return;
    int64_t held = real_ns() - st->started;
    st->entry = NULL;
    cio_task *task = handoff && st->task && loop->head.current == st->task ? st->task : NULL;
    void *here[FRAMES];
    int here_len = task ? capture(here) : 0;
    if (task && task->future.origin) {
        task->future.origin->suspended_len = here_len;
        memcpy(task->future.origin->suspended, here, sizeof here);
    }
    if (held >= st->slow_ns) report_slow(loop, st, held, task, here, here_len);
}

struct cio__ready *cio__debug_turn_next(cio_loop *loop, bool handoff) {
    struct cio__debug_state *st = loop->debug_state;
    step_end(loop, st, handoff);
    struct cio__ready *entry = cio__turn_next_plain(loop, handoff);
    if (entry) step_begin(st, entry);
    return entry;
}

/* ---- reports ---------------------------------------------------------------------------- */

static char *frames_text(void *const *frames, int len) {
    if (len <= 0) return NULL;
    char **names = backtrace_symbols(frames, len);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    if (!out) {
        free(names);
        return NULL;
    }
    for (int i = 0; i < len; i++) {
        if (names)
            fprintf(out, "    %s\n", names[i]);
        else
            fprintf(out, "    %p\n", frames[i]);
    }
    fclose(out);
    free(names);
    return text;
}

static void name_callback(cio_callback fn, char *buf, size_t size) {
    Dl_info info;
    void *address;
    memcpy(&address, &fn, sizeof address); /* a function's address, to look up */
    if (dladdr(address, &info) && info.dli_sname)
        snprintf(buf, size, "%s (%p)", info.dli_sname, address);
    else
        snprintf(buf, size, "%p", address);
}

static void report_slow(cio_loop *loop, struct cio__debug_state *st, int64_t held, cio_task *task,
                        void *const *suspended, int suspended_len) {
    char what[160];
    if (st->task) {
        snprintf(what, sizeof what, "task '%s'", st->name);
    } else if (st->callback) {
        char name[128];
        name_callback(st->callback, name, sizeof name);
        snprintf(what, sizeof what, "callback %s", name);
    } else {
        snprintf(what, sizeof what, "a loop-internal step");
    }
    char *message = NULL;
    if (asprintf(&message, "%s held the loop for %.3f s (slow_callback_duration %.3f s)%s", what,
                 (double)held / 1e9, (double)st->slow_ns / 1e9,
                 st->task && !task ? " and finished" : "") < 0)
        message = NULL;
    char *resumed = frames_text(st->resumed, st->resumed_len);
    char *suspended_text = frames_text(suspended, suspended_len);
    cio_diag diag = {.kind = CIO_DIAG_SLOW_CALLBACK,
                     .message = message ? message : "a step held the loop too long",
                     .task = task,
                     .callback = st->callback,
                     .fd = -1,
                     .resumed_at = resumed,
                     .suspended_at = suspended_text};
    cio__diag_report(loop, &diag);
    free(message);
    free(resumed);
    free(suspended_text);
}

/* ---- origins --------------------------------------------------------------------------- */

void cio__origin_capture(cio_future *f) {
    struct cio__origin *origin = calloc(1, sizeof *origin);
    if (!origin) return; /* debug mode degrades to no creation site */
    origin->created_len = capture(origin->created);
    f->origin = origin;
}

void cio__origin_free_slow(cio_future *f) {
    free(f->origin);
    f->origin = NULL;
}

char *cio__origin_text(const cio_future *f) {
    if (!f || !f->origin) return NULL;
    return frames_text(f->origin->created, f->origin->created_len);
}

/* ---- the switch itself ------------------------------------------------------------------ */

static int make_state(cio_loop *loop) {
    if (loop->debug_state) return 0;
    loop->debug_state = calloc(1, sizeof *loop->debug_state);
    if (!loop->debug_state) return -ENOMEM;
    loop->debug_state->slow_ns = DEFAULT_SLOW_NS;
    return 0;
}

static int set_debug(cio_loop *loop, bool enabled) {
    if (enabled) {
        int rc = make_state(loop);
        if (rc < 0) return rc;
        loop->debug_state->entry = NULL; /* a step begun before is not measured */
    }
    loop->head.debug = enabled;
    return 0;
}

int cio__debug_init(cio_loop *loop, bool enabled) {
    const char *env = getenv("CIO_DEBUG");
    return set_debug(loop, enabled || (env && *env && *env != '0'));
}

int cio_loop_set_debug(cio_loop *loop, bool enabled) {
    int rc = cio__loop_check(loop, "cio_loop_set_debug");
    return rc < 0 ? rc : set_debug(loop, enabled);
}

bool cio_loop_get_debug(const cio_loop *loop) {
    return loop && loop->head.magic == CIO__LOOP_MAGIC && loop->head.debug;
}

int cio_loop_set_slow_callback_duration(cio_loop *loop, double seconds) {
    int rc = cio__loop_check(loop, "cio_loop_set_slow_callback_duration");
    if (rc < 0) return rc;
    if (isnan(seconds) || seconds < 0) return -EINVAL;
    rc = make_state(loop);
    if (rc < 0) return rc;
    loop->debug_state->slow_ns = cio__seconds_to_ns(seconds);
    return 0;
}

/* ---- the loop's end --------------------------------------------------------------------- */

/* Debug mode: a task the caller still holds a reference to when the loop
 * closes was never awaited (cio_await consumes it) nor released. */
void cio__debug_loop_close(cio_loop *loop) {
    for (struct cio__list *node = loop->tasks.next; loop->head.debug && node != &loop->tasks;
         node = node->next) {
        cio_task *task = cio__container_of(node, cio_task, all);
        if (task->future.refs > 0)
            cio__diag(loop, CIO_DIAG_NEVER_AWAITED, task, 0,
                      "task '%s' was never awaited nor released (cio_await or cio_task_unref)",
                      cio_task_name(task));
    }
    free(loop->debug_state);
    loop->debug_state = NULL;
    loop->head.debug = false;
}

bool cio__debug_thread_slow(const cio_loop *loop, const char *caller) {
    if (!loop->head.running || cio__running_loop == loop) return false;
    cio__complain("%s: called from a thread that does not run the loop (debug mode)", caller);
    return true;
}
