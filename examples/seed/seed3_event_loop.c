/* Seed 3: the event loop by hand, as with asyncio.get_event_loop(),
 * loop.create_task() and loop.run_until_complete(). */
#include <cio.h>
#include <stdio.h>

struct greeting {
    double delay;
    const char *what;
};

static void *say_after(void *arg) {
    struct greeting *g = arg;
    cio_sleep(g->delay);
    puts(g->what);
    return NULL;
}

static void *main_task(void *arg) {
    (void)arg;
    cio_loop *loop = cio_get_event_loop(); /* inside a task: the running loop */
    static struct greeting hello = {1.0, "hello"};
    cio_task *task;
    cio_loop_create_task(loop, say_after, &hello, &task);
    cio_await(task, NULL);
    return NULL;
}

int main(void) {
    cio_loop *loop = cio_get_event_loop(); /* outside: this thread's loop, made on first use */
    cio_task *task;
    int rc = cio_loop_create_task(loop, main_task, NULL, &task);
    if (rc == 0) rc = cio_loop_run_until_complete(loop, task, NULL);
    cio_loop_close(loop);
    return rc == 0 ? 0 : 1;
}
