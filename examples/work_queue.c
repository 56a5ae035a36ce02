/* A bounded work queue with N workers that stops cleanly.
 *
 * The producer puts jobs into a queue of at most QUEUE_MAX items: when the
 * workers fall behind, cio_queue_put() suspends it (backpressure). When it
 * has put every job it shuts the queue down: the workers finish what is
 * queued, then cio_queue_get() returns -CIO_ESHUTDOWN and they exit.
 * (cio_queue_shutdown(q, true) would instead drop the queued jobs, handing
 * each to the dispose function, here free().)
 *
 *     $ ./work_queue
 *     worker 0: job 0 (10 ms)
 *     worker 1: job 1 (17 ms)
 *     ...
 *     done: 12 jobs, 3 workers, 257 ms of work in about 90 ms */
#include <cio.h>

#include <stdio.h>
#include <stdlib.h>

enum { WORKERS = 3, JOBS = 12, QUEUE_MAX = 4 };

struct job {
    int id;
    int millis; /* how long the "work" takes */
};

struct worker {
    int id;
    cio_queue *queue;
    int done; /* jobs this worker finished */
};

static void dispose_job(void *item, void *arg) {
    (void)arg;
    free(item);
}

static void *work(void *arg) {
    struct worker *self = arg;
    for (;;) {
        void *item;
        int rc = cio_queue_get(self->queue, &item);
        if (rc == -CIO_ESHUTDOWN) return NULL; /* drained and shut down: stop */
        if (rc < 0) return cio_fail(rc);       /* cancelled */
        struct job *job = item;                /* ours now */
        cio_sleep(job->millis / 1000.0);       /* the work: other tasks run meanwhile */
        printf("worker %d: job %d (%d ms)\n", self->id, job->id, job->millis);
        free(job);
        self->done++;
        cio_queue_task_done(self->queue);
    }
}

/* Put every job, waiting whenever the queue is full. */
static int produce(cio_queue *queue, int *total_millis) {
    for (int i = 0; i < JOBS; i++) {
        struct job *job = malloc(sizeof *job);
        if (!job) return -ENOMEM;
        *job = (struct job){i, 10 + (i * 7) % 25};
        int rc = cio_queue_put(queue, job);
        if (rc < 0) { /* not put: still ours */
            free(job);
            return rc;
        }
        *total_millis += job->millis;
    }
    return 0;
}

static void *main_task(void *arg) {
    (void)arg;
    cio_loop *loop = cio_get_running_loop();
    cio_queue *queue;
    if (cio_queue_new(QUEUE_MAX, &queue) < 0) return cio_fail(-ENOMEM);
    cio_queue_set_dispose(queue, dispose_job, NULL);

    struct worker workers[WORKERS];
    cio_task *tasks[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
        workers[i] = (struct worker){i, queue, 0};
        cio_create_task(work, &workers[i], &tasks[i]);
    }

    double start = cio_loop_time(loop);
    int total_millis = 0;
    int rc = produce(queue, &total_millis);
    cio_queue_shutdown(queue, rc < 0); /* on error, drop what is queued */

    int finished = 0;
    for (int i = 0; i < WORKERS; i++) {
        int status = cio_await(tasks[i], NULL);
        if (status < 0) fprintf(stderr, "worker %d: %s\n", i, cio_strerror(status));
        finished += workers[i].done;
    }
    printf("done: %d jobs, %d workers, %d ms of work in about %.0f ms\n", finished, WORKERS,
           total_millis, (cio_loop_time(loop) - start) * 1000);
    cio_queue_free(queue);
    return rc < 0 ? cio_fail(rc) : NULL;
}

int main(void) {
    int rc = cio_run(main_task, NULL, NULL);
    if (rc < 0) fprintf(stderr, "work_queue: %s\n", cio_strerror(rc));
    return rc < 0 ? 1 : 0;
}
