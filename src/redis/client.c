/* client.c - the Redis client: connections, commands, and the FIFO of
 * waiters that lets many tasks share one connection.
 *
 * Commands are written at once (stream writes never suspend), so the order
 * of the entries in the ring is the order of the commands on the wire, and
 * reply k belongs to entry k. Nobody runs a reader task: the waiting task
 * whose turn it is reads (c->reading), delivers each reply it parses to its
 * entry and wakes that entry's task; once its own reply is in, it hands the
 * reading over to the next waiter. A cancelled waiter only marks its entry
 * dropped, and whoever reads its reply frees it, so the stream stays in
 * step without any extra task or lock on the hot path. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "redis.h"

#include "core/core.h" /* the wait label (introspection) */

#define INITIAL_SLOTS 64
#define MAX_SLOTS     (16u * 1024 * 1024)
#define INITIAL_RBUF  (64u * 1024) /* one socket read of pipelined replies */
#define INITIAL_RING  64
#define MAX_CALL_ARGS 64
#define FLUSH_AT      (64u * 1024) /* a socket buffer's worth: send without waiting */

bool cio__redis_check(const cio_redis *c) {
    return c && c->magic == CIO__REDIS_MAGIC;
}

/* ---- connections ---------------------------------------------------------------- */

static void conn_destroy(redis_conn *conn) {
    cio_stream_free(conn->stream);
    free(conn);
}

/* A task leaves a read or drain on conn; the last one out of a lost
 * connection frees it. */
static void conn_release(cio_redis *c, redis_conn *conn) {
    if (--conn->users > 0 || !conn->dead) return;
    for (redis_conn **p = &c->retired; *p; p = &(*p)->next_retired) {
        if (*p == conn) {
            *p = conn->next_retired;
            break;
        }
    }
    conn_destroy(conn);
}

static void advance_head(cio_redis *c) {
    while (c->head < c->rd && cio__redis_entry(c, c->head)->state == ENTRY_DONE) c->head++;
}

/* Hand a reply (or an error, reply NULL) to the oldest entry still waiting. */
static void deliver(cio_redis *c, int rc, cio_redis_reply *reply) {
    redis_entry *e = cio__redis_entry(c, c->rd++);
    if (e->dropped) {
        cio_redis_reply_free(reply);
        e->state = ENTRY_DONE;
    } else {
        e->state = ENTRY_READY;
        e->rc = rc;
        e->reply = reply;
        if (e->wake) cio_event_set(e->wake);
    }
    advance_head(c);
}

/* The connection is gone (EOF, a reset, a protocol error, or close): every
 * command in flight fails with err, the read state starts over, and the
 * stream is freed once no task is inside a call on it. */
void cio__redis_lose(cio_redis *c, int err) {
    redis_conn *conn = c->conn;
    if (!conn) return;
    c->conn = NULL;
    c->lost = err;
    c->reading = 0;
    conn->dead = true;
    cio_stream_abort(conn->stream);
    if (conn->users == 0) {
        conn_destroy(conn);
    } else {
        conn->next_retired = c->retired;
        c->retired = conn;
    }
    while (c->rd < c->tail) deliver(c, err, NULL);
    cio_resp_parser_reset(&c->parser);
    c->rpos = c->rlen = 0;
    c->wlen = 0;
    cio__redis_pubsub_reset(c);
}

static int open_conn(cio_redis *c) {
    cio_connect_options co = {.timeout = c->opts.connect_timeout};
    cio_stream *s;
    int rc = c->host ? cio_open_connection(c->host, c->port, &co, &s)
                     : cio_open_unix_connection(c->path, &co, &s);
    if (rc < 0) return rc;
    redis_conn *conn = calloc(1, sizeof *conn);
    if (!conn) {
        cio_stream_free(s);
        return -ENOMEM;
    }
    conn->stream = s;
    c->conn = conn;
    c->gen++;
    c->lost = 0;
    return 0;
}

/* Make sure there is a connection: reconnect after a loss if the options
 * say so (one task connects, the others wait on the lock and find it done). */
