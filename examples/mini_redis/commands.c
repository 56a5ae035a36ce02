/* commands.c - PING ECHO GET SET DEL EXISTS INCR DECR EXPIRE TTL MGET MSET
 * FLUSHALL, and CONFIG GET for redis-benchmark. Where redis-server checks
 * things in a certain order (arity, options, integers, the key), so does
 * this, so the same mistakes get the same errors. */
#include "commands.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef const cio_resp_value arg;

/* ---- replies ------------------------------------------------------------------- */

static char *reserve(outbuf *out, size_t n) {
    if (out->cap - out->len < n) {
        size_t cap = out->cap ? out->cap : 4096;
        while (cap - out->len < n) cap *= 2;
        char *d = realloc(out->data, cap);
        if (!d) {
            out->failed = true;
            return NULL;
        }
        out->data = d;
        out->cap = cap;
    }
    return out->data + out->len;
}

static void append(outbuf *out, const void *bytes, size_t n) {
    if (n == 0) return; /* bytes may be NULL then (an empty buffer) */
    char *p = reserve(out, n);
    if (!p) return;
    memcpy(p, bytes, n);
    out->len += n;
}

static void reply_integer(outbuf *out, int64_t v) {
    char *p = reserve(out, 32);
    if (p) out->len += (size_t)cio_resp_write_integer(v, p, 32);
}

static void reply_bulk(outbuf *out, const char *data, size_t len) {
    char *p = reserve(out, len + 32);
    if (p) out->len += (size_t)cio_resp_write_bulk(data, len, p, len + 32);
}

static void reply_array(outbuf *out, size_t count) {
    char *p = reserve(out, 32);
    if (p) out->len += (size_t)cio_resp_write_array_header(count, p, 32);
}

#define reply_literal(out, s) append(out, s, sizeof s - 1)
#define reply_ok(out)         reply_literal(out, "+OK\r\n")
#define reply_nil(out)        reply_literal(out, "$-1\r\n")

void reply_error(outbuf *out, const char *text) {
    append(out, "-", 1);
    append(out, text, strlen(text));
    append(out, "\r\n", 2);
}

/* As redis's addReplyErrorFormat: line ends inside become spaces. */
static void reply_errorf(outbuf *out, const char *fmt, ...) {
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    for (char *c = text; *c; c++)
        if (*c == '\r' || *c == '\n') *c = ' ';
    reply_error(out, text);
}

#define ERR_NOT_INTEGER "ERR value is not an integer or out of range"
#define ERR_SYNTAX      "ERR syntax error"

/* ---- arguments ------------------------------------------------------------------- */

static bool is_word(arg *a, const char *word) {
    size_t n = strlen(word);
    return a->len == n && strncasecmp(a->str, word, n) == 0;
}

/* Redis's string2ll: one spelling per number ("-0", "+1", "01", " 1" and
 * overflow are not integers). */
