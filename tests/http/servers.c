/* tests/http/servers.c - see servers.h. */
#include "servers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int test_free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
        getsockname(fd, (struct sockaddr *)&addr, &len) == 0)
        port = ntohs(addr.sin_port);
    if (fd >= 0) close(fd);
    return port;
}

static int can_connect(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0;
    if (fd >= 0) close(fd);
    return ok;
}

/* Poll for up to 5 s until the port accepts or the child died. */
static int wait_ready(test_server *server) {
    for (int i = 0; i < 500; i++) {
        if (can_connect(server->port)) return 0;
        if (waitpid(server->pid, NULL, WNOHANG) == server->pid) {
            server->pid = 0;
            return -EIO;
        }
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    return -EIO;
}

static int make_dir(test_server *server) {
    snprintf(server->dir, sizeof server->dir, "/tmp/cio-http-XXXXXX");
    return mkdtemp(server->dir) ? 0 : -errno;
}

static pid_t spawn(char *const argv[], const char *log) {
    pid_t pid = fork();
    if (pid != 0) return pid;
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
    }
    execv(argv[0], argv);
    _exit(127);
}

static void print_file(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) fprintf(stderr, "  %s", line);
    fclose(f);
}

static int write_nginx_conf(const test_server *s, const char *extra) {
    char path[256];
    snprintf(path, sizeof path, "%s/nginx.conf", s->dir);
    FILE *f = fopen(path, "w");
    if (!f) return -errno;
    const char *d = s->dir;
    fprintf(f, "daemon off; master_process off; worker_processes 1;\n");
    fprintf(f, "pid %s/nginx.pid; error_log %s/error.log;\n", d, d);
    fprintf(f, "events { worker_connections 4096; }\n");
    fprintf(f, "http {\n access_log off; default_type text/plain; keepalive_requests 1000000;\n");
    fprintf(f, " client_body_temp_path %s/tmp; proxy_temp_path %s/tmp;\n", d, d);
    fprintf(f, " fastcgi_temp_path %s/tmp; uwsgi_temp_path %s/tmp; scgi_temp_path %s/tmp;\n", d, d,
            d);
    fprintf(f, " gzip on; gzip_types text/plain text/html; gzip_min_length 64;\n");
    fprintf(f, " server {\n  listen 127.0.0.1:%d; root %s/www;\n  %s\n }\n}\n", s->port, d,
            extra ? extra : "");
    fclose(f);
    return 0;
}

int test_nginx_start(test_server *server, const char *extra) {
    memset(server, 0, sizeof *server);
    if (access("/usr/sbin/nginx", X_OK) != 0) return -ENOENT;
    int rc = make_dir(server);
    if (rc < 0) return rc;
    char path[256], log[256];
    snprintf(path, sizeof path, "%s/www", server->dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/tmp", server->dir);
    mkdir(path, 0755);
    server->port = test_free_port();
    if ((rc = write_nginx_conf(server, extra)) < 0) return rc;
    snprintf(path, sizeof path, "%s/nginx.conf", server->dir);
    snprintf(log, sizeof log, "%s/error.log", server->dir);
    char *argv[] = {"/usr/sbin/nginx", "-e", log, "-c", path, "-p", server->dir, NULL};
    server->pid = spawn(argv, log);
    if (server->pid < 0 || wait_ready(server) < 0) {
        fprintf(stderr, "nginx did not start:\n");
        print_file(log);
        return -EIO;
    }
    return 0;
}

int test_python_start(test_server *server) {
    memset(server, 0, sizeof *server);
    if (access("/usr/bin/python3", X_OK) != 0) return -ENOENT;
    int rc = make_dir(server);
    if (rc < 0) return rc;
    const char *src = getenv("CIO_TEST_SOURCE_DIR");
    char script[512], port[16], log[256];
    snprintf(script, sizeof script, "%s/tests/http/odd_server.py", src ? src : ".");
    server->port = test_free_port();
    snprintf(port, sizeof port, "%d", server->port);
    snprintf(log, sizeof log, "%s/server.log", server->dir);
    char *argv[] = {"/usr/bin/python3", script, port, NULL};
    server->pid = spawn(argv, log);
    if (server->pid < 0 || wait_ready(server) < 0) {
        fprintf(stderr, "%s did not start:\n", script);
        print_file(log);
        return -EIO;
    }
    return 0;
}

static int make_parents(char *path) {
    for (char *slash = strchr(path + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        int rc = mkdir(path, 0755);
        *slash = '/';
        if (rc < 0 && errno != EEXIST) return -errno;
    }
    return 0;
}

int test_server_write_file(const test_server *server, const char *path, const char *text) {
    char full[512];
    snprintf(full, sizeof full, "%s/www/%s", server->dir, path[0] == '/' ? path + 1 : path);
    int rc = make_parents(full);
    if (rc < 0) return rc;
    FILE *f = fopen(full, "w");
    if (!f) return -errno;
    fputs(text, f);
    fclose(f);
    return 0;
}

static void remove_tree(const char *dir) {
    if (!dir[0] || strncmp(dir, "/tmp/cio-http-", 14) != 0) return;
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/rm", "rm", "-rf", dir, (char *)NULL);
        _exit(127);
    }
    if (pid > 0) waitpid(pid, NULL, 0);
}

void test_server_stop(test_server *server) {
    if (server->pid > 0) {
        kill(server->pid, SIGTERM);
        int reaped = 0;
        for (int i = 0; i < 200 && !reaped; i++) {
            reaped = waitpid(server->pid, NULL, WNOHANG) == server->pid;
            if (!reaped) nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
        }
        if (!reaped) {
            kill(server->pid, SIGKILL);
            waitpid(server->pid, NULL, 0);
        }
        server->pid = 0;
    }
    remove_tree(server->dir);
    server->dir[0] = '\0';
}
