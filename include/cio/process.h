/* cio/process.h - subprocesses (asyncio.subprocess).
 *
 * asyncio                                       cio
 * -------                                       ---
 * await create_subprocess_exec(*argv, ...)      cio_create_subprocess_exec(argv, &opts, &p)
 * await create_subprocess_shell(cmd, ...)       cio_create_subprocess_shell(cmd, &opts, &p)
 * stdin=PIPE / DEVNULL / fd, stderr=STDOUT      opts.stdin_mode = CIO_STDIO_PIPE ... (below)
 * proc.pid, proc.returncode                     cio_process_pid(p), cio_process_returncode(p, &rc)
 * await proc.wait()                             cio_process_wait(p, &rc)
 * await proc.communicate(input)                 cio_process_communicate(p, in, len, &out, ...)
 * proc.send_signal / terminate / kill           cio_process_send_signal / _terminate / _kill
 * proc.stdin / proc.stdout / proc.stderr        cio_process_stdin(p) / _stdout(p) / _stderr(p)
 * await proc.stdout.readline()                  cio_stream_readline(cio_process_stdout(p), ...)
 * proc.stdin.write(b); await drain()            cio_stream_write(in, b, n); cio_stream_drain(in)
 * proc.stdin.close()                            cio_stream_close(cio_process_stdin(p))
 *
 * Programs start with posix_spawn (no fork of a threaded parent): argv[0] is
 * looked up in $PATH unless it holds a '/'; a program that cannot be started
 * is an error of the create call (-ENOENT, -EACCES...), not an exit status.
 * The child starts with an empty signal mask, SIGPIPE and SIGXFSZ at their
 * defaults (as Python's restore_signals), and only fds 0-2 open (cio's own
 * fds are close-on-exec).
 *
 * Exit watching: a pidfd (Linux 5.3+) watched by one process-wide thread
 * where the kernel has it; otherwise the loop catches SIGCHLD and reaps its
 * own children with waitpid(pid) - never waitpid(-1), so other libraries'
 * children are left alone. Force one with opts.watcher or
 * $CIO_CHILD_WATCHER=pidfd|sigchld. Every child is reaped: by its loop, or,
 * once the loop has closed, in the background - no zombie stays behind.
 *
 * Pipes are cio streams (cio/stream.h) owned by the process: every stream
 * call works on them - readline, readuntil, readexactly, read_all, buffered
 * write with drain, close to send EOF.
 * All functions: loop thread of the loop that made the process. */
#ifndef CIO_PROCESS_H
#define CIO_PROCESS_H

#include <sys/types.h>

#include "stream.h"
#include "task.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cio_process cio_process;

/* Where a child's stdin, stdout or stderr goes. */
typedef enum cio_stdio_mode {
    CIO_STDIO_INHERIT = 0, /* the parent's own fd (asyncio's None) */
    CIO_STDIO_PIPE,        /* a pipe to the parent: a stream, cio_process_stdin() etc. */
    CIO_STDIO_DEVNULL,     /* /dev/null */
    CIO_STDIO_FD,     /* the fd given in the matching *_fd field (dup'ed; stays the caller's) */
    CIO_STDIO_STDOUT, /* stderr only: wherever stdout goes (asyncio.subprocess.STDOUT) */
} cio_stdio_mode;

/* How the exit of a child is noticed. */
typedef enum cio_child_watcher {
    CIO_WATCHER_DEFAULT = 0, /* $CIO_CHILD_WATCHER, else pidfd when the kernel has it */
    CIO_WATCHER_PIDFD,       /* pidfd_open(); fails with -ENOSYS if the kernel lacks it */
    CIO_WATCHER_SIGCHLD,     /* SIGCHLD + waitpid(pid, WNOHANG) */
} cio_child_watcher;

/* Options for starting a process; zero-initialise and set what you need. */
typedef struct cio_process_options {
    cio_stdio_mode stdin_mode, stdout_mode, stderr_mode;
    int stdin_fd, stdout_fd, stderr_fd; /* for CIO_STDIO_FD; should be > 2 or the same stream */
    const char *const *env; /* NULL-terminated "NAME=value" list; NULL: inherit the parent's */
    const char *cwd;        /* working directory; NULL: the parent's */
    bool new_session;       /* setsid() in the child (asyncio's start_new_session) */
    /* When a cio_process_wait() or cio_process_communicate() is cancelled or
     * times out: true sends SIGKILL to the child (it is reaped in the
     * background); false (asyncio's way) leaves it running. */
    bool kill_on_cancel;
    cio_child_watcher watcher;
} cio_process_options;

