/* fuzz_http_response: arbitrary bytes as an HTTP response head (and its
 * chunked body). Input: one byte of settings (bit 0: small limits; bit 1:
 * the response answers a HEAD request), then the message. Checks as
 * fuzz_http_request, plus the framing rules a response must follow. */
#include "http_fuzz.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    if (size < 1) return 0;
    unsigned char seed = data[0];
    cio_http_parser_options opts = fuzz_options(seed);
    cio_http_kind kind = (seed & 2) ? CIO_HTTP_RESPONSE_TO_HEAD : CIO_HTTP_RESPONSE;
    data++, size--;
    cio_http_header slots[FUZZ_SLOTS];
    cio_http_head head;
    char *buf;
    ssize_t rc = fuzz_parse_both(kind, data, size, &opts, slots, &head, &buf);
    if (rc > 0) {
        FUZZ_CHECK(head.status >= 100 && head.status <= 999 && head.method.len == 0);
        bool bodyless = kind == CIO_HTTP_RESPONSE_TO_HEAD || head.status < 200 ||
                        head.status == 204 || head.status == 304;
        FUZZ_CHECK(!bodyless || head.body == CIO_HTTP_BODY_NONE);
        FUZZ_CHECK(head.body != CIO_HTTP_BODY_EOF || !head.keep_alive);
        if (head.body == CIO_HTTP_BODY_CHUNKED)
            fuzz_chunked(buf + rc, size - (size_t)rc, data, size, &opts);
    }
    free(buf);
    return 0;
}
