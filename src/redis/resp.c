/* RESP2 parser and encoders (include/cio/resp.h).
 *
 * The parser is a loop over elements: each step reads one element's header
 * line at `pos` and either commits it to a slot (a scalar, or an array header
 * that is pushed on the stack of open arrays) or returns "need more" with
 * `pos` unchanged. Nothing half-read is ever in a slot, so resuming is
 * re-reading at most one header line; `scan` remembers how far that line
 * was already searched for its end, so a long line arriving byte by byte is
 * searched once. Slots hold offsets while a message is in progress (the
 * buffer may move between calls); str pointers are filled in when it ends. */
#include <cio/resp.h>

#include <assert.h>
#include <limits.h>
#include <string.h>

#define MAX_NUMBER_LINE 20          /* "-9223372036854775808" */
#define MAGIC           0x52455350u /* "RESP" */

struct parser {
    cio_resp_value *values;
    size_t nvalues;
    size_t used; /* slots committed for the current message */
    size_t pos;  /* bytes of the current message committed */
    size_t scan; /* bytes after pos already searched for the line's end */
    size_t max_bulk, max_array, max_inline;
    unsigned max_depth, flags, depth, magic;
    /* Slots of the arrays still open. Until an array closes, its slot's
     * `next` counts the elements started in it. */
    size_t open[CIO_RESP_MAX_DEPTH];
};
static_assert(sizeof(struct parser) <= sizeof(cio_resp_parser), "cio_resp_parser too small");
static_assert(_Alignof(struct parser) <= _Alignof(cio_resp_parser), "cio_resp_parser alignment");

static struct parser *get(cio_resp_parser *parser) {
    struct parser *p = (struct parser *)(void *)parser;
    return p && p->magic == MAGIC ? p : NULL;
}

static size_t or_default(size_t value, size_t fallback) {
    return value ? value : fallback;
}

int cio_resp_parser_init(cio_resp_parser *parser, cio_resp_value *values, size_t nvalues,
                         const cio_resp_options *opts) {
    static const cio_resp_options defaults = {0};
    if (!opts) opts = &defaults;
    if (!parser || !values || nvalues == 0) return -EINVAL;
    if ((opts->flags & ~(unsigned)(CIO_RESP_COMMAND | CIO_RESP_INLINE)) ||
        ((opts->flags & CIO_RESP_INLINE) && !(opts->flags & CIO_RESP_COMMAND)) ||
        opts->max_depth > CIO_RESP_MAX_DEPTH)
        return -EINVAL;
    struct parser *p = (struct parser *)(void *)parser;
    memset(parser, 0, sizeof *parser);
    p->values = values;
    p->nvalues = nvalues;
    p->flags = opts->flags;
    /* Capped so that pos + header + bulk + 2 can never overflow a size_t. */
    p->max_bulk = or_default(opts->max_bulk, CIO_RESP_DEFAULT_MAX_BULK);
    if (p->max_bulk > SIZE_MAX / 4) p->max_bulk = SIZE_MAX / 4;
    p->max_array = or_default(opts->max_array, CIO_RESP_DEFAULT_MAX_ARRAY);
    p->max_inline = or_default(opts->max_inline, CIO_RESP_DEFAULT_MAX_INLINE);
    if (p->max_inline > SIZE_MAX / 4) p->max_inline = SIZE_MAX / 4;
    p->max_depth = opts->max_depth ? opts->max_depth : CIO_RESP_DEFAULT_MAX_DEPTH;
    p->magic = MAGIC;
    return 0;
}

void cio_resp_parser_reset(cio_resp_parser *parser) {
    struct parser *p = get(parser);
    if (!p) return;
    p->used = p->pos = p->scan = 0;
    p->depth = 0;
}

/* Redis's string2ll rules: "0", or an optional '-' then a digit 1-9 then
 * digits, within int64_t. Anything else ("+5", "-0", "007", "", " 1") is
 * refused, so each integer has exactly one spelling. */
