/* udp_echo - a UDP echo server, and a client for it.
 *
 *     udp_echo PORT               echo datagrams on 127.0.0.1:PORT until
 *                                 SIGINT or SIGTERM
 *     udp_echo PORT MESSAGE...    send each MESSAGE as one datagram and print
 *                                 the replies (1 s timeout each) */
#include <cio.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct config {
    int port;
    int count;
    char **messages;
};

static void *echo_datagrams(void *arg) {
    cio_datagram *endpoint = arg;
    char buf[65536];
    for (;;) {
        struct sockaddr_storage from;
        socklen_t len = sizeof from;
        ssize_t n =
            cio_datagram_recvfrom(endpoint, buf, sizeof buf, (struct sockaddr *)&from, &len);
        if (n < 0) return n == -CIO_ECLOSED ? NULL : cio_fail((int)n);
        cio_datagram_sendto(endpoint, buf, (size_t)n, (struct sockaddr *)&from, len);
    }
}

static int serve(int port) {
    cio_datagram *endpoint;
    int rc = cio_create_datagram_endpoint("127.0.0.1", port, NULL, 0, NULL, &endpoint);
    if (rc < 0) return rc;
    printf("Echoing datagrams on 127.0.0.1:%d\n", port);
    fflush(stdout);
    cio_task *echo;
    cio_create_task(echo_datagrams, endpoint, &echo);
    int stop[] = {SIGINT, SIGTERM};
    cio_wait_signals(stop, 2);
    cio_datagram_close(endpoint); /* ends the echo task's wait */
    rc = cio_await(echo, NULL);
    cio_datagram_free(endpoint);
    return rc;
}

static int ask(int port, int count, char **messages) {
    cio_datagram *endpoint;
    int rc = cio_create_datagram_endpoint(NULL, 0, "127.0.0.1", port, NULL, &endpoint);
    for (int i = 0; rc == 0 && i < count; i++) {
        char reply[65536];
        ssize_t n = cio_datagram_send(endpoint, messages[i], strlen(messages[i]));
        cio_timeout scope;
        cio_timeout_begin(&scope, 1.0);
        if (n >= 0) n = cio_datagram_recvfrom(endpoint, reply, sizeof reply, NULL, NULL);
        cio_timeout_end(&scope);
        if (n < 0)
            rc = (int)n;
        else
            printf("%.*s\n", (int)n, reply);
    }
    cio_datagram_free(endpoint);
    return rc;
}

static void *run(void *arg) {
    struct config *config = arg;
    int rc =
        config->count ? ask(config->port, config->count, config->messages) : serve(config->port);
    if (rc < 0) fprintf(stderr, "udp_echo: %s\n", cio_strerror(rc));
    return rc < 0 ? cio_fail(rc) : NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: udp_echo PORT [MESSAGE...]\n");
        return 2;
    }
    struct config config = {atoi(argv[1]), argc - 2, argv + 2};
    return cio_run(run, &config, NULL) == 0 ? 0 : 1;
}
