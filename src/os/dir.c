/* src/os/dir.c - cio_list_dir: readdir on the loop's default pool.
 *
 * The listing is built on the pool thread into one block (the entry array,
 * then the names), so the caller frees it with one free() and a cancelled
 * caller's listing is freed by the job's discard. */
#include "os/os.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

struct listing {
    char *path;             /* the caller's path, copied: the job may outlive the call */
    cio_dir_entry *entries; /* the block handed to the caller */
    size_t count;
};

struct name_list {
    char **names;
    unsigned char *types;
    size_t count, cap;
};

static int name_list_add(struct name_list *list, const struct dirent *entry) {
    if (list->count == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 32;
        char **names = realloc(list->names, cap * sizeof *names);
        if (names) list->names = names;
        unsigned char *types = names ? realloc(list->types, cap) : NULL;
        if (!types) return -ENOMEM;
        list->types = types;
        list->cap = cap;
    }
    char *name = strdup(entry->d_name);
    if (!name) return -ENOMEM;
    list->names[list->count] = name;
    list->types[list->count++] = entry->d_type;
    return 0;
}

static void name_list_free(struct name_list *list) {
    for (size_t i = 0; i < list->count; i++) free(list->names[i]);
    free(list->names);
    free(list->types);
}

static int read_names(const char *path, struct name_list *list) {
    DIR *dir = opendir(path);
    if (!dir) return -errno;
    int rc = 0;
    for (;;) {
        errno = 0;
        struct dirent *entry = readdir(dir);
        if (!entry) {
            rc = -errno; /* 0 at the end */
            break;
        }
        const char *name = entry->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
        if ((rc = name_list_add(list, entry)) < 0) break;
    }
    closedir(dir);
    return rc;
}

static int by_name(const void *a, const void *b) {
    const cio_dir_entry *x = a, *y = b;
    return strcmp(x->name, y->name);
}

/* Pack the names into one block of entries followed by their text. */
static cio_dir_entry *pack(const struct name_list *list) {
    size_t text = 0;
    for (size_t i = 0; i < list->count; i++) text += strlen(list->names[i]) + 1;
    cio_dir_entry *entries = malloc(list->count * sizeof *entries + text + 1);
    if (!entries) return NULL;
    char *at = (char *)(entries + list->count);
    for (size_t i = 0; i < list->count; i++) {
        size_t len = strlen(list->names[i]) + 1;
        memcpy(at, list->names[i], len);
        entries[i] = (cio_dir_entry){.name = at, .type = list->types[i]};
        at += len;
    }
    qsort(entries, list->count, sizeof *entries, by_name);
    return entries;
}

/* On the pool thread. */
static void *list_job(void *arg) {
    struct listing *listing = arg;
    struct name_list list = {0};
    int rc = read_names(listing->path, &list);
    if (rc == 0 && !(listing->entries = pack(&list))) rc = -ENOMEM;
    listing->count = list.count;
    name_list_free(&list);
    return rc < 0 ? cio_fail(rc) : listing;
}

static void listing_free(void *arg, void *result) {
    (void)result;
    struct listing *listing = arg;
    free(listing->entries);
    free(listing->path);
    free(listing);
}

int cio_list_dir(const char *path, cio_dir_entry **entries, size_t *count) {
    if (entries) *entries = NULL;
    if (count) *count = 0;
    if (!path || !entries || !count) return -EINVAL;
    struct listing *listing = calloc(1, sizeof *listing);
    if (!listing || !(listing->path = strdup(path))) {
        free(listing);
        return -ENOMEM;
    }
    int rc = cio_run_in_executor(NULL, list_job, listing, listing_free, NULL);
    if (rc == 0) {
        *entries = listing->entries;
        *count = listing->count;
        listing->entries = NULL;
    }
    /* Interrupted after the job started: it owns listing and frees it. */
    if (rc == 0 || !(rc == -ECANCELED || rc == -ETIMEDOUT)) listing_free(listing, NULL);
    return rc;
}
