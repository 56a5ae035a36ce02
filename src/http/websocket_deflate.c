/* src/http/websocket_deflate.c - permessage-deflate (RFC 7692) with zlib:
 * the extension's negotiation, and compressing / inflating one message.
 *
 * Simplifications that the RFC allows and that cost only ratio: our
 * compressor starts afresh for every message (we always send
 * no_context_takeover for our side, so the peer may forget too), and our
 * inflater keeps its window (valid whether or not the peer resets). The
 * peer's window size needs no negotiation on our side: a 15-bit inflater
 * reads any smaller window. Inflating stops at max_message bytes: a small
 * message cannot blow up into a huge one (1009 instead).
 *
 * Without zlib (CIO_HAVE_ZLIB unset) the extension is never negotiated. */
#include "http/websocket.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#if CIO_HAVE_ZLIB
#include <zlib.h>

struct cio__websocket_deflate {
    z_stream out, in;
    int window_bits; /* our compressor's (the peer may ask for fewer) */
    bool out_ready, in_ready;
};

static const uint8_t TAIL[4] = {0x00, 0x00, 0xff, 0xff};

bool cio__websocket_deflate_available(void) {
    return true;
}

static int make(int window_bits, struct cio__websocket_deflate **out) {
    struct cio__websocket_deflate *z = calloc(1, sizeof *z);
    if (!z) return -ENOMEM;
    z->window_bits = window_bits;
    *out = z;
    return 0;
}

void cio__websocket_deflate_free(struct cio__websocket_deflate *z) {
    if (!z) return;
    if (z->out_ready) deflateEnd(&z->out);
    if (z->in_ready) inflateEnd(&z->in);
    free(z);
}

/* Compress data into *buf (grown as needed); *len the result, without the
 * 00 00 ff ff tail that the receiver adds back. 0, -ENOMEM, -EIO. */
