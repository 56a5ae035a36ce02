/* echo_uv - the echo benchmark's libuv peer: a libuv echo server written
 * the efficient way (one 64 KiB buffer per connection, uv_try_write first,
 * a queued uv_write only for what the socket did not take, reading paused
 * meanwhile). Built only when libuv is found (bench/peers.cmake).
 *
 *     echo_uv PORT      serve on 127.0.0.1:PORT until killed */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define BUFFER (64 * 1024)

struct conn {
    uv_tcp_t handle;
    uv_write_t write;
    char buf[BUFFER];
};

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);

static void on_close(uv_handle_t *handle) {
    free(handle);
}

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf) {
    (void)suggested;
    struct conn *c = (struct conn *)handle;
    *buf = uv_buf_init(c->buf, BUFFER);
}

static void on_written(uv_write_t *req, int status) {
    struct conn *c = req->data;
    if (status < 0 || uv_read_start((uv_stream_t *)&c->handle, on_alloc, on_read) < 0)
        uv_close((uv_handle_t *)&c->handle, on_close);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
    struct conn *c = (struct conn *)stream;
    if (nread < 0) {
        uv_close((uv_handle_t *)stream, on_close);
        return;
    }
    uv_buf_t out = uv_buf_init(buf->base, (unsigned)nread);
    int sent = uv_try_write(stream, &out, 1);
    if (sent == nread) return;
    if (sent < 0 && sent != UV_EAGAIN) {
        uv_close((uv_handle_t *)stream, on_close);
        return;
    }
    if (sent < 0) sent = 0;
    /* The rest goes out with uv_write; the buffer is busy until it has. */
    uv_read_stop(stream);
    out = uv_buf_init(buf->base + sent, (unsigned)(nread - sent));
    c->write.data = c;
    if (uv_write(&c->write, stream, &out, 1, on_written) < 0)
        uv_close((uv_handle_t *)stream, on_close);
}

static void on_connection(uv_stream_t *server, int status) {
    if (status < 0) return;
    struct conn *c = calloc(1, sizeof *c);
    uv_tcp_init(server->loop, &c->handle);
    if (uv_accept(server, (uv_stream_t *)&c->handle) < 0) {
        uv_close((uv_handle_t *)&c->handle, on_close);
        return;
    }
    uv_tcp_nodelay(&c->handle, 1);
    uv_read_start((uv_stream_t *)&c->handle, on_alloc, on_read);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: echo_uv PORT\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    uv_loop_t *loop = uv_default_loop();
    uv_tcp_t server;
    struct sockaddr_in addr;
    uv_tcp_init(loop, &server);
    uv_ip4_addr("127.0.0.1", atoi(argv[1]), &addr);
    int rc = uv_tcp_bind(&server, (const struct sockaddr *)&addr, 0);
    if (rc == 0) rc = uv_listen((uv_stream_t *)&server, 128, on_connection);
    if (rc < 0) {
        fprintf(stderr, "echo_uv: %s\n", uv_strerror(rc));
        return 1;
    }
    return uv_run(loop, UV_RUN_DEFAULT);
}
