/* examples/mini_redis against redis-server 7: the same pipelined list of
 * commands (every error case included) sent to both over raw sockets must get
 * the same reply bytes; redis-cli works against it; a short redis-benchmark
 * run (with and without -P 16) completes; SIGTERM ends it with status 0. */
#include "testutil.h"

#include "redis_test.h"

typedef struct {
    const char *bytes;
    size_t len;
} chunk;

/* Inline commands (one line, split at spaces, as redis-server reads them)
 * and, for binary arguments, the RESP form. */
#define I(s)                                                                                       \
    { s "\r\n", sizeof s + 1 }
#define R(s)                                                                                       \
    { s, sizeof s - 1 }
static const chunk script[] = {
    I("FLUSHALL"),
    I("PING"),
    I("PING hello"),
    I("PING a b"),
    I("ECHO hi"),
    I("ECHO"),
    I("GET missing"),
    I("SET k v"),
    I("GET k"),
    I("SET k v NX"),
    I("SET k v2 XX"),
    I("GET k"),
    I("SET new v XX"),
    I("SET k v NX XX"),
    I("SET k v XX NX"),
    I("SET k v EX"),
    I("SET k v EX abc"),
    I("SET k v EX 0"),
    I("SET k v EX -5"),
    I("SET k v PX 0"),
    I("SET k v EX 10 PX 100"),
    I("SET k v EX 10 EX 20"),
    I("SET k v FOO"),
    I("SET k v3 GET"),
    I("SET k v KEEPTTL EX 10"),
    I("SET k v EX 10 KEEPTTL"),
    I("SET k v EX 99999999999999999"),
    I("SET k v PX 1.5"),
    I("SET k v nx"),
    I("SET newer v nx GET"),
    I("SET t v EX 100"),
    I("TTL t"),
    I("SET t v2 KEEPTTL"),
    I("TTL t"),
    I("SET t v3"),
    I("TTL t"),
    I("SET u v PX 100000"),
    I("TTL u"),
    I("SET w v EXAT 99999999999"),
    I("TTL w"),
    I("TTL k"),
    I("TTL missing"),
    I("TTL"),
    I("EXPIRE k 100"),
    I("TTL k"),
    I("EXPIRE k abc"),
    I("EXPIRE k 10 NX"),
    I("EXPIRE k 10 XX"),
    I("EXPIRE k 10 GT"),
    I("EXPIRE k 1000 GT"),
    I("EXPIRE k 10 LT"),
    I("EXPIRE k 10 FOO"),
    I("EXPIRE k 10 NX XX"),
    I("EXPIRE k 10 GT LT"),
    I("EXPIRE missing 10"),
    I("EXPIRE k"),
    I("EXPIRE k 99999999999999999"),
    I("EXPIRE k -1"),
    I("GET k"),
    I("EXISTS k"),
    I("INCR n"),
    I("INCR n"),
    I("DECR n"),
    I("DECR fresh"),
    I("INCR"),
    I("INCR a b"),
    I("SET s abc"),
    I("INCR s"),
    I("DECR s"),
    I("SET big 9223372036854775807"),
    I("INCR big"),
    I("SET small -9223372036854775808"),
    I("DECR small"),
    I("SET lead 01"),
    I("INCR lead"),
    I("SET neg -0"),
    I("INCR neg"),
    I("SET plus +1"),
    I("INCR plus"),
    I("MSET a 1 b 2"),
    I("MSET a 1 b"),
    I("MSET a"),
    I("MGET a b missing"),
    I("MGET"),
    I("EXISTS a b missing a"),
    I("EXISTS"),
    I("DEL a b missing"),
    I("DEL"),
    I("GET a"),
    I("FLUSHALL FOO"),
    I("FLUSHALL ASYNC"),
    I("FLUSHALL SYNC"),
    I("FLUSHALL a b"),
    I("GET"),
    I("get"),
    I("GET a b"),
    I("SeT mixed Case"),
    I("gEt mixed"),
    I("foo a b"),
    I("foo"),
    I("foo 0123456789012345678901234567890123456789012345678901234567890123456789 "
      "0123456789012345678901234567890123456789012345678901234567890123456789 x y"),
    I("CONFIG GET save"),
    I("CONFIG GET appendonly"),
    I("CONFIG GET nosuchparameter"),
    I("CONFIG FOO"),
    I("CONFIG"),
    I("CONFIG GET"),
    I(""),
    R("*3\r\n$3\r\nSET\r\n$3\r\nb\0n\r\n$4\r\n\r\n\0x\r\n"),
    R("*2\r\n$3\r\nGET\r\n$3\r\nb\0n\r\n"),
    R("*2\r\n$4\r\nECHO\r\n$0\r\n\r\n"),
    R("*1\r\n$4\r\nPING\r\n"),
    I("FLUSHALL"),
};

