/* src/process/process.c - starting children, noticing their exit, signals, and
 * the handle's life. The pipes' streams and communicate() are in process_io.c.
 *
 * Life of a child: spawned -> listed on its loop's children (not reaped) ->
 * reaped (returncode known) by the pidfd watcher thread or by the loop's
 * SIGCHLD handler. The handle (cio_process) is the caller's until
 * cio_process_free(); a handle freed before its child was reaped stays
 * listed, without pipes, until the reaping, then frees itself. A loop that
 * closes hands its unreaped children to the background (the watcher thread
 * keeps its pidfds; SIGCHLD-watched ones get a waitpid thread each). */
#include "process/process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

bool cio__process_valid(const cio_process *process, const char *caller) {
    if (cio__handle_check(process, CIO__PROCESS_MAGIC, "process", caller) < 0) return false;
    if (!process->freed) return true;
    /* Still allocated until its child is reaped, but no longer the caller's. */
    cio__complain("%s: the process was freed (a stale handle)", caller);
    return false;
}

int cio__process_check(const cio_process *process, const char *caller) {
    if (!cio__process_valid(process, caller)) return -EINVAL;
    if (!process->loop) return -CIO_ECLOSED;
    return cio__loop_check(process->loop, caller);
}

/* ---- choosing the exit watcher ------------------------------------------------------- */

static bool kernel_has_pidfd(void) {
    static atomic_int known = -1; /* -1 unknown, 0 no, 1 yes */
    int has = atomic_load(&known);
    if (has < 0) {
        int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
        has = fd >= 0;
        if (fd >= 0) close(fd);
        atomic_store(&known, has);
    }
    return has;
}

static int pick_watcher(cio_child_watcher asked, cio_child_watcher *out) {
    if (asked == CIO_WATCHER_DEFAULT) {
        const char *env = getenv("CIO_CHILD_WATCHER");
        if (env && strcmp(env, "sigchld") == 0)
            asked = CIO_WATCHER_SIGCHLD;
        else if (env && strcmp(env, "pidfd") == 0)
            asked = CIO_WATCHER_PIDFD;
    }
    if (asked == CIO_WATCHER_DEFAULT)
        asked = kernel_has_pidfd() ? CIO_WATCHER_PIDFD : CIO_WATCHER_SIGCHLD;
    if (asked == CIO_WATCHER_PIDFD && !kernel_has_pidfd()) return -ENOSYS;
    if (asked != CIO_WATCHER_PIDFD && asked != CIO_WATCHER_SIGCHLD) return -EINVAL;
    *out = asked;
    return 0;
}

/* ---- the exit ------------------------------------------------------------------------ */

