/* src/net/transport_server.c - cio_create_server / cio_create_unix_server:
 * a stream server whose connections are driven by protocols.
 *
 * It is cio_start_server with a handler of its own, so the server's
 * machinery (listeners, TLS handshakes, the connection cap, close_clients,
 * wait_closed) is the streams' one. Each connection's task only starts the
 * transport and then waits, parked, until connection_lost has run: the
 * reading and writing happen in callbacks, never in that task. */
#include "net/transport.h"

#include <stdlib.h>

/* What the server's handler needs; freed with the server. */
struct protocol_server {
    const cio_protocol *protocol;
    cio_protocol_factory factory;
    void *factory_arg;
};

/* Park until connection_lost ran; on cancellation (the loop shutting down),
 * abort the connection first: connection_lost then follows from the loop. */
static void wait_finished(cio_transport *transport) {
    cio_task *task = cio_current_task();
    while (!transport->lost) {
        if (cio__net_park(task, &transport->finished) < 0) {
            (void)cio_transport_abort(transport);
            return;
        }
    }
}

static void serve(cio_stream *stream, void *arg) {
    struct protocol_server *ps = arg;
    void *protocol_arg = ps->factory_arg;
    if (ps->factory && ps->factory(ps->factory_arg, &protocol_arg) < 0) return;
    cio_transport *transport;
    if (cio__transport_start(stream, ps->protocol, protocol_arg, false, &transport) < 0) return;
    cio__transport_ref(transport); /* ours while we wait */
    wait_finished(transport);
    cio__transport_unref(transport);
}

/* cio_start_server or cio_start_unix_server (start), with serve as the
 * handler: the one path for TCP and Unix servers. */
typedef int (*start_fn)(const char *where, int port, cio_connection_handler handler, void *arg,
                        const cio_server_options *opts, cio_server **out);

static int start_unix(const char *path, int port, cio_connection_handler handler, void *arg,
                      const cio_server_options *opts, cio_server **out) {
    (void)port;
    return cio_start_unix_server(path, handler, arg, opts, out);
}

static int create(start_fn start, const char *where, int port, const cio_protocol *protocol,
                  cio_protocol_factory factory, void *factory_arg, const cio_server_options *opts,
                  cio_server **out) {
    if (out) *out = NULL;
    if (!protocol || !out) return -EINVAL;
    struct protocol_server *ps = malloc(sizeof *ps);
    if (!ps) return -ENOMEM;
    *ps = (struct protocol_server){protocol, factory, factory_arg};
    int rc = start(where, port, serve, ps, opts, out);
    if (rc < 0) {
        free(ps);
        return rc;
    }
    (*out)->handler_state = ps; /* no connection runs yet: its acceptor has not started */
    return 0;
}

int cio_create_server(const char *host, int port, const cio_protocol *protocol,
                      cio_protocol_factory factory, void *factory_arg,
                      const cio_server_options *opts, cio_server **out) {
    return create(cio_start_server, host, port, protocol, factory, factory_arg, opts, out);
}

int cio_create_unix_server(const char *path, const cio_protocol *protocol,
                           cio_protocol_factory factory, void *factory_arg,
                           const cio_server_options *opts, cio_server **out) {
    return create(start_unix, path, 0, protocol, factory, factory_arg, opts, out);
}
