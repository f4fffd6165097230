/* shim_perturb.h: schedule perturbation, the `perturb` fault (internal).
 *
 * shim_perturb.c interposes the synchronisation and process calls itself
 * (pthread mutexes and condition variables, semaphores, fork, kill, pause,
 * sigsuspend, pthread_create); ipcgrade_shim.c, which owns read and write,
 * calls shim_perturb_point() around pipe transfers. Every function here is
 * async-signal-safe and preserves errno. With perturbation off
 * (shim_g_perturb == 0) nothing here is ever called.
 */
#ifndef IPCGRADE_SHIM_PERTURB_H
#define IPCGRADE_SHIM_PERTURB_H

#include "shim_faults.h"

/* Where in the program a perturbation point is: the strategies treat some
 * points specially (see shim_perturb.c). */
enum shim_point {
  kPointBefore,      /* before a synchronisation or IPC call */
  kPointAfter,       /* after it returned */
  kPointUnlocked,    /* after a mutex unlock or sem_post: others may run */
  kPointStart,       /* first thing in a new thread or a forked child */
  kPointBeforeSleep, /* just before sigsuspend() */
  kPointBeforePause, /* just before pause(): the signal window (mix) */
};

void shim_perturb_point(enum shim_point where) SHIM_HIDDEN;

/* Resolves the real functions and reads the plan (shim_g_perturb,
 * shim_g_eintr); called by the constructor in ipcgrade_shim.c, before main,
 * once the plan is parsed. */
void shim_perturb_init(void) SHIM_HIDDEN;

#endif
