/* shim_stall.c: the `stall` fault, and the busy-wait it exposes.
 *
 * Theory of operation. A busy-waiting program is invisible while the thing
 * it waits for comes quickly: pingpong's answer arrives in microseconds, a
 * producer refills the buffer at once. The contract allows delays at any
 * synchronisation or IPC call, so this fault makes one *long* one: once per
 * thread, at a seeded call among its first few dozen wake-up calls (kill()
 * of a process, or right after pthread_mutex_unlock()), the thread sleeps
 * kStallNs before going on. Whoever waits for that wake-up has, for that
 * long, nothing to do: a correct waiter sleeps (sigsuspend, cond_wait,
 * sem_wait, a blocking read) and is neither running nor ready to run. A
 * waiter that polls is runnable the whole time.
 *
 * The stalling thread measures it itself: just before and just after the
 * sleep it reads /proc/P/task/T/schedstat of every other task of the
 * process it is about to wake (the kill target; for an unlock, its own
 * process; listed from /proc/P/task and read with shim_sys.h's helpers):
 * time on a CPU plus time waiting in a run queue. A task whose
 * runnable time grew by at least half the stall is a busy-waiter, logged
 * as `ev=busy-wait` (harness/shim_events.h turns it into the finding).
 * Runnable time does not depend on the load or on the number of cores: a
 * blocked task accrues none on any machine. Only tests that plan `stall`
 * get it, and a lab plans it where nothing but waiting is left to do
 * during a stall (docs/lab-format.md).
 *
 * With the plan's `trace` item each pause is also logged as it begins
 * (ev=stall call=kill target=PID us=200000; target 0 for an unlock): one
 * record per thread at most.
 *
 * Rules: those of ipcgrade_shim.c. Raw syscalls only, stack buffers, no
 * allocation, errno preserved: kill() may be called from a signal handler.
 */
#define _GNU_SOURCE

#include "shim_stall.h"

#include "shim_log.h"
#include "shim_sys.h"

#include <errno.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

SHIM_HIDDEN int shim_g_stall;

#define SHIM_STREAM_STALL 0x5354414c4cULL /* "STALL" */

static const uint64_t kStallNs = 200000000ULL; /* 200 ms */
static const unsigned kFirstCall = 4;          /* stall at call 4..32 */
static const unsigned kCallSpan = 29;
enum { kMaxTasks = 64 };

struct stall_thread {
  uint64_t key;
  int seeded;
  int done;
  unsigned calls;
  unsigned at;
};
static SHIM_TLS struct stall_thread t_st;

static uint64_t now_ns(void) {
  struct timespec t;
  if (syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t) != 0) {
    return 0;
  }
  return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

/* "/proc/<pid>/task" (tid 0) or "/proc/<pid>/task/<tid>/<leaf>" into
 * buf; 0 when it does not fit. */
static int task_path(char *buf, size_t size, long pid, long tid, const char *leaf) {
  struct shim_text t;
  shim_text_init(&t, buf, size);
  shim_text_str(&t, "/proc/");
  shim_text_dec(&t, (unsigned long long)pid);
  shim_text_str(&t, "/task");
  if (tid > 0) {
    shim_text_str(&t, "/");
    shim_text_dec(&t, (unsigned long long)tid);
    shim_text_str(&t, "/");
    shim_text_str(&t, leaf);
  }
  return !t.cut;
}

/* The tasks of process `pid`, without `skip`. */
static int list_tasks(long pid, long skip, long tids[kMaxTasks]) {
  char path[64];
  struct shim_numdir dir;
  if (!task_path(path, sizeof path, pid, 0, "") || shim_numdir_open(&dir, path) != 0) {
    return 0;
  }
  int n = 0;
  long tid;
  while (shim_numdir_next(&dir, &tid, NULL)) {
    if (tid != skip && n < kMaxTasks) {
      tids[n++] = tid;
    }
  }
  shim_numdir_close(&dir);
  return n;
}

