/* cio_handoff (cio/handoff.h): one loop accepts, every loop serves. Real
 * threads and the real clock (a cio_run_cores group); clients are plain
 * blocking sockets on a thread of their own, which wait only for answers. */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

static cio_handoff *handoff;
static int listen_fd, port;
static atomic_int acceptor_status, second_serve_status;
static atomic_bool serving_started; /* the other task has entered cio_handoff_serve */
static sem_t loop1_done;            /* loop 1 has stopped serving */

static void open_listener(void) {
    listen_fd = cio_socket(AF_INET, SOCK_STREAM, 0);
    assert_true(listen_fd >= 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(listen_fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(listen(listen_fd, 64), 0);
    socklen_t len = sizeof addr;
    assert_int_equal(getsockname(listen_fd, (struct sockaddr *)&addr, &len), 0);
    port = ntohs(addr.sin_port);
}

/* The handler: answer with the index of the loop that serves. */
static void reply_index(cio_stream *stream, void *arg) {
    (void)arg;
    char c = (char)('0' + cio_cores_index());
    cio_stream_write(stream, &c, 1);
    cio_stream_drain(stream);
}

static int connect_client(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) abort();
    return fd;
}

/* Connect, read the serving loop's index ('0'...), or 'E' at EOF. */
static char ask(void) {
    int fd = connect_client();
    char c = 'E';
    if (read(fd, &c, 1) != 1) c = 'E';
    close(fd);
    return c;
}

static void *accept_main(void *arg) {
    (void)arg;
    atomic_store(&acceptor_status, cio_handoff_accept(handoff, listen_fd));
    return NULL;
}

/* Loop 0 accepts and serves; the others serve. Loop 0 stops its acceptor
 * when its serve returns (the test closed the hand-off). */
static void *serve_main(void *arg) {
    (void)arg;
    cio_task *acceptor = NULL;
    if (cio_cores_index() == 0 && cio_create_task(accept_main, NULL, &acceptor) < 0)
        return cio_fail(-ENOMEM);
    int rc = cio_handoff_serve(handoff, reply_index, NULL);
    if (acceptor) {
        cio_task_cancel(acceptor);
        cio_await(acceptor, NULL);
    }
    return rc == 0 ? NULL : cio_fail(rc);
}

static void *clients(void *arg) {
    char *answers = arg;
    for (int i = 0; i < 8; i++) answers[i] = ask();
    cio_handoff_close(handoff);
    return NULL;
}

static void connections_reach_every_loop(void **state) {
    (void)state;
    int fds_before = test_count_fds();
    assert_int_equal(cio_handoff_new(2, &handoff), 0);
    open_listener();
    char answers[9] = {0};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, clients, answers), 0);
    cio_cores_options opts = {.loops = 2};
    assert_int_equal(cio_run_cores_ex(serve_main, NULL, &opts), 0);
    pthread_join(thread, NULL);
    /* one connection at a time: strictly in turn */
    assert_string_equal(answers, "01010101");
    assert_int_equal(cio_handoff_count(handoff, 0), 4);
    assert_int_equal(cio_handoff_count(handoff, 1), 4);
    /* cancelled in accept, or saw the close first */
    int status = atomic_load(&acceptor_status);
    assert_true(status == -ECANCELED || status == -CIO_ECLOSED);
    assert_int_equal(cio_handoff_close(handoff), -CIO_ECLOSED);
    cio_handoff_free(handoff);
    close(listen_fd);
    assert_int_equal(test_count_fds(), fds_before);
}

/* Loop 1 serves, is cancelled, and its loop ends: every later connection
 * goes to loop 0. */
static void *serve_then_stop(void *arg) {
    (void)arg;
    atomic_store(&serving_started, true);
    return (void *)(intptr_t)cio_handoff_serve(handoff, reply_index, NULL);
}

static void *serve_main_loop1_stops(void *arg) {
    (void)arg;
    if (cio_cores_index() != 1) return serve_main(arg);
    cio_task *serving;
    if (cio_create_task(serve_then_stop, NULL, &serving) < 0) return cio_fail(-ENOMEM);
    atomic_store(&serving_started, false);
    while (!atomic_load(&serving_started)) cio_sleep(0); /* let it start serving */
    cio_task_cancel(serving);
    int rc = cio_await(serving, NULL);
    sem_post(&loop1_done);
    return rc == -ECANCELED ? NULL : cio_fail(-EPROTO);
}

