/* tests/tls/tls_fixture.c - see tls_fixture.h. */
#include "tls_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static char dir[64];

static const char script[] =
    "set -e\n"
    "cd \"$1\"\n"
    "ec='-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes'\n"
    "ca() { openssl req -x509 $ec -keyout $1.key -out $1.pem -days 30 -subj \"$2\"; }\n"
    "csr() { openssl req -new $ec -keyout $1.key -out $1.csr -subj \"$2\"; }\n"
    "sign() { openssl x509 -req -in $1.csr -CA $2.pem -CAkey $2.key -CAcreateserial "
    "-out $1.pem -days $3 -extfile $4; }\n"
    "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > san.ext\n"
    "printf 'extendedKeyUsage=clientAuth\\n' > client.ext\n"
    "ca ca '/CN=cio test CA'\n"
    "ca other_ca '/CN=another CA'\n"
    "csr server /CN=localhost; sign server ca 30 san.ext\n"
    "csr expired /CN=localhost; sign expired ca -1 san.ext\n"
    "csr other /CN=localhost; sign other other_ca 30 san.ext\n"
    "csr client '/CN=cio client'; sign client ca 30 client.ext\n"
    "openssl req -x509 $ec -keyout self.key -out self.pem -days 30 -subj /CN=localhost "
    "-addext subjectAltName=DNS:localhost,IP:127.0.0.1\n";

int tls_fixture_setup(void **state) {
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/cio-tls-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    char *argv[] = {"sh", "-c", (char *)script, "sh", dir, NULL};
    pid_t pid;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    int rc = posix_spawnp(&pid, "sh", &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return -1;
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int tls_fixture_teardown(void **state) {
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

const char *tls_file(const char *name) {
    static char paths[8][128];
    static unsigned next;
    char *path = paths[next++ % 8];
    snprintf(path, sizeof paths[0], "%s/%s", dir, name);
    return path;
}

cio_tls_context *tls_server_context(const char *name, const cio_tls_options *opts) {
    cio_tls_options settings = opts ? *opts : (cio_tls_options){0};
    char cert[128], key[128];
    snprintf(cert, sizeof cert, "%s/%s.pem", dir, name);
    snprintf(key, sizeof key, "%s/%s.key", dir, name);
    settings.server = true;
    settings.cert_file = cert;
    settings.key_file = key;
    cio_tls_context *ctx = NULL;
    int rc = cio_tls_context_new(&settings, &ctx);
    if (rc < 0) fprintf(stderr, "server context: %s: %s\n", cio_strerror(rc), cio_tls_last_error());
    assert_int_equal(rc, 0);
    return ctx;
}

cio_tls_context *tls_client_context(const cio_tls_options *opts) {
    cio_tls_options settings = opts ? *opts : (cio_tls_options){0};
    char ca[128];
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    if (!settings.ca_file) settings.ca_file = ca;
    cio_tls_context *ctx = NULL;
    int rc = cio_tls_context_new(&settings, &ctx);
    if (rc < 0) fprintf(stderr, "client context: %s: %s\n", cio_strerror(rc), cio_tls_last_error());
    assert_int_equal(rc, 0);
    return ctx;
}

bool tls_usable(void) {
    cio_tls_context *probe = NULL;
    if (cio_tls_context_new(NULL, &probe) == -ENOTSUP ||
        system("openssl version >/dev/null") != 0) {
        printf("skipped: cio built without OpenSSL, or no openssl command\n");
        return false;
    }
    cio_tls_context_free(probe);
    return true;
}

void tls_serve(tls_peer *peer, const char *cert, const cio_tls_options *opts,
               cio_connection_handler handler, void *arg) {
    cio_tls_context *ctx = tls_server_context(cert, opts);
    cio_server_options sopts = {.tls = ctx};
    assert_int_equal(cio_start_server("127.0.0.1", 0, handler, arg, &sopts, &peer->server), 0);
    peer->port = cio_server_port(peer->server);
    cio_tls_context_free(ctx); /* the server keeps its own reference */
}

void tls_unserve(tls_peer *peer) {
    cio_server_close(peer->server);
    assert_int_equal(cio_server_wait_closed(peer->server), 0);
    cio_server_free(peer->server);
    peer->server = NULL;
}

int tls_connect(const tls_peer *peer, cio_tls_context *ctx, const char *name, cio_stream **out) {
    cio_connect_options opts = {.tls = ctx, .server_hostname = name};
    return cio_open_connection("127.0.0.1", peer->port, &opts, out);
}

int tls_free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    close(fd);
    return ntohs(addr.sin_port);
}

pid_t tls_spawn(char *const argv[], int *in, int *out) {
    int to_child[2] = {-1, -1}, from_child[2] = {-1, -1};
    if (in) assert_int_equal(pipe2(to_child, O_CLOEXEC), 0);
    if (out) assert_int_equal(pipe2(from_child, O_CLOEXEC), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (in) posix_spawn_file_actions_adddup2(&actions, to_child[0], 0);
    if (out) posix_spawn_file_actions_adddup2(&actions, from_child[1], 1);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    assert_int_equal(posix_spawnp(&pid, argv[0], &actions, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    if (in) {
        close(to_child[0]);
        *in = to_child[1];
    }
    if (out) {
        close(from_child[1]);
        *out = from_child[0];
    }
    return pid;
}

int tls_wait_for_text(int out, const char *text) {
    char seen[4096];
    size_t len = 0;
    for (;;) {
        ssize_t n = read(out, seen + len, sizeof seen - 1 - len);
        if (n <= 0) return -1;
        len += (size_t)n;
        seen[len] = '\0';
        if (strstr(seen, text)) return 0;
        if (len > sizeof seen / 2) { /* keep the tail */
            memmove(seen, seen + len - 256, 256);
            len = 256;
        }
    }
}

void tls_stop(pid_t pid) {
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}
