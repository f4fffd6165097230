/* shim_observe_sync.c: the `not-pshared` observation. A mutex, condition
 * variable, read-write lock, barrier or unnamed semaphore initialised for
 * one process only (no PTHREAD_PROCESS_SHARED, or sem_init with pshared 0)
 * in memory mapped MAP_SHARED is reported:
 *
 *   ev=not-pshared pid=.. tid=.. prog=shmcount what=mutex addr=0x7f..
 *       map=/dev/shm/counter
 *
 * glibc then uses private futexes: a waiter in one process can miss the
 * wakeup from another, and the lock may not exclude across processes.
 *
 * When: a shared mapping of a named object (a file, POSIX shm, a SysV
 * segment) is meant for other processes, so the record is written at once.
 * An anonymous shared mapping (MAP_SHARED|MAP_ANONYMOUS, "/dev/zero
 * (deleted)" in the maps) is shared only with children forked after it: in
 * a process that has not forked yet the object is remembered and reported
 * by the child at the first fork (pthread_atfork), so a program that puts a
 * private mutex in such memory and never shares it is not blamed.
 *
 * How the mapping is found: /proc/self/maps read with raw syscalls into a
 * stack buffer and parsed one byte at a time (no line buffer, no malloc).
 *
 * THE CODE IS RATHER DELICATE. THE FOLLOWING RULES MUST BE FOLLOWED:
 *
 * 1. Interposers and what they call are async-signal-safe: raw syscalls,
 *    fixed buffers, atomics; no locks, no malloc, no stdio.
 * 2. errno is the real call's; every helper saves and restores it.
 * 3. The real call is always made and its result returned unchanged; the
 *    observation only looks, after a successful initialisation.
 * 4. The real functions are resolved with dlsym(RTLD_NEXT) in the
 *    constructor, or on first use before it.
 * 5. Observations only in the student's own programs.
 */
#define _GNU_SOURCE

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim_log.h"
#include "shim_sys.h"

#define SHIM_EXPORT __attribute__((visibility("default")))

static int g_observe;
static int g_forked; /* this process forked, or was forked */

static int (*real_mutex_init)(pthread_mutex_t *, const pthread_mutexattr_t *);
static int (*real_cond_init)(pthread_cond_t *, const pthread_condattr_t *);
static int (*real_rwlock_init)(pthread_rwlock_t *,
                               const pthread_rwlockattr_t *);
static int (*real_barrier_init)(pthread_barrier_t *,
                                const pthread_barrierattr_t *, unsigned);
static int (*real_sem_init)(sem_t *, int, unsigned);


/* ---- /proc/self/maps --------------------------------------------------- */

enum mapping_kind {
  kNotShared,  /* private, or not found */
  kSharedAnon, /* MAP_SHARED|MAP_ANONYMOUS */
  kSharedNamed /* a file, POSIX shm or a SysV segment */
};

enum { kPathKept = 96 };

