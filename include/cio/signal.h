/* cio/signal.h - signals. */
#ifndef CIO_SIGNAL_H
#define CIO_SIGNAL_H

#include "task.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
