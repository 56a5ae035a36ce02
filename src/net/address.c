/* src/net/address.c - addresses as text, Unix socket paths, resolving
 * host:port pairs, and the socket options every connection gets. */
#include "net/net.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>

/* ---- formatting ------------------------------------------------------------------------ */

static int format_inet(const struct sockaddr_in *in, char *buf, size_t cap) {
    char host[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    return snprintf(buf, cap, "%s:%u", host, ntohs(in->sin_port));
}

static int format_inet6(const struct sockaddr_in6 *in6, char *buf, size_t cap) {
    char host[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    if (in6->sin6_scope_id)
        return snprintf(buf, cap, "[%s%%%u]:%u", host, in6->sin6_scope_id, ntohs(in6->sin6_port));
    return snprintf(buf, cap, "[%s]:%u", host, ntohs(in6->sin6_port));
}

/* A Unix address's path is what follows the family, up to addrlen; an
 * abstract one starts with a NUL, shown as '@'. */
static int format_unix(const struct sockaddr_un *un, socklen_t addrlen, char *buf, size_t cap) {
    size_t len = addrlen > offsetof(struct sockaddr_un, sun_path)
                     ? addrlen - offsetof(struct sockaddr_un, sun_path)
                     : 0;
    if (len > sizeof un->sun_path) len = sizeof un->sun_path;
    if (len == 0) return snprintf(buf, cap, "%s", "");
    if (un->sun_path[0] == '\0')
        return snprintf(buf, cap, "@%.*s", (int)(len - 1), un->sun_path + 1);
    return snprintf(buf, cap, "%.*s", (int)strnlen(un->sun_path, len), un->sun_path);
}

int cio_format_address(const struct sockaddr *addr, socklen_t addrlen, char *buf, size_t cap) {
    if (!addr || !buf || addrlen < (socklen_t)sizeof(sa_family_t)) return -EINVAL;
    int len;
    if (addr->sa_family == AF_INET && addrlen >= (socklen_t)sizeof(struct sockaddr_in))
        len = format_inet((const struct sockaddr_in *)(const void *)addr, buf, cap);
    else if (addr->sa_family == AF_INET6 && addrlen >= (socklen_t)sizeof(struct sockaddr_in6))
        len = format_inet6((const struct sockaddr_in6 *)(const void *)addr, buf, cap);
    else if (addr->sa_family == AF_UNIX)
        len = format_unix((const struct sockaddr_un *)(const void *)addr, addrlen, buf, cap);
    else if (addr->sa_family == AF_INET || addr->sa_family == AF_INET6)
        return -EINVAL;
    else
        return -EAFNOSUPPORT;
    return len < 0 || (size_t)len >= cap ? -ENOSPC : len;
}

/* ---- Unix socket paths -------------------------------------------------------------------- */

int cio__net_unix_address(const char *path, struct sockaddr_un *addr, socklen_t *len) {
    size_t path_len = strlen(path);
    if (path_len == 0) return -EINVAL;
    /* A filesystem path needs its NUL inside sun_path; an abstract name does not. */
    if (path_len + (path[0] == '@' ? 0 : 1) > sizeof addr->sun_path) return -ENAMETOOLONG;
    memset(addr, 0, sizeof *addr);
    addr->sun_family = AF_UNIX;
    memcpy(addr->sun_path, path, path_len);
    if (path[0] == '@') addr->sun_path[0] = '\0';
    *len =
        (socklen_t)(offsetof(struct sockaddr_un, sun_path) + path_len + (path[0] == '@' ? 0 : 1));
    return 0;
}

/* ---- resolving host:port --------------------------------------------------------------------- */

int cio__net_resolve(const char *host, int port, int family, int socktype, int flags,
                     struct addrinfo **res) {
    if (port < 0 || port > 65535) return -EINVAL;
    char service[8];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints = {
        .ai_family = family, .ai_socktype = socktype, .ai_flags = flags | AI_NUMERICSERV};
    return cio_getaddrinfo(host && *host ? host : NULL, service, &hints, res);
}

/* ---- per-connection options ------------------------------------------------------------------ */

void cio__net_tune(int fd, int family, bool nagle, bool keepalive) {
    if (family != AF_INET && family != AF_INET6) return;
    int on = 1;
    if (!nagle) (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    if (keepalive) (void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
}
