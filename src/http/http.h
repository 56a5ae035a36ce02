/* src/http/http.h - what the HTTP parser's files share: the character
 * classes, the CRLF line scanner and the field-line checker. */
#ifndef CIO_SRC_HTTP_H
#define CIO_SRC_HTTP_H

#include <cio/http_parser.h>

#include <string.h>

/* Character classes (bits of cio__http_class[byte]). */
enum {
    CIO__HTTP_TCHAR = 1,  /* token: method, field name, coding (RFC 9110 5.6.2) */
    CIO__HTTP_VALUE = 2,  /* field value, reason phrase: VCHAR, SP, HTAB, obs-text */
    CIO__HTTP_TARGET = 4, /* request target: visible ASCII */
};

extern const unsigned char cio__http_class[256];

static inline bool cio__http_is(char c, int cls) {
    return (cio__http_class[(unsigned char)c] & cls) != 0;
}

/* Find the next complete line in buf[0..len), resuming where the previous
 * call on scan stopped, so no byte is searched twice. Returns 1 with *line
 * (without its CRLF) and scan advanced past it, 0 if no line end has arrived
 * yet, or -CIO_EHTTP_LINE_ENDING for an LF without a CR before it. A CR not
 * followed by LF stays inside the line: every line checker refuses it. */
static inline int cio__http_next_line(struct cio__http_scan *scan, const char *buf, size_t len,
                                      cio_http_slice *line) {
    if (scan->scanned >= len) return 0;
    const char *lf = memchr(buf + scan->scanned, '\n', len - scan->scanned);
    if (!lf) {
        scan->scanned = len;
        return 0;
    }
    size_t end = (size_t)(lf - buf);
    if (end == scan->line_start || buf[end - 1] != '\r') return -CIO_EHTTP_LINE_ENDING;
    line->ptr = buf + scan->line_start;
    line->len = end - 1 - scan->line_start;
    scan->scanned = scan->line_start = end + 1;
    scan->nlines++;
    return 1;
}

/* Check one field line (not empty) and split it into name and trimmed value.
 * Returns 0, or -CIO_EHTTP_OBS_FOLD, _HEADER_NAME, _HEADER_VALUE, _LINE_ENDING. */
int cio__http_field(cio_http_slice line, cio_http_header *out);

/* Split the count field lines at the start of buf[0..len) (already checked,
 * each ending in CRLF) into slots. Returns the bytes they span. */
size_t cio__http_fill_fields(const char *buf, size_t len, size_t count, cio_http_header *slots);

/* Fill in the defaults of a zeroed options field; opts may be NULL. */
void cio__http_options(const cio_http_parser_options *opts, cio_http_parser_options *out);

#endif
