/* redis_client - the cio Redis client under load, shaped like redis-benchmark
 * so their figures compare: CLIENTS connections, one task each, REQUESTS in
 * all, PIPELINE commands in flight per connection (send P, receive P).
 *
 *     redis_client PORT CLIENTS REQUESTS PIPELINE get|set
 *
 * Prints "<op>: <requests per second>". Keys "key:__rand_int__" with a 3-byte
 * value, as redis-benchmark -t get,set uses by default. */
#include <cio.h>
#include <cio/redis.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int port, clients, requests, pipeline;
static const char *op;

static void *client_task(void *arg) {
    int n = *(int *)arg;
    cio_redis *r;
    int rc = cio_redis_connect("127.0.0.1", port, NULL, &r);
    if (rc < 0) return cio_fail(rc);
    bool set = strcmp(op, "set") == 0;
    const char *argv[] = {set ? "SET" : "GET", "key:__rand_int__", "xxx"};
    size_t argc = set ? 3 : 2;
    for (int done = 0; done < n && rc >= 0;) {
        int batch = n - done < pipeline ? n - done : pipeline;
        cio_redis_reply *reply;
        if (batch == 1) {
            rc = cio_redis_command(r, argc, argv, NULL, &reply);
            if (rc >= 0) cio_redis_reply_free(reply);
        } else {
            for (int i = 0; i < batch && rc >= 0; i++) rc = cio_redis_send(r, argc, argv, NULL);
            for (int i = 0; i < batch && rc >= 0; i++) {
                rc = cio_redis_receive(r, &reply);
                if (rc >= 0) cio_redis_reply_free(reply);
            }
        }
        done += batch;
    }
    cio_redis_free(r);
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void *bench(void *arg) {
    (void)arg;
    int *share = calloc((size_t)clients, sizeof *share);
    cio_task **tasks = calloc((size_t)clients, sizeof *tasks);
    for (int i = 0; i < clients; i++) share[i] = requests / clients + (i < requests % clients);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < clients; i++) cio_create_task(client_task, &share[i], &tasks[i]);
    int failed = 0;
    for (int i = 0; i < clients; i++) failed |= cio_await(tasks[i], NULL) != 0;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (!failed) printf("%s: %.0f\n", op, requests / secs);
    free(share);
    free(tasks);
    return failed ? cio_fail(-EIO) : NULL;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: redis_client PORT CLIENTS REQUESTS PIPELINE get|set\n");
        return 2;
    }
    port = atoi(argv[1]);
    clients = atoi(argv[2]);
    requests = atoi(argv[3]);
    pipeline = atoi(argv[4]);
    op = argv[5];
    if (clients < 1 || requests < 1 || pipeline < 1) return 2;
    return cio_run(bench, NULL, NULL) == 0 ? 0 : 1;
}
