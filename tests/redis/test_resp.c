/* RESP2 parser and encoders (cio/resp.h). */
#include "testutil.h"

#include <cio/resp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NSLOTS 64

static cio_resp_value slots[NSLOTS];

/* Parse msg (length n) whole with flags; returns the parse result. */
static ssize_t parse_whole(const char *msg, size_t n, const cio_resp_options *opts) {
    cio_resp_parser parser;
    assert_int_equal(cio_resp_parser_init(&parser, slots, NSLOTS, opts), 0);
    return cio_resp_parse(&parser, msg, n);
}

static ssize_t parse_str(const char *msg, unsigned flags) {
    cio_resp_options opts = {.flags = flags};
    return parse_whole(msg, strlen(msg), &opts);
}

/* Feed msg one byte at a time, each call with a freshly allocated copy of
 * the prefix (the buffer moves). Returns the first non-zero result (or 0),
 * and the slots must then match a whole parse. */
static ssize_t parse_bytewise(const char *msg, size_t n, const cio_resp_options *opts) {
    cio_resp_value whole[NSLOTS];
    ssize_t expect = parse_whole(msg, n, opts);
    memcpy(whole, slots, sizeof whole);
    cio_resp_parser parser;
    assert_int_equal(cio_resp_parser_init(&parser, slots, NSLOTS, opts), 0);
    ssize_t rc = 0;
    char *copy = NULL;
    for (size_t i = 1; i <= n && rc == 0; i++) {
        free(copy);
        copy = malloc(i);
        memcpy(copy, msg, i);
        rc = cio_resp_parse(&parser, copy, i);
    }
    assert_int_equal(rc, expect);
    for (ssize_t k = 0; rc > 0 && k < (ssize_t)slots[0].next; k++) {
        assert_int_equal(slots[k].type, whole[k].type);
        assert_int_equal(slots[k].integer, whole[k].integer);
        assert_int_equal(slots[k].len, whole[k].len);
        assert_int_equal(slots[k].offset, whole[k].offset);
        assert_int_equal(slots[k].count, whole[k].count);
        assert_int_equal(slots[k].next, whole[k].next);
        if (whole[k].str) assert_ptr_equal(slots[k].str, copy + slots[k].offset);
    }
    free(copy);
    return rc;
}

static void check_str(size_t k, cio_resp_type type, const char *text, const char *base) {
    assert_int_equal(slots[k].type, type);
    assert_int_equal(slots[k].len, strlen(text));
    assert_memory_equal(slots[k].str, text, strlen(text));
    assert_ptr_equal(slots[k].str, base + slots[k].offset);
}

static void test_scalars(void **state) {
    (void)state;
    const char *m = "+OK\r\n";
    assert_int_equal(parse_str(m, 0), 5);
    check_str(0, CIO_RESP_SIMPLE, "OK", m);
    assert_int_equal(slots[0].next, 1);
    m = "-ERR unknown command 'x'\r\n";
    assert_int_equal(parse_str(m, 0), (ssize_t)strlen(m));
    check_str(0, CIO_RESP_ERROR, "ERR unknown command 'x'", m);
    assert_int_equal(parse_str(":1000\r\n", 0), 7);
    assert_int_equal(slots[0].type, CIO_RESP_INTEGER);
    assert_int_equal(slots[0].integer, 1000);
    assert_int_equal(parse_str(":-9223372036854775808\r\n", 0), 23);
    assert_true(slots[0].integer == INT64_MIN);
    assert_int_equal(parse_str(":9223372036854775807\r\n", 0), 22);
    assert_true(slots[0].integer == INT64_MAX);
    assert_int_equal(parse_str(":0\r\n", 0), 4);
    assert_int_equal(slots[0].integer, 0);
    static const char bulk[] = "$6\r\nfo\r\0o\n\r\n";
    assert_int_equal(parse_whole(bulk, sizeof bulk - 1, NULL), 12);
    assert_int_equal(slots[0].type, CIO_RESP_BULK);
    assert_int_equal(slots[0].len, 6);
    assert_memory_equal(slots[0].str, "fo\r\0o\n", 6);
    assert_int_equal(parse_str("$0\r\n\r\n", 0), 6);
    assert_int_equal(slots[0].type, CIO_RESP_BULK);
    assert_int_equal(slots[0].len, 0);
    assert_int_equal(parse_str("$-1\r\n", 0), 5);
    assert_int_equal(slots[0].type, CIO_RESP_NIL);
    assert_null(slots[0].str);
    assert_int_equal(parse_str("*-1\r\n", 0), 5);
    assert_int_equal(slots[0].type, CIO_RESP_NIL_ARRAY);
    assert_int_equal(parse_str("*0\r\n", 0), 4);
    assert_int_equal(slots[0].type, CIO_RESP_ARRAY);
    assert_int_equal(slots[0].count, 0);
    assert_int_equal(slots[0].next, 1);
    assert_int_equal(parse_str("+\r\n", 0), 3);
    assert_int_equal(slots[0].len, 0);
}

