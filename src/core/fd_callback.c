/* src/core/fd_callback.c - persistent readiness callbacks: asyncio's
 * loop.add_reader / add_writer / remove_reader / remove_writer.
 *
 * Each watched fd has one record, found through a per-loop table indexed by
 * fd and listening to the poller through cio__io_watch (src/core/io.c). A
 * report does not call the user at once: it queues the direction's ready
 * entry, embedded in the record (no allocation per report), so the callback
 * runs in the loop's turn like any call_soon callback, free to add, remove,
 * close and create tasks. After it runs, a recheck arm asks the poller to
 * report again if the fd is still ready: that makes the callbacks
 * level-triggered, as asyncio's are, at the cost of one epoll_ctl per call
 * on the edge-triggered backend.
 *
 * A record lives while it has a callback or a queued entry; a record whose
 * callbacks were removed while an entry was queued is freed when that entry
 * runs. */
#include "core/loop.h"

#include <fcntl.h>
#include <stdlib.h>

enum { READER, WRITER };

struct direction {
    cio_callback fn; /* NULL: not installed */
    void *arg;
    struct cio__ready ready;
    bool queued;
};

struct record {
    struct cio__fd_watch watch;
    cio_loop *loop;
    int fd;
    struct direction dir[2];
};

struct table {
    struct record **at; /* indexed by fd */
    size_t len;
};

static const unsigned direction_events[2] = {CIO__READABLE, CIO__WRITABLE};

static void run_reader(struct cio__ready *entry);
static void run_writer(struct cio__ready *entry);
static void on_ready(struct cio__fd_watch *watch, int fd, unsigned events);

static void free_table(cio_loop *loop, void *arg) {
    struct table *table = arg;
    for (size_t fd = 0; fd < table->len; fd++) free(table->at[fd]);
    free(table->at);
    free(table);
    cio__loop_set_slot(loop, CIO__SLOT_FD_CALLBACKS, NULL);
}

static struct table *table_of(cio_loop *loop) {
    struct table *table = cio__loop_slot(loop, CIO__SLOT_FD_CALLBACKS);
    if (table) return table;
    table = calloc(1, sizeof *table);
    if (!table) return NULL;
    if (cio__loop_on_close(loop, free_table, table) < 0) {
        free(table);
        return NULL;
    }
    cio__loop_set_slot(loop, CIO__SLOT_FD_CALLBACKS, table);
    return table;
}

static struct record *find(cio_loop *loop, int fd) {
    struct table *table = cio__loop_slot(loop, CIO__SLOT_FD_CALLBACKS);
    return table && fd >= 0 && (size_t)fd < table->len ? table->at[fd] : NULL;
}

static int grow(struct table *table, int fd) {
    size_t len = table->len ? table->len : 64;
    while (len <= (size_t)fd) len *= 2;
    struct record **at = realloc(table->at, len * sizeof *at);
    if (!at) return -ENOMEM;
    for (size_t i = table->len; i < len; i++) at[i] = NULL;
    table->at = at;
    table->len = len;
    return 0;
}

static struct record *make_record(cio_loop *loop, int fd) {
    struct table *table = table_of(loop);
    if (!table || ((size_t)fd >= table->len && grow(table, fd) < 0)) return NULL;
    struct record *rec = calloc(1, sizeof *rec);
    if (!rec) return NULL;
    rec->watch.ready = on_ready;
    rec->watch.exclusive = true; /* a task waiting here would never hear of its fd */
    rec->loop = loop;
    rec->fd = fd;
    rec->dir[READER].ready.run = run_reader;
    rec->dir[WRITER].ready.run = run_writer;
    table->at[fd] = rec;
    return rec;
}

static unsigned wanted(const struct record *rec) {
    return (rec->dir[READER].fn ? CIO__READABLE : 0) | (rec->dir[WRITER].fn ? CIO__WRITABLE : 0);
}

/* Free rec once nothing refers to it: no callback, no queued entry. */
static void release_if_unused(struct record *rec) {
    if (wanted(rec) || rec->dir[READER].queued || rec->dir[WRITER].queued) return;
    struct table *table = cio__loop_slot(rec->loop, CIO__SLOT_FD_CALLBACKS);
    if (table->at[rec->fd] == rec) table->at[rec->fd] = NULL;
    free(rec);
}

