/* tests/http/servers.h - real servers on loopback for the HTTP tests (nginx,
 * and a Python script for odd behaviour), each in its own temporary folder,
 * stopped by the PID the helper started. Reusable by any test (HTTP server,
 * TLS): link tests/http/servers.c (it is part of cio_testutil). */
#ifndef CIO_TEST_SERVERS_H
#define CIO_TEST_SERVERS_H

#include <sys/types.h>

typedef struct test_server {
    pid_t pid;
    int port;
    char dir[128]; /* the server's temporary folder (nginx: dir/www is the root) */
} test_server;

/* Start nginx (one process, no daemon, 1 worker) on 127.0.0.1, serving
 * dir/www, with `extra` (may be NULL) added inside its server block, e.g.
 * "location = /old { return 301 /new; }". Waits until it accepts. Returns 0,
 * or -ENOENT if nginx is not installed, or -EIO if it did not start (its
 * error log is printed). */
int test_nginx_start(test_server *server, const char *extra);

/* Start tests/http/odd_server.py (see its header for its paths) with
 * /usr/bin/python3 on 127.0.0.1. Returns 0, -ENOENT (no python3) or -EIO. */
int test_python_start(test_server *server);

/* Write `len` bytes of text (a repeated pattern) to dir/www/path, making its
 * folders. Returns 0 or -errno. */
int test_server_write_file(const test_server *server, const char *path, const char *text);

/* Stop the server (SIGTERM, then SIGKILL after 2 s), reap it and remove its
 * folder. Safe on a server that did not start. */
void test_server_stop(test_server *server);

/* A TCP port on 127.0.0.1 that was free a moment ago. */
int test_free_port(void);

#endif