static bool parse_int(arg *a, int64_t *out) {
    const char *p = a->str;
    size_t n = a->len;
    if (n == 0 || n > 20) return false;
    if (n == 1 && p[0] == '0') return *out = 0, true;
    bool neg = p[0] == '-';
    size_t i = neg;
    if (i == n || p[i] < '1' || p[i] > '9') return false;
    uint64_t v = 0;
    for (; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return false;
        if (v > (UINT64_MAX - (uint64_t)(p[i] - '0')) / 10) return false;
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX) return false;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

/* ---- the commands --------------------------------------------------------------------- */

static void cmd_ping(store *s, arg *a, size_t argc, outbuf *out) {
    (void)s;
    if (argc > 2) {
        reply_error(out, "ERR wrong number of arguments for 'ping' command");
        return;
    }
    if (argc == 2) {
        reply_bulk(out, a[1].str, a[1].len);
        return;
    }
    reply_literal(out, "+PONG\r\n");
}

static void cmd_echo(store *s, arg *a, size_t argc, outbuf *out) {
    (void)s, (void)argc;
    reply_bulk(out, a[1].str, a[1].len);
}

static void cmd_get(store *s, arg *a, size_t argc, outbuf *out) {
    (void)argc;
    entry *e = store_get(s, a[1].str, a[1].len);
    if (!e) {
        reply_nil(out);
        return;
    }
    reply_bulk(out, e->value, e->vlen);
}

enum {
    SET_NX = 1,
    SET_XX = 2,
    SET_GET = 4,
    SET_KEEPTTL = 8,
    SET_EX = 16,
    SET_PX = 32,
    SET_EXAT = 64,
    SET_PXAT = 128
};
#define SET_ANY_TTL (SET_KEEPTTL | SET_EX | SET_PX | SET_EXAT | SET_PXAT)

/* SET's options, in redis's parseExtendedStringArgumentsOrReply order: an
 * option clashing with one seen before is a syntax error, a repeated one is
 * not, and the expire value is checked only after all options parse. */
static bool parse_set_options(arg *a, size_t argc, int *flags, arg **expire, outbuf *out) {
    for (size_t j = 3; j < argc; j++) {
        bool next = j + 1 < argc;
        int f = *flags, ttl_others;
        if (is_word(&a[j], "NX") && !(f & SET_XX))
            *flags |= SET_NX;
        else if (is_word(&a[j], "XX") && !(f & SET_NX))
            *flags |= SET_XX;
        else if (is_word(&a[j], "GET"))
            *flags |= SET_GET;
        else if (is_word(&a[j], "KEEPTTL") && !(f & (SET_ANY_TTL & ~SET_KEEPTTL)))
            *flags |= SET_KEEPTTL;
        else {
            int which = is_word(&a[j], "EX")     ? SET_EX
                        : is_word(&a[j], "PX")   ? SET_PX
                        : is_word(&a[j], "EXAT") ? SET_EXAT
                        : is_word(&a[j], "PXAT") ? SET_PXAT
                                                 : 0;
            ttl_others = SET_ANY_TTL & ~which;
            if (!which || (f & ttl_others) || !next) {
                reply_error(out, ERR_SYNTAX);
                return false;
            }
            *flags |= which;
            *expire = &a[++j];
        }
    }
    return true;
}

/* The absolute expiry of SET's EX/PX/EXAT/PXAT value, as redis's
 * getExpireMillisecondsOrReply checks it. */
static bool set_expiry(arg *expire, int flags, int64_t *when, outbuf *out) {
    int64_t v;
    if (!parse_int(expire, &v)) {
        reply_error(out, ERR_NOT_INTEGER);
        return false;
    }
    bool seconds = flags & (SET_EX | SET_EXAT);
    if (v <= 0 || (seconds && v > INT64_MAX / 1000)) {
        reply_error(out, "ERR invalid expire time in 'set' command");
        return false;
    }
    if (seconds) v *= 1000;
    if (flags & (SET_EX | SET_PX)) v += store_now_ms();
    if (v <= 0) {
        reply_error(out, "ERR invalid expire time in 'set' command");
        return false;
    }
    *when = v;
    return true;
}

static void cmd_set(store *s, arg *a, size_t argc, outbuf *out) {
    int flags = 0;
    arg *expire = NULL;
    int64_t when = -1;
    if (!parse_set_options(a, argc, &flags, &expire, out)) return;
    if (expire && !set_expiry(expire, flags, &when, out)) return;
    entry *e = store_get(s, a[1].str, a[1].len);
    if (flags & SET_GET) {
        if (e)
            reply_bulk(out, e->value, e->vlen);
        else
            reply_nil(out);
    }
    if ((flags & SET_NX && e) || (flags & SET_XX && !e)) {
        if (!(flags & SET_GET)) reply_nil(out);
        return;
    }
    if (!store_set(s, a[1].str, a[1].len, a[2].str, a[2].len, when, flags & SET_KEEPTTL)) {
        out->failed = true;
        return;
    }
    if (!(flags & SET_GET)) reply_ok(out);
}

static void cmd_del(store *s, arg *a, size_t argc, outbuf *out) {
    int64_t n = 0;
    for (size_t i = 1; i < argc; i++) n += store_del(s, a[i].str, a[i].len);
    reply_integer(out, n);
}

static void cmd_exists(store *s, arg *a, size_t argc, outbuf *out) {
    int64_t n = 0;
    for (size_t i = 1; i < argc; i++) n += store_get(s, a[i].str, a[i].len) != NULL;
    reply_integer(out, n);
}

static void incr_by(store *s, arg *key, int64_t by, outbuf *out) {
    entry *e = store_get(s, key->str, key->len);
    int64_t v = 0;
    if (e && !parse_int(&(arg){.str = e->value, .len = e->vlen}, &v)) {
        reply_error(out, ERR_NOT_INTEGER);
        return;
    }
    if ((by < 0 && v < INT64_MIN - by) || (by > 0 && v > INT64_MAX - by)) {
        reply_error(out, "ERR increment or decrement would overflow");
        return;
    }
    v += by;
    char text[32];
    int n = snprintf(text, sizeof text, "%lld", (long long)v);
    if (!store_set(s, key->str, key->len, text, (size_t)n, -1, true)) {
        out->failed = true;
        return;
    }
    reply_integer(out, v);
}

static void cmd_incr(store *s, arg *a, size_t argc, outbuf *out) {
    (void)argc;
    incr_by(s, &a[1], 1, out);
}

static void cmd_decr(store *s, arg *a, size_t argc, outbuf *out) {
    (void)argc;
    incr_by(s, &a[1], -1, out);
}

enum { EXPIRE_NX = 1, EXPIRE_XX = 2, EXPIRE_GT = 4, EXPIRE_LT = 8 };

static bool parse_expire_options(arg *a, size_t argc, int *flags, outbuf *out) {
    for (size_t j = 3; j < argc; j++) {
        if (is_word(&a[j], "NX"))
            *flags |= EXPIRE_NX;
        else if (is_word(&a[j], "XX"))
            *flags |= EXPIRE_XX;
        else if (is_word(&a[j], "GT"))
            *flags |= EXPIRE_GT;
        else if (is_word(&a[j], "LT"))
            *flags |= EXPIRE_LT;
        else {
            reply_errorf(out, "ERR Unsupported option %.*s", (int)a[j].len, a[j].str);
            return false;
        }
    }
    if ((*flags & EXPIRE_NX) && (*flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT))) {
        reply_error(out, "ERR NX and XX, GT or LT options at the same time are not compatible");
        return false;
    }
    if ((*flags & EXPIRE_GT) && (*flags & EXPIRE_LT)) {
        reply_error(out, "ERR GT and LT options at the same time are not compatible");
        return false;
    }
    return true;
}

