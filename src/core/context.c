/* src/core/context.c - task-local context (contextvars): keys, the current
 * context of a task / callback / thread, and context objects.
 *
 * A context is an immutable map (struct cio__vars): a set builds a new map
 * and drops the old one, so copying a context - what every task creation
 * and thread-pool job does - is taking a reference, and a child's set can
 * never show in its parent. NULL is the empty map: a program that sets
 * nothing pays a NULL copy per task. Each value sits in its own counted box
 * shared by every map holding it, which is what tells when its destructor
 * may run. The counts are atomic because thread-pool jobs carry maps to
 * other threads; everything else about a map is read-only once built. */
#include "core/task.h"

#include <stdlib.h>
#include <string.h>

struct cio__var {
    atomic_int refs; /* maps holding this box */
    const cio_context_key *key;
    void *value;
};

struct cio__vars {
    atomic_int refs;
    unsigned count;
    struct cio__var *items[]; /* in the order the keys were first set */
};

#define CONTEXT_MAGIC 0x63696f43u /* "cioC" */

struct cio_context {
    uint32_t magic;
    atomic_int refs;
    atomic_bool entered; /* inside cio_context_run */
    struct cio__vars *vars;
};

/* The current context of a thread that runs no loop (or a pool thread). */
static _Thread_local struct cio__vars *thread_vars;

/* ---- maps --------------------------------------------------------------------------- */

struct cio__vars *cio__vars_ref(struct cio__vars *vars) {
    if (vars) atomic_fetch_add_explicit(&vars->refs, 1, memory_order_relaxed);
    return vars;
}

static void var_unref(struct cio__var *var) {
    if (atomic_fetch_sub_explicit(&var->refs, 1, memory_order_acq_rel) != 1) return;
    if (var->key->destructor) var->key->destructor(var->value);
    free(var);
}

void cio__vars_unref(struct cio__vars *vars) {
    if (!vars || atomic_fetch_sub_explicit(&vars->refs, 1, memory_order_acq_rel) != 1) return;
    for (unsigned i = 0; i < vars->count; i++) var_unref(vars->items[i]);
    free(vars);
}

/* Where the current context is kept: the running task's, the running
 * callback's (loop->vars, set by cio_context_run), or the thread's. */
static struct cio__vars **current_slot(void) {
    cio_loop *loop = cio__running_loop;
    if (!loop) return &thread_vars;
    return loop->head.current ? &loop->head.current->vars : &loop->vars;
}

struct cio__vars *cio__vars_current(void) {
    return cio__vars_ref(*current_slot());
}

struct cio__vars *cio__vars_enter_thread(struct cio__vars *vars) {
    struct cio__vars *previous = thread_vars;
    thread_vars = vars;
    return previous;
}

static int find(const struct cio__vars *vars, const cio_context_key *key) {
    for (unsigned i = 0; vars && i < vars->count; i++)
        if (vars->items[i]->key == key) return (int)i;
    return -1;
}

static struct cio__vars *vars_alloc(unsigned count) {
    struct cio__vars *vars = malloc(sizeof *vars + count * sizeof vars->items[0]);
    if (!vars) return NULL;
    atomic_init(&vars->refs, 1);
    vars->count = count;
    return vars;
}

/* old's boxes but the one at skip (-1: none) into fresh, referenced; n of them. */
static unsigned copy_items(struct cio__vars *fresh, const struct cio__vars *old, int skip) {
    unsigned n = 0;
    for (unsigned i = 0; old && i < old->count; i++) {
        if ((int)i == skip) continue;
        atomic_fetch_add_explicit(&old->items[i]->refs, 1, memory_order_relaxed);
        fresh->items[n++] = old->items[i];
    }
    return n;
}

static bool key_ok(const cio_context_key *key, const char *caller) {
    if (key && key->magic == CIO__CONTEXT_KEY_MAGIC) return true;
    if (key)
        cio__complain("%s: key %p was not set up (CIO_CONTEXT_KEY_INIT or cio_context_key_init)",
                      caller, (const void *)key);
    return false;
}

/* ---- keys and values ------------------------------------------------------------------- */

