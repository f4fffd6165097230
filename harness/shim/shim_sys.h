/* shim_sys.h: the low-level pieces several shim files share (internal;
 * nothing here is exported from libipcgrade_shim.so).
 *
 * - shim_digits: a number's digits in base 10 or 16, for records
 *   (shim_log.c) and for the texts below.
 * - struct shim_text: a text built piece by piece in the caller's buffer:
 *   /proc paths with a pid or a descriptor in them (shim_stall.c,
 *   shim_observe_ipc.c) and the "fd:N" name of fexecve
 *   (shim_observe_exec.c).
 * - shim_read_small: one read of a small file such as /proc/self/comm
 *   (ipcgrade_shim.c, shim_stall.c).
 * - struct shim_numdir: the numbered entries of a /proc directory, read
 *   with getdents64 into a buffer inside the struct: /proc/P/task
 *   (shim_stall.c) and /proc/self/fd (shim_observe_exec.c).
 *
 * Rules: those of ipcgrade_shim.c. Everything here is async-signal-safe
 * (raw syscalls, the caller's buffers, no locks, no allocation, no stdio)
 * and preserves errno, so an interposer may call it from a signal handler
 * or in a vfork child.
 */
#ifndef IPCGRADE_SHIM_SYS_H
#define IPCGRADE_SHIM_SYS_H

#include <dlfcn.h>
#include <stddef.h>

#define SHIM_SYS_HIDDEN __attribute__((visibility("hidden")))

/* ---- Numbers and texts ------------------------------------------------- */

/* 2^64 - 1 has 20 decimal digits. */
enum { kShimDigitsMax = 20 };

/* Writes the digits of v in base 10 or 16 (lowercase), most significant
 * first, no sign, no NUL; returns how many (1 to kShimDigitsMax). */
size_t shim_digits(char out[kShimDigitsMax], unsigned long long v, unsigned base) SHIM_SYS_HIDDEN;

/* A NUL-terminated text in buf[size] (size > 0). A piece that does not fit
 * whole is dropped and marks the text cut; so is every piece after it. A
 * cut /proc path must not be opened: it could name another file. */
struct shim_text {
  char *buf;
  size_t size;
  size_t len;
  int cut;
};

/* Starts an empty text in buf. */
void shim_text_init(struct shim_text *t, char *buf, size_t size) SHIM_SYS_HIDDEN;
void shim_text_str(struct shim_text *t, const char *s) SHIM_SYS_HIDDEN;
/* v in decimal. */
void shim_text_dec(struct shim_text *t, unsigned long long v) SHIM_SYS_HIDDEN;

/* ---- Files ------------------------------------------------------------- */

/* One read(2) of at most size - 1 bytes of path into out, NUL-terminated.
 * Returns the length, or -1 when the file cannot be opened or read. Meant
 * for /proc files that the kernel hands over whole in one read (comm,
 * schedstat). */
long shim_read_small(const char *path, char *out, size_t size) SHIM_SYS_HIDDEN;

/* ---- Numbered directories ---------------------------------------------- */

/* The entries of a directory whose names are decimal numbers (pids, tids,
 * descriptors), read with getdents64 one buffer at a time. Other names
 * ("." and "..") are skipped, and so are numbers above 167772169: no pid
 * or tid comes near (the kernel's limit is 2^22), nor a descriptor under
 * any open-file limit a grading run has.
 *
 *   struct shim_numdir d;
 *   if (shim_numdir_open(&d, "/proc/self/fd") == 0) {
 *     long n;
 *     const char *name;
 *     while (shim_numdir_next(&d, &n, &name)) { ... d.fd ... }
 *     shim_numdir_close(&d);
 *   }
 *
 * fd is the directory's own descriptor while it is open: for *at() calls
 * on an entry, and to tell it apart in /proc/self/fd. */
struct shim_numdir {
  int fd;
  long got; /* bytes in buf from the last getdents64 */
  long off; /* the next entry in buf */
  char buf[2048];
};

/* 0, or -1 when path cannot be opened as a directory (nothing to close). */
int shim_numdir_open(struct shim_numdir *d, const char *path) SHIM_SYS_HIDDEN;
/* 1 with the next numbered entry in *num and, unless name is NULL, *name
 * (the name lives in d's buffer until the next call); 0 at the end or on a
 * read error. */
int shim_numdir_next(struct shim_numdir *d, long *num, const char **name) SHIM_SYS_HIDDEN;
void shim_numdir_close(struct shim_numdir *d) SHIM_SYS_HIDDEN;

/* The next definition of `symbol` (the function the shim interposes), looked
 * up with dlsym(RTLD_NEXT) on first use and cached in *slot. Inline: the
 * observers call it on paths as hot as malloc. The first call of each is
 * not async-signal-safe (dlsym); each file resolves its functions in its
 * constructor, before main, so that calls in handlers find them cached. */
static inline void *shim_real_fn(void **slot, const char *symbol) {
  void *p = *slot;
  if (__builtin_expect(p == NULL, 0)) {
    p = dlsym(RTLD_NEXT, symbol);
    *slot = p;
  }
  return p;
}
#define SHIM_REAL(ptr, symbol) ((__typeof__(ptr))shim_real_fn((void **)&(ptr), symbol))

#endif
