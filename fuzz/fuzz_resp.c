/* libFuzzer target for the RESP2 parser and encoders (cio/resp.h).
 *
 * Input: one byte of settings (mode, small limits), then the bytes to parse.
 * Invariants checked:
 *   - parsing in pieces (one byte at a time for short inputs) gives the same
 *     result and the same slots as parsing the whole;
 *   - every slice lies inside the message, every tree is well formed;
 *   - a RESP message re-encodes (cio_resp_write_value) to exactly its bytes:
 *     RESP2 as accepted here has one spelling per value; an inline command
 *     re-encodes to an array that parses back to the same words. */
#include <cio/resp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NSLOTS 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "invariant broken: %s\n", what);
        abort();
    }
}

static void options_from(uint8_t b, cio_resp_options *o) {
    *o = (cio_resp_options){0};
    unsigned mode = b & 3;
    if (mode == 1) o->flags = CIO_RESP_COMMAND;
    if (mode >= 2) o->flags = CIO_RESP_COMMAND | CIO_RESP_INLINE;
    if (b & 4) o->max_bulk = 16;
    if (b & 8) o->max_array = 4;
    if (b & 16) o->max_depth = 3;
    if (b & 32) o->max_inline = 16;
}

static void check_slots(const cio_resp_value *v, const char *buf, size_t n) {
    size_t end = v[0].next;
    check(end >= 1 && end <= NSLOTS, "root next within slots");
    for (size_t i = 0; i < end; i++) {
        if (v[i].str) {
            check(v[i].str == buf + v[i].offset, "str is buf + offset");
            check(v[i].offset <= n && v[i].len <= n - v[i].offset, "slice inside message");
        }
        check(v[i].next > i && v[i].next <= end, "next moves forward inside the tree");
    }
}

/* Parse in pieces of `step` bytes (the prefix grows; base stays). */
static ssize_t parse_pieces(const cio_resp_options *o, const char *buf, size_t size, size_t step,
                            cio_resp_value *slots) {
    cio_resp_parser parser;
    check(cio_resp_parser_init(&parser, slots, NSLOTS, o) == 0, "init");
    ssize_t rc = 0;
    for (size_t len = step < size ? step : size; rc == 0; len += step) {
        if (len > size) len = size;
        rc = cio_resp_parse(&parser, buf, len);
        if (len == size) break;
    }
    return rc;
}

static void check_reencode(const cio_resp_options *o, const cio_resp_value *v, const char *buf,
                           size_t n) {
    static char out[1 << 20];
    ssize_t m = cio_resp_write_value(v, NSLOTS, 0, out, sizeof out);
    check(m > 0, "a parsed tree encodes");
    if ((size_t)m > sizeof out) return;
    bool inline_form = (o->flags & CIO_RESP_INLINE) && buf[0] != '*';
    if (!inline_form) {
        check((size_t)m == n && memcmp(out, buf, n) == 0, "re-encoding gives the same bytes");
        return;
    }
    cio_resp_value again[NSLOTS];
    cio_resp_parser parser;
    cio_resp_options co = {.flags = CIO_RESP_COMMAND};
    check(cio_resp_parser_init(&parser, again, NSLOTS, &co) == 0, "init");
    check(cio_resp_parse(&parser, out, (size_t)m) == m, "inline re-encoding parses back");
    check(again[0].count == v[0].count, "same word count");
    for (size_t i = 1; i <= v[0].count; i++)
        check(again[i].len == v[i].len && memcmp(again[i].str, v[i].str, v[i].len) == 0,
              "same words");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    cio_resp_options o;
    options_from(data[0], &o);
    const char *buf = (const char *)data + 1;
    size--;
    static cio_resp_value whole[NSLOTS], piece[NSLOTS];
    ssize_t rc = parse_pieces(&o, buf, size, size ? size : 1, whole);
    check(rc <= (ssize_t)size, "never more than the buffer");
    ssize_t rc2 = parse_pieces(&o, buf, size, size <= 2048 ? 1 : 61, piece);
    check(rc2 == rc, "pieces == whole");
    if (rc <= 0) return 0;
    for (size_t i = 0; i < whole[0].next; i++)
        check(whole[i].type == piece[i].type && whole[i].integer == piece[i].integer &&
                  whole[i].str == piece[i].str && whole[i].len == piece[i].len &&
                  whole[i].offset == piece[i].offset && whole[i].count == piece[i].count &&
                  whole[i].next == piece[i].next,
              "same slots");
    check_slots(whole, buf, (size_t)rc);
    check_reencode(&o, whole, buf, (size_t)rc);
    return 0;
}
