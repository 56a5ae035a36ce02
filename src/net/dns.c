/* src/net/dns.c - name resolution that does not block the loop.
 *
 * Why a thread pool and not c-ares: getaddrinfo(3) is what every other
 * program on the machine uses, so cio answers exactly as they do (nsswitch,
 * /etc/hosts, mDNS and LDAP modules, search domains, AI_ADDRCONFIG), with no
 * extra dependency. Its cost, a thread hop per lookup (a few microseconds),
 * is small against a resolver round trip, and numeric hosts, the common case
 * for servers and tests, skip it entirely: they are parsed on the loop
 * thread. asyncio makes the same choice (loop.getaddrinfo runs in the
 * default executor). See docs/streams.md.
 *
 * A lookup's state lives on the heap, never on the caller's stack: if the
 * caller is cancelled, cio_run_in_executor returns at once and the job keeps
 * running; discard_*() then frees the state and its result on the loop
 * thread, so nothing leaks and nothing is cached. */
#include "net/net.h"

#include <netdb.h>
#include <stdio.h>

#include <stdlib.h>
#include <string.h>

static bool all_digits(const char *text) {
    if (!*text) return false;
    for (; *text; text++)
        if (*text < '0' || *text > '9') return false;
    return true;
}

/* getaddrinfo(3)'s EAI_* code as cio's negative errno. */
static int from_gai(int gai_error, int saved_errno) {
    switch (gai_error) {
    case 0:
        return 0;
    case EAI_NONAME:
#ifdef EAI_NODATA
    case EAI_NODATA:
#endif
#ifdef EAI_ADDRFAMILY
    case EAI_ADDRFAMILY:
#endif
    case EAI_SERVICE:
        return -CIO_ENOTFOUND;
    case EAI_AGAIN:
    case EAI_FAIL:
        return -CIO_ERESOLVE;
    case EAI_FAMILY:
        return -EAFNOSUPPORT;
    case EAI_SOCKTYPE:
        return -ESOCKTNOSUPPORT;
    case EAI_BADFLAGS:
        return -EINVAL;
    case EAI_MEMORY:
        return -ENOMEM;
    case EAI_OVERFLOW:
        return -ENOSPC;
    case EAI_SYSTEM:
        return saved_errno ? -saved_errno : -EIO;
    default:
        return -CIO_ERESOLVE;
    }
}

/* ---- getaddrinfo --------------------------------------------------------------------------- */

struct addr_lookup {
    char *host, *service;
    struct addrinfo hints;
    bool has_hints;
    struct addrinfo *res;
    int gai_error, saved_errno;
};

static void free_addr_lookup(struct addr_lookup *lookup) {
    if (lookup->res) freeaddrinfo(lookup->res);
    free(lookup->host);
    free(lookup->service);
    free(lookup);
}

static void *run_addr_lookup(void *arg) {
    struct addr_lookup *lookup = arg;
    lookup->gai_error = getaddrinfo(lookup->host, lookup->service,
                                    lookup->has_hints ? &lookup->hints : NULL, &lookup->res);
    lookup->saved_errno = errno;
    return NULL;
}

static void discard_addr_lookup(void *arg, void *result) {
    (void)result;
    free_addr_lookup(arg);
}

/* Answer numeric hosts on the loop thread. Returns 1 if the lookup needs
 * the resolver after all, else 0 or an error (mapped). */
static int try_numeric(const char *host, const char *service, const struct addrinfo *hints,
                       struct addrinfo **res) {
    if (service && !all_digits(service)) return 1; /* /etc/services and friends: a real lookup */
    struct addrinfo numeric = hints ? *hints : (struct addrinfo){.ai_family = AF_UNSPEC};
    numeric.ai_flags |= AI_NUMERICHOST | (service ? AI_NUMERICSERV : 0);
    int gai = getaddrinfo(host, service, &numeric, res);
    if (gai == EAI_NONAME && host && !(hints && hints->ai_flags & AI_NUMERICHOST)) return 1;
    return from_gai(gai, errno);
}

static struct addr_lookup *new_addr_lookup(const char *host, const char *service,
                                           const struct addrinfo *hints) {
    struct addr_lookup *lookup = calloc(1, sizeof *lookup);
    if (!lookup) return NULL;
    lookup->host = host ? strdup(host) : NULL;
    lookup->service = service ? strdup(service) : NULL;
    if (hints)
        lookup->hints = (struct addrinfo){.ai_flags = hints->ai_flags,
                                          .ai_family = hints->ai_family,
                                          .ai_socktype = hints->ai_socktype,
                                          .ai_protocol = hints->ai_protocol};
    lookup->has_hints = hints != NULL;
    if ((host && !lookup->host) || (service && !lookup->service)) {
        free_addr_lookup(lookup);
        return NULL;
    }
    return lookup;
}

