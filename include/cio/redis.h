/* cio/redis.h - a Redis client for cio tasks (redis-py's asyncio client, in C).
 *
 *     cio_redis *r;
 *     int rc = cio_redis_connect("127.0.0.1", 6379, NULL, &r);
 *     cio_redis_reply *reply;
 *     rc = cio_redis_call(r, &reply, "SET", "greeting", "hello", NULL);  // +OK
 *     cio_redis_reply_free(reply);
 *     rc = cio_redis_call(r, &reply, "GET", "greeting", NULL);
 *     if (rc == 0 && reply->type == CIO_REDIS_STRING) puts(reply->str);
 *     cio_redis_reply_free(reply);
 *     cio_redis_free(r);
 *
 * Commands are arrays of binary-safe arguments (argv/argvlen); there is no
 * format-string parsing. Replies are typed trees (cio_redis_reply) in one
 * allocation, freed with one cio_redis_reply_free().
 *
 * Sharing: any number of tasks of the client's loop may issue commands on one
 * client at once. Commands go out in the order they are made and each task
 * gets its own reply (a FIFO of waiters over one connection, as a pipelined
 * connection does). cio_redis_send() / cio_redis_receive() pipeline many
 * commands from one task.
 *
 * Cancellation and timeouts: a task cancelled (or timed out) while waiting
 * for its reply returns -ECANCELED (-ETIMEDOUT); its reply, when it comes, is
 * read and dropped, so later commands still get their own replies.
 *
 * Connection loss: commands in flight fail with -ECONNRESET. With
 * cio_redis_options.reconnect, the next command opens a new connection first;
 * and a command written on an idle connection that turns out to be dead (the
 * server restarted meanwhile) is sent once more on a new connection, as
 * redis-py's retry does. That command may then run twice if the server had
 * executed it just before going away.
 *
 * Threads: every function is for the loop thread the client was connected
 * on; the suspending ones (connect, commands, subscribe, message_next) only
 * inside a task (else -EPERM). NULL handles give -EINVAL. */
#ifndef CIO_REDIS_H
#define CIO_REDIS_H

#include <sys/types.h>

#include "task.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cio_redis cio_redis;

/* ---- replies ----------------------------------------------------------------------- */
typedef enum cio_redis_reply_type {
    CIO_REDIS_STRING = 1, /* bulk string: str/len, binary-safe */
    CIO_REDIS_STATUS,     /* simple string, e.g. "OK": str/len */
    CIO_REDIS_ERROR,      /* error reply, e.g. "ERR unknown command ...": str/len */
    CIO_REDIS_INTEGER,    /* integer */
    CIO_REDIS_NIL,        /* nil bulk string or nil array (redis-py's None) */
    CIO_REDIS_ARRAY,      /* count elements in elements[0 .. count - 1] */
} cio_redis_reply_type;

/* A reply. The root and everything under it are one allocation, the
 * caller's, released with cio_redis_reply_free(root). str is NUL-terminated
 * (len excludes the NUL; a bulk string may also hold NULs); NULL for types
 * without text. */
typedef struct cio_redis_reply {
    cio_redis_reply_type type;
    int64_t integer; /* INTEGER: the value; otherwise 0 */
    char *str;
    size_t len;
    size_t count;                     /* ARRAY: number of elements; otherwise 0 */
    struct cio_redis_reply *elements; /* ARRAY: the elements; otherwise NULL */
} cio_redis_reply;

/* Free a reply tree (NULL: no-op). Only a root may be freed. Any thread. */
CIO_EXPORT void cio_redis_reply_free(cio_redis_reply *reply);

/* ---- connecting -------------------------------------------------------------------- */
typedef struct cio_redis_options {
    double connect_timeout; /* seconds for each connect; 0: no limit (-ETIMEDOUT past it) */
    /* Seconds a command may wait for its reply; 0: no limit. Past it the
     * command returns -ETIMEDOUT and its reply is dropped when it comes. */
    double command_timeout;
    /* On the first command after the connection was lost, connect again
     * (once per command); see the file comment. false: commands after a loss
     * return -ECONNRESET until the client is closed. */
    bool reconnect;
} cio_redis_options;

