/* The Redis client against a real redis-server started here on a free
 * loopback port: every reply type, binary-safe values (NUL bytes, 1 MiB),
 * 10,000 pipelined commands, many tasks sharing one client, pub/sub, a
 * server restart, cancellation and a command timeout while waiting, connect
 * refused. Real clock (the server is a real process); no fd may leak. */
#include "testutil.h"

#include <cio/redis.h>

#include "redis_test.h"

static int port;
static pid_t server;

static int group_setup(void **state) {
    (void)state;
    port = redis_test_free_port();
    server = redis_test_start_redis(port);
    return server > 0 ? 0 : -1;
}

static int group_teardown(void **state) {
    (void)state;
    redis_test_stop(server, 0);
    return 0;
}

/* Run fn as the main task on the real clock; it must succeed and leave no
 * fd open. */
static void run(cio_task_fn fn, void *arg) {
    int before = test_count_fds();
    assert_int_equal(cio_run(fn, arg, NULL), 0);
    assert_int_equal(test_count_fds(), before);
}

static cio_redis *connect_ex(const cio_redis_options *opts) {
    cio_redis *r = NULL;
    assert_int_equal(cio_redis_connect("127.0.0.1", port, opts, &r), 0);
    return r;
}

/* Run a command given as C strings and check its status and reply type. */
static cio_redis_reply *expect(cio_redis *r, int status, cio_redis_reply_type type,
                               const char *arg0, ...) {
    const char *argv[16];
    size_t argc = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a; a = va_arg(ap, const char *)) argv[argc++] = a;
    va_end(ap);
    cio_redis_reply *reply = NULL;
    assert_int_equal(cio_redis_command(r, argc, argv, NULL, &reply), status);
    assert_non_null(reply);
    assert_int_equal(reply->type, type);
    return reply;
}

/* ---- reply types ------------------------------------------------------------------ */

static void *reply_types_task(void *arg) {
    (void)arg;
    cio_redis *r = connect_ex(NULL);
    cio_redis_reply *x;
    x = expect(r, 0, CIO_REDIS_STATUS, "FLUSHALL", NULL);
    cio_redis_reply_free(x);
    x = expect(r, 0, CIO_REDIS_STATUS, "SET", "k", "hello", NULL);
    assert_string_equal(x->str, "OK");
    cio_redis_reply_free(x);
    x = expect(r, 0, CIO_REDIS_STRING, "GET", "k", NULL);
    assert_int_equal(x->len, 5);
    assert_string_equal(x->str, "hello");
    cio_redis_reply_free(x);
    x = expect(r, 0, CIO_REDIS_NIL, "GET", "missing", NULL);
    cio_redis_reply_free(x);
    x = expect(r, 0, CIO_REDIS_INTEGER, "INCR", "n", NULL);
    assert_int_equal(x->integer, 1);
    cio_redis_reply_free(x);
    x = expect(r, -CIO_ESERVER, CIO_REDIS_ERROR, "INCR", "k", NULL);
    assert_string_equal(x->str, "ERR value is not an integer or out of range");
    cio_redis_reply_free(x);
    x = expect(r, -CIO_ESERVER, CIO_REDIS_ERROR, "LPUSH", "k", "v", NULL);
    assert_memory_equal(x->str, "WRONGTYPE", 9);
    cio_redis_reply_free(x);
    x = expect(r, 0, CIO_REDIS_ARRAY, "MGET", "k", "missing", "n", NULL);
    assert_int_equal(x->count, 3);
    assert_int_equal(x->elements[0].type, CIO_REDIS_STRING);
    assert_string_equal(x->elements[0].str, "hello");
    assert_int_equal(x->elements[1].type, CIO_REDIS_NIL);
    assert_string_equal(x->elements[2].str, "1");
    cio_redis_reply_free(x);
    /* Nested arrays, and the nil array of a timed-out BLPOP. */
    x = expect(r, 0, CIO_REDIS_ARRAY, "EVAL", "return {1, {'a', {}}, 'b'}", "0", NULL);
    assert_int_equal(x->count, 3);
    assert_int_equal(x->elements[0].integer, 1);
    assert_int_equal(x->elements[1].count, 2);
    assert_string_equal(x->elements[1].elements[0].str, "a");
    assert_int_equal(x->elements[1].elements[1].type, CIO_REDIS_ARRAY);
    assert_int_equal(x->elements[1].elements[1].count, 0);
    assert_string_equal(x->elements[2].str, "b");
    cio_redis_reply_free(x);
    x = expect(r, 0, CIO_REDIS_NIL, "BLPOP", "nolist", "0.01", NULL);
    cio_redis_reply_free(x);
    /* The varargs form. */
    assert_int_equal(cio_redis_call(r, &x, "ECHO", "hi", NULL), 0);
    assert_string_equal(x->str, "hi");
    cio_redis_reply_free(x);
    /* Bad arguments. */
    assert_int_equal(cio_redis_command(r, 0, NULL, NULL, &x), -EINVAL);
    assert_int_equal(cio_redis_command(NULL, 1, (const char *[]){"PING"}, NULL, &x), -EINVAL);
    assert_int_equal(cio_redis_close(r), 0);
    assert_int_equal(cio_redis_close(r), -CIO_ECLOSED);
    assert_int_equal(cio_redis_call(r, &x, "PING", NULL), -CIO_ECLOSED);
    cio_redis_free(r);
    return NULL;
}

