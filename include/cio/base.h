/* cio/base.h - version, visibility, errors and the task-failure encoding.
 *
 * Every cio function that can fail returns an int: 0 (or a count) on success,
 * or a negative errno such as -ECANCELED, -ETIMEDOUT or -EINVAL. cio adds a
 * few codes of its own (CIO_E*), in 2000..3071 so they never collide with the
 * kernel's errnos and still fit cio_fail()'s encoding. Applications have
 * 3072..4095 to themselves (CIO_EUSER). cio_strerror() turns any of them into
 * text. */
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

#if defined(__GNUC__)
#define CIO_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define CIO_PRINTF(fmt, args)
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
    X(CIO_ESERVER, 2008, "the server answered with an error")                                      \
    X(CIO_EBADCODE, 2009, "cio_fail() was given a code outside 1..4095")                           \
    X(CIO_ECERTIFICATE, 2010, "the peer's TLS certificate failed verification")                    \
    X(CIO_ETRUNCATED, 2011, "the peer closed the TLS connection without close_notify")

enum cio_error {
#define CIO_ERROR_ENUM(name, value, message) name = value,
    CIO_ERROR_TABLE(CIO_ERROR_ENUM)
#undef CIO_ERROR_ENUM
        CIO_ERROR_MAX = 4095 /* cio_fail() can carry any code up to this */
};

/* Application error codes: CIO_EUSER(0) .. CIO_EUSER(1023), returned negated
 * like the others (cio_fail(-CIO_EUSER(3))). They collide with no errno and
 * no cio code; cio_strerror() names them "application error N". */
#define CIO_EUSER_BASE 3072
#define CIO_EUSER_MAX  CIO_ERROR_MAX
#define CIO_EUSER(n)   (CIO_EUSER_BASE + (n))

/* Text for a status code: err may be negative (as returned) or positive.
 * Never NULL. Thread-safe. A static string, except for application codes
 * ("application error N"), which are written to a per-thread buffer that the
 * thread's next call for such a code overwrites. */
CIO_EXPORT const char *cio_strerror(int err);

/* The version this library was built as, e.g. "0.1.0". Thread-safe. */
CIO_EXPORT const char *cio_version(void);

/* A task fails by returning cio_fail(err) from its function: the error is
 * encoded in the returned pointer, in the last page of the address space where
 * no valid result can live (the Linux kernel's ERR_PTR idiom). err is a
 * negative errno, a cio code or an application code (-CIO_EUSER(n)); a
 * positive one is negated. 0 becomes -EINVAL, and a code outside 1..4095
 * -CIO_EBADCODE (so the mistake shows). cio_await() on that task then
 * returns err. To fail with a message as well, see cio_fail_msg() (task.h). */
static inline void *cio_fail(int err) {
    if (err > 0) err = -err;
    if (err == 0) err = -EINVAL;
    if (err < -CIO_ERROR_MAX) err = -CIO_EBADCODE;
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