/* Connect to a Redis server at host:port over TCP (redis.asyncio.Redis(host,
 * port)). opts may be NULL (no timeouts, no reconnect); it is copied. On
 * success *out holds the caller's handle. Returns 0, or an error of
 * cio_open_connection() (-ECONNREFUSED, -ETIMEDOUT, -CIO_ENOTFOUND, ...),
 * -ENOMEM, -EINVAL (NULL host or out, port outside 0..65535), -EPERM
 * (outside a task). */
CIO_EXPORT int cio_redis_connect(const char *host, int port, const cio_redis_options *opts,
                                 cio_redis **out);

/* As cio_redis_connect, over the Unix socket at path (Redis's unixsocket;
 * '@' first: a Linux abstract socket). Returns the errors of
 * cio_open_unix_connection(), -ENOMEM, -EINVAL, -EPERM. */
CIO_EXPORT int cio_redis_connect_unix(const char *path, const cio_redis_options *opts,
                                      cio_redis **out);

/* Close the connection: commands waiting for replies return -CIO_ECLOSED,
 * later ones too. Does not suspend. Returns 0, -CIO_ECLOSED (already
 * closed), -EINVAL. */
CIO_EXPORT int cio_redis_close(cio_redis *client);

/* Close if need be and release the handle (NULL: no-op). No task may be
 * waiting on the client. Does not suspend. */
CIO_EXPORT void cio_redis_free(cio_redis *client);

/* ---- commands ---------------------------------------------------------------------- */

/* Send one command, argv[0 .. argc - 1] with argv[i] argvlen[i] bytes long
 * (binary-safe; argvlen NULL: strlen of each), and wait for its reply (the
 * arguments are copied before the call suspends). On success *reply holds
 * the reply (the caller's, cio_redis_reply_free()).
 * Returns:
 *   0             a reply other than an error; NIL for a missing key.
 *   -CIO_ESERVER  the server answered with an error reply: *reply is set
 *                 anyway, of type CIO_REDIS_ERROR, with the text
 *                 ("WRONGTYPE Operation against a key ...").
 *   -ECONNRESET   the connection was lost before the reply came (see the
 *                 file comment for reconnecting).
 *   -CIO_ECLOSED  the client was closed.
 *   -ECANCELED, -ETIMEDOUT (cancelled, a timeout scope, or command_timeout):
 *                 the reply will be dropped when it comes.
 *   -EBUSY        the client is in subscribe mode (see below).
 *   -EPROTO       the server sent something that is not RESP2 (the
 *                 connection is closed).
 *   -EINVAL (NULL client or reply, argc 0, NULL argv), -ENOMEM, -EPERM. */
CIO_EXPORT int cio_redis_command(cio_redis *client, size_t argc, const char *const *argv,
                                 const size_t *argvlen, cio_redis_reply **reply);

/* The same with C-string arguments given inline, ended by NULL:
 *     cio_redis_call(r, &reply, "SET", "k", "v", NULL);
 * (varargs must come last, so the out-parameter comes first here). At most
 * 64 arguments (-E2BIG past that). Returns as cio_redis_command. */
CIO_EXPORT int cio_redis_call(cio_redis *client, cio_redis_reply **reply, const char *arg0, ...)
#if defined(__GNUC__)
    __attribute__((sentinel))
#endif
    ;

/* ---- pipelining -----------------------------------------------------------------------
 * send() writes a command without waiting for its reply; receive() waits for
 * the reply to the calling task's oldest send() not yet received. Replies
 * come in order; other tasks' commands may interleave freely. Replies a task
 * never receives are dropped when the client is freed. */

/* Queue one command (arguments as cio_redis_command; copied). Commands are
 * corked in the client and written together, in order, when a task of the
 * client next waits for a reply (or once 64 KiB are queued): a batch of
 * sends costs one write. Waits only while the stream's write buffer is over
 * its high-water mark (backpressure); on an error nothing was queued.
 * Returns 0, -ECONNRESET, -CIO_ECLOSED, -EBUSY, -ECANCELED, -ETIMEDOUT,
 * -EINVAL, -ENOMEM, -EPERM. */
