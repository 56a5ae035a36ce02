/* tests/soak/soak.c - `make soak`: SOAK_SECONDS (600) of load, then a check
 * that everything came back (issue 11).
 *
 * Each round, until the time is up: a batch of short tasks (1M over the run),
 * a wave of loopback connections to an echo server (up to 10,000 open at
 * once, as the fd limit allows, RLIMIT_NOFILE raised to its hard limit), each
 * ending one of four ways at random - a clean echo, a reset (abort), a
 * timeout (the server answers late), or a cancel from outside - and a few
 * subprocesses. At the end fds, mappings (task stacks), tasks, children and
 * RSS must be back to their starting figures (RSS within SOAK_RSS_SLACK_MB,
 * default 32). Prints a summary; exits 1 if anything is left over. */
#include <cio.h>

#include "core/stack.h" /* cio__stack_pool_drain: give pooled stacks back */

#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double soak_seconds = 600;
static long target_tasks = 1000000;
static int max_clients = 10000;

static long tasks_created, tasks_finished;
static long conns_ok, conns_reset, conns_timeout, conns_cancelled, conns_failed;
static long open_now, open_peak;
static long children_spawned;
static unsigned rng = 12345;

static unsigned rnd(unsigned n) {
    rng = rng * 1103515245u + 12345u;
    return (rng >> 8) % n;
}

