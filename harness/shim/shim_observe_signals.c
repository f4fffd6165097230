/* shim_observe_signals.c: the `signal-unsafe` observation. A signal handler
 * of the student's program that calls a function that is not
 * async-signal-safe (printf, malloc, exit...) is reported once per
 * (signal, function) per process:
 *
 *   ev=signal-unsafe pid=.. tid=.. prog=relay func=printf sig=10
 *       handler_off=0x1189            (or handler_addr=0x... outside the exe)
 *
 * handler_off is the handler's address in the executable's own address
 * space (what `addr2line -f -e EXE 0x1189` takes), worked out when the
 * handler is installed, never inside the handler.
 *
 * How: sigaction, signal, bsd_signal, sysv_signal and __sysv_signal are
 * interposed. In a
 * student program (shim_student_program()) a real handler is installed as a
 * trampoline that records "this thread is inside the handler of signal S"
 * (initial-exec TLS) and calls the student's handler with the same
 * arguments. The unsafe functions are interposed too; each tests that depth
 * and goes on to the real function. Everything stays transparent: the kernel
 * gets the student's flags and mask (SA_SIGINFO picks the three-argument
 * trampoline, SA_RESETHAND and SA_NODEFER act on the trampoline exactly as
 * they would on the handler), SIG_IGN and SIG_DFL pass straight through, and
 * the old action handed back names the student's handler, never ours.
 *
 * A handler that leaves by siglongjmp never returns to the trampoline. Each
 * depth level therefore keeps the stack pointer at which the handler was
 * entered; a level is live only while the current stack pointer lies below
 * it (within a bound), so code after the jump is not taken for handler code.
 *
 * Dedup: one record per (function, signal) per process. A table holds, for
 * each pair, the pid that reported it; a forked child reports again.
 *
 * THE CODE IS RATHER DELICATE. THE FOLLOWING RULES MUST BE FOLLOWED:
 *
 * 1. Every interposer, the trampolines and everything they call are
 *    async-signal-safe: no locks, no malloc, no stdio. The slow path (inside
 *    a handler) uses raw syscalls and shim_log only.
 * 2. errno is set only by the real call; shim_log preserves errno.
 * 3. The fast path of a hot interposer (malloc, free, printf) is one test of
 *    a TLS int and a call of the real function.
 * 4. malloc, calloc, realloc and free go to glibc's __libc_* entry points,
 *    which need no dlsym (dlsym itself allocates) and share glibc's heap,
 *    so memalign'd or strdup'd blocks can be freed through us. The other
 *    real functions are resolved with dlsym(RTLD_NEXT) in the constructor,
 *    or on first use if a call comes before it (never inside a handler in
 *    practice: handlers run after main starts).
 * 5. Only the student's own programs get trampolines; in any other program
 *    the depth stays 0 and every interposer is a pass-through.
 * 6. Never write to the program's stdout or stderr, never exit or abort on
 *    the shim's own account.
 */
#define _GNU_SOURCE
#undef _FORTIFY_SOURCE

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <unistd.h>

#include "shim_log.h"
#include "shim_sys.h"

#define SHIM_EXPORT __attribute__((visibility("default")))
#define SHIM_TLS __thread __attribute__((tls_model("initial-exec")))
#define SHIM_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define SHIM_SLOW __attribute__((noinline, cold))

/* glibc's own entry points of its allocator (exported, GLIBC_2.2.5). */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

/* ---- The functions we watch ------------------------------------------- */

enum unsafe_func {
  kPrintf,
  kFprintf,
  kVprintf,
  kVfprintf,
  kPuts,
  kFputs,
  kPutchar,
  kFputc,
  kPutc,
  kFflush,
  kFwrite,
  kPerror,
  kMalloc,
  kCalloc,
  kRealloc,
  kFree,
  kExit,
  kSyslog,
  kFuncCount
};

static const char *const kFuncNames[kFuncCount] = {
    "printf", "fprintf", "vprintf", "vfprintf", "puts",   "fputs",
    "putchar", "fputc",  "putc",    "fflush",   "fwrite", "perror",
    "malloc", "calloc",  "realloc", "free",     "exit",   "syslog"};

/* ---- Configuration (written by the constructor only) ------------------- */

static int g_observe;              /* this process is a student program */
static uintptr_t g_exe_bias;       /* load bias of the executable */
static uintptr_t g_exe_lo, g_exe_hi; /* its PT_LOAD range, runtime addresses */

/* ---- Per-signal tables ------------------------------------------------- */

