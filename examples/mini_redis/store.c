/* store.c - the keyspace: chained hashing, doubling when the load passes 1. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "store.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t store_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* FNV-1a: short keys dominate, and it is a few lines. */
static uint64_t hash_of(const char *key, size_t len) {
    uint64_t h = 1469598103934665603u;
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)key[i]) * 1099511628211u;
    return h;
}

int store_init(store *s) {
    *s = (store){.nbuckets = 1024};
    s->buckets = calloc(s->nbuckets, sizeof *s->buckets);
    return s->buckets ? 0 : -1;
}

static void free_entry(entry *e) {
    free(e->value);
    free(e);
}

void store_clear(store *s) {
    for (size_t i = 0; i < s->nbuckets; i++) {
        while (s->buckets[i]) {
            entry *e = s->buckets[i];
            s->buckets[i] = e->next;
            free_entry(e);
        }
    }
    s->count = 0;
}

void store_destroy(store *s) {
    store_clear(s);
    free(s->buckets);
}

static bool expired(const entry *e, int64_t now) {
    return e->expires >= 0 && e->expires <= now;
}

/* The link that points at key's entry (or at the NULL ending its chain). */
static entry **find_link(store *s, const char *key, size_t klen, uint64_t h) {
    entry **link = &s->buckets[h & (s->nbuckets - 1)];
    while (*link &&
           !((*link)->hash == h && (*link)->klen == klen && memcmp((*link)->key, key, klen) == 0))
        link = &(*link)->next;
    return link;
}

static void unlink_entry(store *s, entry **link) {
    entry *e = *link;
    *link = e->next;
    free_entry(e);
    s->count--;
}

entry *store_get(store *s, const char *key, size_t klen) {
    entry **link = find_link(s, key, klen, hash_of(key, klen));
    if (*link && expired(*link, store_now_ms())) unlink_entry(s, link);
    return *link;
}

static void grow(store *s) {
    size_t n = s->nbuckets * 2;
    entry **b = calloc(n, sizeof *b);
    if (!b) return; /* stay at this size: slower, still correct */
    for (size_t i = 0; i < s->nbuckets; i++) {
        for (entry *e = s->buckets[i], *next; e; e = next) {
            next = e->next;
            e->next = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
        }
    }
    free(s->buckets);
    s->buckets = b;
    s->nbuckets = n;
    s->sweep_cursor = 0;
}

entry *store_set(store *s, const char *key, size_t klen, const char *value, size_t vlen,
                 int64_t expires, bool keep_ttl) {
    char *copy = malloc(vlen ? vlen : 1);
    if (!copy) return NULL;
    memcpy(copy, value, vlen);
    uint64_t h = hash_of(key, klen);
    entry **link = find_link(s, key, klen, h);
    entry *e = *link;
    if (e && expired(e, store_now_ms())) keep_ttl = false; /* a dead key's TTL is gone */
    if (!e) {
        e = malloc(sizeof *e + klen);
        if (!e) {
            free(copy);
            return NULL;
        }
        *e = (entry){.hash = h, .klen = klen, .expires = -1};
        memcpy(e->key, key, klen);
        *link = e;
        s->count++;
    }
    free(e->value);
    e->value = copy;
    e->vlen = vlen;
    if (!keep_ttl) e->expires = expires;
    if (s->count > s->nbuckets) grow(s);
    return e;
}

bool store_del(store *s, const char *key, size_t klen) {
    entry **link = find_link(s, key, klen, hash_of(key, klen));
    if (!*link) return false;
    bool live = !expired(*link, store_now_ms());
    unlink_entry(s, link);
    return live;
}

void store_sweep(store *s, size_t budget) {
    int64_t now = store_now_ms();
    for (; budget > 0; budget--) {
        size_t i = s->sweep_cursor++ & (s->nbuckets - 1);
        for (entry **link = &s->buckets[i]; *link;) {
            if (expired(*link, now))
                unlink_entry(s, link);
            else
                link = &(*link)->next;
        }
    }
}