static void on_ready(struct cio__fd_watch *watch, int fd, unsigned events) {
    (void)fd;
    struct record *rec = cio__container_of(watch, struct record, watch);
    for (int d = READER; d <= WRITER; d++) {
        struct direction *dir = &rec->dir[d];
        if (!(events & direction_events[d]) || !dir->fn || dir->queued) continue;
        dir->queued = true;
        cio__loop_queue(rec->loop, &dir->ready);
    }
}

/* Run one queued callback, then ask to hear again while the fd stays ready. */
static void run_direction(struct record *rec, int d) {
    struct direction *dir = &rec->dir[d];
    /* Still `queued` while it runs, so that removing itself frees nothing. */
    if (dir->fn) dir->fn(dir->arg);
    dir->queued = false;
    /* The callback may have removed itself, or closed the fd with cio_close. */
    if (dir->fn && rec->loop->fds[rec->fd].watch == &rec->watch) {
        int rc = cio__io_watch(rec->loop, rec->fd, &rec->watch, wanted(rec), true);
        if (rc < 0)
            cio__complain("fd %d was closed while it had a reader or writer callback "
                          "(%s): it will not fire again; remove it or use cio_close()",
                          rec->fd, cio_strerror(rc));
    }
    release_if_unused(rec);
}

static void run_reader(struct cio__ready *entry) {
    run_direction(cio__container_of(entry, struct record, dir[READER].ready), READER);
}

static void run_writer(struct cio__ready *entry) {
    run_direction(cio__container_of(entry, struct record, dir[WRITER].ready), WRITER);
}

/* -EBADF unless fd is open; -EBUSY while a task waits on it (its reports
 * would go to the callbacks and the task would never wake). */
static int check_fd(cio_loop *loop, int fd, int d) {
    if (fd < 0 || fcntl(fd, F_GETFD) < 0) return -EBADF;
    if ((size_t)fd >= loop->fds_len) return 0;
    const struct cio__fd_waiters *waiters = &loop->fds[fd];
    if (waiters->watch && !find(loop, fd)) return -EBUSY; /* another watcher (libcurl) */
    return (d == READER ? waiters->reader : waiters->writer) ? -EBUSY : 0;
}

static int add(cio_loop *loop, int fd, int d, cio_callback fn, void *arg, const char *caller) {
    int rc = cio__loop_check(loop, caller);
    if (rc < 0) return rc;
    if (!fn) return -EINVAL;
    rc = check_fd(loop, fd, d);
    if (rc < 0) return rc;
    struct record *rec = find(loop, fd);
    if (!rec && !(rec = make_record(loop, fd))) return -ENOMEM;
    cio_callback old = rec->dir[d].fn;
    rec->dir[d].fn = fn;
    rec->dir[d].arg = arg;
    rc = cio__io_watch(loop, fd, &rec->watch, wanted(rec), true);
    if (rc < 0) {
        rec->dir[d].fn = old;
        if (!wanted(rec)) cio__io_unwatch(loop, fd);
        release_if_unused(rec);
        return rc;
    }
    if (!old) loop->io_waiters++; /* the loop can be woken by this fd: not idle */
    return 0;
}

static int remove_direction(cio_loop *loop, int fd, int d, const char *caller) {
    int rc = cio__loop_check(loop, caller);
    if (rc < 0) return rc;
    struct record *rec = find(loop, fd);
    if (!rec || !rec->dir[d].fn) return 0;
    rec->dir[d].fn = NULL;
    loop->io_waiters--;
    if (!wanted(rec) && loop->fds[fd].watch == &rec->watch) cio__io_unwatch(loop, fd);
    release_if_unused(rec);
    return 1;
}

void cio__fd_callbacks_forget(cio_loop *loop, int fd) {
    struct record *rec = find(loop, fd);
    if (!rec) return;
    for (int d = READER; d <= WRITER; d++) {
        if (rec->dir[d].fn) loop->io_waiters--;
        rec->dir[d].fn = NULL;
    }
    release_if_unused(rec);
}

int cio_add_reader(cio_loop *loop, int fd, cio_callback fn, void *arg) {
    return add(loop, fd, READER, fn, arg, "cio_add_reader");
}

int cio_add_writer(cio_loop *loop, int fd, cio_callback fn, void *arg) {
    return add(loop, fd, WRITER, fn, arg, "cio_add_writer");
}

int cio_remove_reader(cio_loop *loop, int fd) {
    return remove_direction(loop, fd, READER, "cio_remove_reader");
}

int cio_remove_writer(cio_loop *loop, int fd) {
    return remove_direction(loop, fd, WRITER, "cio_remove_writer");
}
