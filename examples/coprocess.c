/* coprocess: talk to a long-running child line by line through its pipes.
 *
 *     coprocess
 *
 * The child is a small shell loop that answers each number it reads with its
 * square. Its stdin and stdout are cio streams: write a line, drain, read
 * the answer with readline - the same calls as for a TCP connection.
 * asyncio equivalent: create_subprocess_exec(stdin=PIPE, stdout=PIPE), then
 * proc.stdin.write() / drain() and proc.stdout.readline(). */
#include <cio.h>

#include <stdio.h>
#include <string.h>

static const char *const squarer[] = {
    "/bin/sh", "-c", "while read n; do echo \"$n squared is $((n * n))\"; done", NULL};

/* Send one question, read one answer line into answer. */
static int ask(cio_process *child, int n, char *answer, size_t cap) {
    char question[32];
    int len = snprintf(question, sizeof question, "%d\n", n);
    int rc = cio_stream_write(cio_process_stdin(child), question, (size_t)len);
    if (rc == 0) rc = cio_stream_drain(cio_process_stdin(child));
    if (rc < 0) return rc;
    ssize_t got = cio_stream_readline(cio_process_stdout(child), answer, cap); /* NUL-terminated */
    if (got < 0) return (int)got;
    return got == 0 ? -CIO_EINCOMPLETE : 0; /* 0: the child went away */
}

static void *main_task(void *arg) {
    (void)arg;
    cio_process_options opts = {.stdin_mode = CIO_STDIO_PIPE, .stdout_mode = CIO_STDIO_PIPE};
    cio_process *child;
    int rc = cio_create_subprocess_exec(squarer, &opts, &child);
    if (rc < 0) return cio_fail(rc);
    char answer[128];
    for (int n = 1; n <= 5 && rc == 0; n++) {
        cio_timeout scope; /* a child that stops answering must not hang us */
        cio_timeout_begin(&scope, 5.0);
        rc = ask(child, n, answer, sizeof answer);
        cio_timeout_end(&scope);
        if (rc == 0) fputs(answer, stdout);
    }
    cio_stream_close(cio_process_stdin(child)); /* EOF: the loop in the child ends */
    int status = -1;
    if (rc == 0) rc = cio_process_wait(child, &status);
    if (rc == 0) printf("child exited with %d\n", status);
    cio_process_free(child);
    return rc < 0 ? cio_fail(rc) : NULL;
}

int main(void) {
    int rc = cio_run(main_task, NULL, NULL);
    if (rc < 0) fprintf(stderr, "coprocess: %s\n", cio_strerror(rc));
    return rc < 0 ? 1 : 0;
}
