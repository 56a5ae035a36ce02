/* cio - asyncio for C.
 *
 * One event loop per thread; tasks are coroutines with their own stacks that
 * read as straight-line code; every suspending call returns 0 or a negative
 * errno, with cancellation (-ECANCELED) and timeouts (-ETIMEDOUT) delivered
 * at await points. See docs/ for the guide. */
#ifndef CIO_H
#define CIO_H

#include "cio/base.h"
#include "cio/loop.h"
#include "cio/debug.h"
#include "cio/future.h"
#include "cio/task.h"
#include "cio/context.h"
#include "cio/introspect.h"
#include "cio/timeout.h"
#include "cio/fd.h"
#include "cio/compose.h"
#include "cio/group.h"
#include "cio/sync.h"
#include "cio/queue.h"
#include "cio/net.h"
#include "cio/tls.h"
#include "cio/transport.h"
#include "cio/thread.h"
#include "cio/cores.h"
#include "cio/channel.h"
#include "cio/handoff.h"
#include "cio/runner.h"
#include "cio/process.h"
#include "cio/signal.h"
#include "cio/file.h"
#include "cio/http_parser.h"
#include "cio/http_client.h"

#endif
