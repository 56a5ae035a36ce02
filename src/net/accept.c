/* src/net/accept.c - a server's accept loops and its connections.
 *
 * One acceptor task per listening socket accepts until EAGAIN, then waits
 * for the next edge. Each connection costs one stream and one task, which
 * runs the handler and then closes and frees the stream on the handler's
 * behalf. Running out of fds (EMFILE) does not spin the loop: the acceptor
 * backs off ACCEPT_RETRY_DELAY, as asyncio's does, while new clients wait in
 * the kernel's backlog.
 *
 * An acceptor holds a reference to its server until its loop ends; every
 * way the server changes (closing, a connection ending) wakes the tasks on
 * server->changes, so acceptors are never cancelled, only woken. */
#include "net/net.h"

#include <stdio.h>
#include <unistd.h>

/* asyncio's constants.ACCEPT_RETRY_DELAY: how long to back off when the
 * process is out of fds or memory. */
#define ACCEPT_RETRY_DELAY 1.0
/* Accepts in a row before the acceptor lets other tasks run: a flood of
 * connections must not starve the ones already being served. asyncio takes
 * up to the backlog (100) per readiness event. */
#define ACCEPT_BURST 100

/* ---- a connection -------------------------------------------------------------------------- */

/* The server's bookkeeping once a connection is over: the stream closes (in
 * the background if the handler left data buffered; at once if we cannot
 * wait) and is freed, and the connection stops counting. */
static void end_connection(cio_stream *stream, bool can_wait) {
    if (stream->connection_done) return;
    stream->connection_done = true;
    cio_server *server = stream->server;
    if (!stream->handle_released) {
        if (stream->state == CIO__STREAM_OPEN) cio_stream_close(stream);
        if (!can_wait || cio_stream_wait_closed(stream) < 0) cio_stream_abort(stream);
        cio_stream_free(stream);
    }
    cio__list_remove(&stream->server_link);
    server->active--;
    cio__net_wake_all(&server->changes, 0);
    cio__stream_unref(stream); /* the server's reference */
    cio__server_unref(server);
}

/* A connection task cancelled before it first ran never runs its function
 * (cio_run's shutdown does that): this done-callback ends the connection
 * then. A task that runs removes it; if the loop closes before it runs,
 * cio__server_end_connections() does its work. */
static void connection_task_done(cio_future *future, void *arg) {
    (void)future;
    end_connection(arg, false);
}

static void *run_connection(void *arg) {
    cio_stream *stream = arg;
    cio_future_remove_done_callback(cio_task_future(cio_current_task()), connection_task_done,
                                    stream);
    cio_tls_context *tls = stream->server->opts.tls;
    /* A client whose handshake fails or times out never reaches the handler. */
    if (tls && cio__tls_accept(stream, tls) < 0)
        cio_stream_abort(stream);
    else
        stream->server->handler(stream, stream->server->arg);
    end_connection(stream, true);
    return NULL;
}

void cio__server_end_connections(cio_server *server) {
    while (!cio__list_empty(&server->clients))
        end_connection(cio__container_of(server->clients.next, cio_stream, server_link), false);
}

static int start_connection(cio_server *server, int fd) {
    cio_stream *stream;
    int rc = cio__stream_new(server->loop, fd, server->opts.limit, &stream);
    if (rc < 0) return rc;
    cio_task *task;
    rc = cio_loop_create_task_ex(server->loop, run_connection, stream, NULL, &task);
    if (rc == 0)
        rc = cio_future_add_done_callback(cio_task_future(task), connection_task_done, stream);
    if (rc < 0) {
        if (task) cio_task_cancel(task);
        cio_task_unref(task);
        cio__stream_unref(stream);
        return rc;
    }
    cio_task_unref(task);    /* runs on its own; end_connection cleans up */
    cio__stream_ref(stream); /* the server's, besides the handle the handler uses */
    stream->server = server;
    cio__list_push_back(&server->clients, &stream->server_link);
    server->active++;
    cio__server_ref(server);
    return 0;
}

