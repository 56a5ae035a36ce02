/* src/http/static.c - static files: a safe path under a root, validators
 * (ETag, Last-Modified) and conditional requests (304), one byte range
 * (206, 416), the content type by extension, and the body by sendfile.
 *
 * Path safety in two steps: the decoded path is refused if any segment is
 * "..", or it holds NUL or an encoded '/' (so "%2e%2e" and "..%2f" are
 * caught after decoding); then the file that was opened is checked through
 * /proc/self/fd to really lie under the root, which catches symlinks that
 * leave it without a race between checking and opening. The file is
 * opened, stat'ed and sent with plain syscalls on the loop thread, as nginx
 * does without its thread pool: page-cache hits cost microseconds. */
#include "http/server.h"

#include "core/core.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATIC_MAGIC 0x63696f46u /* "cioF" */

struct cio_http_static {
    uint32_t magic;
    char *root; /* real path, no trailing '/' (except "/") */
    size_t root_len;
};

int cio_http_static_new(const char *root, cio_http_static **out) {
    if (!root || !out) return -EINVAL;
    char *real = realpath(root, NULL);
    if (!real) return -errno;
    struct stat st;
    if (stat(real, &st) != 0 || !S_ISDIR(st.st_mode)) {
        free(real);
        return -ENOTDIR;
    }
    cio_http_static *files = calloc(1, sizeof *files);
    if (!files) {
        free(real);
        return -ENOMEM;
    }
    files->magic = STATIC_MAGIC;
    files->root = real;
    files->root_len = strlen(real);
    *out = files;
    return 0;
}

void cio_http_static_free(cio_http_static *files) {
    if (!files || files->magic != STATIC_MAGIC) return;
    files->magic = 0;
    free(files->root);
    free(files);
}

/* ---- the path ------------------------------------------------------------------------------ */

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decode in into out (cap bytes, NUL-terminated), refusing NUL,
 * encoded '/' and malformed escapes. 0 or -1. */
static int decode(cio_http_slice in, char *out, size_t cap) {
    size_t n = 0;
    for (size_t i = 0; i < in.len; i++) {
        char c = in.ptr[i];
        if (c == '%') {
            int hi = i + 2 < in.len ? hexval(in.ptr[i + 1]) : -1;
            int lo = hi >= 0 ? hexval(in.ptr[i + 2]) : -1;
            if (lo < 0) return -1;
            c = (char)(hi << 4 | lo);
            if (c == '/' || c == '\\') return -1;
            i += 2;
        }
        if (c == '\0' || n + 1 >= cap) return -1;
        out[n++] = c;
    }
    out[n] = '\0';
    return 0;
}

/* Any ".." segment (also "\.." forms are not special on Unix). */
static bool climbs(const char *path) {
    for (const char *p = path; (p = strstr(p, "..")) != NULL; p += 2)
        if ((p == path || p[-1] == '/') && (p[2] == '/' || p[2] == '\0')) return true;
    return false;
}

/* True if the open fd's real path is the root or under it. */
static bool inside(const cio_http_static *files, int fd) {
    char link[64], real[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, real, sizeof real - 1);
    if (n <= 0) return false;
    real[n] = '\0';
    size_t rl = files->root_len;
    if (rl == 1) return real[0] == '/';
    return strncmp(real, files->root, rl) == 0 && (real[rl] == '/' || real[rl] == '\0');
}

/* Open the file a request names, a directory's index.html for a directory.
 * The fd, or -1 (not found, refused). */