int cio__redis_ensure_conn(cio_redis *c) {
    if (c->closed) return -CIO_ECLOSED;
    if (c->conn) return 0;
    if (!c->opts.reconnect) return c->lost ? c->lost : -ECONNRESET;
    int rc = cio_lock_acquire(&c->connect_lock);
    if (rc < 0) return rc;
    if (c->closed)
        rc = -CIO_ECLOSED;
    else if (!c->conn)
        rc = open_conn(c);
    cio_lock_release(&c->connect_lock);
    return rc;
}

static int client_new(const char *host, int port, const char *path, const cio_redis_options *opts,
                      cio_redis **out) {
    cio_redis *c = calloc(1, sizeof *c);
    if (!c) return -ENOMEM;
    c->magic = CIO__REDIS_MAGIC;
    if (opts) c->opts = *opts;
    c->port = port;
    c->host = host ? strdup(host) : NULL;
    c->path = path ? strdup(path) : NULL;
    c->nslots = INITIAL_SLOTS;
    c->slots = malloc(c->nslots * sizeof *c->slots);
    c->rcap = INITIAL_RBUF;
    c->rbuf = malloc(c->rcap);
    c->wcap = 4096;
    c->wbuf = malloc(c->wcap);
    c->ring_cap = INITIAL_RING;
    c->ring = calloc(c->ring_cap, sizeof *c->ring);
    cio_lock_init(&c->connect_lock);
    int rc = -ENOMEM;
    if ((host && !c->host) || (path && !c->path) || !c->slots || !c->rbuf || !c->wbuf || !c->ring)
        goto fail;
    cio_resp_parser_init(&c->parser, c->slots, c->nslots, NULL);
    rc = open_conn(c);
    if (rc < 0) goto fail;
    *out = c;
    return 0;
fail:
    cio_redis_free(c);
    return rc;
}

int cio_redis_connect(const char *host, int port, const cio_redis_options *opts, cio_redis **out) {
    if (!host || !out || port < 0 || port > 65535) return -EINVAL;
    return client_new(host, port, NULL, opts, out);
}

int cio_redis_connect_unix(const char *path, const cio_redis_options *opts, cio_redis **out) {
    if (!path || !out) return -EINVAL;
    return client_new(NULL, 0, path, opts, out);
}

int cio_redis_close(cio_redis *client) {
    if (!cio__redis_check(client)) return -EINVAL;
    if (client->closed) return -CIO_ECLOSED;
    client->closed = true;
    cio__redis_lose(client, -CIO_ECLOSED);
    return 0;
}

void cio_redis_free(cio_redis *client) {
    if (!cio__redis_check(client)) return;
    if (!client->closed) cio_redis_close(client);
    for (uint64_t s = client->head; s < client->tail; s++)
        cio_redis_reply_free(cio__redis_entry(client, s)->reply);
    while (client->retired) { /* no task may still be waiting: see redis.h */
        redis_conn *conn = client->retired;
        client->retired = conn->next_retired;
        conn_destroy(conn);
    }
    while (client->mq_head) {
        redis_msgnode *n = client->mq_head;
        client->mq_head = n->next;
        free(n);
    }
    free(client->host);
    free(client->path);
    free(client->slots);
    free(client->rbuf);
    free(client->wbuf);
    free(client->ring);
    client->magic = 0;
    free(client);
}

/* ---- reading -------------------------------------------------------------------- */

static int grow_slots(cio_redis *c) {
    if (c->nslots >= MAX_SLOTS) return -ENOMEM;
    cio_resp_value *s = realloc(c->slots, 2 * c->nslots * sizeof *s);
    if (!s) return -ENOMEM;
    c->slots = s;
    c->nslots *= 2;
    /* The message is still at the front of the buffer: parse it again. */
    cio_resp_parser_init(&c->parser, c->slots, c->nslots, NULL);
    return 0;
}

/* Room for at least one more byte after rbuf[rlen]; the unparsed bytes move
 * to the front (the parser allows that between calls). */
