/* cio/base.h - version, visibility, errors and the task-failure encoding.
 *
 * Every cio function that can fail returns an int: 0 (or a count) on success,
 * or a negative errno such as -ECANCELED, -ETIMEDOUT or -EINVAL. cio adds a
 * few codes of its own (CIO_E*), all in the range 2000..4095 so they never
 * collide with the kernel's errnos and still fit cio_fail()'s encoding.
 * cio_strerror() turns any of them into text. */
#ifndef CIO_BASE_H
#define CIO_BASE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CIO_VERSION_MAJOR  0
#define CIO_VERSION_MINOR  1
#define CIO_VERSION_PATCH  0
#define CIO_VERSION_STRING "0.1.0"

#if defined(_WIN32)
#define CIO_EXPORT __declspec(dllexport)
#elif defined(__GNUC__)
#define CIO_EXPORT __attribute__((visibility("default")))
#else
#define CIO_EXPORT
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* cio's own error codes, returned negated like errnos (e.g. -CIO_EINCOMPLETE).
 * X(name, value, message): one table feeds the enum and cio_strerror(). */
#define CIO_ERROR_TABLE(X)                                                                         \
    X(CIO_EINCOMPLETE, 2001, "stream ended before the requested bytes arrived")                    \
    X(CIO_ELIMIT, 2002, "separator not found within the buffer limit")                             \
    X(CIO_EBROKEN, 2003, "barrier is broken")                                                      \
    X(CIO_ESHUTDOWN, 2004, "queue is shut down")                                                   \
    X(CIO_ECLOSED, 2005, "object is closed")                                                       \
    X(CIO_ENOTFOUND, 2006, "name or service not known")                                            \
    X(CIO_ERESOLVE, 2007, "temporary failure in name resolution")                                  \
    X(CIO_ESERVER, 2008, "the server answered with an error")

enum cio_error {
#define CIO_ERROR_ENUM(name, value, message) name = value,
    CIO_ERROR_TABLE(CIO_ERROR_ENUM)
#undef CIO_ERROR_ENUM
        CIO_ERROR_MAX = 4095 /* cio_fail() can carry any code up to this */
};

/* Text for a status code: err may be negative (as returned) or positive.
 * Returns a static string; never NULL. Thread-safe. */
CIO_EXPORT const char *cio_strerror(int err);

/* The version this library was built as, e.g. "0.1.0". Thread-safe. */
CIO_EXPORT const char *cio_version(void);

/* A task fails by returning cio_fail(err) from its function: the error is
 * encoded in the returned pointer, in the last page of the address space where
 * no valid result can live (the Linux kernel's ERR_PTR idiom). err is a
 * negative errno (a positive one is negated); 0 or a code outside 1..4095
 * becomes -EINVAL. cio_await() on that task then returns err. */
static inline void *cio_fail(int err) {
    if (err > 0) err = -err;
    if (err == 0 || err < -CIO_ERROR_MAX) err = -EINVAL;
    return (void *)(intptr_t)err;
}

/* True if p is an error made by cio_fail(). */
static inline bool cio_is_error(const void *p) {
    return (uintptr_t)p >= (uintptr_t)-CIO_ERROR_MAX;
}

/* The negative errno inside a cio_fail() pointer, or 0 if p is a result. */
static inline int cio_error_of(const void *p) {
    return cio_is_error(p) ? (int)(intptr_t)p : 0;
}

#ifdef __cplusplus
}
#endif
#endif