static int open_file(const cio_http_static *files, const char *rel, struct stat *st,
                     bool *index_file) {
    char path[PATH_MAX];
    while (*rel == '/') rel++;
    if (snprintf(path, sizeof path, "%s/%s", files->root, rel) >= (int)sizeof path) return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd >= 0 && fstat(fd, st) == 0 && S_ISDIR(st->st_mode)) {
        int index = openat(fd, "index.html", O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        *index_file = true;
        close(fd);
        fd = index;
        if (fd >= 0 && fstat(fd, st) != 0) st->st_mode = 0;
    }
    if (fd >= 0 && (!S_ISREG(st->st_mode) || !inside(files, fd))) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* ---- headers ---------------------------------------------------------------------------- */

static const char *content_type(const char *path) {
    static const char *const types[][2] = {
        {"html", "text/html; charset=utf-8"},
        {"htm", "text/html; charset=utf-8"},
        {"css", "text/css"},
        {"js", "text/javascript"},
        {"mjs", "text/javascript"},
        {"json", "application/json"},
        {"txt", "text/plain; charset=utf-8"},
        {"md", "text/markdown; charset=utf-8"},
        {"xml", "application/xml"},
        {"svg", "image/svg+xml"},
        {"png", "image/png"},
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
        {"gif", "image/gif"},
        {"webp", "image/webp"},
        {"ico", "image/x-icon"},
        {"wasm", "application/wasm"},
        {"pdf", "application/pdf"},
        {"zip", "application/zip"},
        {"gz", "application/gzip"},
        {"mp4", "video/mp4"},
        {"webm", "video/webm"},
        {"mp3", "audio/mpeg"},
        {"woff", "font/woff"},
        {"woff2", "font/woff2"},
        {"c", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(path, '.');
    if (!dot || strchr(dot, '/')) return "application/octet-stream";
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcasecmp(dot + 1, types[i][0]) == 0) return types[i][1];
    return "application/octet-stream";
}

static void http_date(time_t t, char *out, size_t cap) {
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static bool header_is(const cio_http_request *req, const char *name, const char *value) {
    cio_http_slice v;
    return cio_http_request_header(req, name, &v) == 0 && v.len == strlen(value) &&
           memcmp(v.ptr, value, v.len) == 0;
}

/* If-None-Match (a list of tags, or "*") first; If-Modified-Since only
 * without it (RFC 9110 13.2.2). */
static bool not_modified(const cio_http_request *req, const char *etag, time_t mtime) {
    cio_http_slice v;
    if (cio_http_request_header(req, "If-None-Match", &v) == 0) {
        size_t el = strlen(etag);
        if (v.len == 1 && v.ptr[0] == '*') return true;
        for (size_t i = 0; i + el <= v.len; i++)
            if (memcmp(v.ptr + i, etag, el) == 0) return true;
        return false;
    }
    if (cio_http_request_header(req, "If-Modified-Since", &v) != 0 || v.len >= 64) return false;
    char text[64];
    memcpy(text, v.ptr, v.len);
    text[v.len] = '\0';
    struct tm tm = {0};
    const char *end = strptime(text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return end && *end == '\0' && mtime <= timegm(&tm);
}

/* ---- ranges --------------------------------------------------------------------------------- */

enum { RANGE_NONE, RANGE_OK, RANGE_UNSATISFIABLE };

static bool parse_uint(const char **p, const char *end, uint64_t *v) {
    const char *s = *p;
    *v = 0;
    while (*p < end && **p >= '0' && **p <= '9') {
        if (*v > (UINT64_MAX - 9) / 10) return false;
        *v = *v * 10 + (uint64_t)(**p - '0');
        (*p)++;
    }
    return *p > s;
}

/* One "bytes=first-last", "bytes=first-" or "bytes=-suffix". Several
 * ranges, or any syntax error, mean the whole file (RFC 9110 14.2 lets a
 * server ignore Range). */
static int parse_range(cio_http_slice v, uint64_t size, uint64_t *off, uint64_t *len) {
    const char *p = v.ptr, *end = v.ptr + v.len;
    if (v.len < 7 || strncmp(p, "bytes=", 6) != 0 || memchr(p, ',', v.len)) return RANGE_NONE;
    p += 6;
    uint64_t first = 0, last = size ? size - 1 : 0;
    bool has_first = parse_uint(&p, end, &first);
    if (p == end || *p++ != '-') return RANGE_NONE;
    uint64_t second;
    bool has_second = parse_uint(&p, end, &second);
    if (p != end || (!has_first && !has_second)) return RANGE_NONE;
    if (!has_first) { /* a suffix: the last `second` bytes */
        if (second == 0 || size == 0) return RANGE_UNSATISFIABLE;
        first = second > size ? 0 : size - second;
    } else if (has_second) {
        if (second < first) return RANGE_NONE;
        if (second < last) last = second;
    }
    if (first >= size) return RANGE_UNSATISFIABLE;
    *off = first;
    *len = last - first + 1;
    return RANGE_OK;
}

/* ---- the handler -------------------------------------------------------------------------- */

static void plain(cio_http_response *res, int status, const char *text) {
    cio_http_response_add_header(res, "Content-Type", "text/plain");
    cio_http_response_send(res, status, text, strlen(text));
}

/* Decide the status and the part of the file, add the headers, send. */
static void send_file(cio_http_request *req, cio_http_response *res, int fd, const struct stat *st,
                      const char *rel) {
    char etag[48], modified[40], range_text[80];
    snprintf(etag, sizeof etag, "\"%llx-%llx\"", (unsigned long long)st->st_mtime,
             (unsigned long long)st->st_size);
    http_date(st->st_mtime, modified, sizeof modified);
    cio_http_response_add_header(res, "ETag", etag);
    cio_http_response_add_header(res, "Last-Modified", modified);
    cio_http_response_add_header(res, "Accept-Ranges", "bytes");
    if (not_modified(req, etag, st->st_mtime)) {
        cio_http_response_send(res, 304, NULL, 0);
        return;
    }
    uint64_t size = (uint64_t)st->st_size, off = 0, len = size;
    cio_http_slice range;
    int kind = RANGE_NONE;
    bool if_range_ok = cio_http_request_header(req, "If-Range", &range) != 0 ||
                       header_is(req, "If-Range", etag); /* a changed file: send it whole */
    if (if_range_ok && cio_http_request_header(req, "Range", &range) == 0)
        kind = parse_range(range, size, &off, &len);
    if (kind == RANGE_UNSATISFIABLE) {
        snprintf(range_text, sizeof range_text, "bytes */%llu", (unsigned long long)size);
        cio_http_response_add_header(res, "Content-Range", range_text);
        plain(res, 416, "Range Not Satisfiable");
        return;
    }
    cio_http_response_add_header(res, "Content-Type", content_type(rel));
    if (kind == RANGE_OK) {
        snprintf(range_text, sizeof range_text, "bytes %llu-%llu/%llu", (unsigned long long)off,
                 (unsigned long long)(off + len - 1), (unsigned long long)size);
        cio_http_response_add_header(res, "Content-Range", range_text);
    }
    if (cio_http_response_begin(res, kind == RANGE_OK ? 206 : 200, (int64_t)len) < 0) return;
    if (cio_http_response_sendfile(res, fd, (off_t)off, (size_t)len) == 0)
        cio_http_response_end(res);
}

void cio_http_static_handle(cio_http_request *req, cio_http_response *res, void *arg) {
    cio_http_static *files = arg;
    if (!req || !res || !files || files->magic != STATIC_MAGIC) return;
    if (!cio_http_request_is(req, "GET") && !cio_http_request_is(req, "HEAD")) {
        cio_http_response_add_header(res, "Allow", "GET, HEAD");
        plain(res, 405, "Method Not Allowed");
        return;
    }
    cio_http_slice raw;
    if (cio_http_request_param(req, "path", &raw) != 0) raw = cio_http_request_path(req);
    char rel[PATH_MAX];
    struct stat st;
    int fd = -1;
    bool index_file = false;
    if (decode(raw, rel, sizeof rel) == 0 && !climbs(rel))
        fd = open_file(files, rel, &st, &index_file);
    if (fd < 0) {
        plain(res, 404, "Not Found");
        return;
    }
    send_file(req, res, fd, &st, index_file ? "index.html" : rel);
    close(fd);
}
