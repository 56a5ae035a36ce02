/* src/http/websocket_handshake.c - the opening handshake (RFC 6455 4):
 * the server's answer to an upgrade request in an HTTP handler, and the
 * client's request and the check of the server's answer, parsed with the
 * HTTP parser's response side. */
#include "http/websocket.h"

#include "core/core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#define KEY_LEN 24 /* base64 of 16 bytes */

/* True if the comma-separated list value holds token (case-insensitive). */
static bool list_has(cio_http_slice value, const char *token) {
    size_t tl = strlen(token);
    const char *p = value.ptr, *end = value.ptr + value.len;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == ',')) p++;
        const char *start = p;
        while (p < end && *p != ',') p++;
        const char *stop = p;
        while (stop > start && (stop[-1] == ' ' || stop[-1] == '\t')) stop--;
        if ((size_t)(stop - start) == tl && strncasecmp(start, token, tl) == 0) return true;
    }
    return false;
}

static bool header_has(const cio_http_head *head, const char *name, const char *token) {
    for (size_t i = 0; i < head->nheaders; i++) {
        const cio_http_header *h = &head->headers[i];
        if (h->name.len == strlen(name) && strncasecmp(h->name.ptr, name, h->name.len) == 0 &&
            list_has(h->value, token))
            return true;
    }
    return false;
}

/* ---- server -----------------------------------------------------------------------------------
 */

static int refuse(cio_http_response *res, int status) {
    if (status == 426) cio_http_response_add_header(res, "Sec-WebSocket-Version", "13");
    cio_http_response_add_header(res, "Content-Type", "text/plain");
    const char *text = status == 426 ? "WebSocket version 13 required" : "Not a WebSocket upgrade";
    cio_http_response_send(res, status, text, strlen(text));
    return -EPROTO;
}

int cio_websocket_accept_upgrade(cio_http_request *req, cio_http_response *res,
                                 const cio_websocket_open_options *opts, cio_websocket **out) {
    if (!req || !res || !out) return -EINVAL;
    if (cio_http_response_started(res)) return -EALREADY;
    const cio_http_head *head = cio_http_request_head(req);
    cio_http_slice key, version;
    if (!cio_http_request_is(req, "GET") || head->version != 1 ||
        !header_has(head, "Upgrade", "websocket") || !header_has(head, "Connection", "upgrade") ||
        cio_http_request_header(req, "Sec-WebSocket-Key", &key) != 0)
        return refuse(res, 400);
    if (cio_http_request_header(req, "Sec-WebSocket-Version", &version) != 0 || version.len != 2 ||
        memcmp(version.ptr, "13", 2) != 0)
        return refuse(res, 426);
    char accept[CIO_WEBSOCKET_ACCEPT_LEN + 1];
    if (cio_websocket_accept(key.ptr, key.len, accept) < 0) return refuse(res, 400);
    cio_websocket *ws;
    int rc = cio__websocket_new(cio_http_request_stream(req), CIO_WEBSOCKET_SERVER, opts, &ws);
    if (rc < 0) return rc;
    cio_http_response_add_header(res, "Upgrade", "websocket");
    cio_http_response_add_header(res, "Connection", "Upgrade");
    cio_http_response_add_header(res, "Sec-WebSocket-Accept", accept);
    cio_http_slice offers;
    char answer[128];
    if (opts && opts->permessage_deflate &&
        cio_http_request_header(req, "Sec-WebSocket-Extensions", &offers) == 0 &&
        cio__websocket_deflate_accept(offers, answer, sizeof answer, &ws->z) == 1)
        cio_http_response_add_header(res, "Sec-WebSocket-Extensions", answer);
    if ((rc = cio_http_response_send(res, 101, NULL, 0)) < 0) {
        ws->magic = 0;
        cio__websocket_deflate_free(ws->z);
        free(ws);
        return rc;
    }
    /* What the client sent after its request belongs to the new protocol. */
    const char *early;
    size_t n = cio_http_request_take_buffered(req, &early);
    if (n > sizeof ws->rbuf) n = sizeof ws->rbuf; /* a client cannot send that much before 101 */
    memcpy(ws->rbuf, early, n);
    ws->rlen = n;
    *out = ws;
    return 0;
}

/* ---- client -----------------------------------------------------------------------------------
 */

struct url {
    char host[256];
    int port;
    const char *path; /* borrowed from the url; "/" if none */
};

