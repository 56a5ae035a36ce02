/* src/core/debug.c - one-line diagnostics for misuse (a suspending call
 * outside a task, a loop used from the wrong thread). The call also returns
 * an error; the line says what to change. $CIO_QUIET=1 silences them. */
#include "core/core.h"

#include <stdarg.h>
#include <stdlib.h>

void cio__complain(const char *fmt, ...) {
    static _Atomic int quiet = -1;
    if (quiet < 0) {
        const char *env = getenv("CIO_QUIET");
        quiet = env && *env && *env != '0';
    }
    if (quiet) return;
    va_list args;
    va_start(args, fmt);
    fputs("cio: ", stderr);
    vfprintf(stderr, fmt, args);
    fputc('\n', stderr);
    va_end(args);
}
