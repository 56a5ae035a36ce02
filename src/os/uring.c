/* src/os/uring.c - file operations on io_uring, one ring per loop.
 *
 * Submitting: a task prepares an SQE whose user_data is the task itself and
 * parks; a ready-queue entry queued once per turn (the flush) submits every
 * SQE prepared in that turn with one io_uring_enter.
 *
 * Completing: the loop can only wait on fds for tasks, so one parked task at
 * a time, the leader, waits for the ring fd to become readable and reaps
 * every CQE, waking each task with its result (the wake status). When the
 * leader's own operation completes it hands the lead to the next waiting
 * task (woken with LEAD). Operations are uninterruptible (the kernel uses
 * the caller's buffers), so a leader never leaves early.
 *
 * Reads of cached data (and most opens and closes) complete inside the
 * submitting io_uring_enter. The flush then wakes the leader itself rather
 * than leaving the news to the next poll, so such an operation costs that
 * one syscall: no epoll_wait, and no epoll_ctl either, as the leader arms
 * the ring fd edge-triggered (every CQE posted wakes the ring's pollers).
 * That halved the cost of one task's sequential 4 KiB reads
 * (bench/results/files.md).
 *
 * Copying inline also means one core copies every cached read. When a turn's
 * batch holds several large reads and the process may use more than one
 * CPU, every other one is flagged IOSQE_ASYNC: an io-wq thread copies it on
 * another core while the loop thread copies the rest (1 MiB reads, 4 in
 * flight, on our 2-core VMs at load 6-8: 0.85-0.92x a blocking read() loop
 * without, 1.07-1.5x with; no gain where one core already copies at the
 * VM's memory bandwidth). A lone read, as a sequential loop makes, stays
 * inline.
 *
 * The loop is held for each operation in flight, so the virtual clock waits
 * for the disk. */
#include "os/os.h"

#include <stdlib.h>

#if defined(CIO_HAVE_LIBURING)

#include <sched.h>
#include <unistd.h>

#include <liburing.h>

/* valgrind cannot see the kernel write into buffers through io_uring: tell it. */
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#else
#define VALGRIND_MAKE_MEM_DEFINED(addr, len) ((void)(addr), (void)(len))
#endif

#define RING_ENTRIES 256
/* Reads at least this big may go to io-wq: a 256 KiB copy (~25 us) is well
 * above a worker's hand-off (a wake-up and a CQE from another thread). */
#define ASYNC_READ_MIN (256u << 10)
#define LEAD           INT32_MIN /* wake status that makes a waiting task the leader */

struct cio__uring {
    struct io_uring ring;
    cio_loop *loop;
    unsigned queued;           /* SQEs prepared, not yet submitted */
    unsigned in_flight;        /* prepared or submitted, CQE not reaped */
    unsigned big_reads_queued; /* reads >= ASYNC_READ_MIN among the queued */
    bool split_big_reads;      /* more than one CPU: let io-wq copy some */
    struct cio__ready flush;   /* on the loop's ready queue while flush_queued */
    bool flush_queued;
    cio_task *leader;          /* the task waiting on the ring fd */
    struct cio__waitq waiters; /* other tasks with an operation in flight */
};

static void flush(struct cio__ready *entry);

static const int needed_ops[] = {IORING_OP_OPENAT,   IORING_OP_CLOSE,   IORING_OP_READ,
                                 IORING_OP_WRITE,    IORING_OP_FSYNC,   IORING_OP_STATX,
                                 IORING_OP_RENAMEAT, IORING_OP_UNLINKAT};

static bool has_every_op(struct io_uring *ring) {
    struct io_uring_probe *probe = io_uring_get_probe_ring(ring);
    if (!probe) return false;
    bool all = true;
    for (size_t i = 0; i < sizeof needed_ops / sizeof needed_ops[0]; i++)
        all = all && io_uring_opcode_supported(probe, needed_ops[i]);
    io_uring_free_probe(probe);
    return all;
}

static int usable_cpus(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
    return (int)sysconf(_SC_NPROCESSORS_ONLN);
}