static bool parse_int(const char *s, size_t n, int64_t *out) {
    if (n == 1 && s[0] == '0') {
        *out = 0;
        return true;
    }
    bool negative = n > 0 && s[0] == '-';
    size_t i = negative;
    if (i >= n || s[i] < '1' || s[i] > '9') return false;
    /* Accumulate as a negative number: its range includes INT64_MIN. */
    int64_t v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        int digit = s[i] - '0';
        if (v < (INT64_MIN + digit) / 10) return false;
        v = v * 10 - digit;
    }
    if (!negative) {
        if (v == INT64_MIN) return false;
        v = -v;
    }
    *out = v;
    return true;
}

/* Find the end of the line whose content starts at buf[start]: sets *n to
 * the content length (the "\r\n" follows). Returns 1 found, 0 need more,
 * -EPROTO for a bare '\n' or a '\r' not followed by '\n', or -errlimit when
 * more than limit bytes of content were seen without an end. */
static int find_line(struct parser *p, const char *buf, size_t len, size_t start, size_t limit,
                     int errlimit, size_t *n) {
    size_t avail = len - start;
    size_t window = avail < limit + 1 ? avail : limit + 1; /* the "\r" may be at limit */
    const char *line = buf + start;
    const char *cr = memchr(line + p->scan, '\r', window - p->scan);
    size_t end = cr ? (size_t)(cr - line) : window;
    if (memchr(line + p->scan, '\n', end - p->scan)) return -EPROTO;
    if (!cr) {
        if (avail > limit) return -errlimit;
        p->scan = window;
        return 0;
    }
    p->scan = end; /* resume at the '\r' when its '\n' has not arrived */
    if (end + 1 >= avail) return 0;
    if (line[end + 1] != '\n') return -EPROTO;
    *n = end;
    return 1;
}

/* Take the next slot for a value starting at the current element. */
static cio_resp_value *take_slot(struct parser *p, cio_resp_type type) {
    cio_resp_value *v = &p->values[p->used++];
    *v = (cio_resp_value){.type = type};
    return v;
}

/* An element was committed: count it in its parent, then close every array
 * whose last element that was. Returns true when the message is complete. */
static bool element_done(struct parser *p, size_t slot, size_t bytes) {
    p->pos += bytes;
    p->scan = 0;
    p->values[slot].next = slot + 1;
    while (p->depth > 0) {
        cio_resp_value *array = &p->values[p->open[p->depth - 1]];
        if (array->next != array->count) break;
        array->next = p->used;
        p->depth--;
    }
    return p->depth == 0;
}

static int start_element(struct parser *p) {
    if (p->used == p->nvalues) return -ENOBUFS;
    if (p->depth > 0) p->values[p->open[p->depth - 1]].next++;
    return 0;
}

/* A '$' element: header "$<n>\r\n" (header bytes), then n bytes and "\r\n".
 * Returns 1 with *blen (-1: nil), 0 need more, or an error. */
static int parse_bulk(struct parser *p, const char *buf, size_t len, const char *num, size_t n,
                      size_t header, int64_t *blen) {
    if (!parse_int(num, n, blen) || *blen < -1) return -EPROTO;
    if (*blen == -1) return (p->flags & CIO_RESP_COMMAND) ? -EPROTO : 1;
    if ((uint64_t)*blen > p->max_bulk) return -EMSGSIZE;
    size_t need = header + (size_t)*blen + 2;
    if (len - p->pos < need) return 0;
    const char *end = buf + p->pos + header + *blen;
    return end[0] == '\r' && end[1] == '\n' ? 1 : -EPROTO;
}

/* A '*' element header "*<n>\r\n". */
static int check_array(struct parser *p, const char *num, size_t n, int64_t *count) {
    if (!parse_int(num, n, count) || *count < -1) return -EPROTO;
    if (*count == -1) return (p->flags & CIO_RESP_COMMAND) ? -EPROTO : 1;
    if ((uint64_t)*count > p->max_array) return -EMSGSIZE;
    if (*count > 0 && p->depth == p->max_depth) return -EMSGSIZE;
    /* Each element takes at least one slot: refuse now, not after the data. */
    if ((uint64_t)*count > p->nvalues - p->used - 1) return -ENOBUFS;
    return 1;
}

