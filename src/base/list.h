/* src/base/list.h - intrusive circular doubly-linked list.
 * A list head is a node whose next/prev point at itself when empty. A node
 * that is not on any list has next == prev == NULL (cio__list_linked). */
#ifndef CIO_BASE_LIST_H
#define CIO_BASE_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct cio__list {
    struct cio__list *next, *prev;
};

#define cio__container_of(ptr, type, member)                                                       \
    ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

static inline void cio__list_init(struct cio__list *head) {
    head->next = head->prev = head;
}
static inline bool cio__list_empty(const struct cio__list *head) {
    return head->next == head;
}
static inline bool cio__list_linked(const struct cio__list *node) {
    return node->next != NULL;
}

static inline void cio__list_push_back(struct cio__list *head, struct cio__list *node) {
    node->prev = head->prev;
    node->next = head;
    head->prev->next = node;
    head->prev = node;
}

static inline void cio__list_remove(struct cio__list *node) {
    node->prev->next = node->next;
    node->next->prev = node->prev;
    node->next = node->prev = NULL;
}

/* Remove and return the first node, or NULL when empty. */
static inline struct cio__list *cio__list_pop_front(struct cio__list *head) {
    if (cio__list_empty(head)) return NULL;
    struct cio__list *node = head->next;
    cio__list_remove(node);
    return node;
}

#endif
