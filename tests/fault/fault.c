/* tests/fault/fault.c - make any syscall or allocation cio makes fail.
 *
 * In a -DCIO_FAULT_INJECTION=ON build, libcio.a's references to the calls
 * listed in calls.txt are renamed to __wrap_NAME (objcopy --redefine-syms,
 * tests/fault/CMakeLists.txt), so only cio's own calls land here: the
 * tests', cmocka's and libc's internal ones do not. Each wrapper counts the
 * call and, when the environment says so, fails it the way the kernel or libc
 * would (-1 and errno, NULL, or an error number), without making the call.
 *
 *   CIO_FAULT_CALLS=malloc,socket  the calls that count and may fail (default: all)
 *   CIO_FAULT_NTH=N                fail the Nth counted call (1-based), once
 *   CIO_FAULT_SEED=S CIO_FAULT_RATE=R   fail each counted call with probability
 *                                  R, decided by a hash of (S, call number):
 *                                  the same seed fails the same calls
 *   CIO_FAULT_SITE=0xOFF[:N]       fail the Nth (default: first) call made from
 *                                  the call site at offset OFF of the program
 *                                  (as the report and the failing line print it)
 *   CIO_FAULT_REPORT=FILE          at exit, write "total N", then "NAME COUNT"
 *                                  for every call made, then "site 0xOFF NAME
 *                                  COUNT" for every call site that made one
 *                                  (scripts/fault.sh)
 *
 * Each injected failure prints "cio-fault: failing call #K NAME at
 * FILE+0xOFFSET" on stderr (addr2line -e FILE OFFSET gives the line). A
 * forked child counts on from its parent's count but writes no report. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#if __has_include(<liburing.h>)
#include <liburing.h>
#define HAVE_LIBURING 1
#endif

#include "fault.h"

/* Every wrapped call; calls.txt lists the same names for the renaming. One
 * a line, left alone by clang-format, which would stagger the list. */
// clang-format off
#define SIMPLE_CALLS(X) \
    X(malloc) \
    X(calloc) \
    X(realloc) \
    X(strdup) \
    X(strndup) \
    X(mmap) \
    X(mprotect) \
    X(madvise) \
    X(socket) \
    X(accept4) \
    X(epoll_create1) \
    X(epoll_ctl) \
    X(epoll_wait) \
    X(poll) \
    X(eventfd) \
    X(pipe2) \
    X(openat) \
    X(bind) \
    X(listen) \
    X(connect) \
    X(shutdown) \
    X(setsockopt) \
    X(getsockopt) \
    X(getsockname) \
    X(getpeername) \
    X(read) \
    X(write) \
    X(pread) \
    X(pwrite) \
    X(writev) \
    X(recv) \
    X(recvfrom) \
    X(recvmsg) \
    X(send) \
    X(sendto) \
    X(sendmsg) \
    X(fcntl) \
    X(fstat) \
    X(stat) \
    X(lstat) \
    X(statx) \
    X(fsync) \
    X(rename) \
    X(unlink) \
    X(fchmod) \
    X(close) \
    X(pthread_create) \
    X(pthread_mutex_init) \
    X(pthread_cond_init) \
    X(pthread_key_create) \
    X(posix_spawnp) \
    X(posix_spawn_file_actions_init) \
    X(posix_spawn_file_actions_adddup2) \
    X(posix_spawn_file_actions_addopen) \
    X(posix_spawn_file_actions_addchdir_np) \
    X(sigaction) \
    X(sigaltstack) \
    X(pthread_sigmask) \
    X(sigtimedwait) \
    X(waitid) \
    X(waitpid) \
    X(kill) \
    X(getaddrinfo) \
    X(getnameinfo) \
    X(fopen) \
    X(syscall) \
    X(sched_getaffinity)
// clang-format on
#ifdef HAVE_LIBURING
#define URING_CALLS(X) X(io_uring_queue_init) X(io_uring_submit) X(io_uring_get_probe_ring)
#else
#define URING_CALLS(X)
#endif
#define ALL_CALLS(X) SIMPLE_CALLS(X) URING_CALLS(X)

enum {
#define AS_ENUM(name) CALL_##name,
    ALL_CALLS(AS_ENUM) N_CALLS
};
static const char *const names[N_CALLS] = {
#define AS_NAME(name) #name,
    ALL_CALLS(AS_NAME)};

