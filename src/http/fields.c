/* src/http/fields.c - field lines (headers and trailers): the character
 * table, the checker and splitter, header lookup, and the options. */
#include "http/http.h"

#include <strings.h>

/* Bits: 1 tchar, 2 field-value char (VCHAR, SP, HTAB, obs-text), 4 target
 * char (VCHAR). One load per byte; built by hand from RFC 9110 5.5, 5.6.2. */
const unsigned char cio__http_class[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    2, 7, 6, 7, 7, 7, 7, 7, 6, 6, 7, 7, 6, 7, 7, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 6, 6, 6, 6, 6,
    6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 6, 6, 7, 7,
    7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 7, 6, 7, 0,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

static bool is_ows(char c) {
    return c == ' ' || c == '\t';
}

static int name_error(const char *s, size_t i, size_t n) {
    if (i < n && s[i] == '\r') return -CIO_EHTTP_LINE_ENDING;
    return -CIO_EHTTP_HEADER_NAME; /* empty, bad char, no colon, or space before it */
}

int cio__http_field(cio_http_slice line, cio_http_header *out) {
    const char *s = line.ptr;
    size_t n = line.len, i = 0;
    if (is_ows(s[0])) return -CIO_EHTTP_OBS_FOLD;
    while (i < n && cio__http_is(s[i], CIO__HTTP_TCHAR)) i++;
    if (i == 0 || i == n || s[i] != ':') return name_error(s, i, n);
    out->name = (cio_http_slice){s, i};
    for (i++; i < n && is_ows(s[i]); i++) {
    }
    size_t start = i;
    while (i < n && cio__http_is(s[i], CIO__HTTP_VALUE)) i++;
    if (i < n) return s[i] == '\r' ? -CIO_EHTTP_LINE_ENDING : -CIO_EHTTP_HEADER_VALUE;
    while (i > start && is_ows(s[i - 1])) i--;
    out->value = (cio_http_slice){s + start, i - start};
    return 0;
}

size_t cio__http_fill_fields(const char *buf, size_t len, size_t count, cio_http_header *slots) {
    size_t pos = 0;
    for (size_t i = 0; i < count; i++) {
        const char *lf = memchr(buf + pos, '\n', len - pos); /* found: checked before */
        size_t end = (size_t)(lf - buf);
        cio__http_field((cio_http_slice){buf + pos, end - 1 - pos}, &slots[i]);
        pos = end + 1;
    }
    return pos;
}

int cio_http_head_find(const cio_http_head *head, const char *name, cio_http_slice *value) {
    if (!head || !name || !value) return -EINVAL;
    size_t len = strlen(name);
    for (size_t i = 0; i < head->nheaders; i++) {
        const cio_http_header *h = &head->headers[i];
        if (h->name.len == len && strncasecmp(h->name.ptr, name, len) == 0) {
            *value = h->value;
            return 0;
        }
    }
    return -ENOENT;
}

void cio__http_options(const cio_http_parser_options *opts, cio_http_parser_options *out) {
    static const cio_http_parser_options defaults = {8192, 32768, 100, 1 << 20};
    *out = opts ? *opts : defaults;
    if (!out->max_start_line) out->max_start_line = defaults.max_start_line;
    if (!out->max_header_bytes) out->max_header_bytes = defaults.max_header_bytes;
    if (!out->max_headers) out->max_headers = defaults.max_headers;
    if (!out->max_body) out->max_body = defaults.max_body;
    /* The start line is part of the head: with a longer limit than the
     * head's, which error comes first would depend on how bytes arrive. */
    if (out->max_start_line > out->max_header_bytes) out->max_start_line = out->max_header_bytes;
}