/* [[1, [2, 3]], "x", nil, [], -ERR] */
static const char NESTED[] = "*5\r\n*2\r\n:1\r\n*2\r\n:2\r\n:3\r\n$1\r\nx\r\n$-1\r\n*0\r\n-E\r\n";

static void test_nested(void **state) {
    (void)state;
    assert_int_equal(parse_str(NESTED, 0), (ssize_t)strlen(NESTED));
    assert_int_equal(slots[0].count, 5);
    assert_int_equal(slots[0].next, 10);
    size_t first = cio_resp_child(slots, 0, 0);
    assert_int_equal(first, 1);
    assert_int_equal(slots[1].count, 2);
    assert_int_equal(slots[1].next, 6);
    assert_int_equal(slots[cio_resp_child(slots, 1, 0)].integer, 1);
    size_t inner = cio_resp_child(slots, 1, 1);
    assert_int_equal(inner, 3);
    assert_int_equal(slots[cio_resp_child(slots, inner, 1)].integer, 3);
    check_str(cio_resp_child(slots, 0, 1), CIO_RESP_BULK, "x", NESTED);
    assert_int_equal(slots[cio_resp_child(slots, 0, 2)].type, CIO_RESP_NIL);
    assert_int_equal(slots[cio_resp_child(slots, 0, 3)].type, CIO_RESP_ARRAY);
    check_str(cio_resp_child(slots, 0, 4), CIO_RESP_ERROR, "E", NESTED);
}

static void test_incremental(void **state) {
    (void)state;
    static const char *const messages[] = {
        "+OK\r\n", ":-42\r\n", "$5\r\nhello\r\n", "$-1\r\n", "*-1\r\n", "*0\r\n", NESTED,
        "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n",
        /* refusals found at different points must agree too */
        "*2\r\n:1\r\n:x\r\n", "$3\r\nabcd\r\n", "+a\nb\r\n", ":12345678901234567890123\r\n"};
    for (size_t i = 0; i < sizeof messages / sizeof *messages; i++)
        parse_bytewise(messages[i], strlen(messages[i]), NULL);
    cio_resp_options cmd = {.flags = CIO_RESP_COMMAND | CIO_RESP_INLINE};
    static const char *const commands[] = {"*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n", "SET a  b\r\n",
                                           "PING\n", "\r\n", "x\"y\r\n"};
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        parse_bytewise(commands[i], strlen(commands[i]), &cmd);
    /* A long bulk delivered byte by byte. */
    char big[3000];
    int h = snprintf(big, sizeof big, "$2900\r\n");
    memset(big + h, 'z', 2900);
    memcpy(big + h + 2900, "\r\n", 2);
    assert_int_equal(parse_bytewise(big, (size_t)h + 2902, NULL), h + 2902);
}

static void test_pipeline(void **state) {
    (void)state;
    const char *m = "+A\r\n:1\r\n*1\r\n$1\r\nb\r\n";
    cio_resp_parser parser;
    assert_int_equal(cio_resp_parser_init(&parser, slots, NSLOTS, NULL), 0);
    size_t off = 0, len = strlen(m);
    ssize_t n = cio_resp_parse(&parser, m + off, len - off);
    assert_int_equal(n, 4);
    check_str(0, CIO_RESP_SIMPLE, "A", m + off);
    off += (size_t)n;
    assert_int_equal(n = cio_resp_parse(&parser, m + off, len - off), 4);
    off += (size_t)n;
    assert_int_equal(n = cio_resp_parse(&parser, m + off, len - off), 11);
    check_str(1, CIO_RESP_BULK, "b", m + off);
    assert_int_equal(cio_resp_parse(&parser, m, 0), 0);
    /* Half a message, then a shorter buffer: refused. */
    assert_int_equal(cio_resp_parse(&parser, "*2\r\n:1\r\n", 8), 0);
    assert_int_equal(cio_resp_parse(&parser, "*2\r\n", 4), -EINVAL);
    /* reset forgets the half message */
    assert_int_equal(cio_resp_parse(&parser, "*2\r\n:1\r\n", 8), 0);
    cio_resp_parser_reset(&parser);
    assert_int_equal(cio_resp_parse(&parser, ":7\r\n", 4), 4);
    assert_int_equal(slots[0].integer, 7);
}

