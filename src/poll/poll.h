/* src/poll/poll.h - the I/O backend contract: one file per poller.
 *
 * The loop tells a poller which fds it wants to hear about and asks it, once
 * a turn, what became ready. Semantics every backend gives (so the core never
 * branches on the backend):
 *   - arm(fd, events, recheck) asks to be told when fd has `events`. Interest
 *     accumulates; it may be reported more than once, and after a report the
 *     core may arm again. Spurious reports are allowed (the core retries the
 *     operation), lost ones are not.
 *   - recheck=false: the caller has just seen EAGAIN, so only a *new* change
 *     needs reporting (an edge-triggered backend may make this free).
 *     recheck=true: report if fd is ready right now (level semantics; costs a
 *     syscall on edge-triggered backends).
 *   - forget(fd) drops all interest; called before the fd is closed.
 *   - poll() waits up to timeout_ms (-1: forever, 0: not at all) and calls
 *     ready(ctx, fd, events) once per ready fd; returns how many, or -errno
 *     (-EINTR is not an error: it returns 0).
 * CIO__READABLE is also reported for EOF, hang-up and error, and
 * CIO__WRITABLE for hang-up and error, so a waiter always wakes to see them. */
#ifndef CIO_POLL_POLL_H
#define CIO_POLL_POLL_H

#include <stdbool.h>

enum {
    CIO__READABLE = 1u << 0,
    CIO__WRITABLE = 1u << 1,
    CIO__HANGUP =
        1u << 2, /* peer closed or error: with READABLE (and WRITABLE for hang-up/error) */
};

typedef struct cio__poller cio__poller;
typedef void (*cio__ready_fn)(void *ctx, int fd, unsigned events);

struct cio__poller_ops {
    const char *name;
    int (*init)(cio__poller **out); /* 0 or -errno */
    void (*close)(cio__poller *poller);
    int (*arm)(cio__poller *poller, int fd, unsigned events, bool recheck);
    void (*forget)(cio__poller *poller, int fd);
    int (*poll)(cio__poller *poller, int timeout_ms, cio__ready_fn ready, void *ctx);
    /* Once armed, an fd stays armed for both directions until forget(): an
     * arm(recheck=false) of it again is a no-op, which a caller re-arming
     * after every report may skip (epoll's edge-triggered registration; not
     * poll's oneshot interest). */
    bool persistent;
};

extern const struct cio__poller_ops cio__poller_epoll;
extern const struct cio__poller_ops cio__poller_poll;

/* The backend named name ("epoll", "poll"), or the default for NULL; NULL if
 * unknown. */
const struct cio__poller_ops *cio__poller_find(const char *name);

#endif
