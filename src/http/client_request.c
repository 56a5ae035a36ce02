/* src/http/client_request.c - one request: set up an easy handle from the
 * session and the request's options, start it, and park the task until the
 * response (or, in stream mode, its header block) is there.
 *
 * The task parks through cio__wait with an abort hook that takes the easy
 * handle out of the multi: cancelling the task (or its timeout scope firing)
 * ends the transfer at once, and no libcurl callback runs for it after. */
#ifdef CIO_HAVE_CURL
#include "http/client.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static long to_ms(double seconds) {
    return seconds > 0 ? (long)ceil(seconds * 1000.0) : 0;
}

/* ---- headers ------------------------------------------------------------------------------ */

static size_t name_len(const char *line) {
    const char *colon = strchr(line, ':');
    return colon ? (size_t)(colon - line) : strlen(line);
}

static bool named_in(const char *line, const char *const *headers) {
    size_t len = name_len(line);
    for (size_t i = 0; headers[i]; i++)
        if (name_len(headers[i]) == len && strncasecmp(line, headers[i], len) == 0) return true;
    return false;
}

/* The session's headers, less those the request names, then the request's. */
static int merge_headers(cio_http_client_response *r, const char *const *headers) {
    for (struct curl_slist *h = r->session->headers; h; h = h->next) {
        if (named_in(h->data, headers)) continue;
        struct curl_slist *grown = curl_slist_append(r->own_headers, h->data);
        if (!grown) return -ENOMEM;
        r->own_headers = grown;
    }
    for (size_t i = 0; headers[i]; i++) {
        struct curl_slist *grown = curl_slist_append(r->own_headers, headers[i]);
        if (!grown) return -ENOMEM;
        r->own_headers = grown;
    }
    return 0;
}

/* ---- request bodies ---------------------------------------------------------------------- */

static size_t read_fd(char *buf, size_t size, size_t count, void *arg) {
    cio_http_client_response *r = arg;
    ssize_t n;
    do n = read(r->body_fd, buf, size * count);
    while (n < 0 && errno == EINTR);
    if (n >= 0) return (size_t)n;
    r->error = -errno;
    return CURL_READFUNC_ABORT;
}

static curl_off_t fd_size(int fd) {
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) return -1;
    off_t at = lseek(fd, 0, SEEK_CUR);
    return at < 0 ? -1 : (curl_off_t)(st.st_size - at);
}

static void set_body_fd(cio_http_client_response *r, const char *method) {
    CURL *easy = r->easy;
    curl_off_t size = fd_size(r->body_fd);
    curl_easy_setopt(easy, CURLOPT_READFUNCTION, read_fd);
    curl_easy_setopt(easy, CURLOPT_READDATA, r);
    if (!method || strcmp(method, "POST") == 0) {
        curl_easy_setopt(easy, CURLOPT_POST, 1L);
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, size); /* -1: chunked */
        return;
    }
    curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, size);
    if (strcmp(method, "PUT") != 0) curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method);
}

static void set_method(cio_http_client_response *r, const char *method,
                       const cio_http_client_options *o) {
    CURL *easy = r->easy;
    if (o && o->has_body_fd) {
        r->body_fd = o->body_fd;
        set_body_fd(r, method);
        return;
    }
    if (o && o->body) {
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, o->body);
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)o->body_len);
    }
    if (!method || strcmp(method, "GET") == 0) {
        if (o && o->body) curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method);
    } else if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
    } else if (strcmp(method, "POST") != 0 || !(o && o->body)) {
        curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method);
        if (strcmp(method, "POST") == 0) curl_easy_setopt(easy, CURLOPT_POST, 1L);
    }
}

/* ---- the easy handle ---------------------------------------------------------------------- */