static void test_need_more(void **state) {
    (void)state;
    static const char *const partial[] = {
        "",          "+",           "+OK",           "+OK\r",        ":1",
        "$5\r\nhel", "$5\r\nhello", "$5\r\nhello\r", "*2\r\n:1\r\n", "*1\r\n*1\r\n",
        "$-1\r"};
    for (size_t i = 0; i < sizeof partial / sizeof *partial; i++)
        assert_int_equal(parse_str(partial[i], 0), 0);
}

struct refusal {
    const char *msg;
    unsigned flags;
    ssize_t err;
};

static void test_refusals(void **state) {
    (void)state;
    const unsigned C = CIO_RESP_COMMAND, CI = CIO_RESP_COMMAND | CIO_RESP_INLINE;
    static const struct refusal cases[] = {
        /* integers: redis's string2ll rules */
        {":+5\r\n", 0, -EPROTO},
        {":-0\r\n", 0, -EPROTO},
        {":007\r\n", 0, -EPROTO},
        {": 5\r\n", 0, -EPROTO},
        {":5 \r\n", 0, -EPROTO},
        {":\r\n", 0, -EPROTO},
        {":-\r\n", 0, -EPROTO},
        {":1a\r\n", 0, -EPROTO},
        {":9223372036854775808\r\n", 0, -EPROTO},
        {":-9223372036854775809\r\n", 0, -EPROTO},
        {":123456789012345678901", 0, -EPROTO}, /* too long, refused before the end */
        /* line ends */
        {"+OK\n", 0, -EPROTO},
        {"+O\rK\r\n", 0, -EPROTO},
        {"+OK\r\r\n", 0, -EPROTO},
        {":1\n", 0, -EPROTO},
        {"$1\na\r\n", 0, -EPROTO},
        {"$1\r\nab\r\n", 0, -EPROTO},
        {"$1\r\na\n\n", 0, -EPROTO},
        {"$1\r\na\rx", 0, -EPROTO},
        /* lengths */
        {"$-2\r\n", 0, -EPROTO},
        {"*-2\r\n", 0, -EPROTO},
        {"$+1\r\nx\r\n", 0, -EPROTO},
        {"$01\r\nx\r\n", 0, -EPROTO},
        {"*-0\r\n", 0, -EPROTO},
        /* types */
        {"x\r\n", 0, -EPROTO},
        {"_\r\n", 0, -EPROTO},    /* RESP3 null */
        {",1.5\r\n", 0, -EPROTO}, /* RESP3 double */
        {"%1\r\n", 0, -EPROTO},   /* RESP3 map */
        {"*1\r\n#t\r\n", 0, -EPROTO},
        {"PING\r\n", 0, -EPROTO},
        /* command mode */
        {"+OK\r\n", C, -EPROTO},
        {"PING\r\n", C, -EPROTO},
        {"*-1\r\n", C, -EPROTO},
        {"*1\r\n:1\r\n", C, -EPROTO},
        {"*1\r\n*0\r\n", C, -EPROTO},
        {"*1\r\n$-1\r\n", C, -EPROTO},
        {"*1\r\n+x\r\n", C, -EPROTO},
        {"$3\r\nGET\r\n", CI, 4}, /* inline, as redis reads it: the word "$3" */
        {"GET \"a b\"\r\n", CI, -EPROTO},
        {"GET 'a'\r\n", CI, -EPROTO},
        {"GET a\rb\r\n", CI, -EPROTO},
        {"*1\r\n:1\r\n", CI, -EPROTO},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ssize_t rc = parse_str(cases[i].msg, cases[i].flags);
        if (rc != cases[i].err) fail_msg("case %zu (%s): got %zd", i, cases[i].msg, rc);
        cio_resp_options opts = {.flags = cases[i].flags};
        parse_bytewise(cases[i].msg, strlen(cases[i].msg), &opts);
    }
}

