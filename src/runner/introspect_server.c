/* src/runner/introspect_server.c - answering cio-ps and cio-pstree from
 * inside the program, and the signal-triggered dump.
 *
 * The listening socket is an fd the loop watches (cio__io_watch), not a
 * task: nothing shows in the task table, nothing needs cancelling at the
 * end of the run, and a loop that never calls it pays nothing. A request
 * is answered inside the poller's dispatch: the client's one-line request
 * is read with a short timeout and the answer (built in memory first, so
 * the loop is read in one go) written with one, so a client that stalls
 * costs the loop at most IO_TIMEOUT_MS per request. Lives in src/runner
 * because the signal dump needs the os layer's signal handling. */
#include "core/core.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define IO_TIMEOUT_MS 200

struct server {
    struct cio__fd_watch watch; /* first: the watch callback finds us from it */
    cio_loop *loop;
    int fd; /* the listening socket, -1 when not serving */
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

int cio_introspection_path(int pid, char *buf, size_t len) {
    if (!buf || pid <= 0) return -EINVAL;
    const char *dir = getenv("XDG_RUNTIME_DIR");
    struct stat st;
    int n;
    if (dir && *dir && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
        n = snprintf(buf, len, "%s/cio-%d.sock", dir, pid);
    else
        n = snprintf(buf, len, "/tmp/cio-%u-%d.sock", (unsigned)getuid(), pid);
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* ---- one request ------------------------------------------------------------------- */

static void set_timeouts(int fd) {
    struct timeval tv = {.tv_sec = 0, .tv_usec = IO_TIMEOUT_MS * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static void read_request(int fd, char *line, size_t len) {
    size_t got = 0;
    while (got + 1 < len) {
        ssize_t n = recv(fd, line + got, len - 1 - got, 0);
        if (n <= 0) break;
        got += (size_t)n;
        if (memchr(line, '\n', got)) break;
    }
    line[got] = '\0';
    line[strcspn(line, "\r\n")] = '\0';
}

static void answer(cio_loop *loop, const char *request, FILE *out) {
    if (strcmp(request, "ps") == 0)
        cio_loop_dump_tasks(loop, out, false);
    else if (strcmp(request, "stacks") == 0)
        cio_loop_dump_tasks(loop, out, true);
    else if (strcmp(request, "pstree") == 0)
        cio_loop_print_call_graph(loop, out);
    else
        fprintf(out, "cio: unknown request '%s' (ps, stacks, pstree)\n", request);
}

static void send_all(int fd, const char *text, size_t len) {
    while (len > 0) {
        ssize_t n = send(fd, text, len, MSG_NOSIGNAL);
        if (n <= 0) return; /* gone, or stalled past the timeout */
        text += n;
        len -= (size_t)n;
    }
}

static void serve_one(struct server *server, int client) {
    char request[64];
    set_timeouts(client);
    read_request(client, request, sizeof request);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (out) {
        fprintf(out, "pid %d\n", (int)getpid());
        answer(server->loop, request, out);
        fclose(out);
        send_all(client, text, len);
    }
    free(text);
    close(client);
}

static void on_ready(struct cio__fd_watch *watch, int fd, unsigned events) {
    struct server *server = (struct server *)(void *)watch;
    (void)events;
    int client;
    while ((client = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) serve_one(server, client);
    cio__io_watch(server->loop, fd, watch, CIO__READABLE, false); /* poll's arms are oneshot */
}

/* ---- serving ----------------------------------------------------------------------- */

static void stop(struct server *server) {
    if (server->fd < 0) return;
    cio__io_unwatch(server->loop, server->fd);
    close(server->fd);
    unlink(server->path);
    server->fd = -1;
}

static void on_close(cio_loop *loop, void *arg) {
    stop(arg);
    free(arg);
    cio__loop_set_slot(loop, CIO__SLOT_INTROSPECT, NULL);
}

static int listen_at(const char *path, int *out) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    memcpy(addr.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    unlink(path); /* a stale socket of an earlier process with this pid */
    mode_t old = umask(077);
    int rc =
        bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 && listen(fd, 8) == 0 ? 0 : -errno;
    umask(old);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    *out = fd;
    return 0;
}

static struct server *server_of(cio_loop *loop) {
    struct server *server = cio__loop_slot(loop, CIO__SLOT_INTROSPECT);
    if (server) return server;
    server = calloc(1, sizeof *server);
    if (!server) return NULL;
    *server = (struct server){.watch.ready = on_ready, .loop = loop, .fd = -1};
    if (cio__loop_on_close(loop, on_close, server) < 0) {
        free(server);
        return NULL;
    }
    cio__loop_set_slot(loop, CIO__SLOT_INTROSPECT, server);
    return server;
}

int cio_loop_serve_introspection(cio_loop *loop, const char *path) {
    int rc = cio__loop_check(loop, "cio_loop_serve_introspection");
    if (rc < 0) return rc;
    char fallback[sizeof(((struct sockaddr_un *)0)->sun_path)];
    if (!path && (rc = cio_introspection_path((int)getpid(), fallback, sizeof fallback)) < 0)
        return rc;
    if (!path) path = fallback;
    if (strlen(path) >= sizeof fallback || !*path) {
        cio__complain("cio_loop_serve_introspection: socket path '%s' is empty or longer than %zu "
                      "bytes",
                      path, sizeof fallback - 1);
        return *path ? -ENAMETOOLONG : -EINVAL;
    }
    struct server *server = server_of(loop);
    if (!server) return -ENOMEM;
    if (server->fd >= 0) return -EALREADY;
    if ((rc = listen_at(path, &server->fd)) < 0) return rc;
    strcpy(server->path, path);
    rc = cio__io_watch(loop, server->fd, &server->watch, CIO__READABLE, true);
    if (rc < 0) stop(server);
    return rc;
}

/* ---- the signal dump ---------------------------------------------------------------- */

static void dump_now(void *arg) {
    cio_loop_dump_tasks(arg, stderr, true);
    cio_loop_print_call_graph(arg, stderr);
    fflush(stderr);
}

int cio_loop_dump_on_signal(cio_loop *loop, int signo) {
    int rc = cio__loop_check(loop, "cio_loop_dump_on_signal");
    if (rc < 0) return rc;
    return cio_add_signal_handler(loop, signo, dump_now, loop);
}
