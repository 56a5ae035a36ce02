/* cio/compose.h - waiting on many tasks: gather, wait, wait_for, as_completed, shield. */
#ifndef CIO_COMPOSE_H
#define CIO_COMPOSE_H

#include "task.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
