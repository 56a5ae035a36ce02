/* src/core/submit.c - cio_executor_submit: a thread-pool job whose outcome is
 * a cio_future (loop.run_in_executor's future; asyncio.wrap_future of
 * executor.submit()).
 *
 * The job block carries the future's reference and a close hook. On the loop
 * thread the completion sets the future (or, if someone cancelled it
 * meanwhile, hands the result to discard). If the loop closes first, the
 * hook drops the reference there, on the loop thread, and the job ends the
 * way every orphaned job does (offload.c): discard, then free. */
#include "core/core.h"

#include <stdlib.h>

struct submitted {
    struct cio__job job; /* first: offload.c frees a dropped job as the block */
    struct cio__close_hook hook;
    cio_future *future; /* a reference; NULL once the loop closed */
};

static void loop_closing(cio_loop *loop, void *arg) {
    (void)loop;
    struct submitted *s = arg;
    cio_future_unref(s->future);
    s->future = NULL;
}

static void on_done(struct cio__job *job) {
    struct submitted *s = (struct submitted *)job;
    cio__loop_hook_remove(&s->hook);
    int status = job->status ? job->status : cio_error_of(job->result);
    if (cio_future_done(s->future)) { /* cancelled meanwhile: nobody takes the result */
        if (job->discard) job->discard(job->arg, job->status == 0 ? job->result : NULL);
    } else if (status < 0) {
        cio_future_set_error(s->future, status);
    } else {
        cio_future_set_result(s->future, job->result);
    }
    cio_future_unref(s->future);
    free(s);
}

int cio_executor_submit(cio_executor *executor, cio_task_fn fn, void *arg, cio_discard_fn discard,
                        cio_future **out) {
    if (out) *out = NULL;
    if (!fn || !out) return -EINVAL;
    if (executor && cio__executor_check(executor, "cio_executor_submit") < 0) return -EINVAL;
    cio_loop *loop = cio_get_running_loop();
    if (!loop) {
        cio__complain("cio_executor_submit: no loop is running on this thread");
        return -EPERM;
    }
    struct submitted *s = calloc(1, sizeof *s);
    cio_future *future = NULL;
    int rc = s ? cio_future_new(loop, &future) : -ENOMEM;
    if (rc < 0) {
        free(s);
        return rc;
    }
    s->job = (struct cio__job){.fn = fn, .arg = arg, .discard = discard, .on_done = on_done};
    s->job.vars = cio__vars_current(); /* the job runs in a copy of the context */
    s->future = cio_future_ref(future);
    rc = cio__job_start(loop, executor, &s->job);
    if (rc < 0) {
        cio__vars_unref(s->job.vars);
        cio_future_unref(future);
        cio_future_unref(future);
        free(s);
        return rc;
    }
    cio__loop_hook_add(loop, &s->hook, loop_closing, s);
    *out = future;
    return 0;
}
