/* src/os/signal.c - the loop's half of signal handling: handlers, waiting
 * tasks, internal subscribers, and cio_run()'s SIGINT.
 *
 * A loop catches signo while it has a handler, an internal subscriber, or a
 * task ever waited for it (`caught`, kept until close so a signal between two
 * waits is not lost to the default action). The pump posts arrivals into the
 * atomic `arrived` mask; dispatch() takes the mask and, per signal, runs the
 * subscriber, the handler, and wakes the waiting tasks (or keeps it for the
 * next wait). */
#include "os/os.h"

#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static bool catchable(int signo) {
    if (signo <= 0 || signo >= CIO__SIG_MAX) return false;
    return signo != SIGKILL && signo != SIGSTOP && signo != SIGSEGV && signo != SIGBUS &&
           signo != SIGILL && signo != SIGFPE;
}

static struct cio__signals *signals_of(struct cio__os *os) {
    if (os->signals) return os->signals;
    struct cio__signals *signals = calloc(1, sizeof *signals);
    if (!signals) return NULL;
    signals->loop = os->loop;
    atomic_init(&signals->arrived, 0);
    cio__waitq_init(&signals->waiters);
    os->signals = signals;
    return signals;
}

static uint64_t wanted_now(const struct cio__signals *signals) {
    uint64_t wanted = signals->caught;
    for (int signo = 1; signo < CIO__SIG_MAX; signo++)
        if (signals->handlers[signo].cb || signals->internal[signo].fn)
            wanted |= CIO__SIG_BIT(signo);
    return wanted;
}

/* cio_run's SIGINT rule holds while the program neither handles nor waits
 * for SIGINT itself. */
static bool sigint_rule_applies(const struct cio__signals *signals) {
    return signals->main_task && !signals->handlers[SIGINT].cb &&
           !(signals->caught & CIO__SIG_BIT(SIGINT));
}

static int rewant(struct cio__signals *signals) {
    if (signals->main_task) cio__sigpump_sigint_rule(sigint_rule_applies(signals));
    return cio__sigpump_want(signals, wanted_now(signals));
}

void cio__signals_close(struct cio__os *os) {
    struct cio__signals *signals = os->signals;
    if (!signals) return;
    cio__sigpump_want(signals, 0); /* out of the registry: no post reaches us any more */
    cio_task_unref(signals->main_task);
    free(signals);
    os->signals = NULL;
}

/* ---- dispatch ---------------------------------------------------------------------- */

/* Wake every task waiting for signo; true if there was one. */
static bool wake_waiters(struct cio__signals *signals, int signo) {
    bool woke = false;
    cio_task *task = cio__waitq_first(&signals->waiters);
    while (task) {
        cio_task *next = cio__waitq_next(&signals->waiters, task);
        if (cio__wait_mask(task) & CIO__SIG_BIT(signo)) {
            cio__waitq_unhook(task);
            cio__wake(task, signo);
            woke = true;
        }
        task = next;
    }
    return woke;
}

static void deliver(struct cio__signals *signals, int signo) {
    if (signals->internal[signo].fn)
        signals->internal[signo].fn(signals->internal[signo].arg, signo);
    if (signals->handlers[signo].cb) signals->handlers[signo].cb(signals->handlers[signo].arg);
    if (!wake_waiters(signals, signo) && (signals->caught & CIO__SIG_BIT(signo)))
        signals->kept |= CIO__SIG_BIT(signo);
}

void cio__signals_dispatch(void *arg) {
    struct cio__signals *signals = arg;
    uint64_t arrived = atomic_exchange(&signals->arrived, 0);
    for (int signo = 1; signo < CIO__SIG_MAX; signo++)
        if (arrived & CIO__SIG_BIT(signo)) deliver(signals, signo);
}

/* ---- handlers -------------------------------------------------------------------------- */

static struct cio__signals *signals_for(cio_loop **loop, const char *caller, int *rc) {
    if (!*loop) *loop = cio__running_loop;
    *rc = cio__loop_check(*loop, caller);
    if (*rc < 0) return NULL;
    struct cio__os *os = cio__os_get(*loop);
    struct cio__signals *signals = os ? signals_of(os) : NULL;
    if (!signals) *rc = -ENOMEM;
    return signals;
}

int cio_add_signal_handler(cio_loop *loop, int signo, cio_callback cb, void *arg) {
    if (!cb || !catchable(signo)) return -EINVAL;
    int rc;
    struct cio__signals *signals = signals_for(&loop, "cio_add_signal_handler", &rc);
    if (!signals) return rc;
    struct cio__signal_handler before = signals->handlers[signo];
    signals->handlers[signo].cb = cb;
    signals->handlers[signo].arg = arg;
    rc = rewant(signals);
    if (rc < 0) signals->handlers[signo] = before;
    return rc;
}

