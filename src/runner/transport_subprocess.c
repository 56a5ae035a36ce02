/* src/runner/transport_subprocess.c - a subprocess driven by a protocol
 * (asyncio's loop.subprocess_exec).
 *
 * It sits above net and os: the process is a cio_process (os), each of its
 * pipes a stream transport (net) over the process's own pipe stream, whose
 * protocol forwards to the subprocess protocol with the pipe's number. A
 * small task waits for the exit (cio_process_wait) and calls process_exited.
 * connection_lost comes once the child has exited and every pipe transport
 * is gone; then the process and this transport are freed. */
#include "net/transport.h"

#include <signal.h>
#include <stdlib.h>

#define SUBPROCESS_MAGIC 0x63696f50u /* "cioP" */
/* The exit waiter's stack: it only calls cio_process_wait. */
#define WAITER_STACK (64u * 1024u)

struct pipe_end {
    struct cio_subprocess_transport *owner;
    int fd;                   /* 0, 1, 2 */
    cio_transport *transport; /* NULL when not a pipe, or once lost */
};

struct cio_subprocess_transport {
    uint32_t magic;
    bool exited, closing, finished;
    cio_loop *loop;
    cio_process *process;
    const cio_subprocess_protocol *protocol;
    void *arg;
    struct pipe_end pipes[3];
    cio_task *waiter;
    struct cio__close_hook loop_hook;
};

static int check(const cio_subprocess_transport *t, const char *caller) {
    if (cio__handle_check(t, SUBPROCESS_MAGIC, "subprocess transport", caller) < 0) return -EINVAL;
    if (cio__running_loop != t->loop) {
        cio__complain("%s: called from a thread that does not run the transport's loop", caller);
        return -EPERM;
    }
    return 0;
}

static bool pipes_open(const cio_subprocess_transport *t) {
    return t->pipes[0].transport || t->pipes[1].transport || t->pipes[2].transport;
}

static void release(cio_subprocess_transport *t) {
    cio__loop_hook_remove(&t->loop_hook);
    cio_process_free(t->process);
    cio__handle_retire(t); /* a stale handle is reported (core/handle.c) */
}

static void finish(void *arg) {
    cio_subprocess_transport *t = arg;
    if (t->protocol->connection_lost) t->protocol->connection_lost(t, 0, t->arg);
    release(t);
}

/* The loop closes first (its pipe transports' hooks, newer, ran already):
 * end it now, so the protocol can let go of what it holds. */
static void loop_closing(cio_loop *loop, void *arg) {
    (void)loop;
    cio_subprocess_transport *t = arg;
    if (t->protocol->connection_lost) t->protocol->connection_lost(t, -ECANCELED, t->arg);
    release(t);
}

/* The end, once the child exited and every pipe is gone: from the loop. */
static void maybe_finish(cio_subprocess_transport *t) {
    if (!t->exited || pipes_open(t) || t->finished) return;
    t->finished = true;
    if (cio_call_soon(t->loop, finish, t, NULL) < 0) finish(t);
}

/* ---- the pipes' protocol ------------------------------------------------------------------ */

static void pipe_data(cio_transport *transport, const void *data, size_t len, void *arg) {
    (void)transport;
    struct pipe_end *end = arg;
    cio_subprocess_transport *t = end->owner;
    if (t->protocol->pipe_data_received)
        t->protocol->pipe_data_received(t, end->fd, data, len, t->arg);
}

static void pipe_lost(cio_transport *transport, int err, void *arg) {
    (void)transport;
    struct pipe_end *end = arg;
    cio_subprocess_transport *t = end->owner;
    end->transport = NULL;
    if (t->protocol->pipe_connection_lost)
        t->protocol->pipe_connection_lost(t, end->fd, err, t->arg);
    maybe_finish(t);
}

static const cio_protocol pipe_protocol = {
    .data_received = pipe_data,
    .connection_lost = pipe_lost,
};

/* ---- the exit ---------------------------------------------------------------------------------
 */

static void *wait_exit(void *arg) {
    cio_subprocess_transport *t = arg;
    int rc = cio_process_wait(t->process, NULL);
    t->waiter = NULL;
    if (rc < 0) return NULL; /* the loop is closing: nothing more will run */
    t->exited = true;
    if (t->protocol->process_exited) t->protocol->process_exited(t, t->arg);
    maybe_finish(t);
    return NULL;
}

