/* src/pg/notify.c - LISTEN / NOTIFY: notifications arrive on the socket
 * between statements; a task waits for the next one. */
#include "pg/pg.h"

#include <stdlib.h>
#include <string.h>

/* One block: the struct, then the channel and payload texts. */
static cio_pg_notification *copy_notification(const PGnotify *notify) {
    size_t channel = strlen(notify->relname) + 1, payload = strlen(notify->extra) + 1;
    cio_pg_notification *copy = malloc(sizeof *copy + channel + payload);
    if (!copy) return NULL;
    char *text = (char *)(copy + 1);
    memcpy(text, notify->relname, channel);
    memcpy(text + channel, notify->extra, payload);
    *copy =
        (cio_pg_notification){.channel = text, .payload = text + channel, .pid = notify->be_pid};
    return copy;
}

static int take(cio_pg *conn, cio_pg_notification **out) {
    if (!PQconsumeInput(conn->pq)) return cio__pg_connection_error(conn);
    PGnotify *notify = PQnotifies(conn->pq);
    if (!notify) return -EAGAIN;
    *out = copy_notification(notify);
    PQfreemem(notify);
    return *out ? 0 : -ENOMEM;
}

static int wait_for_one(cio_pg *conn, cio_pg_notification **out) {
    int rc;
    while ((rc = take(conn, out)) == -EAGAIN) {
        rc = cio__pg_wait(conn, false, -1);
        if (rc < 0) break;
    }
    return rc;
}

int cio_pg_notification_wait(cio_pg *conn, double timeout, cio_pg_notification **out) {
    if (!out) return -EINVAL;
    *out = NULL;
    int rc = cio__pg_enter(conn, "cio_pg_notification_wait");
    if (rc < 0) return rc;
    if (conn->mode != PG_IDLE) {
        cio__pg_leave(conn);
        return -EBUSY;
    }
    cio_timeout scope;
    if (timeout >= 0) cio_timeout_begin(&scope, timeout);
    rc = wait_for_one(conn, out);
    if (timeout >= 0) {
        int expired = cio_timeout_end(&scope);
        if (expired < 0 && rc != 0) rc = expired; /* one taken is never dropped */
    }
    cio__pg_leave(conn);
    return rc;
}
