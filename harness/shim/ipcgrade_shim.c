/* ipcgrade_shim.c: the fault library, LD_PRELOADed into every process of a
 * student's run. It follows fork (the child keeps the parent's state) and
 * exec (LD_PRELOAD and IPCGRADE_FAULTS are inherited, and the constructor
 * runs again in the new image). This file holds the plan, the constructor,
 * the pipe I/O interposers (short_io, eintr) and the wait interposers
 * (eintr); shim_perturb.c holds schedule perturbation (perturb), and the
 * shim_observe_*.c files what the library observes. shim_log.c is the one
 * channel back to the harness; shim_sys.c holds the low-level pieces the
 * files share (small /proc reads, numbered /proc directories, digits).
 *
 * Interface: one environment variable, read once by the constructor.
 *
 *   IPCGRADE_FAULTS=item[,item...]      e.g. "short_io,eintr,seed=42"
 *     short_io   a read or write of more than one byte on a pipe or FIFO
 *                transfers, with probability 1/2, only k bytes, 1 <= k < n
 *                (writes only above PIPE_BUF, see below).
 *     eintr      a call that really blocks at that moment fails, three
 *                times in four, with EINTR and nothing transferred: read,
 *                readv, write, writev on a blocking pipe or FIFO; wait,
 *                waitpid, wait3, wait4, waitid without WNOHANG; sem_wait
 *                (in shim_perturb.c). Student programs only.
 *     perturb    seeded delays and yields around synchronisation and IPC
 *                calls (shim_perturb.c). Student programs only.
 *                perturb=random|pct|mix picks a strategy (bench only; the
 *                grader writes bare `perturb`, the measured best), and
 *                perturb_trace logs every action taken (ev=perturb).
 *     trace      logs what the faults do beyond what grading reads, for
 *                `ipcgrade repro`'s live view: each short transfer
 *                (ev=short-io), each stall pause (ev=stall), perturbation
 *                totals (ev=perturb-summary); bounded per thread
 *                (shim_trace_due). Changes no decision.
 *     stall      once per thread, a 200 ms pause at a seeded kill() or
 *                mutex unlock, measuring whether the tasks it would wake
 *                busy-wait meanwhile (shim_stall.c; ev=busy-wait).
 *                Student programs only.
 *     seed=N     seed of the fault sequence (decimal, or hex with 0x);
 *                default 0.
 *   Items are matched whole; anything else is ignored. Without the variable,
 *   or without a fault item, every interposer is a straight pass-through.
 *
 * Who gets which fault. A *student program* is a process whose executable
 * lies under IPCGRADE_STUDENT_DIR (shim_log.h). eintr and perturb act only
 * there, never in the system tools a submission execs (cat, sort, wc): those
 * are not the student's code, and a tool that misbehaved under a fault would
 * be graded as the student's failure. short_io acts in every process, as it
 * always has: every tool we exec loops on short transfers, and the
 * contract's "a write to a pipe ... that moves fewer bytes than asked"
 * holds for any writer.
 *
 * EINTR, our reading of the contract. The contract ("What every submission
 * must withstand") says that read and write on pipes, blocking waitpid/wait
 * and sem_wait may fail with EINTR in any submission, and relay's section
 * says a write "may be ... interrupted (EINTR)". So an injection does not
 * require the program to have installed a handler. It is made fair by what
 * it never touches: a call that would not block at that moment (a pipe read
 * with data or EOF waiting, a write the pipe can take, a wait with a child
 * ready or no child at all, a sem_wait on a positive semaphore, anything
 * with WNOHANG, O_NONBLOCK or sem_trywait), stdio and other libc-internal
 * calls (not seen: they do not go through the PLT), mutexes and condition
 * variables (never EINTR), and programs that are not the student's. A
 * thread never gets more than kEintrMaxRun injections in a row: the next
 * eligible call goes through, so a program that retries always progresses.
 * Every injection is logged (ev=eintr call=read fd=N, call=waitpid target=P,
 * call=sem_wait sem=0x..., each with in_row=K max_in_row=kEintrMaxRun: the
 * K-th injection in a row in that thread).
 *
 * Interposed here: read, write, readv, writev, __read_chk (what read()
 * becomes in a program built with _FORTIFY_SOURCE), wait, waitpid, wait3,
 * wait4, waitid.
 *
 * What the shim does not see: glibc's own calls made inside libc. stdio
 * (printf, fputs, fwrite, fflush, perror) writes through internal aliases,
 * not through the PLT, so stdio output is never cut short nor interrupted.
 * That is fine: stdio already loops on short writes, and the shim targets
 * the student's own read()/write() calls. Statically linked programs are
 * not preloaded at all.
 *
 * Short transfers are real: the shim calls the real read/write with the
 * smaller count k, so the bytes not written are really not written and a
 * read really leaves the rest in the pipe. A program that ignores write()'s
 * return value loses data, which is the bug the fault exists to expose.
 *
 * Determinism. short_io: the fault sequence of a thread depends only on the
 * seed, the program's name (basename of argv[0], or /proc/self/comm without
 * argv) and the thread's index (the main thread is 0, other threads are
 * numbered in the order of their first pipe transfer), never on the pid or
 * the clock. Its PRNG advances only on calls that could be cut short (a
 * pipe and n > 1), so the same program doing the same I/O calls sees the
 * same short counts; a forked child continues its parent's sequence.
 * eintr and perturb draw from the thread's *lineage key* (shim_faults.h):
 * seed, program name, creation order of threads and fork lineage. The
 * eintr stream advances once per eligible call (the right kind of call on
 * the right kind of descriptor), before the would-it-block probe, so the
 * same calls get the same decisions; whether a planned EINTR lands depends
 * on whether that call would block then, which is timing, as a real signal
 * is.
 *
 * THE CODE IS RATHER DELICATE. THE FOLLOWING RULES MUST BE FOLLOWED:
 *
 * 1. Every interposer, and everything it calls, is async-signal-safe: read
 *    and write are called from signal handlers. No locks, no malloc, no
 *    stdio, no dlsym, no lazily initialised libc state.
 * 2. errno is set only by the real call, or by an injected EINTR. Any
 *    helper that may touch errno (fstat, the probes, logging) saves and
 *    restores it; pass-through paths never touch it.
 * 3. Never fake a result, with one exception that is itself a real result.
 *    A short transfer only changes the arguments (a smaller count) and
 *    returns the real call's value. An injected EINTR returns -1 with errno
 *    EINTR without calling the real function, which is exactly what the
 *    kernel returns for that call when a signal interrupts it before it
 *    moved anything, and it is made only when the call would really block
 *    at that moment (probed with poll, waitid(WNOHANG|WNOWAIT) or
 *    sem_trywait; see "EINTR" above). Nothing else is ever invented.
 * 4. The real functions are resolved with dlsym(RTLD_NEXT, ...) in the
 *    constructor only. Until then the real_* pointers hold raw syscall()
 *    fallbacks, which are always safe (a constructor of another preloaded
 *    library may call write before ours has run).
 * 5. Never write to the program's stdout or stderr, never exit, never
 *    abort on the shim's own account. What the shim did goes to shim_log
 *    (IPCGRADE_LOG) only; an unusable configuration is ignored.
 * 6. The fast path is one predictable branch: with a fault off, an
 *    interposer tests one global and tail-calls the real function.
 * 7. Globals are written only by the constructor (before main, single
 *    threaded). Mutable state is per thread, in initial-exec TLS, which
 *    the loader sets up with the thread and never allocates on access.
 * 8. Inside the shim, call libc only through functions the shim does not
 *    interpose, or through the real_* pointers, or raw syscall(); otherwise
 *    an interposer would recurse into itself.
 */
