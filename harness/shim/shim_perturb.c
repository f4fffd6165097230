/* shim_perturb.c: schedule perturbation (the `perturb` fault), and the
 * semaphore's EINTR.
 *
 * A race that a test passes by luck under the usual schedule shows when
 * the schedule changes. This file changes it only with time: seeded yields
 * and sleeps at *perturbation points*, before and after the calls where
 * threads and processes meet (pthread mutexes and condition variables,
 * semaphores, pipe reads and writes (called from ipcgrade_shim.c), fork,
 * kill, pthread_create) and just before the waits that lose a signal sent
 * too early (pause, sigsuspend). Only student programs are perturbed, never
 * the system tools they exec (see ipcgrade_shim.c, "Who gets which
 * fault"); every process and every thread of a student program is. The
 * points work across processes because each process perturbs itself: no
 * shared state, so fork + MAP_SHARED lost updates (which TSan and Helgrind
 * cannot see) are reached as well as thread races.
 *
 * Fairness. A correct program behaves exactly as without perturbation:
 * every real call is made with its own arguments and returns its own
 * result; the shim adds only time before or after it. The one structural
 * move, the *hand-off* after a condition wait (below), releases and
 * retakes the caller's mutex after the real wait returned: an outcome the
 * real implementation gives whenever another thread takes the mutex between
 * the wake-up and the waiter's return, so a program that re-checks its
 * predicate (as POSIX requires) cannot tell the difference.
 *
 * Bounded. Each thread has a sleep budget (kSleepBudgetUs of planned sleep)
 * and a yield budget; past them its points do nothing. The budget counts
 * planned time, not measured time, so decisions stay deterministic.
 * With the plan's `trace` item a thread logs its totals (ev=perturb-summary)
 * after its 1st, 8th, 64th... action and when a budget runs out:
 * bounded, and no decision depends on it.
 *
 * Strategies (IPCGRADE_FAULTS: perturb=random | perturb=pct | perturb=mix;
 * bare `perturb` is mix, which bench/bench_shim_overhead.cpp measured best):
 *   random  at every point, with probability 1/8 a yield, 1/32 a sleep of
 *           1-200 us, 1/512 a long pause of 1-3 ms.
 *   pct     PCT (Burckhardt et al., ASPLOS 2010) emulated with delays, since
 *           priorities cannot be set across processes: each thread starts
 *           with a random priority, high or low; a low thread sleeps
 *           20-170 us at every point (and 0.2-1 ms at its start), a high
 *           one runs free; at kPctChanges random change points among its
 *           first kPctHorizon points a thread drops to low.
 *   mix     random, plus three targeted windows: a new thread or forked
 *           child starts, one time in two, at the next whole millisecond of
 *           the monotonic clock (siblings made close together then start
 *           together, which is what exposes unlocked counters shared
 *           between processes); a sleep of 0.1-1 ms just before
 *           sigsuspend three times in four; the *signal window* just
 *           before pause(), three times in four: the caller sleeps until
 *           no signal has been handled for kPauseQuietUs (at most
 *           kPauseWindowMaxUs in all), so the signals sent between a flag
 *           check and pause() arrive before pause() and are lost, as they
 *           can be in reality when the caller is descheduled there (a
 *           handled signal always ends a nanosleep, SA_RESTART or not; a
 *           blocked one does not, so a program that blocks its signals and
 *           waits with sigsuspend never meets this window); and the
 *           hand-off after a condition
 *           wait one time in four (another thread may take the mutex
 *           first: an `if` instead of a `while` around the wait shows).
 *
 * Determinism. Each thread's decisions come from its lineage key
 * (shim_faults.h): seed, program name, creation order of threads by their
 * creator, fork lineage; never the pid or the clock. (The clock gives only
 * the wake-up instant of an aligned start, never a decision.) Threads are
 * given their key by our pthread_create, through a small table of start
 * slots (no allocation); if the table is full the thread gets a key in the
 * order it first reaches a point.
 *
 * Rules: those of ipcgrade_shim.c. Sleeps and yields are raw syscalls
 * (nanosleep, clock_nanosleep, sched_yield: async-signal-safe); a sleep
 * interrupted by a signal is not resumed; errno is preserved.
 */