static void test_limits(void **state) {
    (void)state;
    cio_resp_options o = {.max_bulk = 4};
    assert_int_equal(parse_whole("$4\r\nabcd\r\n", 10, &o), 10);
    assert_int_equal(parse_whole("$5\r\n", 4, &o), -EMSGSIZE); /* before the data */
    o = (cio_resp_options){.max_array = 2};
    assert_int_equal(parse_whole("*2\r\n:1\r\n:2\r\n", 12, &o), 12);
    assert_int_equal(parse_whole("*3\r\n", 4, &o), -EMSGSIZE);
    o = (cio_resp_options){.max_depth = 2};
    assert_int_equal(parse_whole("*1\r\n*1\r\n:1\r\n", 12, &o), 12);
    assert_int_equal(parse_whole("*1\r\n*0\r\n", 8, &o), 8);
    assert_int_equal(parse_whole("*1\r\n*1\r\n*1\r\n", 12, &o), -EMSGSIZE);
    o = (cio_resp_options){.max_inline = 4};
    assert_int_equal(parse_whole("+abcd\r\n", 7, &o), 7);
    assert_int_equal(parse_whole("+abcde", 6, &o), -EMSGSIZE);
    assert_int_equal(parse_whole("-abcde", 6, &o), -EMSGSIZE);
    o.flags = CIO_RESP_COMMAND | CIO_RESP_INLINE;
    assert_int_equal(parse_whole("a bc\r\n", 6, &o), 6);
    assert_int_equal(parse_whole("a bc\n", 5, &o), 5);
    assert_int_equal(parse_whole("a bc", 4, &o), 0);
    assert_int_equal(parse_whole("a bc\r", 5, &o), 0);
    assert_int_equal(parse_whole("a bcd\n", 6, &o), -EMSGSIZE);
    assert_int_equal(parse_whole("a bcd\r", 6, &o), -EMSGSIZE);
    o = (cio_resp_options){.flags = CIO_RESP_COMMAND | CIO_RESP_INLINE, .max_array = 2};
    assert_int_equal(parse_whole("a b c\n", 6, &o), -EMSGSIZE);
    /* Default inline limit: 64 KiB. */
    char *line = malloc(70000);
    memset(line, 'a', 70000);
    o = (cio_resp_options){.flags = CIO_RESP_COMMAND | CIO_RESP_INLINE};
    assert_int_equal(parse_whole(line, 70000, &o), -EMSGSIZE);
    assert_int_equal(parse_whole(line, 65536, &o), 0);
    line[65536] = '\n';
    assert_int_equal(parse_whole(line, 65537, &o), 65537);
    free(line);
    /* Slots: refused as soon as the array header says it cannot fit. */
    cio_resp_parser parser;
    cio_resp_value three[3];
    assert_int_equal(cio_resp_parser_init(&parser, three, 3, NULL), 0);
    assert_int_equal(cio_resp_parse(&parser, "*2\r\n:1\r\n:2\r\n", 12), 12);
    assert_int_equal(cio_resp_parse(&parser, "*3\r\n", 4), -ENOBUFS);
    assert_int_equal(cio_resp_parse(&parser, "*2\r\n*1\r\n:1\r\n:2\r\n", 16), -ENOBUFS);
    assert_int_equal(cio_resp_parser_init(&parser, three, 3, &o), 0);
    assert_int_equal(cio_resp_parse(&parser, "a b c\n", 6), -ENOBUFS);
    /* init refusals */
    assert_int_equal(cio_resp_parser_init(NULL, three, 3, NULL), -EINVAL);
    assert_int_equal(cio_resp_parser_init(&parser, NULL, 3, NULL), -EINVAL);
    assert_int_equal(cio_resp_parser_init(&parser, three, 0, NULL), -EINVAL);
    o = (cio_resp_options){.flags = CIO_RESP_INLINE};
    assert_int_equal(cio_resp_parser_init(&parser, three, 3, &o), -EINVAL);
    o = (cio_resp_options){.max_depth = CIO_RESP_MAX_DEPTH + 1};
    assert_int_equal(cio_resp_parser_init(&parser, three, 3, &o), -EINVAL);
    memset(&parser, 0, sizeof parser);
    assert_int_equal(cio_resp_parse(&parser, "+OK\r\n", 5), -EINVAL);
}

