/* cio/introspect.h - seeing inside a running program: what each task waits
 * on and who awaits it, its stack (use, high-water mark, backtrace), a dump
 * of a loop's tasks and its await graph (asyncio's Task.print_stack and
 * print_call_graph). docs/debugging.md shows them in use.
 *
 * Every function here is for the thread of the task's (or loop's) loop, or
 * any thread while that loop is not running; another thread gets -EPERM.
 * They allocate nothing and never suspend. */
#ifndef CIO_INTROSPECT_H
#define CIO_INTROSPECT_H

#include "cio/loop.h"
#include "cio/task.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* What a suspended task waits on. */
typedef enum cio_wait_kind {
    CIO_WAIT_NONE,       /* not waiting: created, ready, running or done */
    CIO_WAIT_SLEEP,      /* cio_sleep: a timer (cio_task_info.wakes_at) */
    CIO_WAIT_FD,         /* fd readiness (fd, fd_events): sockets, pipes, cio_wait_readable */
    CIO_WAIT_TASK,       /* another task (awaits): cio_await, wait_for, shield */
    CIO_WAIT_FUTURE,     /* a future (wait_object): cio_future_await */
    CIO_WAIT_TASKS,      /* several tasks: gather, wait, as_completed, task groups */
    CIO_WAIT_LOCK,       /* cio_lock_acquire */
    CIO_WAIT_CONDITION,  /* cio_condition_wait */
    CIO_WAIT_EVENT,      /* cio_event_wait */
    CIO_WAIT_SEMAPHORE,  /* cio_semaphore_acquire */
    CIO_WAIT_BARRIER,    /* cio_barrier_wait */
    CIO_WAIT_QUEUE_GET,  /* cio_queue_get on an empty queue */
    CIO_WAIT_QUEUE_PUT,  /* cio_queue_put on a full queue */
    CIO_WAIT_QUEUE_JOIN, /* cio_queue_join */
    CIO_WAIT_JOB,        /* a thread-pool job: cio_to_thread, file I/O, DNS */
    CIO_WAIT_PROCESS,    /* a child process to exit */
    CIO_WAIT_SIGNAL,     /* cio_wait_signals */
    CIO_WAIT_RING,       /* io_uring completions */
    CIO_WAIT_OTHER,      /* another suspending call */
    /* Waits on an fd that say what for (fd and fd_events are set, except
     * where said): */
    CIO_WAIT_STREAM_READ,   /* a stream read (wait_object: the stream; wait_detail "tls"
                             * or "pipe" on those) */
    CIO_WAIT_STREAM_WRITE,  /* a stream's writer waiting for its socket to take more; or,
                             * with no fd, cio_stream_drain (wait_detail "drain") or
                             * cio_stream_wait_closed ("close") waiting for the writer */
    CIO_WAIT_ACCEPT,        /* a server waiting for connections on its listening socket
                             * (wait_object: the server); or, with no fd, a server at
                             * max_connections or out of fds, or a task in its
                             * serve_forever or wait_closed (wait_detail says which) */
    CIO_WAIT_CONNECT,       /* cio_sock_connect (open_connection): the connect to finish */
    CIO_WAIT_TLS_HANDSHAKE, /* a TLS handshake (fd_events: what OpenSSL needs next) */
    /* Operations made of several waits: the kind names the operation, and fd
     * and fd_events are set while its inner wait is on an fd: */
    CIO_WAIT_DATAGRAM, /* cio_datagram_send/recv (wait_object: the endpoint) */
    CIO_WAIT_HTTP,     /* an HTTP client request (wait_detail: its URL) or a streamed body read */
    CIO_WAIT_REDIS,    /* a redis command's reply (wait_object: the client) */
    CIO_WAIT_PG,       /* a PostgreSQL connect, query or result (wait_object: the connection) */
    CIO_WAIT_CHANNEL,  /* a cross-loop channel send or receive (wait_object: the channel) */
    CIO_WAIT_SUBMIT,   /* cio_loop_submit: the answer from the other loop (wait_object: it) */
    CIO_WAIT_KIND_COUNT
} cio_wait_kind;

/* cio_task_info.fd_events bits. */
#define CIO_FD_READ  1u
#define CIO_FD_WRITE 2u

