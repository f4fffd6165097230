// HangOracle: tells, from /proc and while the run goes on, that a student's
// program is stuck for good, and why: a reader that never sees EOF because a
// write end of its pipe is still open (eof-hang), or tasks that all wait for
// each other (deadlock). Without it a hung program is only ended by the
// wall-clock limit, as a bare `timeout`.
//
// Theory of operation
// -------------------
// The run's tasks are every thread of every descendant of the keeper
// (sandbox/keeper.h), never the keeper itself. The runner calls sample()
// about every 100 ms with the grader's own progress counters. Each sample
// walks the tree (/proc/K/task/T/children of every thread, from the keeper
// down) and reads, per task, /proc/P/task/T/stat (state, CPU time),
// .../syscall (the call it sleeps in, with its arguments) and .../status
// (context switches). A sample is *hung* only when all of this holds:
//   - there is at least one live task, and every one is sleeping (S):
//     running (R), uninterruptible (D), stopped or traced (T, t) are not
//     hangs; zombies are not tasks;
//   - every task sleeps in a wait only another task of the run can end,
//     judged from the x86-64 syscall number and arguments: read/readv and
//     write/writev on an anonymous pipe; wait4/waitid without WNOHANG;
//     pause, sigsuspend, sigwaitinfo (no timeout); futex waits and locks
//     with no timeout; semop, semtimedop with no timeout; poll, ppoll,
//     select, pselect6, epoll_wait/epoll_pwait(2) with no timeout over
//     anonymous pipes only. Anything else (sockets, files, ttys, FIFOs in
//     the file system, sleeps, timed waits, calls we do not know) is not;
//   - the grader will not end the wait itself: a write to the run's stdout
//     or stderr pipe (the grader reads them) is never a hang, nor a read of
//     the stdin pipe while the grader still has stdin to write;
//   - nothing moved since the previous sample: the same tasks in the same
//     calls, the same CPU time and context switches (a task that woke up
//     and slept again has one more voluntary switch), the same bytes of
//     stdin written and of output received.
// A task that is woken is R at once, even before it gets a CPU, so a hung
// sample is not a scheduling artefact: during the interval between two
// samples nothing of the run ran. kStableSamples hung samples in a row make
// a candidate verdict, 0.3 to 0.4 s after the hang forms. Before declaring
// it, the oracle confirms what a sample cannot see cheaply:
//   - the task tree matches a scan of every /proc/P/stat by parent pid (the
//     children files are only a hint while processes come and go);
//   - every process is a 64-bit x86-64 program (syscall numbers are read in
//     that table);
//   - no timer can send a signal: the run's processes own no POSIX timer
//     (/proc/P/timers) and no interval timer or alarm() is armed anywhere on
//     the machine (/proc/timer_list names no it_real_fn, posix_timer_fn or
//     alarmtimer; alarms cannot be traced to a process, so any one vetoes);
//   - every pipe a task waits on has the other end open in the run (a
//     blocked reader with no writer left would already have seen EOF).
// A check that cannot be made (a file unreadable, /proc/timer_list needs
// root) vetoes the verdict: a false hang on a correct program is the worst
// mistake the grader can make, and the wall clock remains the last resort.
//
// Assumptions. The run's pipes are made inside the run or are its standard
// streams (the keeper passes only descriptors 0-2), and nothing outside the
// run acts on it on purpose (signals from elsewhere, System V objects or
// shared memory touched by unrelated processes): the lab contract makes
// programs self-contained; the full sandbox tier will enforce it with
// namespaces.
//
// Pids. The oracle walks /proc by the pids of the namespace /proc was
// mounted in (the host's), but a diagnosis speaks in the run's own pids:
// in the full tier (sandbox/keeper.h) the run has its own PID namespace,
// whose pid 1 is the inner keeper, and the program's syscall arguments
// (wait4's pid), the keeper's report (main_pid) and whatever the student
// sees from inside all use that numbering. The run's namespace is the
// keeper's own: its level is the number of ids on the keeper's "NSpid:"
// line of /proc/K/status, less one. Each task's pid and tid in it are read
// at that level from the "NStgid:" and "NSpid:" lines of its
// /proc/P/task/T/status (already read for the context switches), and
// every pid or tid a diagnosis shows (BlockedTask, PipeHolder, summary,
// evidence) is that one, as is the pid a wait4/waitid argument is matched
// against to name the child waited for. In the reduced tier the keeper is
// in the host's namespace (one id): the run's pids are the host's and
// nothing is translated. A task of a namespaced run whose pid in the run
// cannot be read vetoes the verdict, like any unreadable file.
//
// Diagnosis. eof-hang when a task is blocked in read() on a pipe whose
// write end is still open in the run, held by the reader itself or only by
// tasks that do not wait for data (wait4, sigsuspend...): every holder is
// named with its descriptor. Otherwise deadlock, with every task's call in
// words ("write(fd 1 → pipe:[77]) on a full pipe").
//
// Cost. A sample stops at the first task that is not in an indefinite wait,
// and the next sample looks at that task first, so a running or sleeping
// program costs a few reads of /proc per sample. Descriptors and timers are
// only read to confirm a candidate verdict.
//
// A HangOracle belongs to one run and to the thread that drives it; it is
// not thread-safe. On other architectures than x86-64 it never gives a
// verdict.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "harness/finding.h"
#include "harness/proc_fs.h"

