/* Seed 2: several coroutines at once. fetch_data sleeps 2 s while
 * print_numbers counts to 9 every 0.5 s: the whole run takes 5 s, not 7,
 * because the two tasks overlap. */
#include <cio.h>
#include <stdio.h>

struct data {
    int data;
};

static void *fetch_data(void *arg) {
    (void)arg;
    static struct data fetched = {1}; /* {"data": 1} */
    puts("Fetching data...");
    cio_sleep(2.0);
    puts("Data fetched");
    return &fetched; /* the task's result */
}

static void *print_numbers(void *arg) {
    (void)arg;
    for (int i = 0; i < 10; i++) {
        printf("%d\n", i);
        cio_sleep(0.5);
    }
    return NULL;
}

static void *main_task(void *arg) {
    (void)arg;
    cio_task *t1, *t2;
    cio_create_task(fetch_data, NULL, &t1);
    cio_create_task(print_numbers, NULL, &t2);
    void *value;                    /* the {"data": 1} that fetch_data returns */
    int rc = cio_await(t1, &value); /* 0, or a negative errno such as -ECANCELED */
    cio_await(t2, NULL);
    return rc == 0 ? NULL : cio_fail(rc);
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0); /* each line as it happens, even into a pipe */
    return cio_run(main_task, NULL, NULL) == 0 ? 0 : 1;
}