int cio__uring_open(struct cio__os *os) {
    if (os->uring) return 0;
    struct cio__uring *uring = calloc(1, sizeof *uring);
    if (!uring) return -ENOMEM;
    int rc = io_uring_queue_init(RING_ENTRIES, &uring->ring, 0);
    if (rc == 0 &&
        (!(uring->ring.features & IORING_FEAT_RW_CUR_POS) || !has_every_op(&uring->ring))) {
        io_uring_queue_exit(&uring->ring);
        rc = -ENOSYS;
    }
    if (rc < 0) {
        free(uring);
        return rc;
    }
    uring->loop = os->loop;
    uring->split_big_reads = usable_cpus() > 1;
    uring->flush.run = flush;
    cio__waitq_init(&uring->waiters);
    os->uring = uring;
    return 0;
}

/* Loop close: tasks may still be parked on operations whose buffers live on
 * their stacks, which are freed after this; wait for the kernel to finish. */
void cio__uring_close(struct cio__os *os) {
    struct cio__uring *uring = os->uring;
    if (!uring) return;
    if (uring->queued) io_uring_submit(&uring->ring);
    while (uring->in_flight > 0) {
        struct io_uring_cqe *cqe;
        if (io_uring_wait_cqe(&uring->ring, &cqe) < 0) break;
        io_uring_cqe_seen(&uring->ring, cqe);
        uring->in_flight--;
    }
    cio__io_forget(os->loop, uring->ring.ring_fd);
    io_uring_queue_exit(&uring->ring);
    free(uring);
    os->uring = NULL;
}

/* ---- submitting ------------------------------------------------------------------------ */

static void submit_now(struct cio__uring *uring) {
    uring->big_reads_queued = 0;
    if (uring->queued == 0) return;
    int rc;
    while ((rc = io_uring_submit(&uring->ring)) == -EINTR || rc == -EAGAIN || rc == -EBUSY) {
    }
    uring->queued = 0;
}

/* The turn's batch goes to the kernel; what completed inline is the
 * leader's to reap now (a spurious wake, should the CQ be empty by the time
 * it runs, costs it one look). */
static void flush(struct cio__ready *entry) {
    struct cio__uring *uring = cio__container_of(entry, struct cio__uring, flush);
    uring->flush_queued = false;
    submit_now(uring);
    if (uring->leader && io_uring_cq_ready(&uring->ring))
        cio__io_ready(uring->loop, uring->ring.ring_fd, CIO__READABLE);
}

static void queue_flush(struct cio__uring *uring) {
    if (uring->flush_queued) return;
    uring->flush_queued = true;
    cio__loop_queue(uring->loop, &uring->flush);
}

static struct io_uring_sqe *next_sqe(struct cio__uring *uring) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&uring->ring);
    if (!sqe) { /* the SQ is full: this turn's batch goes now */
        submit_now(uring);
        sqe = io_uring_get_sqe(&uring->ring);
    }
    return sqe;
}

static void prepare(struct io_uring_sqe *sqe, const struct cio__file_op *op) {
    switch (op->opcode) {
    case CIO__FILE_OPEN:
        io_uring_prep_openat(sqe, op->fd, op->path, op->flags, op->mode);
        break;
    case CIO__FILE_CLOSE:
        io_uring_prep_close(sqe, op->fd);
        break;
    case CIO__FILE_READ:
        io_uring_prep_read(sqe, op->fd, op->buf, (unsigned)op->len, (uint64_t)op->offset);
        break;
    case CIO__FILE_WRITE:
        io_uring_prep_write(sqe, op->fd, op->buf, (unsigned)op->len, (uint64_t)op->offset);
        break;
    case CIO__FILE_FSYNC:
        io_uring_prep_fsync(sqe, op->fd, 0);
        break;
    case CIO__FILE_STATX:
        io_uring_prep_statx(sqe, op->fd, op->path, op->flags, STATX_BASIC_STATS, op->stx);
        break;
    case CIO__FILE_RENAME:
        io_uring_prep_renameat(sqe, AT_FDCWD, op->path, AT_FDCWD, op->path2, 0);
        break;
    case CIO__FILE_UNLINK:
        io_uring_prep_unlinkat(sqe, AT_FDCWD, op->path, 0);
        break;
    }
}

/* Every other large read of a batch goes to io-wq (see the top of the file). */
static void maybe_offload(struct cio__uring *uring, struct io_uring_sqe *sqe,
                          const struct cio__file_op *op) {
    if (!uring->split_big_reads || op->opcode != CIO__FILE_READ || op->len < ASYNC_READ_MIN) return;
    if (uring->big_reads_queued++ % 2 == 1) sqe->flags |= IOSQE_ASYNC;
}