#define SHIM_NSIG 65
typedef void (*plain_handler)(int);
typedef void (*info_handler)(int, siginfo_t *, void *);

/* The student's handlers, one table per trampoline kind, so a trampoline
 * never calls a handler with the wrong number of arguments. */
static plain_handler g_plain[SHIM_NSIG];
static info_handler g_info[SHIM_NSIG];
/* Where the current handler of each signal lives (0: not in the exe). */
static uintptr_t g_handler_at[SHIM_NSIG];

/* pid that reported (function, signal); 0: not yet. */
static int g_reported[kFuncCount][SHIM_NSIG];

/* ---- Handler depth, per thread ---------------------------------------- */

enum { kMaxDepth = 8 };
/* A handler's calls run at most this far below its entry stack pointer. */
static const uintptr_t kHandlerStackSpan = (uintptr_t)8 << 20;

static SHIM_TLS int t_depth;
static SHIM_TLS uintptr_t t_entry_sp[kMaxDepth];
static SHIM_TLS int t_sig[kMaxDepth];

/* The number of handler levels still live at stack pointer sp: levels
 * left by a longjmp lie below sp and are dropped. */
static int live_depth(uintptr_t sp) {
  int d = t_depth;
  if (d > kMaxDepth) {
    d = kMaxDepth;
  }
  while (d > 0) {
    uintptr_t top = t_entry_sp[d - 1];
    if (sp <= top && top - sp < kHandlerStackSpan) {
      break;
    }
    d--;
  }
  return d;
}

static int enter_handler(int sig, uintptr_t sp) {
  int d = live_depth(sp);
  if (d < kMaxDepth) {
    t_entry_sp[d] = sp;
    t_sig[d] = sig;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    t_depth = d + 1;
  }
  return d;
}

static void leave_handler(int d) {
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  t_depth = d;
}

static void trampoline_plain(int sig) {
  int d = enter_handler(sig, (uintptr_t)__builtin_frame_address(0));
  plain_handler h = g_plain[sig];
  if (h != NULL) {
    h(sig);
  }
  leave_handler(d);
}

static void trampoline_info(int sig, siginfo_t *info, void *uctx) {
  int d = enter_handler(sig, (uintptr_t)__builtin_frame_address(0));
  info_handler h = g_info[sig];
  if (h != NULL) {
    h(sig, info, uctx);
  }
  leave_handler(d);
}