#define _GNU_SOURCE
#undef _FORTIFY_SOURCE

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shim_faults.h"
#include "shim_log.h"
#include "shim_perturb.h"
#include "shim_stall.h"
#include "shim_sys.h"

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
static pid_t raw_wait4(pid_t pid, int *status, int options, struct rusage *ru) {
  return (pid_t)syscall(SYS_wait4, pid, status, options, ru);
}
static pid_t raw_waitpid(pid_t pid, int *status, int options) {
  return raw_wait4(pid, status, options, NULL);
}
static pid_t raw_wait(int *status) { return raw_wait4(-1, status, 0, NULL); }
static pid_t raw_wait3(int *status, int options, struct rusage *ru) {
  return raw_wait4(-1, status, options, ru);
}
static int raw_waitid(idtype_t type, id_t id, siginfo_t *info, int options) {
  return (int)syscall(SYS_waitid, type, id, info, options, NULL);
}

static ssize_t (*real_read)(int, void *, size_t) = raw_read;
static ssize_t (*real_write)(int, const void *, size_t) = raw_write;
static ssize_t (*real_readv)(int, const struct iovec *, int) = raw_readv;
static ssize_t (*real_writev)(int, const struct iovec *, int) = raw_writev;
static ssize_t (*real_read_chk)(int, void *, size_t, size_t) = raw_read_chk;
static pid_t (*real_wait)(int *) = raw_wait;
static pid_t (*real_waitpid)(pid_t, int *, int) = raw_waitpid;
static pid_t (*real_wait3)(int *, int, struct rusage *) = raw_wait3;
static pid_t (*real_wait4)(pid_t, int *, int, struct rusage *) = raw_wait4;
static int (*real_waitid)(idtype_t, id_t, siginfo_t *, int) = raw_waitid;

