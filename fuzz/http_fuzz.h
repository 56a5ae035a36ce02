/* fuzz/http_fuzz.h - what the HTTP fuzz targets share: parse a message whole
 * and in pieces whose sizes come from the input, check that both agree and
 * that every slice lies inside the buffer; the same for chunked bodies. A
 * broken invariant aborts (libFuzzer reports it as a crash). */
#ifndef CIO_FUZZ_HTTP_H
#define CIO_FUZZ_HTTP_H

#include <cio/http_parser.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { FUZZ_SLOTS = 24 };

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Piece sizes for incremental feeding: 1..16 bytes, read cyclically from
 * the input itself so the fuzzer controls them. */
typedef struct fuzz_pieces {
    const unsigned char *src;
    size_t len, next;
} fuzz_pieces;

static inline size_t fuzz_piece(fuzz_pieces *p) {
    if (p->len == 0) return 1;
    return 1 + (p->src[p->next++ % p->len] & 15);
}

/* Exactly n bytes on the heap, so ASan sees any read past the end. */
static inline char *fuzz_copy(const void *data, size_t n) {
    char *buf = malloc(n ? n : 1);
    FUZZ_CHECK(buf != NULL);
    if (n) memcpy(buf, data, n);
    return buf;
}

static inline bool fuzz_inside(cio_http_slice s, const char *buf, size_t len) {
    return s.len == 0 || (s.ptr >= buf && s.len <= len && s.ptr <= buf + len - s.len);
}