int cio_context_key_init(cio_context_key *key, const char *name, void (*destructor)(void *value)) {
    if (!key) return -EINVAL;
    *key = (cio_context_key)CIO_CONTEXT_KEY_INIT(name, destructor);
    return 0;
}

int cio_context_set(const cio_context_key *key, void *value) {
    if (!key_ok(key, "cio_context_set")) return -EINVAL;
    struct cio__vars **slot = current_slot();
    int at = find(*slot, key);
    unsigned count = (*slot ? (*slot)->count : 0) + (at < 0);
    struct cio__var *var = malloc(sizeof *var);
    struct cio__vars *fresh = vars_alloc(count);
    if (!var || !fresh) {
        free(var);
        free(fresh);
        return -ENOMEM;
    }
    atomic_init(&var->refs, 1);
    var->key = key;
    var->value = value;
    unsigned n = copy_items(fresh, *slot, at);
    fresh->items[n] = var;
    cio__vars_unref(*slot);
    *slot = fresh;
    return 0;
}

int cio_context_get(const cio_context_key *key, void **value) {
    if (value) *value = NULL;
    if (!key_ok(key, "cio_context_get")) return -EINVAL;
    struct cio__vars *vars = *current_slot();
    int at = find(vars, key);
    if (at < 0) return -ENOENT;
    if (value) *value = vars->items[at]->value;
    return 0;
}

int cio_context_delete(const cio_context_key *key) {
    if (!key_ok(key, "cio_context_delete")) return -EINVAL;
    struct cio__vars **slot = current_slot();
    int at = find(*slot, key);
    if (at < 0) return -ENOENT;
    struct cio__vars *fresh = NULL;
    if ((*slot)->count > 1) {
        fresh = vars_alloc((*slot)->count - 1);
        if (!fresh) return -ENOMEM;
        copy_items(fresh, *slot, at);
    }
    cio__vars_unref(*slot);
    *slot = fresh;
    return 0;
}

/* ---- context objects -------------------------------------------------------------------- */

bool cio__context_valid(const cio_context *ctx) {
    return ctx && ctx->magic == CONTEXT_MAGIC;
}

/* A live context; false, with a report naming caller, for a stale handle
 * (a context freed into the quarantine, core/handle.c). */
static bool context_ok(const cio_context *ctx, const char *caller) {
    return cio__handle_check(ctx, CONTEXT_MAGIC, "context", caller) == 0;
}

int cio_context_copy(cio_context **out) {
    if (!out) return -EINVAL;
    *out = NULL;
    cio_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return -ENOMEM;
    ctx->magic = CONTEXT_MAGIC;
    atomic_init(&ctx->refs, 1);
    ctx->vars = cio__vars_current();
    *out = ctx;
    return 0;
}

cio_context *cio_context_ref(cio_context *ctx) {
    if (context_ok(ctx, __func__)) atomic_fetch_add_explicit(&ctx->refs, 1, memory_order_relaxed);
    return ctx;
}

void cio_context_unref(cio_context *ctx) {
    if (!context_ok(ctx, __func__)) return;
    if (atomic_fetch_sub_explicit(&ctx->refs, 1, memory_order_acq_rel) != 1) return;
    cio__vars_unref(ctx->vars);
    cio__handle_retire(ctx); /* a stale handle is reported (core/handle.c) */
}

struct cio__vars *cio__context_vars(cio_context *ctx) {
    return context_ok(ctx, __func__) ? cio__vars_ref(ctx->vars) : NULL;
}

int cio_context_run(cio_context *ctx, void *(*fn)(void *arg), void *arg, void **result) {
    if (result) *result = NULL;
    if (!context_ok(ctx, __func__) || !fn) return -EINVAL;
    if (atomic_exchange(&ctx->entered, true)) {
        cio__complain("cio_context_run: the context is already entered");
        return -EBUSY;
    }
    /* The slot is re-read after fn: a task's slot stays put across its
     * suspensions, and a callback's is the loop's. */
    struct cio__vars **slot = current_slot();
    struct cio__vars *saved = *slot;
    *slot = ctx->vars;
    void *value = fn(arg);
    slot = current_slot();
    ctx->vars = *slot;
    *slot = saved;
    atomic_store(&ctx->entered, false);
    if (result) *result = value;
    return 0;
}
