/* src/core/wakeup.c - everything that crosses threads: the inbox that
 * cio_call_soon_threadsafe() fills and the eventfd that wakes the poller.
 *
 * Senders append under inbox_lock and then set wakeup_pending; only the one
 * that turns it from false to true may have to wake the loop. The loop clears
 * wakeup_pending *before* taking the inbox, so a sender that arrives in
 * between always counts as the first again.
 *
 * The eventfd write (a syscall, and on the loop's side an epoll_wait that
 * returns) is needed only when the loop sleeps. A loop that had posts
 * lately (cross_recent) says it is awake with inbox_watched; the first
 * sender writes only if it reads inbox_watched false. Before it sleeps the
 * loop spins a little (spin_ns) watching wakeup_pending, then stores
 * inbox_watched = false and loads wakeup_pending once more; if a post is
 * there it does not sleep. The memory-order argument (Dekker's): the
 * sender's exchange on wakeup_pending then load of inbox_watched, and the
 * loop's store of inbox_watched then load of wakeup_pending, are all
 * seq_cst, so they fall into one total order. If the sender's load comes
 * before the loop's store, its exchange came before the loop's load too,
 * which then reads true (only the loop clears it, and a drain in between
 * would have taken the item): the loop does not sleep. Else the sender's
 * load reads false (or a later true: the loop woke again and will do the
 * same check before its next sleep) and the sender writes. Either way no
 * post waits on a sleeping loop. The later store of true is relaxed: a
 * sender that reads a stale false only writes once too often.
 *
 * When the spin (or that last load) finds a post, the loop drains it at
 * once (cio__wakeup_after_poll) and, unless the backend is due for a poll
 * anyway, skips the zero-timeout poll it would otherwise make (loop.c,
 * poll_backend): the argument above is unchanged, a post is never left
 * behind a sleep, only the syscall goes.
 *
 * An inbox record is either malloc'd by cio_call_soon_threadsafe (owned:
 * freed once taken) or embedded by the poster in what waits for the
 * message (cio__post: a channel waiter, a submission), which stays valid
 * until the message is taken: no allocation per message.
 *
 * A loop with no posts lately leaves inbox_watched false and does no
 * atomic read-modify-write on its way to sleep: single-loop programs pay
 * nothing. Virtual-clock loops (tests) never watch: their idle poll is
 * the lost-wake-up detector, which must see every post's eventfd write. */
#include "core/loop.h"

#include <sched.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

/* Blocking polls after the last post during which the loop keeps spinning
 * and watching: a ping-pong partner answers within one or two. */
#define CROSS_RECENT_POLLS 16

int cio__wakeup_init(cio_loop *loop) {
    loop->wakeup_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (loop->wakeup_fd < 0) return -errno;
    pthread_mutex_init(&loop->inbox_lock, NULL);
    atomic_init(&loop->wakeup_pending, false);
    atomic_init(&loop->inbox_watched, false);
    atomic_init(&loop->posters, 0);
    atomic_init(&loop->poster_cpu, -1);
    return loop->poller_ops->arm(loop->poller, loop->wakeup_fd, CIO__READABLE, true);
}

/* Detach everything posted so far, oldest first. */
static struct cio__post *take_inbox(cio_loop *loop) {
    pthread_mutex_lock(&loop->inbox_lock);
    struct cio__post *item = loop->inbox_head;
    loop->inbox_head = loop->inbox_tail = NULL;
    pthread_mutex_unlock(&loop->inbox_lock);
    return item;
}

void cio__wakeup_close(cio_loop *loop) {
    struct cio__post *item = take_inbox(loop);
    /* A poster whose item the loop has run may still be writing the eventfd
     * (cio_call_soon_threadsafe): a few instructions and a syscall. */
    while (atomic_load_explicit(&loop->posters, memory_order_acquire) > 0) sched_yield();
    while (item) {
        struct cio__post *next = item->next;
        if (item->owned) free(item);
        item = next;
    }
    if (loop->wakeup_fd >= 0) close(loop->wakeup_fd);
    loop->wakeup_fd = -1;
    pthread_mutex_destroy(&loop->inbox_lock);
}

/* 0, or -errno if the eventfd could not be written (EAGAIN is no error:
 * the counter is already non-zero, the loop will wake). */
static int wake(cio_loop *loop) {
    uint64_t one = 1;
    int rc = 0;
    /* Tried again: a caller may have no way to repost (a worker thread's
     * result), and an eventfd write has no error that lasts but a bad fd. */
    for (int tries = 0; tries < 3; tries++) {
        if (write(loop->wakeup_fd, &one, sizeof one) >= 0 || errno == EAGAIN) return 0;
        rc = -errno;
    }
    return rc;
}

/* Take item back out of the inbox: true if it was still there (it will not
 * run; freed here), false if the loop has taken it already (it will). */
static bool withdraw(cio_loop *loop, struct cio__post *item) {
    pthread_mutex_lock(&loop->inbox_lock);
    struct cio__post *prev = NULL, *at = loop->inbox_head;
    while (at && at != item) prev = at, at = at->next;
    if (at) {
        if (prev)
            prev->next = item->next;
        else
            loop->inbox_head = item->next;
        if (loop->inbox_tail == item) loop->inbox_tail = prev;
    }
    pthread_mutex_unlock(&loop->inbox_lock);
    if (at && item->owned) free(item);
    return at != NULL;
}

static int check_target(const cio_loop *loop) {
    if (!loop || loop->head.magic != CIO__LOOP_MAGIC) return -EINVAL;
    return loop->head.closed ? -CIO_ECLOSED : 0;
}

