/* WebSocket frames, RFC 6455 (include/cio/websocket_frame.h). */
#include <cio/websocket_frame.h>

#include <string.h>

#include "websocket.h"

/* ---- frame header ------------------------------------------------------------------ */

static bool reserved_opcode(unsigned op) {
    return (op >= 3 && op <= 7) || op >= 0xB;
}

static bool is_control(unsigned op) {
    return op & 0x8;
}

/* The checks that need only the first two bytes, so that a bad frame is
 * refused before its extended length and key arrive. */
static int check_start(uint8_t b0, uint8_t b1, cio_websocket_role role,
                       const cio_websocket_options *opts) {
    unsigned op = b0 & 0x0F;
    bool rsv1 = b0 & 0x40, masked = b1 & 0x80;
    if (reserved_opcode(op)) return -EPROTO;
    if (b0 & 0x30) return -EPROTO; /* RSV2, RSV3: no extension of ours uses them */
    /* RFC 7692 6: RSV1 marks a compressed message, on its first frame only. */
    if (rsv1 && (!opts->allow_rsv1 || is_control(op) || op == CIO_WEBSOCKET_CONTINUATION))
        return -EPROTO;
    if (is_control(op) && (!(b0 & 0x80) || (b1 & 0x7F) > CIO_WEBSOCKET_MAX_CONTROL_PAYLOAD))
        return -EPROTO;
    /* RFC 6455 5.1: a server closes on an unmasked frame, a client on a
     * masked one. */
    if (masked != (role == CIO_WEBSOCKET_SERVER)) return -EPROTO;
    return 0;
}

static uint64_t load_be(const uint8_t *p, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v = v << 8 | p[i];
    return v;
}

ssize_t cio_websocket_frame_parse(const void *buf, size_t len, cio_websocket_role role,
                                  const cio_websocket_options *opts, cio_websocket_frame *frame) {
    static const cio_websocket_options defaults = {0};
    if (!opts) opts = &defaults;
    if (!frame || (!buf && len > 0)) return -EINVAL;
    if (role != CIO_WEBSOCKET_SERVER && role != CIO_WEBSOCKET_CLIENT) return -EINVAL;
    const uint8_t *p = buf;
    if (len < 2) return 0;
    int rc = check_start(p[0], p[1], role, opts);
    if (rc < 0) return rc;
    unsigned len7 = p[1] & 0x7F;
    size_t extra = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    bool masked = p[1] & 0x80;
    size_t header = 2 + extra + (masked ? 4 : 0);
    if (len < header) return 0;
    uint64_t payload = extra ? load_be(p + 2, extra) : len7;
    /* RFC 6455 5.2: the minimal number of bytes MUST be used; the 64-bit
     * form's most significant bit MUST be 0. */
    if (extra == 2 && payload < 126) return -EPROTO;
    if (extra == 8 && (payload <= 0xFFFF || payload >> 63)) return -EPROTO;
    uint64_t max = opts->max_payload ? opts->max_payload : CIO_WEBSOCKET_DEFAULT_MAX_PAYLOAD;
    if (payload > max) return -EMSGSIZE;
    *frame = (cio_websocket_frame){
        .fin = p[0] & 0x80,
        .rsv1 = p[0] & 0x40,
        .opcode = p[0] & 0x0F,
        .masked = masked,
        .payload_len = payload,
    };
    if (masked) memcpy(frame->mask, p + 2 + extra, 4);
    return (ssize_t)header;
}

ssize_t cio_websocket_frame_write_header(const cio_websocket_frame *frame, void *buf, size_t cap) {
    if (!frame || reserved_opcode(frame->opcode) || frame->payload_len >> 63) return -EINVAL;
    if (is_control(frame->opcode) &&
        (!frame->fin || frame->payload_len > CIO_WEBSOCKET_MAX_CONTROL_PAYLOAD))
        return -EINVAL;
    uint64_t n = frame->payload_len;
    size_t extra = n < 126 ? 0 : n <= 0xFFFF ? 2 : 8;
    size_t header = 2 + extra + (frame->masked ? 4 : 0);
    if (header > cap) return (ssize_t)header;
    uint8_t *out = buf;
    out[0] = (uint8_t)((frame->fin ? 0x80 : 0) | (frame->rsv1 ? 0x40 : 0) |
                       (frame->rsv2 ? 0x20 : 0) | (frame->rsv3 ? 0x10 : 0) | frame->opcode);
    out[1] = (uint8_t)((frame->masked ? 0x80 : 0) | (extra == 0 ? n : extra == 2 ? 126 : 127));
    for (size_t i = 0; i < extra; i++) out[2 + i] = (uint8_t)(n >> (8 * (extra - 1 - i)));
    if (frame->masked) memcpy(out + 2 + extra, frame->mask, 4);
    return (ssize_t)header;
}