static void every_reply_type(void **state) {
    (void)state;
    run(reply_types_task, NULL);
}

/* ---- binary-safe values ------------------------------------------------------------- */

static void *binary_task(void *arg) {
    (void)arg;
    cio_redis *r = connect_ex(NULL);
    static const char key[] = "bin\0key", value[] = "a\0b\r\nc\0";
    cio_redis_reply *x;
    const char *set[] = {"SET", key, value};
    size_t setlen[] = {3, sizeof key - 1, sizeof value - 1};
    assert_int_equal(cio_redis_command(r, 3, set, setlen, &x), 0);
    cio_redis_reply_free(x);
    const char *get[] = {"GET", key};
    size_t getlen[] = {3, sizeof key - 1};
    assert_int_equal(cio_redis_command(r, 2, get, getlen, &x), 0);
    assert_int_equal(x->len, sizeof value - 1);
    assert_memory_equal(x->str, value, sizeof value - 1);
    cio_redis_reply_free(x);

    size_t big = 1u << 20;
    char *data = malloc(big);
    for (size_t i = 0; i < big; i++) data[i] = (char)(i * 7 + (i >> 9));
    const char *bset[] = {"SET", "big", data};
    size_t bsetlen[] = {3, 3, big};
    assert_int_equal(cio_redis_command(r, 3, bset, bsetlen, &x), 0);
    cio_redis_reply_free(x);
    assert_int_equal(cio_redis_call(r, &x, "GET", "big", NULL), 0);
    assert_int_equal(x->len, big);
    assert_memory_equal(x->str, data, big);
    cio_redis_reply_free(x);
    free(data);
    cio_redis_free(r);
    return NULL;
}

static void binary_safe_values(void **state) {
    (void)state;
    run(binary_task, NULL);
}

/* ---- pipelining and sharing ------------------------------------------------------------- */

static void *pipeline_task(void *arg) {
    (void)arg;
    cio_redis *r = connect_ex(NULL);
    enum { N = 10000 };
    const char *del[] = {"DEL", "counter"};
    cio_redis_reply *x;
    assert_int_equal(cio_redis_command(r, 2, del, NULL, &x), 0);
    cio_redis_reply_free(x);
    const char *incr[] = {"INCR", "counter"};
    for (int i = 0; i < N; i++) assert_int_equal(cio_redis_send(r, 2, incr, NULL), 0);
    for (int i = 0; i < N; i++) {
        assert_int_equal(cio_redis_receive(r, &x), 0);
        assert_int_equal(x->type, CIO_REDIS_INTEGER);
        assert_int_equal(x->integer, i + 1);
        cio_redis_reply_free(x);
    }
    assert_int_equal(cio_redis_receive(r, &x), -ENOENT);
    cio_redis_free(r);
    return NULL;
}

static void pipelining_10000_commands(void **state) {
    (void)state;
    run(pipeline_task, NULL);
}

struct sharer {
    cio_redis *r;
    int id;
};

/* Each task counts its own key up and checks every reply is its own. */
static void *sharer_task(void *arg) {
    struct sharer *s = arg;
    char key[32];
    snprintf(key, sizeof key, "share:%d", s->id);
    for (int i = 1; i <= 100; i++) {
        cio_redis_reply *x;
        if (i == 1) {
            assert_int_equal(cio_redis_call(s->r, &x, "DEL", key, NULL), 0);
            cio_redis_reply_free(x);
        }
        assert_int_equal(cio_redis_call(s->r, &x, "INCR", key, NULL), 0);
        assert_int_equal(x->integer, i);
        cio_redis_reply_free(x);
        if (i % 10 == 0) { /* mixed with pipelined sends of the same task */
            const char *get[] = {"GET", key};
            assert_int_equal(cio_redis_send(s->r, 2, get, NULL), 0);
            assert_int_equal(cio_redis_receive(s->r, &x), 0);
            assert_int_equal(atoi(x->str), i);
            cio_redis_reply_free(x);
        }
    }
    return NULL;
}

