/* tests/tls/tls_fixture.h - a throwaway PKI for the TLS tests, made with the
 * openssl command line into a temporary directory, and helpers for
 * contexts and for openssl s_server / s_client as foreign peers. */
#ifndef CIO_TESTS_TLS_FIXTURE_H
#define CIO_TESTS_TLS_FIXTURE_H

#include "testutil.h"

#include <sys/types.h>

/* Make the directory and every certificate: ca (the trusted CA), server
 * (localhost and 127.0.0.1, by ca), expired (the same, expired), other (by
 * another CA), self (self-signed), client (a client certificate by ca).
 * Each X is X.pem and X.key. 0, or -1 if openssl failed. */
int tls_fixture_setup(void **state);
int tls_fixture_teardown(void **state);

/* The path of name in the directory (a static buffer, one of 8 in turn). */
const char *tls_file(const char *name);

/* A server context with cert "name" (name.pem / name.key) and opts' other
 * settings (may be NULL); fails the test if it cannot be made. */
cio_tls_context *tls_server_context(const char *name, const cio_tls_options *opts);
/* A client context trusting ca.pem, with opts' other settings. */
cio_tls_context *tls_client_context(const cio_tls_options *opts);

/* True when the TLS tests can run: cio has OpenSSL and there is an openssl
 * command (the fixture's PKI needs it); else prints why not, for the log. */
bool tls_usable(void);
/* main() of a TLS test program: its tests with the fixture's PKI made before
 * and removed after, or none (exit 0) when TLS is not usable here. */
#define TLS_RUN_TESTS(tests)                                                                       \
    (tls_usable() ? cmocka_run_group_tests(tests, tls_fixture_setup, tls_fixture_teardown) : 0)

/* A loopback TLS server (cio_start_server on 127.0.0.1, a free port) with
 * cert "name" and opts' other settings (may be NULL), running
 * handler(stream, arg) per connection. The server keeps its own reference to
 * the context. Loop thread, in a task; fails the test if it cannot start. */
typedef struct tls_peer {
    cio_server *server;
    int port;
} tls_peer;
void tls_serve(tls_peer *peer, const char *cert, const cio_tls_options *opts,
               cio_connection_handler handler, void *arg);
/* Close the server and wait until it is closed; then free it. */
void tls_unserve(tls_peer *peer);
/* Connect to peer over TLS with ctx (a tls_client_context), checking the
 * certificate against name (server_hostname). cio_open_connection's result. */
int tls_connect(const tls_peer *peer, cio_tls_context *ctx, const char *name, cio_stream **out);

/* A free loopback TCP port (bound once, then released). */
int tls_free_port(void);

/* Start openssl with argv (argv[0] "openssl"...), stdin and stdout on pipes
 * (*in: write end, *out: read end; either may be NULL to inherit). Returns
 * the pid. */
pid_t tls_spawn(char *const argv[], int *in, int *out);
/* Read out until a line containing text: 0, or -1 at EOF. */
int tls_wait_for_text(int out, const char *text);
/* Stop pid (SIGTERM) and reap it. */
void tls_stop(pid_t pid);

#endif