/* ---- making one ---------------------------------------------------------------------------------
 */

static int start_pipes(cio_subprocess_transport *t) {
    cio_stream *streams[3] = {cio_process_stdin(t->process), cio_process_stdout(t->process),
                              cio_process_stderr(t->process)};
    for (int fd = 0; fd < 3; fd++) {
        t->pipes[fd] = (struct pipe_end){.owner = t, .fd = fd};
        if (!streams[fd]) continue;
        int rc = cio__transport_start(streams[fd], &pipe_protocol, &t->pipes[fd], false,
                                      &t->pipes[fd].transport);
        if (rc < 0) return rc;
    }
    return 0;
}

static int start_waiter(cio_subprocess_transport *t) {
    cio_task_options opts = {.name = "cio-subprocess-wait", .stack_size = WAITER_STACK};
    int rc = cio_loop_create_task_ex(t->loop, wait_exit, t, &opts, &t->waiter);
    if (rc == 0) cio_task_unref(t->waiter); /* runs on its own; clears t->waiter */
    return rc;
}

int cio_subprocess_exec(const char *const argv[], const cio_subprocess_protocol *protocol,
                        void *arg, const cio_process_options *opts,
                        cio_subprocess_transport **out) {
    if (out) *out = NULL;
    if (!protocol || !out) return -EINVAL;
    cio_subprocess_transport *t = calloc(1, sizeof *t);
    if (!t) return -ENOMEM;
    *t = (cio_subprocess_transport){
        .magic = SUBPROCESS_MAGIC, .loop = cio__running_loop, .protocol = protocol, .arg = arg};
    int rc = cio_create_subprocess_exec(argv, opts, &t->process);
    if (rc == 0) rc = start_waiter(t);
    if (rc == 0) {
        cio__loop_hook_add(t->loop, &t->loop_hook, loop_closing, t); /* before the pipes' */
        rc = start_pipes(t);
    }
    if (rc < 0) {
        for (int fd = 0; fd < 3; fd++)
            if (t->pipes[fd].transport) (void)cio_transport_abort(t->pipes[fd].transport);
        if (t->process) cio_process_kill(t->process);
        /* What started ends through the loop (the waiter, the pipes' connection_lost). */
        if (!t->waiter && !pipes_open(t)) {
            release(t);
        } else {
            t->closing = true;
        }
        return rc;
    }
    *out = t;
    if (protocol->connection_made) protocol->connection_made(t, arg);
    return 0;
}

/* ---- the rest
 * ------------------------------------------------------------------------------------ */

int cio_subprocess_transport_pid(const cio_subprocess_transport *t) {
    int rc = check(t, "cio_subprocess_transport_pid");
    return rc < 0 ? rc : cio_process_pid(t->process);
}

int cio_subprocess_transport_returncode(const cio_subprocess_transport *t, int *returncode) {
    int rc = check(t, "cio_subprocess_transport_returncode");
    return rc < 0 ? rc : cio_process_returncode(t->process, returncode);
}

int cio_subprocess_transport_pipe(cio_subprocess_transport *t, int fd, cio_transport **out) {
    if (out) *out = NULL;
    int rc = check(t, "cio_subprocess_transport_pipe");
    if (rc < 0) return rc;
    if (!out || fd < 0 || fd > 2) return -EINVAL;
    *out = t->pipes[fd].transport;
    return *out ? 0 : -ENOENT;
}

int cio_subprocess_transport_send_signal(cio_subprocess_transport *t, int signo) {
    int rc = check(t, "cio_subprocess_transport_send_signal");
    return rc < 0 ? rc : cio_process_send_signal(t->process, signo);
}

int cio_subprocess_transport_close(cio_subprocess_transport *t) {
    int rc = check(t, "cio_subprocess_transport_close");
    if (rc < 0) return rc;
    if (t->closing) return -CIO_ECLOSED;
    t->closing = true;
    for (int fd = 0; fd < 3; fd++)
        if (t->pipes[fd].transport && !cio_transport_is_closing(t->pipes[fd].transport))
            (void)cio_transport_close(t->pipes[fd].transport);
    if (!t->exited) (void)cio_process_kill(t->process);
    return 0;
}
