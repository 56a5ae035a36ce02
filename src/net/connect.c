/* src/net/connect.c - opening client streams: asyncio.open_connection with
 * happy eyeballs, and open_unix_connection.
 *
 * With one address (the numeric case) the connect runs in the caller's task.
 * With several, happy eyeballs (RFC 8305, asyncio's staggered race): the
 * addresses are interleaved by family, and each attempt is a child task
 * started when the previous one failed or has not succeeded within the
 * delay; the first connected socket wins, the other attempts are cancelled
 * and awaited (they close their own sockets), so nothing leaks whichever way
 * the race ends, cancellation included. */
#include "net/net.h"

#include <stdlib.h>

#define DEFAULT_HAPPY_EYEBALLS_DELAY 0.25 /* RFC 8305, section 8 */

/* Bind fd to the first of the local addresses (NULL: none asked for) of
 * family that takes it, as asyncio does with local_addr. 0, the last bind's
 * -errno, or -EADDRNOTAVAIL when none is of that family. */
static int bind_local(int fd, int family, const struct addrinfo *local) {
    if (!local) return 0;
    int rc = -EADDRNOTAVAIL;
    for (; local; local = local->ai_next) {
        if (local->ai_family != family) continue;
        if (bind(fd, local->ai_addr, local->ai_addrlen) == 0) return 0;
        rc = -errno;
    }
    return rc;
}

static int connect_address(const struct addrinfo *ai, const struct addrinfo *local, int *out) {
    int fd = cio_socket(ai->ai_family, SOCK_STREAM, ai->ai_protocol);
    if (fd < 0) return fd;
    int rc = bind_local(fd, ai->ai_family, local);
    if (rc == 0) rc = cio_sock_connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc < 0) {
        cio_close(fd);
        return rc;
    }
    *out = fd;
    return 0;
}

static bool is_interrupt(int rc) {
    return rc == -ECANCELED || rc == -ETIMEDOUT;
}

/* One address after another; the last error if none connects. */
static int connect_in_turn(struct addrinfo **order, size_t count, const struct addrinfo *local,
                           int *out) {
    int rc = -ECONNREFUSED;
    for (size_t i = 0; i < count; i++) {
        rc = connect_address(order[i], local, out);
        if (rc == 0 || is_interrupt(rc)) break;
    }
    return rc;
}

/* ---- happy eyeballs ---------------------------------------------------------------------- */

struct race {
    cio_task *coordinator;
    struct cio__waitq waiters;    /* the coordinator, parked until an attempt ends */
    const struct addrinfo *local; /* addresses to bind to first, or NULL */
    int winner;                   /* connected fd, or -1 */
    int last_error;
    size_t running;
};

struct attempt {
    struct race *race;
    const struct addrinfo *ai;
    cio_task *task;
};

static void *run_attempt(void *arg) {
    struct attempt *attempt = arg;
    struct race *race = attempt->race;
    int fd;
    int rc = connect_address(attempt->ai, race->local, &fd);
    if (rc == 0 && race->winner < 0)
        race->winner = fd;
    else if (rc == 0)
        cio_close(fd); /* lost the race by a hair */
    else if (rc != -ECANCELED)
        race->last_error = rc;
    race->running--;
    cio__net_wake_all(&race->waiters, 0);
    return NULL;
}

static int start_attempt(struct race *race, struct attempt *attempt) {
    int rc = cio_loop_create_task_ex(cio__task_loop(race->coordinator), run_attempt, attempt, NULL,
                                     &attempt->task);
    if (rc == 0) race->running++;
    return rc;
}

/* Park until an attempt ends or `delay` passes (negative: no limit).
 * Returns 0 either way, or the coordinator's own interrupt. */
static int wait_for_attempts(struct race *race, double delay) {
    if (delay < 0) return cio__net_park(race->coordinator, &race->waiters);
    cio_timeout scope;
    cio_timeout_begin(&scope, delay);
    int rc = cio__net_park(race->coordinator, &race->waiters);
    bool mine = cio_timeout_end(&scope) == -ETIMEDOUT;
    return mine ? 0 : rc;
}