static double now_real(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long count_dir(const char *path) {
    DIR *dir = opendir(path);
    if (!dir) return -1;
    long n = 0;
    for (struct dirent *e; (e = readdir(dir));) n += e->d_name[0] != '.';
    closedir(dir);
    return n - 1; /* the DIR's own fd, when counting /proc/self/fd */
}

static long count_lines(const char *path) {
    FILE *file = fopen(path, "r");
    if (!file) return -1;
    long n = 0;
    for (int c; (c = fgetc(file)) != EOF;) n += c == '\n';
    fclose(file);
    return n;
}

static long rss_kib(void) {
    long pages = 0, resident = 0;
    FILE *file = fopen("/proc/self/statm", "r");
    if (!file) return -1;
    if (fscanf(file, "%ld %ld", &pages, &resident) != 2) resident = -1;
    fclose(file);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static bool has_children(void) {
    siginfo_t info = {0};
    return waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0;
}

/* ---- the load ------------------------------------------------------------------------ */

static void *short_task(void *arg) {
    (void)arg;
    if (rnd(4) == 0) cio_sleep(0); /* some yield once */
    tasks_finished++;
    return NULL;
}

/* Echo each line; a line starting with 'S' is answered 50 ms late. */
static void echo(cio_stream *stream, void *arg) {
    (void)arg;
    char line[64];
    ssize_t n;
    while ((n = cio_stream_readline(stream, line, sizeof line)) > 0) {
        if (line[0] == 'S' && cio_sleep(0.05) < 0) break;
        if (cio_stream_write(stream, line, (size_t)n) < 0 || cio_stream_drain(stream) < 0) break;
    }
}

enum { END_OK, END_RESET, END_TIMEOUT, END_CANCEL };
struct client {
    int port;
    int how;
};

static void *client(void *arg) {
    struct client *c = arg;
    cio_stream *stream;
    int rc = cio_open_connection("127.0.0.1", c->port, NULL, &stream);
    if (rc < 0) return cio_fail(rc);
    if (++open_now > open_peak) open_peak = open_now;
    const char *line = c->how == END_TIMEOUT ? "Slow\n" : "hello\n";
    char buf[64];
    rc = cio_stream_write(stream, line, strlen(line));
    if (rc == 0 && c->how == END_RESET) {
        rc = cio_stream_abort(stream);
    } else if (rc == 0) {
        cio_timeout scope;
        cio_timeout_begin(&scope, c->how == END_TIMEOUT ? 0.01 : 30.0);
        ssize_t n = cio_stream_readline(stream, buf, sizeof buf);
        if (n >= 0) n = cio_sleep(0.001 * rnd(1000)); /* stay open a while: connections overlap */
        rc = cio_timeout_end(&scope);
        if (rc == 0 && n < 0) rc = (int)n;
    }
    open_now--;
    cio_stream_free(stream);
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void run_clients(int port, int n) {
    struct client *clients = calloc((size_t)n, sizeof *clients);
    cio_task **tasks = calloc((size_t)n, sizeof *tasks);
    if (!clients || !tasks) abort();
    for (int i = 0; i < n; i++) {
        clients[i] = (struct client){port, (int)rnd(4)};
        if (cio_create_task(client, &clients[i], &tasks[i]) < 0) tasks[i] = NULL;
    }
    cio_sleep(0.001 * rnd(50));
    for (int i = 0; i < n; i++)
        if (tasks[i] && clients[i].how == END_CANCEL) cio_task_cancel(tasks[i]);
    for (int i = 0; i < n; i++) {
        if (!tasks[i]) {
            conns_failed++;
            continue;
        }
        int rc = cio_await(tasks[i], NULL);
        if (rc == 0 && clients[i].how == END_RESET)
            conns_reset++;
        else if (rc == 0)
            conns_ok++;
        else if (rc == -ECANCELED)
            conns_cancelled++;
        else if (rc == -ETIMEDOUT)
            conns_timeout++;
        else if (clients[i].how == END_RESET)
            conns_reset++;
        else
            conns_failed++;
    }
    free(tasks);
    free(clients);
}

static void run_children(void) {
    const char *argv[] = {"true", NULL};
    for (int i = 0; i < 2; i++) {
        cio_process *process;
        if (cio_create_subprocess_exec(argv, NULL, &process) < 0) continue;
        int status;
        cio_process_wait(process, &status);
        cio_process_free(process);
        children_spawned++;
    }
}

static void *soak(void *arg) {
    (void)arg;
    cio_server *server;
    /* A deep backlog: a wave connects all at once, and a SYN the kernel drops
     * is retried only after a second. */
    cio_server_options opts = {.backlog = 65535};
    int rc = cio_start_server("127.0.0.1", 0, echo, NULL, &opts, &server);
    if (rc < 0) return cio_fail(rc);
    int port = cio_server_port(server);
    double start = now_real(), end = start + soak_seconds;
    while (now_real() < end) {
        double elapsed = now_real() - start;
        long due = (long)((double)target_tasks * (elapsed + 1.0) / soak_seconds);
        if (due > target_tasks) due = target_tasks;
        for (; tasks_created < due; tasks_created++)
            if (cio_create_task(short_task, NULL, NULL) < 0) break;
        int wave = 1 + (int)rnd((unsigned)max_clients);
        double began = now_real();
        run_clients(port, wave);
        run_children();
        if (getenv("SOAK_VERBOSE"))
            fprintf(stderr, "soak: %.1f s: wave of %d connections in %.2f s, %ld tasks\n",
                    now_real() - start, wave, now_real() - began, tasks_created);
        cio_sleep(0); /* let the detached short tasks finish */
    }
    while (tasks_finished < tasks_created) cio_sleep(0.001);
    cio_server_close(server);
    cio_server_wait_closed(server);
    cio_server_free(server);
    return NULL;
}

/* ---- before and after ----------------------------------------------------------------- */

/* Mappings may grow by glibc's malloc arenas, made by the pool's and the
 * child watcher's threads and kept for the process's life (one or two each);
 * a leaked task stack would add its pages by the thousand. */
#define MAPS_SLACK 8

struct figures {
    long fds, maps, rss_kib;
    bool children;
};

static struct figures measure(void) {
    cio__stack_pool_drain();
    malloc_trim(0);
    return (struct figures){count_dir("/proc/self/fd"), count_lines("/proc/self/maps"), rss_kib(),
                            has_children()};
}

int main(void) {
    const char *text = getenv("SOAK_SECONDS");
    if (text) soak_seconds = atof(text);
    long slack_mb = getenv("SOAK_RSS_SLACK_MB") ? atol(getenv("SOAK_RSS_SLACK_MB")) : 32;
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
    /* Two fds a connection (client and server side), and room for the rest. */
    long fit = ((long)limit.rlim_cur - 200) / 2;
    if (fit < max_clients) max_clients = fit < 1 ? 1 : (int)fit;

    /* Warm up once (the loop's first-use allocations, libc's), then measure. */
    double asked = soak_seconds;
    soak_seconds = 0.01;
    target_tasks = 10;
    cio_run(soak, NULL, NULL);
    soak_seconds = asked;
    target_tasks = getenv("SOAK_TASKS") ? atol(getenv("SOAK_TASKS")) : 1000000;
    tasks_created = tasks_finished = 0;
    conns_ok = conns_reset = conns_timeout = conns_cancelled = conns_failed = open_peak = 0;
    children_spawned = 0;
    struct figures before = measure();

    double start = now_real();
    int rc = cio_run(soak, NULL, NULL);
    double took = now_real() - start;
    struct figures after = measure();

    printf("soak: %.0f s (fd limit %ld, up to %d connections a wave)\n", took, (long)limit.rlim_cur,
           max_clients);
    printf("soak: tasks %ld created, %ld finished\n", tasks_created, tasks_finished);
    printf("soak: connections %ld ok, %ld reset, %ld timed out, %ld cancelled, %ld failed; %ld "
           "open at once at most\n",
           conns_ok, conns_reset, conns_timeout, conns_cancelled, conns_failed, open_peak);
    printf("soak: children %ld spawned\n", children_spawned);
    printf("soak: fds %ld -> %ld, mappings %ld -> %ld, RSS %ld -> %ld KiB, children left: %s\n",
           before.fds, after.fds, before.maps, after.maps, before.rss_kib, after.rss_kib,
           after.children ? "yes" : "no");
    bool ok = rc == 0 && tasks_finished == tasks_created && after.fds == before.fds &&
              after.maps <= before.maps + MAPS_SLACK &&
              after.rss_kib <= before.rss_kib + slack_mb * 1024 && !after.children &&
              conns_failed == 0;
    printf("soak: %s%s\n", ok ? "ok" : "FAILED", rc ? " (the soak task failed)" : "");
    return ok ? 0 : 1;
}
