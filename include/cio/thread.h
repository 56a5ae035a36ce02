/* cio/thread.h - thread pools: running blocking work off the loop. */
#ifndef CIO_THREAD_H
#define CIO_THREAD_H

#include "task.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
