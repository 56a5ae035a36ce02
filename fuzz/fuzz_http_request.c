/* fuzz_http_request: arbitrary bytes as an HTTP request head (and, when it
 * says chunked, what follows as its body). Input: one byte of settings
 * (bit 0: small limits; bit 6: the rest is a chunked body, not a request),
 * then the message. Checks (http_fuzz.h): whole == fed in pieces, slices
 * inside the buffer, no crash, no leak, no UB. */
#include "http_fuzz.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    if (size < 1) return 0;
    unsigned char seed = data[0];
    cio_http_parser_options opts = fuzz_options(seed);
    data++, size--;
    if (seed & 0x40) {
        fuzz_chunked((const char *)data, size, data, size, &opts);
        return 0;
    }
    cio_http_header slots[FUZZ_SLOTS];
    cio_http_head head;
    char *buf;
    ssize_t rc = fuzz_parse_both(CIO_HTTP_REQUEST, data, size, &opts, slots, &head, &buf);
    if (rc > 0) {
        FUZZ_CHECK(head.method.len > 0 && head.target.len > 0 && head.status == 0);
        FUZZ_CHECK(head.body != CIO_HTTP_BODY_EOF);
        if (head.body == CIO_HTTP_BODY_CHUNKED)
            fuzz_chunked(buf + rc, size - (size_t)rc, data, size, &opts);
    }
    free(buf);
    return 0;
}