/* Commit the element whose header line (type, then n bytes) is complete:
 * returns 1 (message complete), 2 (element done or array opened, message
 * not), 0 (a bulk's data has not all arrived) or a negative error. */
static int commit_element(struct parser *p, const char *buf, size_t len, char type, size_t n) {
    const char *line = buf + p->pos + 1;
    size_t slot = p->used, bytes = 1 + n + 2;
    int64_t value;
    int rc;
    switch (type) {
    case '+':
    case '-':
        take_slot(p, type == '+' ? CIO_RESP_SIMPLE : CIO_RESP_ERROR)->len = n;
        p->values[slot].offset = p->pos + 1;
        break;
    case ':':
        if (!parse_int(line, n, &value)) return -EPROTO;
        take_slot(p, CIO_RESP_INTEGER)->integer = value;
        break;
    case '$': {
        if ((rc = parse_bulk(p, buf, len, line, n, bytes, &value)) <= 0) return rc;
        cio_resp_value *v = take_slot(p, value < 0 ? CIO_RESP_NIL : CIO_RESP_BULK);
        if (value >= 0) {
            v->len = (size_t)value;
            v->offset = p->pos + bytes;
            bytes += (size_t)value + 2;
        }
        break;
    }
    default: /* '*' */
        if ((rc = check_array(p, line, n, &value)) <= 0) return rc;
        take_slot(p, value < 0 ? CIO_RESP_NIL_ARRAY : CIO_RESP_ARRAY);
        if (value > 0) {
            p->values[slot].count = (size_t)value;
            p->values[slot].next = 0; /* counts the elements started */
            p->open[p->depth++] = slot;
            p->pos += bytes;
            p->scan = 0;
            return 2;
        }
        break;
    }
    return element_done(p, slot, bytes) ? 1 : 2;
}

/* Read one element at pos. Returns 1 (message complete), 2 (element done,
 * message not), 0 (need more) or a negative error. */
static int parse_element(struct parser *p, const char *buf, size_t len) {
    if (p->pos == len) return 0;
    char type = buf[p->pos];
    bool command = p->flags & CIO_RESP_COMMAND;
    if (command && type != (p->used == 0 ? '*' : '$')) return -EPROTO;
    bool number = type == '$' || type == '*' || type == ':';
    if (!number && type != '+' && type != '-') return -EPROTO;
    int rc = start_element(p);
    if (rc < 0) return rc;
    size_t n = 0;
    rc = find_line(p, buf, len, p->pos + 1, number ? MAX_NUMBER_LINE : p->max_inline,
                   number ? EPROTO : EMSGSIZE, &n);
    if (rc > 0) rc = commit_element(p, buf, len, type, n);
    /* Need more: nothing was committed, the element starts again next call.
     * (After an error the whole parser starts over anyway.) */
    if (rc == 0 && p->depth > 0) p->values[p->open[p->depth - 1]].next--;
    return rc;
}

static bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

/* An inline command: one line up to '\n' (an optional '\r' before it),
 * words split by blanks, as an array of bulk strings. */
static int parse_inline(struct parser *p, const char *buf, size_t len) {
    size_t avail = len, window = avail < p->max_inline + 2 ? avail : p->max_inline + 2;
    const char *nl = memchr(buf + p->scan, '\n', window - p->scan);
    if (!nl) {
        if (avail >= p->max_inline + 2) return -EMSGSIZE;
        p->scan = window;
        return 0;
    }
    size_t n = (size_t)(nl - buf);
    if (n > 0 && buf[n - 1] == '\r') n--;
    if (n > p->max_inline) return -EMSGSIZE;
    if (memchr(buf, '\r', n) || memchr(buf, '"', n) || memchr(buf, '\'', n)) return -EPROTO;
    cio_resp_value *root = take_slot(p, CIO_RESP_ARRAY);
    for (size_t i = 0; i < n;) {
        if (is_blank(buf[i])) {
            i++;
            continue;
        }
        size_t start = i;
        while (i < n && !is_blank(buf[i])) i++;
        if (root->count == p->max_array) return -EMSGSIZE;
        if (p->used == p->nvalues) return -ENOBUFS;
        cio_resp_value *word = take_slot(p, CIO_RESP_BULK);
        *word = (cio_resp_value){
            .type = CIO_RESP_BULK, .len = i - start, .offset = start, .next = p->used};
        root->count++;
    }
    root->next = p->used;
    p->pos = (size_t)(nl - buf) + 1;
    return 1;
}

