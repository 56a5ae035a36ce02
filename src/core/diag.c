/* src/core/diag.c - where diagnostics go: each report is a cio_diag record
 * for the loop's exception handler (asyncio's set_exception_handler), whose
 * default formats it as text for the process-wide log hook, or stderr.
 *
 * A report raised in a thread that does not run the loop it is about goes to
 * the default handler with loop NULL: the user's handler belongs to the loop
 * thread and is not called concurrently. The stack-overflow report is not
 * here: it is written by a signal handler (stack.c), where none of this is
 * async-signal-safe. */
#include "core/task.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- the log hook ------------------------------------------------------------------ */

static pthread_mutex_t hook_lock = PTHREAD_MUTEX_INITIALIZER;
static cio_log_hook log_hook; /* NULL: stderr */
static void *log_hook_arg;

void cio_set_log_hook(cio_log_hook hook, void *arg) {
    pthread_mutex_lock(&hook_lock);
    log_hook = hook;
    log_hook_arg = arg;
    pthread_mutex_unlock(&hook_lock);
}

/* The hook is called outside the lock, so it may set another hook (or log
 * from several threads at once) without deadlocking. */
static void emit(const char *text) {
    pthread_mutex_lock(&hook_lock);
    cio_log_hook hook = log_hook;
    void *arg = log_hook_arg;
    pthread_mutex_unlock(&hook_lock);
    if (hook) {
        hook(text, arg);
        return;
    }
    flockfile(stderr); /* one report stays in one piece among threads */
    fputs(text, stderr);
    fputc('\n', stderr);
    funlockfile(stderr);
}

/* ---- the default handler ---------------------------------------------------------- */

/* $CIO_QUIET silences what cio__complain used to print, as it always did;
 * reports of lost errors and lost tasks are never silenced. */
static bool silenced(cio_diag_kind kind) {
    static _Atomic int quiet = -1;
    if (quiet < 0) {
        const char *env = getenv("CIO_QUIET");
        quiet = env && *env && *env != '0';
    }
    return quiet &&
           (kind == CIO_DIAG_MISUSE || kind == CIO_DIAG_OPEN_SCOPE || kind == CIO_DIAG_DEADLOCK);
}

static void put_frames(FILE *out, const char *title, const char *frames) {
    if (frames) fprintf(out, "\n  %s:\n%s", title, frames);
}

void cio_default_exception_handler(cio_loop *loop, const cio_diag *diag) {
    (void)loop;
    if (!diag || silenced(diag->kind)) return;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    const char *message = diag->message ? diag->message : "(no message)";
    if (!out) { /* out of memory: the message alone still gets out */
        emit(message);
        return;
    }
    fprintf(out, "cio: %s", message);
    put_frames(out, "created at", diag->created_at);
    put_frames(out, "resumed at", diag->resumed_at);
    put_frames(out, "suspended at", diag->suspended_at);
    fclose(out);
    while (len > 0 && text[len - 1] == '\n') text[--len] = '\0';
    emit(text);
    free(text);
}

/* ---- the loop's handler --------------------------------------------------------------- */

/* Set while a user's handler runs on this thread: a report it causes goes to
 * the default handler rather than back into it. */
static CIO__TLS int in_handler;

static bool loop_thread(const cio_loop *loop) {
    return cio__running_loop == loop || !loop->head.running;
}

int cio_loop_set_exception_handler(cio_loop *loop, cio_exception_handler handler, void *arg) {
    int rc = cio__loop_check(loop, "cio_loop_set_exception_handler");
    if (rc < 0) return rc;
    loop->handler = handler;
    loop->handler_arg = arg;
    return 0;
}

void cio__diag_report(cio_loop *loop, cio_diag *diag) {
    if (loop && !loop_thread(loop)) loop = NULL;
    char *created = NULL;
    /* A misuse report is about a call, not about the task making it: it
     * stays one line. */
    if (!diag->created_at && diag->kind != CIO_DIAG_MISUSE && (diag->task || diag->future)) {
        created = cio__origin_text(diag->task ? cio__task_future(diag->task) : diag->future);
        diag->created_at = created;
    }
    if (!loop || !loop->handler || in_handler) {
        cio_default_exception_handler(loop, diag);
    } else {
        in_handler++;
        loop->handler(loop, diag, loop->handler_arg);
        in_handler--;
    }
    free(created);
}

int cio_loop_call_exception_handler(cio_loop *loop, const cio_diag *diag) {
    if (!loop || loop->head.magic != CIO__LOOP_MAGIC || !diag) return -EINVAL;
    if (!loop_thread(loop)) {
        cio__complain("cio_loop_call_exception_handler: called from a thread that does not run "
                      "the loop");
        return -EPERM;
    }
    cio_diag copy = *diag;
    if (!copy.message) copy.message = "(no message)";
    cio__diag_report(loop, &copy);
    return 0;
}

/* ---- live loops ---------------------------------------------------------------------- */

static pthread_mutex_t alive_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cio__list alive_loops = {&alive_loops, &alive_loops};

void cio__loop_alive_add(cio_loop *loop) {
    pthread_mutex_lock(&alive_lock);
    cio__list_push_back(&alive_loops, &loop->alive);
    pthread_mutex_unlock(&alive_lock);
}

void cio__loop_alive_remove(cio_loop *loop) {
    pthread_mutex_lock(&alive_lock);
    cio__list_remove(&loop->alive);
    pthread_mutex_unlock(&alive_lock);
}

/* Only the pointer is compared: a freed loop is never read. A new loop at a
 * freed one's address counts as alive (its reports go to the new loop). */
bool cio__loop_alive(const cio_loop *loop) {
    bool found = false;
    pthread_mutex_lock(&alive_lock);
    for (struct cio__list *node = alive_loops.next; node != &alive_loops && !found;
         node = node->next)
        found = cio__container_of(node, cio_loop, alive) == loop;
    pthread_mutex_unlock(&alive_lock);
    return found;
}

/* ---- making reports ------------------------------------------------------------------- */

static void vdiag(cio_loop *loop, cio_diag_kind kind, cio_task *task, int error, const char *fmt,
                  va_list args) {
    char *message = NULL;
    if (vasprintf(&message, fmt, args) < 0) message = NULL;
    cio_diag diag = {.kind = kind,
                     .message = message ? message : fmt, /* out of memory: the bare format */
                     .error = error,
                     .task = task,
                     .fd = -1};
    cio__diag_report(loop, &diag);
    free(message);
}

void cio__diag(cio_loop *loop, cio_diag_kind kind, cio_task *task, int error, const char *fmt,
               ...) {
    va_list args;
    va_start(args, fmt);
    vdiag(loop, kind, task, error, fmt, args);
    va_end(args);
}

void cio__complain(const char *fmt, ...) {
    cio_loop *loop = cio__running_loop;
    va_list args;
    va_start(args, fmt);
    vdiag(loop, CIO_DIAG_MISUSE, loop ? loop->head.current : NULL, 0, fmt, args);
    va_end(args);
}