int cio_getaddrinfo(const char *host, const char *service, const struct addrinfo *hints,
                    struct addrinfo **res) {
    if (res) *res = NULL;
    if (!cio__task_current_or_complain("cio_getaddrinfo")) return -EPERM;
    if (!res || (!host && !service)) return -EINVAL;
    int rc = try_numeric(host, service, hints, res);
    if (rc <= 0) return rc;
    struct addr_lookup *lookup = new_addr_lookup(host, service, hints);
    if (!lookup) return -ENOMEM;
    rc = cio_run_in_executor(NULL, run_addr_lookup, lookup, discard_addr_lookup, NULL);
    if (rc == -ECANCELED || rc == -ETIMEDOUT) return rc; /* the job owns lookup now */
    if (rc == 0) {
        rc = from_gai(lookup->gai_error, lookup->saved_errno);
        if (rc == 0) *res = lookup->res;
        if (rc == 0) lookup->res = NULL;
    }
    free_addr_lookup(lookup);
    return rc;
}

/* ---- getnameinfo --------------------------------------------------------------------------- */

struct name_lookup {
    struct sockaddr_storage addr;
    socklen_t addrlen;
    int flags;
    bool want_host, want_serv; /* only what the caller asked for is looked up */
    int gai_error, saved_errno;
    char host[NI_MAXHOST], serv[NI_MAXSERV];
};

static void *run_name_lookup(void *arg) {
    struct name_lookup *lookup = arg;
    lookup->gai_error = getnameinfo(
        (struct sockaddr *)&lookup->addr, lookup->addrlen, lookup->want_host ? lookup->host : NULL,
        lookup->want_host ? sizeof lookup->host : 0, lookup->want_serv ? lookup->serv : NULL,
        lookup->want_serv ? sizeof lookup->serv : 0, lookup->flags);
    lookup->saved_errno = errno;
    return NULL;
}

static void discard_name_lookup(void *arg, void *result) {
    (void)result;
    free(arg);
}

static int copy_name(char *out, size_t cap, const char *name) {
    if (!out || cap == 0) return 0;
    size_t len = strlen(name);
    if (len >= cap) return -ENOSPC;
    memcpy(out, name, len + 1);
    return 0;
}

static int finish_name_lookup(struct name_lookup *lookup, char *host, size_t hostlen, char *serv,
                              size_t servlen) {
    int rc = from_gai(lookup->gai_error, lookup->saved_errno);
    if (rc == 0) rc = copy_name(host, hostlen, lookup->host);
    if (rc == 0) rc = copy_name(serv, servlen, lookup->serv);
    return rc;
}

int cio_getnameinfo(const struct sockaddr *addr, socklen_t addrlen, char *host, size_t hostlen,
                    char *serv, size_t servlen, int flags) {
    if (!cio__task_current_or_complain("cio_getnameinfo")) return -EPERM;
    if (!addr || addrlen > sizeof(struct sockaddr_storage) || (!host && hostlen) ||
        (!serv && servlen) || (!hostlen && !servlen))
        return -EINVAL;
    bool numeric = (!hostlen || flags & NI_NUMERICHOST) && (!servlen || flags & NI_NUMERICSERV);
    if (numeric) {
        int gai =
            getnameinfo(addr, addrlen, host, (socklen_t)hostlen, serv, (socklen_t)servlen, flags);
        return from_gai(gai, errno);
    }
    struct name_lookup *lookup = calloc(1, sizeof *lookup);
    if (!lookup) return -ENOMEM;
    memcpy(&lookup->addr, addr, addrlen);
    lookup->addrlen = addrlen;
    lookup->flags = flags;
    lookup->want_host = hostlen > 0;
    lookup->want_serv = servlen > 0;
    int rc = cio_run_in_executor(NULL, run_name_lookup, lookup, discard_name_lookup, NULL);
    if (rc == -ECANCELED || rc == -ETIMEDOUT) return rc; /* the job owns lookup now */
    if (rc == 0) rc = finish_name_lookup(lookup, host, hostlen, serv, servlen);
    free(lookup);
    return rc;
}