/* Finds the mapping that holds addr. path gets the start of its path. */
static enum mapping_kind find_mapping(uintptr_t addr, char path[kPathKept]) {
  path[0] = '\0';
  long fd = syscall(SYS_openat, AT_FDCWD, "/proc/self/maps",
                    O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return kNotShared;
  }
  char buf[2048];
  /* Per line: field 0 start, 1 end, 2 perms, 3 offset, 4 dev, 5 inode,
   * 6 path. */
  int field = 0;
  uintptr_t start = 0, end = 0;
  int perm_i = 0;
  char shared = 0;
  int in_field = 0;
  size_t path_len = 0;
  int hit = 0;
  enum mapping_kind result = kNotShared;
  int done = 0;
  while (!done) {
    long got = syscall(SYS_read, (int)fd, buf, sizeof buf);
    if (got <= 0) {
      break;
    }
    for (long i = 0; i < got && !done; i++) {
      char c = buf[i];
      if (c == '\n') {
        if (hit) {
          path[path_len] = '\0';
          if (shared == 's') {
            int anon = path_len == 0 ||
                       strncmp(path, "/dev/zero", 9) == 0 ||
                       strncmp(path, "[anon_shmem", 11) == 0;
            result = anon ? kSharedAnon : kSharedNamed;
          }
          done = 1;
          break;
        }
        field = 0;
        start = end = 0;
        perm_i = 0;
        shared = 0;
        in_field = 0;
        path_len = 0;
        continue;
      }
      if (field == 0) {
        if (c == '-') {
          field = 1;
        } else {
          int v = (c >= '0' && c <= '9')   ? c - '0'
                  : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                                           : -1;
          if (v >= 0) {
            start = start * 16 + (uintptr_t)v;
          }
        }
      } else if (field == 1) {
        if (c == ' ') {
          field = 2;
          hit = addr >= start && addr < end;
        } else {
          int v = (c >= '0' && c <= '9')   ? c - '0'
                  : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                                           : -1;
          if (v >= 0) {
            end = end * 16 + (uintptr_t)v;
          }
        }
      } else if (field < 6) {
        if (c == ' ') {
          field++;
        } else if (field == 2) {
          if (perm_i == 3) {
            shared = c;
          }
          perm_i++;
        }
      } else {
        /* the path, after the spaces that pad the inode column */
        if (!in_field && c == ' ') {
          continue;
        }
        in_field = 1;
        if (hit && path_len < kPathKept - 1) {
          path[path_len++] = c;
        }
      }
    }
  }
  if (hit && !done && shared == 's') {
    path[path_len] = '\0';
    result = kSharedNamed;
  }
  syscall(SYS_close, (int)fd);
  return result;
}

/* ---- Pending objects in anonymous shared memory ------------------------ */

enum { kPendingMax = 32 };
struct pending {
  uintptr_t addr; /* 0: free slot */
  const char *what;
};
static struct pending g_pending[kPendingMax];

static void emit(const char *what, uintptr_t addr, const char *map) {
  struct shim_rec r;
  shim_rec_begin(&r, "not-pshared");
  shim_rec_str(&r, "what", what);
  shim_rec_hex(&r, "addr", addr);
  shim_rec_str(&r, "map", map[0] != '\0' ? map : "anonymous");
  shim_rec_emit(&r);
}

static void forget_pending(uintptr_t addr) {
  for (int i = 0; i < kPendingMax; i++) {
    uintptr_t a = addr;
    __atomic_compare_exchange_n(&g_pending[i].addr, &a, 0, 0,
                                __ATOMIC_RELAXED, __ATOMIC_RELAXED);
  }
}

static void remember_pending(const char *what, uintptr_t addr) {
  forget_pending(addr);
  for (int i = 0; i < kPendingMax; i++) {
    uintptr_t free_slot = 0;
    g_pending[i].what = what;
    if (__atomic_compare_exchange_n(&g_pending[i].addr, &free_slot, addr, 0,
                                    __ATOMIC_RELEASE, __ATOMIC_RELAXED)) {
      return;
    }
  }
}

static void atfork_parent(void) { g_forked = 1; }

/* In the child of a fork: the anonymous shared memory is now shared by two
 * processes, so the private objects in it are real mistakes. */
static void atfork_child(void) {
  g_forked = 1;
  for (int i = 0; i < kPendingMax; i++) {
    uintptr_t a = __atomic_exchange_n(&g_pending[i].addr, 0, __ATOMIC_ACQUIRE);
    if (a != 0) {
      emit(g_pending[i].what, a, "anonymous");
    }
  }
}

/* After a successful private initialisation of the object at p. */
static void check_private(const char *what, const void *p) {
  int saved = errno;
  char path[kPathKept];
  uintptr_t addr = (uintptr_t)p;
  enum mapping_kind k = find_mapping(addr, path);
  if (k == kSharedNamed || (k == kSharedAnon && g_forked)) {
    emit(what, addr, path);
  } else if (k == kSharedAnon) {
    remember_pending(what, addr);
  } else {
    forget_pending(addr);
  }
  errno = saved;
}