/* Start argv[0] with arguments argv (NULL-terminated, not run through a
 * shell). opts may be NULL (everything inherited). On success *out holds the
 * process; free it with cio_process_free(). Returns 0, or -EINVAL (NULL or
 * empty argv, bad option), -ENOENT (no such program or cwd), -EACCES,
 * -ENOEXEC, -E2BIG, -EMFILE, -ENOMEM, -EAGAIN, -ENOSYS (pidfd forced but
 * missing), -CIO_ECLOSED, -EPERM (no loop running on this thread). Does not
 * suspend: call it from a task or callback of the loop that will own the
 * process. */
CIO_EXPORT int cio_create_subprocess_exec(const char *const argv[], const cio_process_options *opts,
                                          cio_process **out);

/* Run cmd with /bin/sh -c. Errors as cio_create_subprocess_exec; a command
 * the shell cannot find exits with status 127. */
CIO_EXPORT int cio_create_subprocess_shell(const char *cmd, const cio_process_options *opts,
                                           cio_process **out);

/* The child's pid (> 0), or -EINVAL. */
CIO_EXPORT int cio_process_pid(const cio_process *process);

/* Without waiting: 0 and *returncode if the child has been reaped (its exit
 * status, or -N if signal N killed it, as asyncio), -EAGAIN if it still runs
 * (asyncio's None), -CIO_ECLOSED if its loop closed first, -EINVAL. */
CIO_EXPORT int cio_process_returncode(const cio_process *process, int *returncode);

/* Suspend until the child exits; *returncode (may be NULL) as above. Many
 * tasks may wait at once. While a task waits, the virtual clock waits for
 * the child. Returns 0, -ECANCELED, -ETIMEDOUT (the child is killed first if
 * kill_on_cancel), -CIO_ECLOSED, -EINVAL, -EPERM (outside a task). Mind
 * asyncio's warning: with stdout/stderr pipes, a child that fills them blocks
 * until they are read - use cio_process_communicate(). */
CIO_EXPORT int cio_process_wait(cio_process *process, int *returncode);

/* Send signo to the child (through its pidfd when it has one, so a reused
 * pid is never hit). Returns 0, -ESRCH if it has been reaped, -EINVAL. */
CIO_EXPORT int cio_process_send_signal(cio_process *process, int signo);
CIO_EXPORT int cio_process_terminate(cio_process *process); /* SIGTERM */
CIO_EXPORT int cio_process_kill(cio_process *process);      /* SIGKILL */

/* The child's stdin, stdout or stderr pipe as a stream (asyncio's
 * proc.stdin, proc.stdout, proc.stderr), or NULL when that one is not
 * CIO_STDIO_PIPE (or the handle is invalid). Borrowed: the process owns the
 * stream and cio_process_free() frees it - never cio_stream_free() it. The
 * pointer stays the same, and valid, until then, also after
 * cio_stream_close(). stdin is a write end (cio_stream_close() or
 * cio_stream_write_eof() sends EOF once the buffered input is written;
 * writes after the child closed its stdin give -EPIPE, without SIGPIPE);
 * stdout and stderr are read ends. Loop thread only. */
CIO_EXPORT cio_stream *cio_process_stdin(const cio_process *process);
CIO_EXPORT cio_stream *cio_process_stdout(const cio_process *process);
CIO_EXPORT cio_stream *cio_process_stderr(const cio_process *process);

/* Write input (may be NULL with len 0) to stdin and close it, read stdout and
 * stderr to EOF, all at once (no deadlock however much the child writes), then
 * wait for the exit. Output of a pipe that is not CIO_STDIO_PIPE, or whose
 * pointer here is NULL, is not collected (a pipe is still drained); a pipe
 * stream already closed is left alone. Input is written a slice at a time,
 * so it is never copied whole. On
 * success *out / *err hold what was read (NUL-terminated; free()) with their
 * lengths in *out_len / *err_len (each may be NULL). A child that exits
 * without reading all its input is not an error (EPIPE is ignored). Returns
 * 0, -ECANCELED / -ETIMEDOUT (the pipes are left as they are; the child is
 * killed if kill_on_cancel), -ENOMEM, -CIO_ECLOSED, -EINVAL, -EPERM, or the
 * error of a failed read of stdout / stderr (-EIO...: then stdin is aborted,
 * its unsent input dropped, so the feeding cannot wait for good on a child
 * whose output nobody reads); on error nothing is returned in *out / *err. */
CIO_EXPORT int cio_process_communicate(cio_process *process, const void *input, size_t len,
                                       char **out, size_t *out_len, char **err, size_t *err_len);

/* Close the pipe streams (gracefully: input still buffered for stdin is
 * sent in the background while the loop runs) and free the handle. A child
 * still running is not killed: it is reaped in the background when it exits. Tasks still waiting on
 * it wake with -CIO_ECLOSED. NULL is a no-op. Also valid after the loop closed. */
CIO_EXPORT void cio_process_free(cio_process *process);

#ifdef __cplusplus
}
#endif
#endif
