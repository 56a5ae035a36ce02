/* src/runner/handoff.c - accept on one loop, serve on all (cio/handoff.h).
 *
 * Each slot is a cio_channel of fds (stored as fd + 1, so that no item is
 * NULL). The channel carries the guarantees this needs: an fd put in before
 * the slot's channel closes is received by the drain that follows the close,
 * one put in after is refused and stays the acceptor's. So every accepted fd
 * is at every moment owned by exactly one of: the acceptor, a channel, a
 * serving loop's connection task - and each of them closes it. */
#include "cio/handoff.h"
#include "cio/channel.h"
#include "cio/cores.h"
#include "cio/net.h"
#include "cio/task.h"
#include "cio/timeout.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

/* Connections queued per slot before the acceptor waits for room. */
#define SLOT_CAPACITY 64

struct slot {
    cio_channel *fds;
    atomic_bool served; /* a cio_handoff_serve runs on it */
    atomic_long count;  /* connections handed to it */
};

struct cio_handoff {
    int loops;
    atomic_bool closed;
    struct slot *slots;
};

struct connection {
    int fd;
    cio_connection_handler handler;
    void *arg;
};

static void *item_of(int fd) {
    return (void *)(intptr_t)(fd + 1);
}

static int fd_of(void *item) {
    return (int)(intptr_t)item - 1;
}

int cio_handoff_new(int loops, cio_handoff **out) {
    if (out) *out = NULL;
    if (loops < 1 || !out) return -EINVAL;
    cio_handoff *handoff = calloc(1, sizeof *handoff);
    if (!handoff) return -ENOMEM;
    handoff->slots = calloc((size_t)loops, sizeof *handoff->slots);
    if (!handoff->slots) {
        free(handoff);
        return -ENOMEM;
    }
    handoff->loops = loops;
    for (int i = 0; i < loops; i++) {
        if (cio_channel_new(SLOT_CAPACITY, &handoff->slots[i].fds) < 0) {
            cio_handoff_free(handoff);
            return -ENOMEM;
        }
    }
    *out = handoff;
    return 0;
}

/* ---- serving ------------------------------------------------------------------------- */

/* One connection: its stream, the handler, the close (an abort if the
 * handler was cancelled, as a server's connection task does). */
static void *connection_main(void *arg) {
    struct connection conn = *(struct connection *)arg;
    free(arg);
    cio_stream *stream;
    int rc = cio_stream_from_socket(conn.fd, 0, &stream);
    if (rc < 0) {
        close(conn.fd);
        return cio_fail(rc);
    }
    conn.handler(stream, conn.arg);
    if (cio_task_cancelling(cio_current_task()) > 0 || cio_stream_close(stream) < 0)
        cio_stream_abort(stream);
    else
        cio_stream_wait_closed(stream);
    cio_stream_free(stream);
    return NULL;
}

static int start_connection(int fd, cio_connection_handler handler, void *arg) {
    struct connection *conn = malloc(sizeof *conn);
    if (!conn) return -ENOMEM;
    *conn = (struct connection){fd, handler, arg};
    int rc = cio_create_task(connection_main, conn, NULL);
    if (rc < 0) free(conn);
    return rc;
}

/* The slot stopped serving: refuse later hand-offs and close what is queued
 * (nothing can be put in after the close). */
static void close_slot(struct slot *slot) {
    cio_channel_close(slot->fds);
    void *item;
    while (cio_channel_try_receive(slot->fds, &item) == 0) close(fd_of(item));
}

int cio_handoff_serve(cio_handoff *handoff, cio_connection_handler handler, void *arg) {
    if (!handoff || !handler) return -EINVAL;
    if (!cio_current_task()) return -EPERM;
    int index = cio_cores_index();
    if (index < 0) return -EPERM;
    if (index >= handoff->loops) return -EINVAL;
    if (atomic_load(&handoff->closed)) return -CIO_ECLOSED;
    struct slot *slot = &handoff->slots[index];
    if (atomic_exchange(&slot->served, true)) return -EBUSY;
    void *item;
    int rc;
    while ((rc = cio_channel_receive(slot->fds, &item)) == 0) {
        int fd = fd_of(item);
        if (start_connection(fd, handler, arg) < 0) close(fd); /* no memory: drop it */
    }
    close_slot(slot);
    return rc == -CIO_ECLOSED ? 0 : rc;
}

/* ---- accepting ----------------------------------------------------------------------- */

/* Give fd to the next open slot from *next on, without waiting; else wait
 * for room in the first open one. 0 (fd handed), -CIO_ECLOSED (no open
 * slot), -ECANCELED / -ETIMEDOUT: then fd is still the caller's. */
static int hand(cio_handoff *handoff, int fd, int *next) {
    int open = -1;
    for (int tries = 0; tries < handoff->loops; tries++) {
        int i = (*next + tries) % handoff->loops;
        int rc = cio_channel_try_send(handoff->slots[i].fds, item_of(fd));
        if (rc == -EAGAIN && open < 0) open = i;
        if (rc == 0) {
            atomic_fetch_add(&handoff->slots[i].count, 1);
            *next = (i + 1) % handoff->loops;
            return 0;
        }
    }
    if (open < 0) return -CIO_ECLOSED;
    int rc = cio_channel_send(handoff->slots[open].fds, item_of(fd));
    if (rc == 0) {
        atomic_fetch_add(&handoff->slots[open].count, 1);
        *next = (open + 1) % handoff->loops;
    }
    return rc == -CIO_ECLOSED ? hand(handoff, fd, next) : rc;
}

int cio_handoff_accept(cio_handoff *handoff, int listen_fd) {
    if (!handoff || listen_fd < 0) return -EINVAL;
    if (!cio_current_task()) return -EPERM;
    int next = 0;
    for (;;) {
        if (atomic_load(&handoff->closed)) return -CIO_ECLOSED;
        int fd = cio_sock_accept(listen_fd, NULL, NULL);
        if (fd == -EMFILE || fd == -ENFILE) {
            int rc = cio_sleep(0.01); /* out of fds: let connections end */
            if (rc < 0) return rc;
            continue;
        }
        if (fd == -ECONNABORTED || fd == -EINTR) continue;
        if (fd < 0) return fd;
        int rc = hand(handoff, fd, &next);
        if (rc < 0) {
            close(fd);
            return rc;
        }
    }
}

long cio_handoff_count(const cio_handoff *handoff, int slot) {
    if (!handoff || slot < 0 || slot >= handoff->loops) return -EINVAL;
    return atomic_load(&handoff->slots[slot].count);
}

/* ---- the end ------------------------------------------------------------------------- */

int cio_handoff_close(cio_handoff *handoff) {
    if (!handoff) return -EINVAL;
    if (atomic_exchange(&handoff->closed, true)) return -CIO_ECLOSED;
    for (int i = 0; i < handoff->loops; i++) cio_channel_close(handoff->slots[i].fds);
    return 0;
}

void cio_handoff_free(cio_handoff *handoff) {
    if (!handoff) return;
    for (int i = 0; i < handoff->loops && handoff->slots[i].fds; i++) {
        void *item;
        while (cio_channel_try_receive(handoff->slots[i].fds, &item) == 0) close(fd_of(item));
        cio_channel_free(handoff->slots[i].fds);
    }
    free(handoff->slots);
    free(handoff);
}
