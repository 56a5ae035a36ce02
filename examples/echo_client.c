/* echo_client - the asyncio docs' TCP echo client, in C.
 *
 *     echo_client [PORT [MESSAGE]]   send MESSAGE (default "Hello World!") to
 *                                    127.0.0.1:PORT (default 8888) and print
 *                                    the echo */
#include <cio.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct request {
    int port;
    const char *message;
};

static void *echo_client(void *arg) {
    struct request *request = arg;
    cio_stream *stream;
    int rc = cio_open_connection("127.0.0.1", request->port, NULL, &stream);
    if (rc < 0) {
        fprintf(stderr, "echo_client: cannot connect: %s\n", cio_strerror(rc));
        return cio_fail(rc);
    }
    size_t len = strlen(request->message);
    printf("Send: '%s'\n", request->message);
    rc = cio_stream_write(stream, request->message, len);
    if (rc == 0) rc = cio_stream_drain(stream);
    char reply[4096];
    size_t got = 0;
    if (rc == 0)
        rc = cio_stream_readexactly(stream, reply, len < sizeof reply ? len : sizeof reply, &got);
    if (rc == 0)
        printf("Received: '%.*s'\n", (int)got, reply);
    else
        fprintf(stderr, "echo_client: %s\n", cio_strerror(rc));
    printf("Close the connection\n");
    cio_stream_close(stream);
    cio_stream_wait_closed(stream);
    cio_stream_free(stream);
    return rc < 0 ? cio_fail(rc) : NULL;
}

int main(int argc, char **argv) {
    struct request request = {argc > 1 ? atoi(argv[1]) : 8888, argc > 2 ? argv[2] : "Hello World!"};
    return cio_run(echo_client, &request, NULL) == 0 ? 0 : 1;
}
