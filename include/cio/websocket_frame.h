/* cio/websocket_frame.h - WebSocket frames (RFC 6455): header parser and
 * encoder, payload masking, close payloads, UTF-8 validation, and the
 * handshake's Sec-WebSocket-Accept.
 *
 * Pure code: no loop, no I/O, no allocation. Every function may be called
 * from any thread; the UTF-8 validator belongs to whoever feeds it.
 *
 * Reading a frame:
 *
 *     cio_websocket_frame f;
 *     ssize_t h = cio_websocket_frame_parse(buf, len, CIO_WEBSOCKET_SERVER, NULL, &f);
 *     // h > 0: the header is h bytes, f.payload_len bytes of payload follow;
 *     // h == 0: need more bytes; h < 0: send a close frame with
 *     // cio_websocket_close_code_for(h), then drop the connection.
 *     cio_websocket_mask(payload, n, f.mask, done_so_far);   // if f.masked
 *
 * Errors are negative errnos, each standing for one close code:
 *   -EPROTO   1002 protocol error    -EMSGSIZE  1009 message too big
 *   -EILSEQ   1007 invalid payload data (not UTF-8)
 * See docs/websocket-frames.md for what is refused and why. */
#ifndef CIO_WEBSOCKET_FRAME_H
#define CIO_WEBSOCKET_FRAME_H

#include <sys/types.h>

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Opcodes (RFC 6455 5.2). 3-7 and 0xB-0xF are reserved and refused. */
enum {
    CIO_WEBSOCKET_CONTINUATION = 0x0,
    CIO_WEBSOCKET_TEXT = 0x1,
    CIO_WEBSOCKET_BINARY = 0x2,
    CIO_WEBSOCKET_CLOSE = 0x8,
    CIO_WEBSOCKET_PING = 0x9,
    CIO_WEBSOCKET_PONG = 0xA,
};

/* Close codes (RFC 6455 7.4.1) that this header produces or names. */
enum {
    CIO_WEBSOCKET_CLOSE_NORMAL = 1000,
    CIO_WEBSOCKET_CLOSE_GOING_AWAY = 1001,
    CIO_WEBSOCKET_CLOSE_PROTOCOL_ERROR = 1002,
    CIO_WEBSOCKET_CLOSE_UNSUPPORTED = 1003,
    CIO_WEBSOCKET_CLOSE_NO_STATUS = 1005, /* never sent: an empty close payload */
    CIO_WEBSOCKET_CLOSE_ABNORMAL = 1006,  /* never sent: no close frame at all */
    CIO_WEBSOCKET_CLOSE_INVALID_DATA = 1007,
    CIO_WEBSOCKET_CLOSE_POLICY = 1008,
    CIO_WEBSOCKET_CLOSE_TOO_BIG = 1009,
    CIO_WEBSOCKET_CLOSE_INTERNAL_ERROR = 1011,
};

/* Which end is reading or writing: the masking rule depends on it. */
typedef enum cio_websocket_role {
    CIO_WEBSOCKET_SERVER = 1, /* reads masked frames, writes unmasked ones */
    CIO_WEBSOCKET_CLIENT = 2, /* reads unmasked frames, writes masked ones */
} cio_websocket_role;

#define CIO_WEBSOCKET_DEFAULT_MAX_PAYLOAD (1024u * 1024) /* as Python's websockets max_size */
#define CIO_WEBSOCKET_MAX_HEADER          14
#define CIO_WEBSOCKET_MAX_CONTROL_PAYLOAD 125

/* Options for reading frames. NULL or a zeroed struct means every default. */
typedef struct cio_websocket_options {
    /* Largest payload of one frame (default 1 MiB); a longer one is refused
     * with -EMSGSIZE from its header, before any payload is read. Limiting a
     * whole fragmented message is the connection's job. */
    uint64_t max_payload;
    /* permessage-deflate (RFC 7692) was negotiated: RSV1 may be set on the
     * first frame of a data message. Otherwise every RSV bit is refused. */
    bool allow_rsv1;
} cio_websocket_options;

/* A frame header, as parsed or to be written. */
typedef struct cio_websocket_frame {
    bool fin;
    bool rsv1, rsv2, rsv3;
    uint8_t opcode;
    bool masked;
    uint8_t mask[4];      /* the masking key, when masked */
    uint64_t payload_len; /* bytes of payload after the header */
} cio_websocket_frame;

/* Parse the frame header at the start of buf[0 .. len - 1] (borrowed for the
 * call), as read by `role`, under opts (NULL: defaults). On success *frame
 * is written. Returns:
 *   2..14      the header length; frame->payload_len bytes of payload follow.
 *   0          need more bytes (a header is at most 14); call again with more.
 *   -EPROTO    a reserved opcode; an RSV bit not negotiated (RSV1 without
 *              allow_rsv1, or on a control or continuation frame); a control
 *              frame fragmented or with payload over 125; a length not in its
 *              shortest encoding; a 64-bit length with the top bit set; a
 *              frame from a client not masked, or from a server masked.
 *   -EMSGSIZE  payload_len over max_payload.
 *   -EINVAL    frame NULL, buf NULL with len > 0, or a bad role.
 * Any thread. */
CIO_EXPORT ssize_t cio_websocket_frame_parse(const void *buf, size_t len, cio_websocket_role role,
                                             const cio_websocket_options *opts,
                                             cio_websocket_frame *frame);

