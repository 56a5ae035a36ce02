/* pubsub.c - SUBSCRIBE / PSUBSCRIBE and reading messages.
 *
 * In subscribe mode the connection carries pushes, not replies: each
 * (un)subscribe is confirmed by one array per channel, and messages arrive
 * whenever they are published. One task reads (c->reading, as for replies);
 * confirmations update the counts, messages go to the caller or, while a
 * subscribe waits for its confirmations, to a queue. */
#include <stdlib.h>
#include <string.h>

#include "redis.h"

void cio__redis_pubsub_reset(cio_redis *c) {
    c->subscribed = false;
    c->confirms = 0;
    c->channels = c->patterns = 0;
}

static bool is(const cio_redis_reply *r, const char *word) {
    return r->type == CIO_REDIS_STRING && r->len == strlen(word) &&
           memcmp(r->str, word, r->len) == 0;
}

static char *copy_str(char **text, const cio_redis_reply *r) {
    char *s = *text;
    memcpy(s, r->str, r->len);
    s[r->len] = '\0';
    *text += r->len + 1;
    return s;
}

/* A "message" or "pmessage" push as a cio_redis_message in one allocation. */
static int make_message(const cio_redis_reply *r, redis_msgnode **out) {
    bool p = r->count == 4;
    const cio_redis_reply *pat = p ? &r->elements[1] : NULL;
    const cio_redis_reply *ch = &r->elements[p ? 2 : 1], *data = &r->elements[p ? 3 : 2];
    size_t size = sizeof(redis_msgnode) + ch->len + data->len + 2 + (pat ? pat->len + 1 : 0);
    redis_msgnode *n = calloc(1, size);
    if (!n) return -ENOMEM;
    char *text = (char *)(n + 1);
    n->msg.type = p ? CIO_REDIS_PMESSAGE : CIO_REDIS_MESSAGE;
    if (pat) {
        n->msg.pattern = copy_str(&text, pat);
        n->msg.pattern_len = pat->len;
    }
    n->msg.channel = copy_str(&text, ch);
    n->msg.channel_len = ch->len;
    n->msg.data = copy_str(&text, data);
    n->msg.data_len = data->len;
    *out = n;
    return 0;
}

/* A confirmation: [kind, name, total subscriptions]. */
static void confirmed(cio_redis *c, const cio_redis_reply *r) {
    bool pattern = is(&r->elements[0], "psubscribe") || is(&r->elements[0], "punsubscribe");
    bool sub = is(&r->elements[0], "subscribe") || is(&r->elements[0], "psubscribe");
    size_t *count = pattern ? &c->patterns : &c->channels;
    size_t total = c->channels + c->patterns;
    int64_t now = r->elements[2].type == CIO_REDIS_INTEGER ? r->elements[2].integer : 0;
    if (sub && (size_t)now > total) (*count)++;
    if (!sub && (size_t)now<total && * count> 0) (*count)--;
    if (c->confirms > 0) c->confirms--;
    if (now == 0 && c->confirms == 0) c->subscribed = false;
}

/* Read one push. Returns 1 with *out for a message, 0 for a confirmation
 * (or anything else, skipped), or an error. */
static int read_push(cio_redis *c, redis_msgnode **out) {
    cio_redis_reply *r = NULL;
    int rc = (int)cio__redis_read_reply(c, &r);
    if (rc == -ENOMEM) return rc;
    if (rc < 0 && rc != -CIO_ESERVER) return rc;
    rc = 0;
    if (r->type == CIO_REDIS_ARRAY && r->count >= 3 && r->elements[0].type == CIO_REDIS_STRING) {
        if ((is(&r->elements[0], "message") && r->count == 3) ||
            (is(&r->elements[0], "pmessage") && r->count == 4)) {
            rc = make_message(r, out);
            if (rc == 0) rc = 1;
        } else if (r->count == 3) {
            confirmed(c, r);
        }
    }
    cio_redis_reply_free(r);
    return rc;
}

static void enqueue(cio_redis *c, redis_msgnode *n) {
    n->next = NULL;
    if (c->mq_tail)
        c->mq_tail->next = n;
    else
        c->mq_head = n;
    c->mq_tail = n;
}

