/* src/redis/redis.h - the Redis client's internals, shared by client.c
 * (connection, FIFO of waiters), reply.c (reply trees) and pubsub.c. */
#ifndef CIO_SRC_REDIS_H
#define CIO_SRC_REDIS_H

#include <cio/redis.h>
#include <cio/resp.h>
#include <cio/stream.h>
#include <cio/sync.h>
#include <cio/timeout.h>

#define CIO__REDIS_MAGIC 0x52454453u /* "REDS" */

/* One connection. A task suspended in a read or a drain on it holds a use,
 * so a lost connection's stream is freed only once the last of them left. */
typedef struct redis_conn {
    cio_stream *stream;
    int users;
    bool dead;    /* retired: aborted, no longer the client's */
    bool replied; /* at least one reply came (an idle connection, not a fresh one) */
    struct redis_conn *next_retired;
} redis_conn;

/* A command waiting for its reply, in the client's ring. */
enum { ENTRY_PENDING, ENTRY_READY, ENTRY_DONE };
typedef struct redis_entry {
    uint8_t state;
    bool dropped;    /* nobody wants the reply any more: free it on arrival */
    bool is_send;    /* from cio_redis_send: waits for cio_redis_receive */
    bool claimed;    /* a cio_redis_receive waits for it */
    bool idle;       /* written on an idle connection: may be retried once */
    int rc;          /* with READY: 0, -CIO_ESERVER, or the connection's error */
    cio_event *wake; /* the waiting task's event, or NULL */
    cio_task *owner; /* the task that sent it (for receive) */
    cio_redis_reply *reply;
} redis_entry;

typedef struct redis_msgnode {
    struct redis_msgnode *next;
    cio_redis_message msg;
} redis_msgnode;

struct cio_redis {
    uint32_t magic;
    cio_redis_options opts;
    char *host; /* NULL for a Unix socket */
    char *path;
    int port;
    redis_conn *conn; /* NULL: disconnected */
    redis_conn *retired;
    int lost;    /* why conn went away, for commands without reconnect */
    bool closed; /* cio_redis_close() */
    cio_lock connect_lock;

    /* read side: bytes rbuf[rpos .. rlen) are unparsed; one task reads */
    char *rbuf;
    size_t rpos, rlen, rcap;
    cio_resp_parser parser;
    cio_resp_value *slots;
    size_t nslots;
    uint64_t reading; /* the generation of the connection being read, 0: nobody */
    uint64_t gen;     /* bumped per connection */
    size_t waiters;   /* tasks in await_entry */

    /* write side: commands corked until a reply is awaited (client.c) */
    char *wbuf;
    size_t wlen, wcap;

    /* FIFO: seqs [head, rd) have replies, [rd, tail) wait for theirs */
    redis_entry *ring;
    size_t ring_cap; /* a power of two */
    uint64_t head, rd, tail;

    /* pub/sub */
    bool subscribed; /* in subscribe mode: only pub/sub commands */
    size_t confirms; /* confirmations still expected */
    size_t channels, patterns;
    redis_msgnode *mq_head, *mq_tail;
};

static inline redis_entry *cio__redis_entry(cio_redis *c, uint64_t seq) {
    return &c->ring[seq & (c->ring_cap - 1)];
}

/* reply.c */
int cio__redis_reply_build(const cio_resp_value *slots, cio_redis_reply **out);

/* client.c */
int cio__redis_ensure_conn(cio_redis *c);
int cio__redis_write_command(cio_redis *c, size_t argc, const char *const *argv,
                             const size_t *argvlen);
int cio__redis_flush(cio_redis *c);
ssize_t cio__redis_read_reply(cio_redis *c, cio_redis_reply **out);
void cio__redis_lose(cio_redis *c, int err);
bool cio__redis_check(const cio_redis *c);

/* pubsub.c */
void cio__redis_pubsub_reset(cio_redis *c);

#endif
