/* src/core/handle.c - stale handles: the quarantine every heap handle goes
 * through when freed, and the check that reports a freed one.
 *
 * A handle used after its free still points at its old struct, which the
 * free poisoned (CIO__DEAD_MAGIC) and left here instead of giving it back to
 * malloc: the call is refused with a report naming it, instead of reading
 * memory malloc may have handed to something else. The ring is process-wide
 * (handles are freed on many threads, and rarely on a hot path: a lock is
 * cheap here) and holds the last CIO__QUARANTINE structs; they are never
 * reused for new handles, which would turn a stale handle into a live one.
 * A handle used after CIO__QUARANTINE more frees is a plain use after free
 * again, which ASan and valgrind still catch. Tasks have their own
 * quarantine (task.c's per-loop spares), being reused. */
#include "core/core.h"

#include <stdlib.h>

static struct {
    pthread_mutex_t lock;
    void *ring[CIO__QUARANTINE];
    unsigned next;
} quarantine = {.lock = PTHREAD_MUTEX_INITIALIZER};

void cio__handle_retire(void *handle) {
    if (!handle) return;
    *(uint32_t *)handle = CIO__DEAD_MAGIC;
    pthread_mutex_lock(&quarantine.lock);
    void *oldest = quarantine.ring[quarantine.next];
    quarantine.ring[quarantine.next] = handle;
    quarantine.next = (quarantine.next + 1) % CIO__QUARANTINE;
    pthread_mutex_unlock(&quarantine.lock);
    free(oldest);
}

int cio__handle_check_slow(const void *handle, uint32_t magic, const char *kind,
                           const char *caller) {
    if (!handle) return -EINVAL;
    uint32_t seen = *(const uint32_t *)handle;
    if (seen == magic) return 0;
    if (seen == CIO__DEAD_MAGIC)
        cio__complain("%s: the %s was freed (a stale handle)", caller, kind);
    else
        cio__complain("%s: not a %s (a stale or corrupt handle)", caller, kind);
    return -EINVAL;
}

/* At exit, so leak checkers see nothing held. */
__attribute__((destructor)) static void quarantine_flush(void) {
    for (unsigned i = 0; i < CIO__QUARANTINE; i++) {
        free(quarantine.ring[i]);
        quarantine.ring[i] = NULL;
    }
}
