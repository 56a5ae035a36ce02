/* src/http/chunked.c - the chunked transfer coding (RFC 9112 7.1), decoded
 * in place: data is handed out as slices of the caller's buffer, framing is
 * consumed. A partial chunk-size line or trailer section is left unconsumed
 * and its scan resumes where it stopped, so no byte is searched twice. */
#include "http/http.h"

enum { S_SIZE, S_DATA, S_DATA_CRLF, S_TRAILERS, S_DONE };

/* A chunk-size line with its extensions (which are ignored) may be this
 * long, CRLF included; nginx and Node allow less than this in practice. */
enum { MAX_SIZE_LINE = 4096 };

/* What a step of the decoder tells the loop. */
enum { GO_ON = 0, STOP = 1 };

int cio_http_chunked_init(cio_http_chunked *dec, cio_http_header *trailers, size_t ntrailers,
                          const cio_http_parser_options *opts) {
    if (!dec || (!trailers && ntrailers)) return -EINVAL;
    memset(dec, 0, sizeof *dec);
    dec->trailers = trailers;
    dec->ntrailers = ntrailers;
    cio__http_options(opts, &dec->opts);
    if (trailers && dec->opts.max_headers > ntrailers) dec->opts.max_headers = ntrailers;
    return 0;
}

bool cio_http_chunked_done(const cio_http_chunked *dec) {
    return dec->state == S_DONE;
}

size_t cio_http_chunked_trailers(const cio_http_chunked *dec) {
    return dec->state == S_DONE && dec->trailers ? dec->scan.nlines - 1 : 0;
}

static int hex(char c) {
    if ((unsigned)(c - '0') <= 9) return c - '0';
    c |= 0x20; /* lower case */
    if ((unsigned)(c - 'a') <= 5) return c - 'a' + 10;
    return -1;
}

/* chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ): checked only to
 * be whitespace then ";" then field-value characters, and otherwise ignored. */
static int extensions(const char *s, size_t n) {
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
    if (i == n) return i == 0 ? 0 : -CIO_EHTTP_CHUNK;
    if (s[i] != ';') return -CIO_EHTTP_CHUNK;
    for (; i < n; i++)
        if (!cio__http_is(s[i], CIO__HTTP_VALUE)) return -CIO_EHTTP_CHUNK;
    return 0;
}

/* chunk-size [ chunk-ext ]: 1*HEXDIG, refused past 64 bits. */
static int size_line(cio_http_chunked *dec, cio_http_slice line) {
    uint64_t size = 0;
    size_t i = 0;
    for (int d; i < line.len && (d = hex(line.ptr[i])) >= 0; i++) {
        if (size >> 60) return -CIO_EHTTP_CHUNK;
        size = size << 4 | (uint64_t)d;
    }
    if (i == 0 || extensions(line.ptr + i, line.len - i) < 0) return -CIO_EHTTP_CHUNK;
    if (size == 0) {
        dec->state = S_TRAILERS;
        return GO_ON;
    }
    if (size > dec->opts.max_body - dec->total) return -CIO_EHTTP_BODY_TOO_LARGE;
    dec->total += size;
    dec->remaining = size;
    dec->state = S_DATA;
    return GO_ON;
}

static int take_size_line(cio_http_chunked *dec, const char *s, size_t n, size_t *used) {
    size_t cap = n < MAX_SIZE_LINE ? n : MAX_SIZE_LINE;
    cio_http_slice line;
    int rc = cio__http_next_line(&dec->scan, s, cap, &line);
    if (rc < 0) return -CIO_EHTTP_CHUNK;
    if (rc == 0) return n >= MAX_SIZE_LINE ? -CIO_EHTTP_CHUNK : STOP;
    size_t consumed = dec->scan.line_start;
    dec->scan = (struct cio__http_scan){0, 0, 0};
    rc = size_line(dec, line);
    if (rc == GO_ON) *used += consumed;
    return rc;
}

static int take_data(cio_http_chunked *dec, const char *s, size_t n, size_t *used,
                     cio_http_slice *data) {
    if (data->len || n == 0) return STOP; /* one run of data per call */
    size_t take = dec->remaining < n ? (size_t)dec->remaining : n;
    *data = (cio_http_slice){s, take};
    *used += take;
    dec->remaining -= take;
    if (dec->remaining == 0) dec->state = S_DATA_CRLF;
    return GO_ON;
}

static int take_crlf(cio_http_chunked *dec, const char *s, size_t n, size_t *used) {
    if (n >= 1 && s[0] != '\r') return -CIO_EHTTP_CHUNK;
    if (n < 2) return STOP;
    if (s[1] != '\n') return -CIO_EHTTP_CHUNK;
    *used += 2;
    dec->state = S_SIZE;
    return GO_ON;
}

/* trailer-section CRLF: checked line by line as it arrives, consumed whole. */
static int take_trailers(cio_http_chunked *dec, const char *s, size_t n, size_t *used) {
    size_t cap = n < dec->opts.max_header_bytes ? n : dec->opts.max_header_bytes;
    cio_http_slice line;
    cio_http_header field;
    int rc;
    while ((rc = cio__http_next_line(&dec->scan, s, cap, &line)) > 0) {
        if (line.len == 0) {
            if (dec->trailers) cio__http_fill_fields(s, n, dec->scan.nlines - 1, dec->trailers);
            *used += dec->scan.line_start;
            dec->state = S_DONE;
            return STOP;
        }
        if (dec->scan.nlines > dec->opts.max_headers) return -CIO_EHTTP_TOO_MANY_HEADERS;
        if ((rc = cio__http_field(line, &field)) < 0) return rc;
    }
    if (rc < 0) return rc;
    return n >= dec->opts.max_header_bytes ? -CIO_EHTTP_HEADERS_TOO_LARGE : STOP;
}

static int step(cio_http_chunked *dec, const char *buf, size_t len, size_t *used,
                cio_http_slice *data) {
    const char *s = buf + *used;
    size_t n = len - *used;
    switch (dec->state) {
    case S_SIZE:
        return take_size_line(dec, s, n, used);
    case S_DATA:
        return take_data(dec, s, n, used, data);
    case S_DATA_CRLF:
        return take_crlf(dec, s, n, used);
    case S_TRAILERS:
        return take_trailers(dec, s, n, used);
    default:
        return STOP;
    }
}

ssize_t cio_http_chunked_decode(cio_http_chunked *dec, const char *buf, size_t len,
                                cio_http_slice *data) {
    if (!dec || !data || (!buf && len)) return -EINVAL;
    if (dec->state < 0) return dec->state;
    *data = (cio_http_slice){buf, 0};
    size_t used = 0;
    int rc;
    do rc = step(dec, buf, len, &used, data);
    while (rc == GO_ON);
    if (rc < 0) dec->state = rc;
    if (rc < 0 && used == 0) return rc;
    /* Progress made before an error is returned first (the data that came
     * before it is good); the error comes from the next call. */
    if (used == 0 && dec->state != S_DONE) return -EAGAIN;
    return (ssize_t)used;
}
