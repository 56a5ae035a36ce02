/* src/net/server.c - a server's life: listening sockets, start, close,
 * closing its clients, waiting, and freeing.
 *
 * The server's memory is reference-counted (handle, loop close hook, each
 * acceptor task, each connection), so a handler still running after
 * cio_server_free() finds its server. The close hook only forgets the
 * acceptor tasks, which the loop frees when it closes. */
#include "net/net.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_BACKLOG 100 /* asyncio's */

/* Without a report: for rechecks after a wait (another task may have freed it). */
static bool live(const cio_server *server) {
    return server && server->magic == CIO__SERVER_MAGIC && !server->handle_released;
}

bool cio__server_valid(const cio_server *server, const char *caller) {
    if (cio__handle_check(server, CIO__SERVER_MAGIC, "server", caller) < 0) return false;
    if (!server->handle_released) return true;
    cio__complain("%s: the server was freed (a stale handle)", caller);
    return false;
}

void cio__server_ref(cio_server *server) {
    server->refs++;
}

void cio__server_unref(cio_server *server) {
    if (--server->refs > 0) return;
    if (server->opts.tls) cio__tls_context_release(server->opts.tls);
    free(server->listeners);
    free(server->unix_path);
    free(server->handler_state);
    cio__handle_retire(server); /* a stale handle is reported (core/handle.c) */
}

/* The loop is closing and will free every task: forget the acceptors, and
 * end the connections whose tasks will never run (accepted just before
 * cio_run's shutdown cancelled them). */
static void loop_closing(cio_loop *loop, void *arg) {
    (void)loop;
    cio_server *server = arg;
    int dropped = 0;
    for (size_t i = 0; i < server->listener_count; i++) {
        if (!server->listeners[i].acceptor) continue;
        server->listeners[i].acceptor = NULL; /* it never ran to its end: drop its reference */
        dropped++;
    }
    /* This hook's own reference keeps server alive until the last line. */
    server->refs -= dropped;
    cio__server_end_connections(server);
    cio__server_unref(server);
}

static int server_new(cio_task *task, cio_connection_handler handler, void *arg,
                      const cio_server_options *opts, size_t max_listeners, cio_server **out) {
    if (opts && opts->tls && !cio__tls_context_is_server(opts->tls)) return -EINVAL;
    cio_server *server = calloc(1, sizeof *server);
    struct cio__listener *listeners = calloc(max_listeners, sizeof *listeners);
    if (!server || !listeners) {
        free(server);
        free(listeners);
        return -ENOMEM;
    }
    *server = (cio_server){.magic = CIO__SERVER_MAGIC,
                           .refs = 1,
                           .loop = cio__task_loop(task),
                           .handler = handler,
                           .arg = arg,
                           .listeners = listeners};
    if (opts) server->opts = *opts;
    if (server->opts.tls) cio__tls_context_hold(server->opts.tls);
    if (server->opts.backlog <= 0) server->opts.backlog = DEFAULT_BACKLOG;
    cio__list_init(&server->clients);
    cio__waitq_init(&server->changes);
    *out = server;
    return 0;
}

/* Close what start opened, before any task runs for the server. */
static void discard_server(cio_server *server) {
    for (size_t i = 0; i < server->listener_count; i++) cio_close(server->listeners[i].fd);
    cio__server_unref(server);
}

/* Start an accept loop on each listener. 0 or -ENOMEM (the listeners
 * started so far go on). */
static int start_acceptors(cio_server *server) {
    server->serving = true;
    int rc = 0;
    for (size_t i = 0; i < server->listener_count && rc == 0; i++)
        if (!server->listeners[i].acceptor) rc = cio__server_start_acceptor(&server->listeners[i]);
    return rc;
}

/* Start the close hook and, unless opts said not yet, the acceptors; on
 * error the server is discarded. */
