/* src/runner/submit.c - cio_loop_submit(): a task on one loop runs a function
 * as a task on another loop, on another thread, and awaits it.
 *
 * The submission lives on the caller's stack, which stays put while the
 * caller waits. Two threads touch it: the target's (start, cancel, done) and
 * the caller's (answer, ack). Every message from the target is its last touch
 * on that path, so the caller returns only once each message it is owed has
 * arrived: the answer always, and the ack of a cancel it sent. */
#include "cio.h"
#include "core/core.h" /* the wait label (introspection) */
#include "cio/cores.h"
#include "runner/crossing.h"

struct submission {
    cio_task_fn fn;
    void *arg;
    cio_loop *caller_loop;
    cio_event answered; /* the caller's loop: set by the answer */
    cio_event acked;    /* the caller's loop: set once a cancel was handled */
    /* The inbox records of the four messages, each sent at most once: */
    struct cio__post start_post, cancel_post; /* to the target */
    struct cio__post answer_post, ack_post;   /* to the caller */
    /* Target thread only: */
    cio_task *remote; /* referenced until it is done */
    bool remote_done;
    /* Written on the target before the answer is sent, read after it came: */
    int error;
    void *result;
};

static void post_to_caller(struct submission *submission, struct cio__post *post, cio_callback fn) {
    cio__post_owed_record(submission->caller_loop, post, fn, submission);
}

static void on_answer(void *arg) {
    struct submission *submission = arg;
    cio_event_set(&submission->answered);
}

static void on_ack(void *arg) {
    struct submission *submission = arg;
    cio_event_set(&submission->acked);
}

/* ---- the target's side ------------------------------------------------------------ */

static void on_remote_done(cio_future *future, void *arg) {
    struct submission *submission = arg;
    void *result = NULL;
    submission->error = cio_future_result(future, &result);
    submission->result = submission->error ? NULL : result;
    submission->remote_done = true;
    cio_task_unref(submission->remote);
    submission->remote = NULL;
    post_to_caller(submission, &submission->answer_post, on_answer);
}

static void start_remote(void *arg) {
    struct submission *submission = arg;
    cio_loop *target = cio_get_running_loop();
    int rc = cio_loop_create_task(target, submission->fn, submission->arg, &submission->remote);
    if (rc == 0) {
        rc = cio_future_add_done_callback(cio_task_future(submission->remote), on_remote_done,
                                          submission);
        if (rc == 0) return;
        cio_task_cancel(submission->remote); /* not started yet: it ends without running */
        cio_task_unref(submission->remote);
        submission->remote = NULL;
    }
    submission->error = rc;
    submission->remote_done = true;
    post_to_caller(submission, &submission->answer_post, on_answer);
}

static void cancel_remote(void *arg) {
    struct submission *submission = arg;
    if (!submission->remote_done) cio_task_cancel(submission->remote);
    post_to_caller(submission, &submission->ack_post, on_ack);
}

/* ---- the caller's side ------------------------------------------------------------ */

/* 0 once the target answered, or the interrupt that came first (passed on
 * to the target, whose every message owed to this stack is waited out). */
static int wait_answer(struct submission *submission, cio_loop *target) {
    int rc = cio_event_wait(&submission->answered);
    if (rc == 0) return 0;
    if (!cio_event_is_set(&submission->answered) &&
        cio__post(target, &submission->cancel_post) == 0)
        cio__event_wait_shielded(&submission->acked);
    cio__event_wait_shielded(&submission->answered);
    return rc;
}

int cio_loop_submit(cio_loop *target, cio_task_fn fn, void *arg, void **result) {
    if (result) *result = NULL;
    if (!target || !fn) return -EINVAL;
    if (!cio_current_task()) return -EPERM;
    cio_loop *caller_loop = cio_get_running_loop();
    if (target == caller_loop) return -EDEADLK;
    struct submission submission = {.fn = fn, .arg = arg, .caller_loop = caller_loop};
    cio_event_init(&submission.answered);
    cio_event_init(&submission.acked);
    submission.start_post = (struct cio__post){.fn = start_remote, .arg = &submission};
    submission.cancel_post = (struct cio__post){.fn = cancel_remote, .arg = &submission};
    int rc = cio__post(target, &submission.start_post);
    if (rc < 0) return rc;
    cio_task *task = cio__task_current();
    struct cio__wait_label label;
    cio__wait_label_begin(task, &label, CIO_WAIT_SUBMIT, target, NULL);
    /* The target's thread writes into this stack while we wait: a compact
     * task's frames stay on its shared stack meanwhile (core.h). */
    cio__task_pin_stack(task);
    rc = wait_answer(&submission, target);
    cio__task_unpin_stack(task);
    cio__wait_label_end(task, &label);
    if (rc == 0 && result) *result = submission.result;
    return rc == 0 ? submission.error : rc;
}
