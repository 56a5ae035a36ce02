/* cio/http_parser.h - an incremental, strict HTTP/1.1 parser for request and
 * response heads, and a chunked-body decoder (RFC 9110 / RFC 9112).
 *
 * Pure functions over the caller's bytes: no loop, no allocation, no I/O.
 * Every function here may be called from any thread; a parser or decoder is
 * a value in the caller's storage, used by one thread at a time.
 *
 * In place: every slice the parser hands out (method, target, reason, header
 * names and values, chunk data, trailers) borrows the buffer passed to the
 * call that produced it. Nothing is copied; the slices are valid while that
 * buffer is unchanged.
 *
 * Incremental: call cio_http_parser_parse() after each read with every byte
 * of the message received so far (the buffer may have moved or grown since
 * the previous call; its prefix must be the same bytes). The parser keeps
 * only offsets between calls, so each call scans only the new bytes.
 *
 *     cio_http_header slots[64];
 *     cio_http_parser parser;
 *     cio_http_head head;
 *     cio_http_parser_init(&parser, CIO_HTTP_REQUEST, slots, 64, NULL);
 *     for (;;) {
 *         ... append what arrived to buf, len ...
 *         ssize_t n = cio_http_parser_parse(&parser, buf, len, &head);
 *         if (n > 0) break;                     // head complete: n bytes
 *         if (n != -EAGAIN) return reply(cio_http_error_status((int)n));
 *     }
 *
 * Errors: every refusal is a distinct code (-CIO_EHTTP_*), named by
 * cio_strerror(), and cio_http_error_status() gives the HTTP status a server
 * answers with (400, 413, 414, 431, 501, 505). See docs/http-parser.md. */
#ifndef CIO_HTTP_PARSER_H
#define CIO_HTTP_PARSER_H

#include "base.h"

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, value, status, message): the parser's error codes, returned negated
 * like errnos. status is what a server answers the peer with. */
#define CIO_HTTP_ERROR_TABLE(X)                                                                    \
    X(CIO_EHTTP_START_LINE, 2101, 400, "malformed HTTP start line")                                \
    X(CIO_EHTTP_METHOD, 2102, 400, "invalid HTTP method")                                          \
    X(CIO_EHTTP_TARGET, 2103, 400, "invalid HTTP request target")                                  \
    X(CIO_EHTTP_VERSION, 2104, 400, "malformed HTTP version")                                      \
    X(CIO_EHTTP_VERSION_UNSUPPORTED, 2105, 505, "HTTP version not supported")                      \
    X(CIO_EHTTP_STATUS, 2106, 400, "malformed HTTP status code")                                   \
    X(CIO_EHTTP_LINE_ENDING, 2107, 400, "bare CR or LF in HTTP message")                           \
    X(CIO_EHTTP_OBS_FOLD, 2108, 400, "obsolete line folding in HTTP header")                       \
    X(CIO_EHTTP_HEADER_NAME, 2109, 400, "invalid HTTP header name")                                \
    X(CIO_EHTTP_HEADER_VALUE, 2110, 400, "invalid character in HTTP header value")                 \
    X(CIO_EHTTP_CONTENT_LENGTH, 2111, 400, "invalid or repeated Content-Length")                   \
    X(CIO_EHTTP_LENGTH_AND_CODING, 2112, 400, "Content-Length with Transfer-Encoding")             \
    X(CIO_EHTTP_TRANSFER_ENCODING, 2113, 400, "invalid Transfer-Encoding (chunked not last)")      \
    X(CIO_EHTTP_CODING_UNSUPPORTED, 2114, 501, "unsupported transfer coding")                      \
    X(CIO_EHTTP_HOST, 2115, 400, "missing or repeated Host header")                                \
    X(CIO_EHTTP_START_LINE_TOO_LONG, 2116, 414, "HTTP start line too long")                        \
    X(CIO_EHTTP_HEADERS_TOO_LARGE, 2117, 431, "HTTP header section too large")                     \
    X(CIO_EHTTP_TOO_MANY_HEADERS, 2118, 431, "too many HTTP header fields")                        \
    X(CIO_EHTTP_BODY_TOO_LARGE, 2119, 413, "HTTP body larger than allowed")                        \
    X(CIO_EHTTP_CHUNK, 2120, 400, "malformed chunked body")

enum cio_http_error {
#define CIO_HTTP_ERROR_ENUM(name, value, status, message) name = value,
    CIO_HTTP_ERROR_TABLE(CIO_HTTP_ERROR_ENUM)
#undef CIO_HTTP_ERROR_ENUM
};

