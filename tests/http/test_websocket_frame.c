/* WebSocket frames (cio/websocket_frame.h). */
#include "testutil.h"

#include <cio/websocket_frame.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/websocket.h"

#define SERVER CIO_WEBSOCKET_SERVER
#define CLIENT CIO_WEBSOCKET_CLIENT

/* Parse whole, then every prefix: each shorter prefix must say "need more"
 * unless the whole is refused by its first two bytes. Returns the result. */
static ssize_t parse_all_ways(const uint8_t *buf, size_t len, cio_websocket_role role,
                              const cio_websocket_options *opts, cio_websocket_frame *f) {
    ssize_t whole = cio_websocket_frame_parse(buf, len, role, opts, f);
    for (size_t i = 0; i < len; i++) {
        cio_websocket_frame g;
        ssize_t rc = cio_websocket_frame_parse(buf, i, role, opts, &g);
        if (whole > 0 && (size_t)i < (size_t)whole) assert_int_equal(rc, 0);
        if (rc != 0) assert_int_equal(rc, whole);
    }
    return whole;
}

struct example {
    const char *name;
    cio_websocket_role reader;
    uint8_t bytes[16];
    size_t header;
    bool fin;
    uint8_t opcode;
    uint64_t payload_len;
    const char *payload; /* unmasked, or NULL */
};

/* RFC 6455 5.7. */
static const struct example examples[] = {
    {"unmasked text", CLIENT, {0x81, 0x05, 'H', 'e', 'l', 'l', 'o'}, 2, true, 1, 5, "Hello"},
    {"masked text",
     SERVER,
     {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58},
     6,
     true,
     1,
     5,
     "Hello"},
    {"fragment 1", CLIENT, {0x01, 0x03, 'H', 'e', 'l'}, 2, false, 1, 3, "Hel"},
    {"fragment 2", CLIENT, {0x80, 0x02, 'l', 'o'}, 2, true, 0, 2, "lo"},
    {"ping", CLIENT, {0x89, 0x05, 'H', 'e', 'l', 'l', 'o'}, 2, true, 9, 5, "Hello"},
    {"masked pong",
     SERVER,
     {0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58},
     6,
     true,
     10,
     5,
     "Hello"},
    {"256 bytes", CLIENT, {0x82, 0x7E, 0x01, 0x00}, 4, true, 2, 256, NULL},
    {"64 KiB", CLIENT, {0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0}, 10, true, 2, 65536, NULL},
};

static void test_rfc_examples(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof examples / sizeof *examples; i++) {
        const struct example *e = &examples[i];
        cio_websocket_frame f;
        size_t total = e->header + (e->payload ? e->payload_len : 0);
        ssize_t rc = parse_all_ways(e->bytes, total, e->reader, NULL, &f);
        if (rc != (ssize_t)e->header) fail_msg("%s: %zd", e->name, rc);
        assert_int_equal(f.fin, e->fin);
        assert_int_equal(f.opcode, e->opcode);
        assert_int_equal(f.payload_len, e->payload_len);
        assert_int_equal(f.masked, e->reader == SERVER);
        if (e->payload) {
            uint8_t payload[8];
            memcpy(payload, e->bytes + e->header, e->payload_len);
            if (f.masked) cio_websocket_mask(payload, e->payload_len, f.mask, 0);
            assert_memory_equal(payload, e->payload, e->payload_len);
        }
        /* The encoder writes the same header. */
        uint8_t out[CIO_WEBSOCKET_MAX_HEADER];
        assert_int_equal(cio_websocket_frame_write_header(&f, out, sizeof out), e->header);
        assert_memory_equal(out, e->bytes, e->header);
        assert_int_equal(cio_websocket_frame_write_header(&f, NULL, 0), e->header);
    }
}

struct refusal {
    uint8_t bytes[14];
    size_t len;
    cio_websocket_role reader;
    bool allow_rsv1;
    ssize_t want;
};

