/* commands.h - mini_redis's commands: each reads its arguments and appends
 * its reply, in RESP, to an output buffer; the replies and error texts are
 * redis-server 7's, byte for byte. */
#ifndef MINI_REDIS_COMMANDS_H
#define MINI_REDIS_COMMANDS_H

#include <cio/resp.h>

#include "store.h"

/* A growable output buffer: the replies of one batch of commands. */
typedef struct outbuf {
    char *data;
    size_t len, cap;
    bool failed; /* out of memory: the connection is dropped */
} outbuf;

/* Run the command in args[0 .. argc - 1] (parsed slots: str/len borrowed)
 * against s and append its reply to out. */
void run_command(store *s, const cio_resp_value *args, size_t argc, outbuf *out);

/* Append a "-ERR ..." reply (exposed for protocol errors). */
void reply_error(outbuf *out, const char *text);

#endif
