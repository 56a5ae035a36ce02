/* src/runner/cores.c - cio_run_cores(): one loop per thread, all running the
 * same main function, stopped together.
 *
 * The calling thread runs a coordinator loop under cio_run (so it takes the
 * SIGINT rule from there) whose main task starts the workers and waits for
 * them. Each worker thread makes its loop, runs fn as that loop's main task,
 * cancels what is left and tells the coordinator; then it holds: its loop
 * goes on serving what other loops post to it (a cio_loop_submit from a
 * main task still running elsewhere) until the coordinator, once every
 * worker got that far, releases them all. Only then are the loops freed, so
 * a loop from cio_cores_loop() stays valid while any task of the group may
 * use it. A stop posts a cancel of each worker's main task to its loop.
 *
 * group->lock guards the loops[] table: a worker clears its entry (under the
 * lock) before it frees its loop, and a stop posts (under the lock) only to
 * entries still set, so nothing is ever posted to a freed loop. */
#include "core/core.h" /* cio__loop_cancel_remaining, as cio_run uses it */
#include "cio/cores.h"
#include "runner/crossing.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

struct worker {
    struct group *group;
    int index;
    int cpu; /* -1: not pinned */
    pthread_t thread;
    bool started;
    cio_task *main_task; /* worker thread only */
    int status;          /* written before the worker tells the coordinator */
};

struct group {
    cio_task_fn fn;
    void *arg;
    const cio_loop_options *loop_options;
    int count;
    struct worker *workers;
    pthread_mutex_t lock;
    cio_loop **loops; /* under lock; NULL: not made yet, or gone */
    /* The start line: no main task runs before every loop exists (so
     * cio_cores_loop(i) finds them all), or before one failed to. Under lock. */
    pthread_cond_t all_made;
    int made;
    int make_failed;
    /* The coordinator's loop only: */
    cio_loop *coordinator;
    int finished;
    cio_event all_finished;
};

static _Thread_local struct worker *current_worker;

/* ---- stopping ------------------------------------------------------------------------ */

static void cancel_main(void *arg) {
    struct worker *worker = arg;
    if (worker->main_task) cio_task_cancel(worker->main_task);
}

static void stop_all(struct group *group) {
    pthread_mutex_lock(&group->lock);
    for (int i = 0; i < group->count; i++)
        if (group->loops[i])
            cio_call_soon_threadsafe(group->loops[i], cancel_main, &group->workers[i]);
    pthread_mutex_unlock(&group->lock);
}

int cio_cores_stop(void) {
    if (!current_worker) return -EPERM;
    stop_all(current_worker->group);
    return 0;
}

/* ---- a worker ------------------------------------------------------------------------- */

static void on_worker_finished(void *arg) {
    struct group *group = arg;
    if (++group->finished == group->count) cio_event_set(&group->all_finished);
}

static void pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set); /* best effort */
}

/* Wait at the start line having made loop (NULL: failed with error).
 * Returns 0, or the first failure of any worker. */
static int arrive(struct group *group, int index, cio_loop *loop, int error) {
    pthread_mutex_lock(&group->lock);
    group->loops[index] = loop;
    if (error < 0 && !group->make_failed) group->make_failed = error;
    if (++group->made == group->count) pthread_cond_broadcast(&group->all_made);
    while (group->made < group->count) pthread_cond_wait(&group->all_made, &group->lock);
    int failed = group->make_failed;
    pthread_mutex_unlock(&group->lock);
    return failed;
}

/* Posted by the coordinator to every held loop once all are held. */
static void release_worker(void *arg) {
    cio_loop_stop(arg);
}

/* The worker's own part is over (status set): a failure stops the others,
 * and the coordinator counts it as finished. */
static void tell_finished(struct worker *worker) {
    struct group *group = worker->group;
    if (worker->status < 0 && worker->status != -ECANCELED) stop_all(group);
    cio__post_owed(group->coordinator, on_worker_finished, group);
}

static void run_worker_loop(struct worker *worker) {
    struct group *group = worker->group;
    cio_loop *loop = NULL;
    int rc = cio_loop_new(group->loop_options, &loop);
    if (rc == 0) rc = cio_loop_create_task(loop, group->fn, group->arg, &worker->main_task);
    int failed = arrive(group, worker->index, rc == 0 ? loop : NULL, rc);
    if (rc == 0 && failed < 0) { /* another loop could not be made: nobody starts */
        cio_task_cancel(worker->main_task);
        rc = failed;
    }
    if (rc == 0 || worker->main_task) {
        int ran = cio_loop_run_until_complete(loop, worker->main_task, NULL); /* takes the ref */
        if (rc == 0) rc = ran;
        /* A stop posted from now on finds no task to cancel. */
        worker->main_task = NULL;
    }
    worker->status = rc;
    if (!loop) {
        tell_finished(worker);
        return;
    }
    cio__loop_cancel_remaining(loop); /* as cio_run: leftovers cancelled and awaited */
    tell_finished(worker);
    /* Hold: serve what other loops still post here (a release that comes
     * first makes this one turn, as cio_loop_stop says). */
    cio_loop_run_forever(loop);
    cio__loop_cancel_remaining(loop); /* what late posts started */
    pthread_mutex_lock(&group->lock);
    group->loops[worker->index] = NULL;
    pthread_mutex_unlock(&group->lock);
    cio_loop_free(loop);
}

