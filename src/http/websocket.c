/* src/http/websocket.c - a WebSocket connection after its handshake:
 * receiving (frames parsed from a read-ahead buffer, payloads copied into
 * the message being reassembled, pings answered, the close handshake),
 * sending (one writev per frame, then drain), closing.
 *
 * A refused frame or message ends the connection: the close code for the
 * error is sent, the stream closed, and receive returns the error. Masking
 * follows the role: a client masks a copy of what it sends (the caller's
 * bytes are const), a server never masks; a frame masked the wrong way is
 * refused by the frame parser. */
#include "http/websocket.h"

#include "core/core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define DEFAULT_MAX_MESSAGE   (1024u * 1024u)
#define DEFAULT_CLOSE_TIMEOUT 5.0
#define DEFLATE_MIN           64 /* shorter messages go uncompressed: no gain */

static bool valid(const cio_websocket *ws) {
    return ws && ws->magic == CIO__WEBSOCKET_MAGIC;
}

int cio__websocket_new(cio_stream *stream, cio_websocket_role role,
                       const cio_websocket_open_options *opts, cio_websocket **out) {
    cio_websocket *ws = calloc(1, sizeof *ws);
    if (!ws) return -ENOMEM;
    ws->magic = CIO__WEBSOCKET_MAGIC;
    ws->role = role;
    ws->stream = stream;
    if (opts) ws->opts = *opts;
    if (ws->opts.max_message == 0) ws->opts.max_message = DEFAULT_MAX_MESSAGE;
    if (!(ws->opts.close_timeout > 0)) ws->opts.close_timeout = DEFAULT_CLOSE_TIMEOUT;
    *out = ws;
    return 0;
}

/* ---- sending ----------------------------------------------------------------------------- */

static int grow(char **buf, size_t *cap, size_t need) {
    if (need <= *cap) return 0;
    size_t size = *cap ? *cap : 4096;
    while (size < need) size *= 2;
    char *bigger = realloc(*buf, size);
    if (!bigger) return -ENOMEM;
    *buf = bigger;
    *cap = size;
    return 0;
}

/* One frame: header and payload in one writev (a client's payload masked
 * in its scratch copy). No drain: the caller decides. */
static int write_frame(cio_websocket *ws, int opcode, bool fin, bool rsv1, const void *data,
                       size_t len) {
    cio_websocket_frame f = {
        .fin = fin, .rsv1 = rsv1, .opcode = (uint8_t)opcode, .payload_len = len};
    if (ws->role == CIO_WEBSOCKET_CLIENT) {
        f.masked = true;
        if (getrandom(f.mask, sizeof f.mask, 0) != sizeof f.mask) return -EIO;
        int rc = grow(&ws->scratch, &ws->scratch_cap, len);
        if (rc < 0) return rc;
        if (len) memcpy(ws->scratch, data, len);
        cio_websocket_mask(ws->scratch, len, f.mask, 0);
        data = ws->scratch;
    }
    char head[CIO_WEBSOCKET_MAX_HEADER];
    ssize_t hl = cio_websocket_frame_write_header(&f, head, sizeof head);
    if (hl < 0) return (int)hl;
    struct iovec iov[2] = {{head, (size_t)hl}, {(void *)data, len}};
    return cio_stream_writev(ws->stream, iov, len ? 2 : 1);
}

static int check_send(const cio_websocket *ws, int type, const void *data, size_t len) {
    if (!valid(ws) || (!data && len)) return -EINVAL;
    if (type != CIO_WEBSOCKET_TEXT && type != CIO_WEBSOCKET_BINARY) return -EINVAL;
    if (ws->close_sent || ws->close_received || ws->closed) return -CIO_ECLOSED;
    if (type == CIO_WEBSOCKET_TEXT && !cio_websocket_utf8_valid(data, len)) return -EINVAL;
    return 0;
}

/* A whole message in one frame: compressed (RSV1) when permessage-deflate
 * was negotiated and the message is long enough to gain from it. */
