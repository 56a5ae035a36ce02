/* src/http/parser.c - request and response heads: the start line, the
 * fields that decide framing, and the incremental driver.
 *
 * Each call searches only the bytes that arrived since the previous one
 * (memchr for LF from scan.scanned) and checks each line once, when its LF
 * arrives, so a head fed a byte at a time costs the same as one fed whole.
 * Between calls the parser keeps offsets and scalars only, never pointers,
 * so the caller's buffer may move; slices are made from the buffer of the
 * call that completes the head (header lines checked by earlier calls are
 * split again from it, without a new check). */
#include "http/http.h"

#include <strings.h>

enum {
    F_CL = 1 << 0,           /* Content-Length seen */
    F_TE = 1 << 1,           /* Transfer-Encoding seen */
    F_TE_CHUNKED = 1 << 2,   /* ... with chunked in it */
    F_TE_LAST = 1 << 3,      /* ... as the last coding so far */
    F_TE_OTHER = 1 << 4,     /* ... with another coding */
    F_TE_BAD = 1 << 5,       /* ... with chunked twice, or an empty element */
    F_CLOSE = 1 << 6,        /* Connection: close */
    F_KEEP_ALIVE = 1 << 7,   /* Connection: keep-alive */
    F_CONN_UPGRADE = 1 << 8, /* Connection: upgrade */
    F_UPGRADE = 1 << 9,      /* an Upgrade field */
    F_EXPECT = 1 << 10,      /* Expect: 100-continue */
    F_HOST = 1 << 11,        /* a Host field */
    F_DONE = 1 << 12,        /* the head is complete */
};

int cio_http_parser_init(cio_http_parser *parser, cio_http_kind kind, cio_http_header *slots,
                         size_t nslots, const cio_http_parser_options *opts) {
    if (!parser || (!slots && nslots) || kind < CIO_HTTP_REQUEST ||
        kind > CIO_HTTP_RESPONSE_TO_HEAD)
        return -EINVAL;
    memset(parser, 0, sizeof *parser);
    parser->slots = slots;
    parser->kind = kind;
    cio__http_options(opts, &parser->opts);
    if (parser->opts.max_headers > nslots) parser->opts.max_headers = nslots;
    return 0;
}

void cio_http_parser_reset(cio_http_parser *parser) {
    cio_http_parser_init(parser, parser->kind, parser->slots, parser->opts.max_headers,
                         &parser->opts);
}

/* ---- start lines ------------------------------------------------------------ */

/* "HTTP/" DIGIT "." DIGIT; only 1.0 and 1.1 are spoken. */
static int version(cio_http_parser *p, const char *s, size_t n) {
    if (n < 8 || memcmp(s, "HTTP/", 5) != 0 || s[6] != '.' || (unsigned)(s[5] - '0') > 9 ||
        (unsigned)(s[7] - '0') > 9)
        return -CIO_EHTTP_VERSION;
    if (s[5] != '1' || s[7] > '1') return -CIO_EHTTP_VERSION_UNSUPPORTED;
    p->version = s[7] - '0';
    return 0;
}

/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986 3.1) */
static bool scheme_char(char c) {
    return (unsigned)((c | 0x20) - 'a') < 26 || (unsigned)(c - '0') < 10 || c == '+' || c == '-' ||
           c == '.';
}

/* The four forms of RFC 9112 3.2: origin ("/path?query"), absolute
 * ("scheme://..."; HTTP's URIs all have an authority, so "scheme:path" is
 * refused), authority (CONNECT only: "host:port") and asterisk ("*").
 * Only the start is checked here; every byte is visible ASCII already. */
static bool target_form(const char *method, size_t mlen, const char *t, size_t n) {
    if (mlen == 7 && memcmp(method, "CONNECT", 7) == 0) return t[0] != '/' && t[0] != '*';
    if (t[0] == '/' || (n == 1 && t[0] == '*')) return true;
    if ((unsigned)((t[0] | 0x20) - 'a') >= 26) return false;
    size_t i = 1;
    while (i < n && scheme_char(t[i])) i++;
    return n - i >= 3 && memcmp(t + i, "://", 3) == 0; /* hier-part with an authority */
}

