/* reply.c - turn a parsed RESP message (a flat tree of slots borrowing the
 * read buffer) into a cio_redis_reply tree the caller owns: one malloc for
 * the nodes and the text, so one free releases it. */
#include <stdlib.h>
#include <string.h>

#include "redis.h"

typedef struct arena {
    cio_redis_reply *nodes; /* nodes[0] is the root */
    size_t next_node;
    char *text;
} arena;

static cio_redis_reply_type type_of(cio_resp_type t) {
    switch (t) {
    case CIO_RESP_SIMPLE:
        return CIO_REDIS_STATUS;
    case CIO_RESP_ERROR:
        return CIO_REDIS_ERROR;
    case CIO_RESP_INTEGER:
        return CIO_REDIS_INTEGER;
    case CIO_RESP_BULK:
        return CIO_REDIS_STRING;
    case CIO_RESP_ARRAY:
        return CIO_REDIS_ARRAY;
    default:
        return CIO_REDIS_NIL;
    }
}

/* Fill dst from slots[i]; an array's elements take the next count free
 * nodes, so siblings are contiguous (dst->elements[k]). */
static void fill(const cio_resp_value *slots, size_t i, cio_redis_reply *dst, arena *a) {
    const cio_resp_value *v = &slots[i];
    *dst = (cio_redis_reply){.type = type_of(v->type), .integer = v->integer};
    if (v->type == CIO_RESP_SIMPLE || v->type == CIO_RESP_ERROR || v->type == CIO_RESP_BULK) {
        dst->str = a->text;
        dst->len = v->len;
        if (v->len) memcpy(a->text, v->str, v->len);
        a->text[v->len] = '\0';
        a->text += v->len + 1;
    }
    if (v->type != CIO_RESP_ARRAY) return;
    dst->count = v->count;
    dst->elements = v->count ? &a->nodes[a->next_node] : NULL;
    a->next_node += v->count;
    size_t child = i + 1;
    for (size_t k = 0; k < v->count; k++) {
        fill(slots, child, &dst->elements[k], a);
        child = slots[child].next;
    }
}

int cio__redis_reply_build(const cio_resp_value *slots, cio_redis_reply **out) {
    size_t nodes = slots[0].next, text = 0;
    for (size_t i = 0; i < nodes; i++)
        if (slots[i].type == CIO_RESP_BULK || slots[i].type == CIO_RESP_SIMPLE ||
            slots[i].type == CIO_RESP_ERROR)
            text += slots[i].len + 1;
    cio_redis_reply *root = malloc(nodes * sizeof *root + text);
    if (!root) return -ENOMEM;
    arena a = {.nodes = root, .next_node = 1, .text = (char *)(root + nodes)};
    fill(slots, 0, root, &a);
    *out = root;
    return 0;
}

void cio_redis_reply_free(cio_redis_reply *reply) {
    free(reply);
}
