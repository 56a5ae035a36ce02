/* tests/redis/redis_test.h - real Redis-protocol servers for the tests:
 * pick a free loopback port, start redis-server (or mini_redis) on it, wait
 * until it answers PING, stop it by the PID we started. Plain blocking
 * sockets, before and after the loop runs: the servers are real processes
 * on the real clock. Header-only so each test program takes what it uses. */
#ifndef CIO_TEST_REDIS_TEST_H
#define CIO_TEST_REDIS_TEST_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A port nobody listens on now (the kernel's pick for port 0). */
static inline int redis_test_free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0)
        return -1;
    close(fd);
    return ntohs(a.sin_port);
}

/* A blocking connection to 127.0.0.1:port, or -1. */
static inline int redis_test_dial(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0) return fd;
    if (fd >= 0) close(fd);
    return -1;
}

/* True once the server on port answers "PING" with "+PONG". */
static inline int redis_test_pings(int port) {
    int fd = redis_test_dial(port);
    if (fd < 0) return 0;
    char buf[16] = {0};
    ssize_t n = -1;
    if (write(fd, "PING\r\n", 6) == 6) n = read(fd, buf, sizeof buf - 1);
    close(fd);
    return n >= 7 && memcmp(buf, "+PONG\r\n", 7) == 0;
}

static inline void redis_test_nap_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Start argv (argv[0] a program on PATH or a path) with output to /dev/null
 * and wait up to 5 s until it answers PING on port. Returns its PID or -1. */
static inline pid_t redis_test_spawn(char *const argv[], int port) {
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* a failed test must not leave servers behind */
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        if (!getenv("REDIS_TEST_STDERR")) dup2(null, 2); /* set it to see a server's complaints */
        execvp(argv[0], argv);
        _exit(127);
    }
    for (int i = 0; pid > 0 && i < 500; i++) {
        if (redis_test_pings(port)) return pid;
        if (waitpid(pid, NULL, WNOHANG) == pid) return -1;
        redis_test_nap_ms(10);
    }
    if (pid > 0) kill(pid, SIGKILL), waitpid(pid, NULL, 0);
    return -1;
}

/* redis-server on 127.0.0.1:port, without persistence. */
static inline pid_t redis_test_start_redis(int port) {
    char p[16];
    snprintf(p, sizeof p, "%d", port);
    char *argv[] = {"redis-server", "--port", p,        "--save",    "",
                    "--appendonly", "no",     "--bind", "127.0.0.1", NULL};
    return redis_test_spawn(argv, port);
}

/* The path of a program built into the build folder (mini_redis). */
static inline void redis_test_build_path(const char *name, char *buf, size_t len) {
    const char *dir = getenv("CIO_TEST_BUILD_DIR");
    snprintf(buf, len, "%s/%s", dir ? dir : ".", name);
}

static inline pid_t redis_test_start_mini(int port) {
    char path[4096], p[16];
    redis_test_build_path("mini_redis", path, sizeof path);
    snprintf(p, sizeof p, "%d", port);
    char *argv[] = {path, p, NULL};
    return redis_test_spawn(argv, port);
}

/* SIGTERM (SIGKILL if kill9) the PID we started and reap it; its status. */
static inline int redis_test_stop(pid_t pid, int kill9) {
    int status = -1;
    if (pid <= 0) return -1;
    kill(pid, kill9 ? SIGKILL : SIGTERM);
    waitpid(pid, &status, 0);
    return status;
}

#endif
