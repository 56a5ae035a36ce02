/* Internals of the WebSocket code shared with its tests. */
#ifndef CIO_HTTP_WEBSOCKET_H
#define CIO_HTTP_WEBSOCKET_H

#include <stddef.h>
#include <stdint.h>

/* SHA-1 (FIPS 180-4) of data[0 .. len - 1] into digest. */
void cio__websocket_sha1(const void *data, size_t len, uint8_t digest[20]);

/* Standard base64 (RFC 4648, with padding) of data into out, which gets
 * 4 * ((len + 2) / 3) characters and a NUL. */
void cio__websocket_base64(const uint8_t *data, size_t len, char *out);

#endif
