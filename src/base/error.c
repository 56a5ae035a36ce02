#include <cio/base.h>
#include <cio/http_parser.h>

#include <netdb.h>
#include <stdio.h>
#include <string.h>

const char *cio_strerror(int err) {
    if (err < 0) err = -err;
    if (err == 0) return "Success";
    switch (err) {
#define CIO_ERROR_CASE(name, value, message)                                                       \
    case name:                                                                                     \
        return message;
        CIO_ERROR_TABLE(CIO_ERROR_CASE)
#undef CIO_ERROR_CASE
#define CIO_HTTP_ERROR_CASE(name, value, status, message)                                          \
    case name:                                                                                     \
        return message;
        CIO_HTTP_ERROR_TABLE(CIO_HTTP_ERROR_CASE)
#undef CIO_HTTP_ERROR_CASE
    default:
        break;
    }
    if (err >= CIO_EUSER_BASE && err <= CIO_EUSER_MAX) {
        static _Thread_local char text[32];
        snprintf(text, sizeof text, "application error %d", err - CIO_EUSER_BASE);
        return text;
    }
    /* strerrordesc_np is thread-safe and never localised (glibc >= 2.32). */
    const char *text = strerrordesc_np(err);
    return text ? text : "Unknown error";
}

const char *cio_version(void) {
    return CIO_VERSION_STRING;
}
