/* src/http/server.h - what the HTTP server's files share: the server, the
 * connection with its one buffer, the request and the response.
 *
 * Memory: one block per connection (the struct, the header slots, the read
 * buffer, the response head buffer), allocated when the connection is
 * accepted and freed when it ends; nothing per request. */
#ifndef CIO_SRC_HTTP_SERVER_H
#define CIO_SRC_HTTP_SERVER_H

#include <cio.h>
#include <cio/http_server.h>

#include "base/list.h"

#include <time.h>

#define CIO__HTTP_SERVER_MAGIC 0x63696f48u /* "cioH" */
#define CIO__HTTP_MAX_PARAMS   8
#define CIO__HTTP_SKIP_LIMIT   (1024u * 1024u) /* unread body bytes dropped to keep a connection */
#define CIO__HTTP_HEAD_CAP     2048 /* the response head: status line, server and user headers */

struct cio_http_server {
    uint32_t magic;
    int refs; /* the handle, and each connection */
    cio_server *server;
    cio_http_handler handler;
    void *arg;
    cio_http_server_options opts; /* defaults filled in */
    char *server_name;            /* copied; NULL: no Server header */
    struct cio__list conns;       /* struct cio__http_conn.link */
    size_t nconns;
    bool stopping;     /* shutdown began: no keep-alive, idle connections closed */
    cio_event drained; /* set when stopping and the last connection ended */
    cio_event done;    /* set when the shutdown finished */
    /* The Date header, formatted once a second. */
    time_t date_sec;
    char date[40]; /* "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n" */
    size_t date_len;
};

enum cio__http_res_state {
    CIO__RES_NONE,  /* nothing sent */
    CIO__RES_BEGUN, /* begin() called, head not yet sent */
    CIO__RES_BODY,  /* head sent, body pieces going */
    CIO__RES_DONE,  /* answer complete */
};

struct cio_http_response {
    struct cio__http_conn *conn;
    int status;
    enum cio__http_res_state state;
    int64_t length;     /* >= 0 Content-Length; -1 chunked; -2 until close */
    uint64_t body_sent; /* body bytes the client was sent (or, for HEAD, announced) */
    size_t user_len;    /* bytes of user headers in head[] */
    bool head_only;     /* HEAD: no body bytes */
    bool close;         /* close the connection after this answer */
    char *head;         /* CIO__HTTP_HEAD_CAP bytes in the connection's block */
};

struct cio_http_request {
    struct cio__http_conn *conn;
    cio_http_head head;
    cio_http_slice path, query;
    size_t head_len; /* the body's bytes start here in the buffer */
    size_t nparams;
    cio_http_slice param_names[CIO__HTTP_MAX_PARAMS];
    cio_http_slice param_values[CIO__HTTP_MAX_PARAMS];
    uint64_t body_left;        /* Content-Length bytes not yet read */
    cio_http_chunked chunked;  /* for chunked bodies */
    size_t pend_off, pend_len; /* decoded chunk data in the buffer not yet handed out */
    bool body_done;
    bool body_started;  /* some body was read (or the client may have sent it) */
    bool continue_sent; /* 100 Continue sent, or not needed */
    int body_error;     /* a malformed body: the status to answer, or 0 */
};

struct cio__http_conn {
    struct cio__list link;
    cio_http_server *server;
    cio_stream *stream;
    cio_task *task;
    cio_timeout scope; /* the connection's one deadline, moved as its phase changes */
    char *buf;         /* the read buffer: buf[0..len) received */
    size_t cap, len;
    size_t pos; /* first byte not consumed (the next request, or body bytes) */
    bool idle;  /* waiting for the first byte of a request */
    bool closing;
    double started; /* loop time of the request's first byte */
    cio_http_parser parser;
    cio_http_request req;
    cio_http_response res;
    cio_http_header *slots;
};

/* server.c */
void cio__http_server_unref(cio_http_server *server);

/* server_conn.c: the per-connection task body (a cio_connection_handler). */
void cio__http_conn_serve(cio_stream *stream, void *arg);
/* Move the connection's deadline to loop time when (INFINITY: none). */
void cio__http_conn_deadline(struct cio__http_conn *conn, double when);
double cio__http_now(void);

/* server_request.c */
void cio__http_request_prepare(struct cio__http_conn *conn, size_t head_len);
/* Consume what is left of the body so the next request can be parsed.
 * 0, or < 0: the connection must close. */
int cio__http_request_skip_body(cio_http_request *req);

/* server_response.c */
void cio__http_response_prepare(struct cio__http_conn *conn);
/* Finish the answer after the handler returned (500 if none). 0, or < 0:
 * the connection must close. */
int cio__http_response_finish(cio_http_response *res);
/* Answer status with an empty body and "Connection: close"; no drain. */
void cio__http_send_error(struct cio__http_conn *conn, int status);
/* The cached "Date: ...\r\n" line, refreshed when the second changed. */
const char *cio__http_date(cio_http_server *server, size_t *len);

#endif