static int parse_url(const char *url, struct url *u) {
    if (strncmp(url, "wss://", 6) == 0) return -ENOTSUP;
    if (strncmp(url, "ws://", 5) != 0) return -EINVAL;
    const char *host = url + 5, *end = host + strcspn(host, "/?");
    const char *colon =
        host[0] == '[' ? strchr(host, ']') : memchr(host, ':', (size_t)(end - host));
    const char *host_end = colon && colon < end ? colon : end;
    if (host[0] == '[') host++;
    if (host_end <= host || (size_t)(host_end - host) >= sizeof u->host) return -EINVAL;
    memcpy(u->host, host, (size_t)(host_end - host));
    u->host[host_end - host] = '\0';
    if (host_end < end && *host_end == ']') host_end++;
    u->port = 80;
    if (host_end < end && *host_end == ':') {
        char *stop;
        long port = strtol(host_end + 1, &stop, 10);
        if (stop != end || port <= 0 || port > 65535) return -EINVAL;
        u->port = (int)port;
    }
    u->path = *end ? end : "/";
    return 0;
}

static int send_request(cio_stream *stream, const struct url *u, const char *extensions,
                        char key[KEY_LEN + 1]) {
    uint8_t nonce[16];
    if (getrandom(nonce, sizeof nonce, 0) != sizeof nonce) return -EIO;
    cio__websocket_base64(nonce, sizeof nonce, key);
    char req[2048];
    int n = snprintf(req, sizeof req,
                     "GET %s%s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                     "Sec-WebSocket-Version: 13\r\n%s%s%s\r\n",
                     u->path[0] == '?' ? "/" : "", u->path, u->host, u->port, key,
                     extensions ? "Sec-WebSocket-Extensions: " : "", extensions ? extensions : "",
                     extensions ? "\r\n" : "");
    if (n < 0 || (size_t)n >= sizeof req) return -EINVAL;
    return cio_stream_write(stream, req, (size_t)n);
}

/* Read the server's answer into ws's buffer and check it; what follows the
 * head stays there (the first frames). */
static int read_answer(cio_websocket *ws, const char *key, bool offered) {
    cio_http_header slots[32];
    cio_http_parser parser;
    cio_http_head head;
    cio_http_parser_init(&parser, CIO_HTTP_RESPONSE, slots, 32, NULL);
    ssize_t used;
    while ((used = cio_http_parser_parse(&parser, ws->rbuf, ws->rlen, &head)) == -EAGAIN) {
        if (ws->rlen == sizeof ws->rbuf) return -EPROTO;
        ssize_t got = cio_stream_read(ws->stream, ws->rbuf + ws->rlen, sizeof ws->rbuf - ws->rlen);
        if (got <= 0) return got == 0 ? -CIO_EINCOMPLETE : (int)got;
        ws->rlen += (size_t)got;
    }
    if (used < 0) return -EPROTO;
    char want[CIO_WEBSOCKET_ACCEPT_LEN + 1];
    cio_http_slice accept;
    cio_websocket_accept(key, KEY_LEN, want);
    if (head.status != 101 || !header_has(&head, "Upgrade", "websocket") ||
        !header_has(&head, "Connection", "upgrade") ||
        cio_http_head_find(&head, "Sec-WebSocket-Accept", &accept) != 0 ||
        accept.len != CIO_WEBSOCKET_ACCEPT_LEN || memcmp(accept.ptr, want, accept.len) != 0)
        return -EPROTO;
    cio_http_slice ext;
    if (cio_http_head_find(&head, "Sec-WebSocket-Extensions", &ext) == 0 &&
        (!offered || cio__websocket_deflate_confirm(ext, &ws->z) < 0))
        return -EPROTO; /* an extension we did not offer, or cannot speak */
    ws->rstart = (size_t)used;
    ws->rlen -= (size_t)used;
    return 0;
}

int cio_websocket_connect(const char *url, const cio_websocket_open_options *opts,
                          cio_websocket **out) {
    if (!cio__task_current_or_complain("cio_websocket_connect")) return -EPERM;
    if (!url || !out) return -EINVAL;
    struct url u;
    int rc = parse_url(url, &u);
    if (rc < 0) return rc;
    cio_stream *stream;
    if ((rc = cio_open_connection(u.host, u.port, NULL, &stream)) < 0) return rc;
    cio_websocket *ws;
    if ((rc = cio__websocket_new(stream, CIO_WEBSOCKET_CLIENT, opts, &ws)) < 0) {
        cio_stream_free(stream);
        return rc;
    }
    ws->owns_stream = true;
    char key[KEY_LEN + 1];
    const char *offer = opts && opts->permessage_deflate ? cio__websocket_deflate_offer() : NULL;
    rc = send_request(stream, &u, offer, key);
    if (rc == 0) rc = read_answer(ws, key, offer != NULL);
    if (rc < 0) {
        ws->closed = true; /* no close frame before a handshake */
        cio_websocket_free(ws);
        return rc;
    }
    *out = ws;
    return 0;
}