/* Append item to another thread's loop and wake it if need be. */
static int post(cio_loop *loop, struct cio__post *item) {
    item->next = NULL;
    /* The loop may take the item as soon as the lock is released, run it
     * and be freed (the item may be what lets it end): posters counts this
     * call until its last touch of the loop, and cio__wakeup_close waits for
     * it to drop to 0. (The write is not made under the lock: the woken loop
     * would block on it at once.) */
    atomic_fetch_add_explicit(&loop->posters, 1, memory_order_relaxed);
    atomic_store_explicit(&loop->poster_cpu, sched_getcpu(), memory_order_relaxed);
    pthread_mutex_lock(&loop->inbox_lock);
    if (loop->inbox_tail)
        loop->inbox_tail->next = item;
    else
        loop->inbox_head = item;
    loop->inbox_tail = item;
    pthread_mutex_unlock(&loop->inbox_lock);
    int rc = 0;
    if (!atomic_exchange(&loop->wakeup_pending, true) && !atomic_load(&loop->inbox_watched)) {
        rc = wake(loop);
        if (rc < 0) {
            /* Left pending, the flag would stop every later post from waking
             * the loop: the loop would sleep on with calls in its inbox. */
            atomic_store(&loop->wakeup_pending, false);
            if (!withdraw(loop, item)) rc = 0; /* the loop has it: it will run */
        }
    }
    atomic_fetch_sub_explicit(&loop->posters, 1, memory_order_release);
    return rc;
}

int cio_call_soon_threadsafe(cio_loop *loop, cio_callback cb, void *arg) {
    int rc = check_target(loop);
    if (rc < 0 || !cb) return rc < 0 ? rc : -EINVAL;
    /* On the loop's own thread it is cio_call_soon: queued in order with
     * the callbacks scheduled before and after it, no inbox, no malloc. */
    if (cio__running_loop == loop) return cio_call_soon(loop, cb, arg, NULL);
    struct cio__post *item = malloc(sizeof *item);
    if (!item) return -ENOMEM;
    *item = (struct cio__post){.fn = cb, .arg = arg, .owned = true};
    return post(loop, item);
}

int cio__post(cio_loop *loop, struct cio__post *item) {
    int rc = check_target(loop);
    if (rc < 0 || !item->fn) return rc < 0 ? rc : -EINVAL;
    if (cio__running_loop == loop) return cio_call_soon(loop, item->fn, item->arg, NULL);
    item->owned = false;
    return post(loop, item);
}

/* On the loop thread: move the inbox onto the ready queue, in order. */
void cio__wakeup_drain(cio_loop *loop) {
    atomic_store(&loop->wakeup_pending, false);
    struct cio__post *item = take_inbox(loop);
    if (item && loop->clock != CIO_CLOCK_VIRTUAL) {
        loop->cross_recent = CROSS_RECENT_POLLS;
        atomic_store_explicit(&loop->inbox_watched, true, memory_order_relaxed);
    }
    while (item) {
        struct cio__post *next = item->next;
        bool owned = item->owned; /* an embedded item may be gone once fn ran */
        struct cio__callback *record = cio__callback_alloc(loop);
        if (record) {
            record->fn = item->fn;
            record->arg = item->arg;
            cio__callback_queue(record);
        } else {
            item->fn(item->arg); /* no memory for a record: run it now rather than lose it */
        }
        if (owned) free(item);
        item = next;
    }
}

/* The eventfd fired: take its count (the poll backend is level-triggered)
 * and the inbox, and arm it again (the poll backend forgets it). */
void cio__wakeup_fired(cio_loop *loop) {
    uint64_t count;
    ssize_t got = read(loop->wakeup_fd, &count, sizeof count);
    (void)got;
    cio__wakeup_drain(loop);
    loop->poller_ops->arm(loop->poller, loop->wakeup_fd, CIO__READABLE, false);
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static int64_t monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Watch wakeup_pending for up to spin_ns: true if a post came. The clock is
 * read once every 32 looks (a vDSO call costs about as much as 32 pauses),
 * and the CPU given away with sched_yield as often. */
static bool spin(const cio_loop *loop) {
    if (loop->spin_ns <= 0) return false;
    int64_t deadline = monotonic_ns() + loop->spin_ns;
    /* A partner last seen on this very CPU (the machine is busy and the
     * scheduler put both threads here) cannot answer while we spin: give
     * it the CPU at each look (ping-pong under load: 10.8 -> 9.2 us). */
    int looks = 32;
    if (atomic_load_explicit(&loop->poster_cpu, memory_order_relaxed) == sched_getcpu()) looks = 1;
    do {
        for (int i = 0; i < looks; i++) {
            if (atomic_load_explicit(&loop->wakeup_pending, memory_order_acquire)) return true;
            cpu_relax();
        }
        sched_yield();
    } while (monotonic_ns() < deadline);
    return false;
}

/* The loop is about to block in poll (monotonic clock). True: a post is
 * pending, poll without sleeping (the caller drains after the poll). */
bool cio__wakeup_before_sleep(cio_loop *loop) {
    if (loop->cross_recent == 0) return false; /* not watching: posters write */
    loop->cross_recent--;
    if (spin(loop)) return true;
    atomic_store(&loop->inbox_watched, false); /* seq_cst: see the top of the file */
    return atomic_load(&loop->wakeup_pending);
}

/* Back from poll (monotonic clock): watching again if posts came lately; and
 * a post whose sender saw the loop watching has no eventfd write behind it,
 * so it is taken here. */
void cio__wakeup_after_poll(cio_loop *loop) {
    if (loop->cross_recent > 0)
        atomic_store_explicit(&loop->inbox_watched, true, memory_order_relaxed);
    if (atomic_load_explicit(&loop->wakeup_pending, memory_order_acquire)) cio__wakeup_drain(loop);
}