static atomic_ulong counts[N_CALLS];
static atomic_ulong armed[N_CALLS]; /* cio_fault_arm: fail when the count down reaches 1 */
static atomic_ulong total;
static bool selected[N_CALLS];
static bool ready;
static unsigned long nth;
static double rate;
static uint64_t seed;
static const char *report_path;
static pid_t first_pid;
static char *base;                /* where the program (with libcio.a) is mapped */
static unsigned long target_site; /* CIO_FAULT_SITE's offset + 1, or 0 */
static unsigned long target_nth;  /* ... and which of its calls fails */
static atomic_ulong target_seen;

/* The call sites seen: return address -> calls, an open-addressing table
 * filled without locks or allocation (the allocator is wrapped). */
#define SITES 8192
static _Atomic(uintptr_t) site_from[SITES];
static atomic_ulong site_calls[SITES];
static unsigned char site_call[SITES];

static atomic_ulong *site_slot(uintptr_t from, int call) {
    for (size_t i = (from * 0x9e3779b97f4a7c15u) >> 51, n = 0; n < SITES;
         i = (i + 1) % SITES, n++) {
        uintptr_t seen = atomic_load(&site_from[i]);
        if (seen == 0 && atomic_compare_exchange_strong(&site_from[i], &seen, from)) {
            site_call[i] = (unsigned char)call;
            return &site_calls[i];
        }
        if (seen == from) return &site_calls[i];
    }
    return NULL; /* full: the site goes unrecorded */
}

static uint64_t splitmix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15u;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

/* Parses CIO_FAULT_CALLS without allocating (the allocator is wrapped too). */
static void select_calls(const char *list) {
    for (int i = 0; i < N_CALLS; i++) selected[i] = list == NULL || *list == '\0';
    while (list && *list) {
        size_t len = strcspn(list, ",");
        bool known = false;
        for (int i = 0; i < N_CALLS; i++)
            if (strlen(names[i]) == len && strncmp(names[i], list, len) == 0)
                selected[i] = known = true;
        if (!known)
            fprintf(stderr, "cio-fault: unknown call '%.*s' in CIO_FAULT_CALLS\n", (int)len, list);
        list += len + (list[len] == ',');
    }
}

static void write_report(void) {
    if (!report_path || getpid() != first_pid) return;
    FILE *out = fopen(report_path, "w"); /* the real fopen: this file is not renamed */
    if (!out) return;
    fprintf(out, "total %lu\n", atomic_load(&total));
    for (int i = 0; i < N_CALLS; i++)
        if (atomic_load(&counts[i])) fprintf(out, "%s %lu\n", names[i], atomic_load(&counts[i]));
    for (int i = 0; i < SITES; i++) {
        uintptr_t from = atomic_load(&site_from[i]);
        if (from)
            fprintf(out, "site 0x%lx %s %lu\n", (unsigned long)((char *)from - base) - 1,
                    names[site_call[i]], atomic_load(&site_calls[i]));
    }
    fclose(out);
}

__attribute__((constructor)) static void fault_init(void) {
    const char *text = getenv("CIO_FAULT_NTH");
    nth = text ? strtoul(text, NULL, 10) : 0;
    text = getenv("CIO_FAULT_RATE");
    rate = text ? strtod(text, NULL) : 0.0;
    text = getenv("CIO_FAULT_SEED");
    seed = text ? strtoull(text, NULL, 10) : 1;
    select_calls(getenv("CIO_FAULT_CALLS"));
    report_path = getenv("CIO_FAULT_REPORT");
    Dl_info info;
    if (dladdr((void *)fault_init, &info)) base = info.dli_fbase;
    text = getenv("CIO_FAULT_SITE");
    if (text) {
        char *end;
        target_site = strtoul(text, &end, 16) + 1;
        target_nth = *end == ':' ? strtoul(end + 1, NULL, 10) : 1;
    }
    first_pid = getpid();
    atexit(write_report);
    ready = true;
}

static void say_failing(unsigned long k, int call, void *from) {
    Dl_info info;
    char line[512];
    int len;
    if (dladdr(from, &info) && info.dli_fname)
        len = snprintf(line, sizeof line, "cio-fault: failing call #%lu %s at %s+0x%lx\n", k,
                       names[call], info.dli_fname,
                       (unsigned long)((char *)from - (char *)info.dli_fbase) - 1);
    else
        len = snprintf(line, sizeof line, "cio-fault: failing call #%lu %s at %p\n", k, names[call],
                       from);
    if (len > 0) {
        ssize_t ignored =
            write(STDERR_FILENO, line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1);
        (void)ignored;
    }
}

/* True if cio_fault_arm chose this call to fail. */
static bool armed_now(int call) {
    unsigned long left = atomic_load(&armed[call]);
    while (left && !atomic_compare_exchange_weak(&armed[call], &left, left - 1)) {
    }
    return left == 1;
}