static void test_refusals(void **state) {
    (void)state;
    const cio_websocket_role S = SERVER, C = CLIENT;
    static const struct refusal cases[] = {
        /* reserved opcodes */
        {{0x83, 0x00}, 2, C, false, -EPROTO},
        {{0x87, 0x00}, 2, C, false, -EPROTO},
        {{0x8B, 0x00}, 2, C, false, -EPROTO},
        {{0x8F, 0x00}, 2, C, false, -EPROTO},
        /* RSV bits */
        {{0xC1, 0x00}, 2, C, false, -EPROTO},
        {{0xC1, 0x00}, 2, C, true, 2},
        {{0xC2, 0x00}, 2, C, true, 2},
        {{0xC0, 0x00}, 2, C, true, -EPROTO}, /* RSV1 on a continuation */
        {{0xC9, 0x00}, 2, C, true, -EPROTO}, /* RSV1 on a ping */
        {{0xA1, 0x00}, 2, C, true, -EPROTO}, /* RSV2 */
        {{0x91, 0x00}, 2, C, true, -EPROTO}, /* RSV3 */
        /* control frames */
        {{0x09, 0x00}, 2, C, false, -EPROTO}, /* fragmented ping */
        {{0x08, 0x00}, 2, C, false, -EPROTO}, /* fragmented close */
        {{0x89, 0x7E}, 2, C, false, -EPROTO}, /* 126 */
        {{0x8A, 0x7F}, 2, C, false, -EPROTO}, /* 127 */
        {{0x89, 0x7D}, 2, C, false, 2},       /* 125 is fine */
        /* lengths */
        {{0x82, 0x7E, 0x00, 0x7D}, 4, C, false, -EPROTO}, /* 125 in 16 bits */
        {{0x82, 0x7E, 0x00, 0x7E}, 4, C, false, 4},
        {{0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF}, 10, C, false, -EPROTO}, /* 65535 in 64 */
        {{0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0}, 10, C, false, -EPROTO},    /* top bit */
        {{0x82, 0x7F, 0, 0, 0, 0, 0, 0x10, 0, 1}, 10, C, false, -EMSGSIZE},  /* 1 MiB + 1 */
        {{0x82, 0x7F, 0, 0, 0, 0, 0, 0x10, 0, 0}, 10, C, false, 10},         /* 1 MiB */
        {{0x82, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, 10, C, false, -EMSGSIZE},
        /* masking */
        {{0x81, 0x00}, 2, S, false, -EPROTO},
        {{0x81, 0x80, 1, 2, 3, 4}, 6, C, false, -EPROTO},
        {{0x81, 0x80, 1, 2, 3, 4}, 6, S, false, 6},
        {{0x81, 0xFE, 0x00, 0x7E, 1, 2, 3, 4}, 8, S, false, 8},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const struct refusal *r = &cases[i];
        cio_websocket_options o = {.allow_rsv1 = r->allow_rsv1};
        cio_websocket_frame f;
        ssize_t rc = parse_all_ways(r->bytes, r->len, r->reader, &o, &f);
        if (rc != r->want) fail_msg("case %zu: got %zd, want %zd", i, rc, r->want);
    }
    /* A configured maximum. */
    cio_websocket_options o = {.max_payload = 100};
    cio_websocket_frame f;
    static const uint8_t hundred[] = {0x82, 100}, more[] = {0x82, 101};
    assert_int_equal(cio_websocket_frame_parse(hundred, 2, CLIENT, &o, &f), 2);
    assert_int_equal(cio_websocket_frame_parse(more, 2, CLIENT, &o, &f), -EMSGSIZE);
    /* Argument errors. */
    assert_int_equal(cio_websocket_frame_parse(hundred, 2, 0, NULL, &f), -EINVAL);
    assert_int_equal(cio_websocket_frame_parse(hundred, 2, CLIENT, NULL, NULL), -EINVAL);
    assert_int_equal(cio_websocket_frame_parse(NULL, 2, CLIENT, NULL, &f), -EINVAL);
    assert_int_equal(cio_websocket_frame_parse(NULL, 0, CLIENT, NULL, &f), 0);
    /* Close codes for the errors. */
    assert_int_equal(cio_websocket_close_code_for(-EPROTO), 1002);
    assert_int_equal(cio_websocket_close_code_for(-EMSGSIZE), 1009);
    assert_int_equal(cio_websocket_close_code_for(-EILSEQ), 1007);
    assert_int_equal(cio_websocket_close_code_for(-ENOMEM), 1011);
}

static void test_write_header(void **state) {
    (void)state;
    uint8_t out[CIO_WEBSOCKET_MAX_HEADER];
    static const uint64_t lengths[] = {0, 125, 126, 65535, 65536, UINT64_C(1) << 40, INT64_MAX};
    static const size_t sizes[] = {2, 2, 4, 4, 10, 10, 10};
    for (size_t i = 0; i < 7; i++) {
        for (int masked = 0; masked < 2; masked++) {
            cio_websocket_frame f = {.fin = true,
                                     .opcode = CIO_WEBSOCKET_BINARY,
                                     .masked = masked,
                                     .mask = {9, 8, 7, 6},
                                     .payload_len = lengths[i]};
            size_t want = sizes[i] + (masked ? 4 : 0);
            memset(out, 0xEE, sizeof out);
            assert_int_equal(cio_websocket_frame_write_header(&f, out, want - 1), want);
            assert_int_equal(out[0], 0xEE);
            assert_int_equal(cio_websocket_frame_write_header(&f, out, sizeof out), want);
            cio_websocket_frame g;
            cio_websocket_options o = {.max_payload = UINT64_MAX};
            assert_int_equal(cio_websocket_frame_parse(out, want, masked ? SERVER : CLIENT, &o, &g),
                             want);
            assert_true(g.payload_len == lengths[i]);
            assert_int_equal(g.masked, masked);
            if (masked) assert_memory_equal(g.mask, f.mask, 4);
        }
    }
    cio_websocket_frame bad = {.fin = true, .opcode = 3};
    assert_int_equal(cio_websocket_frame_write_header(&bad, out, sizeof out), -EINVAL);
    bad = (cio_websocket_frame){.fin = false, .opcode = CIO_WEBSOCKET_PING};
    assert_int_equal(cio_websocket_frame_write_header(&bad, out, sizeof out), -EINVAL);
    bad = (cio_websocket_frame){.fin = true, .opcode = CIO_WEBSOCKET_CLOSE, .payload_len = 126};
    assert_int_equal(cio_websocket_frame_write_header(&bad, out, sizeof out), -EINVAL);
    bad = (cio_websocket_frame){.fin = true, .opcode = 2, .payload_len = UINT64_C(1) << 63};
    assert_int_equal(cio_websocket_frame_write_header(&bad, out, sizeof out), -EINVAL);
    assert_int_equal(cio_websocket_frame_write_header(NULL, out, sizeof out), -EINVAL);
    cio_websocket_frame rsv = {.fin = true, .rsv1 = true, .opcode = 1, .payload_len = 3};
    assert_int_equal(cio_websocket_frame_write_header(&rsv, out, sizeof out), 2);
    assert_int_equal(out[0], 0xC1);
}

static void naive_mask(uint8_t *p, size_t len, const uint8_t mask[4], uint64_t offset) {
    for (size_t i = 0; i < len; i++) p[i] ^= mask[(offset + i) % 4];
}

static void test_mask(void **state) {
    (void)state;
    static const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
    uint8_t base[128], fast[136], slow[136];
    for (size_t i = 0; i < sizeof base; i++) base[i] = (uint8_t)(i * 7 + 3);
    for (size_t align = 0; align < 8; align++)
        for (uint64_t offset = 0; offset < 9; offset++)
            for (size_t len = 0; len <= 100; len++) {
                memcpy(fast + align, base, len);
                memcpy(slow + align, base, len);
                cio_websocket_mask(fast + align, len, key, offset);
                naive_mask(slow + align, len, key, offset);
                assert_memory_equal(fast + align, slow + align, len);
            }
    /* A payload unmasked in pieces of every size is unmasked right. */
    for (size_t piece = 1; piece < 20; piece++) {
        memcpy(fast, base, sizeof base);
        memcpy(slow, base, sizeof base);
        naive_mask(slow, sizeof base, key, 0);
        for (size_t done = 0; done < sizeof base; done += piece) {
            size_t n = sizeof base - done < piece ? sizeof base - done : piece;
            cio_websocket_mask(fast + done, n, key, done);
        }
        assert_memory_equal(fast, slow, sizeof base);
    }
    /* Masking twice is the identity. */
    memcpy(fast, base, sizeof base);
    cio_websocket_mask(fast, sizeof base, key, 3);
    cio_websocket_mask(fast, sizeof base, key, 3);
    assert_memory_equal(fast, base, sizeof base);
}

/* ---- close payloads ------------------------------------------------------------------ */

static void test_close(void **state) {
    (void)state;
    static const uint16_t valid[] = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010,
                                     1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999};
    static const uint16_t invalid[] = {0,    1,    999,  1004, 1005, 1006, 1015,
                                       1016, 1100, 2000, 2999, 5000, 65535};
    uint8_t buf[128];
    cio_websocket_close c;
    for (size_t i = 0; i < sizeof valid / sizeof *valid; i++) {
        assert_true(cio_websocket_close_code_valid(valid[i]));
        assert_int_equal(cio_websocket_close_write(valid[i], "bye", 3, buf, sizeof buf), 5);
        assert_int_equal(cio_websocket_close_parse(buf, 5, &c), 0);
        assert_int_equal(c.code, valid[i]);
        assert_int_equal(c.reason_len, 3);
        assert_memory_equal(c.reason, "bye", 3);
    }
    for (size_t i = 0; i < sizeof invalid / sizeof *invalid; i++) {
        assert_false(cio_websocket_close_code_valid(invalid[i]));
        uint8_t p[2] = {(uint8_t)(invalid[i] >> 8), (uint8_t)invalid[i]};
        assert_int_equal(cio_websocket_close_parse(p, 2, &c), -EPROTO);
        if (invalid[i])
            assert_int_equal(cio_websocket_close_write(invalid[i], NULL, 0, buf, sizeof buf),
                             -EINVAL);
    }
    static const uint8_t normal[] = {0x03, 0xE8};
    assert_int_equal(cio_websocket_close_parse(normal, 2, &c), 0);
    assert_int_equal(c.code, 1000);
    assert_int_equal(c.reason_len, 0);
    assert_int_equal(cio_websocket_close_parse(NULL, 0, &c), 0);
    assert_int_equal(c.code, CIO_WEBSOCKET_CLOSE_NO_STATUS);
    assert_int_equal(cio_websocket_close_parse(normal, 1, &c), -EPROTO);
    static const uint8_t bad_reason[] = {0x03, 0xE8, 'a', 0xC0, 0xAF};
    assert_int_equal(cio_websocket_close_parse(bad_reason, 5, &c), -EILSEQ);
    uint8_t big[126] = {0x03, 0xE8};
    memset(big + 2, 'a', 124);
    assert_int_equal(cio_websocket_close_parse(big, 125, &c), 0);
    assert_int_equal(cio_websocket_close_parse(big, 126, &c), -EPROTO);
    assert_int_equal(cio_websocket_close_parse(normal, 2, NULL), -EINVAL);
    /* writing */
    assert_int_equal(cio_websocket_close_write(0, NULL, 0, buf, sizeof buf), 0);
    assert_int_equal(cio_websocket_close_write(0, "x", 1, buf, sizeof buf), -EINVAL);
    assert_int_equal(cio_websocket_close_write(1000, (char *)big + 2, 123, buf, sizeof buf), 125);
    assert_int_equal(cio_websocket_close_write(1000, (char *)big + 2, 124, buf, sizeof buf),
                     -EINVAL);
    assert_int_equal(cio_websocket_close_write(1000, "\xC0\xAF", 2, buf, sizeof buf), -EINVAL);
    assert_int_equal(cio_websocket_close_write(1000, NULL, 1, buf, sizeof buf), -EINVAL);
    memset(buf, 0xEE, sizeof buf);
    assert_int_equal(cio_websocket_close_write(1001, "κ", 2, buf, 3), 4);
    assert_int_equal(buf[0], 0xEE);
    assert_int_equal(cio_websocket_close_write(1001, "κ", 2, buf, 4), 4);
    assert_memory_equal(buf, "\x03\xE9\xCE\xBA", 4);
}

