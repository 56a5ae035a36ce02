/* src/http/client.h - the HTTP client's shared structures (libcurl on the loop).
 *
 * client_multi.c    one libcurl multi handle per loop: its sockets and timer
 *                   on the loop (an fd watch per socket, one loop timer), the
 *                   spare easy handles, completions.
 * client_session.c  sessions: options, default headers, cookie share handle,
 *                   the per-session request limit.
 * client_request.c  a request: easy handle setup, body callbacks, the waits.
 * client_response.c the response accessors, headers, streamed reads.
 * client_errors.c   CURLcode to negative errno.
 * client_none.c     the API's stubs when libcurl is absent. */
#ifndef CIO_HTTP_CLIENT_INTERNAL_H
#define CIO_HTTP_CLIENT_INTERNAL_H

#include "core/core.h"

#include <curl/curl.h>

struct cio__http_sock; /* client_multi.c: what the loop knows of one curl socket */

struct cio__http_multi {
    cio_loop *loop;
    CURLM *multi;
    struct cio__fd_watch watch;   /* readiness of every curl socket comes here */
    struct cio__timer timer;      /* libcurl's one timeout */
    struct cio__timer kick;       /* replays readiness libcurl missed (see client_multi.c) */
    struct cio__http_sock *socks; /* indexed by fd */
    size_t socks_len;
    int *kicked; /* fds waiting for a replay */
    size_t kicked_len, kicked_cap;
    CURL **spare; /* reset easy handles kept for reuse */
    size_t spare_len;
    struct cio__list requests; /* every request with an easy handle in the multi */
    cio_http_session *default_session;
    long limit_per_host, limit_connections; /* what the multi is set to */
    size_t watch_failures;                  /* requests marked watch_failed (client_multi.c) */
};

enum cio__http_phase {
    CIO__HTTP_STARTING, /* waiting for the session's limit */
    CIO__HTTP_RUNNING,  /* in the multi */
    CIO__HTTP_DONE,     /* transfer over; easy handle given back */
};

struct cio_http_session {
    cio_http_session_options opts;
    struct curl_slist *headers; /* the default headers, plus Expect: removed */
    char *user_agent;
    CURLSH *share; /* cookies; NULL with no_cookies */
    int refs;      /* the user's (until free) + each live request */
    bool freed;
    int active;             /* requests counted against opts.limit */
    struct cio__list queue; /* requests waiting for the limit, FIFO */
    char last_error[CIO_HTTP_ERROR_SIZE];
};

struct cio_http_client_response {
    struct cio__http_multi *multi; /* NULL once the loop closed */
    cio_http_session *session;
    CURL *easy; /* while RUNNING */
    struct curl_slist *own_headers;
    struct cio__list node; /* on multi->requests while RUNNING, or session->queue */
    cio_task *waiter;      /* the task parked on this request, or NULL */
    uint8_t phase;
    bool headers_done;  /* the final response's header block is complete */
    bool returned;      /* the user holds it (stream mode: may outlive the run) */
    bool paused;        /* libcurl holds a chunk we refused (stream backpressure) */
    bool following;     /* redirects are followed */
    bool location_seen; /* the current header block has a Location */
    bool watch_failed;  /* a socket of it could not be watched: ends with -ENOMEM */
    cio_http_client_body_mode mode;
    int output_fd;
    int body_fd;
    int error;  /* our own failure (e.g. -EFBIG), beats curl's code */
    int result; /* the outcome once DONE: 0 or a negative errno */
    int status, redirects, version;
    size_t max_body;
    /* Header lines of the current response, "name\0value\0" each. */
    char *head;
    size_t head_len, head_cap, head_count;
    /* Body (memory mode), or unread bytes (stream mode) from body_off on. */
    char *body;
    size_t body_len, body_cap, body_off;
    char *url;       /* effective URL once done */
    char *error_out; /* the user's error buffer, for the request call */
    char errbuf[CURL_ERROR_SIZE];
};

/* client_multi.c */
struct cio__http_multi *cio__http_multi_get(cio_loop *loop);
CURL *cio__http_easy_get(struct cio__http_multi *m);
int cio__http_start(struct cio__http_multi *m, cio_http_client_response *r);
/* Take r's easy handle out of the multi (aborting a running transfer). */
void cio__http_detach(cio_http_client_response *r);
/* Let a paused transfer go on (stream mode, once the reader made room). */
void cio__http_resume(cio_http_client_response *r);
void cio__http_limit(struct cio__http_multi *m, const cio_http_session_options *opts);

/* client_session.c */
cio_http_session *cio__http_session_ref(cio_http_session *s);
void cio__http_session_unref(cio_http_session *s);
/* Wait (in task) for a slot under the session's limit; 0 or an interrupt. */
int cio__http_session_enter(cio_http_session *s, cio_http_client_response *r, cio_task *task);
void cio__http_session_leave(cio_http_session *s);

/* client_request.c: the transfer is over (code from libcurl). */
void cio__http_finish(cio_http_client_response *r, CURLcode code);
/* client_response.c */
size_t cio__http_on_header(char *data, size_t size, size_t count, void *arg);
size_t cio__http_on_body(char *data, size_t size, size_t count, void *arg);
void cio__http_response_destroy(cio_http_client_response *r);

/* client_errors.c */
int cio__http_errno(CURLcode code, CURL *easy);

#endif
