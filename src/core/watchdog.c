/* src/core/watchdog.c - the stall detector: a thread that notices the loop
 * has not come back to poll for N ms, and makes the loop thread print what
 * it is running, once per stall, without stopping it (Seastar's reactor
 * stall detector).
 *
 * The loop's side is two relaxed stores around each poll
 * (cio__loop_heartbeat: a beat count and an idle flag), paid whether a
 * watchdog runs or not; nothing else. The watchdog thread wakes every
 * period/4, and when the beat has not moved for a period while the loop is
 * not idle, it sends WATCHDOG_SIGNAL to the loop thread. The handler runs on
 * the stalled stack itself: it walks the frame-pointer chain from the
 * interrupted registers (async-signal-safe: loads checked against the
 * running stack's bounds) and writes the frames with write(2) and
 * backtrace_symbols_fd (which takes the loader's lock: a stall inside
 * dlopen could deadlock the report - an accepted edge). The signal may cut
 * a blocking syscall of the stalled code short with EINTR (a sleep, a read
 * without SA_RESTART semantics): the price of seeing inside it. */
#include "core/backtrace.h"
#include "core/task.h"

#include <execinfo.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define WATCHDOG_SIGNAL (SIGRTMAX - 2)
#define MAX_FRAMES      48

struct cio__watchdog {
    cio_loop *loop;
    pthread_t thread, loop_thread;
    int64_t period_ns;
    uintptr_t stack_lo, stack_hi; /* the loop thread's own stack */
    pthread_mutex_t lock;
    pthread_cond_t wake; /* signalled to stop */
    bool stop;
    atomic_uint reports;
    struct cio__close_hook hook;
};

/* ---- the loop thread's side: the signal handler ---------------------------------- */

static void put(const char *text) {
    ssize_t ignored = write(STDERR_FILENO, text, strlen(text));
    (void)ignored;
}

static void put_number(uint64_t value) {
    char digits[24];
    size_t len = 0;
    do digits[sizeof digits - 1 - len++] = (char)('0' + value % 10);
    while ((value /= 10) && len < sizeof digits - 1);
    ssize_t ignored = write(STDERR_FILENO, digits + sizeof digits - len, len);
    (void)ignored;
}

/* The interrupted frame pointer and pc, where this CPU has them. */
static bool interrupted_at(const ucontext_t *uc, uintptr_t *fp, uintptr_t *pc) {
#if defined(__x86_64__)
    *fp = (uintptr_t)uc->uc_mcontext.gregs[REG_RBP];
    *pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    return true;
#elif defined(__aarch64__)
    *fp = (uintptr_t)uc->uc_mcontext.regs[29];
    *pc = (uintptr_t)uc->uc_mcontext.pc;
    return true;
#else
    (void)uc, (void)fp, (void)pc;
    return false;
#endif
}

static void report(struct cio__watchdog *dog, const ucontext_t *uc) {
    cio_task *task = dog->loop->head.current;
    put("cio: watchdog: the loop has not polled for ");
    put_number((uint64_t)(dog->period_ns / 1000000));
    put(" ms; it runs ");
    if (task) {
        put("task '");
        if (task->name) {
            put(task->name);
        } else { /* a default name may not be written out yet (task.c) */
            put("Task-");
            put_number(task->id);
        }
        put("' #");
        put_number(task->id);
    } else {
        put("the scheduler (a callback)");
    }
    put(":\n");
    const struct cio__stack *stack = cio__stack_running;
    uintptr_t lo = stack ? (uintptr_t)stack->top - stack->size : dog->stack_lo;
    uintptr_t hi = stack ? (uintptr_t)stack->top : dog->stack_hi;
    void *frames[MAX_FRAMES];
    uintptr_t fp, pc;
    if (!interrupted_at(uc, &fp, &pc)) {
        put("  (no backtrace on this CPU)\n");
        return;
    }
    frames[0] = (void *)pc;
    size_t count = 1 + cio__backtrace_walk(fp, lo, hi, frames + 1, MAX_FRAMES - 1);
    backtrace_symbols_fd(frames, (int)count, STDERR_FILENO);
}

static void on_signal(int signo, siginfo_t *info, void *context) {
    (void)signo, (void)info;
    int saved = errno;
    cio_loop *loop = cio__running_loop; /* initial-exec TLS: safe here */
    if (loop && loop->watchdog) {
        report(loop->watchdog, context);
        atomic_fetch_add(&loop->watchdog->reports, 1);
    }
    errno = saved;
}

