/* cio/group.h - task groups (asyncio.TaskGroup, Trio's nursery). */
#ifndef CIO_GROUP_H
#define CIO_GROUP_H

#include "task.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