static void *worker_main(void *arg) {
    struct worker *worker = arg;
    current_worker = worker;
    if (worker->cpu >= 0) pin(worker->cpu);
    run_worker_loop(worker); /* sets worker->status, tells the coordinator */
    current_worker = NULL;
    return NULL;
}

/* ---- the coordinator ---------------------------------------------------------------- */

/* Every worker holds (or never made a loop): none has a task left that could
 * post to another, so all may now free their loops. */
static void release_all(struct group *group) {
    pthread_mutex_lock(&group->lock);
    for (int i = 0; i < group->count; i++)
        if (group->loops[i]) cio__post_owed(group->loops[i], release_worker, group->loops[i]);
    pthread_mutex_unlock(&group->lock);
}

/* The i-th CPU this process may run on, wrapping round; -1 if unknown. */
static int nth_cpu(int i) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;
    int usable = CPU_COUNT(&set);
    if (usable <= 0) return -1;
    int wanted = i % usable;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, &set) && wanted-- == 0) return cpu;
    return -1;
}

static int usable_cpus(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
    int count = CPU_COUNT(&set);
    return count > 0 ? count : 1;
}

static void *coordinate(void *arg) {
    struct group *group = arg;
    group->coordinator = cio_get_running_loop();
    cio_event_init(&group->all_finished);
    int started = 0, rc = 0;
    for (; started < group->count; started++) {
        struct worker *worker = &group->workers[started];
        rc = -pthread_create(&worker->thread, NULL, worker_main, worker);
        if (rc < 0) break;
        worker->started = true;
    }
    group->finished += group->count - started; /* those never started count as done */
    if (rc < 0) { /* the workers already started must not wait for the rest */
        pthread_mutex_lock(&group->lock);
        if (!group->make_failed) group->make_failed = rc;
        group->made += group->count - started;
        pthread_cond_broadcast(&group->all_made);
        pthread_mutex_unlock(&group->lock);
    }
    if (group->finished == group->count) cio_event_set(&group->all_finished);
    int waited = cio_event_wait(&group->all_finished);
    if (waited < 0) stop_all(group); /* Ctrl-C, or the caller's own cancel */
    cio__event_wait_shielded(&group->all_finished);
    release_all(group);
    for (int i = 0; i < started; i++) pthread_join(group->workers[i].thread, NULL);
    if (rc < 0) return cio_fail(rc);
    return waited < 0 ? cio_fail(waited) : NULL;
}

/* The run's status: the coordinator's (a SIGINT: -EINTR), else the first
 * main task's error that is not a stop's -ECANCELED, else -ECANCELED if a
 * stop cancelled any, else 0. */
static int outcome(const struct group *group, int coordinator_status) {
    if (coordinator_status < 0) return coordinator_status;
    int cancelled = 0;
    for (int i = 0; i < group->count; i++) {
        int status = group->workers[i].status;
        if (status == -ECANCELED)
            cancelled = status;
        else if (status < 0)
            return status;
    }
    return cancelled;
}

int cio_run_cores_ex(cio_task_fn fn, void *arg, const cio_cores_options *opts) {
    if (!fn || (opts && opts->loops < 0)) return -EINVAL;
    if (cio_get_running_loop()) return -EBUSY;
    struct group group = {.fn = fn, .arg = arg, .loop_options = opts ? opts->loop : NULL};
    group.count = opts && opts->loops ? opts->loops : usable_cpus();
    group.workers = calloc((size_t)group.count, sizeof *group.workers);
    group.loops = calloc((size_t)group.count, sizeof *group.loops);
    if (!group.workers || !group.loops) {
        free(group.workers);
        free(group.loops);
        return -ENOMEM;
    }
    for (int i = 0; i < group.count; i++)
        group.workers[i] = (struct worker){
            .group = &group, .index = i, .cpu = opts && opts->pin ? nth_cpu(i) : -1};
    pthread_mutex_init(&group.lock, NULL);
    pthread_cond_init(&group.all_made, NULL);
    int rc = outcome(&group, cio_run(coordinate, &group, NULL));
    pthread_cond_destroy(&group.all_made);
    pthread_mutex_destroy(&group.lock);
    free(group.workers);
    free(group.loops);
    return rc;
}

int cio_run_cores(cio_task_fn fn, void *arg) {
    return cio_run_cores_ex(fn, arg, NULL);
}

int cio_cores_index(void) {
    return current_worker ? current_worker->index : -EPERM;
}

int cio_cores_count(void) {
    return current_worker ? current_worker->group->count : -EPERM;
}

cio_loop *cio_cores_loop(int index) {
    if (!current_worker || index < 0 || index >= current_worker->group->count) return NULL;
    struct group *group = current_worker->group;
    pthread_mutex_lock(&group->lock);
    cio_loop *loop = group->loops[index];
    pthread_mutex_unlock(&group->lock);
    return loop;
}