namespace ipcgrade {

// The grader's pipes to the run, by pipefs inode: the oracle must know which
// waits the grader itself ends (it writes stdin, reads stdout and stderr).
struct GraderPipes {
  std::uint64_t stdin_inode = 0;
  std::uint64_t stdout_inode = 0;
  std::uint64_t stderr_inode = 0;
};

// One task of a hung run and the call it is blocked in.
// Pids here and in PipeHolder are the run's own (see Pids above).
struct BlockedTask {
  int pid = 0;
  int tid = 0;
  std::string command;        // /proc/P/comm ("cat")
  char state = '?';           // always 'S' in a diagnosis
  std::string wchan;          // the kernel function it sleeps in ("anon_pipe_read")
  long syscall_nr = -1;       // x86-64 number
  std::string blocking_call;  // "read(fd 0 → pipe:[123])"
};

// A descriptor that keeps the write end of a blocked reader's pipe open.
struct PipeHolder {
  int pid = 0;
  int fd = -1;
  std::string command;
  bool is_reader_itself = false;  // held by a process blocked reading this pipe
  std::uint64_t pipe_inode = 0;
};

struct HangDiagnosis {
  FindingKind kind = FindingKind::kDeadlock;  // kEofHang or kDeadlock
  // eof-hang: where the write end is still open ("cat (pid 201) itself, on
  // fd 4, and in relay (pid 200), on fd 5"); deadlock: who waits for whom.
  std::string summary;
  std::string evidence;  // one line per blocked reader or task, in words
  std::vector<BlockedTask> tasks;
  std::vector<PipeHolder> holders;
  double hung_seconds = 0;  // from the first hung sample to the verdict
};

class HangOracle {
 public:
  // Consecutive hung samples with identical counters that make a verdict.
  static constexpr int kStableSamples = 4;
  // A run with more tasks than this is left to the wall clock (bounded cost).
  static constexpr int kMaxTasks = 512;

  HangOracle(pid_t keeper_pid, GraderPipes pipes, ProcFs& proc = ProcFs::system());

  // Called about every 100 ms with the grader-side progress counters: bytes
  // of stdin written so far, bytes of stdout+stderr received so far, and
  // whether the grader still has stdin to write (it holds the write end).
  // Returns a diagnosis once the run has been hung for kStableSamples
  // consecutive samples and the verdict is confirmed.
  std::optional<HangDiagnosis> sample(std::uint64_t stdin_written, std::uint64_t output_received,
                                      bool stdin_pending);

  // Why the last sample was not (yet) a verdict, in words, for tests and
  // debugging ("pid 12 is running", "3 of 4 hung samples").
  const std::string& last_reason() const { return last_reason_; }

  // How the wait a task sleeps in is judged (public for tests).
  enum class WaitKind {
    kNotIndefinite,  // ends by itself, or by something outside the run
    kPipeRead,
    kPipeWrite,
    kChildWait,
    kSignalWait,
    kFutex,
    kSemaphore,
    kPoll,  // poll, select or epoll over pipes, no timeout
  };

  struct TaskSample {
    int pid = 0;  // as /proc numbers them (the host's)
    int tid = 0;
    int run_pid = 0;  // as the run's PID namespace numbers them (see Pids above)
    int run_tid = 0;
    std::string command;
    char state = '?';
    long syscall_nr = -1;
    std::uint64_t args[6] = {};
    WaitKind wait = WaitKind::kNotIndefinite;
    int fd = -1;                                        // read/write: the descriptor
    std::uint64_t pipe_inode = 0;                       // read/write: its pipe
    std::vector<std::pair<int, std::uint64_t>> polled;  // poll: (fd, pipe inode)
    std::uint64_t cpu_ticks = 0;                        // utime + stime
    std::uint64_t switches = 0;                         // voluntary + nonvoluntary
  };

 private:
  struct Snapshot {
    std::vector<TaskSample> tasks;  // ordered by (pid, tid)
    std::set<int> processes;        // every process found, zombies included
    std::uint64_t stdin_written = 0;
    std::uint64_t output_received = 0;
  };

  bool take_snapshot(bool stdin_pending, Snapshot* snap);
  bool examine_task(int pid, int tid, bool stdin_pending, TaskSample* out, int* threads);
  bool quick_refusal(bool stdin_pending);
  std::optional<HangDiagnosis> confirm(const Snapshot& snap);

  pid_t keeper_;
  GraderPipes pipes_;
  ProcFs& proc_;
  bool use_scan_ = false;  // no children files: find the tree by parent pid
  // The level of the run's PID namespace in the NSpid lines (0: the host's),
  // read from the keeper's status at the first sample.
  std::optional<std::size_t> ns_level_;
  std::optional<Snapshot> previous_;
  int stable_ = 0;
  double first_hung_at_ = 0;
  std::pair<int, int> last_blocker_{0, 0};  // (pid, tid) that ended the last sample
  std::uint64_t last_blocker_start_ = 0;    // its start time, against pid reuse
  std::string last_reason_;
  std::string last_veto_;  // why the last candidate verdict was declined
};

// The kind of wait a task is in, from its x86-64 syscall number and
// arguments alone (descriptors are checked by the oracle).
HangOracle::WaitKind classify_syscall(long nr, const std::uint64_t args[6]);

}  // namespace ipcgrade