static inline bool fuzz_same(cio_http_slice a, cio_http_slice b) {
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* What any accepted head must satisfy. */
static inline void fuzz_check_head(const cio_http_head *h, const char *buf, size_t used) {
    FUZZ_CHECK(fuzz_inside(h->method, buf, used) && fuzz_inside(h->target, buf, used));
    FUZZ_CHECK(fuzz_inside(h->reason, buf, used));
    FUZZ_CHECK(h->version == 0 || h->version == 1);
    FUZZ_CHECK(h->nheaders <= FUZZ_SLOTS);
    for (size_t i = 0; i < h->nheaders; i++) {
        const cio_http_header *f = &h->headers[i];
        FUZZ_CHECK(f->name.len > 0 && fuzz_inside(f->name, buf, used));
        FUZZ_CHECK(fuzz_inside(f->value, buf, used));
        FUZZ_CHECK(!memchr(f->value.ptr, '\n', f->value.len));
        FUZZ_CHECK(!memchr(f->value.ptr, '\r', f->value.len));
        FUZZ_CHECK(!memchr(f->name.ptr, ':', f->name.len));
    }
    FUZZ_CHECK(h->body != CIO_HTTP_BODY_LENGTH || h->content_length <= (1u << 20));
}

static inline void fuzz_same_head(const cio_http_head *a, const cio_http_head *b) {
    FUZZ_CHECK(fuzz_same(a->method, b->method) && fuzz_same(a->target, b->target));
    FUZZ_CHECK(fuzz_same(a->reason, b->reason));
    FUZZ_CHECK(a->status == b->status && a->version == b->version);
    FUZZ_CHECK(a->nheaders == b->nheaders);
    for (size_t i = 0; i < a->nheaders; i++) {
        FUZZ_CHECK(fuzz_same(a->headers[i].name, b->headers[i].name));
        FUZZ_CHECK(fuzz_same(a->headers[i].value, b->headers[i].value));
    }
    FUZZ_CHECK(a->body == b->body && a->content_length == b->content_length);
    FUZZ_CHECK(a->keep_alive == b->keep_alive && a->expect_continue == b->expect_continue);
    FUZZ_CHECK(a->upgrade == b->upgrade);
}

/* Limits: the defaults, or small ones that the fuzzer can reach. */
static inline cio_http_parser_options fuzz_options(unsigned char seed) {
    cio_http_parser_options o = {0};
    if (seed & 1) {
        o.max_start_line = 16 + (seed >> 1) % 64;
        o.max_header_bytes = 32 + (seed >> 2) * 4;
        o.max_headers = 1 + (seed >> 3) % 8;
        o.max_body = 1 + (seed >> 4) * 100;
    }
    return o;
}

/* Parse data[0..size) whole, then again fed in pieces (each call on a fresh
 * copy of the prefix, as if the buffer had moved); both must agree. Returns
 * the result; *whole holds the whole-buffer head, borrowing *keep (the
 * caller frees it). */
static inline ssize_t fuzz_parse_both(cio_http_kind kind, const unsigned char *data, size_t size,
                                      const cio_http_parser_options *opts, cio_http_header *slots,
                                      cio_http_head *whole, char **keep) {
    cio_http_parser p;
    cio_http_header slots2[FUZZ_SLOTS];
    cio_http_head head;
    char *buf = fuzz_copy(data, size);
    FUZZ_CHECK(cio_http_parser_init(&p, kind, slots, FUZZ_SLOTS, opts) == 0);
    ssize_t rc = cio_http_parser_parse(&p, buf, size, whole);
    FUZZ_CHECK(rc == -EAGAIN || (rc < 0 && cio_http_error_status((int)rc) != 0) ||
               (rc > 0 && (size_t)rc <= size));
    if (rc > 0) fuzz_check_head(whole, buf, (size_t)rc);

    FUZZ_CHECK(cio_http_parser_init(&p, kind, slots2, FUZZ_SLOTS, opts) == 0);
    fuzz_pieces pieces = {data, size, 0};
    ssize_t rc2 = -EAGAIN;
    for (size_t n = 0; rc2 == -EAGAIN && n < size;) {
        size_t more = fuzz_piece(&pieces);
        n = n + more < size ? n + more : size;
        char *part = fuzz_copy(data, n);
        rc2 = cio_http_parser_parse(&p, part, n, &head);
        if (rc2 > 0) {
            fuzz_check_head(&head, part, (size_t)rc2);
            fuzz_same_head(whole, &head);
        }
        free(part);
    }
    FUZZ_CHECK(rc2 == rc || (size == 0 && rc2 == -EAGAIN));
    *keep = buf;
    return rc;
}

/* Decode a chunked body whole (repeated calls on what is left), then fed in
 * pieces; the data, the bytes consumed and the outcome must agree. */
typedef struct fuzz_decoded {
    size_t data, consumed; /* data bytes, bytes consumed */
    unsigned long hash;    /* of the data */
    ssize_t end;           /* 0 done, -EAGAIN, or the error */
} fuzz_decoded;

static inline void fuzz_add(fuzz_decoded *d, cio_http_slice s, const char *buf, size_t len) {
    FUZZ_CHECK(fuzz_inside(s, buf, len));
    for (size_t i = 0; i < s.len; i++) d->hash = d->hash * 31 + (unsigned char)s.ptr[i];
    d->data += s.len;
}

static inline fuzz_decoded fuzz_decode(const char *body, size_t len, fuzz_pieces *pieces,
                                       const cio_http_parser_options *opts) {
    cio_http_chunked dec;
    cio_http_header trailers[4];
    fuzz_decoded d = {0, 0, 0, -EAGAIN};
    FUZZ_CHECK(cio_http_chunked_init(&dec, trailers, 4, opts) == 0);
    size_t arrived = pieces ? 0 : len;
    while (!cio_http_chunked_done(&dec)) {
        size_t n = arrived - d.consumed;
        char *buf = fuzz_copy(body + d.consumed, n);
        cio_http_slice data;
        ssize_t rc = cio_http_chunked_decode(&dec, buf, n, &data);
        if (rc >= 0) {
            FUZZ_CHECK((size_t)rc <= n && data.len <= (size_t)rc);
            fuzz_add(&d, data, buf, n);
            d.consumed += (size_t)rc;
        }
        if (cio_http_chunked_done(&dec))
            for (size_t i = 0; i < cio_http_chunked_trailers(&dec); i++)
                FUZZ_CHECK(fuzz_inside(trailers[i].value, buf, n));
        free(buf);
        if (rc == -EAGAIN && arrived < len) {
            size_t more = fuzz_piece(pieces);
            arrived = arrived + more < len ? arrived + more : len;
            continue;
        }
        if (rc < 0) {
            d.end = rc;
            return d;
        }
    }
    d.end = 0;
    return d;
}

static inline void fuzz_chunked(const char *body, size_t len, const unsigned char *data,
                                size_t size, const cio_http_parser_options *opts) {
    fuzz_pieces pieces = {data, size, 0};
    fuzz_decoded whole = fuzz_decode(body, len, NULL, opts);
    fuzz_decoded parts = fuzz_decode(body, len, &pieces, opts);
    FUZZ_CHECK(whole.end == parts.end && whole.data == parts.data && whole.hash == parts.hash);
    FUZZ_CHECK(whole.end != 0 || whole.consumed == parts.consumed);
    FUZZ_CHECK(whole.consumed <= len && whole.data <= whole.consumed);
}

#endif