/* Idempotent; the handler does nothing for a thread whose loop has none. */
static int install_handler(void) {
    struct sigaction sa = {.sa_sigaction = on_signal,
                           .sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK};
    sigemptyset(&sa.sa_mask);
    return sigaction(WATCHDOG_SIGNAL, &sa, NULL) < 0 ? -errno : 0;
}

/* ---- the watchdog thread ------------------------------------------------------------- */

static int64_t monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * CIO__NS_PER_SEC + ts.tv_nsec;
}

/* Sleep a quarter period, or until told to stop: true to go on. */
static bool nap(struct cio__watchdog *dog) {
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    int64_t ns = until.tv_nsec + dog->period_ns / 4;
    until.tv_sec += ns / CIO__NS_PER_SEC;
    until.tv_nsec = ns % CIO__NS_PER_SEC;
    pthread_mutex_lock(&dog->lock);
    while (!dog->stop && pthread_cond_timedwait(&dog->wake, &dog->lock, &until) == 0) {
    }
    bool go_on = !dog->stop;
    pthread_mutex_unlock(&dog->lock);
    return go_on;
}

static void *watch(void *arg) {
    struct cio__watchdog *dog = arg;
    uint64_t last = 0, reported = UINT64_MAX;
    int64_t since = monotonic_ns();
    while (nap(dog)) {
        uint64_t beat = atomic_load_explicit(&dog->loop->beat, memory_order_relaxed);
        int64_t now = monotonic_ns();
        if (beat != last || atomic_load_explicit(&dog->loop->idle, memory_order_relaxed)) {
            last = beat;
            since = now;
        } else if (now - since >= dog->period_ns && reported != beat) {
            reported = beat; /* once per stall */
            pthread_kill(dog->loop_thread, WATCHDOG_SIGNAL);
        }
    }
    return NULL;
}

/* ---- starting and stopping ------------------------------------------------------------ */

static void own_stack(uintptr_t *lo, uintptr_t *hi) {
    pthread_attr_t attr;
    void *base = NULL;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        pthread_attr_getstack(&attr, &base, &size);
        pthread_attr_destroy(&attr);
    }
    *lo = (uintptr_t)base;
    *hi = (uintptr_t)base + size;
}

static void stop_dog(struct cio__watchdog *dog) {
    pthread_mutex_lock(&dog->lock);
    dog->stop = true;
    pthread_cond_signal(&dog->wake);
    pthread_mutex_unlock(&dog->lock);
    pthread_join(dog->thread, NULL);
    pthread_cond_destroy(&dog->wake);
    pthread_mutex_destroy(&dog->lock);
    dog->loop->watchdog = NULL;
    free(dog);
}

static void on_close(cio_loop *loop, void *arg) {
    (void)loop;
    stop_dog(arg);
}

static int start_thread(struct cio__watchdog *dog) {
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&dog->wake, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&dog->lock, NULL);
    int rc = -pthread_create(&dog->thread, NULL, watch, dog);
    if (rc < 0) {
        pthread_cond_destroy(&dog->wake);
        pthread_mutex_destroy(&dog->lock);
    }
    return rc;
}

int cio_loop_start_watchdog(cio_loop *loop, unsigned ms) {
    int rc = cio__loop_check(loop, "cio_loop_start_watchdog");
    if (rc < 0) return rc;
    if (ms == 0) return -EINVAL;
    if (loop->watchdog) return -EALREADY;
    if ((rc = install_handler()) < 0) return rc;
    struct cio__watchdog *dog = calloc(1, sizeof *dog);
    if (!dog) return -ENOMEM;
    *dog = (struct cio__watchdog){
        .loop = loop, .loop_thread = pthread_self(), .period_ns = (int64_t)ms * 1000000};
    own_stack(&dog->stack_lo, &dog->stack_hi);
    if ((rc = start_thread(dog)) < 0) {
        free(dog);
        return rc;
    }
    loop->watchdog = dog;
    cio__loop_hook_add(loop, &dog->hook, on_close, dog);
    return 0;
}

int cio_loop_stop_watchdog(cio_loop *loop) {
    int rc = cio__loop_check(loop, "cio_loop_stop_watchdog");
    if (rc < 0) return rc;
    if (!loop->watchdog) return -EALREADY;
    cio__loop_hook_remove(&loop->watchdog->hook);
    stop_dog(loop->watchdog);
    return 0;
}

unsigned cio_loop_watchdog_reports(const cio_loop *loop) {
    if (!loop || loop->head.magic != CIO__LOOP_MAGIC || !loop->watchdog) return 0;
    return atomic_load(&loop->watchdog->reports);
}