static int start_serving(cio_server *server, cio_server **out) {
    int rc = cio__loop_on_close(server->loop, loop_closing, server);
    if (rc < 0) {
        discard_server(server);
        return rc;
    }
    cio__server_ref(server); /* the hook's */
    if (!server->opts.no_start_serving) rc = start_acceptors(server);
    if (rc < 0) {
        cio_server_free(server);
        return rc;
    }
    *out = server;
    return 0;
}

/* ---- listening sockets ---------------------------------------------------------------------- */

static int set_flag(int fd, int level, int name) {
    int on = 1;
    return setsockopt(fd, level, name, &on, sizeof on) == 0 ? 0 : -errno;
}

static void set_port(struct sockaddr *addr, int port) {
    if (addr->sa_family == AF_INET)
        ((struct sockaddr_in *)(void *)addr)->sin_port = htons((uint16_t)port);
    if (addr->sa_family == AF_INET6)
        ((struct sockaddr_in6 *)(void *)addr)->sin6_port = htons((uint16_t)port);
}

static int bound_port(int fd) {
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;
    if (getsockname(fd, (struct sockaddr *)&addr, &len) < 0) return -errno;
    if (addr.ss_family == AF_INET) return ntohs(((struct sockaddr_in *)&addr)->sin_port);
    if (addr.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&addr)->sin6_port);
    return -EINVAL;
}

static int bind_and_listen(int fd, const struct sockaddr *addr, socklen_t len, int backlog) {
    if (bind(fd, addr, len) < 0 || listen(fd, backlog) < 0) return -errno;
    return 0;
}

/* Listen on one TCP address; port (if > 0) replaces the address's port. */
static int listen_tcp(const struct addrinfo *ai, const cio_server_options *opts, int port,
                      int *out) {
    int fd = cio_socket(ai->ai_family, SOCK_STREAM, ai->ai_protocol);
    if (fd < 0) return fd;
    struct sockaddr_storage addr;
    memcpy(&addr, ai->ai_addr, ai->ai_addrlen);
    if (port > 0) set_port((struct sockaddr *)&addr, port);
    cio__net_adopt_fd(cio__running_loop, fd);
    int rc = set_flag(fd, SOL_SOCKET, SO_REUSEADDR);
    if (rc == 0 && opts->reuse_port) rc = set_flag(fd, SOL_SOCKET, SO_REUSEPORT);
    /* The IPv6 socket serves IPv6 only: the IPv4 one has the v4 addresses. */
    if (rc == 0 && ai->ai_family == AF_INET6) rc = set_flag(fd, IPPROTO_IPV6, IPV6_V6ONLY);
    if (rc == 0) rc = bind_and_listen(fd, (struct sockaddr *)&addr, ai->ai_addrlen, opts->backlog);
    if (rc < 0) {
        cio_close(fd);
        return rc;
    }
    *out = fd;
    return 0;
}

static size_t count_addresses(const struct addrinfo *list) {
    size_t count = 0;
    for (; list; list = list->ai_next) count++;
    return count;
}

/* One listener per address. A family the kernel lacks (IPv6 disabled) is
 * skipped when another address works, as "all interfaces" must. With port
 * 0, every listener takes the port the first one got. */
static int listen_all(cio_server *server, const struct addrinfo *list, int port) {
    int rc = 0;
    for (const struct addrinfo *ai = list; ai; ai = ai->ai_next) {
        int fd;
        rc = listen_tcp(ai, &server->opts, port, &fd);
        if (rc == -EAFNOSUPPORT) continue;
        if (rc < 0) return rc;
        server->listeners[server->listener_count++] =
            (struct cio__listener){server, fd, ai->ai_family, NULL};
        if (port == 0) port = bound_port(fd);
        if (port < 0) return port;
    }
    return server->listener_count ? 0 : rc;
}

