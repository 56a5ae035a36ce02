/* Fuzz target: the stream readers (read, readexactly, readuntil,
 * readuntil_any, readline, readline_alloc) fed arbitrary bytes in arbitrary chunkings, checked
 * against a model of the byte stream.
 *
 * Input: byte 0 picks the reader limit (4..259), byte 1 how many operations
 * follow (each two bytes: kind, parameter), the rest is the data a writer
 * task sends through a socketpair in chunks whose sizes come from the
 * operations' parameters, yielding between chunks so reads meet partial
 * data. The model is the position in the data: every successful read must
 * return exactly the next bytes, with the call's own rule (a line ends at
 * the first '\n' or at EOF, a readuntil at the first separator, a
 * readuntil_any at the separator occurrence that ends first), and every
 * refusal (-CIO_ELIMIT, -CIO_EINCOMPLETE of readuntil) must consume
 * nothing. A violation aborts. */
#include <cio.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct plan {
    const uint8_t *ops;
    size_t nops;
    const uint8_t *data;
    size_t len;
    size_t limit;
    int writer_fd;
};

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "stream reader model violated: %s (line %d)\n", #cond, __LINE__);      \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static void *writer(void *arg) {
    struct plan *plan = arg;
    cio_stream *out;
    if (cio_stream_from_socket(plan->writer_fd, 0, &out) < 0) abort();
    size_t sent = 0, i = 0;
    while (sent < plan->len) {
        uint8_t param = plan->nops ? plan->ops[2 * (i % plan->nops) + 1] : 7;
        size_t chunk = 1 + (size_t)(param * 7u % 97u);
        if (chunk > plan->len - sent) chunk = plan->len - sent;
        if (cio_stream_write(out, plan->data + sent, chunk) < 0 || cio_stream_drain(out) < 0) break;
        sent += chunk;
        for (int y = 0; y < param % 3; y++) cio_yield();
        i++;
    }
    cio_stream_write_eof(out);
    cio_stream_drain(out);
    cio_stream_free(out);
    return NULL;
}

/* The offset of the first sep in data[from..len), or SIZE_MAX. */
static size_t find(const struct plan *p, size_t from, const uint8_t *sep, size_t seplen) {
    for (size_t i = from; i + seplen <= p->len; i++)
        if (memcmp(p->data + i, sep, seplen) == 0) return i;
    return SIZE_MAX;
}

/* Where the first line from pos ends among nseps separators (the
 * occurrence ending first; ties: the shorter), as find() gives it: *at its
 * start (SIZE_MAX if none), and its separator's length and index. */
static void find_any(const struct plan *p, size_t pos, const uint8_t (*seps)[3],
                     const size_t *seplens, size_t nseps, size_t *at, size_t *seplen,
                     size_t *which) {
    size_t best_end = SIZE_MAX;
    *at = SIZE_MAX;
    for (size_t i = 0; i < nseps; i++) {
        size_t hit = find(p, pos, seps[i], seplens[i]);
        if (hit == SIZE_MAX) continue;
        size_t end = hit + seplens[i];
        if (end < best_end || (end == best_end && seplens[i] < *seplen)) {
            best_end = end;
            *at = hit;
            *seplen = seplens[i];
            *which = i;
        }
    }
}

/* One readuntil / readline result against the model, given where the model
 * finds the separator (at: its offset or SIZE_MAX); returns the new pos. */
static size_t check_line(const struct plan *p, size_t pos, ssize_t rc, const char *buf, size_t cap,
                         size_t at, size_t seplen, bool eof_is_line) {
    if (rc > 0) {
        size_t n = (size_t)rc;
        CHECK(pos + n <= p->len);
        CHECK(memcmp(buf, p->data + pos, n) == 0);
        CHECK(buf[n] == '\0');
        if (at != SIZE_MAX)
            CHECK(n == at - pos + seplen);
        else
            CHECK(eof_is_line && pos + n == p->len);
        return pos + n;
    }
    if (rc == 0) CHECK(eof_is_line && pos == p->len);
    if (rc == -CIO_EINCOMPLETE) CHECK(!eof_is_line && at == SIZE_MAX);
    if (rc != 0 && rc != -CIO_EINCOMPLETE) CHECK(rc == -CIO_ELIMIT);
    /* A separator well within both the limit and the buffer is no overrun. */
    if (rc == -CIO_ELIMIT && at != SIZE_MAX)
        CHECK(at - pos + seplen >= p->limit || at - pos + seplen > cap - 1);
    return pos; /* refusals consume nothing */
}

static size_t check_until(const struct plan *p, size_t pos, ssize_t rc, const char *buf, size_t cap,
                          const uint8_t *sep, size_t seplen, bool eof_is_line) {
    return check_line(p, pos, rc, buf, cap, find(p, pos, sep, seplen), seplen, eof_is_line);
}