#define END_CMD  "*2\r\n$4\r\nECHO\r\n$12\r\nEND-OF-BATCH\r\n"
#define END_MARK "$12\r\nEND-OF-BATCH\r\n"

/* Send the whole script in one write, then read every reply (up to the
 * reply of a final ECHO). Returns the bytes (malloc'd), *len their count. */
static char *replies_of(int port, size_t *len) {
    size_t cap = 0;
    for (size_t i = 0; i < sizeof script / sizeof script[0]; i++) cap += script[i].len;
    char *req = malloc(cap + sizeof END_CMD), *p = req;
    for (size_t i = 0; i < sizeof script / sizeof script[0]; i++)
        p = (char *)memcpy(p, script[i].bytes, script[i].len) + script[i].len;
    memcpy(p, END_CMD, sizeof END_CMD - 1);
    size_t reqlen = (size_t)(p - req) + sizeof END_CMD - 1;
    int fd = redis_test_dial(port);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, req, reqlen), (ssize_t)reqlen);
    free(req);
    size_t got = 0, rcap = 1 << 16;
    char *buf = malloc(rcap);
    while (got < strlen(END_MARK) ||
           memcmp(buf + got - strlen(END_MARK), END_MARK, strlen(END_MARK))) {
        ssize_t n = read(fd, buf + got, rcap - got);
        assert_true(n > 0);
        got += (size_t)n;
        if (got == rcap) buf = realloc(buf, rcap *= 2);
    }
    close(fd);
    *len = got;
    return buf;
}

/* Print the first difference, with the reply lines around it. */
static void show_difference(const char *a, size_t alen, const char *b, size_t blen) {
    size_t i = 0;
    while (i < alen && i < blen && a[i] == b[i]) i++;
    size_t from = i > 120 ? i - 120 : 0;
    fprintf(stderr, "replies differ at byte %zu\nredis-server: %.*s\nmini_redis:   %.*s\n", i,
            (int)((alen < i + 80 ? alen : i + 80) - from), a + from,
            (int)((blen < i + 80 ? blen : i + 80) - from), b + from);
}

static void replies_match_redis_server_byte_for_byte(void **state) {
    (void)state;
    int rport = redis_test_free_port();
    pid_t redis = redis_test_start_redis(rport);
    assert_true(redis > 0);
    int mport = redis_test_free_port();
    pid_t mini = redis_test_start_mini(mport);
    assert_true(mini > 0);
    size_t rlen, mlen;
    char *expected = replies_of(rport, &rlen), *got = replies_of(mport, &mlen);
    if (rlen != mlen || memcmp(expected, got, rlen) != 0) {
        show_difference(expected, rlen, got, mlen);
        fail_msg("mini_redis's replies are not redis-server's");
    }
    free(expected);
    free(got);
    redis_test_stop(redis, 0);
    int status = redis_test_stop(mini, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0); /* SIGTERM: a clean exit */
}

/* Run a shell command; its stdout (trimmed of the final newline) in out. */
static int sh(const char *cmd, char *out, size_t cap) {
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    while (n && out[n - 1] == '\n') out[--n] = '\0';
    return pclose(f);
}

static void redis_cli_and_redis_benchmark_work(void **state) {
    (void)state;
    int port = redis_test_free_port();
    pid_t mini = redis_test_start_mini(port);
    assert_true(mini > 0);
    char cmd[256], out[4096];
    struct {
        const char *args, *expect;
    } cli[] = {
        {"set greeting hello", "OK"},
        {"get greeting", "hello"},
        {"incr n", "1"},
        {"get missing", ""},
        {"mget greeting missing", "hello"},
        {"exists greeting n", "2"},
        {"set greeting x ex 0", "ERR invalid expire time in 'set' command"},
        {"del greeting n", "2"},
        {"ping", "PONG"},
    };
    for (size_t i = 0; i < sizeof cli / sizeof cli[0]; i++) {
        snprintf(cmd, sizeof cmd, "redis-cli -p %d %s 2>&1", port, cli[i].args);
        assert_int_equal(sh(cmd, out, sizeof out), 0);
        if (strcmp(out, cli[i].expect) != 0) fail_msg("redis-cli %s: got '%s'", cli[i].args, out);
    }
    const char *bench[] = {"", "-P 16"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(cmd, sizeof cmd,
                 "timeout 60 redis-benchmark -p %d -n %d -t ping,set,get -q %s 2>&1", port,
                 test_scaled(10000, 500), bench[i]); /* a TSan build of mini_redis is slow */
        assert_int_equal(sh(cmd, out, sizeof out), 0);
        if (!strstr(out, "GET:") || !strstr(out, "SET:") || !strstr(out, "PING_MBULK:"))
            fail_msg("redis-benchmark %s: %s", bench[i], out);
    }
    int status = redis_test_stop(mini, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(replies_match_redis_server_byte_for_byte),
        cmocka_unit_test(redis_cli_and_redis_benchmark_work),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
