/* store.h - mini_redis's keyspace: a hash table of binary-safe string keys
 * and values, each with an optional expiry time (Unix milliseconds).
 *
 * Expiry is lazy plus a sweep, as Redis does it: a key past its time is
 * deleted when a command touches it, and store_sweep() (called from a timer
 * task) walks a slice of the table each tick so keys nobody reads go too. */
#ifndef MINI_REDIS_STORE_H
#define MINI_REDIS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct entry {
    struct entry *next; /* the bucket's chain */
    uint64_t hash;
    int64_t expires; /* Unix ms; -1: never */
    char *value;
    size_t vlen;
    size_t klen;
    char key[]; /* klen bytes */
} entry;

typedef struct store {
    entry **buckets;
    size_t nbuckets; /* a power of two */
    size_t count;
    size_t sweep_cursor;
} store;

/* Unix time in milliseconds, the clock expiry times are on. */
int64_t store_now_ms(void);

int store_init(store *s);
void store_clear(store *s); /* drop every key (FLUSHALL); the table stays usable */
void store_destroy(store *s);

/* The live entry for key, or NULL (an expired one is deleted first). */
entry *store_get(store *s, const char *key, size_t klen);

/* Set key to a copy of value; expires -1 for none. keep_ttl leaves the
 * expiry of an existing key as it was. Returns the entry, or NULL when out
 * of memory. */
entry *store_set(store *s, const char *key, size_t klen, const char *value, size_t vlen,
                 int64_t expires, bool keep_ttl);

/* Delete key; true if it existed (and had not expired). */
bool store_del(store *s, const char *key, size_t klen);

/* Delete the expired keys in the next `budget` buckets. */
void store_sweep(store *s, size_t budget);

#endif
