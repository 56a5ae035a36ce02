/* cio_stream_sendfile on a TLS stream: sendfile(2) cannot encrypt, so the
 * read/write copy takes over on its own; with no_fallback it is -ENOTSUP.
 * cio against cio on loopback (virtual clock), the fixture's throwaway PKI. */
#include "tls_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FILE_SIZE (300u * 1024u)

static unsigned char pattern(size_t at) {
    return (unsigned char)(at * 7 + (at >> 9));
}

static size_t received;
static bool intact;

/* Count what arrives and check it against the pattern. */
static void check_received(cio_stream *stream, void *arg) {
    (void)arg;
    unsigned char *buf = malloc(65536);
    ssize_t n;
    intact = true;
    received = 0;
    while ((n = cio_stream_read(stream, buf, 65536)) > 0) {
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] != pattern(received + (size_t)i)) intact = false;
        received += (size_t)n;
    }
    if (n < 0) fprintf(stderr, "handler: %s\n", cio_strerror((int)n));
    free(buf);
}

static int pattern_file(void) {
    char path[] = "/tmp/cio-tls-sendfile-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    unsigned char *data = malloc(FILE_SIZE);
    for (size_t i = 0; i < FILE_SIZE; i++) data[i] = pattern(i);
    assert_int_equal(write(fd, data, FILE_SIZE), FILE_SIZE);
    free(data);
    return fd;
}

static void *over_tls(void *arg) {
    (void)arg;
    tls_peer peer;
    tls_serve(&peer, "server", NULL, check_received, NULL);
    cio_tls_context *ctx = tls_client_context(NULL);
    cio_stream *stream;
    assert_int_equal(tls_connect(&peer, ctx, "localhost", &stream), 0);
    int file = pattern_file();
    size_t sent = 99;
    const cio_sendfile_options strict = {.no_fallback = true};
    assert_int_equal(cio_stream_sendfile_ex(stream, file, 0, 0, &strict, &sent), -ENOTSUP);
    assert_int_equal(sent, 0);
    assert_int_equal(cio_stream_sendfile(stream, file, 0, 0, &sent), 0);
    assert_int_equal(sent, FILE_SIZE);
    /* close_notify, then read to the server's end: closing with the
     * server's session tickets unread would reset the connection. */
    assert_int_equal(cio_stream_write_eof(stream), 0);
    char *rest;
    size_t rest_len;
    assert_int_equal(cio_stream_read_all(stream, &rest, &rest_len), 0);
    assert_int_equal(rest_len, 0);
    free(rest);
    cio_stream_close(stream);
    assert_int_equal(cio_stream_wait_closed(stream), 0);
    cio_stream_free(stream);
    tls_unserve(&peer);
    cio_tls_context_free(ctx);
    close(file);
    assert_int_equal(received, FILE_SIZE); /* the peer decrypted every byte, in order */
    assert_true(intact);
    return NULL;
}

static void sendfile_over_tls_copies(void **state) {
    (void)state;
    test_run_checked(over_tls, NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sendfile_over_tls_copies),
    };
    return TLS_RUN_TESTS(tests);
}
