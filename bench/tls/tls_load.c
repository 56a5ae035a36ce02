/* bench/tls/tls_load.c - TLS echo load: tls_load PORT CA CONNECTIONS SIZE
 * SECONDS. Each connection (a cio task) writes SIZE bytes and reads them
 * back, again and again; prints round trips per second. Handshakes are
 * made before the clock starts. */
#include <cio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int port, connections;
static size_t size;
static double seconds;
static const char *ca;
static long round_trips;
static bool stop;

static void *client(void *arg) {
    cio_stream *stream = arg;
    char *buf = calloc(1, size), *back = malloc(size);
    while (!stop) {
        if (cio_stream_write(stream, buf, size) < 0) break;
        if (cio_stream_readexactly(stream, back, size, NULL) < 0) break;
        round_trips++;
    }
    free(buf);
    free(back);
    return NULL;
}

static void *run(void *arg) {
    (void)arg;
    cio_tls_context *tls;
    int rc = cio_tls_context_new(&(cio_tls_options){.ca_file = ca}, &tls);
    if (rc < 0) return cio_fail_msg(rc, "%s", cio_tls_last_error());
    cio_stream **streams = calloc((size_t)connections, sizeof *streams);
    cio_task **tasks = calloc((size_t)connections, sizeof *tasks);
    cio_connect_options opts = {.tls = tls, .server_hostname = "localhost"};
    for (int i = 0; i < connections; i++)
        if ((rc = cio_open_connection("127.0.0.1", port, &opts, &streams[i])) < 0)
            return cio_fail_msg(rc, "%s", cio_tls_last_error());
    double start = cio_loop_time(cio_get_running_loop());
    for (int i = 0; i < connections; i++) cio_create_task(client, streams[i], &tasks[i]);
    cio_sleep(seconds);
    stop = true;
    long done = round_trips;
    double elapsed = cio_loop_time(cio_get_running_loop()) - start;
    for (int i = 0; i < connections; i++) {
        cio_await(tasks[i], NULL);
        cio_stream_free(streams[i]);
    }
    printf("%.0f\n", (double)done / elapsed);
    free(streams);
    free(tasks);
    cio_tls_context_free(tls);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 6) return 2;
    port = atoi(argv[1]);
    ca = argv[2];
    connections = atoi(argv[3]);
    size = (size_t)atol(argv[4]);
    seconds = atof(argv[5]);
    return cio_run(run, NULL, NULL) < 0;
}