/* ---- Configuration (written by the constructor only) ------------------- */

static int g_short_io;               /* the short_io fault is on */
static int g_io_faults;              /* any fault acts on pipe I/O here */
static uint64_t g_seed;              /* seed=N */
static uint64_t g_run_key;           /* seed mixed with the program's name */
static unsigned g_next_thread_index; /* atomic; 0 is the main thread */
static unsigned g_lazy_lineages;     /* atomic: threads not seen created */
static int g_plan_eintr;             /* as planned, before "student?" */
static int g_plan_perturb;
static int g_plan_stall;

SHIM_HIDDEN int shim_g_eintr;
SHIM_HIDDEN int shim_g_perturb;
SHIM_HIDDEN uint64_t shim_g_run_key;
SHIM_HIDDEN int shim_g_perturb_trace;
SHIM_HIDDEN int shim_g_fault_trace;

/* ---- The PRNG: splitmix64, one state per thread ------------------------ */

static const uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

SHIM_HIDDEN uint64_t shim_mix64(uint64_t z) { return mix64(z); }

/* short_io's stream (unchanged since the first version: see
 * "Determinism"). */
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

/* ---- Lineage keys (shim_faults.h) --------------------------------------- */

static SHIM_TLS uint64_t t_lineage;
static SHIM_TLS int t_lineage_set;

SHIM_HIDDEN uint64_t shim_lineage_key(void) {
  if (!t_lineage_set) {
    /* A thread not created through our pthread_create (clone, or the slot
     * table was full): numbered in the order it first needs a key. */
    unsigned n = __atomic_add_fetch(&g_lazy_lineages, 1, __ATOMIC_RELAXED);
    t_lineage = mix64(shim_g_run_key ^ mix64((uint64_t)n * kGolden + 'l'));
    t_lineage_set = 1;
  }
  return t_lineage;
}

SHIM_HIDDEN void shim_lineage_set(uint64_t key) {
  t_lineage = key;
  t_lineage_set = 1;
}

SHIM_HIDDEN uint64_t shim_lineage_child(uint64_t parent, uint64_t n, int kind) {
  return mix64(parent ^ mix64(n * kGolden + (uint64_t)kind));
}

/* ---- Fault decisions: short_io ------------------------------------------ */

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

/* trace: the cuts of this thread so far (a forked child's main thread
 * starts again from 0: the tid tells). */
static SHIM_TLS uint64_t t_short_cuts;
static SHIM_TLS long t_short_tid;

static void short_io_log(const char *call, int fd, size_t asked, size_t k) {
  if (!shim_g_fault_trace || !shim_log_on()) {
    return;
  }
  long tid = syscall(SYS_gettid); /* never fails: errno untouched */
  if (tid != t_short_tid) {
    t_short_tid = tid;
    t_short_cuts = 0;
  }
  if (!shim_trace_due(++t_short_cuts)) {
    return;
  }
  struct shim_rec rec;
  shim_rec_begin(&rec, "short-io");
  shim_rec_str(&rec, "call", call);
  shim_rec_int(&rec, "fd", fd);
  shim_rec_int(&rec, "asked", (long long)asked);
  shim_rec_int(&rec, "cut", (long long)k);
  shim_rec_int(&rec, "n", (long long)t_short_cuts);
  shim_rec_emit(&rec);
}