static void *sharing_task(void *arg) {
    (void)arg;
    enum { TASKS = 50 };
    cio_redis *r = connect_ex(NULL);
    struct sharer s[TASKS];
    cio_task *t[TASKS];
    for (int i = 0; i < TASKS; i++) {
        s[i] = (struct sharer){r, i};
        assert_int_equal(cio_create_task(sharer_task, &s[i], &t[i]), 0);
    }
    for (int i = 0; i < TASKS; i++) assert_int_equal(cio_await(t[i], NULL), 0);
    cio_redis_free(r);
    return NULL;
}

static void many_tasks_share_a_client(void **state) {
    (void)state;
    run(sharing_task, NULL);
}

/* ---- pub/sub -------------------------------------------------------------------------- */

static void publish(cio_redis *r, const char *channel, const char *data, int64_t receivers) {
    cio_redis_reply *x;
    assert_int_equal(cio_redis_call(r, &x, "PUBLISH", channel, data, NULL), 0);
    assert_int_equal(x->integer, receivers);
    cio_redis_reply_free(x);
}

static void *pubsub_task(void *arg) {
    (void)arg;
    cio_redis *sub = connect_ex(NULL), *pub = connect_ex(NULL);
    cio_redis_message *m;
    assert_int_equal(cio_redis_message_next(sub, 0, &m), -ENOTCONN);
    assert_int_equal(cio_redis_subscribe(sub, 2, (const char *[]){"news", "sport"}), 0);
    assert_int_equal(cio_redis_psubscribe(sub, 1, (const char *[]){"wea*"}), 0);
    cio_redis_reply *x;
    assert_int_equal(cio_redis_call(sub, &x, "GET", "k", NULL), -EBUSY);

    publish(pub, "news", "hello", 1);
    publish(pub, "weather", "rain", 1);
    assert_int_equal(cio_redis_message_next(sub, 2.0, &m), 0);
    assert_int_equal(m->type, CIO_REDIS_MESSAGE);
    assert_string_equal(m->channel, "news");
    assert_string_equal(m->data, "hello");
    assert_null(m->pattern);
    cio_redis_message_free(m);
    assert_int_equal(cio_redis_message_next(sub, 2.0, &m), 0);
    assert_int_equal(m->type, CIO_REDIS_PMESSAGE);
    assert_string_equal(m->pattern, "wea*");
    assert_string_equal(m->channel, "weather");
    assert_string_equal(m->data, "rain");
    cio_redis_message_free(m);
    assert_int_equal(cio_redis_message_next(sub, 0.05, &m), -ETIMEDOUT);

    assert_int_equal(cio_redis_unsubscribe(sub, 1, (const char *[]){"news"}), 0);
    publish(pub, "news", "unheard", 0);
    publish(pub, "sport", "goal", 1);
    assert_int_equal(cio_redis_message_next(sub, 2.0, &m), 0);
    assert_string_equal(m->data, "goal");
    cio_redis_message_free(m);
    assert_int_equal(cio_redis_unsubscribe(sub, 0, NULL), 0);
    assert_int_equal(cio_redis_punsubscribe(sub, 0, NULL), 0);
    /* Back to commands. */
    assert_int_equal(cio_redis_call(sub, &x, "PING", NULL), 0);
    assert_string_equal(x->str, "PONG");
    cio_redis_reply_free(x);
    cio_redis_free(sub);
    cio_redis_free(pub);
    return NULL;
}

static void publish_subscribe(void **state) {
    (void)state;
    run(pubsub_task, NULL);
}

/* ---- failures: restart, cancel, timeout, refused ----------------------------------------- */

struct blocked {
    cio_redis *r;
    int rc;
};

static void *blpop_task(void *arg) {
    struct blocked *b = arg;
    cio_redis_reply *x = NULL;
    b->rc = cio_redis_call(b->r, &x, "BLPOP", "queue", "0", NULL);
    if (b->rc == 0) cio_redis_reply_free(x);
    return NULL;
}

