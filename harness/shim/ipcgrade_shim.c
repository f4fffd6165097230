/* ipcgrade_shim.c: the fault library, LD_PRELOADed into every process of a
 * student's run. It follows fork (the child keeps the parent's state) and
 * exec (LD_PRELOAD and IPCGRADE_FAULTS are inherited, and the constructor
 * runs again in the new image).
 *
 * Interface: one environment variable, read once by the constructor.
 *
 *   IPCGRADE_FAULTS=item[,item...]      e.g. "short_io,seed=42"
 *     short_io   a read or write of more than one byte on a pipe or FIFO
 *                transfers, with probability 1/2, only k bytes, 1 <= k < n.
 *     seed=N     seed of the fault sequence (decimal, or hex with 0x);
 *                default 0.
 *   Items are matched whole; anything else is ignored. Without the variable,
 *   or without a fault item, every interposer is a straight pass-through.
 *
 * Interposed: read, write, readv, writev, and __read_chk (what read() becomes
 * in a program built with _FORTIFY_SOURCE).
 *
 * What the shim does not see: glibc's own calls made inside libc. stdio
 * (printf, fputs, fwrite, fflush, perror) writes through internal aliases,
 * not through the PLT, so stdio output is never cut short. That is fine:
 * stdio already loops on short writes, and the shim targets the student's
 * own read()/write() calls. Statically linked programs are not preloaded at
 * all.
 *
 * Short transfers are real: the shim calls the real read/write with the
 * smaller count k, so the bytes not written are really not written and a
 * read really leaves the rest in the pipe. A program that ignores write()'s
 * return value loses data, which is the bug the fault exists to expose.
 *
 * Determinism: the fault sequence of a thread depends only on the seed, the
 * program's name (basename of argv[0], or /proc/self/comm without argv) and
 * the thread's index (the main thread is 0, other threads are numbered in
 * the order of their first pipe transfer), never on the pid or the clock.
 * The PRNG advances only on calls that could be cut short (a pipe and n > 1),
 * so the same program doing the same I/O calls sees the same short counts.
 * A forked child continues its parent's sequence.
 *
 * THE CODE IS RATHER DELICATE. THE FOLLOWING RULES MUST BE FOLLOWED:
 *
 * 1. Every interposer, and everything it calls, is async-signal-safe: read
 *    and write are called from signal handlers. No locks, no malloc, no
 *    stdio, no dlsym, no lazily initialised libc state.
 * 2. errno is set only by the real call. Any helper that may touch errno
 *    (fstat) saves and restores it; pass-through paths never touch it.
 * 3. Never fake a result. The value returned is always the real call's
 *    return value; a fault only changes the arguments (a smaller count).
 * 4. The real functions are resolved with dlsym(RTLD_NEXT, ...) in the
 *    constructor only. Until then the real_* pointers hold raw syscall()
 *    fallbacks, which are always safe (a constructor of another preloaded
 *    library may call write before ours has run).
 * 5. Never write to the program's stdout or stderr, never exit, never
 *    abort on the shim's own account. The shim has no diagnostics channel;
 *    an unusable configuration is ignored, not reported.
 * 6. The fast path is one predictable branch: with a fault off, an
 *    interposer tests one global and tail-calls the real function.
 * 7. Globals are written only by the constructor (before main, single
 *    threaded). Mutable state is per thread, in initial-exec TLS, which
 *    the loader sets up with the thread and never allocates on access.
 * 8. Inside the shim, call libc only through functions the shim does not
 *    interpose, or through the real_* pointers; otherwise a future
 *    interposer would recurse into itself.
 */
#define _GNU_SOURCE
#undef _FORTIFY_SOURCE

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define SHIM_EXPORT __attribute__((visibility("default")))
#define SHIM_TLS __thread __attribute__((tls_model("initial-exec")))
#define SHIM_LIKELY(x) __builtin_expect(!!(x), 1)

/* glibc declares this only under _FORTIFY_SOURCE. */
ssize_t __read_chk(int fd, void *buf, size_t nbytes, size_t buflen);

/* ---- The real functions ------------------------------------------------ */

/* Fallbacks for calls made before the constructor resolved the real
 * functions. syscall() returns -1 and sets errno exactly as libc does. */