/* Whether EXPIRE's NX/XX/GT/LT let the new time replace current (-1: none). */
static bool expire_allowed(int flags, int64_t current, int64_t when) {
    if ((flags & EXPIRE_NX) && current != -1) return false;
    if ((flags & EXPIRE_XX) && current == -1) return false;
    if ((flags & EXPIRE_GT) && (current == -1 || when <= current)) return false;
    if ((flags & EXPIRE_LT) && current != -1 && when >= current) return false;
    return true;
}

static void cmd_expire(store *s, arg *a, size_t argc, outbuf *out) {
    int flags = 0;
    int64_t when, now = store_now_ms();
    if (!parse_expire_options(a, argc, &flags, out)) return;
    if (!parse_int(&a[2], &when)) {
        reply_error(out, ERR_NOT_INTEGER);
        return;
    }
    if (when > INT64_MAX / 1000 || when < INT64_MIN / 1000 || when * 1000 > INT64_MAX - now) {
        reply_error(out, "ERR invalid expire time in 'expire' command");
        return;
    }
    when = when * 1000 + now;
    entry *e = store_get(s, a[1].str, a[1].len);
    if (!e || !expire_allowed(flags, e->expires, when)) {
        reply_literal(out, ":0\r\n");
        return;
    }
    if (when <= now)
        store_del(s, a[1].str, a[1].len);
    else
        e->expires = when;
    reply_literal(out, ":1\r\n");
}

static void cmd_ttl(store *s, arg *a, size_t argc, outbuf *out) {
    (void)argc;
    entry *e = store_get(s, a[1].str, a[1].len);
    if (!e) {
        reply_integer(out, -2);
        return;
    }
    if (e->expires < 0) {
        reply_integer(out, -1);
        return;
    }
    int64_t ttl = e->expires - store_now_ms();
    reply_integer(out, ((ttl < 0 ? 0 : ttl) + 500) / 1000);
}