static int make_room(cio_redis *c) {
    if (c->rpos > 0) {
        memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
        c->rlen -= c->rpos;
        c->rpos = 0;
    }
    if (c->rlen < c->rcap) return 0;
    char *b = realloc(c->rbuf, 2 * c->rcap);
    if (!b) return -ENOMEM;
    c->rbuf = b;
    c->rcap *= 2;
    return 0;
}

/* Parse one reply from the buffered bytes: 1 with *out set (rc in *status:
 * 0, -CIO_ESERVER or -ENOMEM), 0 if more bytes are needed, or an error. */
static int parse_buffered(cio_redis *c, cio_redis_reply **out, int *status) {
    for (;;) {
        ssize_t n = cio_resp_parse(&c->parser, c->rbuf + c->rpos, c->rlen - c->rpos);
        if (n == 0) return 0;
        if (n == -ENOBUFS) {
            int rc = grow_slots(c);
            if (rc < 0) return rc;
            continue;
        }
        if (n < 0) return -EPROTO;
        *out = NULL;
        *status = cio__redis_reply_build(c->slots, out);
        if (*status == 0 && (*out)->type == CIO_REDIS_ERROR) *status = -CIO_ESERVER;
        c->rpos += (size_t)n;
        if (c->rpos == c->rlen) c->rpos = c->rlen = 0;
        return 1;
    }
}

/* Read the next reply off the connection. Returns 0 / -CIO_ESERVER with *out
 * set, -ENOMEM for a reply that could not be stored (skipped, *out NULL),
 * -ECANCELED / -ETIMEDOUT (the partial reply stays buffered for the next
 * reader), or the error the connection was lost with. */
ssize_t cio__redis_read_reply(cio_redis *c, cio_redis_reply **out) {
    for (;;) {
        redis_conn *conn = c->conn;
        if (!conn) return c->lost ? c->lost : -ECONNRESET;
        int status, rc = parse_buffered(c, out, &status);
        if (rc == 1) {
            conn->replied = true;
            return status;
        }
        if (rc == 0) rc = make_room(c);
        if (rc < 0) {
            cio__redis_lose(c, rc);
            return rc;
        }
        conn->users++;
        ssize_t n = cio_stream_read(conn->stream, c->rbuf + c->rlen, c->rcap - c->rlen);
        bool dead = conn->dead;
        conn_release(c, conn);
        if (n == -ECANCELED || n == -ETIMEDOUT) return n;
        if (dead) return c->lost ? c->lost : -ECONNRESET;
        if (n <= 0) {
            cio__redis_lose(c, -ECONNRESET);
            return -ECONNRESET;
        }
        c->rlen += (size_t)n;
    }
}

/* ---- the FIFO --------------------------------------------------------------------- */

/* Room in the ring for one more entry (before the command is written, so an
 * allocation failure cannot leave a reply without its entry). */
static int ring_reserve(cio_redis *c) {
    if (c->tail - c->head < c->ring_cap) return 0;
    size_t cap = 2 * c->ring_cap;
    redis_entry *ring = calloc(cap, sizeof *ring);
    if (!ring) return -ENOMEM;
    for (uint64_t s = c->head; s < c->tail; s++) ring[s & (cap - 1)] = *cio__redis_entry(c, s);
    free(c->ring);
    c->ring = ring;
    c->ring_cap = cap;
    return 0;
}

static uint64_t ring_push(cio_redis *c, bool is_send, bool idle) {
    uint64_t seq = c->tail++;
    *cio__redis_entry(c, seq) = (redis_entry){
        .state = ENTRY_PENDING, .is_send = is_send, .idle = idle, .owner = cio_current_task()};
    return seq;
}

/* After a reader stops: if replies are still awaited, wake the first task
 * waiting for one so that it takes over the reading. */
static void hand_off(cio_redis *c) {
    if (c->reading || c->waiters == 0) return;
    for (uint64_t s = c->rd; s < c->tail; s++) {
        redis_entry *e = cio__redis_entry(c, s);
        if (e->wake && !e->dropped) {
            cio_event_set(e->wake);
            return;
        }
    }
}

