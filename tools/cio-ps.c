/* cio-ps, cio-pstree: ask a running cio program for its tasks.
 *
 *   cio-ps [-s] [-S SOCKET] PID     the task table (-s: with backtraces)
 *   cio-pstree [-S SOCKET] PID      the await graph, as a tree
 *
 * The program must serve them: cio_loop_serve_introspection(loop, NULL)
 * listens on the default path for its pid (cio_introspection_path), which
 * is where these look unless -S names another. One binary: run as
 * cio-pstree (or with -t) it asks for the tree. Exit status: 0, 1 when the
 * program does not answer, 2 on a usage error. */
#define _POSIX_C_SOURCE 200809L /* getopt */
#include <cio.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int usage(const char *prog) {
    fprintf(stderr, "usage: %s [-s] [-t] [-S SOCKET] PID\n", prog);
    return 2;
}

static int connect_to(const char *path) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof addr.sun_path) return -ENAMETOOLONG;
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    return fd;
}

static int ask(const char *path, const char *request) {
    int fd = connect_to(path);
    if (fd < 0) {
        fprintf(stderr,
                "cio-ps: cannot connect to %s: %s (does the program call "
                "cio_loop_serve_introspection?)\n",
                path, strerror(-fd));
        return 1;
    }
    char line[32];
    int len = snprintf(line, sizeof line, "%s\n", request);
    if (write(fd, line, (size_t)len) != len) {
        close(fd);
        return 1;
    }
    char buf[4096];
    ssize_t n;
    size_t total = 0;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        fwrite(buf, 1, (size_t)n, stdout);
        total += (size_t)n;
    }
    close(fd);
    return total ? 0 : 1;
}

int main(int argc, char **argv) {
    const char *base = strrchr(argv[0], '/');
    base = base ? base + 1 : argv[0];
    const char *request = strcmp(base, "cio-pstree") == 0 ? "pstree" : "ps";
    const char *path = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "stS:h")) != -1) {
        if (opt == 's')
            request = "stacks";
        else if (opt == 't')
            request = "pstree";
        else if (opt == 'S')
            path = optarg;
        else
            return usage(base);
    }
    if (optind != argc - 1) return usage(base);
    char *end;
    long pid = strtol(argv[optind], &end, 10);
    if (*end || pid <= 0 || pid > 1 << 30) return usage(base);
    char fallback[108];
    if (!path) {
        if (cio_introspection_path((int)pid, fallback, sizeof fallback) < 0) return 1;
        path = fallback;
    }
    return ask(path, request);
}