/* Called by an interposer when t_depth > 0. */
static SHIM_SLOW void note_unsafe(enum unsafe_func f) {
  int d = live_depth((uintptr_t)__builtin_frame_address(0));
  if (d == 0) {
    t_depth = 0; /* every level was left by a longjmp */
    return;
  }
  int sig = t_sig[d - 1];
  if (sig <= 0 || sig >= SHIM_NSIG) {
    return;
  }
  int pid = (int)syscall(SYS_getpid);
  int old = __atomic_load_n(&g_reported[f][sig], __ATOMIC_RELAXED);
  if (old == pid ||
      !__atomic_compare_exchange_n(&g_reported[f][sig], &old, pid, 0,
                                   __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    return;
  }
  struct shim_rec r;
  shim_rec_begin(&r, "signal-unsafe");
  shim_rec_str(&r, "func", kFuncNames[f]);
  shim_rec_int(&r, "sig", sig);
  uintptr_t at = g_handler_at[sig];
  if (at >= g_exe_lo && at < g_exe_hi && g_exe_hi != 0) {
    shim_rec_hex(&r, "handler_off", at - g_exe_bias);
  } else {
    shim_rec_hex(&r, "handler_addr", at);
  }
  shim_rec_emit(&r);
}

#define WATCH(f)                       \
  do {                                 \
    if (SHIM_UNLIKELY(t_depth > 0)) {  \
      note_unsafe(f);                  \
    }                                  \
  } while (0)

/* ---- The real functions ------------------------------------------------ */

static int (*real_sigaction)(int, const struct sigaction *, struct sigaction *);
static sighandler_t (*real_signal)(int, sighandler_t);
static sighandler_t (*real_bsd_signal)(int, sighandler_t);
static sighandler_t (*real_sysv_signal)(int, sighandler_t);
static sighandler_t (*real___sysv_signal)(int, sighandler_t);
static int (*real_vprintf)(const char *, va_list);
static int (*real_vfprintf)(FILE *, const char *, va_list);
static int (*real_vprintf_chk)(int, const char *, va_list);
static int (*real_vfprintf_chk)(FILE *, int, const char *, va_list);
static int (*real_puts)(const char *);
static int (*real_fputs)(const char *, FILE *);
static int (*real_putchar)(int);
static int (*real_fputc)(int, FILE *);
static int (*real_putc)(int, FILE *);
static int (*real_fflush)(FILE *);
static size_t (*real_fwrite)(const void *, size_t, size_t, FILE *);
static void (*real_perror)(const char *);
static void (*real_exit)(int);
static void (*real_vsyslog)(int, const char *, va_list);
static void (*real_vsyslog_chk)(int, int, const char *, va_list);

/* The real function in *slot, resolved on first use when a call comes
 * before the constructor. */

/* ---- Installing handlers ---------------------------------------------- */

static int wrappable(int sig, void *handler) {
  return g_observe && sig > 0 && sig < SHIM_NSIG && sig != SIGKILL &&
         sig != SIGSTOP && handler != (void *)SIG_IGN &&
         handler != (void *)SIG_DFL && handler != (void *)SIG_ERR &&
         handler != NULL;
}

/* Puts the student's handler back into an old action the kernel returned. */
static void unwrap_old(struct sigaction *old, plain_handler prev_plain,
                       info_handler prev_info) {
  if (old->sa_handler == trampoline_plain) {
    old->sa_handler = prev_plain;
  } else if (old->sa_sigaction == trampoline_info) {
    old->sa_sigaction = prev_info;
  }
}

SHIM_EXPORT int sigaction(int sig, const struct sigaction *act,
                          struct sigaction *oldact) {
  SHIM_REAL(real_sigaction, "sigaction");
  if (sig <= 0 || sig >= SHIM_NSIG) {
    return real_sigaction(sig, act, oldact);
  }
  plain_handler prev_plain = g_plain[sig];
  info_handler prev_info = g_info[sig];
  uintptr_t prev_at = g_handler_at[sig];
  int rc;
  if (act != NULL && (act->sa_flags & SA_SIGINFO) &&
      wrappable(sig, (void *)act->sa_sigaction)) {
    struct sigaction mine = *act;
    g_info[sig] = act->sa_sigaction;
    g_handler_at[sig] = (uintptr_t)act->sa_sigaction;
    mine.sa_sigaction = trampoline_info;
    rc = real_sigaction(sig, &mine, oldact);
  } else if (act != NULL && !(act->sa_flags & SA_SIGINFO) &&
             wrappable(sig, (void *)act->sa_handler)) {
    struct sigaction mine = *act;
    g_plain[sig] = act->sa_handler;
    g_handler_at[sig] = (uintptr_t)act->sa_handler;
    mine.sa_handler = trampoline_plain;
    rc = real_sigaction(sig, &mine, oldact);
  } else {
    rc = real_sigaction(sig, act, oldact);
  }
  if (rc != 0) {
    g_plain[sig] = prev_plain;
    g_info[sig] = prev_info;
    g_handler_at[sig] = prev_at;
  } else if (oldact != NULL) {
    unwrap_old(oldact, prev_plain, prev_info);
  }
  return rc;
}

/* signal() and its variants keep their own semantics (BSD or System V
 * flags, siginterrupt state) by calling the real function with the
 * trampoline in place of the handler. */
static sighandler_t wrap_signal(sighandler_t (*real)(int, sighandler_t),
                                int sig, sighandler_t handler) {
  if (!wrappable(sig, (void *)handler)) {
    if (sig <= 0 || sig >= SHIM_NSIG) {
      return real(sig, handler);
    }
    plain_handler prev_plain = g_plain[sig];
    info_handler prev_info = g_info[sig];
    sighandler_t old = real(sig, handler);
    if (old == trampoline_plain) {
      return prev_plain;
    }
    if (old == (sighandler_t)(void *)trampoline_info) {
      return (sighandler_t)(void *)prev_info;
    }
    return old;
  }
  plain_handler prev_plain = g_plain[sig];
  info_handler prev_info = g_info[sig];
  uintptr_t prev_at = g_handler_at[sig];
  g_plain[sig] = handler;
  g_handler_at[sig] = (uintptr_t)handler;
  sighandler_t old = real(sig, trampoline_plain);
  if (old == SIG_ERR) {
    g_plain[sig] = prev_plain;
    g_handler_at[sig] = prev_at;
    return old;
  }
  if (old == trampoline_plain) {
    return prev_plain;
  }
  if (old == (sighandler_t)(void *)trampoline_info) {
    return (sighandler_t)(void *)prev_info;
  }
  return old;
}

SHIM_EXPORT sighandler_t signal(int sig, sighandler_t handler) {
  return wrap_signal(SHIM_REAL(real_signal, "signal"), sig, handler);
}

SHIM_EXPORT sighandler_t bsd_signal(int sig, sighandler_t handler) {
  return wrap_signal(SHIM_REAL(real_bsd_signal, "bsd_signal"), sig, handler);
}

SHIM_EXPORT sighandler_t sysv_signal(int sig, sighandler_t handler) {
  return wrap_signal(SHIM_REAL(real_sysv_signal, "sysv_signal"), sig, handler);
}

/* What signal() becomes in a program built with strict ISO C (-std=c11). */
SHIM_EXPORT sighandler_t __sysv_signal(int sig, sighandler_t handler) {
  return wrap_signal(SHIM_REAL(real___sysv_signal, "__sysv_signal"), sig, handler);
}

/* ---- stdio ------------------------------------------------------------- */

SHIM_EXPORT int printf(const char *fmt, ...) {
  WATCH(kPrintf);
  va_list ap;
  va_start(ap, fmt);
  int rc = SHIM_REAL(real_vprintf, "vprintf")(fmt, ap);
  va_end(ap);
  return rc;
}

SHIM_EXPORT int fprintf(FILE *f, const char *fmt, ...) {
  WATCH(kFprintf);
  va_list ap;
  va_start(ap, fmt);
  int rc = SHIM_REAL(real_vfprintf, "vfprintf")(f, fmt, ap);
  va_end(ap);
  return rc;
}

SHIM_EXPORT int vprintf(const char *fmt, va_list ap) {
  WATCH(kVprintf);
  return SHIM_REAL(real_vprintf, "vprintf")(fmt, ap);
}

SHIM_EXPORT int vfprintf(FILE *f, const char *fmt, va_list ap) {
  WATCH(kVfprintf);
  return SHIM_REAL(real_vfprintf, "vfprintf")(f, fmt, ap);
}

/* What printf and friends become under _FORTIFY_SOURCE. */
SHIM_EXPORT int __printf_chk(int flag, const char *fmt, ...) {
  WATCH(kPrintf);
  va_list ap;
  va_start(ap, fmt);
  int rc = SHIM_REAL(real_vprintf_chk, "__vprintf_chk")(flag, fmt, ap);
  va_end(ap);
  return rc;
}

SHIM_EXPORT int __fprintf_chk(FILE *f, int flag, const char *fmt, ...) {
  WATCH(kFprintf);
  va_list ap;
  va_start(ap, fmt);
  int rc = SHIM_REAL(real_vfprintf_chk, "__vfprintf_chk")(f, flag, fmt, ap);
  va_end(ap);
  return rc;
}

SHIM_EXPORT int __vprintf_chk(int flag, const char *fmt, va_list ap) {
  WATCH(kVprintf);
  return SHIM_REAL(real_vprintf_chk, "__vprintf_chk")(flag, fmt, ap);
}

SHIM_EXPORT int __vfprintf_chk(FILE *f, int flag, const char *fmt, va_list ap) {
  WATCH(kVfprintf);
  return SHIM_REAL(real_vfprintf_chk, "__vfprintf_chk")(f, flag, fmt, ap);
}

SHIM_EXPORT int puts(const char *s) {
  WATCH(kPuts);
  return SHIM_REAL(real_puts, "puts")(s);
}

SHIM_EXPORT int fputs(const char *s, FILE *f) {
  WATCH(kFputs);
  return SHIM_REAL(real_fputs, "fputs")(s, f);
}

SHIM_EXPORT int putchar(int c) {
  WATCH(kPutchar);
  return SHIM_REAL(real_putchar, "putchar")(c);
}

SHIM_EXPORT int fputc(int c, FILE *f) {
  WATCH(kFputc);
  return SHIM_REAL(real_fputc, "fputc")(c, f);
}

SHIM_EXPORT int putc(int c, FILE *f) {
  WATCH(kPutc);
  return SHIM_REAL(real_putc, "putc")(c, f);
}

SHIM_EXPORT int fflush(FILE *f) {
  WATCH(kFflush);
  return SHIM_REAL(real_fflush, "fflush")(f);
}

SHIM_EXPORT size_t fwrite(const void *p, size_t size, size_t n, FILE *f) {
  WATCH(kFwrite);
  return SHIM_REAL(real_fwrite, "fwrite")(p, size, n, f);
}

SHIM_EXPORT void perror(const char *s) {
  WATCH(kPerror);
  SHIM_REAL(real_perror, "perror")(s);
}

/* ---- The allocator ----------------------------------------------------- */

SHIM_EXPORT void *malloc(size_t n) {
  WATCH(kMalloc);
  return __libc_malloc(n);
}

SHIM_EXPORT void *calloc(size_t n, size_t size) {
  WATCH(kCalloc);
  return __libc_calloc(n, size);
}

SHIM_EXPORT void *realloc(void *p, size_t n) {
  WATCH(kRealloc);
  return __libc_realloc(p, n);
}

SHIM_EXPORT void free(void *p) {
  WATCH(kFree);
  __libc_free(p);
}

/* ---- exit and syslog --------------------------------------------------- */

SHIM_EXPORT void exit(int status) {
  WATCH(kExit);
  SHIM_REAL(real_exit, "exit")(status);
  __builtin_unreachable();
}

SHIM_EXPORT void syslog(int pri, const char *fmt, ...) {
  WATCH(kSyslog);
  va_list ap;
  va_start(ap, fmt);
  SHIM_REAL(real_vsyslog, "vsyslog")(pri, fmt, ap);
  va_end(ap);
}

SHIM_EXPORT void vsyslog(int pri, const char *fmt, va_list ap) {
  WATCH(kSyslog);
  SHIM_REAL(real_vsyslog, "vsyslog")(pri, fmt, ap);
}

SHIM_EXPORT void __syslog_chk(int pri, int flag, const char *fmt, ...) {
  WATCH(kSyslog);
  va_list ap;
  va_start(ap, fmt);
  SHIM_REAL(real_vsyslog_chk, "__vsyslog_chk")(pri, flag, fmt, ap);
  va_end(ap);
}

/* ---- The constructor --------------------------------------------------- */

/* The executable's load bias and runtime range, from its program headers
 * (getauxval is a read of a static table: no lock, no allocation). */
static void find_executable(void) {
  const ElfW(Phdr) *phdr = (const ElfW(Phdr) *)getauxval(AT_PHDR);
  unsigned long phnum = getauxval(AT_PHNUM);
  if (phdr == NULL || phnum == 0) {
    return;
  }
  uintptr_t bias = 0;
  int have_bias = 0;
  for (unsigned long i = 0; i < phnum; i++) {
    if (phdr[i].p_type == PT_PHDR) {
      bias = (uintptr_t)phdr - phdr[i].p_vaddr;
      have_bias = 1;
    }
  }
  if (!have_bias) {
    return;
  }
  uintptr_t lo = UINTPTR_MAX, hi = 0;
  for (unsigned long i = 0; i < phnum; i++) {
    if (phdr[i].p_type == PT_LOAD && (phdr[i].p_flags & PF_X)) {
      uintptr_t a = bias + phdr[i].p_vaddr;
      if (a < lo) {
        lo = a;
      }
      if (a + phdr[i].p_memsz > hi) {
        hi = a + phdr[i].p_memsz;
      }
    }
  }
  if (hi > lo) {
    g_exe_bias = bias;
    g_exe_lo = lo;
    g_exe_hi = hi;
  }
}

__attribute__((constructor)) static void observe_signals_init(void) {
  int saved_errno = errno;
  shim_log_init();
  SHIM_REAL(real_sigaction, "sigaction");
  SHIM_REAL(real_signal, "signal");
  SHIM_REAL(real_bsd_signal, "bsd_signal");
  SHIM_REAL(real_sysv_signal, "sysv_signal");
  SHIM_REAL(real___sysv_signal, "__sysv_signal");
  SHIM_REAL(real_vprintf, "vprintf");
  SHIM_REAL(real_vfprintf, "vfprintf");
  SHIM_REAL(real_vprintf_chk, "__vprintf_chk");
  SHIM_REAL(real_vfprintf_chk, "__vfprintf_chk");
  SHIM_REAL(real_puts, "puts");
  SHIM_REAL(real_fputs, "fputs");
  SHIM_REAL(real_putchar, "putchar");
  SHIM_REAL(real_fputc, "fputc");
  SHIM_REAL(real_putc, "putc");
  SHIM_REAL(real_fflush, "fflush");
  SHIM_REAL(real_fwrite, "fwrite");
  SHIM_REAL(real_perror, "perror");
  SHIM_REAL(real_exit, "exit");
  SHIM_REAL(real_vsyslog, "vsyslog");
  SHIM_REAL(real_vsyslog_chk, "__vsyslog_chk");
  find_executable();
  g_observe = shim_student_program() && shim_log_on();
  errno = saved_errno;
}
