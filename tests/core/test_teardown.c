/* Freeing a loop under parked tasks (issue 11.5): every handle made on the
 * loop - streams (a parked reader, a flusher), a server with a connection,
 * a queue, a future - can still be freed afterwards, and nothing reaches a
 * freed task. Meant for the ASan build, where a read of freed memory fails. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct handles {
    cio_stream *reading, *writing, *client;
    cio_server *server;
    cio_queue *queue;
    cio_future *future;
    int peers[2]; /* the raw other ends of the socket pairs */
};

static void *read_forever(void *arg) {
    char byte;
    return cio_fail((int)cio_stream_read(arg, &byte, 1));
}
static void *get_forever(void *arg) {
    void *item;
    return cio_fail(cio_queue_get(arg, &item));
}
static void *await_forever(void *arg) {
    return cio_fail(cio_future_await(arg, NULL));
}

/* Still parked in a read when the loop is freed: its stream, which the
 * server owns and frees when the handler returns, must be freed all the same
 * (LeakSanitizer checks, in the ASan build). */
static void handle_connection(cio_stream *stream, void *arg) {
    (void)arg;
    char byte;
    (void)cio_stream_read(stream, &byte, 1);
}

static cio_stream *stream_pair(int *peer) {
    int fds[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
    cio_stream *stream;
    assert_int_equal(cio_stream_from_socket(fds[0], 0, &stream), 0);
    *peer = fds[1];
    return stream;
}

static void *setup(void *arg) {
    struct handles *h = arg;
    h->reading = stream_pair(&h->peers[0]);
    h->writing = stream_pair(&h->peers[1]);
    assert_int_equal(cio_queue_new(0, &h->queue), 0);
    assert_int_equal(cio_future_new(NULL, &h->future), 0);
    assert_int_equal(cio_start_server("127.0.0.1", 0, handle_connection, NULL, NULL, &h->server),
                     0);
    assert_int_equal(cio_open_connection("127.0.0.1", cio_server_port(h->server), NULL, &h->client),
                     0);
    cio_task *task;
    cio_create_task(read_forever, h->reading, NULL);
    cio_create_task(get_forever, h->queue, NULL);
    cio_create_task(await_forever, h->future, NULL);
    cio_create_task(await_forever, h->future, &task); /* one we keep a reference to */
    cio_task_unref(task);
    size_t big = 8u << 20; /* more than the socket takes: a flusher stays parked */
    char *data = calloc(1, big);
    assert_int_equal(cio_stream_write(h->writing, data, big), 0);
    free(data);
    for (int i = 0; i < 10; i++) cio_sleep(0.01); /* let everyone park */
    return NULL;
}

static void handles_outlive_their_loop(void **state) {
    (void)state;
    struct handles h = {0};
    cio_loop *loop = test_loop_new();
    cio_task *main_task;
    assert_int_equal(cio_loop_create_task(loop, setup, &h, &main_task), 0);
    assert_int_equal(cio_loop_run_until_complete(loop, main_task, NULL), 0);
    cio_loop_free(loop); /* every other task is parked */
    cio_stream_free(h.reading);
    cio_stream_free(h.writing);
    cio_stream_free(h.client);
    cio_server_free(h.server);
    cio_queue_free(h.queue);
    cio_future_unref(h.future);
    close(h.peers[0]);
    close(h.peers[1]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(handles_outlive_their_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
