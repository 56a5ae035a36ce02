/* cio/resp.h - RESP2, the Redis protocol: an incremental, allocation-free
 * parser and encoders for commands and replies.
 *
 * Pure code: nothing here touches a loop, a task or a file descriptor, and
 * nothing allocates. Every function may be called from any thread; a parser
 * belongs to whoever calls it (no locking inside).
 *
 * Parsing. The caller owns the bytes (typically a stream's read buffer) and
 * an array of value slots; cio_resp_parse() turns one message at the front of
 * the bytes into a flat tree in the slots, in wire order (pre-order):
 *
 *     cio_resp_value slots[64];
 *     cio_resp_parser parser;
 *     cio_resp_parser_init(&parser, slots, 64, NULL);        // reading replies
 *     ssize_t n = cio_resp_parse(&parser, buf, len);
 *     // n > 0: slots[0] is the message, n bytes long; n == 0: need more bytes
 *     // (call again with the same bytes plus more); n < 0: drop the peer.
 *
 * The parser is resumable: a message arriving in pieces is scanned once, not
 * from its start on every call, so feeding one byte at a time costs the same
 * as feeding the whole. Between calls the buffer may move (be compacted or
 * reallocated) as long as it still starts with the same message bytes.
 *
 * Peers are hostile: every length is bounded (cio_resp_options), integers
 * follow Redis's strict rules (no "+5", "-0", "007", " 5" or overflow), lines
 * must end in "\r\n" (a bare "\n" or "\r" is refused), negative lengths other
 * than -1 are refused, and RESP3 types are refused. See docs/resp.md. */
#ifndef CIO_RESP_H
#define CIO_RESP_H

#include <sys/types.h>

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Values ------------------------------------------------------------------ */
typedef enum cio_resp_type {
    CIO_RESP_SIMPLE = 1, /* +OK\r\n                  str/len: the text */
    CIO_RESP_ERROR,      /* -ERR msg\r\n             str/len: the text */
    CIO_RESP_INTEGER,    /* :42\r\n                  integer */
    CIO_RESP_BULK,       /* $5\r\nhello\r\n          str/len: the bytes (binary-safe) */
    CIO_RESP_NIL,        /* $-1\r\n                  the nil bulk string */
    CIO_RESP_ARRAY,      /* *2\r\n...                count elements follow */
    CIO_RESP_NIL_ARRAY,  /* *-1\r\n                  the nil array */
} cio_resp_type;

/* One parsed value. A message is a flat tree in wire order: slot 0 is the
 * root; an array's elements start in the slot after it, and each value's
 * `next` is the slot just past its subtree, so the elements of the array in
 * slot i are at i + 1, then slots[i + 1].next, and so on (see
 * cio_resp_child()). An array of scalars, like every command, is simply
 * slots i + 1 .. i + count. */
typedef struct cio_resp_value {
    cio_resp_type type;
    int64_t integer; /* CIO_RESP_INTEGER: the value; otherwise 0 */
    /* SIMPLE, ERROR, BULK: the bytes, borrowed from the parsed buffer (valid
     * while it is; not NUL-terminated). NULL with len 0 for other types. */
    const char *str;
    size_t len;
    size_t offset; /* where the value's str starts, from the message's first byte */
    size_t count;  /* CIO_RESP_ARRAY: number of elements; otherwise 0 */
    size_t next;   /* index of the slot just past this value's subtree */
} cio_resp_value;

/* ---- Parser options ------------------------------------------------------------ */
/* cio_resp_options.flags */
enum {
    /* Parse commands, as a server reads them: an array of bulk strings (any
     * other shape, nil included, is refused). Without it, replies of every
     * RESP2 type, nested arrays included, as a client reads them. */
    CIO_RESP_COMMAND = 1u << 0,
    /* With CIO_RESP_COMMAND: a message not starting with '*' is an inline
     * command, as redis-server accepts from telnet: one line of words split
     * by spaces or tabs, ending in "\n" or "\r\n", parsed as an array of bulk
     * strings (a blank line gives an empty array, which a server skips).
     * Quoted words ('"', '\'') are refused: redis would unquote them, and a
     * borrowed slice cannot, so accepting them would read another command. */
    CIO_RESP_INLINE = 1u << 1,
};

#define CIO_RESP_MAX_DEPTH          32                   /* hard limit on max_depth */
#define CIO_RESP_DEFAULT_MAX_BULK   (512u * 1024 * 1024) /* redis proto-max-bulk-len */
#define CIO_RESP_DEFAULT_MAX_ARRAY  (1024u * 1024)       /* redis's multibulk limit */
#define CIO_RESP_DEFAULT_MAX_DEPTH  16
#define CIO_RESP_DEFAULT_MAX_INLINE (64u * 1024) /* redis PROTO_INLINE_MAX_SIZE */

/* Limits and forms. NULL or a zeroed struct means every default; a zero
 * field means that field's default. */
typedef struct cio_resp_options {
    unsigned flags;     /* CIO_RESP_COMMAND, CIO_RESP_INLINE */
    size_t max_bulk;    /* longest bulk string, bytes (default 512 MiB) */
    size_t max_array;   /* most elements in one array (default 1 Mi) */
    unsigned max_depth; /* most nested arrays, the root counting 1 (default 16, at most 32) */
    /* Longest line without its "\r\n": an inline command, a simple string or
     * an error (default 64 KiB). Length and integer lines are refused past
     * 20 characters whatever this says. */
    size_t max_inline;
} cio_resp_options;