/* method SP request-target SP HTTP-version (RFC 9112 3). */
static int request_line(cio_http_parser *p, const char *s, size_t n) {
    size_t i = 0;
    while (i < n && cio__http_is(s[i], CIO__HTTP_TCHAR)) i++;
    if (i == 0 || i == n || s[i] != ' ') return -CIO_EHTTP_METHOD;
    size_t target = ++i;
    while (i < n && cio__http_is(s[i], CIO__HTTP_TARGET)) i++;
    if (i == target || i == n || s[i] != ' ') return -CIO_EHTTP_TARGET;
    p->mlen = target - 1;
    p->tlen = i - target;
    if (!target_form(s, p->mlen, s + target, p->tlen)) return -CIO_EHTTP_TARGET;
    if (n - i - 1 != 8) return -CIO_EHTTP_VERSION;
    return version(p, s + i + 1, 8);
}

/* HTTP-version SP 3DIGIT SP reason (RFC 9112 4). The SP before an empty
 * reason is often left out by servers; it is accepted. */
static int status_line(cio_http_parser *p, const char *s, size_t n) {
    int rc = version(p, s, n);
    if (rc < 0) return rc;
    if (n == 8 || s[8] != ' ') return -CIO_EHTTP_VERSION;
    if (n < 12 || (unsigned)(s[9] - '1') > 8 || (unsigned)(s[10] - '0') > 9 ||
        (unsigned)(s[11] - '0') > 9 || (n > 12 && s[12] != ' '))
        return -CIO_EHTTP_STATUS;
    p->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
    for (size_t i = 13; i < n; i++)
        if (!cio__http_is(s[i], CIO__HTTP_VALUE)) return -CIO_EHTTP_START_LINE;
    p->rlen = n > 13 ? n - 13 : 0;
    return 0;
}

static int start_line(cio_http_parser *p, cio_http_slice line) {
    if (line.len + 2 > p->opts.max_start_line) return -CIO_EHTTP_START_LINE_TOO_LONG;
    if (line.len == 0) return -CIO_EHTTP_START_LINE;
    if (memchr(line.ptr, '\r', line.len)) return -CIO_EHTTP_LINE_ENDING;
    p->start_len = line.len;
    if (p->kind == CIO_HTTP_REQUEST) return request_line(p, line.ptr, line.len);
    return status_line(p, line.ptr, line.len);
}

/* ---- fields that matter for framing ----------------------------------------- */

static bool is(cio_http_slice s, const char *lower) {
    size_t len = strlen(lower);
    return s.len == len && strncasecmp(s.ptr, lower, len) == 0;
}

/* The next element of a comma-separated list (RFC 9110 5.6.1), trimmed.
 * Empty elements are skipped, and counted in *empty. False when the list is
 * used up. */
static bool next_element(cio_http_slice *list, cio_http_slice *elem, unsigned *empty) {
    while (list->len) {
        const char *comma = memchr(list->ptr, ',', list->len);
        size_t n = comma ? (size_t)(comma - list->ptr) : list->len;
        *elem = (cio_http_slice){list->ptr, n};
        list->ptr += comma ? n + 1 : n;
        list->len -= comma ? n + 1 : n;
        if (comma && list->len == 0) *empty += 1; /* "a," ends with an empty element */
        while (elem->len && (elem->ptr[0] == ' ' || elem->ptr[0] == '\t')) elem->ptr++, elem->len--;
        while (elem->len && (elem->ptr[elem->len - 1] == ' ' || elem->ptr[elem->len - 1] == '\t'))
            elem->len--;
        if (elem->len) return true;
        *empty += 1;
    }
    return false;
}

/* 1*DIGIT, only once: a repeat is refused even when equal (RFC 9112 6.3
 * lets a recipient accept equal repeats, but two fields hint at two
 * parsers disagreeing upstream, the root of request smuggling). */
static int content_length(cio_http_parser *p, cio_http_slice v) {
    if ((p->flags & F_CL) || v.len == 0) return -CIO_EHTTP_CONTENT_LENGTH;
    uint64_t n = 0;
    for (size_t i = 0; i < v.len; i++) {
        unsigned d = (unsigned)(v.ptr[i] - '0');
        if (d > 9 || n > (UINT64_MAX - d) / 10) return -CIO_EHTTP_CONTENT_LENGTH;
        n = n * 10 + d;
    }
    p->flags |= F_CL;
    p->content_length = n;
    return 0;
}

/* A list of codings. Empty elements, which RFC 9110 5.6.1 would skip, are
 * refused here: front ends that compare the value with "chunked" would read
 * ", chunked" as not chunked, and two readings of the framing is smuggling. */
