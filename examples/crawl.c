/* The classic asyncio web crawler with cio: a queue of URLs, N worker tasks,
 * a set of URLs already seen, links followed only within the root's host.
 * Redirects are not followed by the client: each one is printed and its
 * target queued as a new URL (at most --max-redirect in a row).
 *
 *     $ ./crawl http://127.0.0.1:8080/ --max-tasks 10
 *     200 http://127.0.0.1:8080/
 *     301 http://127.0.0.1:8080/old -> http://127.0.0.1:8080/new.html
 *     404 http://127.0.0.1:8080/missing.html
 *     ...
 *     fetched 312 urls, 4 redirects, 0 errors in 0.21 s
 *
 * A URL that fails prints "ERR URL (reason)". On a terminal, a progress line
 * is kept up to date on stderr. Links are read from href="..." attributes of
 * text/html pages; "../" in links is not resolved. */
#include <cio.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the set of URLs seen ------------------------------------------------------------ */

struct entry {
    struct entry *next;
    char url[];
};

struct seen {
    struct entry **buckets;
    size_t len, count;
};

static size_t hash(const char *text) {
    size_t h = 14695981039346656037u;
    for (; *text; text++) h = (h ^ (unsigned char)*text) * 1099511628211u;
    return h;
}

/* Add url; true if it was new. */
static bool seen_add(struct seen *set, const char *url) {
    size_t slot = hash(url) % set->len;
    for (struct entry *e = set->buckets[slot]; e; e = e->next)
        if (strcmp(e->url, url) == 0) return false;
    size_t len = strlen(url) + 1;
    struct entry *e = malloc(sizeof *e + len);
    if (!e) return false;
    memcpy(e->url, url, len);
    e->next = set->buckets[slot];
    set->buckets[slot] = e;
    set->count++;
    return true;
}

static void seen_free(struct seen *set) {
    for (size_t i = 0; i < set->len; i++)
        for (struct entry *e = set->buckets[i], *next; e; e = next) {
            next = e->next;
            free(e);
        }
    free(set->buckets);
}

/* ---- the crawler ------------------------------------------------------------------------ */

struct item {
    int redirects_left;
    char url[];
};

struct crawler {
    const char *root;
    char origin[256]; /* scheme://host[:port] of the root */
    int max_tasks, max_redirect;
    cio_queue *queue;
    cio_http_session *session;
    struct seen seen;
    int fetched, redirects, errors;
    bool progress;
};

static void add_url(struct crawler *c, const char *url, int redirects_left) {
    size_t len = strlen(url);
    if (strncmp(url, c->origin, strlen(c->origin)) != 0) return; /* another host */
    if (url[strlen(c->origin)] != '/' && url[strlen(c->origin)] != '\0') return;
    if (!seen_add(&c->seen, url)) return;
    struct item *item = malloc(sizeof *item + len + 1);
    if (!item) return;
    item->redirects_left = redirects_left;
    memcpy(item->url, url, len + 1);
    cio_queue_put_nowait(c->queue, item); /* unbounded: never -EAGAIN */
}

/* link, as found in base's page, as an absolute URL in out (fragment dropped).
 * False for links that are not web pages (mailto:, javascript:, ...). */
static bool resolve(const struct crawler *c, const char *base, const char *link, size_t len,
                    char *out, size_t cap) {
    char text[1024];
    if (len >= sizeof text) return false;
    memcpy(text, link, len);
    text[len] = '\0';
    char *hash_mark = strchr(text, '#');
    if (hash_mark) *hash_mark = '\0';
    if (!text[0]) return false;
    if (strncmp(text, "http://", 7) == 0 || strncmp(text, "https://", 8) == 0)
        return snprintf(out, cap, "%s", text) < (int)cap;
    if (strchr(text, ':')) return false; /* mailto:, javascript:, ... */
    if (text[0] == '/') return snprintf(out, cap, "%s%s", c->origin, text) < (int)cap;
    const char *path = base + strlen(c->origin);
    const char *dir_end = strrchr(path, '/');
    int dir = dir_end ? (int)(dir_end - base) + 1 : (int)strlen(base);
    return snprintf(out, cap, "%.*s%s%s", dir, base, dir_end ? "" : "/", text) < (int)cap;
}

static void add_links(struct crawler *c, const char *base, const char *body) {
    for (const char *at = body; (at = strstr(at, "href=")) != NULL;) {
        at += 5;
        char quote = *at;
        if (quote != '"' && quote != '\'') continue;
        const char *end = strchr(at + 1, quote);
        if (!end) return;
        char url[1024];
        if (resolve(c, base, at + 1, (size_t)(end - at - 1), url, sizeof url))
            add_url(c, url, c->max_redirect);
        at = end + 1;
    }
}