/* ---- completing ---------------------------------------------------------------------------- */

/* Take every CQE in the ring: wake its task, or, for the leader's own,
 * fill *own. Returns how many. */
static unsigned reap_ring(struct cio__uring *uring, cio_task *self, int *own, bool *have_own) {
    struct io_uring_cqe *cqe;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&uring->ring, head, cqe) {
        cio_task *task = io_uring_cqe_get_data(cqe);
        seen++;
        if (task == self) {
            *own = cqe->res;
            *have_own = true;
            continue;
        }
        /* Not listed if it was just handed the lead and has not run yet: the
         * wake then replaces LEAD with its result. */
        cio__waitq_unhook(task);
        cio__wake(task, cqe->res);
    }
    io_uring_cq_advance(&uring->ring, seen);
    uring->in_flight -= seen;
    return seen;
}

/* reap_ring, until no completion is left: more operations in flight than
 * the CQ holds park their CQEs in the kernel's overflow list, which no
 * further edge announces; io_uring_get_events moves them into the ring. */
static void reap(struct cio__uring *uring, cio_task *self, int *own, bool *have_own) {
    while (reap_ring(uring, self, own, have_own) > 0 || io_uring_cq_has_overflow(&uring->ring)) {
        if (io_uring_cq_has_overflow(&uring->ring) && io_uring_get_events(&uring->ring) < 0) return;
    }
}

static void hand_over_lead(struct cio__uring *uring) {
    uring->leader = NULL;
    cio__waitq_wake_first(&uring->waiters, LEAD);
}

static int lead(struct cio__uring *uring, cio_task *task) {
    uring->leader = task;
    int own = 0;
    bool have_own = false;
    reap(uring, task, &own, &have_own); /* what finished while nobody led */
    while (!have_own) {
        /* recheck=false: reap just emptied the CQ, and each CQE posted
         * from here on wakes the ring fd's pollers (an edge). */
        int rc = cio__io_wait(task, uring->ring.ring_fd, CIO__READABLE, false);
        if (rc < 0 && rc != -EINTR) { /* the poller refused the ring fd: wait in the kernel */
            submit_now(uring);
            struct io_uring_cqe *cqe;
            io_uring_wait_cqe(&uring->ring, &cqe);
        }
        reap(uring, task, &own, &have_own);
    }
    hand_over_lead(uring);
    return own;
}

static int wait_for_result(struct cio__uring *uring, cio_task *task) {
    for (;;) {
        if (!uring->leader) return lead(uring, task);
        cio__wait_tag(task, CIO_WAIT_RING, uring);
        int status = cio__waitq_park(&uring->waiters, task, NULL, uring); /* shielded */
        if (status != LEAD) return status;
    }
}

int64_t cio__uring_run(struct cio__os *os, cio_task *task, const struct cio__file_op *op) {
    struct cio__uring *uring = os->uring;
    struct io_uring_sqe *sqe = next_sqe(uring);
    if (!sqe) return -EAGAIN;
    prepare(sqe, op);
    maybe_offload(uring, sqe, op);
    io_uring_sqe_set_data(sqe, task);
    uring->queued++;
    uring->in_flight++;
    queue_flush(uring);
    cio__loop_hold(uring->loop);
    cio__uninterruptible_begin(task); /* the kernel may write into the task's memory */
    int result = wait_for_result(uring, task);
    cio__uninterruptible_end(task);
    if (op->opcode == CIO__FILE_READ && result > 0)
        VALGRIND_MAKE_MEM_DEFINED(op->buf, (size_t)result);
    if (op->opcode == CIO__FILE_STATX && result == 0)
        VALGRIND_MAKE_MEM_DEFINED(op->stx, sizeof *op->stx);
    cio__loop_unhold(uring->loop);
    return result;
}

#else /* !CIO_HAVE_LIBURING: the pool does every file operation */

int cio__uring_open(struct cio__os *os) {
    (void)os;
    return -ENOSYS;
}

void cio__uring_close(struct cio__os *os) {
    (void)os;
}

int64_t cio__uring_run(struct cio__os *os, cio_task *task, const struct cio__file_op *op) {
    (void)os, (void)task, (void)op;
    return -ENOSYS;
}

#endif
