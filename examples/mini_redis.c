/* mini_redis - a Redis-protocol server on cio, small enough to read.
 *
 *     mini_redis PORT      serve RESP on 127.0.0.1:PORT until SIGINT/SIGTERM
 *
 * Commands: PING ECHO GET SET (EX PX EXAT PXAT NX XX KEEPTTL GET) DEL EXISTS
 * INCR DECR EXPIRE (NX XX GT LT) TTL MGET MSET FLUSHALL, and CONFIG GET for
 * redis-benchmark; replies and error texts are redis-server 7's. redis-cli
 * and redis-benchmark work against it.
 *
 * One task per connection: read what the client sent, run every complete
 * command in it (pipelining), write all the replies at once, drain. The
 * keyspace (mini_redis/store.c) is a hash table; keys expire lazily when
 * touched and by a sweep task that walks part of the table every 100 ms.
 * One loop, one thread: no locks. */
#include <cio.h>
#include <cio/resp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mini_redis/commands.h"

#define READ_CHUNK   (16u * 1024)
#define MAX_SLOTS    (1024u * 1024 + 1) /* a command of redis's most arguments */
#define SWEEP_PERIOD 0.1                /* seconds between expiry sweeps */
#define SWEEP_BUDGET 1024               /* buckets per sweep */

static store keyspace;

/* What one connection holds between reads. */
typedef struct client {
    char *in;
    size_t in_len, in_cap;
    cio_resp_value *slots;
    size_t nslots;
    cio_resp_parser parser;
    outbuf out;
} client;

static int client_init(client *c) {
    *c = (client){.in_cap = READ_CHUNK, .nslots = 64};
    c->in = malloc(c->in_cap);
    c->slots = malloc(c->nslots * sizeof *c->slots);
    return c->in && c->slots ? 0 : -ENOMEM;
}

static void reset_parser(client *c) {
    cio_resp_options opts = {.flags = CIO_RESP_COMMAND | CIO_RESP_INLINE};
    cio_resp_parser_init(&c->parser, c->slots, c->nslots, &opts);
}

static void client_free(client *c) {
    free(c->in);
    free(c->slots);
    free(c->out.data);
}

/* A command with more arguments than slots: double them and parse again. */
static int grow_slots(client *c) {
    if (c->nslots >= MAX_SLOTS) return -EMSGSIZE;
    cio_resp_value *s = realloc(c->slots, 2 * c->nslots * sizeof *s);
    if (!s) return -ENOMEM;
    c->slots = s;
    c->nslots *= 2;
    reset_parser(c);
    return 0;
}

/* Run every complete command in the input, appending the replies to
 * c->out; keep a partial one for the next read. Returns 0, or a negative
 * errno when the client must be dropped (after its error reply). */
static int run_buffered(client *c) {
    size_t pos = 0;
    int rc = 0;
    while (pos < c->in_len) {
        ssize_t n = cio_resp_parse(&c->parser, c->in + pos, c->in_len - pos);
        if (n == -ENOBUFS && (rc = grow_slots(c)) == 0) continue;
        if (n == 0) break;
        if (n < 0) {
            reply_error(&c->out, "ERR Protocol error");
            rc = (int)n;
            break;
        }
        if (c->slots[0].count > 0) run_command(&keyspace, &c->slots[1], c->slots[0].count, &c->out);
        pos += (size_t)n;
    }
    memmove(c->in, c->in + pos, c->in_len - pos);
    c->in_len -= pos;
    return c->out.failed ? -ENOMEM : rc;
}

/* Room to read at least READ_CHUNK / 2 more bytes (a big value grows the
 * buffer; the parser bounds it at 512 MiB). */
static int make_room(client *c) {
    if (c->in_cap - c->in_len >= READ_CHUNK / 2) return 0;
    char *in = realloc(c->in, c->in_cap * 2);
    if (!in) return -ENOMEM;
    c->in = in;
    c->in_cap *= 2;
    return 0;
}

static void serve_client(cio_stream *stream, void *arg) {
    (void)arg;
    client c;
    if (client_init(&c) < 0) goto done;
    reset_parser(&c);
    for (;;) {
        if (make_room(&c) < 0) break;
        ssize_t n = cio_stream_read(stream, c.in + c.in_len, c.in_cap - c.in_len);
        if (n <= 0) break;
        c.in_len += (size_t)n;
        int rc = run_buffered(&c);
        if (c.out.len > 0 && cio_stream_write(stream, c.out.data, c.out.len) < 0) break;
        c.out.len = 0;
        if (rc < 0 || cio_stream_drain(stream) < 0) break; /* waits only for slow readers */
    }
done:
    client_free(&c);
}

static void *sweeper(void *arg) {
    (void)arg;
    while (cio_sleep(SWEEP_PERIOD) == 0) store_sweep(&keyspace, SWEEP_BUDGET);
    return NULL;
}

static void *serve(void *arg) {
    int port = *(int *)arg;
    cio_server *server;
    int rc = cio_start_server("127.0.0.1", port, serve_client, NULL, NULL, &server);
    if (rc < 0) {
        fprintf(stderr, "mini_redis: cannot listen on port %d: %s\n", port, cio_strerror(rc));
        return cio_fail(rc);
    }
    cio_task *sweep;
    cio_create_task(sweeper, NULL, &sweep);
    int stop[] = {SIGINT, SIGTERM};
    rc = cio_wait_signals(stop, 2);
    cio_task_cancel(sweep);
    cio_await(sweep, NULL);
    cio_server_close(server);
    cio_server_close_clients(server);
    cio_server_wait_closed(server);
    cio_server_free(server);
    return rc < 0 ? cio_fail(rc) : NULL;
}

int main(int argc, char **argv) {
    if (argc != 2 || atoi(argv[1]) <= 0 || atoi(argv[1]) > 65535) {
        fprintf(stderr, "usage: mini_redis PORT\n");
        return 2;
    }
    if (store_init(&keyspace) < 0) return 1;
    int port = atoi(argv[1]);
    int rc = cio_run(serve, &port, NULL);
    store_destroy(&keyspace);
    return rc == 0 ? 0 : 1;
}
