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

/* Who a current context belongs to, for tokens: a task (its id, never
 * reused on its loop), a loop's callbacks, a thread, or a context object
 * being run (serial 0). Compared, never dereferenced. */
struct owner {
    const void *where;
    uint64_t serial;
};

struct cio_context {
    uint32_t magic;
    atomic_int refs;
    atomic_bool entered; /* inside cio_context_run */
    struct cio__vars *vars;
    /* While entered: whose context it stands in for, and the next context
     * entered on this thread (the thread's list, newest first). */
    struct owner entered_by;
    cio_context *entered_next;
};

/* The current context of a thread that runs no loop (or a pool thread). */
static _Thread_local struct cio__vars *thread_vars;

/* The contexts being run (cio_context_run) on this thread, newest first.
 * A task that suspends inside a run leaves its entry here, so the list is
 * searched by owner rather than treated as a stack. Each entry holds a
 * reference to its context, so an entry never dangles: a task freed while
 * suspended inside a run (its loop freed under it) leaves its context
 * entered and referenced for good, matching no owner again (task ids are
 * not reused). */
static _Thread_local cio_context *entered_list;

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

/* The owner of the slot current_slot() gives, before any cio_context_run. */
static struct owner slot_owner(void) {
    cio_loop *loop = cio__running_loop;
    if (!loop) return (struct owner){&thread_vars, 0};
    cio_task *task = loop->head.current;
    if (task) return (struct owner){task, task->id};
    return (struct owner){loop, cio__loop_serial(loop)};
}

static bool same_owner(struct owner a, struct owner b) {
    return a.where == b.where && a.serial == b.serial;
}

/* Whose the current context is: the innermost context object run by the
 * slot's owner, else the owner itself (Python's "the current Context"). */
