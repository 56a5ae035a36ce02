/* src/poll/poll.c - the portable poller on poll(2), and the backend table.
 *
 * poll(2) is level-triggered, so each arm is oneshot: once poll() reports a
 * direction, that interest is cleared until the core arms it again. Without
 * that, an fd nobody is reading would make every turn return at once. A
 * recheck costs nothing here: every poll() looks at the fd afresh.
 *
 * Invariants: fds[0, count) are the armed fds, each with some interest;
 * position[fd] is fd's index in fds, or -1 (positions beyond position_len
 * are -1 too). reports has room for `capacity` entries, like fds. */
#include "poll/poll.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

/* Linux tells a half-closed socket (peer's FIN) apart from plain data only
 * with POLLRDHUP; elsewhere the core finds the EOF by reading. */
#ifndef POLLRDHUP
#define POLLRDHUP 0
#endif

struct report {
    int fd;
    unsigned events;
};

struct cio__poller {
    struct pollfd *fds;
    struct report *reports; /* one turn's harvest, so callbacks see a still table */
    size_t count, capacity;
    int *position;
    size_t position_len;
};

static int init(cio__poller **out) {
    *out = calloc(1, sizeof **out);
    return *out ? 0 : -ENOMEM;
}

static void close_poller(cio__poller *poller) {
    free(poller->fds);
    free(poller->reports);
    free(poller->position);
    free(poller);
}

static int position_of(const cio__poller *poller, int fd) {
    return (size_t)fd < poller->position_len ? poller->position[fd] : -1;
}

/* Make position[fd] addressable; new entries are -1. */
static int grow_positions(cio__poller *poller, int fd) {
    size_t len = poller->position_len ? poller->position_len : 64;
    while (len <= (size_t)fd) len *= 2;
    int *table = realloc(poller->position, len * sizeof *table);
    if (!table) return -ENOMEM;
    for (size_t i = poller->position_len; i < len; i++) table[i] = -1;
    poller->position = table;
    poller->position_len = len;
    return 0;
}

/* Room for one more armed fd. reports grows with fds, as a turn can report
 * every armed fd; realloc keeps its contents, so growing it while poll() is
 * dispatching (a callback arming a new fd) is safe. */
static int grow_fds(cio__poller *poller) {
    size_t capacity = poller->capacity ? poller->capacity * 2 : 16;
    struct pollfd *fds = realloc(poller->fds, capacity * sizeof *fds);
    if (!fds) return -ENOMEM;
    poller->fds = fds;
    struct report *reports = realloc(poller->reports, capacity * sizeof *reports);
    if (!reports) return -ENOMEM; /* fds just has spare room; no harm */
    poller->reports = reports;
    poller->capacity = capacity;
    return 0;
}

/* The index of fd's entry, appending an empty one if fd is not armed yet. */
static int entry_for(cio__poller *poller, int fd) {
    int rc = (size_t)fd < poller->position_len ? 0 : grow_positions(poller, fd);
    if (rc == 0 && poller->position[fd] < 0 && poller->count == poller->capacity)
        rc = grow_fds(poller);
    if (rc != 0) return rc;
    if (poller->position[fd] < 0) {
        poller->fds[poller->count] = (struct pollfd){.fd = fd};
        poller->position[fd] = (int)poller->count++;
    }
    return poller->position[fd];
}

/* poll(2) reports the level, so recheck needs no re-arming; it only pays
 * one fcntl so that a closed fd fails now (-EBADF), as it does under epoll,
 * rather than as a POLLNVAL wake-up later. */
static int arm(cio__poller *poller, int fd, unsigned events, bool recheck) {
    if (recheck && fd >= 0 && fcntl(fd, F_GETFD) < 0) return -errno;
    short interest = (short)((events & CIO__READABLE ? POLLIN | POLLRDHUP : 0) |
                             (events & CIO__WRITABLE ? POLLOUT : 0));
    if (fd < 0) return -EBADF;
    if (!interest) return 0; /* keeps "every entry has interest" true */
    int index = entry_for(poller, fd);
    if (index < 0) return index;
    poller->fds[index].events |= interest;
    return 0;
}

/* Drop entry index by moving the last entry into its place. */
static void remove_at(cio__poller *poller, size_t index) {
    struct pollfd *last = &poller->fds[--poller->count];
    poller->position[poller->fds[index].fd] = -1;
    if (index != poller->count) {
        poller->fds[index] = *last;
        poller->position[last->fd] = (int)index;
    }
}

static void forget(cio__poller *poller, int fd) {
    int index = position_of(poller, fd);
    if (index >= 0) remove_at(poller, (size_t)index);
}

static unsigned translate(short revents) {
    unsigned out = 0;
    if (revents & (POLLIN | POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) out |= CIO__READABLE;
    if (revents & (POLLOUT | POLLHUP | POLLERR | POLLNVAL)) out |= CIO__WRITABLE;
    if (revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) out |= CIO__HANGUP;
    return out;
}

/* Record what poll() found and clear the interest it answered (oneshot);
 * an entry left with none is dropped. A POLLNVAL fd (closed behind our back)
 * is reported in both directions, so its waiters wake and it drops out.
 * Walks down so that remove_at's swap only brings in an entry already
 * visited. */
static size_t harvest(cio__poller *poller) {
    size_t reported = 0;
    for (size_t i = poller->count; i-- > 0;) {
        struct pollfd *entry = &poller->fds[i];
        if (!entry->revents) continue;
        unsigned events = translate(entry->revents);
        poller->reports[reported++] = (struct report){entry->fd, events};
        if (events & CIO__READABLE) entry->events &= ~(POLLIN | POLLRDHUP);
        if (events & CIO__WRITABLE) entry->events &= ~POLLOUT;
        if (entry->events == 0) remove_at(poller, i);
    }
    return reported;
}

/* Callbacks run after harvest(), so they may arm and forget freely; reports
 * is re-read on each step because an arm may move it. */
static int poll_poller(cio__poller *poller, int timeout_ms, cio__ready_fn ready, void *ctx) {
    int count = poll(poller->fds, (nfds_t)poller->count, timeout_ms);
    if (count < 0) return errno == EINTR ? 0 : -errno;
    size_t reported = count ? harvest(poller) : 0;
    for (size_t i = 0; i < reported; i++)
        ready(ctx, poller->reports[i].fd, poller->reports[i].events);
    return (int)reported;
}

const struct cio__poller_ops cio__poller_poll = {
    .name = "poll",
    .init = init,
    .close = close_poller,
    .arm = arm,
    .forget = forget,
    .poll = poll_poller,
};

/* The first entry is the default. kqueue would be one more line here. */
const struct cio__poller_ops *cio__poller_find(const char *name) {
    static const struct cio__poller_ops *const backends[] = {
#ifdef __linux__
        &cio__poller_epoll,
#endif
        &cio__poller_poll,
    };
    if (!name) return backends[0];
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
        if (strcmp(name, backends[i]->name) == 0) return backends[i];
    return NULL;
}