/* Byte by byte up to an 8-byte boundary, then 8 bytes at a time with the
 * key repeated twice and rotated to the phase reached (8 is a multiple of
 * 4, so the phase does not move inside the loop), then the tail. memcpy
 * keeps the 8-byte accesses free of alignment and aliasing UB; compilers
 * turn them into plain loads and stores, and vectorise the loop. */
void cio_websocket_mask(void *data, size_t len, const uint8_t mask[4], uint64_t offset) {
    uint8_t *p = data;
    size_t k = (size_t)(offset & 3);
    for (; len > 0 && ((uintptr_t)p & 7); len--, k = (k + 1) & 3) *p++ ^= mask[k];
    uint8_t pattern[8];
    for (size_t i = 0; i < 8; i++) pattern[i] = mask[(k + i) & 3];
    uint64_t key;
    memcpy(&key, pattern, 8);
    for (; len >= 8; len -= 8, p += 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        word ^= key;
        memcpy(p, &word, 8);
    }
    for (; len > 0; len--, k = (k + 1) & 3) *p++ ^= mask[k];
}

uint16_t cio_websocket_close_code_for(int err) {
    switch (err) {
    case -EPROTO:
        return CIO_WEBSOCKET_CLOSE_PROTOCOL_ERROR;
    case -EMSGSIZE:
        return CIO_WEBSOCKET_CLOSE_TOO_BIG;
    case -EILSEQ:
        return CIO_WEBSOCKET_CLOSE_INVALID_DATA;
    default:
        return CIO_WEBSOCKET_CLOSE_INTERNAL_ERROR;
    }
}

/* ---- close payloads ---------------------------------------------------------------- */

bool cio_websocket_close_code_valid(uint16_t code) {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

int cio_websocket_close_parse(const void *payload, size_t len, cio_websocket_close *close) {
    if (!close || (!payload && len > 0)) return -EINVAL;
    const uint8_t *p = payload;
    if (len == 0) {
        *close = (cio_websocket_close){.code = CIO_WEBSOCKET_CLOSE_NO_STATUS};
        return 0;
    }
    if (len == 1 || len > CIO_WEBSOCKET_MAX_CONTROL_PAYLOAD) return -EPROTO;
    uint16_t code = (uint16_t)(p[0] << 8 | p[1]);
    if (!cio_websocket_close_code_valid(code)) return -EPROTO;
    if (!cio_websocket_utf8_valid(p + 2, len - 2)) return -EILSEQ;
    *close =
        (cio_websocket_close){.code = code, .reason = (const char *)p + 2, .reason_len = len - 2};
    return 0;
}

ssize_t cio_websocket_close_write(uint16_t code, const char *reason, size_t reason_len, void *buf,
                                  size_t cap) {
    if (!reason && reason_len > 0) return -EINVAL;
    if (code == 0) return reason_len ? -EINVAL : 0;
    if (!cio_websocket_close_code_valid(code)) return -EINVAL;
    if (reason_len > CIO_WEBSOCKET_MAX_CONTROL_PAYLOAD - 2) return -EINVAL;
    if (!cio_websocket_utf8_valid(reason, reason_len)) return -EINVAL;
    size_t n = 2 + reason_len;
    if (n > cap) return (ssize_t)n;
    uint8_t *out = buf;
    out[0] = (uint8_t)(code >> 8);
    out[1] = (uint8_t)code;
    if (reason_len) memcpy(out + 2, reason, reason_len);
    return (ssize_t)n;
}

/* ---- UTF-8 ----------------------------------------------------------------------------
 * The well-formed sequences of Unicode 15, table 3-7: after a lead byte, the
 * first continuation byte's range depends on the lead (that is what refuses
 * overlongs, surrogates and code points past U+10FFFF); later ones are
 * always 80..BF. */

void cio_websocket_utf8_init(cio_websocket_utf8 *v) {
    if (v) *v = (cio_websocket_utf8){0};
}

/* Start a sequence at lead byte b; false if b cannot lead one. */
static bool lead(cio_websocket_utf8 *v, uint8_t b) {
    v->lo = 0x80;
    v->hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
        v->need = 1;
    } else if (b >= 0xE0 && b <= 0xEF) {
        v->need = 2;
        if (b == 0xE0) v->lo = 0xA0; /* overlong below U+0800 */
        if (b == 0xED) v->hi = 0x9F; /* surrogates D800..DFFF */
    } else if (b >= 0xF0 && b <= 0xF4) {
        v->need = 3;
        if (b == 0xF0) v->lo = 0x90; /* overlong below U+10000 */
        if (b == 0xF4) v->hi = 0x8F; /* past U+10FFFF */
    } else {
        return false; /* 80..C1 (continuation, overlong lead), F5..FF */
    }
    return true;
}