/* The message is complete: turn offsets into pointers and start over. */
static ssize_t finish(struct parser *p, const char *buf) {
    for (size_t i = 0; i < p->used; i++) {
        cio_resp_value *v = &p->values[i];
        if (v->type == CIO_RESP_SIMPLE || v->type == CIO_RESP_ERROR || v->type == CIO_RESP_BULK)
            v->str = buf + v->offset;
    }
    ssize_t n = (ssize_t)p->pos;
    p->used = p->pos = p->scan = 0;
    p->depth = 0;
    return n;
}

static ssize_t fail(struct parser *p, int err) {
    p->used = p->pos = p->scan = 0;
    p->depth = 0;
    return err;
}

ssize_t cio_resp_parse(cio_resp_parser *parser, const void *buf, size_t len) {
    struct parser *p = get(parser);
    if (!p || (!buf && len > 0) || len < p->pos || len > SSIZE_MAX) return -EINVAL;
    const char *b = buf;
    if (len == 0) return 0;
    int rc;
    if (p->used == 0 && (p->flags & CIO_RESP_INLINE) && b[0] != '*') {
        rc = parse_inline(p, b, len);
    } else {
        while ((rc = parse_element(p, b, len)) == 2) {
        }
    }
    if (rc == 1) return finish(p, b);
    return rc == 0 ? 0 : fail(p, rc);
}

/* ---- encoders -------------------------------------------------------------------- */

/* Decimal digits of v into out (at least 20 bytes); returns their count. */
static size_t format_int(int64_t v, char *out) {
    char tmp[20];
    size_t n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t k = 0;
    if (v < 0) out[k++] = '-';
    while (n) out[k++] = tmp[--n];
    return k;
}

/* Space for "<type><number>\r\n". */
static size_t header_len(int64_t v) {
    char digits[21];
    return 1 + format_int(v, digits) + 2;
}

static char *put_header(char *out, char type, int64_t v) {
    *out++ = type;
    out += format_int(v, out);
    *out++ = '\r';
    *out++ = '\n';
    return out;
}

static bool fits_ssize(size_t a, size_t b) {
    return a <= (size_t)SSIZE_MAX && b <= (size_t)SSIZE_MAX - a;
}

ssize_t cio_resp_write_bulk(const void *data, size_t len, void *buf, size_t cap) {
    if (!data && len > 0) return -EINVAL;
    if (len > (size_t)SSIZE_MAX - 32) return -EINVAL;
    size_t need = header_len((int64_t)len) + len + 2;
    if (need <= cap) {
        char *out = put_header(buf, '$', (int64_t)len);
        if (len) memcpy(out, data, len);
        memcpy(out + len, "\r\n", 2);
    }
    return (ssize_t)need;
}

ssize_t cio_resp_write_integer(int64_t value, void *buf, size_t cap) {
    size_t need = header_len(value);
    if (need <= cap) put_header(buf, ':', value);
    return (ssize_t)need;
}

static ssize_t write_line(char type, const char *text, size_t len, void *buf, size_t cap) {
    if (!text && len > 0) return -EINVAL;
    if (len > (size_t)SSIZE_MAX - 3) return -EINVAL;
    if (len && (memchr(text, '\r', len) || memchr(text, '\n', len))) return -EINVAL;
    size_t need = 1 + len + 2;
    if (need <= cap) {
        char *out = buf;
        out[0] = type;
        if (len) memcpy(out + 1, text, len);
        memcpy(out + 1 + len, "\r\n", 2);
    }
    return (ssize_t)need;
}

ssize_t cio_resp_write_simple(const char *text, size_t len, void *buf, size_t cap) {
    return write_line('+', text, len, buf, cap);
}

ssize_t cio_resp_write_error(const char *text, size_t len, void *buf, size_t cap) {
    return write_line('-', text, len, buf, cap);
}

