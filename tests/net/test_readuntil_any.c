/* cio_stream_readuntil_any: readuntil with several separators (asyncio
 * 3.13's tuple): the occurrence that ends first wins, ties go to the
 * shorter, separators may span reads, the limit and the caller's buffer
 * bound the line, refusals consume nothing, empty separators are refused.
 * Virtual clock. */
#include "testutil.h"

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SEP(s)                                                                                     \
    { .iov_base = (void *)(s), .iov_len = sizeof(s) - 1 }

static void stream_pair(size_t limit, cio_stream **a, cio_stream **b) {
    int fds[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    assert_int_equal(cio_stream_from_socket(fds[0], limit, a), 0);
    assert_int_equal(cio_stream_from_socket(fds[1], limit, b), 0);
}

static void *first_end_wins(void *arg) {
    (void)arg;
    cio_stream *a, *b;
    stream_pair(0, &a, &b);
    const char *data = "a\r\nb\nabXcdEND--";
    assert_int_equal(cio_stream_write(a, data, strlen(data)), 0);
    assert_int_equal(cio_stream_write_eof(a), 0);
    const struct iovec crlf_lf[] = {SEP("\r\n"), SEP("\n")};
    char buf[64];
    size_t which = 99;
    /* Both end at the '\n': the shorter one is named. */
    assert_int_equal(cio_stream_readuntil_any(b, crlf_lf, 2, buf, sizeof buf, &which), 3);
    assert_string_equal(buf, "a\r\n");
    assert_int_equal(which, 1);
    assert_int_equal(cio_stream_readuntil_any(b, crlf_lf, 2, buf, sizeof buf, &which), 2);
    assert_string_equal(buf, "b\n");
    assert_int_equal(which, 1);
    /* "END" is listed first, but "X" ends first. */
    const struct iovec end_x[] = {SEP("END"), SEP("X")};
    assert_int_equal(cio_stream_readuntil_any(b, end_x, 2, buf, sizeof buf, &which), 3);
    assert_string_equal(buf, "abX");
    assert_int_equal(which, 1);
    assert_int_equal(cio_stream_readuntil_any(b, end_x, 2, buf, sizeof buf, NULL), 5);
    assert_string_equal(buf, "cdEND");
    /* EOF before any separator: refused, the rest stays readable. */
    which = 99;
    assert_int_equal(cio_stream_readuntil_any(b, end_x, 2, buf, sizeof buf, &which),
                     -CIO_EINCOMPLETE);
    assert_int_equal(which, 99);
    assert_int_equal(cio_stream_read(b, buf, sizeof buf), 2);
    cio_stream_free(a);
    cio_stream_free(b);
    return NULL;
}

static void readuntil_any_first_end_wins(void **state) {
    (void)state;
    test_run_checked(first_end_wins, NULL);
}

/* A separator split across two arrivals is still found, and a shorter one
 * arriving in between does not steal it when it ends later. */
static void *late_writer(void *arg) {
    cio_stream *a = arg;
    assert_int_equal(cio_stream_write(a, "head<<", 6), 0);
    cio_sleep(1.0);
    assert_int_equal(cio_stream_write(a, "END>>tail!", 10), 0);
    return NULL;
}

static void *spanning(void *arg) {
    (void)arg;
    cio_stream *a, *b;
    stream_pair(0, &a, &b);
    cio_task *writer = test_spawn(late_writer, a);
    const struct iovec seps[] = {SEP("<<END>>"), SEP("!")};
    char buf[64];
    size_t which;
    assert_int_equal(cio_stream_readuntil_any(b, seps, 2, buf, sizeof buf, &which), 11);
    assert_string_equal(buf, "head<<END>>");
    assert_int_equal(which, 0);
    assert_true(test_now() == 1.0);
    assert_int_equal(cio_stream_readuntil_any(b, seps, 2, buf, sizeof buf, &which), 5);
    assert_string_equal(buf, "tail!");
    assert_int_equal(which, 1);
    assert_int_equal(cio_await(writer, NULL), 0);
    cio_stream_free(a);
    cio_stream_free(b);
    return NULL;
}

static void readuntil_any_separator_spans_reads(void **state) {
    (void)state;
    test_run_checked(spanning, NULL);
}

static void *limits(void *arg) {
    (void)arg;
    cio_stream *a, *b;
    stream_pair(8, &a, &b); /* reader limit 8 */
    assert_int_equal(cio_stream_write(a, "0123456789;xy|", 14), 0);
    const struct iovec seps[] = {SEP(";"), SEP("|")};
    char buf[64];
    /* ';' starts at 10 > limit 8: refused, nothing consumed. */
    assert_int_equal(cio_stream_readuntil_any(b, seps, 2, buf, sizeof buf, NULL), -CIO_ELIMIT);
    assert_int_equal(cio_stream_read(b, buf, 6), 6);
    /* "6789;" fits the limit but not a 5-byte buffer (4 bytes and the NUL). */
    assert_int_equal(cio_stream_readuntil_any(b, seps, 2, buf, 5, NULL), -CIO_ELIMIT);
    assert_int_equal(cio_stream_readuntil_any(b, seps, 2, buf, 6, NULL), 5);
    assert_string_equal(buf, "6789;");
    assert_int_equal(cio_stream_readuntil_any(b, seps, 2, buf, sizeof buf, NULL), 3);
    assert_string_equal(buf, "xy|");
    cio_stream_free(a);
    cio_stream_free(b);
    return NULL;
}

static void readuntil_any_limits(void **state) {
    (void)state;
    test_run_checked(limits, NULL);
}

static void *bad_arguments(void *arg) {
    (void)arg;
    cio_stream *a, *b;
    stream_pair(0, &a, &b);
    assert_int_equal(cio_stream_write(a, "x;", 2), 0);
    char buf[16];
    const struct iovec good[] = {SEP(";")};
    const struct iovec empty[] = {SEP(";"), SEP("")};
    const struct iovec null_base[] = {{.iov_base = NULL, .iov_len = 1}};
    assert_int_equal(cio_stream_readuntil_any(b, good, 0, buf, sizeof buf, NULL), -EINVAL);
    assert_int_equal(cio_stream_readuntil_any(b, NULL, 1, buf, sizeof buf, NULL), -EINVAL);
    assert_int_equal(cio_stream_readuntil_any(b, empty, 2, buf, sizeof buf, NULL), -EINVAL);
    assert_int_equal(cio_stream_readuntil_any(b, null_base, 1, buf, sizeof buf, NULL), -EINVAL);
    assert_int_equal(cio_stream_readuntil_any(b, good, 1, NULL, sizeof buf, NULL), -EINVAL);
    assert_int_equal(cio_stream_readuntil_any(b, good, 1, buf, 0, NULL), -EINVAL);
    assert_int_equal(cio_stream_readuntil_any(NULL, good, 1, buf, sizeof buf, NULL), -EINVAL);
    /* Nothing was consumed by the refusals. */
    assert_int_equal(cio_stream_readuntil_any(b, good, 1, buf, sizeof buf, NULL), 2);
    assert_string_equal(buf, "x;");
    cio_stream_close(b);
    assert_int_equal(cio_stream_readuntil_any(b, good, 1, buf, sizeof buf, NULL), -CIO_ECLOSED);
    cio_stream_free(a);
    cio_stream_free(b);
    return NULL;
}

static void readuntil_any_bad_arguments(void **state) {
    (void)state;
    test_run_checked(bad_arguments, NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(readuntil_any_first_end_wins),
        cmocka_unit_test(readuntil_any_separator_spans_reads),
        cmocka_unit_test(readuntil_any_limits),
        cmocka_unit_test(readuntil_any_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