int cio_websocket_utf8_feed(cio_websocket_utf8 *v, const void *data, size_t len) {
    if (!v || (!data && len > 0)) return -EINVAL;
    if (v->failed) return -EILSEQ;
    const uint8_t *p = data, *end = p + len;
    while (p < end) {
        if (v->need == 0) {
            /* ASCII fast path: 8 bytes with no high bit. */
            while (end - p >= 8) {
                uint64_t word;
                memcpy(&word, p, 8);
                if (word & UINT64_C(0x8080808080808080)) break;
                p += 8;
            }
            if (p == end) break;
            uint8_t b = *p++;
            if (b < 0x80) continue;
            if (!lead(v, b)) goto fail;
            continue;
        }
        uint8_t b = *p++;
        if (b < v->lo || b > v->hi) goto fail;
        v->need--;
        v->lo = 0x80;
        v->hi = 0xBF;
    }
    return 0;
fail:
    v->failed = true;
    return -EILSEQ;
}

int cio_websocket_utf8_finish(const cio_websocket_utf8 *v) {
    if (!v) return -EINVAL;
    return v->failed || v->need ? -EILSEQ : 0;
}

bool cio_websocket_utf8_valid(const void *data, size_t len) {
    cio_websocket_utf8 v;
    cio_websocket_utf8_init(&v);
    return cio_websocket_utf8_feed(&v, data, len) == 0 && cio_websocket_utf8_finish(&v) == 0;
}

/* ---- handshake --------------------------------------------------------------------------
 * SHA-1 is our own, not OpenSSL's: the handshake hashes one 60-byte string
 * per connection, where speed does not matter and SHA-1 is a fingerprint,
 * not a security measure (RFC 6455 10.3 relies on it for nothing). Keeping
 * it here keeps the codec free of dependencies: the static library, the
 * pkg-config file and the fuzz targets need no -lcrypto. It is tested
 * against FIPS 180 vectors. */

static uint32_t rol(uint32_t x, unsigned n) {
    return x << n | x >> (32 - n);
}

static void sha1_block(uint32_t h[5], const uint8_t *block) {
    uint32_t w[80];
    for (int i = 0; i < 16; i++) w[i] = (uint32_t)load_be(block + 4 * i, 4);
    for (int i = 16; i < 80; i++) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20) {
            f = (b & c) | (~b & d);
            k = 0x5A827999;
        } else if (i < 40) {
            f = b ^ c ^ d;
            k = 0x6ED9EBA1;
        } else if (i < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8F1BBCDC;
        } else {
            f = b ^ c ^ d;
            k = 0xCA62C1D6;
        }
        uint32_t t = rol(a, 5) + f + e + k + w[i];
        e = d;
        d = c;
        c = rol(b, 30);
        b = a;
        a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

void cio__websocket_sha1(const void *data, size_t len, uint8_t digest[20]) {
    uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    const uint8_t *p = data;
    size_t left = len;
    for (; left >= 64; left -= 64, p += 64) sha1_block(h, p);
    /* The tail, 0x80, zeros, and the bit length: one or two blocks. */
    uint8_t last[128] = {0};
    if (left) memcpy(last, p, left);
    last[left] = 0x80;
    size_t total = left + 1 + 8 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++) last[total - 1 - i] = (uint8_t)(bits >> (8 * i));
    for (size_t off = 0; off < total; off += 64) sha1_block(h, last + off);
    for (int i = 0; i < 20; i++) digest[i] = (uint8_t)(h[i / 4] >> (24 - 8 * (i % 4)));
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void cio__websocket_base64(const uint8_t *data, size_t len, char *out) {
    for (; len >= 3; len -= 3, data += 3) {
        uint32_t v = (uint32_t)data[0] << 16 | (uint32_t)data[1] << 8 | data[2];
        for (int i = 0; i < 4; i++) *out++ = B64[(v >> (18 - 6 * i)) & 63];
    }
    if (len) {
        uint32_t v = (uint32_t)data[0] << 16 | (len == 2 ? (uint32_t)data[1] << 8 : 0);
        *out++ = B64[v >> 18];
        *out++ = B64[(v >> 12) & 63];
        *out++ = len == 2 ? B64[(v >> 6) & 63] : '=';
        *out++ = '=';
    }
    *out = '\0';
}

int cio_websocket_accept(const char *key, size_t key_len,
                         char accept[CIO_WEBSOCKET_ACCEPT_LEN + 1]) {
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    if (!key || !accept || key_len != 24 || key[22] != '=' || key[23] != '=') return -EINVAL;
    for (size_t i = 0; i < 22; i++)
        if (!memchr(B64, key[i], sizeof B64 - 1)) return -EINVAL;
    uint8_t text[24 + sizeof guid - 1], digest[20];
    memcpy(text, key, 24);
    memcpy(text + 24, guid, sizeof guid - 1);
    cio__websocket_sha1(text, sizeof text, digest);
    cio__websocket_base64(digest, sizeof digest, accept);
    return 0;
}