static void transfer_encoding(cio_http_parser *p, cio_http_slice v) {
    cio_http_slice coding;
    unsigned empty = 0;
    p->flags |= F_TE;
    while (next_element(&v, &coding, &empty)) {
        if (is(coding, "chunked")) {
            if (p->flags & F_TE_CHUNKED) p->flags |= F_TE_BAD;
            p->flags |= F_TE_CHUNKED | F_TE_LAST;
        } else {
            p->flags = (p->flags | F_TE_OTHER) & ~(unsigned)F_TE_LAST;
        }
    }
    if (empty) p->flags |= F_TE_BAD;
}

static void connection(cio_http_parser *p, cio_http_slice v) {
    cio_http_slice option;
    unsigned empty = 0;
    while (next_element(&v, &option, &empty)) {
        if (is(option, "close"))
            p->flags |= F_CLOSE;
        else if (is(option, "keep-alive"))
            p->flags |= F_KEEP_ALIVE;
        else if (is(option, "upgrade"))
            p->flags |= F_CONN_UPGRADE;
    }
}

/* Dispatch on the name's length first: most fields match none. */
static int framing_field(cio_http_parser *p, const cio_http_header *h) {
    switch (h->name.len) {
    case 4:
        if (!is(h->name, "host") || p->kind != CIO_HTTP_REQUEST) return 0;
        if (p->flags & F_HOST) return -CIO_EHTTP_HOST;
        p->flags |= F_HOST;
        return 0;
    case 6:
        if (is(h->name, "expect") && is(h->value, "100-continue")) p->flags |= F_EXPECT;
        return 0;
    case 7:
        if (is(h->name, "upgrade")) p->flags |= F_UPGRADE;
        return 0;
    case 10:
        if (is(h->name, "connection")) connection(p, h->value);
        return 0;
    case 14:
        return is(h->name, "content-length") ? content_length(p, h->value) : 0;
    case 17:
        if (is(h->name, "transfer-encoding")) transfer_encoding(p, h->value);
        return 0;
    default:
        return 0;
    }
}

static int field_line(cio_http_parser *p, cio_http_slice line) {
    size_t index = p->scan.nlines - 2; /* the start line is line 1 */
    if (index >= p->opts.max_headers) return -CIO_EHTTP_TOO_MANY_HEADERS;
    int rc = cio__http_field(line, &p->slots[index]);
    return rc < 0 ? rc : framing_field(p, &p->slots[index]);
}

/* ---- framing (RFC 9112 6.3) ------------------------------------------------- */

/* Transfer-Encoding in a request: only a lone "chunked" is understood. */
static int request_codings(const cio_http_parser *p) {
    if (p->flags & F_CL) return -CIO_EHTTP_LENGTH_AND_CODING;
    if (p->version == 0) return -CIO_EHTTP_TRANSFER_ENCODING; /* 1.0 has no codings */
    if (!(p->flags & (F_TE_CHUNKED | F_TE_OTHER)) || (p->flags & F_TE_BAD))
        return -CIO_EHTTP_TRANSFER_ENCODING;
    if ((p->flags & F_TE_CHUNKED) && !(p->flags & F_TE_LAST)) return -CIO_EHTTP_TRANSFER_ENCODING;
    if (p->flags & F_TE_OTHER) return -CIO_EHTTP_CODING_UNSUPPORTED;
    return 0;
}

static int request_framing(cio_http_parser *p) {
    if (p->version == 1 && !(p->flags & F_HOST)) return -CIO_EHTTP_HOST;
    if (p->flags & F_TE) {
        int rc = request_codings(p);
        if (rc < 0) return rc;
        p->body = CIO_HTTP_BODY_CHUNKED;
    } else if (p->flags & F_CL) {
        if (p->content_length > p->opts.max_body) return -CIO_EHTTP_BODY_TOO_LARGE;
        p->body = CIO_HTTP_BODY_LENGTH;
    } else {
        p->body = CIO_HTTP_BODY_NONE;
    }
    return 0;
}

/* A response's codings are the server's business; only the framing is
 * checked. Without chunked last, the body runs to the close (6.3 item 4). */
static int response_framing(cio_http_parser *p) {
    if ((p->flags & F_TE) && (p->flags & F_CL)) return -CIO_EHTTP_LENGTH_AND_CODING;
    if ((p->flags & F_TE) && (!(p->flags & (F_TE_CHUNKED | F_TE_OTHER)) || (p->flags & F_TE_BAD)))
        return -CIO_EHTTP_TRANSFER_ENCODING;
    int s = p->status;
    if (p->kind == CIO_HTTP_RESPONSE_TO_HEAD || s < 200 || s == 204 || s == 304) {
        p->body = CIO_HTTP_BODY_NONE;
    } else if (p->flags & F_TE) {
        p->body = (p->flags & F_TE_LAST) ? CIO_HTTP_BODY_CHUNKED : CIO_HTTP_BODY_EOF;
    } else if (p->flags & F_CL) {
        if (p->content_length > p->opts.max_body) return -CIO_EHTTP_BODY_TOO_LARGE;
        p->body = CIO_HTTP_BODY_LENGTH;
    } else {
        p->body = CIO_HTTP_BODY_EOF;
    }
    return 0;
}