static void *clients_after_loop1(void *arg) {
    char *answers = arg;
    sem_wait(&loop1_done);
    for (int i = 0; i < 4; i++) answers[i] = ask();
    cio_handoff_close(handoff);
    return NULL;
}

static void a_loop_that_stopped_serving_gets_none(void **state) {
    (void)state;
    int fds_before = test_count_fds();
    sem_init(&loop1_done, 0, 0);
    assert_int_equal(cio_handoff_new(2, &handoff), 0);
    open_listener();
    char answers[5] = {0};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, clients_after_loop1, answers), 0);
    cio_cores_options opts = {.loops = 2};
    assert_int_equal(cio_run_cores_ex(serve_main_loop1_stops, NULL, &opts), 0);
    pthread_join(thread, NULL);
    assert_string_equal(answers, "0000");
    assert_int_equal(cio_handoff_count(handoff, 1), 0);
    cio_handoff_free(handoff);
    close(listen_fd);
    sem_destroy(&loop1_done);
    assert_int_equal(test_count_fds(), fds_before);
}

/* Loop 1 never serves: the connection handed to it waits in its slot, and
 * cio_handoff_free closes it (the client sees EOF). */
static void *serve_main_loop1_idle(void *arg) {
    (void)arg;
    if (cio_cores_index() == 1) return NULL;
    return serve_main(arg);
}

static void *clients_one_queued(void *arg) {
    int *queued = arg;
    char first = ask();
    *queued = connect_client();
    while (cio_handoff_count(handoff, 1) < 1) usleep(1000); /* handed, never served */
    cio_handoff_close(handoff);
    return first == '0' ? NULL : (void *)1;
}

static void queued_connections_are_closed_by_free(void **state) {
    (void)state;
    int fds_before = test_count_fds();
    assert_int_equal(cio_handoff_new(2, &handoff), 0);
    open_listener();
    int queued = -1;
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, clients_one_queued, &queued), 0);
    cio_cores_options opts = {.loops = 2};
    assert_int_equal(cio_run_cores_ex(serve_main_loop1_idle, NULL, &opts), 0);
    void *bad;
    pthread_join(thread, &bad);
    assert_null(bad);
    cio_handoff_free(handoff); /* closes the queued server side */
    char c;
    assert_int_equal(read(queued, &c, 1), 0);
    close(queued);
    close(listen_fd);
    assert_int_equal(test_count_fds(), fds_before);
}

/* Every slot has stopped serving: the acceptor closes the connection it
 * took (the client sees EOF) and returns -CIO_ECLOSED. */
static void *no_slot_main(void *arg) {
    (void)arg;
    cio_task *serving;
    if (cio_create_task(serve_then_stop, NULL, &serving) < 0) return cio_fail(-ENOMEM);
    atomic_store(&serving_started, false);
    while (!atomic_load(&serving_started)) cio_sleep(0);
    cio_task_cancel(serving);
    if (cio_await(serving, NULL) != -ECANCELED) return cio_fail(-EPROTO);
    sem_post(&loop1_done);
    atomic_store(&acceptor_status, cio_handoff_accept(handoff, listen_fd));
    return NULL;
}

static void *client_after_stop(void *arg) {
    char *answer = arg;
    sem_wait(&loop1_done);
    *answer = ask();
    return NULL;
}

static void a_connection_no_loop_takes_is_closed(void **state) {
    (void)state;
    int fds_before = test_count_fds();
    sem_init(&loop1_done, 0, 0);
    assert_int_equal(cio_handoff_new(1, &handoff), 0);
    open_listener();
    char answer = 0;
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, client_after_stop, &answer), 0);
    cio_cores_options opts = {.loops = 1};
    assert_int_equal(cio_run_cores_ex(no_slot_main, NULL, &opts), 0);
    pthread_join(thread, NULL);
    assert_int_equal(answer, 'E');
    assert_int_equal(atomic_load(&acceptor_status), -CIO_ECLOSED);
    assert_int_equal(cio_handoff_count(handoff, 0), 0);
    cio_handoff_free(handoff);
    close(listen_fd);
    sem_destroy(&loop1_done);
    assert_int_equal(test_count_fds(), fds_before);
}

