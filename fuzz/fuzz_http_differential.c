/* fuzz_http_differential: our parser against Debian's libhttp-parser 2.9.4
 * (nodejs/http-parser) as an oracle. Input: one byte (bit 0: parse as a
 * response, else a request), then the message.
 *
 * Counted (aborts): whenever we accept a head, http_parser must accept the
 * same bytes too, consume exactly the head, and agree on the method, target,
 * version, status, and framing (Content-Length N, chunked, or none / until
 * EOF), and on keep-alive.
 *
 * Expected differences, not counted:
 * - everything we refuse: we are stricter by design (RFC 9112 MUSTs that
 *   http_parser leaves lenient: repeated equal Content-Length, obs-fold,
 *   bare LF, Host rules, CTLs in values, unknown codings, ...);
 * - methods http_parser does not know (HPE_INVALID_METHOD): it has a fixed
 *   list, while any token is a method (RFC 9110 9.1);
 * - http_parser's own limit (HPE_HEADER_OVERFLOW, 80 KiB) cannot be reached
 *   with our default limits, so it is not excluded;
 * - responses to HEAD are not compared (http_parser needs a callback hint);
 * - HTAB as whitespace around a value (OWS is SP or HTAB, RFC 9110 5.6.3):
 *   http_parser refuses "Content-Length: 1<TAB>" and the like;
 * - keep-alive when a Connection value is a list: http_parser's token
 *   matcher loses track in odd lists ("2,,,,x: y,  keep-alive"), so
 *   keep-alive is compared only when every Connection value has no comma;
 * - a field whose name starts with "Transfer-Encoding" and goes on
 *   ("Transfer-EncodingX: gzip"): http_parser 2.9.4's name matcher marks the
 *   message as having Transfer-Encoding and refuses it. Its bug, not ours. */
#include <cio/http_parser.h>
#include <http_parser.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

#define AGREE(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "disagreement with http_parser: %s\n", #cond);                         \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

typedef struct oracle {
    char url[65536];
    size_t url_len;
    bool complete; /* headers complete */
} oracle;

static int on_url(http_parser *p, const char *at, size_t len) {
    oracle *o = p->data;
    if (o->url_len + len <= sizeof o->url) memcpy(o->url + o->url_len, at, len);
    o->url_len += len;
    return 0;
}

static int on_headers_complete(http_parser *p) {
    ((oracle *)p->data)->complete = true;
    return 0;
}

static void compare_framing(const cio_http_head *h, const http_parser *p) {
    switch (h->body) {
    case CIO_HTTP_BODY_CHUNKED:
        AGREE(p->flags & F_CHUNKED);
        break;
    case CIO_HTTP_BODY_LENGTH:
        AGREE(!(p->flags & F_CHUNKED) && p->content_length == h->content_length);
        break;
    case CIO_HTTP_BODY_EOF:
        AGREE(!(p->flags & (F_CHUNKED | F_CONTENTLENGTH)));
        break;
    case CIO_HTTP_BODY_NONE: /* responses: by status; http_parser keeps its flag */
        AGREE(p->type == HTTP_RESPONSE || !(p->flags & F_CHUNKED));
        break;
    }
}

/* A field name http_parser 2.9.4 mistakes for Transfer-Encoding. */
static bool te_lookalike(const cio_http_head *h) {
    for (size_t i = 0; i < h->nheaders; i++)
        if (h->headers[i].name.len > 17 &&
            strncasecmp(h->headers[i].name.ptr, "transfer-encoding", 17) == 0)
            return true;
    return false;
}

/* Every Connection value is a single option. */
static bool simple_connection(const cio_http_head *h) {
    for (size_t i = 0; i < h->nheaders; i++)
        if (h->headers[i].name.len == 10 &&
            strncasecmp(h->headers[i].name.ptr, "connection", 10) == 0 &&
            memchr(h->headers[i].value.ptr, ',', h->headers[i].value.len))
            return false;
    return true;
}

/* A tab in the whitespace around a value (between the colon and the CR). */
static bool tab_around_value(const cio_http_head *h) {
    for (size_t i = 0; i < h->nheaders; i++) {
        const char *colon = h->headers[i].name.ptr + h->headers[i].name.len;
        const char *end = h->headers[i].value.ptr + h->headers[i].value.len;
        if (memchr(colon, '\t', (size_t)(h->headers[i].value.ptr - colon))) return true;
        if (*end != '\r' &&
            memchr(end, '\t', (size_t)((const char *)memchr(end, '\r', 1u << 20) - end)))
            return true;
    }
    return false;
}

static void compare(const cio_http_head *h, const char *buf, size_t used, bool response) {
    static oracle o;
    http_parser p;
    http_parser_settings settings;
    http_parser_settings_init(&settings);
    settings.on_url = on_url;
    settings.on_headers_complete = on_headers_complete;
    http_parser_init(&p, response ? HTTP_RESPONSE : HTTP_REQUEST);
    o.url_len = 0;
    o.complete = false;
    p.data = &o;
    size_t n = http_parser_execute(&p, &settings, buf, used);
    if (HTTP_PARSER_ERRNO(&p) == HPE_INVALID_METHOD) return; /* expected: unknown method */
    if (HTTP_PARSER_ERRNO(&p) != HPE_OK)
        fprintf(stderr, "http_parser: %s\n", http_errno_description(HTTP_PARSER_ERRNO(&p)));
    AGREE(HTTP_PARSER_ERRNO(&p) == HPE_OK && o.complete && n == used);
    AGREE(p.http_major == 1 && p.http_minor == h->version);
    if (response) {
        AGREE(p.status_code == h->status);
    } else {
        const char *m = http_method_str((enum http_method)p.method);
        AGREE(strlen(m) == h->method.len && memcmp(m, h->method.ptr, h->method.len) == 0);
        AGREE(o.url_len == h->target.len && memcmp(o.url, h->target.ptr, o.url_len) == 0);
    }
    compare_framing(h, &p);
    if (simple_connection(h)) AGREE(!http_should_keep_alive(&p) == !h->keep_alive);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    if (size < 1) return 0;
    bool response = data[0] & 1;
    data++, size--;
    char *buf = malloc(size ? size : 1);
    if (size) memcpy(buf, data, size);
    cio_http_header slots[64];
    cio_http_parser parser;
    cio_http_head head;
    cio_http_parser_init(&parser, response ? CIO_HTTP_RESPONSE : CIO_HTTP_REQUEST, slots, 64, NULL);
    ssize_t rc = cio_http_parser_parse(&parser, buf, size, &head);
    if (rc > 0 && !te_lookalike(&head) && !tab_around_value(&head))
        compare(&head, buf, (size_t)rc, response);
    free(buf);
    return 0;
}