/* As the reader: read and deliver replies until entry seq has its own. */
static int pump(cio_redis *c, uint64_t seq) {
    while (cio__redis_entry(c, seq)->state == ENTRY_PENDING) {
        cio_redis_reply *reply = NULL;
        int rc = (int)cio__redis_read_reply(c, &reply);
        if (rc == 0 || rc == -CIO_ESERVER || rc == -ENOMEM)
            deliver(c, rc, reply);
        else if (cio__redis_entry(c, seq)->state == ENTRY_PENDING)
            return rc;
    }
    return 0;
}

/* Wait for entry seq's reply: read it ourselves when no one else is reading,
 * else sleep until the reader delivers it or hands the reading to us. */
static int await_entry(cio_redis *c, uint64_t seq, cio_redis_reply **reply) {
    cio__redis_flush(c); /* an error fails the entry: seen below */
    cio_event wake;
    cio_event_init(&wake);
    cio__redis_entry(c, seq)->wake = &wake;
    c->waiters++;
    int rc = 0;
    cio_task *task = cio__task_current();
    struct cio__wait_label label;
    cio__wait_label_begin(task, &label, CIO_WAIT_REDIS, c, NULL);
    while (rc == 0 && cio__redis_entry(c, seq)->state == ENTRY_PENDING) {
        if (!c->reading && c->conn) {
            uint64_t gen = c->gen;
            c->reading = gen;
            rc = pump(c, seq);
            if (c->reading == gen) c->reading = 0;
        } else {
            rc = cio_event_wait(&wake);
            cio_event_clear(&wake);
        }
    }
    cio__wait_label_end(task, &label);
    redis_entry *e = cio__redis_entry(c, seq);
    e->wake = NULL;
    c->waiters--;
    if (e->state == ENTRY_READY && rc == 0) {
        rc = e->rc;
        if (e->reply) *reply = e->reply;
        e->state = ENTRY_DONE;
    } else if (e->state == ENTRY_READY) { /* cancelled just as it came */
        cio_redis_reply_free(e->reply);
        e->state = ENTRY_DONE;
    } else {
        e->dropped = true; /* whoever reads the reply frees it */
    }
    e->reply = NULL;
    advance_head(c);
    hand_off(c);
    return rc;
}

static int await_timed(cio_redis *c, uint64_t seq, cio_redis_reply **reply) {
    if (c->opts.command_timeout <= 0) return await_entry(c, seq, reply);
    cio_timeout scope;
    int rc = cio_timeout_begin(&scope, c->opts.command_timeout);
    if (rc < 0) return rc;
    rc = await_entry(c, seq, reply);
    cio_timeout_end(&scope);
    return rc;
}

/* ---- commands --------------------------------------------------------------------- */

static int check_args(size_t argc, const char *const *argv) {
    if (argc == 0 || !argv) return -EINVAL;
    for (size_t i = 0; i < argc; i++)
        if (!argv[i]) return -EINVAL;
    return 0;
}

/* Append one command to the write buffer. Commands are corked there and go
 * out in one write when a task is about to wait for a reply (or the buffer
 * passes FLUSH_AT): 16 pipelined commands cost one send(2), not 16. */
int cio__redis_write_command(cio_redis *c, size_t argc, const char *const *argv,
                             const size_t *argvlen) {
    ssize_t n = cio_resp_write_command(argc, argv, argvlen, c->wbuf + c->wlen, c->wcap - c->wlen);
    if (n < 0) return (int)n;
    if ((size_t)n > c->wcap - c->wlen) {
        size_t cap = c->wcap;
        while (cap - c->wlen < (size_t)n) cap *= 2;
        char *b = realloc(c->wbuf, cap);
        if (!b) return -ENOMEM;
        c->wbuf = b;
        c->wcap = cap;
        n = cio_resp_write_command(argc, argv, argvlen, c->wbuf + c->wlen, c->wcap - c->wlen);
    }
    c->wlen += (size_t)n;
    return c->wlen >= FLUSH_AT ? cio__redis_flush(c) : 0;
}