int cio_start_server(const char *host, int port, cio_connection_handler handler, void *arg,
                     const cio_server_options *opts, cio_server **out) {
    if (out) *out = NULL;
    cio_task *task = cio__task_current_or_complain("cio_start_server");
    if (!task) return -EPERM;
    if (!handler || !out || port < 0 || port > 65535) return -EINVAL;
    struct addrinfo *list;
    int rc = cio__net_resolve(host, port, opts ? opts->family : AF_UNSPEC, SOCK_STREAM, AI_PASSIVE,
                              &list);
    if (rc < 0) return rc;
    cio_server *server = NULL;
    rc = server_new(task, handler, arg, opts, count_addresses(list), &server);
    if (rc == 0) rc = listen_all(server, list, port);
    freeaddrinfo(list);
    if (rc < 0 && server) discard_server(server);
    return rc < 0 ? rc : start_serving(server, out);
}

/* ---- Unix sockets ------------------------------------------------------------------------------
 */

/* A socket file left by an earlier server is removed (asyncio does the
 * same); any other file at path is not ours to remove. */
static int clear_stale_socket(const char *path) {
    struct stat st;
    if (path[0] == '@' || lstat(path, &st) < 0) return 0;
    if (!S_ISSOCK(st.st_mode)) return -EADDRINUSE;
    return unlink(path) == 0 || errno == ENOENT ? 0 : -errno;
}

/* Remember the socket file we made, to remove it on close only if it is
 * still ours. */
static int remember_socket_file(cio_server *server, const char *path) {
    struct stat st;
    if (path[0] == '@') return 0;
    if (stat(path, &st) < 0) return -errno;
    server->unix_path = strdup(path);
    server->unix_dev = st.st_dev;
    server->unix_ino = st.st_ino;
    return server->unix_path ? 0 : -ENOMEM;
}

static int listen_unix(cio_server *server, const char *path) {
    struct sockaddr_un addr;
    socklen_t len;
    int rc = cio__net_unix_address(path, &addr, &len);
    if (rc == 0) rc = clear_stale_socket(path);
    int fd = rc == 0 ? cio_socket(AF_UNIX, SOCK_STREAM, 0) : rc;
    if (fd < 0) return fd;
    cio__net_adopt_fd(server->loop, fd);
    rc = bind_and_listen(fd, (struct sockaddr *)&addr, len, server->opts.backlog);
    server->listeners[server->listener_count++] = (struct cio__listener){server, fd, AF_UNIX, NULL};
    return rc == 0 ? remember_socket_file(server, path) : rc;
}

int cio_start_unix_server(const char *path, cio_connection_handler handler, void *arg,
                          const cio_server_options *opts, cio_server **out) {
    if (out) *out = NULL;
    cio_task *task = cio__task_current_or_complain("cio_start_unix_server");
    if (!task) return -EPERM;
    if (!path || !handler || !out) return -EINVAL;
    cio_server *server;
    int rc = server_new(task, handler, arg, opts, 1, &server);
    if (rc < 0) return rc;
    rc = listen_unix(server, path);
    if (rc < 0) {
        if (server->unix_path) unlink(server->unix_path);
        discard_server(server);
        return rc;
    }
    return start_serving(server, out);
}

static void remove_socket_file(cio_server *server) {
    struct stat st;
    if (!server->unix_path || stat(server->unix_path, &st) < 0) return;
    if (st.st_dev == server->unix_dev && st.st_ino == server->unix_ino) unlink(server->unix_path);
}

/* ---- closing and waiting
 * ------------------------------------------------------------------------- */

int cio_server_close(cio_server *server) {
    if (!cio__server_valid(server, "cio_server_close")) return -EINVAL;
    if (server->closed) return -CIO_ECLOSED;
    server->closed = true;
    for (size_t i = 0; i < server->listener_count; i++) {
        struct cio__listener *listener = &server->listeners[i];
        cio_close(listener->fd); /* wakes an acceptor waiting on it; the others are on changes */
        listener->fd = -1;
    }
    remove_socket_file(server);
    cio__net_wake_all(&server->changes, 0);
    return 0;
}

/* Apply close or abort to every client stream; returns how many. */
static int for_each_client(cio_server *server, int (*action)(cio_stream *stream),
                           const char *caller) {
    if (!cio__server_valid(server, caller)) return -EINVAL;
    int count = 0;
    for (struct cio__list *node = server->clients.next; node != &server->clients;
         node = node->next) {
        cio_stream *stream = cio__container_of(node, cio_stream, server_link);
        if (!stream->handle_released && action(stream) == 0) count++;
    }
    return count;
}