#define _GNU_SOURCE

#include "shim_perturb.h"

#include "shim_log.h"
#include "shim_stall.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* ---- The real functions ------------------------------------------------ */

/* Until the constructor resolves them, each real_* points at a stub that
 * resolves everything and calls on (only reachable before main, single
 * threaded: another library's constructor taking a lock, say). */
static void resolve_all(void);

#define REAL(ret, name, params, args)                  \
  static ret stub_##name params;                       \
  static ret(*real_##name) params = stub_##name;       \
  static ret stub_##name params {                      \
    resolve_all();                                     \
    if (real_##name == stub_##name) {                  \
      __builtin_trap(); /* libc without the function */ \
    }                                                  \
    return real_##name args;                           \
  }

REAL(int, pthread_mutex_lock, (pthread_mutex_t * m), (m))
REAL(int, pthread_mutex_trylock, (pthread_mutex_t * m), (m))
REAL(int, pthread_mutex_unlock, (pthread_mutex_t * m), (m))
REAL(int, pthread_cond_wait, (pthread_cond_t * c, pthread_mutex_t *m), (c, m))
REAL(int, pthread_cond_timedwait,
     (pthread_cond_t * c, pthread_mutex_t *m, const struct timespec *t),
     (c, m, t))
REAL(int, pthread_cond_signal, (pthread_cond_t * c), (c))
REAL(int, pthread_cond_broadcast, (pthread_cond_t * c), (c))
REAL(int, sem_wait, (sem_t * s), (s))
REAL(int, sem_trywait, (sem_t * s), (s))
REAL(int, sem_timedwait, (sem_t * s, const struct timespec *t), (s, t))
REAL(int, sem_post, (sem_t * s), (s))
REAL(pid_t, fork, (void), ())
REAL(int, kill, (pid_t p, int sig), (p, sig))
REAL(int, pause, (void), ())
REAL(int, sigsuspend, (const sigset_t *mask), (mask))
REAL(int, pthread_create,
     (pthread_t * t, const pthread_attr_t *a, void *(*f)(void *), void *arg),
     (t, a, f, arg))