static int run_race(struct race *race, struct attempt *attempts, size_t count, double delay) {
    int rc = 0;
    size_t started = 0;
    while (rc == 0 && race->winner < 0 && (started < count || race->running > 0)) {
        if (started < count && (rc = start_attempt(race, &attempts[started])) == 0) started++;
        if (rc == 0) rc = wait_for_attempts(race, started < count ? delay : -1.0);
    }
    return rc;
}

/* Cancel and await every attempt, shielded, so their sockets are closed
 * before the race's memory goes away. */
static void end_race(struct attempt *attempts, size_t count) {
    cio_shield_begin();
    for (size_t i = 0; i < count && attempts[i].task; i++) {
        cio_task_cancel(attempts[i].task);
        cio_await(attempts[i].task, NULL);
    }
    cio_shield_end();
}

static int connect_racing(struct addrinfo **order, size_t count, const struct addrinfo *local,
                          double delay, int *out) {
    struct attempt *attempts = calloc(count, sizeof *attempts);
    if (!attempts) return -ENOMEM;
    struct race race = {.coordinator = cio_current_task(),
                        .local = local,
                        .winner = -1,
                        .last_error = -ECONNREFUSED};
    cio__waitq_init(&race.waiters);
    for (size_t i = 0; i < count; i++)
        attempts[i] = (struct attempt){.race = &race, .ai = order[i]};
    int rc = run_race(&race, attempts, count, delay);
    end_race(attempts, count);
    free(attempts);
    if (rc == 0 && race.winner < 0) rc = race.last_error;
    if (rc < 0 && race.winner >= 0) cio_close(race.winner);
    if (rc == 0) *out = race.winner;
    return rc;
}

/* ---- ordering the addresses ------------------------------------------------------------------ */

/* Resolver order, but alternating families from the first address's
 * (asyncio's _interleave_addrinfos with first_address_family_count 1). */
static size_t interleave(struct addrinfo *list, struct addrinfo **order) {
    size_t count = 0;
    int first = list->ai_family;
    struct addrinfo *same = list, *other = list;
    for (;;) {
        while (same && same->ai_family != first) same = same->ai_next;
        while (other && other->ai_family == first) other = other->ai_next;
        if (!same && !other) break;
        if (same) order[count++] = same, same = same->ai_next;
        if (other) order[count++] = other, other = other->ai_next;
    }
    return count;
}

static size_t list_length(const struct addrinfo *list) {
    size_t count = 0;
    for (; list; list = list->ai_next) count++;
    return count;
}

static int connect_from(struct addrinfo *list, const struct addrinfo *local,
                        const cio_connect_options *opts, int *out) {
    size_t count = list_length(list);
    struct addrinfo **order = calloc(count, sizeof *order);
    if (!order) return -ENOMEM;
    count = interleave(list, order);
    double delay =
        opts->happy_eyeballs_delay == 0 ? DEFAULT_HAPPY_EYEBALLS_DELAY : opts->happy_eyeballs_delay;
    int rc = count == 1 || delay < 0 ? connect_in_turn(order, count, local, out)
                                     : connect_racing(order, count, local, delay, out);
    free(order);
    return rc;
}

int cio__net_connect_any(struct addrinfo *list, const cio_connect_options *opts, int *out) {
    if (!opts->local_host && opts->local_port == 0) return connect_from(list, NULL, opts, out);
    struct addrinfo *local;
    int rc = cio__net_resolve(opts->local_host, opts->local_port, opts->family, SOCK_STREAM,
                              AI_PASSIVE, &local);
    if (rc < 0) return rc;
    rc = connect_from(list, local, opts, out);
    freeaddrinfo(local);
    return rc;
}

/* ---- the public calls ---------------------------------------------------------------------- */

