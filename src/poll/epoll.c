/* src/poll/epoll.c - the Linux poller: edge-triggered epoll.
 *
 * Each fd is registered once, on its first arm, for both directions and for
 * peer hang-up (EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET), and stays registered
 * until forget(). An edge-triggered registration costs nothing while the fd
 * is idle, so an arm after EAGAIN (recheck=false) on a registered fd is a
 * table lookup, no syscall: that is the hot path of every socket read.
 * EPOLLRDHUP is what makes edge-triggering safe for short reads: when data
 * and FIN arrive together no later edge comes for the FIN, so the core must
 * learn of it from this report (and keeps it: cio__fd_waiters.hangup in
 * src/core/core.h).
 *
 * The cost is paid elsewhere: the kernel reports every direction's edge,
 * wanted or not (a reader also hears "writable" when ACKs free send space).
 * Those reports are spurious, which the contract allows. */
#ifdef __linux__

#include "poll/poll.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

/* Events taken per epoll_wait. Ready fds beyond this stay on the kernel's
 * ready list and come back on the next turn, so this bounds a turn's batch,
 * not what can be waited for. Not tuned by measurement (libuv takes 1024);
 * 256 keeps the poller to a few KiB. */
#define MAX_EVENTS 256

#define INTEREST (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET)

struct cio__poller {
    int epfd;
    /* registered[fd] != 0 iff fd was added to epfd and not forgotten since
     * (an fd closed without forget() leaves epfd but not this table; a
     * recheck mends that).
     * Bytes, not bits: the hot path reads one without shifting, and the table
     * is only as long as the highest fd armed (grown by doubling). */
    unsigned char *registered;
    size_t registered_len;
    struct epoll_event events[MAX_EVENTS];
};

static int init(cio__poller **out) {
    cio__poller *poller = calloc(1, sizeof *poller);
    if (!poller) return -ENOMEM;
    poller->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (poller->epfd < 0) {
        int err = errno;
        free(poller);
        return -err;
    }
    *out = poller;
    return 0;
}

static void close_poller(cio__poller *poller) {
    close(poller->epfd);
    free(poller->registered);
    free(poller);
}

static bool is_registered(const cio__poller *poller, int fd) {
    return (size_t)fd < poller->registered_len && poller->registered[fd];
}

/* Make registered[fd] addressable; new entries start unregistered. */
static int grow(cio__poller *poller, int fd) {
    size_t len = poller->registered_len ? poller->registered_len : 64;
    while (len <= (size_t)fd) len *= 2;
    unsigned char *table = realloc(poller->registered, len);
    if (!table) return -ENOMEM;
    memset(table + poller->registered_len, 0, len - poller->registered_len);
    poller->registered = table;
    poller->registered_len = len;
    return 0;
}

static int control(cio__poller *poller, int op, int fd) {
    struct epoll_event event = {.events = INTEREST, .data.fd = fd};
    return epoll_ctl(poller->epfd, op, fd, &event) == 0 ? 0 : -errno;
}

/* ADD (which reports the fd if it is ready now) or, if already registered,
 * MOD with the same mask, which re-evaluates readiness and queues an event if
 * ready now: epoll's way to say "tell me again". Our table can be wrong when
 * an fd was closed without forget() and its number reused (MOD: ENOENT), or
 * the other way round (ADD: EEXIST); either way, the other op is right. */
static int reregister(cio__poller *poller, int fd) {
    int rc = (size_t)fd < poller->registered_len ? 0 : grow(poller, fd);
    if (rc != 0) return rc;
    int op = poller->registered[fd] ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    rc = control(poller, op, fd);
    if (rc == -ENOENT && op == EPOLL_CTL_MOD) rc = control(poller, EPOLL_CTL_ADD, fd);
    if (rc == -EEXIST && op == EPOLL_CTL_ADD) rc = control(poller, EPOLL_CTL_MOD, fd);
    if (rc != 0) return rc; /* e.g. -EPERM for a regular file: epoll refuses them */
    poller->registered[fd] = 1;
    return 0;
}

/* `events` is not needed: both directions are always registered. */
static int arm(cio__poller *poller, int fd, unsigned events, bool recheck) {
    (void)events;
    if (fd < 0) return -EBADF;
    if (!recheck && is_registered(poller, fd)) return 0; /* the next edge will come */
    return reregister(poller, fd);
}

static void forget(cio__poller *poller, int fd) {
    if (!is_registered(poller, fd)) return;
    /* ENOENT/EBADF: the fd was already closed, which dropped it from epoll. */
    control(poller, EPOLL_CTL_DEL, fd);
    poller->registered[fd] = 0;
}

static unsigned translate(uint32_t events) {
    unsigned out = 0;
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) out |= CIO__READABLE;
    if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) out |= CIO__WRITABLE;
    if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) out |= CIO__HANGUP;
    return out;
}

/* ready() may arm and forget (events[] is ours until the next poll). An fd
 * that a callback forgot earlier in this batch is skipped: its owner is gone,
 * and its number may already belong to someone else. */
static int poll_poller(cio__poller *poller, int timeout_ms, cio__ready_fn ready, void *ctx) {
    int count = epoll_wait(poller->epfd, poller->events, MAX_EVENTS, timeout_ms);
    if (count < 0) return errno == EINTR ? 0 : -errno;
    int reported = 0;
    for (int i = 0; i < count; i++) {
        int fd = poller->events[i].data.fd;
        if (!is_registered(poller, fd)) continue;
        ready(ctx, fd, translate(poller->events[i].events));
        reported++;
    }
    return reported;
}

const struct cio__poller_ops cio__poller_epoll = {
    .name = "epoll",
    .init = init,
    .close = close_poller,
    .arm = arm,
    .forget = forget,
    .poll = poll_poller,
    .persistent = true,
};

#else
typedef int cio__epoll_needs_linux; /* ISO C wants a declaration in every file */
#endif