/* Hand the corked commands to the stream (which never suspends to write). */
int cio__redis_flush(cio_redis *c) {
    if (c->wlen == 0 || !c->conn) return 0;
    int rc = cio_stream_write(c->conn->stream, c->wbuf, c->wlen);
    c->wlen = 0;
    if (rc == -ENOMEM) {
        cio__redis_lose(c, -ENOMEM); /* half the commands would be lost: out of step */
        return rc;
    }
    if (rc < 0) {
        cio__redis_lose(c, -ECONNRESET);
        return -ECONNRESET;
    }
    return 0;
}

/* Nothing in flight and the connection has answered before: if this command
 * finds it dead, the server went away while it was idle, and a retry on a new
 * connection is what the caller wants. */
static bool conn_idle(const cio_redis *c) {
    return c->rd == c->tail && c->rlen == 0 && c->wlen == 0 && c->conn->replied;
}

static int command_once(cio_redis *c, size_t argc, const char *const *argv, const size_t *argvlen,
                        cio_redis_reply **reply, bool *idle) {
    int rc = cio__redis_ensure_conn(c);
    if (rc < 0) return rc;
    if (c->subscribed) return -EBUSY;
    if ((rc = ring_reserve(c)) < 0) return rc;
    *idle = conn_idle(c);
    if ((rc = cio__redis_write_command(c, argc, argv, argvlen)) < 0) return rc;
    return await_timed(c, ring_push(c, false, *idle), reply);
}

int cio_redis_command(cio_redis *client, size_t argc, const char *const *argv,
                      const size_t *argvlen, cio_redis_reply **reply) {
    if (!cio__redis_check(client) || !reply) return -EINVAL;
    int rc = check_args(argc, argv);
    if (rc < 0) return rc;
    bool idle = false;
    rc = command_once(client, argc, argv, argvlen, reply, &idle);
    /* Retry once on a new connection; if none can be had, the command's own
     * error stands. */
    if (rc == -ECONNRESET && idle && client->opts.reconnect && cio__redis_ensure_conn(client) == 0)
        rc = command_once(client, argc, argv, argvlen, reply, &idle);
    return rc;
}

int cio_redis_call(cio_redis *client, cio_redis_reply **reply, const char *arg0, ...) {
    const char *argv[MAX_CALL_ARGS];
    size_t argc = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a; a = va_arg(ap, const char *)) {
        if (argc == MAX_CALL_ARGS) {
            va_end(ap);
            return -E2BIG;
        }
        argv[argc++] = a;
    }
    va_end(ap);
    return cio_redis_command(client, argc, argv, NULL, reply);
}

int cio_redis_send(cio_redis *client, size_t argc, const char *const *argv, const size_t *argvlen) {
    if (!cio__redis_check(client)) return -EINVAL;
    int rc = check_args(argc, argv);
    if (rc < 0 || (rc = cio__redis_ensure_conn(client)) < 0) return rc;
    if (client->subscribed) return -EBUSY;
    redis_conn *conn = client->conn;
    conn->users++;
    rc = cio_stream_drain(conn->stream); /* backpressure before, so nothing half-sent */
    bool dead = conn->dead;
    conn_release(client, conn);
    if (dead) return client->closed ? -CIO_ECLOSED : -ECONNRESET;
    if (rc < 0 && rc != -ECANCELED && rc != -ETIMEDOUT) {
        cio__redis_lose(client, -ECONNRESET);
        return -ECONNRESET;
    }
    if (rc < 0 || (rc = ring_reserve(client)) < 0) return rc;
    bool idle = conn_idle(client);
    if ((rc = cio__redis_write_command(client, argc, argv, argvlen)) < 0) return rc;
    ring_push(client, true, idle);
    return 0;
}

int cio_redis_receive(cio_redis *client, cio_redis_reply **reply) {
    if (!cio__redis_check(client) || !reply) return -EINVAL;
    cio_task *me = cio_current_task();
    if (!me) return -EPERM;
    for (uint64_t s = client->head; s < client->tail; s++) {
        redis_entry *e = cio__redis_entry(client, s);
        if (e->is_send && !e->claimed && !e->dropped && e->state != ENTRY_DONE && e->owner == me) {
            e->claimed = true;
            return await_timed(client, s, reply);
        }
    }
    return -ENOENT;
}
