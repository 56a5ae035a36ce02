/* Fuzz target: a random sequence of API calls and cancellations on one loop
 * (virtual clock), checked against a model that says nothing is lost.
 *
 * Each input byte pair is one step of the main task: start a producer (puts
 * one numbered item into a small queue), a consumer (gets one, maybe inside
 * a timeout scope), a lock user (acquire, sleep, release) or an event
 * waiter; cancel one of the started tasks; set or clear the event; sleep or
 * yield. At the end every task is cancelled and awaited and the queue
 * drained. The model (the hand-off rule of docs/sync.md):
 *  - an item whose put returned 0 is got exactly once (by a get that
 *    returned 0, or by the final drain); an item whose put failed never is;
 *  - at most one task holds the lock at any moment;
 *  - every task finishes, and every wait ends in 0, -ECANCELED or
 *    -ETIMEDOUT.
 * A violation aborts. */
#include <cio.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TASKS 64
#define MAX_ITEMS 64

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "API model violated: %s (line %d)\n", #cond, __LINE__);                \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

struct world {
    cio_queue *queue;
    cio_lock lock;
    cio_event event;
    int lock_holders;
    bool put_ok[MAX_ITEMS];
    int got[MAX_ITEMS];
    int next_item;
    cio_task *tasks[MAX_TASKS];
    int ntasks;
};

struct job {
    struct world *world;
    int item;
    uint8_t param;
};

static struct job jobs[MAX_TASKS];

static bool interrupted(int rc) {
    return rc == -ECANCELED || rc == -ETIMEDOUT;
}

static void *producer(void *arg) {
    struct job *job = arg;
    int rc = cio_queue_put(job->world->queue, (void *)(intptr_t)(job->item + 1));
    CHECK(rc == 0 || interrupted(rc));
    job->world->put_ok[job->item] = rc == 0;
    return NULL;
}

static void take(struct world *world, void *item) {
    int id = (int)(intptr_t)item - 1;
    CHECK(id >= 0 && id < MAX_ITEMS);
    world->got[id]++;
}

static void *consumer(void *arg) {
    struct job *job = arg;
    void *item;
    cio_timeout scope;
    bool bounded = job->param & 1;
    if (bounded) cio_timeout_begin(&scope, 0.001 * (job->param >> 1));
    int rc = cio_queue_get(job->world->queue, &item);
    if (bounded) cio_timeout_end(&scope);
    CHECK(rc == 0 || interrupted(rc));
    if (rc == 0) take(job->world, item);
    return NULL;
}

static void *locker(void *arg) {
    struct job *job = arg;
    int rc = cio_lock_acquire(&job->world->lock);
    CHECK(rc == 0 || interrupted(rc));
    if (rc < 0) return NULL;
    CHECK(++job->world->lock_holders == 1);
    cio_sleep(0.001 * (job->param % 4)); /* may be cancelled: still release */
    CHECK(--job->world->lock_holders == 0);
    CHECK(cio_lock_release(&job->world->lock) == 0);
    return NULL;
}

static void *waiter(void *arg) {
    struct job *job = arg;
    int rc = cio_event_wait(&job->world->event);
    CHECK(rc == 0 || interrupted(rc));
    return NULL;
}

static void start(struct world *world, cio_task_fn fn, uint8_t param) {
    if (world->ntasks == MAX_TASKS) return;
    struct job *job = &jobs[world->ntasks];
    *job = (struct job){world, -1, param};
    if (fn == producer) {
        if (world->next_item == MAX_ITEMS) return;
        job->item = world->next_item++;
    }
    CHECK(cio_create_task(fn, job, &world->tasks[world->ntasks]) == 0);
    world->ntasks++;
}

static void step(struct world *world, uint8_t op, uint8_t param) {
    switch (op % 8) {
    case 0:
        start(world, producer, param);
        break;
    case 1:
        start(world, consumer, param);
        break;
    case 2:
        start(world, locker, param);
        break;
    case 3:
        start(world, waiter, param);
        break;
    case 4:
        if (world->ntasks) cio_task_cancel(world->tasks[param % world->ntasks]);
        break;
    case 5:
        (param & 1 ? cio_event_set : cio_event_clear)(&world->event);
        break;
    case 6:
        cio_sleep(0.001 * (param % 8));
        break;
    default:
        cio_yield();
        break;
    }
}

static void *main_task(void *arg) {
    const uint8_t *ops = ((const uint8_t **)arg)[0];
    size_t len = (size_t)(uintptr_t)((const uint8_t **)arg)[1];
    struct world world = {0};
    CHECK(cio_queue_new(1 + len % 4, &world.queue) == 0);
    cio_lock_init(&world.lock);
    cio_event_init(&world.event);
    for (size_t i = 0; i + 1 < len; i += 2) step(&world, ops[i], ops[i + 1]);
    for (int i = 0; i < world.ntasks; i++) cio_task_cancel(world.tasks[i]);
    for (int i = 0; i < world.ntasks; i++) {
        int rc = cio_await(world.tasks[i], NULL);
        CHECK(rc == 0 || rc == -ECANCELED);
    }
    void *item;
    while (cio_queue_get_nowait(world.queue, &item) == 0) take(&world, item);
    for (int i = 0; i < world.next_item; i++) CHECK(world.got[i] == (world.put_ok[i] ? 1 : 0));
    CHECK(world.lock_holders == 0 && !cio_lock_locked(&world.lock));
    cio_queue_free(world.queue);
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 512) return 0;
    const uint8_t *arg[2] = {data, (const uint8_t *)(uintptr_t)size};
    cio_loop_options opts = {.clock = CIO_CLOCK_VIRTUAL};
    CHECK(cio_run_ex(main_task, arg, &opts, NULL) == 0);
    return 0;
}