int cio_fault_arm(const char *name, unsigned long skip) {
    for (int i = 0; i < N_CALLS; i++)
        if (strcmp(names[i], name) == 0) {
            atomic_store(&armed[i], skip + 1);
            return 0;
        }
    return -EINVAL;
}

static atomic_ulong armed_times[N_CALLS]; /* cio_fault_arm_times: calls left to fail */

int cio_fault_arm_times(const char *name, unsigned long times) {
    for (int i = 0; i < N_CALLS; i++)
        if (strcmp(names[i], name) == 0) {
            atomic_store(&armed_times[i], times);
            return 0;
        }
    return -EINVAL;
}

/* True if cio_fault_arm_times has calls of this kind left to fail. */
static bool armed_times_now(int call) {
    unsigned long left = atomic_load(&armed_times[call]);
    while (left && !atomic_compare_exchange_weak(&armed_times[call], &left, left - 1)) {
    }
    return left > 0;
}

bool cio_fault_armed(const char *name) {
    for (int i = 0; i < N_CALLS; i++)
        if (strcmp(names[i], name) == 0)
            return atomic_load(&armed[i]) != 0 || atomic_load(&armed_times[i]) != 0;
    return false;
}

void cio_fault_disarm(void) {
    for (int i = 0; i < N_CALLS; i++) atomic_store(&armed[i], 0), atomic_store(&armed_times[i], 0);
}

/* Records the call site; true if it is CIO_FAULT_SITE's turn to fail. */
static bool site_fails(int call, void *from) {
    uintptr_t at = (uintptr_t)__builtin_extract_return_addr(from);
    atomic_ulong *calls = site_slot(at, call);
    if (calls) atomic_fetch_add(calls, 1);
    return target_site && (unsigned long)((char *)at - base) == target_site &&
           atomic_fetch_add(&target_seen, 1) + 1 == target_nth;
}

/* Counts the call; true if it must fail. */
static bool fail_now(int call, void *from) {
    if (ready && site_fails(call, from)) {
        atomic_fetch_add(&counts[call], 1);
        say_failing(atomic_fetch_add(&total, 1) + 1, call, __builtin_extract_return_addr(from));
        return true;
    }
    if ((atomic_load(&armed[call]) && armed_now(call)) ||
        (atomic_load(&armed_times[call]) && armed_times_now(call))) {
        atomic_fetch_add(&counts[call], 1);
        say_failing(0, call, __builtin_extract_return_addr(from));
        return true;
    }
    if (!ready || !selected[call]) {
        atomic_fetch_add(&counts[call], 1);
        return false;
    }
    atomic_fetch_add(&counts[call], 1);
    unsigned long k = atomic_fetch_add(&total, 1) + 1;
    bool fail = (nth && k == nth) ||
                (rate > 0 && (double)(splitmix64(seed ^ splitmix64(k)) >> 11) * 0x1.0p-53 < rate);
    if (fail) say_failing(k, call, __builtin_extract_return_addr(from));
    return fail;
}

#define FROM __builtin_return_address(0)

/* A wrapper that fails with `failed` and errno = err. */
#define WRAP(ret, name, params, args, failed, err)                                                 \
    ret __wrap_##name params;                                                                      \
    ret __wrap_##name params {                                                                     \
        if (fail_now(CALL_##name, FROM)) {                                                         \
            errno = err;                                                                           \
            return failed;                                                                         \
        }                                                                                          \
        return name args;                                                                          \
    }