/* ---- the accept loop ------------------------------------------------------------------------ */

static bool at_capacity(const cio_server *server) {
    return server->opts.max_connections && server->active >= server->opts.max_connections;
}

static void take_connection(struct cio__listener *listener, int fd) {
    cio_server *server = listener->server;
    cio__net_adopt_fd(server->loop, fd);
    cio__net_tune(fd, listener->family, server->opts.nagle, server->opts.keepalive);
    if (start_connection(server, fd) < 0) close(fd); /* out of memory: drop the client */
}

/* Errors accept4(2) passes on from the network for one connection: the next
 * accept may well succeed. */
static bool connection_error(int err) {
    return err == ECONNABORTED || err == EPROTO || err == ENETDOWN || err == ENOPROTOOPT ||
           err == EHOSTDOWN || err == ENONET || err == EHOSTUNREACH || err == EOPNOTSUPP ||
           err == ENETUNREACH || err == EPERM || err == EINTR;
}

/* Out of fds: wait ACCEPT_RETRY_DELAY, or less if a connection ends (which
 * frees one) or the server closes. */
static int back_off(cio_server *server, cio_task *task) {
    cio_timeout scope;
    cio_timeout_begin(&scope, ACCEPT_RETRY_DELAY);
    int rc = cio__net_park_as(task, &server->changes, CIO_WAIT_ACCEPT, server, "out of fds");
    return cio_timeout_end(&scope) == -ETIMEDOUT ? 0 : rc;
}

/* One step of the loop: accept, or wait. 0 to go on, or what ends it. */
static int accept_step(struct cio__listener *listener, cio_task *task, int *burst) {
    cio_server *server = listener->server;
    if (at_capacity(server))
        return cio__net_park_as(task, &server->changes, CIO_WAIT_ACCEPT, server,
                                "at max_connections");
    if (++*burst > ACCEPT_BURST) {
        *burst = 0;
        return cio_yield();
    }
    int fd = accept4(listener->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
        take_connection(listener, fd);
        return 0;
    }
    int err = errno;
    if (err == EAGAIN || err == EWOULDBLOCK) {
        *burst = 0;
        int rc = cio__io_wait_as(task, listener->fd, CIO__READABLE, false, CIO_WAIT_ACCEPT, server,
                                 NULL);
        /* No memory to watch the fd: like running out of fds, not the end */
        return rc == -ENOMEM ? back_off(server, task) : rc;
    }
    if (connection_error(err)) return 0;
    if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM)
        return back_off(server, task);
    return -err;
}

static void report_stopped(struct cio__listener *listener, cio_task *task, int rc) {
    char message[96];
    snprintf(message, sizeof message, "server stopped accepting on fd %d: %s", listener->fd,
             cio_strerror(rc));
    cio_diag diag = {.kind = CIO_DIAG_ACCEPT_STOPPED,
                     .message = message,
                     .error = rc,
                     .task = task,
                     .fd = listener->fd};
    cio__diag_report(cio__task_loop(task), &diag);
}

static void *accept_loop(void *arg) {
    struct cio__listener *listener = arg;
    cio_server *server = listener->server;
    cio_task *task = cio_current_task();
    int burst = 0;
    int rc = 0;
    while (rc == 0 && !server->closed) rc = accept_step(listener, task, &burst);
    if (rc < 0 && !server->closed && rc != -ECANCELED) report_stopped(listener, task, rc);
    listener->acceptor = NULL;
    cio__net_wake_all(&server->changes, 0);
    cio__server_unref(server);
    return NULL;
}

int cio__server_start_acceptor(struct cio__listener *listener) {
    cio_server *server = listener->server;
    cio_task_options opts = {.name = "cio-server-accept"};
    int rc =
        cio_loop_create_task_ex(server->loop, accept_loop, listener, &opts, &listener->acceptor);
    if (rc < 0) return rc;
    cio_task_unref(listener->acceptor); /* cleared when the loop ends */
    cio__server_ref(server);
    return 0;
}