#define RESOLVE(name)                           \
  do {                                          \
    void *sym = dlsym(RTLD_NEXT, #name);        \
    if (sym != NULL) {                          \
      real_##name = (__typeof__(real_##name))sym; \
    }                                           \
  } while (0)

/* dlsym without a version can return the old (GLIBC_2.2.5) condition
 * variable functions, which use another object layout than the ones the
 * program was linked against: ask for the current version first. */
#define RESOLVE_COND(name)                                   \
  do {                                                       \
    void *sym = dlvsym(RTLD_NEXT, #name, "GLIBC_2.3.2");     \
    if (sym == NULL) {                                       \
      sym = dlsym(RTLD_NEXT, #name);                         \
    }                                                        \
    if (sym != NULL) {                                       \
      real_##name = (__typeof__(real_##name))sym;            \
    }                                                        \
  } while (0)

static void resolve_all(void) {
  RESOLVE(pthread_mutex_lock);
  RESOLVE(pthread_mutex_trylock);
  RESOLVE(pthread_mutex_unlock);
  RESOLVE_COND(pthread_cond_wait);
  RESOLVE_COND(pthread_cond_timedwait);
  RESOLVE_COND(pthread_cond_signal);
  RESOLVE_COND(pthread_cond_broadcast);
  RESOLVE(sem_wait);
  RESOLVE(sem_trywait);
  RESOLVE(sem_timedwait);
  RESOLVE(sem_post);
  RESOLVE(fork);
  RESOLVE(kill);
  RESOLVE(pause);
  RESOLVE(sigsuspend);
  RESOLVE(pthread_create);
}

/* ---- Configuration (written by shim_perturb_init only) ----------------- */

static int g_sem_faults;  /* eintr or perturb: sem_wait takes the slow path */
static int g_lineage_on;  /* eintr or perturb: threads and forks get keys */

SHIM_HIDDEN void shim_perturb_init(void) {
  resolve_all();
  g_sem_faults = shim_g_eintr || shim_g_perturb;
  g_lineage_on = shim_g_eintr || shim_g_perturb;
}

/* ---- Budgets and tuning ------------------------------------------------ */

enum {
  kSleepBudgetUs = 10000, /* planned sleep per thread: 10 ms */
  kPauseQuietUs = 5000,       /* the signal window before pause() ends   */
  kPauseWindowMaxUs = 50000,  /* after this long without a signal, or    */
  kPauseWindows = 64,         /* this long in all; this many per thread */
  kYieldBudget = 2000,    /* yields per thread */
  kPctChanges = 3,        /* change points per thread */
  kPctHorizon = 400,      /* ... drawn among its first points */
  kTickNs = 1000000,      /* aligned starts: the next whole millisecond */
  kSpinNs = 150000,       /* ... of which at most this is spent polling */
};

static const uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

/* Per-thread state, seeded from the lineage key on first use and again
 * whenever the key changes (a forked child, a new thread). */
struct perturb_thread {
  uint64_t key;
  uint64_t state;
  uint64_t points;
  uint64_t slept_us;
  uint32_t yields;
  uint32_t pause_windows;
  int seeded;
  int low; /* pct: low priority now */
  uint64_t change_at[kPctChanges];
  uint64_t forks;   /* lineage: forks made by this thread */
  uint64_t threads; /* lineage: threads created by this thread */
  /* trace (perturb-summary): actions taken, by kind, and whether the end
   * of each budget was logged. */
  uint64_t actions;
  uint32_t sleeps;
  uint32_t aligns;
  uint32_t handoffs;
  int sleep_budget_logged;
  int yield_budget_logged;
};

static SHIM_TLS struct perturb_thread t_pt;

static uint64_t draw(void);

static void seed_thread(uint64_t key) {
  t_pt.key = key;
  t_pt.state = shim_mix64(key ^ SHIM_STREAM_PERTURB);
  t_pt.points = 0;
  t_pt.slept_us = 0;
  t_pt.yields = 0;
  t_pt.pause_windows = 0;
  t_pt.forks = 0;
  t_pt.threads = 0;
  t_pt.actions = 0;
  t_pt.sleeps = 0;
  t_pt.aligns = 0;
  t_pt.handoffs = 0;
  t_pt.sleep_budget_logged = 0;
  t_pt.yield_budget_logged = 0;
  t_pt.seeded = 1;
  t_pt.low = (int)(draw() & 1);
  for (int i = 0; i < kPctChanges; i++) {
    t_pt.change_at[i] = 1 + draw() % kPctHorizon;
  }
}

static uint64_t draw(void) {
  t_pt.state += kGolden;
  return shim_mix64(t_pt.state);
}

static void ensure_seeded(void) {
  uint64_t key = shim_lineage_key();
  if (!t_pt.seeded || key != t_pt.key) {
    seed_thread(key);
  }
}

/* ---- Time -------------------------------------------------------------- */

/* trace (the plan item, for `ipcgrade repro`): this thread's totals so
 * far, not every action: at its 1st, 8th, 64th, 512th... action (a thread
 * takes a few thousand at most: its budgets) and when a budget runs out
 * (`why` says which). A program with many threads stays readable. */
static int summary_due(uint64_t n) {
  return (n & (n - 1)) == 0 && __builtin_ctzll(n) % 3 == 0;
}

static void summary(const char *why) {
  if (!shim_g_fault_trace || !shim_log_on()) {
    return;
  }
  struct shim_rec rec;
  shim_rec_begin(&rec, "perturb-summary");
  shim_rec_str(&rec, "why", why);
  shim_rec_int(&rec, "actions", (long long)t_pt.actions);
  shim_rec_int(&rec, "sleeps", (long long)t_pt.sleeps);
  shim_rec_int(&rec, "aligns", (long long)t_pt.aligns);
  shim_rec_int(&rec, "slept_us", (long long)t_pt.slept_us);
  shim_rec_int(&rec, "yields", (long long)t_pt.yields);
  shim_rec_int(&rec, "handoffs", (long long)t_pt.handoffs);
  shim_rec_int(&rec, "points", (long long)t_pt.points);
  shim_rec_emit(&rec);
}

/* perturb_trace: one record per action, in the thread's order. Every
 * action passes here, after its kind's counter was advanced. */
static void trace(const char *act, uint64_t us) {
  if (shim_g_fault_trace && summary_due(++t_pt.actions)) {
    summary("progress");
  }
  if (!shim_g_perturb_trace || !shim_log_on()) {
    return;
  }
  struct shim_rec rec;
  shim_rec_begin(&rec, "perturb");
  shim_rec_str(&rec, "act", act);
  shim_rec_int(&rec, "us", (long long)us);
  shim_rec_int(&rec, "point", (long long)t_pt.points);
  shim_rec_emit(&rec);
}

static void sleep_us(uint64_t us) {
  if (t_pt.slept_us + us > kSleepBudgetUs) {
    if (!t_pt.sleep_budget_logged) {
      t_pt.sleep_budget_logged = 1;
      summary("sleep-budget");
    }
    return;
  }
  t_pt.slept_us += us;
  t_pt.sleeps++;
  trace("sleep", us);
  struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
  (void)syscall(SYS_nanosleep, &ts, NULL);
}

static void yield_now(void) {
  if (t_pt.yields >= kYieldBudget) {
    if (!t_pt.yield_budget_logged) {
      t_pt.yield_budget_logged = 1;
      summary("yield-budget");
    }
    return;
  }
  t_pt.yields++;
  trace("yield", 0);
  (void)syscall(SYS_sched_yield);
}

static uint64_t monotonic_ns(void) {
  struct timespec now;
  if (clock_gettime(CLOCK_MONOTONIC, &now) != 0) {
    return 0;
  }
  return (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
}

/* Waits until the next whole millisecond of the monotonic clock: sleeps
 * until kSpinNs before it (a timer wakes up late by up to its slack, 50 us
 * by default, and differently in each process), then polls the clock (vDSO,
 * no syscall) for the rest, so that siblings released by the same tick
 * really run together. */
static void align_to_tick(void) {
  if (t_pt.slept_us + kTickNs / 1000 > kSleepBudgetUs) {
    if (!t_pt.sleep_budget_logged) {
      t_pt.sleep_budget_logged = 1;
      summary("sleep-budget");
    }
    return;
  }
  t_pt.slept_us += kTickNs / 1000;
  t_pt.aligns++;
  trace("align", kTickNs / 1000);
  uint64_t ns = monotonic_ns();
  if (ns == 0) {
    return;
  }
  uint64_t tick = (ns / kTickNs + 1) * kTickNs;
  if (tick - ns > kSpinNs) {
    uint64_t wake = tick - kSpinNs;
    struct timespec at = {(time_t)(wake / 1000000000ULL),
                          (long)(wake % 1000000000ULL)};
    (void)syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &at,
                  NULL);
  }
  while (monotonic_ns() < tick) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
}

/* ---- The strategies ---------------------------------------------------- */

static void random_point(uint64_t r) {
  unsigned pick = (unsigned)(r & 1023);
  uint64_t v = r >> 10;
  if (pick < 128) {
    yield_now();
  } else if (pick < 160) {
    sleep_us(1 + v % 200);
  } else if (pick < 162) {
    sleep_us(1000 + v % 2000);
  }
}

static void pct_point(enum shim_point where, uint64_t r) {
  for (int i = 0; i < kPctChanges; i++) {
    if (t_pt.points == t_pt.change_at[i]) {
      t_pt.low = 1;
    }
  }
  if (!t_pt.low) {
    return;
  }
  uint64_t v = r >> 10;
  sleep_us(where == kPointStart ? 200 + v % 800 : 20 + v % 150);
}

/* The signal window before pause(): sleeps until kPauseQuietUs pass with
 * no signal handled (a handled signal ends a nanosleep with EINTR: start a
 * quiet interval again), or kPauseWindowMaxUs in all. Its own budget, a
 * count of windows, keeps the decisions independent of timing; only the
 * window's length depends on when signals come. */
static void pause_window(void) {
  if (t_pt.pause_windows >= kPauseWindows) {
    return;
  }
  t_pt.pause_windows++;
  t_pt.sleeps++; /* a delay, in the trace's totals */
  trace("pause-window", kPauseQuietUs);
  uint64_t start = monotonic_ns();
  for (;;) {
    struct timespec ts = {0, (long)kPauseQuietUs * 1000};
    if (syscall(SYS_nanosleep, &ts, NULL) == 0 || errno != EINTR) {
      return;
    }
    if (start == 0 || monotonic_ns() - start >= (uint64_t)kPauseWindowMaxUs * 1000) {
      return;
    }
  }
}

static void mix_point(enum shim_point where, uint64_t r) {
  uint64_t v = r >> 10;
  if (where == kPointStart && (r & 1)) {
    align_to_tick();
  } else if (where == kPointBeforePause) {
    if ((r & 3) != 0) {
      pause_window();
    }
  } else if (where == kPointBeforeSleep && (r & 3) != 0) {
    sleep_us(100 + v % 900);
  } else {
    random_point(r);
  }
}

SHIM_HIDDEN void shim_perturb_point(enum shim_point where) {
  int saved_errno = errno;
  ensure_seeded();
  t_pt.points++;
  uint64_t r = draw();
  switch (shim_g_perturb) {
    case kPerturbRandom:
      random_point(r);
      break;
    case kPerturbPct:
      pct_point(where, r);
      break;
    case kPerturbMix:
      mix_point(where, r);
      break;
    default:
      break;
  }
  errno = saved_errno;
}

/* The hand-off after a condition wait (mix only): one time in four, release
 * the mutex the real wait returned with, let others run, take it back. If
 * taking it back fails (a robust mutex whose owner died, say), that result
 * is the wait's: exactly what the real wait would have reported had it
 * met the same state while reacquiring. */
static int cond_handoff(pthread_mutex_t *m, int rc) {
  if (shim_g_perturb != kPerturbMix || (rc != 0 && rc != ETIMEDOUT)) {
    return rc;
  }
  int saved_errno = errno;
  ensure_seeded();
  uint64_t r = draw();
  if ((r & 3) != 0) {
    errno = saved_errno;
    return rc;
  }
  if (real_pthread_mutex_unlock(m) != 0) {
    errno = saved_errno;
    return rc; /* not ours to release (an error-checking mutex says so) */
  }
  t_pt.handoffs++;
  trace("handoff", 0);
  if ((r >> 2) & 1) {
    yield_now();
  } else {
    sleep_us(10 + (r >> 3) % 90);
  }
  int relock = real_pthread_mutex_lock(m);
  errno = saved_errno;
  return relock != 0 ? relock : rc;
}

/* ---- The interposers --------------------------------------------------- */

#define POINT(where)                 \
  do {                               \
    if (shim_g_perturb) {            \
      shim_perturb_point(where);     \
    }                                \
  } while (0)

static SHIM_SLOW int mutex_lock_perturbed(pthread_mutex_t *m) {
  shim_perturb_point(kPointBefore);
  int rc = real_pthread_mutex_lock(m);
  shim_perturb_point(kPointAfter);
  return rc;
}

static SHIM_SLOW int mutex_trylock_perturbed(pthread_mutex_t *m) {
  shim_perturb_point(kPointBefore);
  int rc = real_pthread_mutex_trylock(m);
  shim_perturb_point(kPointAfter);
  return rc;
}

static SHIM_SLOW int mutex_unlock_perturbed(pthread_mutex_t *m) {
  shim_perturb_point(kPointBefore);
  int rc = real_pthread_mutex_unlock(m);
  if (shim_g_stall) {
    shim_stall_point(0, "pthread_mutex_unlock");
  }
  shim_perturb_point(kPointUnlocked);
  return rc;
}

static SHIM_SLOW int cond_wait_perturbed(pthread_cond_t *c, pthread_mutex_t *m) {
  shim_perturb_point(kPointBefore);
  int rc = cond_handoff(m, real_pthread_cond_wait(c, m));
  shim_perturb_point(kPointAfter);
  return rc;
}

static SHIM_SLOW int cond_timedwait_perturbed(pthread_cond_t *c,
                                              pthread_mutex_t *m,
                                              const struct timespec *t) {
  shim_perturb_point(kPointBefore);
  int rc = cond_handoff(m, real_pthread_cond_timedwait(c, m, t));
  shim_perturb_point(kPointAfter);
  return rc;
}

static SHIM_SLOW int cond_signal_perturbed(pthread_cond_t *c, int all) {
  shim_perturb_point(kPointBefore);
  int rc = all ? real_pthread_cond_broadcast(c) : real_pthread_cond_signal(c);
  shim_perturb_point(kPointAfter);
  return rc;
}

SHIM_EXPORT int pthread_mutex_lock(pthread_mutex_t *m) {
  if (SHIM_LIKELY(!shim_g_perturb)) {
    return real_pthread_mutex_lock(m);
  }
  return mutex_lock_perturbed(m);
}

SHIM_EXPORT int pthread_mutex_trylock(pthread_mutex_t *m) {
  if (SHIM_LIKELY(!shim_g_perturb)) {
    return real_pthread_mutex_trylock(m);
  }
  return mutex_trylock_perturbed(m);
}

SHIM_EXPORT int pthread_mutex_unlock(pthread_mutex_t *m) {
  if (SHIM_LIKELY(!shim_g_perturb)) {
    return real_pthread_mutex_unlock(m);
  }
  return mutex_unlock_perturbed(m);
}

SHIM_EXPORT int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m) {
  if (SHIM_LIKELY(!shim_g_perturb)) {
    return real_pthread_cond_wait(c, m);
  }
  return cond_wait_perturbed(c, m);
}

SHIM_EXPORT int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                                       const struct timespec *t) {
  if (SHIM_LIKELY(!shim_g_perturb)) {
    return real_pthread_cond_timedwait(c, m, t);
  }
  return cond_timedwait_perturbed(c, m, t);
}

SHIM_EXPORT int pthread_cond_signal(pthread_cond_t *c) {
  if (SHIM_LIKELY(!shim_g_perturb)) {
    return real_pthread_cond_signal(c);
  }
  return cond_signal_perturbed(c, 0);
}

SHIM_EXPORT int pthread_cond_broadcast(pthread_cond_t *c) {
  if (SHIM_LIKELY(!shim_g_perturb)) {
    return real_pthread_cond_broadcast(c);
  }
  return cond_signal_perturbed(c, 1);
}

/* sem_wait carries both faults: perturbation points around it, and EINTR
 * when it would block (ipcgrade_shim.c decides and logs). */
static SHIM_SLOW int sem_wait_with_faults(sem_t *s, const void *site) {
  POINT(kPointBefore);
  int rc;
  int eintr = shim_g_eintr ? shim_eintr_sem_wait(s, site, real_sem_trywait) : 0;
  if (eintr == 1) {
    rc = -1;
  } else if (eintr == 2) {
    rc = 0;
  } else {
    rc = real_sem_wait(s);
  }
  POINT(kPointAfter);
  if (eintr == 1) {
    errno = EINTR;
  }
  return rc;
}

SHIM_EXPORT int sem_wait(sem_t *s) {
  if (SHIM_LIKELY(!g_sem_faults)) {
    return real_sem_wait(s);
  }
  return sem_wait_with_faults(s, __builtin_return_address(0));
}

static SHIM_SLOW int sem_trywait_perturbed(sem_t *s) {
  shim_perturb_point(kPointBefore);
  int rc = real_sem_trywait(s);
  shim_perturb_point(kPointAfter);
  return rc;
}

static SHIM_SLOW int sem_timedwait_perturbed(sem_t *s, const struct timespec *t) {
  shim_perturb_point(kPointBefore);
  int rc = real_sem_timedwait(s, t);
  shim_perturb_point(kPointAfter);
  return rc;
}

static SHIM_SLOW int sem_post_perturbed(sem_t *s) {
  shim_perturb_point(kPointBefore);
  int rc = real_sem_post(s);
  shim_perturb_point(kPointUnlocked);
  return rc;
}

SHIM_EXPORT int sem_trywait(sem_t *s) {
  if (SHIM_LIKELY(!shim_g_perturb)) {
    return real_sem_trywait(s);
  }
  return sem_trywait_perturbed(s);
}

SHIM_EXPORT int sem_timedwait(sem_t *s, const struct timespec *t) {
  if (SHIM_LIKELY(!shim_g_perturb)) {
    return real_sem_timedwait(s, t);
  }
  return sem_timedwait_perturbed(s, t);
}

SHIM_EXPORT int sem_post(sem_t *s) {
  if (SHIM_LIKELY(!shim_g_perturb)) {
    return real_sem_post(s);
  }
  return sem_post_perturbed(s);
}

/* fork: the child gets its lineage key from its parent's and the number of
 * forks the parent's thread made, so siblings draw different decisions and
 * every run draws the same ones. Needed for eintr as well as perturb. */
static SHIM_SLOW pid_t fork_with_faults(void) {
  ensure_seeded();
  uint64_t n = ++t_pt.forks;
  uint64_t parent_key = shim_lineage_key();
  POINT(kPointBefore);
  pid_t pid = real_fork();
  if (pid == 0) {
    int saved_errno = errno;
    shim_lineage_set(shim_lineage_child(parent_key, n, 'f'));
    errno = saved_errno;
    POINT(kPointStart);
  } else {
    POINT(kPointAfter);
  }
  return pid;
}

SHIM_EXPORT pid_t fork(void) {
  if (SHIM_LIKELY(!g_lineage_on)) {
    return real_fork();
  }
  return fork_with_faults();
}

static SHIM_SLOW int kill_perturbed(pid_t pid, int sig) {
  if (shim_g_stall && pid > 0) {
    shim_stall_point(pid, "kill");
  }
  shim_perturb_point(kPointBefore);
  int rc = real_kill(pid, sig);
  shim_perturb_point(kPointAfter);
  return rc;
}

SHIM_EXPORT int kill(pid_t pid, int sig) {
  if (SHIM_LIKELY(!shim_g_perturb)) {
    return real_kill(pid, sig);
  }
  return kill_perturbed(pid, sig);
}

SHIM_EXPORT int pause(void) {
  if (SHIM_LIKELY(!shim_g_perturb)) {
    return real_pause();
  }
  shim_perturb_point(kPointBeforePause);
  return real_pause();
}

SHIM_EXPORT int sigsuspend(const sigset_t *mask) {
  if (SHIM_LIKELY(!shim_g_perturb)) {
    return real_sigsuspend(mask);
  }
  shim_perturb_point(kPointBeforeSleep);
  return real_sigsuspend(mask);
}

/* ---- pthread_create: lineage keys for new threads ----------------------- */

/* A start slot carries the thread's routine, argument and key from its
 * creator to the new thread without allocating. */
enum { kStartSlots = 128 };

struct start_slot {
  void *(*routine)(void *);
  void *arg;
  uint64_t key;
  int busy; /* atomic */
};

static struct start_slot g_slots[kStartSlots];

static void *start_with_key(void *p) {
  struct start_slot *slot = p;
  void *(*routine)(void *) = slot->routine;
  void *arg = slot->arg;
  shim_lineage_set(slot->key);
  __atomic_store_n(&slot->busy, 0, __ATOMIC_RELEASE);
  POINT(kPointStart);
  return routine(arg);
}

static struct start_slot *claim_slot(void) {
  for (int i = 0; i < kStartSlots; i++) {
    int free_slot = 0;
    if (__atomic_compare_exchange_n(&g_slots[i].busy, &free_slot, 1, 0,
                                    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
      return &g_slots[i];
    }
  }
  return NULL;
}

static SHIM_SLOW int pthread_create_with_key(pthread_t *t, const pthread_attr_t *a,
                                             void *(*routine)(void *), void *arg) {
  ensure_seeded();
  uint64_t key = shim_lineage_child(shim_lineage_key(), ++t_pt.threads, 't');
  POINT(kPointBefore);
  struct start_slot *slot = claim_slot();
  int rc;
  if (slot == NULL) {
    rc = real_pthread_create(t, a, routine, arg);
  } else {
    slot->routine = routine;
    slot->arg = arg;
    slot->key = key;
    rc = real_pthread_create(t, a, start_with_key, slot);
    if (rc != 0) {
      __atomic_store_n(&slot->busy, 0, __ATOMIC_RELEASE);
    }
  }
  POINT(kPointAfter);
  return rc;
}

SHIM_EXPORT int pthread_create(pthread_t *t, const pthread_attr_t *a,
                               void *(*routine)(void *), void *arg) {
  if (SHIM_LIKELY(!g_lineage_on)) {
    return real_pthread_create(t, a, routine, arg);
  }
  return pthread_create_with_key(t, a, routine, arg);
}
