/* cio/sync.h - lock, event, condition, semaphore, barrier. */
#ifndef CIO_SYNC_H
#define CIO_SYNC_H

#include "task.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