/* The count to hand to the real call (`call` on fd) for a transfer of n
 * bytes: n itself, or (half of the time on a pipe, when n >= smallest) a
 * short 1 <= k < n. */
static size_t short_count(int fifo, size_t n, size_t smallest, const char *call, int fd) {
  if (!g_short_io || !fifo || n < smallest || n > SSIZE_MAX) {
    return n; /* oversized counts go through: the real call decides */
  }
  if (rng_next() >> 63) {
    return n;
  }
  size_t k = 1 + (size_t)(rng_next() % (n - 1));
  short_io_log(call, fd, n, k);
  return k;
}

/* Up to this many entries of a cut iovec array are copied to the stack;
 * a cut further along is moved back to an entry boundary instead. Small
 * enough for a signal handler on a small alternate stack. */
enum { kIovCopyMax = 16 };

/* The total of an iovec array, or -1 when the real call will say EINVAL.
 * Reading the entries means a bad iov pointer faults here instead of giving
 * EFAULT, like glibc's own readv emulations; only fault runs take this
 * path. */
static ssize_t iov_total(const struct iovec *iov, int iovcnt) {
  if (iovcnt <= 0 || iovcnt > IOV_MAX) {
    return -1;
  }
  size_t total = 0;
  for (int i = 0; i < iovcnt; i++) {
    if (iov[i].iov_len > (size_t)SSIZE_MAX - total) {
      return -1;
    }
    total += iov[i].iov_len;
  }
  return (ssize_t)total;
}

/* The vector version of short_count: returns the iovcnt for the real call
 * and points *use at iov itself or at copy. */
