/* cio/context.h - task-local context (Python's contextvars).
 *
 *     static cio_context_key request_id = CIO_CONTEXT_KEY_INIT("request_id", free);
 *     cio_context_set(&request_id, strdup("req-42"));   // in a task
 *     cio_create_task(handler, NULL, &t);             // t sees "req-42"
 *     void *id; cio_context_get(&request_id, &id);    // in handler, or a
 *                                                     // cio_to_thread job it runs
 *
 * asyncio                          cio
 * -------                          ---
 * ContextVar("name")               static cio_context_key k = CIO_CONTEXT_KEY_INIT("name", dtor)
 * var.set(v) / var.get()           cio_context_set(&k, v) / cio_context_get(&k, &v)
 * token = var.set(v)               cio_context_set_token(&k, v, &token)
 * var.reset(token)                 cio_context_reset(&k, &token)
 * token.old_value (MISSING)        cio_context_token_old_value(&token, &v) (-ENOENT)
 * (unset a var outright)           cio_context_delete(&k)
 * contextvars.copy_context()       cio_context_copy(&ctx)
 * ctx.run(fn, arg)                 cio_context_run(ctx, fn, arg, &result)
 * loop.call_soon(cb, context=ctx)  cio_call_soon_ex(loop, cb, arg, &opts, &h), opts.context
 * create_task(coro, context=ctx)   cio_task_options.context
 *
 * Where the current context lives: in the running task; in a callback, the
 * context it was scheduled with (cio_call_soon_ex) or an empty one; outside
 * any loop (and on a thread-pool thread running a job), in the thread.
 *
 * Copy on create, as asyncio: a new task starts with a copy of its
 * creator's context (or of cio_task_options.context), and so does a
 * cio_run_in_executor / cio_to_thread job; a set in the child is not seen
 * by the parent and a later set in the parent is not seen by the child.
 * A copy costs no allocation (contexts are immutable maps, shared), and a
 * task in a program that sets nothing carries only a NULL pointer.
 *
 * Values are the caller's pointers. A key's destructor (may be NULL) runs
 * once no context holds the value any more: it was replaced or deleted
 * everywhere it was seen, and every task and job holding it has finished.
 * That may be on a thread-pool thread when a job held the value last, so a
 * destructor must be thread-safe (free() is). A key must outlive every
 * value set for it (a static key is the usual form).
 *
 * Threads: any thread may call these; each acts on that thread's current
 * context (the running task's on a loop thread). */
#ifndef CIO_CONTEXT_H
#define CIO_CONTEXT_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A context variable: its identity is its address. A value type: set it up
 * with CIO_CONTEXT_KEY_INIT or cio_context_key_init(); no teardown. */
typedef struct cio_context_key {
    const char *name;                /* borrowed, for diagnostics */
    void (*destructor)(void *value); /* may be NULL */
    uint32_t magic;                  /* set by the initialisers */
} cio_context_key;

#define CIO__CONTEXT_KEY_MAGIC 0x63696f4bu /* "cioK" */
#define CIO_CONTEXT_KEY_INIT(name, destructor)                                                     \
    { (name), (destructor), CIO__CONTEXT_KEY_MAGIC }

/* Set up key (name borrowed, destructor may be NULL). Returns 0 or -EINVAL
 * (NULL key). Any thread. */
CIO_EXPORT int cio_context_key_init(cio_context_key *key, const char *name,
                                    void (*destructor)(void *value));

/* Bind key to value in the current context (value may be NULL, which is a
 * value, not "unset"). The value it replaces gets its destructor once no
 * context holds it. Returns 0, -EINVAL (NULL or uninitialised key) or
 * -ENOMEM (nothing changed; value is still the caller's). */
CIO_EXPORT int cio_context_set(const cio_context_key *key, void *value);

/* The current context's value of key: 0 with it in *value (borrowed: valid
 * while the current context holds it), or -ENOENT (never set here) or
 * -EINVAL (NULL or uninitialised key), with *value NULL. value may be NULL
 * to test only. */
CIO_EXPORT int cio_context_get(const cio_context_key *key, void **value);

/* Unbind key in the current context. Returns 0, -ENOENT (it was not set),
 * -EINVAL or -ENOMEM. */
