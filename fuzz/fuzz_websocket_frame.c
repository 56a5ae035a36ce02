/* libFuzzer target for WebSocket frames (cio/websocket_frame.h).
 *
 * Input: one byte of settings (role, RSV1 allowed, a small maximum), then
 * bytes read as a frame. Invariants checked:
 *   - a header is found at the same length whatever prefix is offered (a
 *     shorter prefix says "need more" or the same refusal);
 *   - an accepted header re-encodes to exactly its bytes (lengths are
 *     minimal, so there is one encoding);
 *   - masking in pieces at any alignment equals byte-by-byte masking;
 *   - a close payload that parses re-encodes to the same bytes;
 *   - the UTF-8 validator, whole or fed in pieces, agrees with a plain
 *     decoder written from the definition. */
#include <cio/websocket_frame.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "invariant broken: %s\n", what);
        abort();
    }
}

/* Decode code points one by one; valid if each is in its shortest form,
 * not a surrogate, and at most U+10FFFF. */
static bool reference_utf8(const uint8_t *s, size_t n) {
    for (size_t i = 0; i < n;) {
        uint8_t b = s[i];
        size_t len = b < 0x80             ? 1
                     : (b & 0xE0) == 0xC0 ? 2
                     : (b & 0xF0) == 0xE0 ? 3
                     : (b & 0xF8) == 0xF0 ? 4
                                          : 0;
        if (len == 0 || i + len > n) return false;
        uint32_t cp = len == 1 ? b : len == 2 ? b & 0x1F : len == 3 ? b & 0x0F : b & 0x07;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return false;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

static void check_utf8(const uint8_t *s, size_t n) {
    bool want = reference_utf8(s, n);
    check(cio_websocket_utf8_valid(s, n) == want, "utf8 whole == reference");
    cio_websocket_utf8 v;
    cio_websocket_utf8_init(&v);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0;) {
        size_t piece = 1 + (s[i] % 11);
        if (piece > n - i) piece = n - i;
        rc = cio_websocket_utf8_feed(&v, s + i, piece);
        i += piece;
    }
    bool ok = rc == 0 && cio_websocket_utf8_finish(&v) == 0;
    check(ok == want, "utf8 pieces == reference");
}

static void check_mask(const uint8_t *payload, size_t n, const uint8_t key[4]) {
    static uint8_t fast[1 << 16], slow[1 << 16];
    if (n > sizeof fast - 8) n = sizeof fast - 8;
    size_t align = n ? payload[0] & 7 : 0;
    memcpy(fast + align, payload, n);
    memcpy(slow, payload, n);
    for (size_t i = 0; i < n; i++) slow[i] ^= key[i & 3];
    for (size_t done = 0; done < n;) {
        size_t piece = 1 + payload[done] % 23;
        if (piece > n - done) piece = n - done;
        cio_websocket_mask(fast + align + done, piece, key, done);
        done += piece;
    }
    check(memcmp(fast + align, slow, n) == 0, "mask in pieces == byte by byte");
}

static void check_close(const uint8_t *payload, size_t n) {
    cio_websocket_close c;
    if (cio_websocket_close_parse(payload, n, &c) != 0) return;
    uint8_t out[125];
    uint16_t code = n == 0 ? 0 : c.code;
    ssize_t m = cio_websocket_close_write(code, c.reason, c.reason_len, out, sizeof out);
    check(m == (ssize_t)n && memcmp(out, payload, n) == 0, "close payload round trip");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    cio_websocket_role role = data[0] & 1 ? CIO_WEBSOCKET_SERVER : CIO_WEBSOCKET_CLIENT;
    cio_websocket_options o = {.allow_rsv1 = data[0] & 2, .max_payload = data[0] & 4 ? 200 : 0};
    const uint8_t *buf = data + 1;
    size--;
    check_utf8(buf, size);

    cio_websocket_frame f;
    ssize_t h = cio_websocket_frame_parse(buf, size, role, &o, &f);
    check(h <= 14 && h <= (ssize_t)size, "header within 14 bytes and the buffer");
    for (size_t i = 0; i < size && i < 15; i++) {
        cio_websocket_frame g;
        ssize_t rc = cio_websocket_frame_parse(buf, i, role, &o, &g);
        if (h > 0 && i < (size_t)h) check(rc == 0, "shorter prefix needs more");
        if (rc != 0) check(rc == h, "a prefix refuses as the whole");
    }
    if (h < 0) {
        uint16_t code = cio_websocket_close_code_for((int)h);
        check(code == 1002 || code == 1009, "errors map to 1002 or 1009");
        return 0;
    }
    if (h == 0) return 0;
    check(f.masked == (role == CIO_WEBSOCKET_SERVER), "masking rule");
    uint8_t out[CIO_WEBSOCKET_MAX_HEADER];
    check(cio_websocket_frame_write_header(&f, out, sizeof out) == h, "header re-encodes");
    check(memcmp(out, buf, (size_t)h) == 0, "to the same bytes");

    size_t avail = size - (size_t)h;
    size_t n = f.payload_len < avail ? (size_t)f.payload_len : avail;
    static uint8_t payload[1 << 16];
    if (n > sizeof payload) n = sizeof payload;
    memcpy(payload, buf + h, n);
    check_mask(payload, n, f.mask);
    if (f.masked) cio_websocket_mask(payload, n, f.mask, 0);
    if (f.opcode == CIO_WEBSOCKET_CLOSE && n == f.payload_len) check_close(payload, n);
    if (f.opcode == CIO_WEBSOCKET_TEXT) check_utf8(payload, n);
    return 0;
}
