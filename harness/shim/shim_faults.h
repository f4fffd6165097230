/* shim_faults.h: what the fault library's files share (internal; nothing
 * here is exported from libipcgrade_shim.so).
 *
 * - The fault plan, parsed once from IPCGRADE_FAULTS by the constructor in
 *   ipcgrade_shim.c (before main, single threaded) and read-only after.
 * - Lineage keys: every thread of every process has a 64-bit key that
 *   depends only on the seed, the program's name, the order in which its
 *   creator made threads and the fork lineage (fork count at each fork),
 *   never on the pid or the clock. The EINTR and perturbation streams are
 *   drawn from it, so the same program doing the same calls makes the same
 *   decisions. Keys live in initial-exec TLS (no allocation on access).
 * - The EINTR hook the semaphore interposer (shim_perturb.c) calls.
 *
 * Everything declared here is async-signal-safe and preserves errno.
 */
#ifndef IPCGRADE_SHIM_FAULTS_H
#define IPCGRADE_SHIM_FAULTS_H

#include <semaphore.h>
#include <stdint.h>

#define SHIM_HIDDEN __attribute__((visibility("hidden")))
#define SHIM_EXPORT __attribute__((visibility("default")))
#define SHIM_TLS __thread __attribute__((tls_model("initial-exec")))
#define SHIM_LIKELY(x) __builtin_expect(!!(x), 1)
/* The fault paths live in separate functions so that the compiler keeps
 * each interposer's fast path free of any prologue. */
#define SHIM_SLOW __attribute__((noinline, cold))

/* ---- The plan (constant after the constructor) ------------------------- */

/* Perturbation strategies (IPCGRADE_FAULTS item perturb=NAME; bare
 * `perturb` is kPerturbDefault). See shim_perturb.c for what each does. */
enum shim_perturb_strategy {
  kPerturbOff = 0,
  kPerturbRandom = 1, /* random yields and short sleeps */
  kPerturbPct = 2,    /* PCT-style priorities emulated with delays */
  kPerturbMix = 3,    /* random delays + the targeted windows */
  kPerturbStallOnly = 4, /* no delays of its own: only the stall fault's
                            hooks (shim_stall.c) on these interposers */
};

extern SHIM_HIDDEN int shim_g_eintr;   /* eintr, and this is a student program */
extern SHIM_HIDDEN int shim_g_perturb; /* a strategy, and a student program */
extern SHIM_HIDDEN uint64_t shim_g_run_key; /* seed mixed with the name */
/* perturb_trace: log every perturbation action (ev=perturb; tests and
 * the bench use it to see the decisions; the grader never asks for it). */
extern SHIM_HIDDEN int shim_g_perturb_trace;
/* trace: also log what the faults do that grading does not read, for
 * `ipcgrade repro`'s live view: short transfers (ev=short-io), stall pauses
 * (ev=stall) and perturbation totals (ev=perturb-summary). Bounded per
 * thread (shim_trace_due(), shim_perturb.c); no decision depends on it. */
extern SHIM_HIDDEN int shim_g_fault_trace;

/* The n-th (from 1) traced event of a kind in one thread is logged when n
 * is 1..4 or a power of two: every event of a short run, and at most about
 * 60 records per thread and kind however long the run (each record says
 * how many there were so far). */
static inline int shim_trace_due(uint64_t n) {
  return n <= 4 || (n & (n - 1)) == 0;
}

/* ---- Randomness -------------------------------------------------------- */

uint64_t shim_mix64(uint64_t z) SHIM_HIDDEN;

/* Tags that separate the streams drawn from one lineage key. */
#define SHIM_STREAM_EINTR 0x45494e5452ULL   /* "EINTR" */
#define SHIM_STREAM_PERTURB 0x5045525455ULL /* "PERTU" */

/* This thread's lineage key (set up lazily for threads the shim did not see
 * created). */
uint64_t shim_lineage_key(void) SHIM_HIDDEN;
/* Called in a forked child (with the parent's fork count) and at the start
 * of a thread created through pthread_create: gives the thread a new key
 * and restarts its streams. */
void shim_lineage_set(uint64_t key) SHIM_HIDDEN;
/* The key a child gets from its parent's key for the n-th fork or the n-th
 * thread created (kind: 'f' or 't'). */
uint64_t shim_lineage_child(uint64_t parent, uint64_t n, int kind) SHIM_HIDDEN;

/* ---- EINTR ------------------------------------------------------------- */

/* For sem_wait: returns 1 and does nothing more when the call should fail
 * with EINTR now (it really would block, and the plan says so); 0 means
 * "call the real sem_wait", 2 means the probe already took the semaphore
 * (sem_trywait succeeded: the call would not have blocked) and sem_wait
 * must return 0. `site` is the caller's return address. */
int shim_eintr_sem_wait(sem_t *sem, const void *site,
                        int (*real_trywait)(sem_t *)) SHIM_HIDDEN;

#endif