typedef struct cio_task_info {
    uint64_t id;
    const char *name;  /* borrowed: valid until the task is renamed or freed */
    const char *state; /* "created", "ready", "running", "waiting" or "done" (static text) */
    cio_wait_kind wait;
    const void *wait_object; /* the lock, queue, event, future, job ... waited on; else NULL */
    const char *wait_detail; /* borrowed text that says more (an HTTP request's URL, "tls");
                              * valid while the task stays suspended; else NULL */
    int fd;                  /* a wait on an fd (CIO_WAIT_FD, a stream read ...): the fd;
                              * else -1 */
    unsigned fd_events;      /* with fd: CIO_FD_READ or CIO_FD_WRITE; else 0 */
    double wakes_at;         /* CIO_WAIT_SLEEP: loop time (cio_loop_time) it is due; else -1 */
    double timeout_at;       /* inside a timeout scope: its deadline, loop time; else -1 */
    cio_task *awaits;        /* CIO_WAIT_TASK: the task awaited (borrowed); else NULL */
    cio_task *awaited_by;    /* the first task awaiting this one, directly or through
                              * gather/wait (borrowed); else NULL */
    size_t awaiter_count;    /* tasks awaiting it, plus other done-callbacks */
    size_t stack_size;       /* usable bytes of its stack; 0 before its first run and after
                              * it finished (the stack went back to the pool) */
    size_t stack_used;       /* bytes in use now (suspended: down to its saved context) */
    size_t stack_max_used;   /* high-water mark: the deepest byte ever written on the
                              * stack's memory. Stacks are pooled, so it may include an
                              * earlier task's use of the same stack (an upper bound). */
} cio_task_info;

/* A short lowercase name for kind ("sleep", "fd", "lock" ...); "?" if unknown. */
CIO_EXPORT const char *cio_wait_kind_name(cio_wait_kind kind);

/* Fill *info with task's state, what it waits on, who awaits it and its
 * stack use. Returns 0; -EINVAL (task or info NULL, or a stale task);
 * -EPERM (another thread runs the task's loop); -CIO_ECLOSED (loop closed). */
CIO_EXPORT int cio_task_get_info(cio_task *task, cio_task_info *info);

/* The return addresses of task's stack, innermost first, into frames[0..cap),
 * found by walking the frame-pointer chain from its saved context (or, for
 * the running task, from the caller). *count is how many were stored. A task
 * not yet started or done has none (0 frames). Needs the frames built with
 * frame pointers (cio is by default: CIO_FRAME_POINTERS); a frame without
 * one ends the walk early. Returns 0; -EINVAL (NULL task, frames with cap >
 * 0, or count; stale task); -EPERM; -CIO_ECLOSED; -ENOTSUP (the portable
 * ucontext switch, whose saved context is not a frame chain). */
CIO_EXPORT int cio_task_get_stack(cio_task *task, void **frames, size_t cap, size_t *count);

/* Print task's name, state, wait and backtrace to out (NULL: stderr), as
 * asyncio's Task.print_stack: one line per frame, "#N 0xADDR symbol+0xOFF
 * (object+0xREL)", the symbol from dladdr or the object file's symbol
 * table ("??" when stripped): feed object and REL to `addr2line -f -e`
 * for file and line.
 * Returns what cio_task_get_info does, or -EIO when writing failed. */
CIO_EXPORT int cio_task_print_stack(cio_task *task, FILE *out);

/* Print a table of every unfinished task of loop (NULL: the running loop) to
 * out (NULL: stderr): id, state, name, what it waits on, who awaits it,
 * stack use; then each suspended task's backtrace when backtraces is true.
 * Returns 0; -EINVAL (no loop); -EPERM; -CIO_ECLOSED; -EIO (write failed). */
CIO_EXPORT int cio_loop_dump_tasks(cio_loop *loop, FILE *out, bool backtraces);