static void test_commands(void **state) {
    (void)state;
    cio_resp_options o = {.flags = CIO_RESP_COMMAND | CIO_RESP_INLINE};
    const char *m = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n";
    assert_int_equal(parse_whole(m, strlen(m), &o), (ssize_t)strlen(m));
    assert_int_equal(slots[0].count, 3);
    check_str(1, CIO_RESP_BULK, "SET", m);
    check_str(3, CIO_RESP_BULK, "", m);
    m = "  SET\tkey  va\0ue \r\n";
    assert_int_equal(parse_whole(m, 19, &o), 19);
    assert_int_equal(slots[0].type, CIO_RESP_ARRAY);
    assert_int_equal(slots[0].count, 3);
    assert_int_equal(slots[0].next, 4);
    check_str(1, CIO_RESP_BULK, "SET", m);
    check_str(2, CIO_RESP_BULK, "key", m);
    assert_int_equal(slots[3].len, 5);
    assert_memory_equal(slots[3].str, "va\0ue", 5);
    assert_int_equal(parse_whole("\r\n", 2, &o), 2);
    assert_int_equal(slots[0].count, 0);
    assert_int_equal(parse_whole("\n", 1, &o), 1);
    assert_int_equal(parse_whole(" \t \n", 4, &o), 4);
    assert_int_equal(slots[0].count, 0);
    /* Without CIO_RESP_INLINE, only '*'. */
    o.flags = CIO_RESP_COMMAND;
    assert_int_equal(parse_whole("PING\r\n", 6, &o), -EPROTO);
    assert_int_equal(parse_whole("*0\r\n", 4, &o), 4);
}

/* ---- encoders ------------------------------------------------------------------- */

static void expect_encoding(ssize_t (*call)(void *, size_t, const void *), const void *arg,
                            const char *want, size_t wantlen) {
    char buf[128];
    memset(buf, '#', sizeof buf);
    assert_int_equal(call(NULL, 0, arg), (ssize_t)wantlen);
    assert_int_equal(call(buf, wantlen - 1, arg), (ssize_t)wantlen);
    assert_int_equal(buf[0], '#'); /* nothing written when it does not fit */
    assert_int_equal(call(buf, sizeof buf, arg), (ssize_t)wantlen);
    assert_memory_equal(buf, want, wantlen);
}

static ssize_t call_int(void *buf, size_t cap, const void *arg) {
    return cio_resp_write_integer(*(const int64_t *)arg, buf, cap);
}
static ssize_t call_bulk(void *buf, size_t cap, const void *arg) {
    return cio_resp_write_bulk(arg, strlen(arg), buf, cap);
}
static ssize_t call_simple(void *buf, size_t cap, const void *arg) {
    return cio_resp_write_simple(arg, strlen(arg), buf, cap);
}
static ssize_t call_error(void *buf, size_t cap, const void *arg) {
    return cio_resp_write_error(arg, strlen(arg), buf, cap);
}
static ssize_t call_header(void *buf, size_t cap, const void *arg) {
    return cio_resp_write_array_header(*(const size_t *)arg, buf, cap);
}
static ssize_t call_nil(void *buf, size_t cap, const void *arg) {
    (void)arg;
    return cio_resp_write_nil(buf, cap);
}
static ssize_t call_nil_array(void *buf, size_t cap, const void *arg) {
    (void)arg;
    return cio_resp_write_nil_array(buf, cap);
}
static ssize_t call_command(void *buf, size_t cap, const void *arg) {
    (void)arg;
    static const char *const argv[] = {"SET", "k\r\n", "v\0w"};
    static const size_t argvlen[] = {3, 3, 3};
    return cio_resp_write_command(3, argv, argvlen, buf, cap);
}