static ssize_t raw_read(int fd, void *buf, size_t n) {
  return syscall(SYS_read, fd, buf, n);
}
static ssize_t raw_write(int fd, const void *buf, size_t n) {
  return syscall(SYS_write, fd, buf, n);
}
static ssize_t raw_readv(int fd, const struct iovec *iov, int iovcnt) {
  return syscall(SYS_readv, fd, iov, iovcnt);
}
static ssize_t raw_writev(int fd, const struct iovec *iov, int iovcnt) {
  return syscall(SYS_writev, fd, iov, iovcnt);
}
static ssize_t raw_read_chk(int fd, void *buf, size_t n, size_t buflen) {
  if (n > buflen) {
    __builtin_trap(); /* the program's own overflow, as __chk_fail would */
  }
  return syscall(SYS_read, fd, buf, n);
}

static ssize_t (*real_read)(int, void *, size_t) = raw_read;
static ssize_t (*real_write)(int, const void *, size_t) = raw_write;
static ssize_t (*real_readv)(int, const struct iovec *, int) = raw_readv;
static ssize_t (*real_writev)(int, const struct iovec *, int) = raw_writev;
static ssize_t (*real_read_chk)(int, void *, size_t, size_t) = raw_read_chk;

/* ---- Configuration (written by the constructor only) ------------------- */

static int g_short_io;               /* the short_io fault is on */
static uint64_t g_seed;              /* seed=N */
static uint64_t g_run_key;           /* seed mixed with the program's name */
static unsigned g_next_thread_index; /* atomic; 0 is the main thread */

/* ---- The PRNG: splitmix64, one state per thread ------------------------ */

static const uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static SHIM_TLS uint64_t t_rng_state;
static SHIM_TLS int t_rng_seeded;

static uint64_t thread_seed(unsigned index) {
  return mix64(g_run_key + (uint64_t)(index + 1) * kGolden);
}

/* A signal handler interrupting rng_next in the same thread may reuse a
 * value; that changes which transfer is cut, never the program's safety. */
static uint64_t rng_next(void) {
  if (!t_rng_seeded) {
    unsigned index =
        __atomic_add_fetch(&g_next_thread_index, 1, __ATOMIC_RELAXED);
    t_rng_state = thread_seed(index);
    t_rng_seeded = 1;
  }
  t_rng_state += kGolden;
  return mix64(t_rng_state);
}

/* ---- Fault decisions --------------------------------------------------- */

/* fstat on every call rather than a per-fd cache: descriptors are reused
 * after close and dup2, and this path runs only in fault runs. */
static int fd_is_fifo(int fd) {
  int saved_errno = errno;
  struct stat st;
  int rc = fstat(fd, &st);
  errno = saved_errno;
  return rc == 0 && S_ISFIFO(st.st_mode);
}

/* Reads of 2 bytes or more may come back short. Writes only above PIPE_BUF:
 * POSIX makes a blocking pipe write of at most PIPE_BUF bytes atomic, so a
 * correct program may rely on it (one write() of a short line, e.g. from a
 * signal handler), and no real kernel cuts it short. Fairness first. */
#define SHIM_SHORTEST_READ ((size_t)2)
#define SHIM_SHORTEST_WRITE ((size_t)PIPE_BUF + 1)

/* The count to hand to the real call for a transfer of n bytes on fd:
 * n itself, or (half of the time on a pipe, when n >= smallest) a short
 * 1 <= k < n. */
static size_t short_count(int fd, size_t n, size_t smallest) {
  if (n < smallest || n > SSIZE_MAX || !fd_is_fifo(fd)) {
    return n; /* oversized counts go through: the real call decides */
  }
  if (rng_next() >> 63) {
    return n;
  }
  return 1 + (size_t)(rng_next() % (n - 1));
}

/* Up to this many entries of a cut iovec array are copied to the stack;
 * a cut further along is moved back to an entry boundary instead. Small
 * enough for a signal handler on a small alternate stack. */
enum { kIovCopyMax = 16 };

/* The vector version of short_count: returns the iovcnt for the real call
 * and points *use at iov itself or at copy. Reading the entries means a
 * bad iov pointer faults here instead of giving EFAULT, like glibc's own
 * readv emulations; only fault runs take this path. */