static int open_tcp(const char *host, int port, const cio_connect_options *opts, int *fd) {
    struct addrinfo *list;
    int rc = cio__net_resolve(host, port, opts->family, SOCK_STREAM, 0, &list);
    if (rc < 0) return rc;
    rc = cio__net_connect_any(list, opts, fd);
    freeaddrinfo(list);
    return rc;
}

/* Opens a connected socket to target into *fd: 0 or an error. */
typedef int (*open_fn)(const void *target, const cio_connect_options *opts, int *fd);

/* Run open inside a timeout scope if opts asks for one. */
static int with_timeout(const cio_connect_options *opts, open_fn open, const void *target,
                        int *fd) {
    if (!(opts->timeout > 0)) return open(target, opts, fd);
    cio_timeout scope;
    cio_timeout_begin(&scope, opts->timeout);
    int rc = open(target, opts, fd);
    int expired = cio_timeout_end(&scope);
    if (expired < 0 && rc == 0) cio_close(*fd); /* cannot happen: the scope fired in some await */
    return expired < 0 ? expired : rc;
}

struct tcp_target {
    const char *host;
    int port;
};

static int open_tcp_target(const void *target, const cio_connect_options *opts, int *fd) {
    const struct tcp_target *tcp = target;
    return open_tcp(tcp->host, tcp->port, opts, fd);
}

static int open_unix_target(const void *target, const cio_connect_options *opts, int *fd) {
    (void)opts;
    struct sockaddr_un addr;
    socklen_t len;
    int rc = cio__net_unix_address(target, &addr, &len);
    if (rc < 0) return rc;
    *fd = cio_socket(AF_UNIX, SOCK_STREAM, 0);
    if (*fd < 0) return *fd;
    rc = cio_sock_connect(*fd, (struct sockaddr *)&addr, len);
    if (rc < 0) cio_close(*fd);
    return rc;
}

/* The stream over fd, through its TLS handshake if opts asks for one. */
static int make_stream(cio_task *task, int fd, const cio_connect_options *opts,
                       const char *hostname, cio_stream **out) {
    cio_stream *stream;
    int rc = cio__stream_new(cio__task_loop(task), fd, opts->limit, &stream);
    if (rc < 0) {
        cio_close(fd);
        return rc;
    }
    if (opts->tls) {
        rc = cio__tls_connect(stream, opts->tls,
                              opts->server_hostname ? opts->server_hostname : hostname);
        if (rc < 0) {
            cio_stream_abort(stream);
            cio_stream_free(stream);
            return rc;
        }
    }
    *out = stream;
    return 0;
}

int cio_open_connection(const char *host, int port, const cio_connect_options *opts,
                        cio_stream **out) {
    if (out) *out = NULL;
    cio_task *task = cio__task_current_or_complain("cio_open_connection");
    if (!task) return -EPERM;
    if (!host || !out || port < 0 || port > 65535) return -EINVAL;
    cio_connect_options defaults = {0};
    if (!opts) opts = &defaults;
    if (opts->local_port < 0 || opts->local_port > 65535) return -EINVAL;
    int fd;
    struct tcp_target target = {host, port};
    int rc = with_timeout(opts, open_tcp_target, &target, &fd);
    if (rc < 0) return rc;
    struct sockaddr_storage local;
    socklen_t len = sizeof local;
    if (getsockname(fd, (struct sockaddr *)&local, &len) == 0)
        cio__net_tune(fd, local.ss_family, opts->nagle, opts->keepalive);
    return make_stream(task, fd, opts, host, out);
}

int cio_open_unix_connection(const char *path, const cio_connect_options *opts, cio_stream **out) {
    if (out) *out = NULL;
    cio_task *task = cio__task_current_or_complain("cio_open_unix_connection");
    if (!task) return -EPERM;
    if (!path || !out) return -EINVAL;
    cio_connect_options defaults = {0};
    if (!opts) opts = &defaults;
    int fd;
    int rc = with_timeout(opts, open_unix_target, path, &fd);
    return rc < 0 ? rc : make_stream(task, fd, opts, NULL, out);
}