/* ---- misuse ------------------------------------------------------------------------------ */

static void *second_serve(void *arg) {
    (void)arg;
    atomic_store(&serving_started, true);
    atomic_store(&second_serve_status, cio_handoff_serve(handoff, reply_index, NULL));
    return NULL;
}

static void *misuse_main(void *arg) {
    (void)arg;
    if (cio_cores_index() == 1) /* one slot only */
        return cio_handoff_serve(handoff, reply_index, NULL) == -EINVAL ? NULL : cio_fail(-EPROTO);
    if (cio_handoff_serve(NULL, reply_index, NULL) != -EINVAL) return cio_fail(-EPROTO);
    if (cio_handoff_serve(handoff, NULL, NULL) != -EINVAL) return cio_fail(-EPROTO);
    cio_task *other;
    if (cio_create_task(second_serve, NULL, &other) < 0) return cio_fail(-ENOMEM);
    atomic_store(&serving_started, false);
    while (!atomic_load(&serving_started)) cio_sleep(0);
    /* it serves now; a second serve of slot 0 is refused */
    if (cio_handoff_serve(handoff, reply_index, NULL) != -EBUSY) return cio_fail(-EPROTO);
    cio_handoff_close(handoff);
    cio_await(other, NULL);
    if (atomic_load(&second_serve_status) != 0) return cio_fail(-EPROTO);
    if (cio_handoff_serve(handoff, reply_index, NULL) != -CIO_ECLOSED) return cio_fail(-EPROTO);
    /* not a listening socket */
    int fd = cio_socket(AF_INET, SOCK_STREAM, 0);
    int rc = cio_handoff_accept(handoff, fd);
    cio_close(fd);
    if (rc != -CIO_ECLOSED) return cio_fail(-EPROTO); /* closed is seen first */
    return NULL;
}

static void *accept_not_listening(void *arg) {
    (void)arg;
    if (cio_handoff_serve(handoff, reply_index, NULL) != -EPERM) return cio_fail(-EPROTO);
    int fd = cio_socket(AF_INET, SOCK_STREAM, 0);
    int rc = cio_handoff_accept(handoff, fd);
    cio_close(fd);
    return rc == -EINVAL ? NULL : cio_fail(rc < 0 ? rc : -EPROTO);
}

static void bad_arguments_are_refused(void **state) {
    (void)state;
    cio_handoff *h = (cio_handoff *)1;
    assert_int_equal(cio_handoff_new(0, &h), -EINVAL);
    assert_null(h);
    assert_int_equal(cio_handoff_new(1, NULL), -EINVAL);
    assert_int_equal(cio_handoff_close(NULL), -EINVAL);
    assert_int_equal(cio_handoff_count(NULL, 0), -EINVAL);
    cio_handoff_free(NULL);
    assert_int_equal(cio_handoff_new(1, &handoff), 0);
    assert_int_equal(cio_handoff_count(handoff, 1), -EINVAL);
    assert_int_equal(cio_handoff_count(handoff, -1), -EINVAL);
    /* outside a task; outside a group */
    assert_int_equal(cio_handoff_serve(handoff, reply_index, NULL), -EPERM);
    assert_int_equal(cio_handoff_accept(handoff, 0), -EPERM);
    assert_int_equal(cio_handoff_accept(NULL, 0), -EINVAL);
    assert_int_equal(test_run(accept_not_listening, NULL, NULL, NULL), 0);
    cio_cores_options opts = {.loops = 2};
    assert_int_equal(cio_run_cores_ex(misuse_main, NULL, &opts), 0);
    cio_handoff_free(handoff);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(connections_reach_every_loop),
        cmocka_unit_test(a_loop_that_stopped_serving_gets_none),
        cmocka_unit_test(queued_connections_are_closed_by_free),
        cmocka_unit_test(a_connection_no_loop_takes_is_closed),
        cmocka_unit_test(bad_arguments_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