static void test_encoders(void **state) {
    (void)state;
    int64_t v = -1234, min = INT64_MIN;
    size_t three = 3, zero = 0;
    expect_encoding(call_int, &v, ":-1234\r\n", 8);
    expect_encoding(call_int, &min, ":-9223372036854775808\r\n", 23);
    expect_encoding(call_bulk, "hello", "$5\r\nhello\r\n", 11);
    expect_encoding(call_bulk, "", "$0\r\n\r\n", 6);
    expect_encoding(call_simple, "OK", "+OK\r\n", 5);
    expect_encoding(call_error, "ERR no", "-ERR no\r\n", 9);
    expect_encoding(call_header, &three, "*3\r\n", 4);
    expect_encoding(call_header, &zero, "*0\r\n", 4);
    expect_encoding(call_nil, NULL, "$-1\r\n", 5);
    expect_encoding(call_nil_array, NULL, "*-1\r\n", 5);
    static const char cmd[] = "*3\r\n$3\r\nSET\r\n$3\r\nk\r\n\r\n$3\r\nv\0w\r\n";
    expect_encoding(call_command, NULL, cmd, sizeof cmd - 1);
    /* argvlen NULL: strlen */
    const char *argv[] = {"PING"};
    char buf[64];
    assert_int_equal(cio_resp_write_command(1, argv, NULL, buf, sizeof buf), 14);
    assert_memory_equal(buf, "*1\r\n$4\r\nPING\r\n", 14);
    /* refusals */
    assert_int_equal(cio_resp_write_simple("a\r\n+OK", 6, buf, sizeof buf), -EINVAL);
    assert_int_equal(cio_resp_write_error("a\nb", 3, buf, sizeof buf), -EINVAL);
    assert_int_equal(cio_resp_write_simple(NULL, 1, buf, sizeof buf), -EINVAL);
    assert_int_equal(cio_resp_write_bulk(NULL, 1, buf, sizeof buf), -EINVAL);
    assert_int_equal(cio_resp_write_command(0, argv, NULL, buf, sizeof buf), -EINVAL);
    assert_int_equal(cio_resp_write_command(1, NULL, NULL, buf, sizeof buf), -EINVAL);
    const char *nulls[] = {NULL};
    size_t one = 1;
    assert_int_equal(cio_resp_write_command(1, nulls, &one, buf, sizeof buf), -EINVAL);
}

static void test_round_trip(void **state) {
    (void)state;
    char buf[256];
    /* A parsed reply re-encodes to the same bytes. */
    assert_int_equal(parse_str(NESTED, 0), (ssize_t)strlen(NESTED));
    assert_int_equal(cio_resp_write_value(slots, NSLOTS, 0, buf, sizeof buf), strlen(NESTED));
    assert_memory_equal(buf, NESTED, strlen(NESTED));
    /* ...and so does a subtree */
    assert_int_equal(cio_resp_write_value(slots, NSLOTS, 3, buf, sizeof buf), 12);
    assert_memory_equal(buf, "*2\r\n:2\r\n:3\r\n", 12);
    /* An encoded command parses back. */
    const char *argv[] = {"LPUSH", "list", "a b"};
    ssize_t n = cio_resp_write_command(3, argv, NULL, buf, sizeof buf);
    assert_true(n > 0);
    assert_int_equal(parse_whole(buf, (size_t)n, &(cio_resp_options){.flags = CIO_RESP_COMMAND}),
                     n);
    check_str(3, CIO_RESP_BULK, "a b", buf);
    /* An inline command re-encodes as its array. */
    char line[] = "GET key\r\n";
    cio_resp_options o = {.flags = CIO_RESP_COMMAND | CIO_RESP_INLINE};
    assert_int_equal(parse_whole(line, 9, &o), 9);
    n = cio_resp_write_value(slots, NSLOTS, 0, buf, sizeof buf);
    assert_int_equal(n, 22);
    assert_memory_equal(buf, "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n", 22);
    /* Malformed trees are refused. */
    cio_resp_value bad[3] = {{.type = CIO_RESP_ARRAY, .count = 2, .next = 2},
                             {.type = CIO_RESP_INTEGER, .next = 2}};
    assert_int_equal(cio_resp_write_value(bad, 3, 0, buf, sizeof buf), -EINVAL);
    bad[0].next = 3;
    assert_int_equal(cio_resp_write_value(bad, 3, 0, buf, sizeof buf), -EINVAL); /* bad[2] type 0 */
    bad[2] = (cio_resp_value){.type = CIO_RESP_SIMPLE, .str = "a\r", .len = 2, .next = 3};
    assert_int_equal(cio_resp_write_value(bad, 3, 0, buf, sizeof buf), -EINVAL);
    bad[2].len = 1;
    assert_int_equal(cio_resp_write_value(bad, 3, 0, buf, sizeof buf), 12);
    assert_memory_equal(buf, "*2\r\n:0\r\n+a\r\n", 12);
    bad[1].next = 1; /* no progress */
    assert_int_equal(cio_resp_write_value(bad, 3, 0, buf, sizeof buf), -EINVAL);
    assert_int_equal(cio_resp_write_value(bad, 3, 3, buf, sizeof buf), -EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars),     cmocka_unit_test(test_nested),
        cmocka_unit_test(test_incremental), cmocka_unit_test(test_pipeline),
        cmocka_unit_test(test_need_more),   cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_limits),      cmocka_unit_test(test_commands),
        cmocka_unit_test(test_encoders),    cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