/* schedstat: "<ns on cpu> <ns waiting in a run queue> <slices>". */
static int runnable_ns(long pid, long tid, uint64_t *out) {
  char path[96];
  char text[96];
  if (!task_path(path, sizeof path, pid, tid, "schedstat") ||
      shim_read_small(path, text, sizeof text) <= 0) {
    return 0;
  }
  uint64_t v[2] = {0, 0};
  const char *c = text;
  for (int i = 0; i < 2; i++) {
    while (*c == ' ') {
      c++;
    }
    if (*c < '0' || *c > '9') {
      return 0;
    }
    for (; *c >= '0' && *c <= '9'; c++) {
      v[i] = v[i] * 10 + (uint64_t)(*c - '0');
    }
  }
  *out = v[0] + v[1];
  return 1;
}

static int is_due(void) {
  uint64_t key = shim_lineage_key();
  if (!t_st.seeded || t_st.key != key) {
    t_st.key = key;
    t_st.seeded = 1;
    t_st.done = 0;
    t_st.calls = 0;
    t_st.at = kFirstCall + (unsigned)(shim_mix64(key ^ SHIM_STREAM_STALL) % kCallSpan);
  }
  if (t_st.done) {
    return 0;
  }
  if (++t_st.calls < t_st.at) {
    return 0;
  }
  t_st.done = 1;
  return 1;
}

SHIM_HIDDEN void shim_stall_point(long target, const char *call) {
  int saved_errno = errno;
  if (!is_due()) {
    errno = saved_errno;
    return;
  }
  const long self_pid = syscall(SYS_getpid);
  const long self_tid = syscall(SYS_gettid);
  const long pid = target > 0 ? target : self_pid;
  long tids[kMaxTasks];
  uint64_t before[kMaxTasks];
  int have[kMaxTasks];
  int n = list_tasks(pid, pid == self_pid ? self_tid : -1, tids);
  for (int i = 0; i < n; i++) {
    have[i] = runnable_ns(pid, tids[i], &before[i]);
  }
  if (shim_g_fault_trace) {
    /* Before the pause, so that a live view shows it as it begins. */
    struct shim_rec rec;
    shim_rec_begin(&rec, "stall");
    shim_rec_str(&rec, "call", call);
    shim_rec_int(&rec, "target", target);
    shim_rec_int(&rec, "us", (long long)(kStallNs / 1000));
    shim_rec_emit(&rec);
  }
  const uint64_t start = now_ns();
  if (start != 0) {
    uint64_t until = start + kStallNs;
    struct timespec at = {(time_t)(until / 1000000000ULL), (long)(until % 1000000000ULL)};
    while (syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) != 0 &&
           errno == EINTR) {
    }
  }
  const uint64_t stalled = now_ns() - start;
  uint64_t busiest = 0;
  long busiest_tid = 0;
  for (int i = 0; i < n; i++) {
    uint64_t after = 0;
    if (have[i] && runnable_ns(pid, tids[i], &after) && after >= before[i] &&
        after - before[i] > busiest) {
      busiest = after - before[i];
      busiest_tid = tids[i];
    }
  }
  if (start != 0 && busiest_tid != 0 && 2 * busiest >= stalled) {
    char path[96];
    char comm[32];
    long len = task_path(path, sizeof path, pid, busiest_tid, "comm")
                   ? shim_read_small(path, comm, sizeof comm)
                   : -1;
    while (len > 0 && (comm[len - 1] == '\n' || comm[len - 1] == '\0')) {
      comm[--len] = '\0';
    }
    struct shim_rec rec;
    shim_rec_begin(&rec, "busy-wait");
    shim_rec_str(&rec, "call", call);
    shim_rec_int(&rec, "waiter_pid", pid);
    shim_rec_int(&rec, "waiter_tid", busiest_tid);
    shim_rec_str(&rec, "waiter", len > 0 ? comm : "?");
    shim_rec_int(&rec, "runnable_us", (long long)(busiest / 1000));
    shim_rec_int(&rec, "stall_us", (long long)(stalled / 1000));
    shim_rec_emit(&rec);
  }
  errno = saved_errno;
}