static int send_message(cio_websocket *ws, int type, const void *data, size_t len) {
    if (!ws->z || len < DEFLATE_MIN) return write_frame(ws, type, true, false, data, len);
    size_t n;
    int rc = cio__websocket_deflate(ws->z, data, len, &ws->zbuf, &ws->zcap, &n);
    return rc < 0 ? rc : write_frame(ws, type, true, true, ws->zbuf, n);
}

int cio_websocket_send(cio_websocket *ws, int type, const void *data, size_t len) {
    int rc = check_send(ws, type, data, len);
    if (rc == 0) rc = send_message(ws, type, data, len);
    return rc == 0 ? cio_stream_drain(ws->stream) : rc;
}

int cio_websocket_send_fragmented(cio_websocket *ws, int type, const void *data, size_t len,
                                  size_t fragment) {
    int rc = check_send(ws, type, data, len);
    if (rc < 0 || fragment == 0) return rc < 0 ? rc : -EINVAL;
    size_t done = 0;
    do {
        size_t n = len - done < fragment ? len - done : fragment;
        int opcode = done == 0 ? type : CIO_WEBSOCKET_CONTINUATION;
        rc = write_frame(ws, opcode, done + n == len, false, (const char *)data + done, n);
        if (rc == 0) rc = cio_stream_drain(ws->stream);
        done += n;
    } while (rc == 0 && done < len);
    return rc;
}

int cio_websocket_ping(cio_websocket *ws, const void *data, size_t len) {
    if (!valid(ws) || (!data && len) || len > CIO_WEBSOCKET_MAX_CONTROL_PAYLOAD) return -EINVAL;
    if (ws->close_sent || ws->closed) return -CIO_ECLOSED;
    int rc = write_frame(ws, CIO_WEBSOCKET_PING, true, false, data, len);
    return rc == 0 ? cio_stream_drain(ws->stream) : rc;
}

static int send_close(cio_websocket *ws, uint16_t code, const char *reason, size_t reason_len) {
    char payload[CIO_WEBSOCKET_MAX_CONTROL_PAYLOAD];
    ssize_t n = cio_websocket_close_write(code, reason, reason_len, payload, sizeof payload);
    if (n < 0) return (int)n;
    ws->close_sent = true;
    return write_frame(ws, CIO_WEBSOCKET_CLOSE, true, false, payload, (size_t)n);
}

/* The TCP connection ends: a server closes first (RFC 6455 7.1.1); a
 * client's stream is closed too, it is the client's own. */
static void shut(cio_websocket *ws) {
    if (ws->closed) return;
    ws->closed = true;
    cio_stream_close(ws->stream);
}

/* Refuse the peer's data: send the close code for err, close, return err. */
static int fail(cio_websocket *ws, int err) {
    uint16_t code = cio_websocket_close_code_for(err);
    if (!ws->close_sent && !ws->closed) send_close(ws, code, NULL, 0);
    ws->close_code = code;
    shut(ws);
    return err;
}

/* ---- receiving ---------------------------------------------------------------------------- */

/* Have at least need bytes read ahead (need <= the buffer). */
static int fill(cio_websocket *ws, size_t need) {
    if (ws->rlen >= need) return 0;
    if (ws->rstart + need > sizeof ws->rbuf) {
        memmove(ws->rbuf, ws->rbuf + ws->rstart, ws->rlen);
        ws->rstart = 0;
    }
    while (ws->rlen < need) {
        size_t end = ws->rstart + ws->rlen;
        ssize_t got = cio_stream_read(ws->stream, ws->rbuf + end, sizeof ws->rbuf - end);
        if (got == 0) return -CIO_EINCOMPLETE;
        if (got < 0) return (int)got;
        ws->rlen += (size_t)got;
    }
    return 0;
}

/* Copy n payload bytes to dst: what was read ahead, then from the stream. */
static int take(cio_websocket *ws, char *dst, size_t n) {
    size_t have = ws->rlen < n ? ws->rlen : n;
    memcpy(dst, ws->rbuf + ws->rstart, have);
    ws->rstart += have;
    ws->rlen -= have;
    if (ws->rlen == 0) ws->rstart = 0;
    return have == n ? 0 : cio_stream_readexactly(ws->stream, dst + have, n - have, NULL);
}

