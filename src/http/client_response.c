/* src/http/client_response.c - what libcurl delivers (header lines, body
 * chunks) and the response accessors, including streamed reads.
 *
 * Stream mode keeps at most STREAM_HIGH unread bytes: past it the write
 * callback answers CURL_WRITEFUNC_PAUSE, libcurl keeps that chunk and stops
 * reading the socket, and the reader resumes the transfer once it has taken
 * the buffer below STREAM_LOW. The kernel's socket buffer then fills and TCP
 * slows the server: backpressure end to end. */
#ifdef CIO_HAVE_CURL
#include "http/client.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define STREAM_HIGH (64 * 1024)
#define STREAM_LOW  (16 * 1024)

static void wake(cio_http_client_response *r) {
    cio_task *task = r->waiter;
    if (!task) return;
    r->waiter = NULL;
    cio__wake(task, 0);
}

/* Room for len more bytes (plus a NUL) in *buf. */
static int reserve(char **buf, size_t *cap, size_t used, size_t len) {
    if (used + len + 1 <= *cap) return 0;
    size_t want = *cap ? *cap : 1024;
    while (want < used + len + 1) want *= 2;
    char *grown = realloc(*buf, want);
    if (!grown) return -ENOMEM;
    *buf = grown;
    *cap = want;
    return 0;
}

/* ---- header lines ------------------------------------------------------------------------- */

static void start_block(cio_http_client_response *r, const char *line, size_t len) {
    r->head_len = r->head_count = 0;
    r->location_seen = false;
    r->headers_done = false;
    const char *space = memchr(line, ' ', len);
    r->status = space ? atoi(space + 1) : 0;
}

static bool is_final(const cio_http_client_response *r) {
    if (r->status >= 100 && r->status < 200) return false;
    return !(r->following && r->status >= 300 && r->status < 400 && r->location_seen);
}

/* Store "name\0value\0", trimmed. */
static int add_header(cio_http_client_response *r, const char *line, size_t len) {
    while (len && (line[len - 1] == '\r' || line[len - 1] == '\n')) len--;
    const char *colon = memchr(line, ':', len);
    if (!colon || line[0] == ' ' || line[0] == '\t') return 0; /* folded or odd: skipped */
    size_t name = (size_t)(colon - line);
    const char *value = colon + 1;
    size_t value_len = len - name - 1;
    while (value_len && (*value == ' ' || *value == '\t')) value++, value_len--;
    if (reserve(&r->head, &r->head_cap, r->head_len, name + value_len + 2) < 0) return -ENOMEM;
    char *at = r->head + r->head_len;
    memcpy(at, line, name);
    at[name] = '\0';
    memcpy(at + name + 1, value, value_len);
    at[name + 1 + value_len] = '\0';
    r->head_len += name + value_len + 2;
    r->head_count++;
    if (name == 8 && strncasecmp(line, "location", 8) == 0) r->location_seen = true;
    return 0;
}

size_t cio__http_on_header(char *data, size_t size, size_t count, void *arg) {
    cio_http_client_response *r = arg;
    size_t len = size * count;
    if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        start_block(r, data, len);
    } else if (len <= 2 && (data[0] == '\r' || data[0] == '\n')) {
        if (is_final(r) && !r->headers_done) {
            r->headers_done = true;
            if (r->mode == CIO_HTTP_BODY_STREAM) wake(r);
        }
    } else if (add_header(r, data, len) < 0) {
        r->error = -ENOMEM;
        return 0;
    }
    return len;
}

/* ---- body chunks --------------------------------------------------------------------------- */

static size_t keep_in_memory(cio_http_client_response *r, const char *data, size_t len) {
    if (r->body_len + len > r->max_body) {
        r->error = -EFBIG;
        snprintf(r->errbuf, sizeof r->errbuf, "body exceeds the limit of %zu bytes", r->max_body);
        return 0;
    }
    if (reserve(&r->body, &r->body_cap, r->body_len, len) < 0) {
        r->error = -ENOMEM;
        return 0;
    }
    memcpy(r->body + r->body_len, data, len);
    r->body_len += len;
    r->body[r->body_len] = '\0';
    return len;
}

static size_t write_out(cio_http_client_response *r, const char *data, size_t len) {
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(r->output_fd, data + done, len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            r->error = -errno;
            return 0;
        }
        done += (size_t)n;
    }
    r->body_len += len;
    return len;
}