/* A borrowed run of bytes inside the caller's buffer (not NUL-terminated). */
typedef struct cio_http_slice {
    const char *ptr;
    size_t len;
} cio_http_slice;

/* One header (or trailer) field line: name as sent, value without its
 * leading and trailing whitespace. */
typedef struct cio_http_header {
    cio_http_slice name;
    cio_http_slice value;
} cio_http_header;

/* What the parser parses: a request, a response, or a response to a HEAD
 * request (which never has a body, whatever its headers say). */
typedef enum cio_http_kind {
    CIO_HTTP_REQUEST,
    CIO_HTTP_RESPONSE,
    CIO_HTTP_RESPONSE_TO_HEAD,
} cio_http_kind;

/* How the body that follows the head is delimited. */
typedef enum cio_http_body {
    CIO_HTTP_BODY_NONE,    /* no body: the next message starts right after the head */
    CIO_HTTP_BODY_LENGTH,  /* exactly content_length bytes (Content-Length; may be 0) */
    CIO_HTTP_BODY_CHUNKED, /* chunked coding: feed it to cio_http_chunked_decode() */
    CIO_HTTP_BODY_EOF,     /* responses only: everything until the peer closes */
} cio_http_body;

/* Limits; a zeroed field (or NULL options) means the default shown. */
typedef struct cio_http_parser_options {
    size_t max_start_line;   /* request/status line with its CRLF: 8 KiB (longer: 414) */
    size_t max_header_bytes; /* whole head, or trailer section: 32 KiB (longer: 431) */
    size_t max_headers;      /* field lines: 100, and never more than the slots (431) */
    uint64_t max_body;       /* Content-Length / chunked total: 1 MiB (larger: 413);
                              * UINT64_MAX for no limit */
} cio_http_parser_options;

/* A parsed head. Slices borrow the buffer given to cio_http_parser_parse(). */
typedef struct cio_http_head {
    cio_http_slice method;    /* requests: "GET"...; responses: empty */
    cio_http_slice target;    /* requests: "/index.html"...; responses: empty */
    cio_http_slice reason;    /* responses: the reason phrase (may be empty) */
    int status;               /* responses: 100..999; requests: 0 */
    int version;              /* minor version: 0 (HTTP/1.0) or 1 (HTTP/1.1) */
    cio_http_header *headers; /* the caller's slots, in the order received */
    size_t nheaders;
    cio_http_body body;
    uint64_t content_length; /* CIO_HTTP_BODY_LENGTH: the body's size; else 0 */
    bool keep_alive;         /* the connection may carry another message after this one */
    bool expect_continue;    /* requests (HTTP/1.1): Expect: 100-continue */
    bool upgrade;            /* an Upgrade field, and Connection lists "upgrade" */
} cio_http_head;

/* Where a scan of CRLF-terminated lines stands (internal). */
struct cio__http_scan {
    size_t scanned;    /* bytes already searched for a line end */
    size_t line_start; /* offset of the first byte of the incomplete line */
    size_t nlines;     /* complete lines so far */
};

/* A head parser: a value in the caller's storage, set up by
 * cio_http_parser_init(). Its fields are private. */
typedef struct cio_http_parser {
    cio_http_header *slots;
    cio_http_parser_options opts; /* defaults filled in; max_headers <= slots */
    cio_http_kind kind;
    struct cio__http_scan scan;
    size_t start_len;        /* the start line's length without CRLF */
    size_t mlen, tlen, rlen; /* method, target, reason lengths */
    uint64_t content_length;
    unsigned flags;
    int status, version, error;
    cio_http_body body;
} cio_http_parser;

/* Set up a parser for one message of the given kind. slots (nslots of them)
 * receive the header fields; they belong to the caller and must outlive the
 * parse. opts may be NULL (defaults); it is copied. Returns 0, or -EINVAL
 * (NULL parser, NULL slots with nslots > 0, or an unknown kind). Any thread. */
CIO_EXPORT int cio_http_parser_init(cio_http_parser *parser, cio_http_kind kind,
                                    cio_http_header *slots, size_t nslots,
                                    const cio_http_parser_options *opts);

/* Start over for the next message on the same connection (same kind, slots
 * and limits; pass the buffer from the next message's first byte). */
CIO_EXPORT void cio_http_parser_reset(cio_http_parser *parser);

