/* src/os/sigpump.c - the process-wide half of signal handling.
 *
 * A sigaction handler marks the signal in a pending mask and writes a wake-up
 * byte into a self-pipe; the pump thread, woken, takes the mask and posts each
 * signal in it, with cio_call_soon_threadsafe(), to every
 * loop in the registry that wants that signal. Why not signalfd: it only sees
 * signals blocked in *every* thread, and threads the program made itself
 * would still take them with the default action. Why a thread and not a task
 * per loop: a loop's callbacks can only be reached from outside through
 * call_soon_threadsafe, and a hidden task would be cancelled by code that
 * cancels "all tasks".
 *
 * Locks: pump_lock (start/stop of the pump, dispositions) before
 * registry_lock (the registry and each loop's wanted mask). The pump thread
 * takes only registry_lock, so stopping it under pump_lock cannot deadlock.
 * A loop leaves the registry under registry_lock, after which no post can
 * reach it. */
#include "os/os.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t pump_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cio__list registry = {&registry, &registry};
static int watchers[CIO__SIG_MAX];           /* loops that want each signal; under registry_lock */
static struct sigaction saved[CIO__SIG_MAX]; /* the disposition ours replaced */

static int pipe_fds[2] = {-1, -1};
static atomic_int write_fd = -1; /* what the handler writes to; -1 when stopped */
static atomic_int in_handler;    /* handlers running now: the pipe stays open meanwhile */
/* Signals caught and not yet posted. A mask, not the bytes in the pipe, says
 * which: a wake-up byte that could not be written (a full pipe) then loses no
 * signal, since the pump, woken by the bytes already there, sees the bit. */
static _Atomic uint64_t pending;
static pthread_t pump_thread;
static bool pump_running; /* under pump_lock */

static atomic_bool sigint_rule; /* cio_run's "second SIGINT ends the process" applies */
static atomic_int sigints_seen; /* since the rule was turned on */

void cio__sigpump_sigint_rule(bool on) {
    atomic_store(&sigints_seen, 0);
    atomic_store(&sigint_rule, on);
}

/* The second SIGINT under cio_run's rule: back to the default action, and
 * the signal again, now pending (SIGINT is blocked in its own handler), so it
 * ends the process as soon as this handler returns - whether or not the loop
 * ever turns again. Only async-signal-safe calls. */
static bool second_sigint(int signo) {
    if (signo != SIGINT || !atomic_load(&sigint_rule) || atomic_fetch_add(&sigints_seen, 1) < 1)
        return false;
    struct sigaction fallback = {0};
    fallback.sa_handler = SIG_DFL;
    sigaction(SIGINT, &fallback, NULL);
    raise(SIGINT);
    return true;
}

/* One byte to wake the pump. A full pipe (EAGAIN) needs none: the pump has
 * bytes to read and will see the pending bit. Any other failure is tried
 * again a few times: a lost wake-up would leave the signal (a child's
 * SIGCHLD) unseen until the next one, and its waiter hanging. */
static void wake_pump(int fd) {
    unsigned char byte = 1;
    for (int tries = 0; tries < 4; tries++) {
        if (write(fd, &byte, 1) == 1 || errno == EAGAIN) return;
    }
}

static void on_signal(int signo) {
    if (second_sigint(signo)) return;
    atomic_fetch_add(&in_handler, 1);
    int saved_errno = errno;
    int fd = atomic_load(&write_fd);
    if (fd >= 0) {
        atomic_fetch_or(&pending, CIO__SIG_BIT(signo));
        wake_pump(fd);
    }
    errno = saved_errno;
    atomic_fetch_sub(&in_handler, 1);
}

/* ---- the pump thread ------------------------------------------------------------------ */

static void post(int signo) {
    pthread_mutex_lock(&registry_lock);
    for (struct cio__list *node = registry.next; node != &registry; node = node->next) {
        struct cio__signals *signals = cio__container_of(node, struct cio__signals, registered);
        if (!(signals->wanted & CIO__SIG_BIT(signo))) continue;
        if (atomic_fetch_or(&signals->arrived, CIO__SIG_BIT(signo)) == 0)
            cio_call_soon_threadsafe(signals->loop, cio__signals_dispatch, signals);
    }
    pthread_mutex_unlock(&registry_lock);
}