static int returncode_of(int status) {
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

static void free_handle(cio_process *process) {
    if (process->pidfd >= 0) close(process->pidfd);
    cio__handle_retire(process); /* a stale handle is reported (core/handle.c) */
}

/* On the loop thread: the child was reaped. */
static void exited(cio_process *process, int returncode) {
    process->exited = true;
    process->returncode = returncode;
    cio__list_remove(&process->listed);
    if (process->pidfd >= 0) close(process->pidfd);
    process->pidfd = -1;
    cio__process_wake_waiters(process, 0);
    if (process->freed) free_handle(process);
}

static void on_watch_done(struct cio__job *job) {
    exited(job->context, (int)(intptr_t)job->result);
    free(job);
}

/* SIGCHLD: poll each of this loop's SIGCHLD-watched children. */
static void on_sigchld(void *arg, int signo) {
    (void)signo;
    struct cio__children *children = arg;
    struct cio__list *node = children->processes.next;
    while (node != &children->processes) {
        struct cio__list *next = node->next;
        cio_process *process = cio__container_of(node, cio_process, listed);
        int status;
        pid_t got = process->pidfd < 0 ? waitpid(process->pid, &status, WNOHANG) : 0;
        while (got < 0 && errno == EINTR) /* an exit missed here gets no second SIGCHLD */
            got = waitpid(process->pid, &status, WNOHANG);
        if (got == process->pid) exited(process, returncode_of(status));
        if (got < 0 && errno == ECHILD)
            exited(process, 255); /* reaped elsewhere (SIGCHLD ignored?) */
        node = next;
    }
}

static void children_close(cio_loop *loop, void *arg);

/* The loop's children, made on the first spawn; NULL on out of memory. */
static struct cio__children *children_of(cio_loop *loop) {
    struct cio__children *children = cio__loop_slot(loop, CIO__SLOT_PROCESS);
    if (children) return children;
    children = calloc(1, sizeof *children);
    if (!children) return NULL;
    cio__list_init(&children->processes);
    if (cio__loop_on_close(loop, children_close, children) < 0) {
        free(children);
        return NULL;
    }
    cio__loop_set_slot(loop, CIO__SLOT_PROCESS, children);
    return children;
}

/* Before spawning a SIGCHLD-watched child: catch SIGCHLD from now on. */
static int watch_sigchld(struct cio__os *os, struct cio__children *children) {
    if (children->sigchld) return 0;
    int rc = cio__signals_subscribe(os, SIGCHLD, on_sigchld, children);
    if (rc == 0) children->sigchld = true;
    return rc;
}

static int watch_pidfd(struct cio__os *os, cio_process *process) {
    struct cio__child_watch *watch = calloc(1, sizeof *watch);
    if (!watch) return -ENOMEM;
    watch->pidfd = (int)syscall(SYS_pidfd_open, process->pid, 0);
    process->pidfd = watch->pidfd < 0 ? -1 : fcntl(watch->pidfd, F_DUPFD_CLOEXEC, 3);
    if (process->pidfd < 0) {
        int rc = -errno;
        if (watch->pidfd >= 0) close(watch->pidfd);
        free(watch);
        return rc;
    }
    watch->job.on_done = on_watch_done;
    watch->job.context = process;
    if (cio__job_attach(os->loop, &watch->job, false) < 0) {
        close(watch->pidfd);
        close(process->pidfd);
        process->pidfd = -1;
        free(watch);
        return -ENOMEM;
    }
    return cio__childwatch_add(watch); /* fails only if the thread cannot start */
}

/* ---- loop close ----------------------------------------------------------------------- */

static void *reap_in_background(void *arg) {
    while (waitpid((pid_t)(intptr_t)arg, NULL, 0) < 0 && errno == EINTR) {
    }
    return NULL;
}

/* The orphan's reaper could not start: reap it now rather than leave a
 * zombie for good. One that has not exited is killed first (said on stderr):
 * waiting for it could block the loop's close for as long as it runs. */
static void reap_now(pid_t pid) {
    pid_t got;
    while ((got = waitpid(pid, NULL, WNOHANG)) < 0 && errno == EINTR) {
    }
    if (got != 0) return;          /* reaped, or not ours to reap (ECHILD) */
    if (kill(pid, SIGKILL) != 0) { /* cannot happen to our own child; never wait on a live one */
        cio__complain("cio_loop_close: no thread to reap child %d, which cannot be killed either",
                      (int)pid);
        return;
    }
    cio__complain("cio_loop_close: no thread to reap child %d in the background; killed it",
                  (int)pid);
    reap_in_background((void *)(intptr_t)pid);
}

/* Starts a detached thread that reaps pid; 0 or a positive error number. */
static int start_reaper(pid_t pid) {
    pthread_attr_t attr;
    int rc = pthread_attr_init(&attr);
    if (rc != 0) return rc;
    rc = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t thread;
    if (rc == 0) rc = pthread_create(&thread, &attr, reap_in_background, (void *)(intptr_t)pid);
    pthread_attr_destroy(&attr);
    return rc;
}

static void orphan(cio_process *process) {
    /* SIGCHLD-watched: nobody else will reap it */
    if (process->pidfd < 0 && start_reaper(process->pid) != 0) reap_now(process->pid);
    cio__process_wake_waiters(process, -CIO_ECLOSED);
    process->loop = NULL;
    if (process->freed) free_handle(process);
}

/* The loop closes: its unreaped children are orphaned (reaped in the
 * background). Runs before the OS state's hook (made later, so run
 * earlier): the SIGCHLD subscription still points at children. */
static void children_close(cio_loop *loop, void *arg) {
    struct cio__children *children = arg;
    cio__loop_set_slot(loop, CIO__SLOT_PROCESS, NULL);
    struct cio__list *node;
    while ((node = cio__list_pop_front(&children->processes)) != NULL)
        orphan(cio__container_of(node, cio_process, listed));
    free(children);
}

/* ---- spawning --------------------------------------------------------------------------- */

struct spawn_plan {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    int parent_ends[3]; /* our ends of the pipes */
    int child_ends[3];  /* closed in the parent once the child has them */
    bool made;          /* actions and attr were initialised: destroy them */
};

/* Plan what child fd `target` becomes. */
static int plan_stdio(struct spawn_plan *plan, int target, cio_stdio_mode mode, int user_fd) {
    switch (mode) {
    case CIO_STDIO_INHERIT:
        return 0;
    case CIO_STDIO_DEVNULL:
        return -posix_spawn_file_actions_addopen(&plan->actions, target, "/dev/null", O_RDWR, 0);
    case CIO_STDIO_FD:
        if (user_fd < 0) return -EINVAL;
        return -posix_spawn_file_actions_adddup2(&plan->actions, user_fd, target);
    case CIO_STDIO_STDOUT:
        if (target != 2) return -EINVAL;
        return -posix_spawn_file_actions_adddup2(&plan->actions, 1, 2);
    case CIO_STDIO_PIPE: {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0) return -errno;
        bool child_reads = target == 0;
        plan->child_ends[target] = fds[child_reads ? 0 : 1];
        plan->parent_ends[target] = fds[child_reads ? 1 : 0];
        return -posix_spawn_file_actions_adddup2(&plan->actions, plan->child_ends[target], target);
    }
    }
    return -EINVAL;
}

