/* cio/process.h - subprocesses. */
#ifndef CIO_PROCESS_H
#define CIO_PROCESS_H

#include "task.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