CIO_EXPORT int cio_context_delete(const cio_context_key *key);

/* A token (contextvars.Token): what cio_context_reset needs to put a key back
 * as it was before one set. A value in the caller's storage, but unlike
 * other values it holds a reference: to the value the key had before (so
 * it is still there to restore). It gives the reference back when it is
 * used (cio_context_reset) or dropped (cio_context_token_discard); a token
 * neither used nor dropped keeps that old value alive (its destructor never
 * runs). key is the key it was made for (Token.var), read-only; the rest is
 * private. A token may be used once, by the thread it was made on. */
typedef struct cio_context_token {
    const cio_context_key *key;
    uint64_t opaque[4];
} cio_context_token;

/* var.set(value) returning a Token: cio_context_set, and *token (not NULL)
 * records what key had before (or that it was unset) and which context the
 * set was made in. Returns 0, -EINVAL (NULL or uninitialised key, NULL
 * token) or -ENOMEM (nothing changed); on failure *token is left unusable
 * (reset gives -EINVAL, discard does nothing). Any thread, as cio_context_set.
 *
 *     cio_context_token token;
 *     cio_context_set_token(&request_id, "inner", &token);
 *     ...
 *     cio_context_reset(&request_id, &token);   // back to what it was */
CIO_EXPORT int cio_context_set_token(const cio_context_key *key, void *value,
                                     cio_context_token *token);

/* var.reset(token): put key back in the current context as it was before the
 * set that made token: the old value again (the same pointer, kept alive by
 * the token), or unset if it had none. Values set for key in between are
 * dropped (their destructors run once no context holds them); other keys
 * are untouched. Consumes the token on success. Returns 0, or (token kept,
 * nothing changed, a one-line report):
 *   -EALREADY  token was used already (Python's RuntimeError);
 *   -EINVAL    NULL or uninitialised key, NULL or never-made token, or a
 *              token made for another key (ValueError);
 *   -EXDEV     token was made in another context: another task, callback,
 *              thread or cio_context_run (ValueError);
 *   -ENOMEM.
 * Any thread: the one the token was made on, in the same context. */
CIO_EXPORT int cio_context_reset(const cio_context_key *key, cio_context_token *token);

/* Token.old_value: 0 with the value key had before the set in *value
 * (borrowed: valid while the token or a context holds it), or -ENOENT (it
 * was unset: Token.MISSING), -EALREADY (token used or discarded) or -EINVAL
 * (NULL or never-made token), with *value NULL. value may be NULL. Any
 * thread. */
CIO_EXPORT int cio_context_token_old_value(const cio_context_token *token, void **value);

/* Drop an unused token: give back its reference to the old value (whose
 * destructor may then run). A used, discarded, NULL or never-made token:
 * no-op. Any thread. */
CIO_EXPORT void cio_context_token_discard(cio_context_token *token);

/* A context object (contextvars.Context): a handle holding a set of values,
 * counted with cio_context_ref / cio_context_unref. */
typedef struct cio_context cio_context;

/* copy_context(): a new context holding the current context's values. *out
 * gets the caller's reference (NULL on failure). Returns 0, -EINVAL (NULL
 * out) or -ENOMEM. */
CIO_EXPORT int cio_context_copy(cio_context **out);

CIO_EXPORT cio_context *cio_context_ref(cio_context *ctx);
/* Drop a reference (NULL: no-op); the last one frees ctx and releases its
 * values. */
CIO_EXPORT void cio_context_unref(cio_context *ctx);

/* ctx.run(fn, arg): run fn(arg) with ctx as the current context; what fn
 * sets stays in ctx (and is not seen by the caller's context), as in
 * Python. fn runs synchronously on the caller's stack (if it suspends, the
 * calling task suspends with it). Returns 0 with fn's return value in
 * *result (may be NULL), -EINVAL (NULL ctx or fn), or -EBUSY (ctx is
 * already being run: Python's RuntimeError). Any thread, one at a time per
 * ctx. */
CIO_EXPORT int cio_context_run(cio_context *ctx, void *(*fn)(void *arg), void *arg, void **result);

#ifdef __cplusplus
}
#endif
#endif