static int read_header(cio_websocket *ws, cio_websocket_frame *f) {
    cio_websocket_options fo = {.max_payload = ws->opts.max_message, .allow_rsv1 = ws->z != NULL};
    for (size_t need = 2;; need = ws->rlen + 1) {
        int rc = fill(ws, need);
        if (rc < 0) return rc;
        ssize_t h = cio_websocket_frame_parse(ws->rbuf + ws->rstart, ws->rlen, ws->role, &fo, f);
        if (h < 0) return fail(ws, (int)h);
        if (h > 0) {
            ws->rstart += (size_t)h;
            ws->rlen -= (size_t)h;
            return 0;
        }
    }
}

/* The peer's close frame: record its code, answer it, close. */
static int on_close(cio_websocket *ws, const char *payload, size_t len) {
    cio_websocket_close c;
    int rc = cio_websocket_close_parse(payload, len, &c);
    if (rc < 0) return fail(ws, rc);
    ws->close_received = true;
    ws->close_code = c.code;
    memcpy(ws->close_reason, c.reason, c.reason_len);
    ws->close_reason[c.reason_len] = '\0';
    if (!ws->close_sent) /* echo the code (RFC 6455 5.5.1) */
        send_close(ws, c.code == CIO_WEBSOCKET_CLOSE_NO_STATUS ? 0 : c.code, NULL, 0);
    shut(ws);
    return -CIO_ECLOSED;
}

static int on_control(cio_websocket *ws, const cio_websocket_frame *f) {
    char payload[CIO_WEBSOCKET_MAX_CONTROL_PAYLOAD];
    size_t len = (size_t)f->payload_len;
    int rc = take(ws, payload, len);
    if (rc < 0) return rc;
    if (f->masked) cio_websocket_mask(payload, len, f->mask, 0);
    if (f->opcode == CIO_WEBSOCKET_CLOSE) return on_close(ws, payload, len);
    if (f->opcode == CIO_WEBSOCKET_PING && !ws->close_sent) {
        rc = write_frame(ws, CIO_WEBSOCKET_PONG, true, false, payload, len);
        if (rc == 0) rc = cio_stream_drain(ws->stream);
    }
    return rc;
}

/* The compressed message in msg becomes the inflated one (the buffers
 * swap), at most max_message bytes. */
static int inflate_message(cio_websocket *ws) {
    size_t n;
    int rc = cio__websocket_inflate(ws->z, ws->msg, ws->msg_len, ws->opts.max_message, &ws->zbuf,
                                    &ws->zcap, &n);
    if (rc < 0) return rc;
    char *inflated = ws->zbuf;
    size_t cap = ws->zcap;
    ws->zbuf = ws->msg;
    ws->zcap = ws->msg_cap;
    ws->msg = inflated;
    ws->msg_cap = cap;
    ws->msg_len = n;
    return 0;
}

/* A data frame: append its payload to the message. 1 when the message is
 * complete, 0 for more fragments, < 0 an error. */