/* Posts the signals caught since the last call. */
static void post_pending(void) {
    uint64_t caught = atomic_exchange(&pending, 0);
    for (int signo = 1; signo < CIO__SIG_MAX; signo++)
        if (caught & CIO__SIG_BIT(signo)) post(signo);
}

/* Wakes on each byte and posts what is pending, until it reads the stop
 * byte 0 or EOF. A failed read is tried again (after a pause, so a lasting
 * error does not spin): ending the thread would lose every later signal. */
static void *pump_main(void *arg) {
    (void)arg;
    unsigned char buf[64];
    for (;;) {
        ssize_t got = read(pipe_fds[0], buf, sizeof buf);
        if (got < 0) {
            if (errno != EINTR) nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
            continue;
        }
        if (got == 0 || memchr(buf, 0, (size_t)got)) return NULL;
        post_pending();
    }
}

static int start_pump(void) {
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) return -errno;
    atomic_store(&pending, 0);               /* caught while no pump ran: nobody wanted them */
    fcntl(pipe_fds[1], F_SETFL, O_NONBLOCK); /* the handler never blocks */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&pump_thread, NULL, pump_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        return -rc;
    }
    atomic_store(&write_fd, pipe_fds[1]);
    pump_running = true;
    return 0;
}

/* Called once every disposition is restored: no new handler writes; wait out
 * those already running before the pipe closes. */
static void stop_pump(void) {
    atomic_store(&write_fd, -1);
    while (atomic_load(&in_handler) > 0) sched_yield();
    unsigned char stop = 0;
    fcntl(pipe_fds[1], F_SETFL, 0);
    if (write(pipe_fds[1], &stop, 1) != 1) {
        close(pipe_fds[1]); /* EOF stops the pump too; without either, the join would hang */
        pipe_fds[1] = -1;
    }
    pthread_join(pump_thread, NULL);
    close(pipe_fds[0]);
    if (pipe_fds[1] >= 0) close(pipe_fds[1]);
    pipe_fds[0] = pipe_fds[1] = -1;
    pump_running = false;
}

/* ---- dispositions and the registry ------------------------------------------------------- */

static void install(int signo) {
    struct sigaction action = {0};
    action.sa_handler = on_signal;
    action.sa_flags = SA_RESTART | (signo == SIGCHLD ? SA_NOCLDSTOP : 0);
    sigfillset(&action.sa_mask);
    sigaction(signo, &action, &saved[signo]);
}

/* Count the loops that want each signal; install on 0 -> 1, restore on
 * 1 -> 0. Returns how many signals some loop still wants. Registry locked. */
static int update_watchers(uint64_t before, uint64_t after) {
    int total = 0;
    for (int signo = 1; signo < CIO__SIG_MAX; signo++) {
        uint64_t bit = CIO__SIG_BIT(signo);
        if ((after & bit) && !(before & bit) && watchers[signo]++ == 0) install(signo);
        if ((before & bit) && !(after & bit) && --watchers[signo] == 0)
            sigaction(signo, &saved[signo], NULL);
        total += watchers[signo] > 0;
    }
    return total;
}

static int set_wanted(struct cio__signals *signals, uint64_t wanted) {
    pthread_mutex_lock(&registry_lock);
    uint64_t before = signals->wanted;
    if (before == 0 && wanted != 0) cio__list_push_back(&registry, &signals->registered);
    if (before != 0 && wanted == 0) cio__list_remove(&signals->registered);
    signals->wanted = wanted;
    int total = update_watchers(before, wanted);
    pthread_mutex_unlock(&registry_lock);
    return total;
}

int cio__sigpump_want(struct cio__signals *signals, uint64_t wanted) {
    pthread_mutex_lock(&pump_lock);
    int rc = 0;
    if (wanted != 0 && !pump_running) rc = start_pump();
    if (rc == 0 && set_wanted(signals, wanted) == 0 && pump_running) stop_pump();
    pthread_mutex_unlock(&pump_lock);
    return rc;
}