/* ---- UTF-8 ------------------------------------------------------------------------------
 * Cases after Markus Kuhn's UTF-8 decoder capability and stress test. */

struct utf8_case {
    const char *bytes;
    bool valid;
};

static const struct utf8_case utf8_cases[] = {
    {"", true},
    {"\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5", true}, /* 1: κόσμε */
    /* 2.1 first of each length, 2.2 last, 2.3 other boundaries */
    {"\x01", true},
    {"\xC2\x80", true},
    {"\xE0\xA0\x80", true},
    {"\xF0\x90\x80\x80", true},
    {"\x7F", true},
    {"\xDF\xBF", true},
    {"\xEF\xBF\xBF", true},
    {"\xF4\x8F\xBF\xBF", true},
    {"\xED\x9F\xBF", true},
    {"\xEE\x80\x80", true},
    {"\xEF\xBF\xBD", true},
    {"\xF7\xBF\xBF\xBF", false}, /* U+1FFFFF */
    {"\xF4\x90\x80\x80", false}, /* U+110000 */
    /* 3.1 unexpected continuation bytes */
    {"\x80", false},
    {"\xBF", false},
    {"a\x80\xBF", false},
    /* 3.2 lonely start characters, 3.3 sequences with the last byte missing */
    {"\xC0 ", false},
    {"\xE0 ", false},
    {"\xF0 ", false},
    {"\xC2", false},
    {"\xE0\xA0", false},
    {"\xF0\x90\x80", false},
    {"\xDF", false},
    {"\xEF\xBF", false},
    {"\xF4\x8F\xBF", false},
    /* 3.5 impossible bytes */
    {"\xFE", false},
    {"\xFF", false},
    {"\xF5\x80\x80\x80", false},
    {"\xF8\x88\x80\x80\x80", false},
    /* 4 overlong forms */
    {"\xC0\xAF", false},
    {"\xE0\x80\xAF", false},
    {"\xF0\x80\x80\xAF", false},
    {"\xC1\xBF", false},
    {"\xE0\x9F\xBF", false},
    {"\xF0\x8F\xBF\xBF", false},
    {"\xC0\x80", false},
    {"\xE0\x80\x80", false},
    /* 5 surrogates */
    {"\xED\xA0\x80", false},
    {"\xED\xAD\xBF", false},
    {"\xED\xBF\xBF", false},
    {"\xED\xA0\x80\xED\xB0\x80", false},
    /* noncharacters are valid UTF-8 */
    {"\xEF\xBF\xBE", true},
    {"\xF4\x8F\xBF\xBE", true},
    /* the ASCII fast path next to multi-byte sequences */
    {"0123456789abcdef\xCE\xBA"
     "0123456789abcdef",
     true},
    {"0123456789abcdef\xCE", false},
    {"01234567\x80"
     "89abcdef",
     false},
};