static int short_iov(int fd, size_t smallest, const struct iovec *iov, int iovcnt,
                     struct iovec copy[kIovCopyMax], const struct iovec **use) {
  *use = iov;
  if (iovcnt <= 0 || iovcnt > IOV_MAX) {
    return iovcnt; /* the real call reports EINVAL */
  }
  size_t total = 0;
  for (int i = 0; i < iovcnt; i++) {
    if (iov[i].iov_len > (size_t)SSIZE_MAX - total) {
      return iovcnt; /* EINVAL again */
    }
    total += iov[i].iov_len;
  }
  size_t k = short_count(fd, total, smallest);
  if (k == total) {
    return iovcnt;
  }
  /* Entries 0..j-1 go whole; entry j holds the cut: before < k <= end. */
  size_t before = 0;
  int j = 0;
  while (before + iov[j].iov_len < k) {
    before += iov[j].iov_len;
    j++;
  }
  if (j < kIovCopyMax) {
    for (int i = 0; i <= j; i++) {
      copy[i] = iov[i];
    }
    copy[j].iov_len = k - before;
    *use = copy;
    return j + 1;
  }
  return before > 0 ? j : iovcnt;
}

/* ---- The interposers --------------------------------------------------- */

/* Each interposer is a test of g_short_io and a tail call; the fault paths
 * live in separate functions so the compiler keeps the fast path free of
 * any prologue (rule 6). */
#define SHIM_SLOW __attribute__((noinline, cold))

static SHIM_SLOW ssize_t read_with_faults(int fd, void *buf, size_t n) {
  return real_read(fd, buf, short_count(fd, n, SHIM_SHORTEST_READ));
}

static SHIM_SLOW ssize_t write_with_faults(int fd, const void *buf, size_t n) {
  return real_write(fd, buf, short_count(fd, n, SHIM_SHORTEST_WRITE));
}

/* A smaller count never turns a valid __read_chk into an overflow; an
 * invalid one goes to the real function whole, which aborts as it should. */
static SHIM_SLOW ssize_t read_chk_with_faults(int fd, void *buf, size_t n,
                                              size_t buflen) {
  if (n > buflen) {
    return real_read_chk(fd, buf, n, buflen);
  }
  return real_read_chk(fd, buf, short_count(fd, n, SHIM_SHORTEST_READ), buflen);
}

static SHIM_SLOW ssize_t readv_with_faults(int fd, const struct iovec *iov,
                                           int iovcnt) {
  struct iovec copy[kIovCopyMax];
  const struct iovec *use;
  int cnt = short_iov(fd, SHIM_SHORTEST_READ, iov, iovcnt, copy, &use);
  return real_readv(fd, use, cnt);
}

static SHIM_SLOW ssize_t writev_with_faults(int fd, const struct iovec *iov,
                                            int iovcnt) {
  struct iovec copy[kIovCopyMax];
  const struct iovec *use;
  int cnt = short_iov(fd, SHIM_SHORTEST_WRITE, iov, iovcnt, copy, &use);
  return real_writev(fd, use, cnt);
}

SHIM_EXPORT ssize_t read(int fd, void *buf, size_t n) {
  if (SHIM_LIKELY(!g_short_io)) {
    return real_read(fd, buf, n);
  }
  return read_with_faults(fd, buf, n);
}

SHIM_EXPORT ssize_t write(int fd, const void *buf, size_t n) {
  if (SHIM_LIKELY(!g_short_io)) {
    return real_write(fd, buf, n);
  }
  return write_with_faults(fd, buf, n);
}

/* With _FORTIFY_SOURCE, read(fd, buf, n) on a buffer of known size compiles
 * to __read_chk, which glibc implements with an internal read we would not
 * see. */
SHIM_EXPORT ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen) {
  if (SHIM_LIKELY(!g_short_io)) {
    return real_read_chk(fd, buf, n, buflen);
  }
  return read_chk_with_faults(fd, buf, n, buflen);
}

SHIM_EXPORT ssize_t readv(int fd, const struct iovec *iov, int iovcnt) {
  if (SHIM_LIKELY(!g_short_io)) {
    return real_readv(fd, iov, iovcnt);
  }
  return readv_with_faults(fd, iov, iovcnt);
}

SHIM_EXPORT ssize_t writev(int fd, const struct iovec *iov, int iovcnt) {
  if (SHIM_LIKELY(!g_short_io)) {
    return real_writev(fd, iov, iovcnt);
  }
  return writev_with_faults(fd, iov, iovcnt);
}

