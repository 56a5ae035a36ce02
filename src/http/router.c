/* src/http/router.c - method + path pattern routing with parameters.
 *
 * Routes are tried in the order they were added; a pattern is matched
 * segment by segment against the path, without allocating: parameters are
 * slices of the path (values) and of the router's copy of the pattern
 * (names). A path that some route matches for another method gets 405 with
 * an Allow header listing those methods; no match at all gets 404. */
#include "http/server.h"

#include "core/core.h"

#include <stdlib.h>
#include <string.h>

#define ROUTER_MAGIC 0x63696f52u /* "cioR" */
#define ALLOW_CAP    256

struct route {
    char *method; /* "*" for any */
    char *pattern;
    cio_http_handler handler;
    void *arg;
};

struct cio_http_router {
    uint32_t magic;
    struct route *routes;
    size_t n, cap;
};

int cio_http_router_new(cio_http_router **out) {
    if (!out) return -EINVAL;
    cio_http_router *router = calloc(1, sizeof *router);
    if (!router) return -ENOMEM;
    router->magic = ROUTER_MAGIC;
    *out = router;
    return 0;
}

/* '*' may only start the last segment. */
static bool valid_pattern(const char *pattern) {
    if (pattern[0] != '/') return false;
    const char *star = strchr(pattern, '*');
    return !star || (star[-1] == '/' && !strchr(star, '/'));
}

int cio_http_router_add(cio_http_router *router, const char *method, const char *pattern,
                        cio_http_handler handler, void *arg) {
    if (!router || router->magic != ROUTER_MAGIC || !method || !*method || !pattern || !handler ||
        !valid_pattern(pattern))
        return -EINVAL;
    if (router->n == router->cap) {
        size_t cap = router->cap ? router->cap * 2 : 8;
        struct route *routes = realloc(router->routes, cap * sizeof *routes);
        if (!routes) return -ENOMEM;
        router->routes = routes;
        router->cap = cap;
    }
    struct route *r = &router->routes[router->n];
    r->method = strdup(method);
    r->pattern = strdup(pattern);
    if (!r->method || !r->pattern) {
        free(r->method);
        free(r->pattern);
        return -ENOMEM;
    }
    r->handler = handler;
    r->arg = arg;
    router->n++;
    return 0;
}

void cio_http_router_free(cio_http_router *router) {
    if (!router || router->magic != ROUTER_MAGIC) return;
    for (size_t i = 0; i < router->n; i++) {
        free(router->routes[i].method);
        free(router->routes[i].pattern);
    }
    free(router->routes);
    router->magic = 0;
    free(router);
}

/* ---- matching ---------------------------------------------------------------------------- */

struct params {
    size_t n;
    cio_http_slice names[CIO__HTTP_MAX_PARAMS], values[CIO__HTTP_MAX_PARAMS];
};

static bool add_param(struct params *p, const char *name, size_t nlen, const char *v, size_t vlen) {
    if (p->n == CIO__HTTP_MAX_PARAMS) return false;
    p->names[p->n] = (cio_http_slice){name, nlen};
    p->values[p->n++] = (cio_http_slice){v, vlen};
    return true;
}

/* Match pattern against path[0..len); fills p on success. */
static bool match(const char *pattern, const char *path, size_t len, struct params *p) {
    const char *end = path + len;
    p->n = 0;
    while (*pattern) {
        if (*pattern == '*')
            return add_param(p, pattern + 1, strlen(pattern + 1), path, (size_t)(end - path));
        if (*pattern == ':') {
            const char *name = pattern + 1, *pe = strchr(name, '/');
            size_t nlen = pe ? (size_t)(pe - name) : strlen(name);
            const char *seg_end = memchr(path, '/', (size_t)(end - path));
            if (!seg_end) seg_end = end;
            if (seg_end == path || !add_param(p, name, nlen, path, (size_t)(seg_end - path)))
                return false;
            pattern = name + nlen;
            path = seg_end;
            continue;
        }
        if (path == end || *pattern != *path) return false;
        pattern++, path++;
    }
    return path == end;
}

static bool method_matches(const struct route *r, const cio_http_request *req) {
    if (strcmp(r->method, "*") == 0 || cio_http_request_is(req, r->method)) return true;
    return strcmp(r->method, "GET") == 0 && cio_http_request_is(req, "HEAD");
}

/* Add method (and HEAD after GET) to the Allow list, once each. */
static void allow(char *list, const char *method) {
    size_t n = strlen(method);
    for (const char *p = list; (p = strstr(p, method)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0')) return;
    if (strlen(list) + n + 3 >= ALLOW_CAP) return;
    if (*list) strcat(list, ", ");
    strcat(list, method);
    if (strcmp(method, "GET") == 0) allow(list, "HEAD");
}

static void not_allowed(cio_http_response *res, const char *allowed) {
    cio_http_response_add_header(res, "Allow", allowed);
    cio_http_response_add_header(res, "Content-Type", "text/plain");
    cio_http_response_send(res, 405, "Method Not Allowed", 18);
}

void cio_http_router_handle(cio_http_request *req, cio_http_response *res, void *arg) {
    cio_http_router *router = arg;
    if (!req || !res || !router || router->magic != ROUTER_MAGIC) return;
    cio_http_slice path = cio_http_request_path(req);
    char allowed[ALLOW_CAP] = "";
    struct params p;
    for (size_t i = 0; i < router->n; i++) {
        const struct route *r = &router->routes[i];
        if (!match(r->pattern, path.ptr, path.len, &p)) continue;
        if (!method_matches(r, req)) {
            allow(allowed, r->method);
            continue;
        }
        req->nparams = p.n;
        memcpy(req->param_names, p.names, p.n * sizeof p.names[0]);
        memcpy(req->param_values, p.values, p.n * sizeof p.values[0]);
        r->handler(req, res, r->arg);
        return;
    }
    if (*allowed) {
        not_allowed(res, allowed);
        return;
    }
    cio_http_response_add_header(res, "Content-Type", "text/plain");
    cio_http_response_send(res, 404, "Not Found", 9);
}
