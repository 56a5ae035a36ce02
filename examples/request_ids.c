/* Request IDs that follow the work: a task-local context value set once per
 * request and read by every task and thread-pool job the request starts,
 * with eager tasks (a cache hit never touches the scheduler), a value set
 * for a while and put back with a token (var.set / var.reset), and a
 * runner that keeps one loop for two phases.
 *
 *     $ ./request_ids
 *     [req-1] lookup alpha: cache hit
 *     [req-1] checksum in the pool: 518
 *     [req-2/load] lookup beta: cache miss, loading
 *     [req-2] lookup beta: loaded
 *     [req-2] checksum in the pool: 412
 *     [-] shutdown: 2 requests
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <cio.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cio_context_key request_id = CIO_CONTEXT_KEY_INIT("request_id", free);

static void say(const char *fmt, const char *what, long n) {
    void *id = NULL;
    cio_context_get(&request_id, &id); /* the task's, callback's or pool job's */
    printf("[%s] ", id ? (char *)id : "-");
    printf(fmt, what, n);
    putchar('\n');
}

static void *lookup(void *arg) {
    const char *key = arg;
    if (strcmp(key, "alpha") == 0) { /* cached: finishes without suspending */
        say("lookup %s: cache hit", key, 0);
        return NULL;
    }
    /* While loading, log under a sub-id; the token puts the request's back. */
    void *id = NULL;
    cio_context_get(&request_id, &id);
    char sub[32];
    snprintf(sub, sizeof sub, "%s/load", id ? (char *)id : "-");
    cio_context_token token;
    if (cio_context_set_token(&request_id, strdup(sub), &token) < 0) return NULL;
    say("lookup %s: cache miss, loading", key, 0);
    cio_sleep(0.01);                        /* "load" it */
    cio_context_reset(&request_id, &token); /* the sub-id is freed, the request's is back */
    say("lookup %s: loaded", key, 0);
    return NULL;
}

static void *checksum(void *arg) { /* runs on a pool thread, in a copy of the context */
    long sum = 0;
    for (const char *p = arg; *p; p++) sum += *p;
    say("checksum in the %s: %ld", "pool", sum);
    return NULL;
}

static void *handle(void *arg) {
    static int served;
    char id[16];
    snprintf(id, sizeof id, "req-%d", ++served);
    cio_context_set(&request_id, strdup(id)); /* freed when no task holds it */
    cio_task *t;
    cio_create_task(lookup, arg, &t); /* eager: see main */
    cio_await(t, NULL);
    cio_future *job;
    if (cio_executor_submit(NULL, checksum, arg, NULL, &job) == 0) {
        cio_future_await(job, NULL);
        cio_future_unref(job);
    }
    return (void *)(intptr_t)served;
}

static void *serve(void *arg) {
    (void)arg;
    cio_loop_set_task_factory(cio_get_running_loop(), cio_eager_task_factory, NULL);
    cio_task *a, *b;
    cio_create_task(handle, "alpha", &a); /* each request gets its own context */
    cio_await(a, NULL);
    cio_create_task(handle, "beta", &b);
    cio_await(b, NULL);
    return NULL;
}

static void *shutdown_phase(void *arg) {
    (void)arg;
    say("shutdown: %s%ld requests", "", 2);
    return NULL;
}

int main(void) {
    cio_runner *runner;
    int rc = cio_runner_new(NULL, &runner);
    if (rc < 0) {
        fprintf(stderr, "cio_runner_new: %s\n", cio_strerror(rc));
        return 1;
    }
    rc = cio_runner_run(runner, serve, NULL, NULL); /* same loop for both phases */
    if (rc == 0) rc = cio_runner_run(runner, shutdown_phase, NULL, NULL);
    cio_runner_free(runner);
    if (rc < 0) fprintf(stderr, "request_ids: %s\n", cio_strerror(rc));
    return rc < 0;
}