ssize_t cio_resp_write_array_header(size_t count, void *buf, size_t cap) {
    if (count > INT64_MAX) return -EINVAL;
    size_t need = header_len((int64_t)count);
    if (need <= cap) put_header(buf, '*', (int64_t)count);
    return (ssize_t)need;
}

ssize_t cio_resp_write_nil(void *buf, size_t cap) {
    if (cap >= 5) memcpy(buf, "$-1\r\n", 5);
    return 5;
}

ssize_t cio_resp_write_nil_array(void *buf, size_t cap) {
    if (cap >= 5) memcpy(buf, "*-1\r\n", 5);
    return 5;
}

ssize_t cio_resp_write_command(size_t argc, const char *const *argv, const size_t *argvlen,
                               void *buf, size_t cap) {
    if (argc == 0 || !argv || argc > INT64_MAX) return -EINVAL;
    size_t need = header_len((int64_t)argc);
    for (size_t i = 0; i < argc; i++) {
        size_t n = argvlen ? argvlen[i] : argv[i] ? strlen(argv[i]) : 0;
        if (!argv[i] && n > 0) return -EINVAL;
        ssize_t one = cio_resp_write_bulk(argv[i], n, NULL, 0);
        if (one < 0 || !fits_ssize(need, (size_t)one)) return -EINVAL;
        need += (size_t)one;
    }
    if (need > cap) return (ssize_t)need;
    char *out = put_header(buf, '*', (int64_t)argc);
    for (size_t i = 0; i < argc; i++) {
        size_t n = argvlen ? argvlen[i] : argv[i] ? strlen(argv[i]) : 0;
        out += cio_resp_write_bulk(argv[i], n, out, SIZE_MAX);
    }
    return (ssize_t)need;
}

/* One slot alone (an array: its header only). */
static ssize_t write_slot(const cio_resp_value *v, void *buf, size_t cap) {
    switch (v->type) {
    case CIO_RESP_SIMPLE:
        return cio_resp_write_simple(v->str, v->len, buf, cap);
    case CIO_RESP_ERROR:
        return cio_resp_write_error(v->str, v->len, buf, cap);
    case CIO_RESP_INTEGER:
        return cio_resp_write_integer(v->integer, buf, cap);
    case CIO_RESP_BULK:
        return cio_resp_write_bulk(v->str, v->len, buf, cap);
    case CIO_RESP_NIL:
        return cio_resp_write_nil(buf, cap);
    case CIO_RESP_ARRAY:
        return cio_resp_write_array_header(v->count, buf, cap);
    case CIO_RESP_NIL_ARRAY:
        return cio_resp_write_nil_array(buf, cap);
    }
    return -EINVAL;
}

/* The subtree at values[index] is well formed: scalars are one slot, and
 * each array's count elements end exactly where its subtree does. Checking
 * each array's own children touches every slot once overall. */
static bool well_formed(const cio_resp_value *values, size_t nvalues, size_t index) {
    size_t end = values[index].next;
    if (end <= index || end > nvalues) return false;
    for (size_t i = index; i < end; i++) {
        const cio_resp_value *v = &values[i];
        if (v->type != CIO_RESP_ARRAY) {
            if (v->next != i + 1) return false;
            continue;
        }
        size_t j = i + 1;
        for (size_t k = 0; k < v->count; k++) {
            if (j >= v->next || values[j].next <= j || values[j].next > v->next) return false;
            j = values[j].next;
        }
        if (j != v->next || v->next > end) return false;
    }
    return true;
}

ssize_t cio_resp_write_value(const cio_resp_value *values, size_t nvalues, size_t index, void *buf,
                             size_t cap) {
    if (!values || index >= nvalues || !well_formed(values, nvalues, index)) return -EINVAL;
    size_t need = 0, end = values[index].next;
    for (size_t i = index; i < end; i++) {
        ssize_t one = write_slot(&values[i], NULL, 0);
        if (one < 0 || !fits_ssize(need, (size_t)one)) return -EINVAL;
        need += (size_t)one;
    }
    if (need > cap) return (ssize_t)need;
    char *out = buf;
    for (size_t i = index; i < end; i++) out += write_slot(&values[i], out, SIZE_MAX);
    return (ssize_t)need;
}
