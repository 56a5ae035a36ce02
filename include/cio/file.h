/* cio/file.h - asynchronous file I/O. */
#ifndef CIO_FILE_H
#define CIO_FILE_H

#include "task.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