static void *restart_task(void *arg) {
    (void)arg;
    int p = redis_test_free_port();
    pid_t pid = redis_test_start_redis(p);
    assert_true(pid > 0);
    cio_redis *r;
    cio_redis_options opts = {.reconnect = true, .connect_timeout = 2};
    assert_int_equal(cio_redis_connect("127.0.0.1", p, &opts, &r), 0);
    cio_redis_reply *x;
    assert_int_equal(cio_redis_call(r, &x, "SET", "k", "v", NULL), 0);
    cio_redis_reply_free(x);
    /* A command in flight when the server dies fails with -ECONNRESET. */
    struct blocked b = {r, 1};
    cio_task *t;
    assert_int_equal(cio_create_task(blpop_task, &b, &t), 0);
    cio_sleep(0.05);
    redis_test_stop(pid, 1);
    assert_int_equal(cio_await(t, NULL), 0);
    assert_int_equal(b.rc, -ECONNRESET);
    /* The next command after the loss reconnects. */
    pid = redis_test_start_redis(p);
    assert_true(pid > 0);
    assert_int_equal(cio_redis_call(r, &x, "PING", NULL), 0);
    assert_string_equal(x->str, "PONG");
    cio_redis_reply_free(x);
    /* An idle connection whose server restarted meanwhile: retried once. */
    redis_test_stop(pid, 1);
    pid = redis_test_start_redis(p);
    assert_true(pid > 0);
    assert_int_equal(cio_redis_call(r, &x, "ECHO", "again", NULL), 0);
    assert_string_equal(x->str, "again");
    cio_redis_reply_free(x);
    cio_redis_free(r);
    redis_test_stop(pid, 0);
    /* Without reconnect the loss sticks. */
    return NULL;
}

static void server_restart_reconnects(void **state) {
    (void)state;
    run(restart_task, NULL);
}

static void *cancel_task(void *arg) {
    (void)arg;
    cio_redis *r = connect_ex(NULL), *other = connect_ex(NULL);
    cio_redis_reply *x;
    assert_int_equal(cio_redis_call(r, &x, "DEL", "queue", NULL), 0);
    cio_redis_reply_free(x);
    struct blocked b = {r, 1};
    cio_task *t;
    assert_int_equal(cio_create_task(blpop_task, &b, &t), 0);
    cio_sleep(0.05);
    cio_task_cancel(t);
    cio_await(t, NULL); /* the task handled the error itself */
    assert_int_equal(b.rc, -ECANCELED);
    /* The BLPOP still holds the connection; once it is answered, its reply is
     * dropped and the next command gets its own. */
    assert_int_equal(cio_redis_call(other, &x, "RPUSH", "queue", "item", NULL), 0);
    cio_redis_reply_free(x);
    assert_int_equal(cio_redis_call(r, &x, "ECHO", "mine", NULL), 0);
    assert_int_equal(x->type, CIO_REDIS_STRING);
    assert_string_equal(x->str, "mine");
    cio_redis_reply_free(x);
    cio_redis_free(r);
    cio_redis_free(other);
    return NULL;
}

static void cancel_while_waiting(void **state) {
    (void)state;
    run(cancel_task, NULL);
}

static void *timeout_task(void *arg) {
    (void)arg;
    cio_redis_options opts = {.command_timeout = 0.1};
    cio_redis *r = connect_ex(&opts), *other = connect_ex(NULL);
    cio_redis_reply *x;
    assert_int_equal(cio_redis_call(r, &x, "BLPOP", "queue2", "0", NULL), -ETIMEDOUT);
    assert_int_equal(cio_redis_call(other, &x, "RPUSH", "queue2", "late", NULL), 0);
    cio_redis_reply_free(x);
    assert_int_equal(cio_redis_call(r, &x, "ECHO", "next", NULL), 0);
    assert_string_equal(x->str, "next");
    cio_redis_reply_free(x);
    cio_redis_free(r);
    cio_redis_free(other);
    return NULL;
}

static void command_timeout(void **state) {
    (void)state;
    run(timeout_task, NULL);
}

static void *refused_task(void *arg) {
    (void)arg;
    cio_redis *r = NULL;
    assert_int_equal(cio_redis_connect("127.0.0.1", redis_test_free_port(), NULL, &r),
                     -ECONNREFUSED);
    assert_null(r);
    assert_int_equal(cio_redis_connect(NULL, 1, NULL, &r), -EINVAL);
    assert_int_equal(cio_redis_connect("127.0.0.1", 70000, NULL, &r), -EINVAL);
    return NULL;
}

static void connect_refused(void **state) {
    (void)state;
    run(refused_task, NULL);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_reply_type),          cmocka_unit_test(binary_safe_values),
        cmocka_unit_test(pipelining_10000_commands), cmocka_unit_test(many_tasks_share_a_client),
        cmocka_unit_test(publish_subscribe),         cmocka_unit_test(server_restart_reconnects),
        cmocka_unit_test(cancel_while_waiting),      cmocka_unit_test(command_timeout),
        cmocka_unit_test(connect_refused),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
