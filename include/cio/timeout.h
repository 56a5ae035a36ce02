/* cio/timeout.h - timeout scopes (asyncio.timeout / Trio's move_on_after).
 *
 *     cio_timeout scope;
 *     cio_timeout_begin(&scope, 2.0);
 *     rc = fetch(...);                     // awaits return -ETIMEDOUT after 2 s
 *     if (cio_timeout_end(&scope) == -ETIMEDOUT) ... // this scope fired
 *
 * Inside an open scope whose deadline has passed, every await of the task
 * returns -ETIMEDOUT at once (level-triggered, like cancellation). Scopes
 * nest; the earliest deadline wins, and only the scope that fired reports it
 * (with equal deadlines, the outermost). Cancellation takes precedence over a
 * timeout. The scope lives in the caller's storage (usually its stack) and
 * must be ended, innermost first, before that storage goes away.
 *
 * A shielded scope is a cleanup region with a time limit (Trio's
 * CancelScope(shield=True) with a deadline):
 *
 *     cio_timeout cleanup;
 *     cio_timeout_begin_shielded(&cleanup, 5.0);  // cancellation can't stop us...
 *     send_goodbye(conn);                          // ...but 5 s can
 *     cio_timeout_end(&cleanup);
 *
 * Inside it, cancellation of the task and the deadlines of the scopes
 * outside it do not interrupt awaits; they are delivered at the first await
 * after it ends. Its own deadline (and those of scopes opened inside it)
 * still do. cio_shield_begin() is the stronger form: nothing interrupts.
 *
 * asyncio.timeout(d) / timeout_at(w) / Timeout.when() / reschedule() /
 * expired() map to begin / begin_at / when / reschedule / expired.
 * All functions: loop thread only; begin and end inside a task. */
#ifndef CIO_TIMEOUT_H
#define CIO_TIMEOUT_H

#include "task.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Caller-owned storage for one scope; its fields are private. */
typedef struct cio_timeout {
    uint64_t opaque[6];
} cio_timeout;

/* Open a scope that expires delay seconds from now (INFINITY: never, to be
 * set later with cio_timeout_reschedule). Returns 0, -EINVAL (NULL, NaN),
 * -EPERM outside a task. */
CIO_EXPORT int cio_timeout_begin(cio_timeout *scope, double delay);

/* Open a scope that expires at absolute loop time when (asyncio.timeout_at). */
CIO_EXPORT int cio_timeout_begin_at(cio_timeout *scope, double when);

/* As cio_timeout_begin(), and shielded (see above): a cleanup region that
 * cancellation and outer deadlines do not interrupt, bounded by delay
 * (INFINITY: only cancellation is held off, like Trio's shield=True). */
CIO_EXPORT int cio_timeout_begin_shielded(cio_timeout *scope, double delay);

/* Raise or lower an open scope's shield (Trio's cancel_scope.shield = ...).
 * Lowering it lets a cancellation or an outer deadline that is due reach the
 * scope's task at once, even while it is parked. May be called by any task
 * of the loop. Returns 0 or -EINVAL (NULL, not open). */
CIO_EXPORT int cio_timeout_set_shield(cio_timeout *scope, bool shield);

/* True if scope is open and shielded. */
CIO_EXPORT bool cio_timeout_shielded(const cio_timeout *scope);

/* Move an open scope's deadline to absolute loop time when (INFINITY:
 * never). May be called by any task of the loop. Returns 0, -EINVAL (NULL,
 * not open, NaN), or -EALREADY if the scope has already fired (it stays
 * expired; asyncio raises RuntimeError). */
CIO_EXPORT int cio_timeout_reschedule(cio_timeout *scope, double when);

/* The scope's deadline in loop time (INFINITY if none); NAN if not open. */
CIO_EXPORT double cio_timeout_when(const cio_timeout *scope);

/* True if this scope has fired (an await in it returned -ETIMEDOUT because
 * of its deadline). */
CIO_EXPORT bool cio_timeout_expired(const cio_timeout *scope);

/* Close the innermost open scope, which must be scope. Returns -ETIMEDOUT if
 * this scope fired, else 0; -EINVAL, with a one-line report, if scope is not
 * open, not the calling task's, or not its innermost open scope (scopes end
 * innermost first). A task that ends with a scope or shield still open is
 * reported too (naming the task); its scopes are then dropped. */
CIO_EXPORT int cio_timeout_end(cio_timeout *scope);

/* A scope that cannot be left open (gcc, clang: needs cleanup attributes):
 *
 *     cio_timeout t;
 *     CIO_WITH_TIMEOUT(&t, 2.0) {
 *         rc = fetch(...);            // -ETIMEDOUT after 2 s
 *         if (rc < 0) return rc;      // fine: the scope ends on the way out
 *     }
 *     if (cio_timeout_expired(&t)) ...
 *
 * The block runs once inside cio_timeout_begin(scope, seconds) and the
 * scope ends however the block is left: at its end, or by break, continue
 * (both leave the block, as from a one-pass loop), return or goto. Only
 * longjmp skips the end. A scope that could not begin (NaN, outside a task)
 * runs the block without a deadline (a NULL scope skips it). Scopes opened
 * inside with
 * cio_timeout_begin must still be ended inside. */
#if defined(__GNUC__)
#define CIO_WITH_TIMEOUT(scope, seconds)     CIO__WITH_TIMEOUT(scope, seconds, __COUNTER__)
#define CIO__WITH_TIMEOUT(scope, seconds, n) CIO__WITH_TIMEOUT_N(scope, seconds, n)
#define CIO__WITH_TIMEOUT_N(scope, seconds, n)                                                     \
    CIO__WITH_TIMEOUT_NAMED(scope, seconds, cio__guard##n)
#define CIO__WITH_TIMEOUT_NAMED(scope, seconds, guard)                                             \
    for (cio_timeout * guard __attribute__((cleanup(cio_timeout_guard_cleanup))) =                 \
             cio_timeout_guard_begin((scope), (seconds));                                          \
         guard; guard = cio_timeout_guard_end(guard))
#endif

/* CIO_WITH_TIMEOUT's helpers; not for direct use. */
CIO_EXPORT cio_timeout *cio_timeout_guard_begin(cio_timeout *scope, double seconds);
CIO_EXPORT cio_timeout *cio_timeout_guard_end(cio_timeout *scope);
CIO_EXPORT void cio_timeout_guard_cleanup(cio_timeout **guard);

#ifdef __cplusplus
}
#endif
#endif
