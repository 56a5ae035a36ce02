/* bench/sendfile.c - sending a file over TCP loopback: cio_stream_sendfile
 * with sendfile(2) against its read/write copy (pread 64 KiB, send), the
 * same call with opts.copy. Driven by bench/sendfile.sh.
 *
 *     sendfile MODE FILE REPS     MODE: native | copy
 *
 * Sends FILE REPS times over one connection; a plain thread receives with
 * blocking recv into one buffer and counts, so the loop does only the
 * sending. Prints "SECONDS MIB_PER_S" for the whole run, from the first
 * send to the receiver's last byte. The file is read once before timing
 * (page cache). */
#include <cio.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct run {
    const cio_sendfile_options *opts;
    int file;
    size_t size;
    int reps;
    int port;
    double start, end;
};

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The receiver: accept one connection, count bytes until EOF. */
static void *receive(void *arg) {
    int listener = *(int *)arg;
    int fd = accept(listener, NULL, NULL);
    if (fd < 0) return NULL;
    size_t cap = 1 << 20;
    char *buf = malloc(cap);
    while (recv(fd, buf, cap, 0) > 0) {
    }
    free(buf);
    close(fd);
    return NULL;
}

static int listen_loopback(int *port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, len) < 0 || listen(fd, 1) < 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) < 0)
        return -1;
    *port = ntohs(addr.sin_port);
    return fd;
}

static void *send_all(void *arg) {
    struct run *run = arg;
    cio_stream *stream;
    int rc = cio_open_connection("127.0.0.1", run->port, NULL, &stream);
    if (rc < 0) return cio_fail(rc);
    run->start = now();
    for (int i = 0; i < run->reps && rc == 0; i++) {
        size_t sent;
        rc = cio_stream_sendfile_ex(stream, run->file, 0, run->size, run->opts, &sent);
        if (rc == 0 && sent != run->size) rc = -EIO;
    }
    cio_stream_close(stream);
    cio_stream_wait_closed(stream);
    cio_stream_free(stream);
    return rc < 0 ? cio_fail(rc) : NULL;
}

static void warm(int file, size_t size) {
    char buf[65536];
    for (off_t at = 0; (size_t)at < size; at += (off_t)sizeof buf)
        if (pread(file, buf, sizeof buf, at) <= 0) break;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s native|copy FILE REPS\n", argv[0]);
        return 2;
    }
    static const cio_sendfile_options copy = {.copy = true};
    struct run run = {.opts = strcmp(argv[1], "copy") == 0 ? &copy : NULL, .reps = atoi(argv[3])};
    run.file = open(argv[2], O_RDONLY);
    struct stat st;
    if (run.file < 0 || fstat(run.file, &st) < 0) return perror(argv[2]), 1;
    run.size = (size_t)st.st_size;
    warm(run.file, run.size);
    int listener = listen_loopback(&run.port);
    if (listener < 0) return perror("listen"), 1;
    pthread_t receiver;
    pthread_create(&receiver, NULL, receive, &listener);
    int rc = cio_run(send_all, &run, NULL);
    pthread_join(receiver, NULL);
    run.end = now();
    if (rc < 0) {
        fprintf(stderr, "sendfile: %s\n", cio_strerror(rc));
        return 1;
    }
    double seconds = run.end - run.start;
    printf("%.6f %.1f\n", seconds, (double)run.size * run.reps / seconds / (1 << 20));
    return 0;
}
