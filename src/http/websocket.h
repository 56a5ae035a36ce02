/* Internals of the WebSocket code shared with its tests. */
#ifndef CIO_HTTP_WEBSOCKET_H
#define CIO_HTTP_WEBSOCKET_H

#include <stddef.h>
#include <stdint.h>

/* SHA-1 (FIPS 180-4) of data[0 .. len - 1] into digest. */
void cio__websocket_sha1(const void *data, size_t len, uint8_t digest[20]);

/* Standard base64 (RFC 4648, with padding) of data into out, which gets
 * 4 * ((len + 2) / 3) characters and a NUL. */
void cio__websocket_base64(const uint8_t *data, size_t len, char *out);

/* ---- connections (websocket.c, websocket_handshake.c) ---------------------------- */

#include <cio/websocket.h>

#define CIO__WEBSOCKET_MAGIC 0x63696f57u /* "cioW" */
#define CIO__WEBSOCKET_RBUF  4096u

struct cio_websocket {
    uint32_t magic;
    cio_websocket_role role;
    cio_stream *stream;
    bool owns_stream; /* a client's: closed and freed with the connection */
    bool receiving;   /* a task is in receive */
    bool close_sent, close_received, closed;
    cio_websocket_open_options opts;
    uint16_t close_code;
    char close_reason[124];
    /* Raw bytes read ahead: rbuf[rstart .. rstart + rlen). */
    char rbuf[CIO__WEBSOCKET_RBUF];
    size_t rstart, rlen;
    /* The message being reassembled. */
    char *msg;
    size_t msg_len, msg_cap;
    int msg_type; /* 0: between messages */
    cio_websocket_utf8 utf8;
    /* A client's masked copy of what it sends. */
    char *scratch;
    size_t scratch_cap;
    /* permessage-deflate, when negotiated: the codec, whether the message
     * being read is compressed, and the (de)compressed bytes. */
    struct cio__websocket_deflate *z;
    bool msg_compressed;
    char *zbuf;
    size_t zcap;
};

/* ---- permessage-deflate (websocket_deflate.c; stubs without zlib) ---------------- */

struct cio__websocket_deflate;
bool cio__websocket_deflate_available(void);
void cio__websocket_deflate_free(struct cio__websocket_deflate *z);
/* Compress a message into *buf (grown); *out_len without the 00 00 ff ff tail. */
int cio__websocket_deflate(struct cio__websocket_deflate *z, const void *data, size_t len,
                           char **buf, size_t *cap, size_t *out_len);
/* Inflate a message into *buf (room for a NUL after it); over max: -EMSGSIZE;
 * corrupt: -EPROTO. */
int cio__websocket_inflate(struct cio__websocket_deflate *z, const void *data, size_t len,
                           size_t max, char **buf, size_t *cap, size_t *out_len);
/* Server: take the first offer in Sec-WebSocket-Extensions we can; 1 with
 * the answer's value written and *out made, 0 for none, -ENOMEM. */
int cio__websocket_deflate_accept(cio_http_slice offers, char *answer, size_t cap,
                                  struct cio__websocket_deflate **out);
/* Client: the offer to send (NULL: none), and the check of the answer. */
const char *cio__websocket_deflate_offer(void);
int cio__websocket_deflate_confirm(cio_http_slice answer, struct cio__websocket_deflate **out);

/* A new connection on stream (not yet holding any bytes); opts may be NULL. */
int cio__websocket_new(cio_stream *stream, cio_websocket_role role,
                       const cio_websocket_open_options *opts, cio_websocket **out);

#endif
