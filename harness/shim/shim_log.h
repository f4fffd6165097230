/* shim_log.h: the shim's one channel back to the harness, and who it is in.
 *
 * Every part of the fault and observation library (ipcgrade_shim.c and the
 * shim_*.c files) reports what it did or saw as one *record*: one text line
 * of `key=value` fields, written with a single write(2) to the file the
 * harness named in IPCGRADE_LOG, opened with O_APPEND for that write and
 * closed again. No descriptor is kept open: the lab contract promises a
 * program starts with only 0, 1 and 2 open, and a program may check (the
 * pipes lab's fd tests do). With O_APPEND each record lands whole even when
 * many processes and threads log at once.
 *
 * Record format (docs for the reader: harness/shim_events.h):
 *   ev=<event> pid=<pid> tid=<tid> prog=<program name> t=<ns> <key>=<value>...\n
 * t is CLOCK_MONOTONIC in nanoseconds when the record was begun (left out
 * if the clock cannot be read).
 * Values are escaped: bytes <= 0x20, '%', '=' and >= 0x7f become %XX.
 * A record longer than SHIM_REC_MAX is cut and ends with `trunc=1`.
 *
 * Environment, read once by shim_log_init() from the first constructor:
 *   IPCGRADE_LOG=PATH          where records go; unset: nothing is logged.
 *   IPCGRADE_STUDENT_DIR=DIR   the built submission's folder. A process whose
 *                              /proc/self/exe lies inside it is one of the
 *                              student's programs; faults are only injected
 *                              there, never into system tools (cat, sort).
 *
 * Everything here is async-signal-safe (raw syscalls, no locks, no malloc,
 * no stdio) and preserves errno.
 */
#ifndef IPCGRADE_SHIM_LOG_H
#define IPCGRADE_SHIM_LOG_H

#include <stddef.h>

#define SHIM_REC_MAX 1024

struct shim_rec {
  char buf[SHIM_REC_MAX];
  size_t len;
  int truncated;
};

/* Reads the environment; idempotent. Every shim constructor calls it first. */
void shim_log_init(void);

/* 1 when IPCGRADE_LOG is set (records are written). */
int shim_log_on(void);

/* 1 when this process runs one of the student's own executables. */
int shim_student_program(void);

/* The program's name: basename of /proc/self/exe (at most 63 bytes). */
const char *shim_program_name(void);

void shim_rec_begin(struct shim_rec *r, const char *event);
void shim_rec_str(struct shim_rec *r, const char *key, const char *value);
void shim_rec_int(struct shim_rec *r, const char *key, long long value);
void shim_rec_hex(struct shim_rec *r, const char *key, unsigned long long value);
/* Appends the newline and writes the record; does nothing if logging is off. */
void shim_rec_emit(struct shim_rec *r);

#endif
