/* cio/websocket.h - WebSocket connections (RFC 6455) on cio streams: the
 * server upgrade from an HTTP handler, a client connect, messages.
 *
 *     static void chat(cio_http_request *req, cio_http_response *res, void *arg) {
 *         cio_websocket *ws;
 *         if (cio_websocket_accept_upgrade(req, res, NULL, &ws) < 0) return; // 400 sent
 *         cio_websocket_message msg;
 *         while (cio_websocket_receive(ws, &msg) == 0)                       // an await
 *             cio_websocket_send(ws, msg.type, msg.data, msg.len);           // echo
 *         cio_websocket_free(ws);
 *     }
 *
 * Messages arrive whole: fragments are reassembled (up to max_message bytes,
 * else the connection is closed with 1009), text is checked to be UTF-8
 * (else 1007), pings are answered with pongs inside receive, a close frame
 * is answered and ends the receive loop. Frames from a client must be
 * masked and from a server not (else 1002); sending masks as the role
 * requires. Sending is one write per frame followed by a drain, so a slow
 * peer holds the sender back (backpressure), and tasks other than the
 * reader may send (frames never interleave). permessage-deflate is
 * negotiated when the options ask for it. The codec is
 * cio/websocket_frame.h; see docs/websockets.md.
 *
 * Threads: loop thread only; the suspending calls inside a task. One task
 * receives at a time (a second gets -EBUSY). */
#ifndef CIO_WEBSOCKET_H
#define CIO_WEBSOCKET_H

#include "http_server.h"
#include "websocket_frame.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cio_websocket cio_websocket;

/* Options of a connection; zero-initialise (0: the default). */
typedef struct cio_websocket_open_options {
    size_t max_message;   /* largest message, fragments together: 1 MiB (over: 1009) */
    double close_timeout; /* seconds to wait for the peer's close reply: 5 */
    /* Negotiate permessage-deflate (RFC 7692; needs cio built with zlib):
     * a server accepts a client's offer, a client offers it. Messages of 64
     * bytes and more are then sent compressed; compressed messages are
     * inflated up to max_message (past it: 1009). */
    bool permessage_deflate;
} cio_websocket_open_options;

/* A received message: data borrows the connection's buffer until the next
 * receive (it is followed by a NUL, for text). */
typedef struct cio_websocket_message {
    int type; /* CIO_WEBSOCKET_TEXT or CIO_WEBSOCKET_BINARY */
    char *data;
    size_t len;
} cio_websocket_message;

/* In an HTTP handler: check the request is a WebSocket upgrade (GET,
 * Upgrade: websocket, Connection: upgrade, Sec-WebSocket-Version: 13, a
 * valid Sec-WebSocket-Key) and answer 101. On success *out is a connection
 * on the request's stream, for the rest of the handler (the HTTP connection
 * ends when the handler returns); free it before returning. Not an upgrade:
 * 400 (426 with the version we speak, for another version) is answered and
 * -EPROTO returned. Also -EALREADY (an answer was started), -ENOMEM,
 * -EINVAL, and the stream's write errors. */
CIO_EXPORT int cio_websocket_accept_upgrade(cio_http_request *req, cio_http_response *res,
                                            const cio_websocket_open_options *opts,
                                            cio_websocket **out);

/* Connect to url ("ws://host[:port][/path][?query]"; port 80 by default) and
 * do the opening handshake. Inside a task. On success *out is the caller's
 * connection. Returns 0, the errors of cio_open_connection, -EPROTO (the
 * server did not answer 101 with the right Sec-WebSocket-Accept),
 * -CIO_EINCOMPLETE (it closed first), -ENOTSUP (wss://: TLS is not there
 * yet), -EINVAL (a malformed url), -ENOMEM. */
CIO_EXPORT int cio_websocket_connect(const char *url, const cio_websocket_open_options *opts,
                                     cio_websocket **out);

/* Wait for the next message (an await). Returns 0 with *msg, or:
 *   -CIO_ECLOSED  the closing handshake happened (by the peer, or by
 *                 cio_websocket_shutdown); cio_websocket_close_code() tells the code;
 *   -EPROTO (1002 sent), -EMSGSIZE (1009), -EILSEQ (1007): the peer broke
 *                 the protocol; we sent that close code and closed;
 *   -CIO_EINCOMPLETE  the peer went away without a close frame (1006);
 *   -EBUSY (another task receives), -ECANCELED, -ETIMEDOUT, -EINVAL, the
 *   stream's errors. */
CIO_EXPORT int cio_websocket_receive(cio_websocket *ws, cio_websocket_message *msg);

/* Send one message: type CIO_WEBSOCKET_TEXT (data must be UTF-8) or
 * CIO_WEBSOCKET_BINARY, as one frame, then drain. Returns 0, -CIO_ECLOSED
 * (a close frame was sent or received), -EINVAL (bad type, text that is not
 * UTF-8, NULL data with len), -ENOMEM, the stream's errors. */
CIO_EXPORT int cio_websocket_send(cio_websocket *ws, int type, const void *data, size_t len);

/* Send a message as fragments of at most fragment bytes each (for tests of
 * peers and for very large messages). Errors as cio_websocket_send. */
CIO_EXPORT int cio_websocket_send_fragmented(cio_websocket *ws, int type, const void *data,
                                             size_t len, size_t fragment);

/* Send a ping with up to 125 bytes of payload (the pong is consumed by
 * receive). Returns 0, -EINVAL (over 125), -CIO_ECLOSED, the stream's errors. */
CIO_EXPORT int cio_websocket_ping(cio_websocket *ws, const void *data, size_t len);

/* Start the closing handshake with code (0: none) and a UTF-8 reason (NULL:
 * none; at most 123 bytes). If no task is receiving, wait (up to
 * close_timeout) for the peer's close frame, dropping messages, and close
 * the connection; else the receiving task sees the reply and gets
 * -CIO_ECLOSED. Returns 0, -CIO_ECLOSED (already closing), -EINVAL (an
 * invalid code or reason), the stream's errors. */
CIO_EXPORT int cio_websocket_shutdown(cio_websocket *ws, uint16_t code, const char *reason);

/* The close code the peer sent (CIO_WEBSOCKET_CLOSE_NO_STATUS for none,
 * CIO_WEBSOCKET_CLOSE_ABNORMAL when it went away without one), or, after
 * we refused its data, the code we sent; 0 while open. The reason is
 * NUL-terminated and borrowed ("" if none). */
CIO_EXPORT uint16_t cio_websocket_close_code(const cio_websocket *ws);
CIO_EXPORT const char *cio_websocket_close_reason(const cio_websocket *ws);

/* Release the connection: a client's stream is closed (with 1000 first if
 * the handshake did not happen: no wait); a server's stays the HTTP
 * connection's, which closes it after the handler. NULL: no-op. Another
 * task may be waiting in cio_websocket_send's drain (it no longer touches
 * ws there: it returns the stream's error), but not in any other call on
 * ws (send_fragmented, ping, shutdown, receive). */
CIO_EXPORT void cio_websocket_free(cio_websocket *ws);

#ifdef __cplusplus
}
#endif
#endif