/* Print loop's await graph (NULL: the running loop) to out (NULL: stderr),
 * as asyncio's print_call_graph: one tree per unfinished task that no task
 * awaits, and under each task, indented, the tasks it awaits (through
 * cio_await, gather, wait, a task group ...), e.g.
 *     * Task-1 #1 (waiting: tasks)
 *       + fetch-a #2 (waiting: fd 7 read)
 *       + fetch-b #3 (waiting: sleep until 2.000)
 * A task awaited by several appears under the first. Costs up to O(n^2) in
 * the number of tasks: for debugging, not for hot paths. Returns as
 * cio_loop_dump_tasks. */
CIO_EXPORT int cio_loop_print_call_graph(cio_loop *loop, FILE *out);

/* ---- asking a running program from outside (src/runner/introspect_server.c) ---- */

/* Serve loop's task table to `cio-ps PID` and its await graph to
 * `cio-pstree PID` on a Unix socket at path (NULL: the default path for this
 * process, cio_introspection_path(getpid())). Opt-in, and cheap: the socket
 * is watched by the loop like any fd, no task and no thread; a request is
 * answered within the loop turn that sees it (the dump is built in the loop
 * thread, so a loop that is stuck does not answer - see the watchdog). The
 * socket file is made with mode 0600 (replacing a stale one at path) and
 * removed when the loop closes. Protocol: the client sends one line, "ps",
 * "stacks" (the table with backtraces) or "pstree", and reads the answer
 * to EOF. Returns 0; -EINVAL (NULL loop); -ENAMETOOLONG (path does not fit
 * a socket address); -EALREADY (this loop serves already); -EPERM;
 * -CIO_ECLOSED; or socket(2)/bind(2)/listen(2)'s error. Loop thread. */
CIO_EXPORT int cio_loop_serve_introspection(cio_loop *loop, const char *path);

/* The default socket path of process pid into buf[0..len):
 * "$XDG_RUNTIME_DIR/cio-PID.sock" when that variable names a directory, else
 * "/tmp/cio-UID-PID.sock". Returns 0, -EINVAL (NULL buf, pid <= 0) or
 * -ENAMETOOLONG (len too small). Any thread. */
CIO_EXPORT int cio_introspection_path(int pid, char *buf, size_t len);

/* Dump every task of loop (cio_loop_dump_tasks with backtraces) to stderr
 * each time signo arrives (e.g. SIGUSR1), for programs that enable nothing
 * else: `kill -USR1 PID`. Replaces any handler loop had for signo (it is
 * cio_add_signal_handler underneath). Returns what cio_add_signal_handler
 * does: 0, -EINVAL, -CIO_ECLOSED, -EPERM, -ENOMEM, -EAGAIN, -EMFILE. Loop
 * thread. */
CIO_EXPORT int cio_loop_dump_on_signal(cio_loop *loop, int signo);

/* ---- the stall detector (src/core/watchdog.c) --------------------------------------- */

/* Watch loop for stalls: a thread checks, every ms/4, whether the loop has
 * come back to poll within the last ms milliseconds while busy (a task or
 * callback that computes, or blocks in a syscall, without yielding). On a
 * stall it signals the loop thread (SIGRTMAX-2; leave that signal to cio),
 * whose handler prints to stderr, once per stall, the running task's name
 * and the backtrace of what it is doing right then - without stopping the
 * loop. Idle time (the loop waiting in poll) is never a stall. The signal
 * may end a blocking syscall of the stalled code early with EINTR. Costs
 * the loop two relaxed stores per poll (paid with or without a watchdog)
 * and the thread a wake-up every ms/4. Stopped when the loop closes.
 * Returns 0; -EINVAL (NULL loop, ms 0); -EALREADY (one runs already);
 * -EPERM; -CIO_ECLOSED; -ENOMEM or -EAGAIN (no thread). Call it on the
 * thread that runs the loop (its stack bounds are taken from there). */
CIO_EXPORT int cio_loop_start_watchdog(cio_loop *loop, unsigned ms);

/* Stop loop's watchdog and join its thread. Returns 0; -EALREADY (none
 * runs); -EINVAL; -EPERM; -CIO_ECLOSED. Loop thread. */
CIO_EXPORT int cio_loop_stop_watchdog(cio_loop *loop);

/* How many stalls loop's running watchdog has reported (0 without one).
 * Any thread. */
CIO_EXPORT unsigned cio_loop_watchdog_reports(const cio_loop *loop);

#endif