CIO_EXPORT int cio_redis_send(cio_redis *client, size_t argc, const char *const *argv,
                              const size_t *argvlen);

/* Wait for the reply to the calling task's oldest unreceived send().
 * Returns as cio_redis_command, and -ENOENT when the task has none pending.
 * On -ECANCELED / -ETIMEDOUT the reply is dropped when it comes (the next
 * receive gets the next one). */
CIO_EXPORT int cio_redis_receive(cio_redis *client, cio_redis_reply **reply);

/* ---- publish / subscribe -------------------------------------------------------------
 * Once subscribed, the connection carries only messages (as in Redis), so
 * give pub/sub its own client, as redis-py's PubSub does: commands other than
 * the ones below return -EBUSY until every subscription is gone. One task at
 * a time reads messages. */

typedef enum cio_redis_message_type {
    CIO_REDIS_MESSAGE = 1, /* a PUBLISH to a subscribed channel */
    CIO_REDIS_PMESSAGE,    /* a PUBLISH matching a subscribed pattern */
} cio_redis_message_type;

/* A message: one allocation, the caller's, freed with
 * cio_redis_message_free(). Strings are NUL-terminated and binary-safe. */
typedef struct cio_redis_message {
    cio_redis_message_type type;
    char *pattern; /* PMESSAGE: the pattern that matched; otherwise NULL */
    size_t pattern_len;
    char *channel;
    size_t channel_len;
    char *data;
    size_t data_len;
} cio_redis_message;

CIO_EXPORT void cio_redis_message_free(cio_redis_message *msg); /* NULL: no-op */

/* Subscribe to channels[0 .. n - 1] (SUBSCRIBE; NUL-terminated names) and
 * wait until the server confirmed each one, so that a PUBLISH made after
 * this returns is received. Messages arriving meanwhile are kept for
 * cio_redis_message_next(). If another task is waiting in message_next, the
 * command is only sent: that task reads the confirmations. Returns 0,
 * -EBUSY (commands are in flight on this client), -ECONNRESET, -CIO_ECLOSED,
 * -ECANCELED, -ETIMEDOUT, -EPROTO, -EINVAL (n 0, NULL), -ENOMEM, -EPERM. */
CIO_EXPORT int cio_redis_subscribe(cio_redis *client, size_t n, const char *const *channels);

/* As cio_redis_subscribe, for glob patterns (PSUBSCRIBE). */
CIO_EXPORT int cio_redis_psubscribe(cio_redis *client, size_t n, const char *const *patterns);

/* Unsubscribe from channels[0 .. n - 1], or from every channel if n is 0
 * (UNSUBSCRIBE), waiting for the confirmations as subscribe does. When no
 * subscription is left the client takes commands again. Returns as
 * cio_redis_subscribe (n 0 is allowed). */
CIO_EXPORT int cio_redis_unsubscribe(cio_redis *client, size_t n, const char *const *channels);

/* As cio_redis_unsubscribe, for patterns (PUNSUBSCRIBE). */
CIO_EXPORT int cio_redis_punsubscribe(cio_redis *client, size_t n, const char *const *patterns);

/* Wait up to timeout seconds (< 0: no limit; 0: only what is already read)
 * for the next message (pubsub.get_message()). On success *msg holds it
 * (the caller's). Subscribe confirmations are consumed, not returned.
 * Returns 0, -ETIMEDOUT (nothing came in time), -ENOTCONN (not subscribed to anything), -EBUSY
 * (another task is reading messages), -ECONNRESET, -CIO_ECLOSED,
 * -ECANCELED, -EPROTO, -ENOMEM, -EINVAL, -EPERM. */
CIO_EXPORT int cio_redis_message_next(cio_redis *client, double timeout, cio_redis_message **msg);

#ifdef __cplusplus
}
#endif
#endif