static void test_utf8(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof utf8_cases / sizeof *utf8_cases; i++) {
        const char *s = utf8_cases[i].bytes;
        size_t n = strlen(s);
        bool want = utf8_cases[i].valid;
        if (cio_websocket_utf8_valid(s, n) != want) fail_msg("case %zu", i);
        /* Split anywhere into two or three pieces: same verdict. */
        for (size_t a = 0; a <= n; a++)
            for (size_t b = a; b <= n; b++) {
                cio_websocket_utf8 v;
                cio_websocket_utf8_init(&v);
                int r1 = cio_websocket_utf8_feed(&v, s, a);
                int r2 = cio_websocket_utf8_feed(&v, s + a, b - a);
                int r3 = cio_websocket_utf8_feed(&v, s + b, n - b);
                bool ok = r1 == 0 && r2 == 0 && r3 == 0 && cio_websocket_utf8_finish(&v) == 0;
                if (ok != want) fail_msg("case %zu split %zu/%zu", i, a, b);
            }
    }
    /* Fail fast: refused at the surrogate, before the message ends. */
    cio_websocket_utf8 v;
    cio_websocket_utf8_init(&v);
    assert_int_equal(cio_websocket_utf8_feed(&v, "\xCE\xBA\xE1\xBD\xB9", 5), 0);
    assert_int_equal(cio_websocket_utf8_feed(&v, "\xED", 1), 0);
    assert_int_equal(cio_websocket_utf8_feed(&v, "\xA0", 1), -EILSEQ);
    assert_int_equal(cio_websocket_utf8_feed(&v, "abc", 3), -EILSEQ); /* sticky */
    assert_int_equal(cio_websocket_utf8_finish(&v), -EILSEQ);
    cio_websocket_utf8_init(&v);
    assert_int_equal(cio_websocket_utf8_finish(&v), 0);
    assert_int_equal(cio_websocket_utf8_feed(NULL, "a", 1), -EINVAL);
    assert_int_equal(cio_websocket_utf8_feed(&v, NULL, 1), -EINVAL);
    assert_int_equal(cio_websocket_utf8_finish(NULL), -EINVAL);
    /* Every code point encodes and validates; every surrogate does not. */
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        uint8_t b[4];
        size_t n;
        if (cp < 0x80) {
            b[0] = (uint8_t)cp;
            n = 1;
        } else if (cp < 0x800) {
            b[0] = (uint8_t)(0xC0 | cp >> 6);
            b[1] = (uint8_t)(0x80 | (cp & 63));
            n = 2;
        } else if (cp < 0x10000) {
            b[0] = (uint8_t)(0xE0 | cp >> 12);
            b[1] = (uint8_t)(0x80 | ((cp >> 6) & 63));
            b[2] = (uint8_t)(0x80 | (cp & 63));
            n = 3;
        } else {
            b[0] = (uint8_t)(0xF0 | cp >> 18);
            b[1] = (uint8_t)(0x80 | ((cp >> 12) & 63));
            b[2] = (uint8_t)(0x80 | ((cp >> 6) & 63));
            b[3] = (uint8_t)(0x80 | (cp & 63));
            n = 4;
        }
        bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
        if (cio_websocket_utf8_valid(b, n) == surrogate) fail_msg("U+%04X", (unsigned)cp);
    }
}

