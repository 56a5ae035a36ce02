/* Fetch the URLs given on the command line concurrently (one task each) and
 * print each one's status, size and time, in command-line order.
 *
 *     $ ./fetch_many http://127.0.0.1:8080/ http://127.0.0.1:8080/missing
 *     200 13 B 0.002 s http://127.0.0.1:8080/
 *     404 153 B 0.002 s http://127.0.0.1:8080/missing
 *
 * A URL that fails prints "error: <reason> (<libcurl's text>) URL" instead;
 * the exit status is 1 if any failed. */
#include <cio.h>

#include <stdio.h>
#include <stdlib.h>

struct fetch {
    const char *url;
    int status;
    size_t size;
    double seconds;
    int error;
    char text[CIO_HTTP_ERROR_SIZE];
};

static void *fetch(void *arg) {
    struct fetch *f = arg;
    double start = cio_loop_time(cio_get_running_loop());
    cio_http_client_options opts = {.error = f->text};
    cio_http_client_response *r;
    f->error = cio_http_session_request(NULL, "GET", f->url, &opts, &r);
    f->seconds = cio_loop_time(cio_get_running_loop()) - start;
    if (f->error < 0) return NULL;
    f->status = cio_http_client_response_status(r);
    cio_http_client_response_body(r, &f->size);
    cio_http_client_response_free(r);
    return NULL;
}

struct job {
    int count;
    struct fetch *fetches;
};

static void *main_task(void *arg) {
    struct job *job = arg;
    cio_task **tasks = calloc((size_t)job->count, sizeof *tasks);
    if (!tasks) return cio_fail(-ENOMEM);
    for (int i = 0; i < job->count; i++) cio_create_task(fetch, &job->fetches[i], &tasks[i]);
    int failed = 0;
    for (int i = 0; i < job->count; i++) {
        struct fetch *f = &job->fetches[i];
        cio_await(tasks[i], NULL);
        if (f->error < 0) {
            printf("error: %s (%s) %s\n", cio_strerror(f->error), f->text, f->url);
            failed = 1;
        } else {
            printf("%d %zu B %.3f s %s\n", f->status, f->size, f->seconds, f->url);
        }
    }
    free(tasks);
    return failed ? cio_fail(-EIO) : NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s URL...\n", argv[0]);
        return 2;
    }
    struct job job = {.count = argc - 1, .fetches = calloc((size_t)argc, sizeof(struct fetch))};
    if (!job.fetches) return 1;
    for (int i = 1; i < argc; i++) job.fetches[i - 1].url = argv[i];
    int rc = cio_run(main_task, &job, NULL);
    free(job.fetches);
    return rc == 0 ? 0 : 1;
}