/* ---- Parser ----------------------------------------------------------------------
 * A value (caller's storage, no teardown), set up by cio_resp_parser_init().
 * It remembers the slots and the progress through the current message. */
typedef struct cio_resp_parser {
    uint64_t opaque[56];
} cio_resp_parser;

/* Set up parser to fill values[0 .. nvalues - 1] (borrowed: they must stay
 * valid while the parser is used) under opts (copied; NULL: defaults).
 * Returns 0, or -EINVAL (NULL parser or values, nvalues 0, CIO_RESP_INLINE
 * without CIO_RESP_COMMAND, max_depth over CIO_RESP_MAX_DEPTH). Any thread. */
CIO_EXPORT int cio_resp_parser_init(cio_resp_parser *parser, cio_resp_value *values, size_t nvalues,
                                    const cio_resp_options *opts);

/* Parse one message from the start of buf[0 .. len - 1]. buf is borrowed for
 * the call; after a success the values' str point into it.
 * Returns:
 *   > 0          the message is complete and took that many bytes; values[0]
 *                is its root and values[0].next slots are used. The parser is
 *                ready for the next message (pass the bytes after it), which
 *                overwrites the slots: use them first.
 *   0            need more: call again with the same bytes and more after them
 *                (the buffer may have moved). An empty buf is 0.
 *   -EPROTO      not RESP2 (a bad type byte, a malformed integer or length,
 *                a missing or bare "\r"/"\n", a RESP3 type; in command mode any
 *                shape but an array of bulk strings, or a quote in an inline
 *                command).
 *   -EMSGSIZE    a limit of cio_resp_options was passed.
 *   -ENOBUFS     the message needs more than nvalues slots.
 *   -EINVAL      NULL or uninitialised parser, buf NULL with len > 0, or len
 *                shorter than what the previous call already parsed.
 * After an error the parser starts over at the next call; the peer should be
 * dropped, since where its next message starts is unknown. Any thread. */
CIO_EXPORT ssize_t cio_resp_parse(cio_resp_parser *parser, const void *buf, size_t len);

/* Forget a half-parsed message: the next cio_resp_parse() starts a new one.
 * Any thread. */
CIO_EXPORT void cio_resp_parser_reset(cio_resp_parser *parser);

/* The index of element k of the array in values[index] (k < its count): a
 * walk over the k siblings before it. Any thread. */
static inline size_t cio_resp_child(const cio_resp_value *values, size_t index, size_t k) {
    size_t i = index + 1;
    while (k--) i = values[i].next;
    return i;
}

/* ---- Encoders ------------------------------------------------------------------------
 * Each writes one encoding into buf[0 .. cap - 1] and returns its length in
 * bytes. If that is more than cap, nothing is written: size the buffer with
 * the returned length and call again (buf may be NULL when cap is 0).
 * Negative returns: -EINVAL for the argument errors each one names. Any
 * thread. */

/* A command as a client sends it: an array of argc bulk strings, argv[i]
 * being argvlen[i] bytes (binary-safe), or strlen(argv[i]) if argvlen is
 * NULL. -EINVAL: argc 0, argv NULL, or an argv[i] NULL with a length. */
CIO_EXPORT ssize_t cio_resp_write_command(size_t argc, const char *const *argv,
                                          const size_t *argvlen, void *buf, size_t cap);

/* "$<len>\r\n<data>\r\n". -EINVAL: data NULL with len > 0. */
CIO_EXPORT ssize_t cio_resp_write_bulk(const void *data, size_t len, void *buf, size_t cap);

/* ":<value>\r\n". Cannot fail. */
CIO_EXPORT ssize_t cio_resp_write_integer(int64_t value, void *buf, size_t cap);

/* "+<text>\r\n". -EINVAL: text NULL with len > 0, or text holds '\r' or '\n'
 * (it would end the line early and let the rest pass as another reply). */
CIO_EXPORT ssize_t cio_resp_write_simple(const char *text, size_t len, void *buf, size_t cap);

/* "-<text>\r\n", e.g. "ERR unknown command". -EINVAL as cio_resp_write_simple. */
CIO_EXPORT ssize_t cio_resp_write_error(const char *text, size_t len, void *buf, size_t cap);

/* "*<count>\r\n": the elements follow, written by the other encoders. */
CIO_EXPORT ssize_t cio_resp_write_array_header(size_t count, void *buf, size_t cap);

/* "$-1\r\n", the nil bulk string. Cannot fail. */
CIO_EXPORT ssize_t cio_resp_write_nil(void *buf, size_t cap);

/* "*-1\r\n", the nil array. Cannot fail. */
CIO_EXPORT ssize_t cio_resp_write_nil_array(void *buf, size_t cap);

/* The value in values[index] with its subtree (values[index .. next - 1]),
 * as parsed or built by hand, e.g. to forward a reply. An inline command
 * comes out as the array it parsed to. -EINVAL: a bad type, a str NULL with
 * a length, a simple or error text holding '\r' or '\n', an array's subtree
 * not matching its count, or a next past nvalues. */
CIO_EXPORT ssize_t cio_resp_write_value(const cio_resp_value *values, size_t nvalues, size_t index,
                                        void *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
