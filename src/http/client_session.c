/* src/http/client_session.c - sessions: what a group of requests shares.
 *
 * A session is not tied to a loop: its options, its default header list and
 * its cookie jar (a libcurl share handle) are used by whichever loop runs its
 * requests. It is counted: every live request holds a reference, so freeing a
 * session with requests in flight is safe. */
#ifdef CIO_HAVE_CURL
#include "http/client.h"

#include <stdlib.h>
#include <string.h>

static char *copy_string(const char *text) {
    return text ? strdup(text) : NULL;
}

/* The default headers, plus "Expect:": libcurl would otherwise wait up to a
 * second for "100 Continue" before sending a body over 1 KiB, which neither
 * browsers nor aiohttp do. */
static int build_headers(cio_http_session *s, const char *const *headers) {
    for (size_t i = 0; headers && headers[i]; i++) {
        struct curl_slist *grown = curl_slist_append(s->headers, headers[i]);
        if (!grown) return -ENOMEM;
        s->headers = grown;
    }
    struct curl_slist *grown = curl_slist_append(s->headers, "Expect:");
    if (!grown) return -ENOMEM;
    s->headers = grown;
    return 0;
}

static int make_share(cio_http_session *s) {
    s->share = curl_share_init();
    if (!s->share) return -ENOMEM;
    curl_share_setopt(s->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE);
    return 0;
}

static void destroy(cio_http_session *s) {
    if (s->share) curl_share_cleanup(s->share);
    curl_slist_free_all(s->headers);
    free(s->user_agent);
    free(s);
}

int cio_http_session_new(const cio_http_session_options *opts, cio_http_session **out) {
    if (!out) return -EINVAL;
    cio_http_session *s = calloc(1, sizeof *s);
    if (!s) return -ENOMEM;
    if (opts) s->opts = *opts;
    s->opts.headers = NULL; /* copied into s->headers; the caller's array is not kept */
    s->refs = 1;
    cio__list_init(&s->queue);
    int rc = build_headers(s, opts ? opts->headers : NULL);
    if (rc == 0 && !s->opts.no_cookies) rc = make_share(s);
    if (rc == 0 && opts && opts->user_agent && !(s->user_agent = copy_string(opts->user_agent)))
        rc = -ENOMEM;
    s->opts.user_agent = s->user_agent;
    if (rc < 0) {
        destroy(s);
        return rc;
    }
    *out = s;
    return 0;
}

cio_http_session *cio__http_session_ref(cio_http_session *s) {
    s->refs++;
    return s;
}

void cio__http_session_unref(cio_http_session *s) {
    if (--s->refs == 0) destroy(s);
}

void cio_http_session_free(cio_http_session *s) {
    if (!s || s->freed) return;
    s->freed = true;
    cio__http_session_unref(s);
}

const char *cio_http_session_last_error(const cio_http_session *s) {
    return s ? s->last_error : "";
}

/* ---- the session's request limit --------------------------------------------------------- */

static int limit_of(const cio_http_session *s) {
    return s->opts.limit ? s->opts.limit : 100;
}

static void abort_queued(cio_task *task) {
    cio_http_client_response *r = cio__wait_owner(task);
    cio__list_remove(&r->node);
    r->waiter = NULL;
}

int cio__http_session_enter(cio_http_session *s, cio_http_client_response *r, cio_task *task) {
    int limit = limit_of(s);
    if (limit < 0 || (s->active < limit && cio__list_empty(&s->queue))) {
        s->active++;
        return 0;
    }
    cio__list_push_back(&s->queue, &r->node);
    r->waiter = task;
    return cio__wait(task, abort_queued, r); /* leave() counted us in */
}

void cio__http_session_leave(cio_http_session *s) {
    s->active--;
    struct cio__list *node = cio__list_pop_front(&s->queue);
    if (!node) return;
    cio_http_client_response *r = cio__container_of(node, cio_http_client_response, node);
    s->active++;
    cio_task *task = r->waiter;
    r->waiter = NULL;
    cio__wake(task, 0);
}

#else
typedef int cio__http_client_session_unused; /* built without libcurl */
#endif
