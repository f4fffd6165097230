/* shim_stall.h: the `stall` fault (internal): one long seeded pause per
 * thread at a wake-up call, measuring whether the tasks it would wake
 * busy-wait meanwhile. See shim_stall.c. */
#ifndef IPCGRADE_SHIM_STALL_H
#define IPCGRADE_SHIM_STALL_H

#include "shim_faults.h"

/* 1 when the plan has `stall` and this is a student program. */
extern SHIM_HIDDEN int shim_g_stall;

/* Called before kill(target, ...) (target > 0) or right after a mutex
 * unlock (target 0: this process); `call` names it in the record. */
void shim_stall_point(long target, const char *call) SHIM_HIDDEN;

#endif