static void set_session(cio_http_client_response *r, const cio_http_session_options *so) {
    CURL *easy = r->easy;
    if (so->max_redirects >= 0) {
        r->following = true;
        curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(easy, CURLOPT_MAXREDIRS,
                         so->max_redirects ? (long)so->max_redirects : 10L);
    }
    if (!so->no_decompress) curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
    if (so->connect_timeout > 0)
        curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, to_ms(so->connect_timeout));
    if (so->idle_timeout > 0) {
        curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, (long)ceil(so->idle_timeout));
    }
    curl_easy_setopt(easy, CURLOPT_USERAGENT, so->user_agent ? so->user_agent : "cio/0.1");
    if (r->session->share) { /* the session's jar; "" turns the cookie engine on */
        curl_easy_setopt(easy, CURLOPT_SHARE, r->session->share);
        curl_easy_setopt(easy, CURLOPT_COOKIEFILE, "");
    }
    if (so->insecure) {
        curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (so->http1_only) curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
}

static int set_request(cio_http_client_response *r, const char *method, const char *url,
                       const cio_http_client_options *o) {
    CURL *easy = r->easy;
    const cio_http_session_options *so = &r->session->opts;
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, (char *)r);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, r->errbuf);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, cio__http_on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, cio__http_on_header);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, r);
    set_session(r, so);
    double timeout = o && o->timeout > 0 ? o->timeout : so->timeout;
    if (timeout > 0) curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, to_ms(timeout));
    if (r->mode == CIO_HTTP_BODY_MEMORY)
        curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)r->max_body);
    if (o && o->headers && merge_headers(r, o->headers) < 0) return -ENOMEM;
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER,
                     r->own_headers ? r->own_headers : r->session->headers);
    set_method(r, method, o);
    return 0;
}

/* ---- completion --------------------------------------------------------------------------- */

static void wake(cio_http_client_response *r) {
    cio_task *task = r->waiter;
    if (!task) return;
    r->waiter = NULL;
    cio__wake(task, 0);
}

static void record_outcome(cio_http_client_response *r, CURLcode code) {
    CURL *easy = r->easy;
    long status = 0, version = 0, redirects = 0;
    char *url = NULL;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &version);
    curl_easy_getinfo(easy, CURLINFO_REDIRECT_COUNT, &redirects);
    curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &url);
    if (status) r->status = (int)status;
    r->redirects = (int)redirects;
    r->version = version == CURL_HTTP_VERSION_1_0   ? 10
                 : version == CURL_HTTP_VERSION_1_1 ? 11
                 : version == CURL_HTTP_VERSION_2_0 ? 20
                 : version == CURL_HTTP_VERSION_3   ? 30
                                                    : 0;
    if (url && !r->url) r->url = strdup(url);
    r->result = r->error ? r->error : cio__http_errno(code, easy);
    if (r->result < 0 && !r->errbuf[0])
        snprintf(r->errbuf, sizeof r->errbuf, "%s", curl_easy_strerror(code));
}

void cio__http_finish(cio_http_client_response *r, CURLcode code) {
    record_outcome(r, code);
    if (r->result < 0)
        snprintf(r->session->last_error, sizeof r->session->last_error, "%s", r->errbuf);
    cio__http_detach(r);
    r->phase = CIO__HTTP_DONE;
    r->headers_done = true;
    cio__http_session_leave(r->session);
    wake(r);
}

/* ---- the request call ---------------------------------------------------------------------- */

/* Cancelled or timed out while parked: end the transfer now. */
static void abort_request(cio_task *task) {
    cio_http_client_response *r = cio__wait_owner(task);
    r->waiter = NULL;
    if (r->phase != CIO__HTTP_RUNNING) return;
    cio__http_detach(r);
    r->phase = CIO__HTTP_DONE;
    r->result = cio_task_cancelling(task) ? -ECANCELED : -ETIMEDOUT;
    cio__http_session_leave(r->session);
}

static bool arrived(const cio_http_client_response *r) {
    if (r->phase == CIO__HTTP_DONE) return true;
    return r->mode == CIO_HTTP_BODY_STREAM && r->headers_done;
}