int cio_remove_signal_handler(cio_loop *loop, int signo) {
    if (!catchable(signo)) return -EINVAL;
    int rc;
    struct cio__signals *signals = signals_for(&loop, "cio_remove_signal_handler", &rc);
    if (!signals) return rc;
    if (!signals->handlers[signo].cb) return -ENOENT;
    signals->handlers[signo].cb = NULL;
    signals->handlers[signo].arg = NULL;
    return rewant(signals); /* only shrinks: cannot fail */
}

int cio__signals_subscribe(struct cio__os *os, int signo, cio__signal_fn fn, void *arg) {
    struct cio__signals *signals = signals_of(os);
    if (!signals) return -ENOMEM;
    signals->internal[signo].fn = fn;
    signals->internal[signo].arg = arg;
    int rc = rewant(signals);
    if (rc < 0) signals->internal[signo].fn = NULL;
    return rc;
}

/* ---- waiting ------------------------------------------------------------------------------ */

/* The signals as a mask; 0 if any cannot be waited for. */
static uint64_t mask_of(const int *signos, size_t count) {
    uint64_t mask = 0;
    for (size_t i = 0; i < count; i++) {
        int signo = signos[i];
        if (!catchable(signo)) return 0;
        mask |= CIO__SIG_BIT(signo);
    }
    return mask;
}

/* A kept signal of mask, taken; 0 if none. */
static int take_kept(struct cio__signals *signals, uint64_t mask) {
    uint64_t ready = signals->kept & mask;
    if (!ready) return 0;
    int signo = __builtin_ctzll(ready);
    signals->kept &= ~CIO__SIG_BIT(signo);
    return signo;
}

int cio_wait_signals(const int *signos, size_t count) {
    cio_task *task = cio__task_current_or_complain("cio_wait_signals");
    if (!task) return -EPERM;
    uint64_t mask = signos ? mask_of(signos, count) : 0;
    if (!mask) return -EINVAL;
    struct cio__os *os = cio__os_get(cio__task_loop(task));
    struct cio__signals *signals = os ? signals_of(os) : NULL;
    if (!signals) return -ENOMEM;
    if ((signals->caught & mask) != mask) {
        uint64_t before = signals->caught;
        signals->caught |= mask;
        int rc = rewant(signals);
        if (rc < 0) {
            signals->caught = before;
            return rc;
        }
    }
    int rc = cio__wait_deliver_pending(task);
    if (rc < 0) return rc;
    int kept = take_kept(signals, mask);
    if (kept) return kept;
    cio__wait_set_mask(task, mask);
    cio__wait_tag(task, CIO_WAIT_SIGNAL, signals);
    return cio__waitq_park(&signals->waiters, task, NULL, NULL);
}

int cio_wait_signal(int signo) {
    return cio_wait_signals(&signo, 1);
}

/* ---- cio_run's SIGINT ----------------------------------------------------------------------- */

/* asyncio.run's rule: the first SIGINT cancels the main task, unless the
 * program handles SIGINT itself; a second one kills the process the default
 * way. The signal handler applies the second part itself (sigpump.c), as the
 * loop may never turn again; this is the fallback for the first SIGINT
 * arriving after the main task is done. */
static void on_sigint(void *arg, int signo) {
    struct cio__signals *signals = arg;
    if (signals->handlers[SIGINT].cb || (signals->caught & CIO__SIG_BIT(SIGINT))) return;
    if (++signals->sigints == 1 && !cio_task_done(signals->main_task)) {
        cio_task_cancel(signals->main_task);
        return;
    }
    signal(signo, SIG_DFL);
    raise(signo);
}

static bool on_main_thread(void) {
    return syscall(SYS_gettid) == getpid();
}

void cio__signal_run_begin(cio_loop *loop, cio_task *main_task) {
    struct sigaction current;
    if (!on_main_thread() || sigaction(SIGINT, NULL, &current) != 0 ||
        current.sa_handler != SIG_DFL)
        return;
    struct cio__os *os = cio__os_get(loop);
    struct cio__signals *signals = os ? signals_of(os) : NULL;
    if (!signals || cio__signals_subscribe(os, SIGINT, on_sigint, signals) < 0) return;
    signals->main_task = cio_task_ref(main_task);
    signals->sigints = 0;
    cio__sigpump_sigint_rule(sigint_rule_applies(signals));
}

int cio__signal_run_end(cio_loop *loop, int status) {
    struct cio__os *os = cio__os_get(loop);
    struct cio__signals *signals = os ? os->signals : NULL;
    if (!signals || !signals->main_task) return status;
    cio__signals_subscribe(os, SIGINT, NULL, NULL);
    cio_task_unref(signals->main_task);
    signals->main_task = NULL;
    cio__sigpump_sigint_rule(false);
    return status == -ECANCELED && signals->sigints > 0 ? -EINTR : status;
}
