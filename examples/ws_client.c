/* ws_client: a WebSocket client that sends messages and prints the replies.
 *
 *     ws_client ws://127.0.0.1:8765/path hello "big:100000" bye
 *
 * Sends each argument as a text message ("big:N" sends N bytes of 'x';
 * "frag:TEXT" sends TEXT in 2-byte fragments), prints each reply ("got:
 * TEXT", or "got N bytes" past 60), then closes with 1000 and prints the
 * close code ("closed 1000"). If the server closes first it prints its code
 * and reason ("closed 1009 ..."). It offers permessage-deflate unless
 * WS_NO_DEFLATE is set. Exit 0 unless the connection fails. */
#include <cio.h>
#include <cio/websocket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int send_arg(cio_websocket *ws, const char *arg) {
    if (strncmp(arg, "big:", 4) == 0) {
        size_t n = strtoul(arg + 4, NULL, 10);
        char *big = malloc(n ? n : 1);
        memset(big, 'x', n);
        int rc = cio_websocket_send(ws, CIO_WEBSOCKET_TEXT, big, n);
        free(big);
        return rc;
    }
    if (strncmp(arg, "frag:", 5) == 0)
        return cio_websocket_send_fragmented(ws, CIO_WEBSOCKET_TEXT, arg + 5, strlen(arg + 5), 2);
    return cio_websocket_send(ws, CIO_WEBSOCKET_TEXT, arg, strlen(arg));
}

static void *run(void *arg) {
    char **argv = arg;
    cio_websocket *ws;
    cio_websocket_open_options opts = {.permessage_deflate = getenv("WS_NO_DEFLATE") == NULL};
    int rc = cio_websocket_connect(argv[1], &opts, &ws);
    if (rc < 0) {
        fprintf(stderr, "ws_client: %s: %s\n", argv[1], cio_strerror(rc));
        return cio_fail(rc);
    }
    cio_websocket_message msg;
    for (char **a = argv + 2; *a && rc == 0; a++) {
        if ((rc = send_arg(ws, *a)) == 0) rc = cio_websocket_receive(ws, &msg);
        if (rc == 0 && msg.len <= 60) printf("got: %.*s\n", (int)msg.len, msg.data);
        if (rc == 0 && msg.len > 60) printf("got %zu bytes\n", msg.len);
    }
    if (rc == 0) cio_websocket_shutdown(ws, CIO_WEBSOCKET_CLOSE_NORMAL, NULL);
    printf("closed %u %s\n", cio_websocket_close_code(ws), cio_websocket_close_reason(ws));
    cio_websocket_free(ws);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: ws_client URL [MESSAGE...]\n");
        return 2;
    }
    return cio_run(run, argv, NULL) == 0 ? 0 : 1;
}