static int on_data(cio_websocket *ws, const cio_websocket_frame *f) {
    bool continuation = f->opcode == CIO_WEBSOCKET_CONTINUATION;
    if (continuation != (ws->msg_type != 0)) return fail(ws, -EPROTO);
    if (!continuation) {
        ws->msg_type = f->opcode;
        ws->msg_len = 0;
        ws->msg_compressed = f->rsv1;
        cio_websocket_utf8_init(&ws->utf8);
    }
    if (f->payload_len > ws->opts.max_message - ws->msg_len) return fail(ws, -EMSGSIZE);
    size_t len = (size_t)f->payload_len;
    int rc = grow(&ws->msg, &ws->msg_cap, ws->msg_len + len + 1);
    if (rc < 0) return fail(ws, rc);
    char *dst = ws->msg + ws->msg_len;
    if ((rc = take(ws, dst, len)) < 0) return rc;
    if (f->masked) cio_websocket_mask(dst, len, f->mask, 0);
    ws->msg_len += len;
    bool text = ws->msg_type == CIO_WEBSOCKET_TEXT;
    if (text && !ws->msg_compressed && cio_websocket_utf8_feed(&ws->utf8, dst, len) < 0)
        return fail(ws, -EILSEQ);
    if (!f->fin) return 0;
    if (ws->msg_compressed && (rc = inflate_message(ws)) < 0) return fail(ws, rc);
    if (text && ws->msg_compressed && cio_websocket_utf8_feed(&ws->utf8, ws->msg, ws->msg_len) < 0)
        return fail(ws, -EILSEQ);
    if (text && cio_websocket_utf8_finish(&ws->utf8) < 0) return fail(ws, -EILSEQ);
    ws->msg[ws->msg_len] = '\0';
    return 1;
}

/* Frames until a whole message (1), or an end (< 0). */
static int next_message(cio_websocket *ws) {
    for (;;) {
        cio_websocket_frame f;
        int rc = read_header(ws, &f);
        if (rc == 0) rc = f.opcode >= CIO_WEBSOCKET_CLOSE ? on_control(ws, &f) : on_data(ws, &f);
        if (rc == -CIO_EINCOMPLETE && !ws->close_code)
            ws->close_code = CIO_WEBSOCKET_CLOSE_ABNORMAL;
        if (rc != 0) return rc;
    }
}

int cio_websocket_receive(cio_websocket *ws, cio_websocket_message *msg) {
    if (!cio__task_current_or_complain("cio_websocket_receive")) return -EPERM;
    if (!valid(ws) || !msg) return -EINVAL;
    if (ws->receiving) return -EBUSY;
    if (ws->closed || ws->close_received) return -CIO_ECLOSED;
    ws->receiving = true;
    ws->msg_type = 0;
    int rc = next_message(ws);
    ws->receiving = false;
    if (rc == -CIO_ECLOSED && ws->closed && !ws->close_received && ws->close_code == 0)
        ws->close_code = CIO_WEBSOCKET_CLOSE_ABNORMAL;
    if (rc != 1) return rc;
    *msg = (cio_websocket_message){ws->msg_type, ws->msg, ws->msg_len};
    ws->msg_type = 0;
    return 0;
}

/* ---- closing -------------------------------------------------------------------------------- */

int cio_websocket_shutdown(cio_websocket *ws, uint16_t code, const char *reason) {
    if (!valid(ws)) return -EINVAL;
    if (ws->close_sent || ws->closed) return -CIO_ECLOSED;
    int rc = send_close(ws, code, reason, reason ? strlen(reason) : 0);
    if (rc < 0) return rc;
    if (ws->receiving) return 0; /* the receiving task sees the reply */
    cio_timeout scope;
    cio_timeout_begin(&scope, ws->opts.close_timeout);
    cio_websocket_message msg;
    while (!ws->closed && cio_websocket_receive(ws, &msg) == 0) continue;
    cio_timeout_end(&scope);
    shut(ws);
    return 0;
}

uint16_t cio_websocket_close_code(const cio_websocket *ws) {
    return valid(ws) ? ws->close_code : 0;
}

const char *cio_websocket_close_reason(const cio_websocket *ws) {
    return valid(ws) ? ws->close_reason : "";
}

void cio_websocket_free(cio_websocket *ws) {
    if (!ws) return;
    if (!valid(ws)) {
        cio__complain("cio_websocket_free: invalid or freed connection %p", (void *)ws);
        return;
    }
    if (!ws->close_sent && !ws->closed) send_close(ws, CIO_WEBSOCKET_CLOSE_NORMAL, NULL, 0);
    shut(ws);
    if (ws->owns_stream) cio_stream_free(ws->stream);
    ws->magic = 0;
    free(ws->msg);
    free(ws->scratch);
    free(ws->zbuf);
    cio__websocket_deflate_free(ws->z);
    free(ws);
}
