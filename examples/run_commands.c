/* run_commands: run 20 shell commands at once and collect what each prints.
 *
 *     run_commands
 *
 * Each command sleeps a little and prints a line; all run in parallel, so
 * the whole takes about as long as the slowest (0.5 s), not the sum (~5 s).
 * asyncio equivalent: gather() over create_subprocess_shell + communicate. */
#define _GNU_SOURCE /* lstat, accept4, ... */
#include <cio.h>

#include <stdio.h>
#include <stdlib.h>

#define COMMANDS 20

struct command {
    char line[128];
    char *out; /* what it printed (stdout and stderr) */
    int returncode;
    int status; /* 0, or why it could not run */
};

static void *run_one(void *arg) {
    struct command *cmd = arg;
    cio_process_options opts = {.stdout_mode = CIO_STDIO_PIPE,
                                .stderr_mode = CIO_STDIO_STDOUT,
                                .stdin_mode = CIO_STDIO_DEVNULL,
                                .kill_on_cancel = true};
    cio_process *process;
    cmd->status = cio_create_subprocess_shell(cmd->line, &opts, &process);
    if (cmd->status < 0) return NULL;
    char *out = NULL;
    cmd->status = cio_process_communicate(process, NULL, 0, &out, NULL, NULL, NULL);
    cmd->out = out;
    cio_process_returncode(process, &cmd->returncode);
    cio_process_free(process);
    return NULL;
}

static void *main_task(void *arg) {
    struct command *cmds = arg;
    cio_task *tasks[COMMANDS];
    double start = cio_loop_time(cio_get_running_loop());
    for (int i = 0; i < COMMANDS; i++) cio_create_task(run_one, &cmds[i], &tasks[i]);
    for (int i = 0; i < COMMANDS; i++) cio_await(tasks[i], NULL);
    for (int i = 0; i < COMMANDS; i++) {
        if (cmds[i].status < 0)
            printf("[%2d] failed: %s\n", i, cio_strerror(cmds[i].status));
        else
            printf("[%2d] exit %d: %s", i, cmds[i].returncode, cmds[i].out);
        free(cmds[i].out);
    }
    printf("%d commands in %.2f s\n", COMMANDS, cio_loop_time(cio_get_running_loop()) - start);
    return NULL;
}

int main(void) {
    static struct command cmds[COMMANDS];
    for (int i = 0; i < COMMANDS; i++)
        snprintf(cmds[i].line, sizeof cmds[i].line,
                 "sleep 0.%d; echo \"command %d ran in $(pwd) as pid $$\"; exit %d", (i * 7) % 6, i,
                 i % 3);
    return cio_run(main_task, cmds, NULL) == 0 ? 0 : 1;
}