/* A wrapper for calls that return an error number instead. */
#define WRAP_RC(name, params, args, err)                                                           \
    int __wrap_##name params;                                                                      \
    int __wrap_##name params {                                                                     \
        if (fail_now(CALL_##name, FROM)) return err;                                               \
        return name args;                                                                          \
    }

WRAP(void *, malloc, (size_t n), (n), NULL, ENOMEM)
WRAP(void *, calloc, (size_t n, size_t size), (n, size), NULL, ENOMEM)
WRAP(void *, realloc, (void *p, size_t n), (p, n), NULL, ENOMEM)
WRAP(char *, strdup, (const char *s), (s), NULL, ENOMEM)
WRAP(char *, strndup, (const char *s, size_t n), (s, n), NULL, ENOMEM)
WRAP(void *, mmap, (void *a, size_t n, int prot, int flags, int fd, off_t off),
     (a, n, prot, flags, fd, off), MAP_FAILED, ENOMEM)
WRAP(int, mprotect, (void *a, size_t n, int prot), (a, n, prot), -1, ENOMEM)
WRAP(int, madvise, (void *a, size_t n, int advice), (a, n, advice), -1, EINVAL)
WRAP(int, socket, (int d, int t, int p), (d, t, p), -1, EMFILE)
WRAP(int, accept4, (int fd, struct sockaddr *a, socklen_t *l, int f), (fd, a, l, f), -1, EMFILE)
WRAP(int, epoll_create1, (int f), (f), -1, EMFILE)
WRAP(int, epoll_ctl, (int e, int op, int fd, struct epoll_event *ev), (e, op, fd, ev), -1, ENOMEM)
WRAP(int, epoll_wait, (int e, struct epoll_event *ev, int n, int t), (e, ev, n, t), -1, EINTR)
WRAP(int, poll, (struct pollfd * p, nfds_t n, int t), (p, n, t), -1, EINTR)
WRAP(int, eventfd, (unsigned v, int f), (v, f), -1, EMFILE)
WRAP(int, pipe2, (int p[2], int f), (p, f), -1, EMFILE)
WRAP(int, bind, (int fd, const struct sockaddr *a, socklen_t l), (fd, a, l), -1, EADDRINUSE)
WRAP(int, listen, (int fd, int n), (fd, n), -1, EADDRINUSE)
WRAP(int, connect, (int fd, const struct sockaddr *a, socklen_t l), (fd, a, l), -1, ECONNREFUSED)
WRAP(int, shutdown, (int fd, int how), (fd, how), -1, ENOTCONN)
WRAP(int, setsockopt, (int fd, int l, int o, const void *v, socklen_t n), (fd, l, o, v, n), -1,
     ENOBUFS)
WRAP(int, getsockopt, (int fd, int l, int o, void *v, socklen_t *n), (fd, l, o, v, n), -1, ENOBUFS)
WRAP(int, getsockname, (int fd, struct sockaddr *a, socklen_t *l), (fd, a, l), -1, ENOBUFS)
WRAP(int, getpeername, (int fd, struct sockaddr *a, socklen_t *l), (fd, a, l), -1, ENOTCONN)
WRAP(ssize_t, read, (int fd, void *b, size_t n), (fd, b, n), -1, EIO)
WRAP(ssize_t, write, (int fd, const void *b, size_t n), (fd, b, n), -1, EIO)
WRAP(ssize_t, pread, (int fd, void *b, size_t n, off_t o), (fd, b, n, o), -1, EIO)
WRAP(ssize_t, pwrite, (int fd, const void *b, size_t n, off_t o), (fd, b, n, o), -1, EIO)
WRAP(ssize_t, writev, (int fd, const struct iovec *v, int n), (fd, v, n), -1, EIO)
WRAP(ssize_t, recv, (int fd, void *b, size_t n, int f), (fd, b, n, f), -1, ECONNRESET)
WRAP(ssize_t, recvfrom, (int fd, void *b, size_t n, int f, struct sockaddr *a, socklen_t *l),
     (fd, b, n, f, a, l), -1, ECONNRESET)
WRAP(ssize_t, recvmsg, (int fd, struct msghdr *m, int f), (fd, m, f), -1, ECONNRESET)
WRAP(ssize_t, send, (int fd, const void *b, size_t n, int f), (fd, b, n, f), -1, EPIPE)
WRAP(ssize_t, sendto,
     (int fd, const void *b, size_t n, int f, const struct sockaddr *a, socklen_t l),
     (fd, b, n, f, a, l), -1, EPIPE)
WRAP(ssize_t, sendmsg, (int fd, const struct msghdr *m, int f), (fd, m, f), -1, EPIPE)
WRAP(int, fstat, (int fd, struct stat *s), (fd, s), -1, EIO)
WRAP(int, stat, (const char *p, struct stat *s), (p, s), -1, EIO)
WRAP(int, lstat, (const char *p, struct stat *s), (p, s), -1, EIO)
WRAP(int, statx, (int d, const char *p, int f, unsigned m, struct statx *s), (d, p, f, m, s), -1,
     EIO)
WRAP(int, fsync, (int fd), (fd), -1, EIO)
WRAP(int, rename, (const char *a, const char *b), (a, b), -1, EIO)
WRAP(int, unlink, (const char *p), (p), -1, EIO)
WRAP(int, fchmod, (int fd, mode_t m), (fd, m), -1, EIO)
WRAP_RC(pthread_create, (pthread_t * t, const pthread_attr_t *a, void *(*f)(void *), void *arg),
        (t, a, f, arg), EAGAIN)
WRAP_RC(pthread_mutex_init, (pthread_mutex_t * m, const pthread_mutexattr_t *a), (m, a), ENOMEM)
WRAP_RC(pthread_cond_init, (pthread_cond_t * c, const pthread_condattr_t *a), (c, a), ENOMEM)
WRAP_RC(pthread_key_create, (pthread_key_t * k, void (*d)(void *)), (k, d), EAGAIN)
WRAP_RC(posix_spawnp,
        (pid_t * pid, const char *file, const posix_spawn_file_actions_t *fa,
         const posix_spawnattr_t *sa, char *const argv[], char *const envp[]),
        (pid, file, fa, sa, argv, envp), EAGAIN)
WRAP_RC(posix_spawn_file_actions_init, (posix_spawn_file_actions_t * fa), (fa), ENOMEM)
WRAP_RC(posix_spawn_file_actions_adddup2, (posix_spawn_file_actions_t * fa, int fd, int to),
        (fa, fd, to), ENOMEM)
WRAP_RC(posix_spawn_file_actions_addopen,
        (posix_spawn_file_actions_t * fa, int fd, const char *p, int f, mode_t m),
        (fa, fd, p, f, m), ENOMEM)
WRAP_RC(posix_spawn_file_actions_addchdir_np, (posix_spawn_file_actions_t * fa, const char *p),
        (fa, p), ENOMEM)
WRAP(int, sigaction, (int s, const struct sigaction *a, struct sigaction *o), (s, a, o), -1, EINVAL)
WRAP(int, sigaltstack, (const stack_t *s, stack_t *o), (s, o), -1, ENOMEM)
WRAP_RC(pthread_sigmask, (int how, const sigset_t *s, sigset_t *o), (how, s, o), EINVAL)
WRAP(int, sigtimedwait, (const sigset_t *s, siginfo_t *i, const struct timespec *t), (s, i, t), -1,
     EINTR)
WRAP(int, waitid, (idtype_t t, id_t id, siginfo_t *i, int o), (t, id, i, o), -1, EINTR)
WRAP(pid_t, waitpid, (pid_t p, int *s, int o), (p, s, o), -1, EINTR)
WRAP(int, kill, (pid_t p, int s), (p, s), -1, ESRCH)
WRAP_RC(getaddrinfo, (const char *n, const char *s, const struct addrinfo *h, struct addrinfo **r),
        (n, s, h, r), EAI_MEMORY)
WRAP_RC(getnameinfo,
        (const struct sockaddr *a, socklen_t l, char *h, socklen_t hl, char *s, socklen_t sl,
         int f),
        (a, l, h, hl, s, sl, f), EAI_MEMORY)
WRAP(FILE *, fopen, (const char *p, const char *m), (p, m), NULL, EMFILE)
WRAP(int, sched_getaffinity, (pid_t p, size_t n, cpu_set_t *s), (p, n, s), -1, EINVAL)
#ifdef HAVE_LIBURING
WRAP_RC(io_uring_queue_init, (unsigned n, struct io_uring *r, unsigned f), (n, r, f), -ENOMEM)
WRAP_RC(io_uring_submit, (struct io_uring * r), (r), -EBUSY)
WRAP(struct io_uring_probe *, io_uring_get_probe_ring, (struct io_uring * r), (r), NULL, ENOMEM)
#endif

/* close(2) releases the fd even when it reports an error (Linux): so does this. */
int __wrap_close(int fd);
int __wrap_close(int fd) {
    bool fail = fail_now(CALL_close, FROM);
    int rc = close(fd);
    if (fail) {
        errno = EIO;
        return -1;
    }
    return rc;
}

/* The variadic ones take their optional argument as the largest it can be. */
int __wrap_openat(int dir, const char *path, int flags, ...);
int __wrap_openat(int dir, const char *path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
    va_end(ap);
    if (fail_now(CALL_openat, FROM)) {
        errno = EMFILE;
        return -1;
    }
    return openat(dir, path, flags, mode);
}

int __wrap_fcntl(int fd, int cmd, ...);
int __wrap_fcntl(int fd, int cmd, ...) {
    va_list ap;
    va_start(ap, cmd);
    long arg = va_arg(ap, long); /* unused by commands without one */
    va_end(ap);
    if (fail_now(CALL_fcntl, FROM)) {
        errno = EINVAL;
        return -1;
    }
    return fcntl(fd, cmd, arg);
}

long __wrap_syscall(long number, ...);
long __wrap_syscall(long number, ...) {
    va_list ap;
    va_start(ap, number);
    long a[6];
    for (int i = 0; i < 6; i++) a[i] = va_arg(ap, long);
    va_end(ap);
    if (fail_now(CALL_syscall, FROM)) {
        errno = ENOSYS;
        return -1;
    }
    return syscall(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
