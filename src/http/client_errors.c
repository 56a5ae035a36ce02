/* src/http/client_errors.c - libcurl's CURLcode as cio's negative errno.
 *
 * Where libcurl knows the system's errno (a refused or unreachable connect,
 * a reset), that errno is the answer; else the code's nearest errno. The
 * text libcurl wrote is kept beside it (see client_request.c). */
#ifdef CIO_HAVE_CURL
#include "http/client.h"

static int connect_errno(CURL *easy) {
    long os = 0;
    if (easy) curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os);
    return os > 0 ? -(int)os : -ECONNREFUSED;
}

static int tls_errno(CURLcode code) {
    switch (code) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
        return -EPROTO;
    default:
        return 0;
    }
}

int cio__http_errno(CURLcode code, CURL *easy) {
    switch (code) {
    case CURLE_OK:
        return 0;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return -CIO_ENOTFOUND;
    case CURLE_COULDNT_CONNECT:
        return connect_errno(easy);
    case CURLE_OPERATION_TIMEDOUT:
        return -ETIMEDOUT;
    case CURLE_TOO_MANY_REDIRECTS:
        return -ELOOP;
    case CURLE_FILESIZE_EXCEEDED:
        return -EFBIG;
    case CURLE_OUT_OF_MEMORY:
        return -ENOMEM;
    case CURLE_URL_MALFORMAT:
        return -EINVAL;
    case CURLE_UNSUPPORTED_PROTOCOL:
        return -EPROTONOSUPPORT;
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
        return -ECONNRESET;
    case CURLE_SEND_ERROR:
        return -EPIPE;
    case CURLE_PARTIAL_FILE:
        return -CIO_EINCOMPLETE;
    case CURLE_BAD_CONTENT_ENCODING:
        return -EBADMSG;
    case CURLE_ABORTED_BY_CALLBACK:
        return -ECANCELED;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
        return -EPROTO;
    case CURLE_READ_ERROR:
    case CURLE_WRITE_ERROR:
        return -EIO;
    default:
        break;
    }
    int tls = tls_errno(code);
    return tls ? tls : -EIO;
}

#else
typedef int cio__http_client_errors_unused; /* built without libcurl */
#endif