/* Send a (un)subscribe command and, unless another task is reading
 * messages, read until its confirmations are in. */
static int request(cio_redis *c, const char *verb, size_t n, const char *const *names,
                   size_t expect) {
    int rc = cio__redis_ensure_conn(c);
    if (rc < 0) return rc;
    if (c->rd != c->tail) return -EBUSY; /* replies are still due on this connection */
    const char *argv[n + 1];
    argv[0] = verb;
    for (size_t i = 0; i < n; i++) argv[i + 1] = names[i];
    if ((rc = cio__redis_write_command(c, n + 1, argv, NULL)) < 0 || (rc = cio__redis_flush(c)) < 0)
        return rc;
    c->subscribed = true;
    c->confirms += expect;
    if (c->reading) return 0;
    uint64_t gen = c->gen;
    c->reading = gen;
    while (rc >= 0 && c->confirms > 0) {
        redis_msgnode *m = NULL;
        rc = read_push(c, &m);
        if (rc == 1) enqueue(c, m);
    }
    if (c->reading == gen) c->reading = 0;
    return rc < 0 ? rc : 0;
}

static int check_names(cio_redis *c, size_t n, const char *const *names, bool allow_none) {
    if (!cio__redis_check(c) || (n > 0 && !names) || (n == 0 && !allow_none)) return -EINVAL;
    if (n > 1024) return -E2BIG; /* the names go on the stack */
    for (size_t i = 0; i < n; i++)
        if (!names[i]) return -EINVAL;
    return 0;
}

int cio_redis_subscribe(cio_redis *client, size_t n, const char *const *channels) {
    int rc = check_names(client, n, channels, false);
    return rc < 0 ? rc : request(client, "SUBSCRIBE", n, channels, n);
}

int cio_redis_psubscribe(cio_redis *client, size_t n, const char *const *patterns) {
    int rc = check_names(client, n, patterns, false);
    return rc < 0 ? rc : request(client, "PSUBSCRIBE", n, patterns, n);
}

/* With no names, Redis confirms each subscription dropped, or once if none. */
int cio_redis_unsubscribe(cio_redis *client, size_t n, const char *const *channels) {
    int rc = check_names(client, n, channels, true);
    if (rc < 0) return rc;
    if (!client->subscribed) return 0;
    size_t expect = n ? n : (client->channels ? client->channels : 1);
    return request(client, "UNSUBSCRIBE", n, channels, expect);
}

int cio_redis_punsubscribe(cio_redis *client, size_t n, const char *const *patterns) {
    int rc = check_names(client, n, patterns, true);
    if (rc < 0) return rc;
    if (!client->subscribed) return 0;
    size_t expect = n ? n : (client->patterns ? client->patterns : 1);
    return request(client, "PUNSUBSCRIBE", n, patterns, expect);
}

static int next_message(cio_redis *c, redis_msgnode **out) {
    for (;;) {
        if (!c->subscribed && c->conn) return -ENOTCONN;
        int rc = read_push(c, out);
        if (rc != 0) return rc < 0 ? rc : 0;
    }
}

int cio_redis_message_next(cio_redis *client, double timeout, cio_redis_message **msg) {
    if (!cio__redis_check(client) || !msg || timeout != timeout) return -EINVAL;
    redis_msgnode *n = client->mq_head;
    if (n) {
        client->mq_head = n->next;
        if (!n->next) client->mq_tail = NULL;
        *msg = &n->msg;
        return 0;
    }
    if (client->closed) return -CIO_ECLOSED;
    if (!client->conn) return client->lost ? client->lost : -ECONNRESET;
    if (!client->subscribed) return -ENOTCONN;
    if (client->reading) return -EBUSY;
    cio_timeout scope;
    int rc = timeout >= 0 ? cio_timeout_begin(&scope, timeout) : 0;
    if (rc < 0) return rc;
    uint64_t gen = client->gen;
    client->reading = gen;
    rc = next_message(client, &n);
    if (client->reading == gen) client->reading = 0;
    if (timeout >= 0) cio_timeout_end(&scope);
    if (rc == 0) *msg = &n->msg;
    return rc;
}

void cio_redis_message_free(cio_redis_message *msg) {
    if (msg) free((char *)msg - offsetof(redis_msgnode, msg));
}