static int end_of_head(cio_http_parser *p) {
    int rc = p->kind == CIO_HTTP_REQUEST ? request_framing(p) : response_framing(p);
    if (rc < 0) return rc;
    p->flags |= F_DONE;
    return 1;
}

/* ---- the driver -------------------------------------------------------------- */

/* Check every line that has arrived. Returns 1 (head complete), 0 (need
 * more) or an error. The search stops at max_start_line for the first line
 * and max_header_bytes for the head, so a head that never ends costs at most
 * that much scanning, and what is found beyond a limit (a bad byte, a bare
 * LF) cannot come before the limit's own error: the outcome never depends on
 * how the bytes were split between calls. */
static size_t search_limit(const cio_http_parser *p, size_t len) {
    size_t max = p->scan.nlines ? p->opts.max_header_bytes : p->opts.max_start_line;
    return len < max ? len : max;
}

static int scan(cio_http_parser *p, const char *buf, size_t len) {
    cio_http_slice line;
    int rc;
    while ((rc = cio__http_next_line(&p->scan, buf, search_limit(p, len), &line)) > 0) {
        if (p->scan.nlines == 1)
            rc = start_line(p, line);
        else if (line.len == 0)
            return end_of_head(p);
        else
            rc = field_line(p, line);
        if (rc < 0) return rc;
    }
    if (rc < 0) return rc;
    if (p->scan.nlines == 0 && len >= p->opts.max_start_line) return -CIO_EHTTP_START_LINE_TOO_LONG;
    if (len >= p->opts.max_header_bytes) return -CIO_EHTTP_HEADERS_TOO_LARGE;
    return 0;
}

/* Fill *head from buf. Lines before `fresh` were checked by earlier calls,
 * perhaps in a buffer that has moved since: split them again from buf. */
static void finish(const cio_http_parser *p, const char *buf, size_t len, size_t fresh,
                   cio_http_head *head) {
    size_t nheaders = p->scan.nlines - 2;
    size_t stale = fresh > 1 ? fresh - 1 : 0;
    if (stale > nheaders) stale = nheaders;
    size_t fields = p->start_len + 2;
    cio__http_fill_fields(buf + fields, len - fields, stale, p->slots);
    *head = (cio_http_head){
        .method = {buf, p->mlen},
        .target = {buf + p->mlen + 1, p->tlen},
        .reason = {buf + p->start_len - p->rlen, p->rlen},
        .status = p->status,
        .version = p->version,
        .headers = p->slots,
        .nheaders = nheaders,
        .body = p->body,
        .content_length = p->body == CIO_HTTP_BODY_LENGTH ? p->content_length : 0,
        .keep_alive = p->version ? !(p->flags & F_CLOSE)
                                 : (p->flags & (F_KEEP_ALIVE | F_CLOSE)) == F_KEEP_ALIVE,
        .expect_continue = p->kind == CIO_HTTP_REQUEST && p->version && (p->flags & F_EXPECT),
        .upgrade = (p->flags & (F_UPGRADE | F_CONN_UPGRADE)) == (F_UPGRADE | F_CONN_UPGRADE),
    };
    if (p->kind != CIO_HTTP_REQUEST) head->method.len = head->target.len = 0;
    if (p->body == CIO_HTTP_BODY_EOF) head->keep_alive = false;
}

ssize_t cio_http_parser_parse(cio_http_parser *parser, const char *buf, size_t len,
                              cio_http_head *head) {
    if (!parser || !head || (!buf && len)) return -EINVAL;
    if (parser->error) return parser->error;
    size_t fresh = parser->scan.nlines;
    if (!(parser->flags & F_DONE)) {
        int rc = scan(parser, buf, len);
        if (rc == 0) return -EAGAIN;
        if (rc < 0) return parser->error = rc;
    } else if (len < parser->scan.line_start) {
        return -EINVAL;
    }
    finish(parser, buf, len, fresh, head);
    return (ssize_t)parser->scan.line_start;
}
