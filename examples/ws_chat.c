/* ws_chat: a chat room over WebSockets.
 *
 *     ws_chat PORT          then open http://127.0.0.1:PORT/ in two browsers
 *
 * GET / serves a small page; /ws is the room: every text message a client
 * sends goes to every other client. Each client is one HTTP connection
 * task reading its messages; a send to another client drains that client's
 * buffer, so a slow reader slows the one talking to it (backpressure)
 * rather than growing memory. permessage-deflate is accepted when offered
 * (browsers and Python's websockets offer it). SIGTERM or SIGINT: graceful
 * exit 0. */
#include <cio.h>
#include <cio/http_server.h>
#include <cio/websocket.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CLIENTS 1024

static cio_websocket *clients[MAX_CLIENTS];

static const char PAGE[] =
    "<!doctype html><meta charset=utf-8><title>cio chat</title>\n"
    "<ul id=log></ul><form id=f><input id=m autofocus><button>send</button></form>\n"
    "<script>\n"
    "const ws = new WebSocket(`ws://${location.host}/ws`);\n"
    "const log = t => { const li = document.createElement('li'); li.textContent = t;\n"
    "                   document.getElementById('log').append(li); };\n"
    "ws.onmessage = e => log(e.data);\n"
    "ws.onclose = e => log(`closed (${e.code})`);\n"
    "document.getElementById('f').onsubmit = e => { e.preventDefault();\n"
    "  const m = document.getElementById('m'); ws.send(m.value); log(`me: ${m.value}`); m.value = "
    "''; };\n"
    "</script>\n";

static int join(cio_websocket *ws) {
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (!clients[i]) {
            clients[i] = ws;
            return i;
        }
    return -1;
}

static void broadcast(int from, const cio_websocket_message *msg) {
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (clients[i] && i != from) cio_websocket_send(clients[i], msg->type, msg->data, msg->len);
}

static void room(cio_http_request *req, cio_http_response *res) {
    cio_websocket *ws;
    static const cio_websocket_open_options opts = {.permessage_deflate = true};
    if (cio_websocket_accept_upgrade(req, res, &opts, &ws) < 0) return;
    int me = join(ws);
    if (me < 0) {
        cio_websocket_shutdown(ws, CIO_WEBSOCKET_CLOSE_GOING_AWAY, "room full");
        cio_websocket_free(ws);
        return;
    }
    cio_websocket_message msg;
    while (cio_websocket_receive(ws, &msg) == 0)
        if (msg.type == CIO_WEBSOCKET_TEXT) broadcast(me, &msg);
    clients[me] = NULL;
    cio_websocket_free(ws);
}

static void handle(cio_http_request *req, cio_http_response *res, void *arg) {
    (void)arg;
    cio_http_slice path = cio_http_request_path(req);
    if (path.len == 3 && memcmp(path.ptr, "/ws", 3) == 0) {
        room(req, res);
        return;
    }
    if (path.len == 1 && path.ptr[0] == '/') {
        cio_http_response_add_header(res, "Content-Type", "text/html; charset=utf-8");
        cio_http_response_send(res, 200, PAGE, sizeof PAGE - 1);
        return;
    }
    cio_http_response_send(res, 404, "Not Found", 9);
}

static void *stop(void *server) {
    cio_http_server_shutdown(server, 1.0);
    return NULL;
}

static void on_signal(void *server) {
    cio_create_task(stop, server, NULL);
}

static void *serve(void *arg) {
    cio_http_server *server;
    int rc = cio_http_serve("127.0.0.1", atoi(arg), handle, NULL, NULL, &server);
    if (rc < 0) {
        fprintf(stderr, "ws_chat: port %s: %s\n", (char *)arg, cio_strerror(rc));
        return cio_fail(rc);
    }
    cio_add_signal_handler(NULL, SIGTERM, on_signal, server);
    cio_add_signal_handler(NULL, SIGINT, on_signal, server);
    printf("listening on 127.0.0.1:%d\n", cio_http_server_port(server));
    fflush(stdout);
    rc = cio_http_server_serve_forever(server);
    cio_http_server_free(server);
    return rc < 0 ? cio_fail(rc) : NULL;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: ws_chat PORT\n");
        return 2;
    }
    return cio_run(serve, argv[1], NULL) == 0 ? 0 : 1;
}
