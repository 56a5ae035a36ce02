/* bench/http_client/load_cio.c - N GETs of one URL at concurrency C with
 * cio's HTTP client (one session, default options: the body kept in memory).
 *   load_cio URL N C    prints "RESULT http_client cio req_per_s VALUE" */
#include <cio.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct load {
    const char *url;
    int left, failed;
    cio_http_session *session;
};

static void *worker(void *arg) {
    struct load *load = arg;
    while (load->left > 0) {
        load->left--;
        cio_http_client_response *r;
        if (cio_http_session_get(load->session, load->url, &r) < 0 ||
            cio_http_client_response_status(r) != 200)
            load->failed++;
        else
            cio_http_client_response_free(r);
    }
    return NULL;
}

static void *main_task(void *arg) {
    struct load *load = arg;
    int concurrency = load->failed;
    load->failed = 0;
    cio_http_session_options opts = {.limit = -1};
    cio_http_session_new(&opts, &load->session);
    cio_task **tasks = calloc((size_t)concurrency, sizeof *tasks);
    for (int i = 0; i < concurrency; i++) cio_create_task(worker, load, &tasks[i]);
    for (int i = 0; i < concurrency; i++) cio_await(tasks[i], NULL);
    free(tasks);
    cio_http_session_free(load->session);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4) return 2;
    int n = atoi(argv[2]);
    struct load load = {.url = argv[1], .left = n, .failed = atoi(argv[3])};
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    cio_run(main_task, &load, NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double seconds = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    if (load.failed) fprintf(stderr, "%d requests failed\n", load.failed);
    printf("RESULT http_client cio req_per_s %.0f\n", n / seconds);
    return load.failed ? 1 : 0;
}