static size_t keep_for_reader(cio_http_client_response *r, const char *data, size_t len) {
    size_t unread = r->body_len - r->body_off;
    if (unread >= STREAM_HIGH) {
        r->paused = true;
        return CURL_WRITEFUNC_PAUSE;
    }
    if (r->body_off) { /* slide the unread bytes to the front */
        memmove(r->body, r->body + r->body_off, unread);
        r->body_len = unread;
        r->body_off = 0;
    }
    if (reserve(&r->body, &r->body_cap, r->body_len, len) < 0) {
        r->error = -ENOMEM;
        return 0;
    }
    memcpy(r->body + r->body_len, data, len);
    r->body_len += len;
    wake(r);
    return len;
}

size_t cio__http_on_body(char *data, size_t size, size_t count, void *arg) {
    cio_http_client_response *r = arg;
    size_t len = size * count;
    r->headers_done = true; /* a body means the final header block is behind us */
    switch (r->mode) {
    case CIO_HTTP_BODY_STREAM:
        return keep_for_reader(r, data, len);
    case CIO_HTTP_BODY_FD:
        return write_out(r, data, len);
    default:
        return keep_in_memory(r, data, len);
    }
}

/* ---- streamed reads ---------------------------------------------------------------------- */

static void abort_read(cio_task *task) {
    cio_http_client_response *r = cio__wait_owner(task);
    r->waiter = NULL;
}

static size_t take(cio_http_client_response *r, void *buf, size_t cap) {
    size_t n = r->body_len - r->body_off;
    if (n > cap) n = cap;
    memcpy(buf, r->body + r->body_off, n);
    r->body_off += n;
    if (r->body_off == r->body_len) r->body_off = r->body_len = 0;
    if (r->paused && r->body_len - r->body_off < STREAM_LOW) cio__http_resume(r);
    return n;
}

ssize_t cio_http_client_response_read(cio_http_client_response *r, void *buf, size_t cap) {
    cio_task *task = cio__task_current_or_complain("cio_http_client_response_read");
    if (!task) return -EPERM;
    if (!r || r->mode != CIO_HTTP_BODY_STREAM || (!buf && cap)) return -EINVAL;
    while (r->body_len == r->body_off) {
        if (r->phase == CIO__HTTP_DONE) return r->result;
        if (r->waiter) return -EBUSY;
        r->waiter = task;
        cio__wait_tag_detail(task, CIO_WAIT_HTTP, r, r->url);
        int rc = cio__wait(task, abort_read, r);
        if (rc < 0) return rc;
    }
    return cap ? (ssize_t)take(r, buf, cap) : 0;
}

/* ---- accessors ------------------------------------------------------------------------------ */

int cio_http_client_response_status(const cio_http_client_response *r) {
    return r ? r->status : 0;
}

int cio_http_client_response_header_at(const cio_http_client_response *r, size_t i,
                                       const char **name, const char **value) {
    if (!r || i >= r->head_count) return -ERANGE;
    const char *at = r->head;
    for (; i > 0; i--) at += strlen(at) + 1, at += strlen(at) + 1;
    if (name) *name = at;
    if (value) *value = at + strlen(at) + 1;
    return 0;
}

size_t cio_http_client_response_header_count(const cio_http_client_response *r) {
    return r ? r->head_count : 0;
}

const char *cio_http_client_response_header(const cio_http_client_response *r, const char *name) {
    if (!r || !name) return NULL;
    const char *at = r->head;
    for (size_t i = 0; i < r->head_count; i++) {
        const char *value = at + strlen(at) + 1;
        if (strcasecmp(at, name) == 0) return value;
        at = value + strlen(value) + 1;
    }
    return NULL;
}

const char *cio_http_client_response_body(const cio_http_client_response *r, size_t *len) {
    bool kept = r && r->mode == CIO_HTTP_BODY_MEMORY && r->body;
    if (len) *len = kept ? r->body_len : 0;
    return kept ? r->body : "";
}

const char *cio_http_client_response_url(const cio_http_client_response *r) {
    return r && r->url ? r->url : "";
}

int cio_http_client_response_redirects(const cio_http_client_response *r) {
    return r ? r->redirects : 0;
}

int cio_http_client_response_version(const cio_http_client_response *r) {
    return r ? r->version : 0;
}

void cio__http_response_destroy(cio_http_client_response *r) {
    if (r->phase == CIO__HTTP_RUNNING && r->multi) {
        cio__http_detach(r);
        cio__http_session_leave(r->session);
    }
    if (r->node.next) cio__list_remove(&r->node);
    curl_slist_free_all(r->own_headers);
    cio__http_session_unref(r->session);
    free(r->head);
    free(r->body);
    free(r->url);
    free(r);
}

void cio_http_client_response_free(cio_http_client_response *r) {
    if (!r) return;
    if (r->waiter) {
        cio__complain("cio_http_client_response_free: a task still reads this response");
        return;
    }
    cio__http_response_destroy(r);
}

#else
typedef int cio__http_client_response_unused; /* built without libcurl */
#endif