/* A response can arrive before the task parks: the request is driven from
 * the task (client_multi.c's run_due_timer), and on loopback libcurl often
 * finds the answer with its own poll() right after sending. A task looping
 * over requests would then never switch out and keep the loop from polling
 * everyone else's sockets, so it yields once. */
static int wait_for_response(cio_http_client_response *r, cio_task *task) {
    if (arrived(r)) {
        int rc = cio_yield();
        return rc < 0 ? rc : r->result;
    }
    while (!arrived(r)) {
        r->waiter = task;
        int rc = cio__wait(task, abort_request, r);
        if (rc < 0) return rc;
    }
    return r->result;
}

static cio_http_client_response *response_new(struct cio__http_multi *m, cio_http_session *s,
                                              const cio_http_client_options *o) {
    cio_http_client_response *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->multi = m;
    r->session = cio__http_session_ref(s);
    r->mode = o ? o->mode : CIO_HTTP_BODY_MEMORY;
    r->output_fd = o ? o->output_fd : -1;
    r->body_fd = -1;
    size_t max = o && o->max_body_size ? o->max_body_size : s->opts.max_body_size;
    r->max_body = max ? max : (size_t)64 << 20;
    r->phase = CIO__HTTP_STARTING;
    return r;
}

/* Past the session's limit: make, set up and start the transfer, then wait. */
static int run(cio_http_client_response *r, cio_task *task, const char *method, const char *url,
               const cio_http_client_options *o) {
    struct cio__http_multi *m = r->multi;
    int rc = cio__http_session_enter(r->session, r, task);
    if (rc < 0) return rc;
    r->easy = cio__http_easy_get(m);
    if (!r->easy) {
        r->phase = CIO__HTTP_DONE;
        cio__http_session_leave(r->session);
        return -ENOMEM;
    }
    cio__http_limit(m, &r->session->opts);
    rc = set_request(r, method, url, o);
    if (rc == 0) rc = cio__http_start(m, r);
    if (rc < 0) {
        cio__http_detach(r);
        r->phase = CIO__HTTP_DONE;
        cio__http_session_leave(r->session);
        return rc;
    }
    return wait_for_response(r, task);
}

static cio_http_session *default_session(struct cio__http_multi *m) {
    if (!m->default_session) cio_http_session_new(NULL, &m->default_session);
    return m->default_session;
}

int cio_http_session_request(cio_http_session *session, const char *method, const char *url,
                             const cio_http_client_options *opts, cio_http_client_response **out) {
    cio_task *task = cio__task_current_or_complain("cio_http_session_request");
    if (!task) return -EPERM;
    if (!url || !out || (opts && opts->mode > CIO_HTTP_BODY_FD)) return -EINVAL;
    struct cio__http_multi *m = cio__http_multi_get(cio__task_loop(task));
    if (!m) return -ENOMEM;
    if (!session && !(session = default_session(m))) return -ENOMEM;
    cio_http_client_response *r = response_new(m, session, opts);
    if (!r) return -ENOMEM;
    /* Shown by introspection as "http request <url>" while it waits. */
    struct cio__wait_label label;
    cio__wait_label_begin(task, &label, CIO_WAIT_HTTP, r, url);
    int rc = run(r, task, method, url, opts);
    cio__wait_label_end(task, &label);
    if (opts && opts->error)
        snprintf(opts->error, CIO_HTTP_ERROR_SIZE, "%s", rc < 0 ? r->errbuf : "");
    if (rc < 0) {
        cio__http_response_destroy(r);
        return rc;
    }
    r->returned = true;
    *out = r;
    return 0;
}

int cio_http_session_get(cio_http_session *session, const char *url,
                         cio_http_client_response **out) {
    return cio_http_session_request(session, "GET", url, NULL, out);
}

#else
typedef int cio__http_client_request_unused; /* built without libcurl */
#endif