/* readuntil_any with two or three separators of 1..3 bytes from 'a'..'c'. */
static size_t until_any(cio_stream *in, const struct plan *p, size_t pos, uint8_t param,
                        bool *refused) {
    char buf[512];
    uint8_t seps[3][3];
    size_t seplens[3];
    struct iovec iov[3];
    size_t nseps = 2 + param % 2;
    for (size_t i = 0; i < nseps; i++) {
        seplens[i] = 1 + (size_t)(param >> (2 * i)) % 3;
        for (size_t j = 0; j < 3; j++) seps[i][j] = (uint8_t)('a' + (param >> (i + j)) % 3);
        iov[i] = (struct iovec){.iov_base = seps[i], .iov_len = seplens[i]};
    }
    size_t cap = 1 + param * 3u % sizeof buf;
    size_t which = SIZE_MAX;
    ssize_t rc = cio_stream_readuntil_any(in, iov, nseps, buf, cap, &which);
    *refused = rc < 0;
    size_t at, seplen = 0, model_which = SIZE_MAX;
    find_any(p, pos, (const uint8_t(*)[3])seps, seplens, nseps, &at, &seplen, &model_which);
    if (rc > 0) CHECK(which == model_which || seplens[which] == seplen);
    return check_line(p, pos, rc, buf, cap, at, seplen, false);
}

static size_t one_op(cio_stream *in, const struct plan *p, size_t pos, uint8_t kind, uint8_t param,
                     bool *refused) {
    char buf[512];
    size_t n = 1 + param % 300, got = 0;
    *refused = false;
    switch (kind % 6) {
    case 0: {
        ssize_t rc = cio_stream_read(in, buf, n);
        CHECK(rc >= 0 && (size_t)rc <= n && pos + (size_t)rc <= p->len);
        CHECK(memcmp(buf, p->data + pos, (size_t)rc) == 0);
        CHECK(rc > 0 || pos == p->len);
        return pos + (size_t)rc;
    }
    case 1: {
        int rc = cio_stream_readexactly(in, buf, n, &got);
        CHECK(memcmp(buf, p->data + pos, got) == 0);
        if (rc == 0)
            CHECK(got == n);
        else
            CHECK(rc == -CIO_EINCOMPLETE && pos + got == p->len && got < n);
        return pos + got;
    }
    case 2: {
        uint8_t sep[2] = {(uint8_t)('a' + param % 3), (uint8_t)('a' + param / 3 % 3)};
        size_t seplen = 1 + param % 2;
        size_t cap = 1 + param % sizeof buf;
        ssize_t rc = cio_stream_readuntil(in, sep, seplen, buf, cap);
        *refused = rc < 0;
        return check_until(p, pos, rc, buf, cap, sep, seplen, false);
    }
    case 5:
        return until_any(in, p, pos, param, refused);
    case 3: {
        size_t cap = 1 + param % sizeof buf;
        ssize_t rc = cio_stream_readline(in, buf, cap);
        *refused = rc < 0;
        return check_until(p, pos, rc, buf, cap, (const uint8_t *)"\n", 1, true);
    }
    default: {
        char *line = NULL;
        size_t len = 0;
        int rc = cio_stream_readline_alloc(in, &line, &len);
        *refused = rc < 0;
        if (rc == 0 && line) {
            size_t next = pos + len;
            CHECK(next <= p->len && memcmp(line, p->data + pos, len) == 0 && line[len] == '\0');
            size_t at = find(p, pos, (const uint8_t *)"\n", 1);
            CHECK(at == SIZE_MAX ? next == p->len : next == at + 1);
            free(line);
            return next;
        }
        if (rc == 0)
            CHECK(pos == p->len);
        else
            CHECK(rc == -CIO_ELIMIT);
        return pos;
    }
    }
}

static void *reader(void *arg) {
    struct plan *p = arg;
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) abort();
    p->writer_fd = fds[1];
    cio_stream *in;
    if (cio_stream_from_socket(fds[0], p->limit, &in) < 0) abort();
    cio_task *w;
    cio_create_task(writer, p, &w);
    size_t pos = 0;
    for (size_t i = 0; i < 4 * p->nops + 4 && !cio_stream_at_eof(in); i++) {
        bool refused;
        uint8_t kind = p->nops ? p->ops[2 * (i % p->nops)] : 0;
        uint8_t param = p->nops ? p->ops[2 * (i % p->nops) + 1] : 0;
        pos = one_op(in, p, pos, kind, param, &refused);
        if (refused) pos = one_op(in, p, pos, 0, param, &refused); /* make progress */
    }
    char rest[256];
    ssize_t got;
    while ((got = cio_stream_read(in, rest, sizeof rest)) > 0) {
        CHECK(pos + (size_t)got <= p->len && memcmp(rest, p->data + pos, (size_t)got) == 0);
        pos += (size_t)got;
    }
    CHECK(got == 0 && pos == p->len); /* every byte, once, in order */
    cio_await(w, NULL);
    cio_stream_free(in);
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    struct plan plan = {.limit = 4 + data[0], .nops = data[1] % 32};
    size_t header = 2 + 2 * plan.nops;
    if (size < header) return 0;
    plan.ops = data + 2;
    plan.data = data + header;
    plan.len = size - header;
    if (plan.len > 64 * 1024) return 0;
    cio_loop_options opts = {.clock = CIO_CLOCK_VIRTUAL};
    if (cio_run_ex(reader, &plan, &opts, NULL) != 0) abort();
    return 0;
}