int cio_server_close_clients(cio_server *server) {
    return for_each_client(server, cio_stream_close, "cio_server_close_clients");
}
int cio_server_abort_clients(cio_server *server) {
    return for_each_client(server, cio_stream_abort, "cio_server_abort_clients");
}

/* Park until done(server) holds; the server stays allocated meanwhile. why
 * (static text) says what for in a task dump: "accept (serve_forever)". */
static int wait_until(cio_server *server, cio_task *task, bool (*done)(const cio_server *),
                      const char *why) {
    int rc = 0;
    cio__server_ref(server);
    while (rc == 0 && !done(server))
        rc = cio__net_park_as(task, &server->changes, CIO_WAIT_ACCEPT, server, why);
    cio__server_unref(server);
    return rc;
}

static bool is_closed(const cio_server *server) {
    return server->closed;
}

/* Closed, every connection over, and every accept loop ended. */
static bool is_finished(const cio_server *server) {
    if (!server->closed || server->active > 0) return false;
    for (size_t i = 0; i < server->listener_count; i++)
        if (server->listeners[i].acceptor) return false;
    return true;
}

static int check_task(const cio_server *server, cio_task **task, const char *caller) {
    *task = cio__task_current_or_complain(caller);
    if (!*task) return -EPERM;
    return cio__server_valid(server, caller) && server->loop == cio__task_loop(*task) ? 0 : -EINVAL;
}

int cio_server_start_serving(cio_server *server) {
    if (!cio__server_valid(server, "cio_server_start_serving")) return -EINVAL;
    int rc = cio__loop_check(server->loop, "cio_server_start_serving");
    if (rc < 0) return rc;
    if (server->closed) return -CIO_ECLOSED;
    return server->serving ? 0 : start_acceptors(server);
}

int cio_server_serve_forever(cio_server *server) {
    cio_task *task;
    int rc = check_task(server, &task, "cio_server_serve_forever");
    if (rc < 0) return rc;
    if (server->closed) return -CIO_ECLOSED;
    rc = server->serving ? 0 : start_acceptors(server);
    if (rc == 0) rc = wait_until(server, task, is_closed, "serve_forever");
    if (rc < 0 && live(server) && !server->closed) cio_server_close(server);
    return rc;
}

int cio_server_wait_closed(cio_server *server) {
    cio_task *task;
    int rc = check_task(server, &task, "cio_server_wait_closed");
    return rc < 0 ? rc : wait_until(server, task, is_finished, "wait_closed");
}

void cio_server_free(cio_server *server) {
    if (!cio__server_valid(server, "cio_server_free")) return;
    if (!server->closed) cio_server_close(server);
    server->handle_released = true;
    cio__server_unref(server);
}

/* ---- information
 * ---------------------------------------------------------------------------------- */

bool cio_server_is_serving(const cio_server *server) {
    return cio__server_valid(server, "cio_server_is_serving") && !server->closed && server->serving;
}

size_t cio_server_connections(const cio_server *server) {
    return cio__server_valid(server, "cio_server_connections") ? server->active : 0;
}

int cio_server_sockname(const cio_server *server, size_t index, struct sockaddr *addr,
                        socklen_t *addrlen) {
    if (!cio__server_valid(server, "cio_server_sockname") || !addr || !addrlen) return -EINVAL;
    if (server->closed) return -CIO_ECLOSED;
    if (index >= server->listener_count) return -ENOENT;
    return getsockname(server->listeners[index].fd, addr, addrlen) == 0 ? 0 : -errno;
}

int cio_server_port(const cio_server *server) {
    if (!cio__server_valid(server, "cio_server_port")) return -EINVAL;
    if (server->closed) return -CIO_ECLOSED;
    return server->listener_count ? bound_port(server->listeners[0].fd) : -EINVAL;
}