static int plan_attributes(struct spawn_plan *plan, const cio_process_options *opts) {
    sigset_t empty, defaults;
    sigemptyset(&empty);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGXFSZ);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (opts->new_session) flags |= POSIX_SPAWN_SETSID;
    int rc = posix_spawnattr_setflags(&plan->attr, flags);
    if (rc == 0) rc = posix_spawnattr_setsigmask(&plan->attr, &empty);
    if (rc == 0) rc = posix_spawnattr_setsigdefault(&plan->attr, &defaults);
    if (rc == 0 && opts->cwd) rc = posix_spawn_file_actions_addchdir_np(&plan->actions, opts->cwd);
    return -rc;
}

static int plan_make(struct spawn_plan *plan, const cio_process_options *opts) {
    for (int i = 0; i < 3; i++) plan->parent_ends[i] = plan->child_ends[i] = -1;
    int rc = posix_spawn_file_actions_init(&plan->actions);
    if (rc != 0) return -rc; /* never initialised: plan_drop must not destroy it */
    rc = posix_spawnattr_init(&plan->attr);
    if (rc != 0) {
        posix_spawn_file_actions_destroy(&plan->actions);
        return -rc;
    }
    plan->made = true;
    rc = plan_stdio(plan, 0, opts->stdin_mode, opts->stdin_fd);
    if (rc == 0) rc = plan_stdio(plan, 1, opts->stdout_mode, opts->stdout_fd);
    if (rc == 0) rc = plan_stdio(plan, 2, opts->stderr_mode, opts->stderr_fd);
    if (rc == 0) rc = plan_attributes(plan, opts);
    return rc;
}

/* Free the plan; on failure also our pipe ends. */
static void plan_drop(struct spawn_plan *plan, bool failed) {
    for (int i = 0; i < 3; i++) {
        if (plan->child_ends[i] >= 0) close(plan->child_ends[i]);
        if (failed && plan->parent_ends[i] >= 0) close(plan->parent_ends[i]);
    }
    if (!plan->made) return;
    posix_spawn_file_actions_destroy(&plan->actions);
    posix_spawnattr_destroy(&plan->attr);
}

static cio_process *handle_new(cio_loop *loop, const cio_process_options *opts, pid_t pid) {
    cio_process *process = calloc(1, sizeof *process);
    if (!process) return NULL;
    process->magic = CIO__PROCESS_MAGIC;
    process->loop = loop;
    process->pid = pid;
    process->pidfd = -1;
    process->kill_on_cancel = opts->kill_on_cancel;
    cio__waitq_init(&process->waiters);
    return process;
}

/* The child runs: make its handle and watch it. If that fails the child is
 * killed and reaped here, so nothing is left behind. */