/* ---- handshake --------------------------------------------------------------------------- */

static void hex(const uint8_t *d, size_t n, char *out) {
    for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", d[i]);
}

static void expect_sha1(const void *data, size_t len, const char *want) {
    uint8_t digest[20];
    char text[41];
    cio__websocket_sha1(data, len, digest);
    hex(digest, 20, text);
    assert_string_equal(text, want);
}

static void test_sha1(void **state) {
    (void)state;
    expect_sha1("", 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    expect_sha1("abc", 3, "a9993e364706816aba3e25717850c26c9cd0d89d");
    expect_sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
                "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    /* Padding boundaries (digests from Python's hashlib). */
    static const struct {
        size_t n;
        const char *digest;
    } as[] = {
        {55, "c1c8bbdc22796e28c0e15163d20899b65621d65a"},
        {56, "c2db330f6083854c99d4b5bfb6e8f29f201be699"},
        {63, "03f09f5b158a7a8cdad920bddc29b81c18a551f5"},
        {64, "0098ba824b5c16427bd7a1122a5a442a25ec644d"},
        {119, "ee971065aaa017e0632a8ca6c77bb3bf8b1dfc56"},
        {120, "f34c1488385346a55709ba056ddd08280dd4c6d6"},
        {1000000, "34aa973cd4c4daa4f61eeb2bdbad27316534016f"},
    };
    char *a = malloc(1000000);
    memset(a, 'a', 1000000);
    for (size_t i = 0; i < sizeof as / sizeof *as; i++) expect_sha1(a, as[i].n, as[i].digest);
    free(a);
    char b64[9];
    cio__websocket_base64((const uint8_t *)"f", 1, b64);
    assert_string_equal(b64, "Zg==");
    cio__websocket_base64((const uint8_t *)"fo", 2, b64);
    assert_string_equal(b64, "Zm8=");
    cio__websocket_base64((const uint8_t *)"foobar", 6, b64);
    assert_string_equal(b64, "Zm9vYmFy");
}

static void test_accept(void **state) {
    (void)state;
    char accept[CIO_WEBSOCKET_ACCEPT_LEN + 1];
    assert_int_equal(cio_websocket_accept("dGhlIHNhbXBsZSBub25jZQ==", 24, accept), 0);
    /* RFC 6455 1.3 and 4.2.2 give this value (Python's hashlib + base64 agree). */
    assert_string_equal(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    memset(accept, 'x', sizeof accept);
    assert_int_equal(cio_websocket_accept("dGhlIHNhbXBsZSBub25jZQ=", 23, accept), -EINVAL);
    assert_int_equal(accept[0], 'x');
    assert_int_equal(cio_websocket_accept("dGhlIHNhbXBsZSBub25jZQ==x", 25, accept), -EINVAL);
    assert_int_equal(cio_websocket_accept("dGhlIHNhbXBsZSBub25jZQ=A", 24, accept), -EINVAL);
    assert_int_equal(cio_websocket_accept("dGhlIHNhbXBsZSBub25j*Q==", 24, accept), -EINVAL);
    assert_int_equal(cio_websocket_accept("dGhlIHNhbXBsZSBub25j\0Q==", 24, accept), -EINVAL);
    assert_int_equal(cio_websocket_accept(NULL, 24, accept), -EINVAL);
    assert_int_equal(cio_websocket_accept("dGhlIHNhbXBsZSBub25jZQ==", 24, NULL), -EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_examples), cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_write_header), cmocka_unit_test(test_mask),
        cmocka_unit_test(test_close),        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_sha1),         cmocka_unit_test(test_accept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
