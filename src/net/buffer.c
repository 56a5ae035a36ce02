/* src/net/buffer.c - the byte buffers behind a stream's reads and writes.
 *
 * One contiguous block per direction, grown by doubling and kept for the
 * stream's life, so steady-state reads and writes allocate nothing. Consumed
 * bytes are skipped by moving start; they are reclaimed when the buffer
 * empties (start and end go back to 0) or when reserve needs the room. */
#include "net/net.h"

#include <stdlib.h>
#include <string.h>

/* Smallest block a buffer grows to: one page of payload. */
#define MIN_CAPACITY 4096

int cio__buffer_make_room(struct cio__buffer *buffer, size_t room) {
    size_t live = cio__buffer_len(buffer);
    if (buffer->start > 0 && buffer->cap - live >= room) {
        memmove(buffer->data, buffer->data + buffer->start, live);
        buffer->start = 0;
        buffer->end = live;
        return 0;
    }
    size_t cap = buffer->cap ? buffer->cap : MIN_CAPACITY;
    while (cap - live < room) {
        if (cap > SIZE_MAX / 2) return -ENOMEM;
        cap *= 2;
    }
    char *data = malloc(cap);
    if (!data) return -ENOMEM;
    if (live) memcpy(data, buffer->data + buffer->start, live);
    free(buffer->data);
    buffer->data = data;
    buffer->cap = cap;
    buffer->start = 0;
    buffer->end = live;
    return 0;
}

int cio__buffer_append(struct cio__buffer *buffer, const void *data, size_t len) {
    if (len == 0) return 0;
    int rc = cio__buffer_reserve(buffer, len);
    if (rc < 0) return rc;
    memcpy(buffer->data + buffer->end, data, len);
    buffer->end += len;
    return 0;
}

void cio__buffer_consume(struct cio__buffer *buffer, size_t len) {
    buffer->start += len;
    if (buffer->start == buffer->end) buffer->start = buffer->end = 0;
}

void cio__buffer_clear(struct cio__buffer *buffer) {
    buffer->start = buffer->end = 0;
}

void cio__buffer_free(struct cio__buffer *buffer) {
    free(buffer->data);
    *buffer = (struct cio__buffer){0};
}
