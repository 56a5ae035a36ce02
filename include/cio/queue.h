/* cio/queue.h - queues: FIFO, LIFO and priority. */
#ifndef CIO_QUEUE_H
#define CIO_QUEUE_H

#include "task.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