static void show_progress(const struct crawler *c) {
    if (c->progress)
        fprintf(stderr, "\r%d fetched, %zu queued, %zu seen ", c->fetched,
                cio_queue_qsize(c->queue), c->seen.count);
}

static void fetch(struct crawler *c, struct item *item) {
    char error[CIO_HTTP_ERROR_SIZE];
    cio_http_client_options opts = {.error = error};
    cio_http_client_response *r;
    int rc = cio_http_session_request(c->session, "GET", item->url, &opts, &r);
    c->fetched++;
    if (rc < 0) {
        c->errors++;
        printf("ERR %s (%s: %s)\n", item->url, cio_strerror(rc), error);
        return;
    }
    int status = cio_http_client_response_status(r);
    const char *location = cio_http_client_response_header(r, "Location");
    char target[1024];
    if (status >= 300 && status < 400 && location &&
        resolve(c, item->url, location, strlen(location), target, sizeof target)) {
        c->redirects++;
        printf("%d %s -> %s\n", status, item->url, target);
        if (item->redirects_left > 0) add_url(c, target, item->redirects_left - 1);
    } else {
        printf("%d %s\n", status, item->url);
        const char *type = cio_http_client_response_header(r, "Content-Type");
        if (status == 200 && type && strstr(type, "text/html"))
            add_links(c, item->url, cio_http_client_response_body(r, NULL));
    }
    cio_http_client_response_free(r);
}

static void *work(void *arg) {
    struct crawler *c = arg;
    void *got;
    while (cio_queue_get(c->queue, &got) == 0) {
        fetch(c, got);
        free(got);
        show_progress(c);
        cio_queue_task_done(c->queue);
    }
    return NULL;
}

static void *crawl(void *arg) {
    struct crawler *c = arg;
    double start = cio_loop_time(cio_get_running_loop());
    cio_http_session_options opts = {.max_redirects = -1, .limit = c->max_tasks};
    int rc = cio_http_session_new(&opts, &c->session);
    if (rc < 0) return cio_fail(rc);
    cio_queue_new(0, &c->queue);
    add_url(c, c->root, c->max_redirect);
    cio_task **workers = calloc((size_t)c->max_tasks, sizeof *workers);
    for (int i = 0; i < c->max_tasks; i++) cio_create_task(work, c, &workers[i]);
    cio_queue_join(c->queue); /* every URL queued has been fetched */
    cio_queue_shutdown(c->queue, true);
    for (int i = 0; i < c->max_tasks; i++) cio_await(workers[i], NULL);
    if (c->progress) fprintf(stderr, "\r\033[K");
    printf("fetched %d urls, %d redirects, %d errors in %.2f s\n", c->fetched, c->redirects,
           c->errors, cio_loop_time(cio_get_running_loop()) - start);
    free(workers);
    cio_queue_free(c->queue);
    cio_http_session_free(c->session);
    return NULL;
}

static int usage(const char *name) {
    fprintf(stderr, "usage: %s ROOT_URL [--max-tasks N] [--max-redirect N]\n", name);
    return 2;
}

/* The origin (scheme://host[:port]) of url, or false. */
static bool origin_of(const char *url, char *out, size_t cap) {
    const char *host = strstr(url, "://");
    if (!host) return false;
    const char *end = strchr(host + 3, '/');
    size_t len = end ? (size_t)(end - url) : strlen(url);
    if (len >= cap) return false;
    memcpy(out, url, len);
    out[len] = '\0';
    return true;
}

int main(int argc, char **argv) {
    struct crawler c = {.max_tasks = 10, .max_redirect = 10, .progress = isatty(STDERR_FILENO)};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--max-tasks") == 0 && i + 1 < argc)
            c.max_tasks = atoi(argv[++i]);
        else if (strcmp(argv[i], "--max-redirect") == 0 && i + 1 < argc)
            c.max_redirect = atoi(argv[++i]);
        else if (argv[i][0] != '-' && !c.root)
            c.root = argv[i];
        else
            return usage(argv[0]);
    }
    if (!c.root || c.max_tasks < 1 || !origin_of(c.root, c.origin, sizeof c.origin))
        return usage(argv[0]);
    c.seen.len = 4096;
    c.seen.buckets = calloc(c.seen.len, sizeof *c.seen.buckets);
    int rc = cio_run(crawl, &c, NULL);
    seen_free(&c.seen);
    if (rc < 0) fprintf(stderr, "crawl: %s\n", cio_strerror(rc));
    return rc == 0 ? 0 : 1;
}
