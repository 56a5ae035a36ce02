/* bench/tls/tls_echo_epoll.c - the baseline: a TLS echo server written
 * directly on epoll (edge-triggered) and non-blocking OpenSSL, no library
 * in between: tls_echo_epoll PORT CERT KEY. Each connection: handshake,
 * then SSL_read until WANT_READ, echoing each piece with SSL_write; a
 * WANT_WRITE keeps the unsent rest and waits for EPOLLOUT. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

struct conn {
    int fd;
    SSL *ssl;
    char *pending; /* unsent echo bytes */
    size_t pending_len, pending_cap;
};

static int ep;

static void drop(struct conn *c) {
    SSL_free(c->ssl);
    close(c->fd);
    free(c->pending);
    free(c);
}

/* Send pending; 1 if all sent, 0 if blocked, -1 on error. */
static int flush(struct conn *c) {
    while (c->pending_len) {
        size_t n;
        int ret = SSL_write_ex(c->ssl, c->pending, c->pending_len, &n);
        if (ret <= 0) {
            int err = SSL_get_error(c->ssl, ret);
            return err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ ? 0 : -1;
        }
        memmove(c->pending, c->pending + n, c->pending_len - n);
        c->pending_len -= n;
    }
    return 1;
}

static void on_ready(struct conn *c) {
    if (!SSL_is_init_finished(c->ssl)) {
        int ret = SSL_do_handshake(c->ssl);
        if (ret != 1) {
            int err = SSL_get_error(c->ssl, ret);
            if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) drop(c);
            return;
        }
    }
    int f = flush(c);
    if (f < 0) {
        drop(c);
        return;
    }
    if (f == 0) return;
    char buf[65536];
    for (;;) {
        size_t n;
        int ret = SSL_read_ex(c->ssl, buf, sizeof buf, &n);
        if (ret <= 0) {
            int err = SSL_get_error(c->ssl, ret);
            if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) drop(c);
            return;
        }
        size_t w = 0;
        int wr = SSL_write_ex(c->ssl, buf, n, &w);
        if (wr <= 0) {
            int err = SSL_get_error(c->ssl, wr);
            if (err != SSL_ERROR_WANT_WRITE && err != SSL_ERROR_WANT_READ) {
                drop(c);
                return;
            }
            w = 0;
        }
        if (w < n) { /* keep the rest; retried from pending (moving buffer mode) */
            if (c->pending_cap < n - w) {
                c->pending = realloc(c->pending, n - w);
                c->pending_cap = n - w;
            }
            memcpy(c->pending, buf + w, n - w);
            c->pending_len = n - w;
            return;
        }
    }
}

int main(int argc, char **argv) {
    if (argc != 4) return 2;
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (SSL_CTX_use_certificate_chain_file(ctx, argv[2]) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, argv[3], SSL_FILETYPE_PEM) != 1)
        return 1;
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_read_ahead(ctx, 1);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)atoi(argv[1])),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(lfd, 512) < 0) return 1;
    ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    printf("ready\n");
    fflush(stdout);
    struct epoll_event events[256];
    for (;;) {
        int n = epoll_wait(ep, events, 256, -1);
        for (int i = 0; i < n; i++) {
            if (events[i].data.ptr) {
                on_ready(events[i].data.ptr);
                continue;
            }
            int fd;
            while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                struct conn *c = calloc(1, sizeof *c);
                c->fd = fd;
                c->ssl = SSL_new(ctx);
                SSL_set_fd(c->ssl, fd);
                SSL_set_accept_state(c->ssl);
                struct epoll_event cev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = c};
                epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
            }
        }
    }
}