/* Write frame's header into buf[0 .. cap - 1]; returns its length (2..14).
 * If that is more than cap, nothing is written. The length takes its
 * shortest encoding. The caller masks the payload with the same key (see
 * cio_websocket_mask): a client sets masked and a fresh random mask, a server
 * leaves masked false. -EINVAL: a reserved opcode, a control frame not fin or
 * over 125 bytes, or a payload_len with the top bit set. Any thread. */
CIO_EXPORT ssize_t cio_websocket_frame_write_header(const cio_websocket_frame *frame, void *buf,
                                                    size_t cap);

/* XOR data[0 .. len - 1] in place with the masking key, the first byte
 * being payload byte number `offset` (so a payload handled in pieces is
 * (un)masked by passing the count done so far). Masking and unmasking are
 * the same operation. Any alignment; 8 bytes at a time. Any thread. */
CIO_EXPORT void cio_websocket_mask(void *data, size_t len, const uint8_t mask[4], uint64_t offset);

/* The close code to send for an error from this header: 1002 for -EPROTO,
 * 1009 for -EMSGSIZE, 1007 for -EILSEQ, 1011 (internal error) for anything
 * else. Any thread. */
CIO_EXPORT uint16_t cio_websocket_close_code_for(int err);

/* ---- Close payloads (RFC 6455 5.5.1, 7.4) -------------------------------------- */

/* A parsed close payload. reason borrows the payload (not NUL-terminated). */
typedef struct cio_websocket_close {
    uint16_t code; /* CIO_WEBSOCKET_CLOSE_NO_STATUS (1005) for an empty payload */
    const char *reason;
    size_t reason_len;
} cio_websocket_close;

/* True if code may be sent in a close frame: 1000-1003, 1007-1014 (the
 * RFC's and IANA's registered codes) and 3000-4999 (libraries and
 * applications). 1004-1006 and 1015 are reserved, the rest unassigned. */
CIO_EXPORT bool cio_websocket_close_code_valid(uint16_t code);

/* Parse a close frame's (unmasked) payload. On success *close is written.
 * Returns 0, -EPROTO (a 1-byte payload, over 125 bytes, or an invalid code)
 * or -EILSEQ (the reason is not UTF-8), -EINVAL (NULL close, or payload NULL
 * with len > 0). Any thread. */
CIO_EXPORT int cio_websocket_close_parse(const void *payload, size_t len,
                                         cio_websocket_close *close);

/* Write a close payload: code (big-endian) then reason. code 0 means no
 * code, an empty payload (then reason_len must be 0). Returns the length
 * (at most 125); if more than cap, nothing is written. -EINVAL: an invalid
 * code, a reason with no code, a payload over 125 bytes, or a reason that is
 * not UTF-8. Any thread. */
CIO_EXPORT ssize_t cio_websocket_close_write(uint16_t code, const char *reason, size_t reason_len,
                                             void *buf, size_t cap);

/* ---- UTF-8 validation (text messages, close reasons) ----------------------------
 * Incremental: a text message's fragments, or its payload in pieces, are
 * fed in order; a code point split across pieces is carried over. Refuses
 * overlong forms, surrogates (U+D800-DFFF), code points over U+10FFFF and
 * bytes 0xC0, 0xC1, 0xF5-0xFF, as soon as the offending byte is seen (RFC
 * 6455 8.1 asks to fail fast). A value: cio_websocket_utf8_init(), no
 * teardown. */
typedef struct cio_websocket_utf8 {
    uint8_t need;   /* continuation bytes still expected */
    uint8_t lo, hi; /* the range the next continuation byte must be in */
    bool failed;
} cio_websocket_utf8;

/* Start a new validation (a new text message). Any thread. */
CIO_EXPORT void cio_websocket_utf8_init(cio_websocket_utf8 *v);

/* Feed the next len bytes. Returns 0 (valid so far) or -EILSEQ (invalid; it
 * stays so until the next init), -EINVAL (v NULL, or data NULL with len > 0).
 * Any thread. */
CIO_EXPORT int cio_websocket_utf8_feed(cio_websocket_utf8 *v, const void *data, size_t len);

/* The message ended: returns 0 if everything fed was UTF-8, -EILSEQ if it was
 * not or a code point was cut short, -EINVAL for NULL. Any thread. */
CIO_EXPORT int cio_websocket_utf8_finish(const cio_websocket_utf8 *v);

/* True if data[0 .. len - 1] is UTF-8 as a whole. Any thread. */
CIO_EXPORT bool cio_websocket_utf8_valid(const void *data, size_t len);

/* ---- Handshake (RFC 6455 4.2.2) --------------------------------------------------- */

#define CIO_WEBSOCKET_ACCEPT_LEN 28 /* base64 of a SHA-1 digest */

/* The Sec-WebSocket-Accept value for a Sec-WebSocket-Key: base64(SHA-1(key
 * + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")), written to accept as 28
 * characters and a NUL. The key (borrowed for the call, without surrounding
 * spaces) must be the base64 of 16 bytes, as RFC 6455 4.1 requires: 24
 * characters ending in "==". Returns 0 or -EINVAL (a NULL argument or a key
 * of another shape; accept is then not written). A client checks the
 * server's answer by computing the value for the key it sent. Any thread. */
CIO_EXPORT int cio_websocket_accept(const char *key, size_t key_len,
                                    char accept[CIO_WEBSOCKET_ACCEPT_LEN + 1]);

#ifdef __cplusplus
}
#endif
#endif