static void cmd_mget(store *s, arg *a, size_t argc, outbuf *out) {
    reply_array(out, argc - 1);
    for (size_t i = 1; i < argc; i++) cmd_get(s, &a[i - 1], 2, out);
}

static void cmd_mset(store *s, arg *a, size_t argc, outbuf *out) {
    if (argc % 2 == 0) {
        reply_error(out, "ERR wrong number of arguments for 'mset' command");
        return;
    }
    for (size_t i = 1; i < argc; i += 2)
        if (!store_set(s, a[i].str, a[i].len, a[i + 1].str, a[i + 1].len, -1, false)) {
            out->failed = true;
            return;
        }
    reply_ok(out);
}

static void cmd_flushall(store *s, arg *a, size_t argc, outbuf *out) {
    if (argc > 2 || (argc == 2 && !is_word(&a[1], "ASYNC") && !is_word(&a[1], "SYNC"))) {
        reply_error(out, ERR_SYNTAX);
        return;
    }
    store_clear(s);
    reply_ok(out);
}

/* CONFIG GET, enough for redis-benchmark's start (it asks for "save" and
 * "appendonly"): this server never persists anything. */
static void cmd_config(store *s, arg *a, size_t argc, outbuf *out) {
    (void)s;
    if (!is_word(&a[1], "GET")) {
        reply_errorf(out, "ERR unknown subcommand '%.*s'. Try CONFIG HELP.",
                     (int)(a[1].len < 128 ? a[1].len : 128), a[1].str);
        return;
    }
    if (argc < 3) {
        reply_error(out, "ERR wrong number of arguments for 'config|get' command");
        return;
    }
    static const char *const params[][2] = {{"save", ""}, {"appendonly", "no"}};
    size_t found = 0;
    outbuf items = {0};
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++) {
        for (size_t j = 2; j < argc; j++) {
            if (!is_word(&a[j], params[i][0])) continue;
            reply_bulk(&items, params[i][0], strlen(params[i][0]));
            reply_bulk(&items, params[i][1], strlen(params[i][1]));
            found++;
            break;
        }
    }
    reply_array(out, 2 * found);
    append(out, items.data, items.len);
    out->failed |= items.failed;
    free(items.data);
}

/* ---- dispatch ------------------------------------------------------------------------- */

typedef void (*handler)(store *, arg *, size_t, outbuf *);

/* arity as redis counts it: n exactly n arguments (the name included), -n at
 * least n. */
static const struct command {
    const char *name;
    int arity;
    handler fn;
} commands[] = {
    {"get", 2, cmd_get},
    {"set", -3, cmd_set},
    {"ping", -1, cmd_ping},
    {"incr", 2, cmd_incr},
    {"decr", 2, cmd_decr},
    {"del", -2, cmd_del},
    {"exists", -2, cmd_exists},
    {"mget", -2, cmd_mget},
    {"mset", -3, cmd_mset},
    {"expire", -3, cmd_expire},
    {"ttl", 2, cmd_ttl},
    {"echo", 2, cmd_echo},
    {"flushall", -1, cmd_flushall},
    {"config", -2, cmd_config},
};

/* redis's "unknown command" text: the first arguments, quoted, while the
 * list is under 128 bytes. */
static void reply_unknown(arg *a, size_t argc, outbuf *out) {
    char args[512] = "";
    size_t len = 0;
    for (size_t i = 1; i < argc && len < 128; i++)
        len += (size_t)snprintf(args + len, sizeof args - len, "'%.*s' ",
                                (int)(a[i].len < 128 - len ? a[i].len : 128 - len), a[i].str);
    reply_errorf(out, "ERR unknown command '%.*s', with args beginning with: %s",
                 (int)(a[0].len < 128 ? a[0].len : 128), a[0].str, args);
}

void run_command(store *s, const cio_resp_value *args, size_t argc, outbuf *out) {
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        const struct command *c = &commands[i];
        if (!is_word(&args[0], c->name)) continue;
        if ((c->arity > 0 && argc != (size_t)c->arity) ||
            (c->arity < 0 && argc < (size_t)-c->arity)) {
            reply_errorf(out, "ERR wrong number of arguments for '%s' command", c->name);
            return;
        }
        {
            c->fn(s, args, argc, out);
            return;
        }
    }
    reply_unknown(args, argc, out);
}