static int short_iov(int fifo, size_t smallest, const struct iovec *iov,
                     int iovcnt, ssize_t total, struct iovec copy[kIovCopyMax],
                     const struct iovec **use, const char *call, int fd) {
  *use = iov;
  if (total < 0) {
    return iovcnt;
  }
  size_t k = short_count(fifo, (size_t)total, smallest, call, fd);
  if (k == (size_t)total) {
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

/* ---- Fault decisions: EINTR --------------------------------------------- */

/* A planned EINTR is drawn for kEintrOdds - 1 eligible calls in kEintrOdds:
 * often, because a program may block in a given call only once per run
 * (one waitpid), and a bug there should show in most repetitions. */
enum { kEintrOdds = 4 };
/* At most this many injections in a row in one thread (so on one call
 * site): the next eligible call goes through. */
enum { kEintrMaxRun = 3 };

static SHIM_TLS uint64_t t_eintr_key;   /* the lineage key it was seeded from */
static SHIM_TLS uint64_t t_eintr_state;
static SHIM_TLS unsigned t_eintr_run;   /* consecutive injections */

static int eintr_planned(void) {
  uint64_t key = shim_lineage_key();
  if (key != t_eintr_key || t_eintr_state == 0) {
    t_eintr_key = key;
    t_eintr_state = mix64(key ^ SHIM_STREAM_EINTR) | 1;
  }
  t_eintr_state += kGolden;
  int planned = mix64(t_eintr_state) % kEintrOdds != 0;
  return planned && t_eintr_run < kEintrMaxRun;
}

/* Every probe is a raw syscall (rule 8) and keeps errno (rule 2). */
static int fd_blocking(int fd) {
  long flags = syscall(SYS_fcntl, fd, F_GETFL);
  return flags >= 0 && (flags & O_NONBLOCK) == 0;
}

/* The events poll reports on fd right now, or -1. */
static int poll_now(int fd, short events) {
  struct pollfd p = {fd, events, 0};
  struct timespec zero = {0, 0};
  long rc = syscall(SYS_ppoll, &p, 1, &zero, NULL, (size_t)0);
  return rc < 0 ? -1 : (rc == 0 ? 0 : p.revents);
}

/* A blocking read of n > 0 bytes blocks iff nothing is waiting and a write
 * end is open (POLLHUP otherwise). A blocking write blocks with nothing
 * moved iff the pipe has no room at all (no POLLOUT) and a reader exists
 * (POLLERR otherwise). A write that can move part of its bytes and then
 * blocks would, if interrupted, return the short count, not EINTR: that is
 * short_io's business, so it is not an EINTR candidate. */
static int io_would_block(int fd, int for_write) {
  int saved_errno = errno;
  int blocks = fd_blocking(fd) && poll_now(fd, for_write ? POLLOUT : POLLIN) == 0;
  errno = saved_errno;
  return blocks;
}

/* waitpid's pid argument as waitid's (idtype, id). P_PGID with id 0 is the
 * caller's own group (Linux 5.4 and later). */
static void wait_target(pid_t pid, idtype_t *type, id_t *id) {
  if (pid < -1) {
    *type = P_PGID;
    *id = (id_t)-pid;
  } else if (pid == -1) {
    *type = P_ALL;
    *id = 0;
  } else if (pid == 0) {
    *type = P_PGID;
    *id = 0;
  } else {
    *type = P_PID;
    *id = (id_t)pid;
  }
}

/* waitpid/wait4 options as waitid options. */
static int waitid_options(int options) {
  int out = WEXITED;
  if (options & WUNTRACED) {
    out |= WSTOPPED;
  }
  return out | (options & (WCONTINUED | __WALL | __WCLONE | __WNOTHREAD));
}

/* A wait blocks iff a child matches and none of them has a state to report:
 * waitid(WNOHANG|WNOWAIT) then returns 0 with si_pid 0, and reaps nothing.
 * No child at all (ECHILD) does not block. */
static int wait_would_block(idtype_t type, id_t id, int waitid_opts) {
  int saved_errno = errno;
  siginfo_t info;
  char *p = (char *)&info;
  for (size_t i = 0; i < sizeof info; i++) {
    p[i] = 0;
  }
  int mask = WEXITED | WSTOPPED | WCONTINUED | __WALL | __WCLONE | __WNOTHREAD;
  long rc = syscall(SYS_waitid, type, id, &info,
                    (waitid_opts & mask) | WNOHANG | WNOWAIT, NULL);
  errno = saved_errno;
  return rc == 0 && info.si_pid == 0;
}

static void eintr_log(const char *call, const char *key, long long value,
                      int as_hex) {
  if (!shim_log_on()) {
    return;
  }
  struct shim_rec rec;
  shim_rec_begin(&rec, "eintr");
  shim_rec_str(&rec, "call", call);
  if (as_hex) {
    shim_rec_hex(&rec, key, (unsigned long long)value);
  } else {
    shim_rec_int(&rec, key, value);
  }
  shim_rec_int(&rec, "in_row", (long long)t_eintr_run);
  shim_rec_int(&rec, "max_in_row", kEintrMaxRun);
  shim_rec_emit(&rec);
}

/* The decision for one eligible call: 1 when it is to fail with EINTR now
 * (logged; the caller returns -1 with errno EINTR). `would_block` is only
 * evaluated when the plan says so. */
#define EINTR_DECIDE(would_block, call, key, value, as_hex) \
  (eintr_planned() && (would_block)                         \
       ? (t_eintr_run++, eintr_log(call, key, value, as_hex), 1) \
       : (t_eintr_run = 0, 0))

static int eintr_io_now(int fd, size_t n, int for_write, const char *call) {
  if (n == 0) {
    return 0; /* a transfer of nothing never blocks; no draw */
  }
  return EINTR_DECIDE(io_would_block(fd, for_write), call, "fd", fd, 0);
}

static int eintr_wait_now(idtype_t type, id_t id, int waitid_opts,
                          const char *call, long long pid) {
  if (waitid_opts & WNOHANG) {
    return 0; /* cannot block: never interrupted */
  }
  return EINTR_DECIDE(wait_would_block(type, id, waitid_opts), call, "target",
                      pid, 0);
}

SHIM_HIDDEN int shim_eintr_sem_wait(sem_t *sem, const void *site,
                                    int (*real_trywait)(sem_t *)) {
  (void)site;
  if (!eintr_planned()) {
    t_eintr_run = 0;
    return 0;
  }
  int saved_errno = errno;
  int rc = real_trywait(sem);
  int err = errno;
  errno = saved_errno;
  if (rc == 0) {
    t_eintr_run = 0;
    return 2; /* it would not have blocked: sem_wait's own fast path */
  }
  if (err != EAGAIN) {
    t_eintr_run = 0;
    return 0; /* EINVAL and the like: let the real call say so */
  }
  t_eintr_run++;
  eintr_log("sem_wait", "sem", (long long)(uintptr_t)sem, 1);
  return 1;
}

/* ---- The I/O interposers ----------------------------------------------- */

/* One transfer on a pipe, with every fault that applies: a perturbation
 * point before and after, EINTR (nothing transferred), or a short count. */
#define SHIM_PIPE_TRANSFER(fifo, eintr_now, call_expr)                 \
  do {                                                                \
    if (shim_g_perturb && (fifo)) {                                   \
      shim_perturb_point(kPointBefore);                               \
    }                                                                 \
    ssize_t rc_;                                                      \
    int interrupted_ = shim_g_eintr && (fifo) && (eintr_now);         \
    if (interrupted_) {                                               \
      rc_ = -1;                                                       \
    } else {                                                          \
      rc_ = (call_expr);                                              \
    }                                                                 \
    if (shim_g_perturb && (fifo)) {                                   \
      shim_perturb_point(kPointAfter);                                \
    }                                                                 \
    if (interrupted_) {                                               \
      errno = EINTR;                                                  \
    }                                                                 \
    return rc_;                                                       \
  } while (0)

static SHIM_SLOW ssize_t read_with_faults(int fd, void *buf, size_t n) {
  int fifo = fd_is_fifo(fd);
  SHIM_PIPE_TRANSFER(fifo, eintr_io_now(fd, n, 0, "read"),
                     real_read(fd, buf, short_count(fifo, n, SHIM_SHORTEST_READ, "read", fd)));
}

static SHIM_SLOW ssize_t write_with_faults(int fd, const void *buf, size_t n) {
  int fifo = fd_is_fifo(fd);
  SHIM_PIPE_TRANSFER(fifo, eintr_io_now(fd, n, 1, "write"),
                     real_write(fd, buf, short_count(fifo, n, SHIM_SHORTEST_WRITE, "write", fd)));
}

/* A smaller count never turns a valid __read_chk into an overflow; an
 * invalid one goes to the real function whole, which aborts as it should. */
static SHIM_SLOW ssize_t read_chk_with_faults(int fd, void *buf, size_t n,
                                              size_t buflen) {
  if (n > buflen) {
    return real_read_chk(fd, buf, n, buflen);
  }
  int fifo = fd_is_fifo(fd);
  SHIM_PIPE_TRANSFER(
      fifo, eintr_io_now(fd, n, 0, "read"),
      real_read_chk(fd, buf, short_count(fifo, n, SHIM_SHORTEST_READ, "read", fd), buflen));
}

static SHIM_SLOW ssize_t readv_with_faults(int fd, const struct iovec *iov,
                                           int iovcnt) {
  struct iovec copy[kIovCopyMax];
  const struct iovec *use = iov;
  int fifo = fd_is_fifo(fd);
  ssize_t total = fifo ? iov_total(iov, iovcnt) : -1;
  SHIM_PIPE_TRANSFER(
      fifo, total > 0 && eintr_io_now(fd, (size_t)total, 0, "readv"),
      ({
        int cnt = short_iov(fifo, SHIM_SHORTEST_READ, iov, iovcnt, total, copy, &use,
                            "readv", fd);
        real_readv(fd, use, cnt);
      }));
}

static SHIM_SLOW ssize_t writev_with_faults(int fd, const struct iovec *iov,
                                            int iovcnt) {
  struct iovec copy[kIovCopyMax];
  const struct iovec *use = iov;
  int fifo = fd_is_fifo(fd);
  ssize_t total = fifo ? iov_total(iov, iovcnt) : -1;
  SHIM_PIPE_TRANSFER(
      fifo, total > 0 && eintr_io_now(fd, (size_t)total, 1, "writev"),
      ({
        int cnt = short_iov(fifo, SHIM_SHORTEST_WRITE, iov, iovcnt, total, copy, &use,
                            "writev", fd);
        real_writev(fd, use, cnt);
      }));
}

SHIM_EXPORT ssize_t read(int fd, void *buf, size_t n) {
  if (SHIM_LIKELY(!g_io_faults)) {
    return real_read(fd, buf, n);
  }
  return read_with_faults(fd, buf, n);
}

SHIM_EXPORT ssize_t write(int fd, const void *buf, size_t n) {
  if (SHIM_LIKELY(!g_io_faults)) {
    return real_write(fd, buf, n);
  }
  return write_with_faults(fd, buf, n);
}

/* With _FORTIFY_SOURCE, read(fd, buf, n) on a buffer of known size compiles
 * to __read_chk, which glibc implements with an internal read we would not
 * see. */
SHIM_EXPORT ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen) {
  if (SHIM_LIKELY(!g_io_faults)) {
    return real_read_chk(fd, buf, n, buflen);
  }
  return read_chk_with_faults(fd, buf, n, buflen);
}

SHIM_EXPORT ssize_t readv(int fd, const struct iovec *iov, int iovcnt) {
  if (SHIM_LIKELY(!g_io_faults)) {
    return real_readv(fd, iov, iovcnt);
  }
  return readv_with_faults(fd, iov, iovcnt);
}

SHIM_EXPORT ssize_t writev(int fd, const struct iovec *iov, int iovcnt) {
  if (SHIM_LIKELY(!g_io_faults)) {
    return real_writev(fd, iov, iovcnt);
  }
  return writev_with_faults(fd, iov, iovcnt);
}

/* ---- The wait interposers (eintr only) ---------------------------------- */

/* glibc's wait, wait3 and waitpid call wait4 internally, not through the
 * PLT, so each is interposed on its own. */

static SHIM_SLOW pid_t waitpid_with_faults(pid_t pid, int *status, int options) {
  idtype_t type;
  id_t id;
  wait_target(pid, &type, &id);
  int opts = waitid_options(options) | (options & WNOHANG);
  if (eintr_wait_now(type, id, opts, "waitpid", pid)) {
    errno = EINTR;
    return -1;
  }
  return real_waitpid(pid, status, options);
}

static SHIM_SLOW pid_t wait4_with_faults(pid_t pid, int *status, int options,
                                         struct rusage *ru) {
  idtype_t type;
  id_t id;
  wait_target(pid, &type, &id);
  int opts = waitid_options(options) | (options & WNOHANG);
  if (eintr_wait_now(type, id, opts, "wait4", pid)) {
    errno = EINTR;
    return -1;
  }
  return real_wait4(pid, status, options, ru);
}

static SHIM_SLOW pid_t wait_with_faults(int *status) {
  if (eintr_wait_now(P_ALL, 0, WEXITED, "wait", -1)) {
    errno = EINTR;
    return -1;
  }
  return real_wait(status);
}

static SHIM_SLOW pid_t wait3_with_faults(int *status, int options,
                                         struct rusage *ru) {
  int opts = waitid_options(options) | (options & WNOHANG);
  if (eintr_wait_now(P_ALL, 0, opts, "wait3", -1)) {
    errno = EINTR;
    return -1;
  }
  return real_wait3(status, options, ru);
}

static SHIM_SLOW int waitid_with_faults(idtype_t type, id_t id, siginfo_t *info,
                                        int options) {
  /* WNOWAIT alone does not make waitid non-blocking: it may be interrupted. */
  if (eintr_wait_now(type, id, options, "waitid", (long long)id)) {
    errno = EINTR;
    return -1;
  }
  return real_waitid(type, id, info, options);
}

SHIM_EXPORT pid_t waitpid(pid_t pid, int *status, int options) {
  if (SHIM_LIKELY(!shim_g_eintr)) {
    return real_waitpid(pid, status, options);
  }
  return waitpid_with_faults(pid, status, options);
}

SHIM_EXPORT pid_t wait4(pid_t pid, int *status, int options, struct rusage *ru) {
  if (SHIM_LIKELY(!shim_g_eintr)) {
    return real_wait4(pid, status, options, ru);
  }
  return wait4_with_faults(pid, status, options, ru);
}

SHIM_EXPORT pid_t wait(int *status) {
  if (SHIM_LIKELY(!shim_g_eintr)) {
    return real_wait(status);
  }
  return wait_with_faults(status);
}

SHIM_EXPORT pid_t wait3(int *status, int options, struct rusage *ru) {
  if (SHIM_LIKELY(!shim_g_eintr)) {
    return real_wait3(status, options, ru);
  }
  return wait3_with_faults(status, options, ru);
}

SHIM_EXPORT int waitid(idtype_t type, id_t id, siginfo_t *info, int options) {
  if (SHIM_LIKELY(!shim_g_eintr)) {
    return real_waitid(type, id, info, options);
  }
  return waitid_with_faults(type, id, info, options);
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
    } else if (item_is(b, len, "eintr")) {
      g_plan_eintr = 1;
    } else if (item_is(b, len, "perturb")) {
      g_plan_perturb = kPerturbMix;
    } else if (item_is(b, len, "perturb=random")) {
      g_plan_perturb = kPerturbRandom;
    } else if (item_is(b, len, "perturb=pct")) {
      g_plan_perturb = kPerturbPct;
    } else if (item_is(b, len, "perturb=mix")) {
      g_plan_perturb = kPerturbMix;
    } else if (item_is(b, len, "stall")) {
      g_plan_stall = 1;
    } else if (item_is(b, len, "perturb_trace")) {
      shim_g_perturb_trace = 1;
    } else if (item_is(b, len, "trace")) {
      shim_g_fault_trace = 1;
    } else if (len > 5 && item_is(b, 5, "seed=") &&
               parse_u64(b + 5, len - 5, &seed)) {
      g_seed = seed;
    }
    p = *end == ',' ? end + 1 : end;
  }
}