/* ---- The constructor --------------------------------------------------- */

/* Parses "seed=N" values: decimal, or hex after 0x. Returns 0 on garbage. */
static int parse_u64(const char *s, size_t len, uint64_t *out) {
  unsigned base = 10;
  if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s += 2;
    len -= 2;
  }
  if (len == 0) {
    return 0;
  }
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned d;
    char c = s[i];
    if (c >= '0' && c <= '9') {
      d = (unsigned)(c - '0');
    } else if (base == 16 && c >= 'a' && c <= 'f') {
      d = (unsigned)(c - 'a' + 10);
    } else if (base == 16 && c >= 'A' && c <= 'F') {
      d = (unsigned)(c - 'A' + 10);
    } else {
      return 0;
    }
    if (v > (UINT64_MAX - d) / base) {
      return 0;
    }
    v = v * base + d;
  }
  *out = v;
  return 1;
}

static int item_is(const char *item, size_t len, const char *word) {
  size_t i = 0;
  for (; i < len && word[i] != '\0'; i++) {
    if (item[i] != word[i]) {
      return 0;
    }
  }
  return i == len && word[i] == '\0';
}

/* Reads IPCGRADE_FAULTS in place: no allocation, no copy. */
static void parse_faults(const char *spec) {
  const char *p = spec;
  while (*p != '\0') {
    const char *end = p;
    while (*end != '\0' && *end != ',') {
      end++;
    }
    const char *b = p;
    const char *e = end;
    while (b < e && (*b == ' ' || *b == '\t')) {
      b++;
    }
    while (e > b && (e[-1] == ' ' || e[-1] == '\t')) {
      e--;
    }
    size_t len = (size_t)(e - b);
    uint64_t seed;
    if (item_is(b, len, "short_io")) {
      g_short_io = 1;
    } else if (len > 5 && item_is(b, 5, "seed=") &&
               parse_u64(b + 5, len - 5, &seed)) {
      g_seed = seed;
    }
    p = *end == ',' ? end + 1 : end;
  }
}

/* FNV-1a of the program's name: the basename of argv[0], or the kernel's
 * comm (read with raw syscalls, no stdio) when there is no argv. */
static uint64_t program_name_hash(int argc, char **argv) {
  uint64_t h = 0xcbf29ce484222325ULL;
  const char *name = NULL;
  size_t len = 0;
  char comm[32];
  if (argc > 0 && argv != NULL && argv[0] != NULL) {
    name = argv[0];
    for (const char *c = argv[0]; *c != '\0'; c++) {
      if (*c == '/') {
        name = c + 1;
      }
    }
    while (name[len] != '\0') {
      len++;
    }
  } else {
    long fd =
        syscall(SYS_openat, AT_FDCWD, "/proc/self/comm", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      long got = syscall(SYS_read, fd, comm, sizeof comm);
      syscall(SYS_close, fd);
      if (got > 0) {
        len = (size_t)got;
        if (comm[len - 1] == '\n') {
          len--;
        }
        name = comm;
      }
    }
  }
  for (size_t i = 0; i < len; i++) {
    h ^= (unsigned char)name[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

#define RESOLVE(ptr, symbol)              \
  do {                                    \
    void *sym = dlsym(RTLD_NEXT, symbol); \
    if (sym != NULL) {                    \
      ptr = (__typeof__(ptr))sym;         \
    }                                     \
  } while (0)

/* glibc passes (argc, argv, envp) to the constructors of every object it
 * loads. dlsym may allocate; that is allowed here, before main. */
__attribute__((constructor)) static void shim_init(int argc, char **argv,
                                                   char **envp) {
  (void)envp;
  int saved_errno = errno;
  RESOLVE(real_read, "read");
  RESOLVE(real_write, "write");
  RESOLVE(real_readv, "readv");
  RESOLVE(real_writev, "writev");
  RESOLVE(real_read_chk, "__read_chk");

  const char *spec = getenv("IPCGRADE_FAULTS");
  if (spec != NULL) {
    parse_faults(spec);
  }
  g_run_key = mix64(g_seed ^ program_name_hash(argc, argv));
  /* The main thread is thread 0 in every run, whichever thread does I/O
   * first. (The constructor runs in the main thread.) */
  t_rng_state = thread_seed(0);
  t_rng_seeded = 1;
  errno = saved_errno;
}
