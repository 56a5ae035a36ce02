/* port_scan - connect to many ports at once, at most N at a time.
 *
 *     port_scan HOST FIRST LAST [N]    report the open TCP ports of HOST in
 *                                      FIRST..LAST, with N (default 100)
 *                                      connects in flight, 0.5 s each
 *
 * The concurrency limit is a pool of N worker tasks taking the next port
 * from a shared counter: no semaphore needed, as only one task runs at a
 * time. */
#include <cio.h>

#include <stdio.h>
#include <stdlib.h>

struct scan {
    const char *host;
    int next, last; /* ports still to try */
    int workers;
    int open; /* found so far */
};

static void *worker(void *arg) {
    struct scan *scan = arg;
    while (scan->next <= scan->last) {
        int port = scan->next++;
        cio_connect_options opts = {.timeout = 0.5};
        cio_stream *stream;
        int rc = cio_open_connection(scan->host, port, &opts, &stream);
        if (rc == 0) {
            printf("%d open\n", port);
            scan->open++;
            cio_stream_free(stream);
        } else if (rc == -ECANCELED || rc == -CIO_ENOTFOUND || rc == -CIO_ERESOLVE) {
            return cio_fail(rc);
        }
    }
    return NULL;
}

static void *scan_ports(void *arg) {
    struct scan *scan = arg;
    int workers = scan->workers;
    cio_task **tasks = calloc((size_t)workers, sizeof *tasks);
    if (!tasks) return cio_fail(-ENOMEM);
    for (int i = 0; i < workers; i++) cio_create_task(worker, scan, &tasks[i]);
    int rc = 0;
    for (int i = 0; i < workers; i++) {
        int status = cio_await(tasks[i], NULL);
        if (status < 0 && rc == 0) rc = status;
    }
    free(tasks);
    if (rc < 0)
        fprintf(stderr, "port_scan: %s\n", cio_strerror(rc));
    else
        printf("%d open port(s)\n", scan->open);
    return rc < 0 ? cio_fail(rc) : NULL;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: port_scan HOST FIRST LAST [CONCURRENCY]\n");
        return 2;
    }
    struct scan scan = {argv[1], atoi(argv[2]), atoi(argv[3]), argc > 4 ? atoi(argv[4]) : 100, 0};
    if (scan.workers < 1) scan.workers = 1;
    return cio_run(scan_ports, &scan, NULL) == 0 ? 0 : 1;
}