/* FNV-1a of the program's name: the basename of argv[0], or the kernel's
 * comm (shim_read_small: raw syscalls, no stdio) when there is no argv. */
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
    long got = shim_read_small("/proc/self/comm", comm, sizeof comm);
    if (got > 0) {
      len = (size_t)got;
      if (comm[len - 1] == '\n') {
        len--;
      }
      name = comm;
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
  shim_log_init();
  RESOLVE(real_read, "read");
  RESOLVE(real_write, "write");
  RESOLVE(real_readv, "readv");
  RESOLVE(real_writev, "writev");
  RESOLVE(real_read_chk, "__read_chk");
  RESOLVE(real_wait, "wait");
  RESOLVE(real_waitpid, "waitpid");
  RESOLVE(real_wait3, "wait3");
  RESOLVE(real_wait4, "wait4");
  RESOLVE(real_waitid, "waitid");

  const char *spec = getenv("IPCGRADE_FAULTS");
  if (spec != NULL) {
    parse_faults(spec);
  }
  g_run_key = mix64(g_seed ^ program_name_hash(argc, argv));
  shim_g_run_key = g_run_key;
  /* The main thread is thread 0 in every run, whichever thread does I/O
   * first. (The constructor runs in the main thread.) */
  t_rng_state = thread_seed(0);
  t_rng_seeded = 1;
  shim_lineage_set(mix64(g_run_key ^ mix64('m')));

  int student = shim_student_program();
  shim_g_eintr = g_plan_eintr && student;
  shim_g_perturb = student ? g_plan_perturb : kPerturbOff;
  /* stall rides on the perturbation interposers (shim_stall.c). */
  shim_g_stall = g_plan_stall && student;
  if (shim_g_stall && shim_g_perturb == kPerturbOff) {
    shim_g_perturb = kPerturbStallOnly;
  }
  /* Pipe I/O has no stall point: a stall-only plan leaves it on the fast
   * path (no fstat, no empty perturbation points per call). */
  g_io_faults = g_short_io || shim_g_eintr ||
                (shim_g_perturb != kPerturbOff && shim_g_perturb != kPerturbStallOnly);
  shim_perturb_init(); /* after the plan: it keeps its own fast-path flags */
  errno = saved_errno;
}