/* Parse the head in buf[0..len): every byte of the message received so far.
 * Returns:
 *   > 0       the head is complete and used that many bytes (the body, or
 *             the next message, starts at buf + return); *head is filled,
 *             its slices borrowing buf. Call cio_http_parser_reset() before
 *             parsing another message. Calling again returns the same.
 *   -EAGAIN   not complete yet: call again with more bytes (*head untouched).
 *   -CIO_EHTTP_*  the message is refused; cio_http_error_status() gives the
 *             status to answer. Every later call returns the same until reset.
 *   -EINVAL   NULL parser, head, or buf with len > 0.
 * Bytes already seen are never rescanned: the parser resumes at the end of
 * the previous call's scan. Errors in the start line and in each complete
 * header line are reported as soon as that line has arrived. Any thread. */
CIO_EXPORT ssize_t cio_http_parser_parse(cio_http_parser *parser, const char *buf, size_t len,
                                         cio_http_head *head);

/* Find the first field called name (compared case-insensitively) in head.
 * On success *value borrows the head's buffer. Returns 0, -ENOENT (none), or
 * -EINVAL (NULL argument). Any thread. */
CIO_EXPORT int cio_http_head_find(const cio_http_head *head, const char *name,
                                  cio_http_slice *value);

/* A chunked-body decoder: a value in the caller's storage, set up by
 * cio_http_chunked_init(). Its fields are private. */
typedef struct cio_http_chunked {
    cio_http_header *trailers;
    size_t ntrailers;
    cio_http_parser_options opts;
    uint64_t remaining;         /* data bytes left in the current chunk */
    uint64_t total;             /* data bytes so far */
    struct cio__http_scan scan; /* the pending line or trailer section */
    int state;                  /* or the error, negative */
} cio_http_chunked;

/* Set up a decoder for one chunked body. trailers (ntrailers slots) receive
 * the trailer fields; more fields than slots (or than opts->max_headers) is
 * refused (431). With NULL trailers, trailer fields are checked and dropped.
 * opts as for the parser: max_body bounds the decoded size (413),
 * max_header_bytes the trailer section (431); it is copied, NULL means the
 * defaults. Returns 0 or -EINVAL (NULL decoder, NULL trailers with
 * ntrailers > 0). Any thread. */
CIO_EXPORT int cio_http_chunked_init(cio_http_chunked *dec, cio_http_header *trailers,
                                     size_t ntrailers, const cio_http_parser_options *opts);

/* Decode the chunked bytes in buf[0..len), which starts at the first byte
 * not yet consumed. Consumes framing (chunk-size lines, extensions, CRLFs,
 * the last chunk and trailers) and at most one run of data, which *data
 * borrows from buf (data->len may be 0). Returns:
 *   >= 0      bytes consumed (the caller drops them and calls again with the
 *             rest plus what arrives); 0 only with len == 0 or once done.
 *   -EAGAIN   nothing can be consumed until more bytes arrive (a partial
 *             chunk-size line or trailer section; it is not rescanned).
 *   -CIO_EHTTP_CHUNK (400), -CIO_EHTTP_BODY_TOO_LARGE (413),
 *   -CIO_EHTTP_HEADERS_TOO_LARGE / -CIO_EHTTP_TOO_MANY_HEADERS (431), or a
 *             trailer field error (400): refused, as every later call. A
 *             call that consumed bytes before finding the error returns
 *             their count (and data) first; the next call returns the error.
 *   -EINVAL   NULL decoder or data, or NULL buf with len > 0.
 * When the body has ended, cio_http_chunked_done() is true and the bytes
 * after the returned count belong to the next message. Any thread. */
CIO_EXPORT ssize_t cio_http_chunked_decode(cio_http_chunked *dec, const char *buf, size_t len,
                                           cio_http_slice *data);

/* True once the last chunk and the trailer section were consumed. Any thread. */
CIO_EXPORT bool cio_http_chunked_done(const cio_http_chunked *dec);

/* How many trailer fields were received (0 until done); they are in the
 * caller's trailer slots, borrowing the buffer of the final call. */
CIO_EXPORT size_t cio_http_chunked_trailers(const cio_http_chunked *dec);

/* The HTTP status a server answers an error with: 400, 413, 414, 431, 501 or
 * 505 for -CIO_EHTTP_* codes (sign ignored), 0 for anything else (-EAGAIN
 * included). Any thread. */
CIO_EXPORT int cio_http_error_status(int err);

/* The standard reason phrase of an HTTP status ("Bad Request" for 400), or
 * "Unknown" for one it does not know. A static string. Any thread. */
CIO_EXPORT const char *cio_http_status_reason(int status);

#ifdef __cplusplus
}
#endif
#endif
