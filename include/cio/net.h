/* cio/net.h - sockets, streams, servers, datagrams and DNS. */
#ifndef CIO_NET_H
#define CIO_NET_H

#include "task.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