static int adopt(struct cio__os *os, struct cio__children *children,
                 const cio_process_options *opts, cio_child_watcher watcher, pid_t pid,
                 struct spawn_plan *plan, cio_process **out) {
    cio_process *process = handle_new(os->loop, opts, pid);
    int rc = process ? cio__process_open_pipes(process, plan->parent_ends) : -ENOMEM;
    if (rc == 0 && watcher == CIO_WATCHER_PIDFD) rc = watch_pidfd(os, process);
    if (rc < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        if (process) {
            cio__process_close_pipes(process);
            if (process->pidfd >= 0) close(process->pidfd);
        }
        free(process);
        return rc;
    }
    cio__list_push_back(&children->processes, &process->listed);
    *out = process;
    return 0;
}

static int spawn(const char *const argv[], const cio_process_options *opts, cio_process **out) {
    cio_loop *loop = cio__running_loop;
    int rc = loop ? cio__loop_check(loop, "cio_create_subprocess") : -EPERM;
    if (rc < 0) return rc;
    cio_child_watcher watcher;
    rc = pick_watcher(opts->watcher, &watcher);
    if (rc < 0) return rc;
    struct cio__os *os = cio__os_get(loop); /* first: children's close hook runs before its */
    struct cio__children *children = os ? children_of(loop) : NULL;
    if (!children) return -ENOMEM;
    if (watcher == CIO_WATCHER_SIGCHLD && (rc = watch_sigchld(os, children)) < 0) return rc;
    struct spawn_plan plan = {.made = false};
    rc = plan_make(&plan, opts);
    pid_t pid = -1;
    char *const *env = opts->env ? (char *const *)opts->env : environ;
    if (rc == 0)
        rc = -posix_spawnp(&pid, argv[0], &plan.actions, &plan.attr, (char *const *)argv, env);
    if (rc == 0) rc = adopt(os, children, opts, watcher, pid, &plan, out);
    plan_drop(&plan, rc < 0);
    return rc;
}

int cio_create_subprocess_exec(const char *const argv[], const cio_process_options *opts,
                               cio_process **out) {
    if (!out) return -EINVAL;
    *out = NULL;
    if (!argv || !argv[0] || !argv[0][0]) return -EINVAL;
    static const cio_process_options defaults;
    return spawn(argv, opts ? opts : &defaults, out);
}

int cio_create_subprocess_shell(const char *cmd, const cio_process_options *opts,
                                cio_process **out) {
    if (!cmd) {
        if (out) *out = NULL;
        return -EINVAL;
    }
    const char *const argv[] = {"/bin/sh", "-c", cmd, NULL};
    return cio_create_subprocess_exec(argv, opts, out);
}

/* ---- queries and signals ------------------------------------------------------------------- */

int cio_process_pid(const cio_process *process) {
    return cio__process_valid(process, __func__) ? process->pid : -EINVAL;
}

int cio_process_returncode(const cio_process *process, int *returncode) {
    if (!cio__process_valid(process, __func__)) return -EINVAL;
    if (process->exited) {
        if (returncode) *returncode = process->returncode;
        return 0;
    }
    return process->loop ? -EAGAIN : -CIO_ECLOSED;
}

int cio_process_send_signal(cio_process *process, int signo) {
    int rc = cio__process_check(process, "cio_process_send_signal");
    if (rc < 0) return rc;
    if (process->exited) return -ESRCH;
    if (process->pidfd >= 0)
        rc = (int)syscall(SYS_pidfd_send_signal, process->pidfd, signo, NULL, 0);
    else
        rc = kill(process->pid, signo); /* not reaped yet: the pid is still ours */
    return rc == 0 ? 0 : -errno;
}

int cio_process_terminate(cio_process *process) {
    return cio_process_send_signal(process, SIGTERM);
}
int cio_process_kill(cio_process *process) {
    return cio_process_send_signal(process, SIGKILL);
}

void cio_process_free(cio_process *process) {
    if (!cio__process_valid(process, "cio_process_free")) return;
    cio__process_close_pipes(process);
    cio__process_wake_waiters(process, -CIO_ECLOSED);
    process->freed = true;
    if (process->exited || !process->loop) free_handle(process);
}