int cio__websocket_deflate(struct cio__websocket_deflate *z, const void *data, size_t len,
                           char **buf, size_t *cap, size_t *out_len) {
    if (!z->out_ready) {
        if (deflateInit2(&z->out, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -z->window_bits, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK)
            return -ENOMEM;
        z->out_ready = true;
    } else if (deflateReset(&z->out) != Z_OK) {
        return -EIO;
    }
    size_t need = deflateBound(&z->out, (uLong)len) + 16;
    if (need > *cap) {
        char *bigger = realloc(*buf, need);
        if (!bigger) return -ENOMEM;
        *buf = bigger;
        *cap = need;
    }
    z->out.next_in = (Bytef *)data;
    z->out.avail_in = (uInt)len;
    z->out.next_out = (Bytef *)*buf;
    z->out.avail_out = (uInt)*cap;
    if (deflate(&z->out, Z_SYNC_FLUSH) != Z_OK || z->out.avail_in != 0) return -EIO;
    size_t n = *cap - z->out.avail_out;
    if (n >= 4 && memcmp(*buf + n - 4, TAIL, 4) == 0) n -= 4;
    *out_len = n;
    return 0;
}

/* Inflate one part of the input, growing *buf up to max bytes. A final
 * block (a peer may end its stream) resets the inflater for the next one. */
static int inflate_part(z_stream *s, const void *in, size_t n, char **buf, size_t *cap, size_t *len,
                        size_t max) {
    s->next_in = (Bytef *)in;
    s->avail_in = (uInt)n;
    for (;;) {
        if (*len == *cap) {
            size_t size = *cap ? *cap * 2 : 4096;
            char *bigger = realloc(*buf, size + 1); /* room for a NUL */
            if (!bigger) return -ENOMEM;
            *buf = bigger;
            *cap = size;
        }
        s->next_out = (Bytef *)*buf + *len;
        s->avail_out = (uInt)(*cap - *len);
        int rc = inflate(s, Z_SYNC_FLUSH);
        *len = *cap - s->avail_out;
        if (*len > max) return -EMSGSIZE;
        if (rc == Z_STREAM_END) return inflateReset(s) == Z_OK ? 0 : -EPROTO;
        if (rc != Z_OK && rc != Z_BUF_ERROR) return -EPROTO;
        if (s->avail_out > 0 && (s->avail_in == 0 || rc == Z_BUF_ERROR)) return 0;
    }
}

/* Inflate a whole message (the tail added back) into *buf, at most max
 * bytes (then -EMSGSIZE); a corrupt stream is -EPROTO. *buf has room for a
 * NUL after *out_len. */
int cio__websocket_inflate(struct cio__websocket_deflate *z, const void *data, size_t len,
                           size_t max, char **buf, size_t *cap, size_t *out_len) {
    if (!z->in_ready) {
        if (inflateInit2(&z->in, -15) != Z_OK) return -ENOMEM;
        z->in_ready = true;
    }
    size_t n = 0;
    int rc = inflate_part(&z->in, data, len, buf, cap, &n, max);
    if (rc == 0) rc = inflate_part(&z->in, TAIL, sizeof TAIL, buf, cap, &n, max);
    if (rc < 0) return rc;
    *out_len = n;
    return 0;
}

/* ---- negotiation --------------------------------------------------------------------- */

/* One extension offer "permessage-deflate; a; b=1": if we can take it,
 * write our answer and return our compressor's window bits; else 0. */
static int take_offer(const char *p, const char *end, char *answer, size_t cap) {
    int bits = 15;
    size_t n = strcspn(p, ";,");
    if (p + n > end) n = (size_t)(end - p);
    while (n && p[n - 1] == ' ') n--;
    if (n != 18 || strncasecmp(p, "permessage-deflate", 18) != 0) return 0;
    for (p += 18; p < end && *p == ';';) {
        p++;
        while (p < end && *p == ' ') p++;
        size_t pl = strcspn(p, ";,");
        if (p + pl > end) pl = (size_t)(end - p);
        if (strncasecmp(p, "server_max_window_bits=", 23) == 0) {
            bits = atoi(p + 23);
            if (bits < 9 || bits > 15) return 0; /* zlib cannot make 8-bit windows */
        } else if (strncasecmp(p, "client_max_window_bits", 22) != 0 &&
                   strncasecmp(p, "server_no_context_takeover", 26) != 0 &&
                   strncasecmp(p, "client_no_context_takeover", 26) != 0) {
            return 0;
        }
        p += pl;
    }
    snprintf(answer, cap, "permessage-deflate; server_no_context_takeover%s",
             bits < 15 ? "; server_max_window_bits=" : "");
    if (bits < 15) snprintf(answer + strlen(answer), cap - strlen(answer), "%d", bits);
    return bits;
}

int cio__websocket_deflate_accept(cio_http_slice offers, char *answer, size_t cap,
                                  struct cio__websocket_deflate **out) {
    char text[1024];
    if (offers.len >= sizeof text) return 0;
    memcpy(text, offers.ptr, offers.len);
    text[offers.len] = '\0';
    for (char *p = text; *p;) {
        while (*p == ' ' || *p == ',') p++;
        char *end = p;
        while (*end && *end != ',') end++;
        int bits = take_offer(p, end, answer, cap);
        if (bits) return make(bits, out) < 0 ? -ENOMEM : 1;
        p = end;
    }
    return 0;
}

const char *cio__websocket_deflate_offer(void) {
    return "permessage-deflate; client_max_window_bits";
}

int cio__websocket_deflate_confirm(cio_http_slice answer, struct cio__websocket_deflate **out) {
    char text[512];
    if (answer.len >= sizeof text) return -EPROTO;
    memcpy(text, answer.ptr, answer.len);
    text[answer.len] = '\0';
    char *p = text;
    while (*p == ' ') p++;
    if (strncasecmp(p, "permessage-deflate", 18) != 0 || strchr(p, ',')) return -EPROTO;
    int bits = 15;
    const char *cb = strcasestr(p, "client_max_window_bits=");
    if (cb) bits = atoi(cb + 23);
    if (bits < 9 || bits > 15) return -EPROTO;
    return make(bits, out);
}

#else /* no zlib */

bool cio__websocket_deflate_available(void) {
    return false;
}

void cio__websocket_deflate_free(struct cio__websocket_deflate *z) {
    (void)z;
}

int cio__websocket_deflate(struct cio__websocket_deflate *z, const void *data, size_t len,
                           char **buf, size_t *cap, size_t *out_len) {
    (void)z, (void)data, (void)len, (void)buf, (void)cap, (void)out_len;
    return -ENOTSUP;
}

int cio__websocket_inflate(struct cio__websocket_deflate *z, const void *data, size_t len,
                           size_t max, char **buf, size_t *cap, size_t *out_len) {
    (void)z, (void)data, (void)len, (void)max, (void)buf, (void)cap, (void)out_len;
    return -EPROTO;
}

int cio__websocket_deflate_accept(cio_http_slice offers, char *answer, size_t cap,
                                  struct cio__websocket_deflate **out) {
    (void)offers, (void)answer, (void)cap, (void)out;
    return 0;
}

const char *cio__websocket_deflate_offer(void) {
    return NULL;
}

int cio__websocket_deflate_confirm(cio_http_slice answer, struct cio__websocket_deflate **out) {
    (void)answer, (void)out;
    return -EPROTO;
}

#endif