/* ---- The interposers --------------------------------------------------- */

SHIM_EXPORT int pthread_mutex_init(pthread_mutex_t *m,
                                   const pthread_mutexattr_t *attr) {
  int rc = SHIM_REAL(real_mutex_init, "pthread_mutex_init")(m, attr);
  if (g_observe && rc == 0) {
    int pshared = PTHREAD_PROCESS_PRIVATE;
    if (attr != NULL) {
      pthread_mutexattr_getpshared(attr, &pshared);
    }
    if (pshared == PTHREAD_PROCESS_PRIVATE) {
      check_private("mutex", m);
    } else {
      forget_pending((uintptr_t)m);
    }
  }
  return rc;
}

SHIM_EXPORT int pthread_cond_init(pthread_cond_t *c,
                                  const pthread_condattr_t *attr) {
  int rc = SHIM_REAL(real_cond_init, "pthread_cond_init")(c, attr);
  if (g_observe && rc == 0) {
    int pshared = PTHREAD_PROCESS_PRIVATE;
    if (attr != NULL) {
      pthread_condattr_getpshared(attr, &pshared);
    }
    if (pshared == PTHREAD_PROCESS_PRIVATE) {
      check_private("cond", c);
    } else {
      forget_pending((uintptr_t)c);
    }
  }
  return rc;
}

SHIM_EXPORT int pthread_rwlock_init(pthread_rwlock_t *l,
                                    const pthread_rwlockattr_t *attr) {
  int rc = SHIM_REAL(real_rwlock_init, "pthread_rwlock_init")(l, attr);
  if (g_observe && rc == 0) {
    int pshared = PTHREAD_PROCESS_PRIVATE;
    if (attr != NULL) {
      pthread_rwlockattr_getpshared(attr, &pshared);
    }
    if (pshared == PTHREAD_PROCESS_PRIVATE) {
      check_private("rwlock", l);
    } else {
      forget_pending((uintptr_t)l);
    }
  }
  return rc;
}

SHIM_EXPORT int pthread_barrier_init(pthread_barrier_t *b,
                                     const pthread_barrierattr_t *attr,
                                     unsigned count) {
  int rc = SHIM_REAL(real_barrier_init, "pthread_barrier_init")(b, attr, count);
  if (g_observe && rc == 0) {
    int pshared = PTHREAD_PROCESS_PRIVATE;
    if (attr != NULL) {
      pthread_barrierattr_getpshared(attr, &pshared);
    }
    if (pshared == PTHREAD_PROCESS_PRIVATE) {
      check_private("barrier", b);
    } else {
      forget_pending((uintptr_t)b);
    }
  }
  return rc;
}

SHIM_EXPORT int sem_init(sem_t *s, int pshared, unsigned value) {
  int rc = SHIM_REAL(real_sem_init, "sem_init")(s, pshared, value);
  if (g_observe && rc == 0) {
    if (pshared == 0) {
      check_private("semaphore", s);
    } else {
      forget_pending((uintptr_t)s);
    }
  }
  return rc;
}

/* ---- The constructor --------------------------------------------------- */

__attribute__((constructor)) static void observe_sync_init(void) {
  int saved_errno = errno;
  shim_log_init();
  SHIM_REAL(real_mutex_init, "pthread_mutex_init");
  SHIM_REAL(real_cond_init, "pthread_cond_init");
  SHIM_REAL(real_rwlock_init, "pthread_rwlock_init");
  SHIM_REAL(real_barrier_init, "pthread_barrier_init");
  SHIM_REAL(real_sem_init, "sem_init");
  g_observe = shim_student_program() && shim_log_on();
  if (g_observe) {
    pthread_atfork(NULL, atfork_parent, atfork_child);
  }
  errno = saved_errno;
}
