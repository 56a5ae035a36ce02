/* src/os/state.c - the per-loop OS state: made on first use, torn down by the
 * loop's close hook (io_uring, signals, cross-thread futures). The thread pool itself is the core's
 * (src/core/offload.c). */
#include "os/os.h"

#include <stdlib.h>

static void close_os(cio_loop *loop, void *arg) {
    struct cio__os *os = arg;
    cio__loop_set_slot(loop, CIO__SLOT_OS, NULL);
    cio__uring_close(os); /* first: waits for operations that write into task stacks */
    cio__signals_close(os);
    cio__cfutures_close(os);
    free(os);
}

struct cio__os *cio__os_get(cio_loop *loop) {
    struct cio__os *os = cio__loop_slot(loop, CIO__SLOT_OS);
    if (os) return os;
    os = calloc(1, sizeof *os);
    if (!os) return NULL;
    os->loop = loop;
    cio__list_init(&os->cfutures);
    if (cio__loop_on_close(loop, close_os, os) < 0) {
        free(os);
        return NULL;
    }
    cio__loop_set_slot(loop, CIO__SLOT_OS, os);
    return os;
}