static struct owner current_owner(void) {
    struct owner slot = slot_owner();
    for (cio_context *ctx = entered_list; ctx; ctx = ctx->entered_next)
        if (same_owner(ctx->entered_by, slot)) return (struct owner){ctx, 0};
    return slot;
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

/* Bind key to box (whose reference the current context takes over) in a
 * new map of the current context. Returns 0 or -ENOMEM (box untouched). */
static int install(const cio_context_key *key, struct cio__var *box) {
    struct cio__vars **slot = current_slot();
    int at = find(*slot, key);
    unsigned count = (*slot ? (*slot)->count : 0) + (at < 0);
    struct cio__vars *fresh = vars_alloc(count);
    if (!fresh) return -ENOMEM;
    unsigned n = copy_items(fresh, *slot, at);
    fresh->items[n] = box;
    cio__vars_unref(*slot);
    *slot = fresh;
    return 0;
}

int cio_context_set(const cio_context_key *key, void *value) {
    if (!key_ok(key, "cio_context_set")) return -EINVAL;
    struct cio__var *var = malloc(sizeof *var);
    if (!var) return -ENOMEM;
    atomic_init(&var->refs, 1);
    var->key = key;
    var->value = value;
    int rc = install(key, var);
    if (rc < 0) free(var);
    return rc;
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

/* ---- tokens (contextvars.Token) ------------------------------------------------------- */

#define TOKEN_MAGIC      0x63696f54u /* "cioT": made, not used yet */
#define TOKEN_USED_MAGIC 0x63696f55u /* "cioU": used or discarded */

/* What a cio_context_token's opaque words hold. */
struct token {
    struct cio__var *old; /* a reference to the box key had, or NULL: unset */
    struct owner made_in;
    uint64_t magic;
};
_Static_assert(sizeof(struct token) <= sizeof(((cio_context_token *)0)->opaque),
               "cio_context_token too small");

/* The token's state, copied out of / into its opaque words (memcpy: no
 * access through another type than the words were stored with). */
static struct token load(const cio_context_token *token) {
    struct token t;
    memcpy(&t, token->opaque, sizeof t);
    return t;
}

static void store(cio_context_token *token, struct token t) {
    memcpy(token->opaque, &t, sizeof t);
}

int cio_context_set_token(const cio_context_key *key, void *value, cio_context_token *token) {
    if (token) memset(token, 0, sizeof *token);
    if (!key_ok(key, "cio_context_set_token") || !token) return -EINVAL;
    struct cio__vars *vars = *current_slot();
    int at = find(vars, key);
    struct cio__var *old = at < 0 ? NULL : vars->items[at];
    if (old) atomic_fetch_add_explicit(&old->refs, 1, memory_order_relaxed);
    int rc = cio_context_set(key, value);
    if (rc < 0) {
        if (old) var_unref(old);
        return rc;
    }
    token->key = key;
    store(token, (struct token){old, current_owner(), TOKEN_MAGIC});
    return 0;
}

/* 0 for a token made and not used yet, else the error, reported. */
static int token_check(const cio_context_token *token, const char *caller) {
    if (!token) return -EINVAL;
    uint64_t magic = load(token).magic;
    if (magic == TOKEN_MAGIC) return 0;
    if (magic == TOKEN_USED_MAGIC) {
        cio__complain("%s: the token of %s has already been used once", caller,
                      token->key && token->key->name ? token->key->name : "a key");
        return -EALREADY;
    }
    cio__complain("%s: token %p was not made by cio_context_set_token", caller,
                  (const void *)token);
    return -EINVAL;
}

/* Mark token used; its reference (if any) went to a context or was dropped. */
static void used(cio_context_token *token) {
    store(token, (struct token){NULL, {NULL, 0}, TOKEN_USED_MAGIC});
}

int cio_context_reset(const cio_context_key *key, cio_context_token *token) {
    if (!key_ok(key, "cio_context_reset")) return -EINVAL;
    int rc = token_check(token, "cio_context_reset");
    if (rc < 0) return rc;
    struct token t = load(token);
    if (token->key != key) {
        cio__complain("cio_context_reset: the token was made by another key (%s, not %s)",
                      token->key->name ? token->key->name : "?", key->name ? key->name : "?");
        return -EINVAL;
    }
    if (!same_owner(t.made_in, current_owner())) {
        cio__complain("cio_context_reset: the token of %s was made in another context",
                      key->name ? key->name : "a key");
        return -EXDEV;
    }
    if (t.old)
        rc = install(key, t.old);
    else if (find(*current_slot(), key) >= 0)
        rc = cio_context_delete(key);
    if (rc < 0) return rc;
    used(token);
    return 0;
}

int cio_context_token_old_value(const cio_context_token *token, void **value) {
    if (value) *value = NULL;
    int rc = token_check(token, "cio_context_token_old_value");
    if (rc < 0) return rc;
    struct token t = load(token);
    if (!t.old) return -ENOENT;
    if (value) *value = t.old->value;
    return 0;
}

void cio_context_token_discard(cio_context_token *token) {
    if (!token) return;
    struct token t = load(token);
    if (t.magic != TOKEN_MAGIC) return;
    if (t.old) var_unref(t.old);
    used(token);
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

/* Take ctx out of this thread's entered list (not always its head: tasks
 * interleave their runs). */
static void unlink_entered(cio_context *ctx) {
    for (cio_context **at = &entered_list; *at; at = &(*at)->entered_next)
        if (*at == ctx) {
            *at = ctx->entered_next;
            return;
        }
}

int cio_context_run(cio_context *ctx, void *(*fn)(void *arg), void *arg, void **result) {
    if (result) *result = NULL;
    if (!context_ok(ctx, __func__) || !fn) return -EINVAL;
    if (atomic_exchange(&ctx->entered, true)) {
        cio__complain("cio_context_run: the context is already entered");
        return -EBUSY;
    }
    cio_context_ref(ctx); /* the thread's entered list holds it until fn returns */
    ctx->entered_by = slot_owner();
    ctx->entered_next = entered_list;
    entered_list = ctx;
    /* The slot is re-read after fn: a task's slot stays put across its
     * suspensions, and a callback's is the loop's. */
    struct cio__vars **slot = current_slot();
    struct cio__vars *saved = *slot;
    *slot = ctx->vars;
    void *value = fn(arg);
    slot = current_slot();
    ctx->vars = *slot;
    *slot = saved;
    unlink_entered(ctx);
    atomic_store(&ctx->entered, false);
    cio_context_unref(ctx);
    if (result) *result = value;
    return 0;
}
