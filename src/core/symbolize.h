/* src/core/symbolize.h - names for code addresses (symbolize.c): dladdr,
 * then the object file's own symbol table for hidden and static functions.
 * Only src/core includes it. */
#ifndef CIO_CORE_SYMBOLIZE_H
#define CIO_CORE_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Keeps the last object file mapped across the frames of one backtrace.
 * Zero-initialise; cio__symbolizer_done() unmaps. */
struct cio__symbolizer {
    void *map;
    size_t len;
    char path[4096];
};

/* The function containing the return address addr, or NULL when no table
 * names it; *offset is addr's offset in it. *object is the file's base name
 * and *object_offset addr's offset in it (for addr2line), always set. */
const char *cio__symbolize(struct cio__symbolizer *s, const void *addr, size_t *offset,
                           const char **object, size_t *object_offset);
void cio__symbolizer_done(struct cio__symbolizer *s);

#endif
