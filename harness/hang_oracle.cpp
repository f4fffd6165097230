// See hang_oracle.h for the theory of operation.
#include "harness/hang_oracle.h"

#include <fmt/format.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <sstream>

namespace ipcgrade {
namespace {

// x86-64 system call numbers (arch/x86/entry/syscalls/syscall_64.tbl).
enum Syscall : long {
  kRead = 0,
  kWrite = 1,
  kPoll = 7,
  kReadv = 19,
  kWritev = 20,
  kSelect = 23,
  kPause = 34,
  kWait4 = 61,
  kSemop = 65,
  kRtSigtimedwait = 128,
  kRtSigsuspend = 130,
  kFutex = 202,
  kSemtimedop = 220,
  kEpollWait = 232,
  kWaitid = 247,
  kPselect6 = 270,
  kPpoll = 271,
  kEpollPwait = 281,
  kEpollPwait2 = 441,
};

// futex(2) operations that sleep until woken (with a NULL timeout: forever).
constexpr std::uint64_t kFutexCmdMask = ~std::uint64_t{128 | 256};  // PRIVATE, CLOCK_REALTIME
constexpr std::uint64_t kFutexWait = 0, kFutexLockPi = 6, kFutexWaitBitset = 9,
                        kFutexWaitRequeuePi = 11, kFutexLockPi2 = 13;

// Holders named in a summary sentence (the evidence names them all).
constexpr std::size_t kNamedHolders = 3;

// Descriptor sets larger than this are not read (poll, select).
constexpr std::uint64_t kMaxPolledFds = 1024;

// Kernel timer callbacks in /proc/timer_list that end in a signal.
constexpr const char* kAlarmTimer = "it_real_fn";             // alarm(), setitimer(ITIMER_REAL)
constexpr const char* kPosixTimer = "posix_timer_fn";         // timer_create()
constexpr const char* kAlarmClockTimer = "alarmtimer_fired";  // CLOCK_*_ALARM timers

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}


// ---------------------------------------------------------------------------
// Parsing /proc files.

struct SyscallLine {
  bool running = false;
  long nr = -1;
  std::uint64_t args[6] = {};
};

// "running", "-1 SP PC" (asleep outside a call) or "NR A0 .. A5 SP PC".
std::optional<SyscallLine> parse_syscall(const std::string& s) {
  SyscallLine l;
  if (s.compare(0, 7, "running") == 0) {
    l.running = true;
    return l;
  }
  const char* p = s.c_str();
  char* end = nullptr;
  l.nr = std::strtol(p, &end, 10);
  if (end == p) {
    return std::nullopt;
  }
  if (l.nr < 0) {
    return l;
  }
  for (auto& a : l.args) {
    p = end;
    a = std::strtoull(p, &end, 16);
    if (end == p) {
      return std::nullopt;
    }
  }
  return l;
}

std::optional<std::uint64_t> status_field(const std::string& status, const std::string& key) {
  std::size_t at = status.find("\n" + key + ":");
  if (at == std::string::npos) {
    return std::nullopt;
  }
  return std::strtoull(status.c_str() + at + key.size() + 2, nullptr, 10);
}

// "pipe:[4711]" → 4711.
std::optional<std::uint64_t> pipe_inode_of(const std::string& link) {
  if (link.compare(0, 6, "pipe:[") != 0 || link.back() != ']') {
    return std::nullopt;
  }
  return std::strtoull(link.c_str() + 6, nullptr, 10);
}

std::vector<int> parse_pids(const std::string& s) {
  std::vector<int> pids;
  const char* p = s.c_str();
  for (;;) {
    char* end = nullptr;
    long pid = std::strtol(p, &end, 10);
    if (end == p) {
      return pids;
    }
    pids.push_back(static_cast<int>(pid));
    p = end;
  }
}

std::string state_words(char state) {
  switch (state) {
    case 'R':
      return "is running";
    case 'D':
      return "is in an uninterruptible wait (D)";
    case 'T':
    case 't':
      return "is stopped";
    default:
      return std::string("is in state ") + state;
  }
}

std::string syscall_name(long nr) {
  switch (nr) {
    case kRead:
      return "read";
    case kWrite:
      return "write";
    case kPoll:
      return "poll";
    case kReadv:
      return "readv";
    case kWritev:
      return "writev";
    case kSelect:
      return "select";
    case kPause:
      return "pause";
    case kWait4:
      return "wait4";
    case kSemop:
      return "semop";
    case kRtSigtimedwait:
      return "sigwaitinfo";
    case kRtSigsuspend:
      return "sigsuspend";
    case kFutex:
      return "futex";
    case kSemtimedop:
      return "semtimedop";
    case kEpollWait:
      return "epoll_wait";
    case kWaitid:
      return "waitid";
    case kPselect6:
      return "pselect6";
    case kPpoll:
      return "ppoll";
    case kEpollPwait:
      return "epoll_pwait";
    case kEpollPwait2:
      return "epoll_pwait2";
    case 35:
      return "nanosleep";
    case 230:
      return "clock_nanosleep";
    default:
      return "system call " + std::to_string(nr);
  }
}

std::string who(int pid, int tid, const std::string& command) {
  std::string s = "pid " + std::to_string(pid);
  if (tid != pid) {
    s += " tid " + std::to_string(tid);
  }
  return s + " (" + command + ")";
}

std::string pipe_name(std::uint64_t inode) { return "pipe:[" + std::to_string(inode) + "]"; }

// The run's process whose pid is `run_pid` in the run's own numbering (the
// one wait4's and waitid's arguments use); nullptr when none is blocked.
const HangOracle::TaskSample* run_process(const std::vector<HangOracle::TaskSample>& tasks,
                                          int run_pid) {
  for (const HangOracle::TaskSample& t : tasks) {
    if (t.run_pid == run_pid && t.run_tid == run_pid) {
      return &t;
    }
  }
  return nullptr;
}

// The call a task is blocked in, in words: "read(fd 0 → pipe:[123])",
// "wait4(101) for child 101 (cat)". `tasks` (the run's blocked tasks) names
// the child a wait is for.
std::string describe_call(const HangOracle::TaskSample& t,
                          const std::vector<HangOracle::TaskSample>& tasks) {
  const std::uint64_t* a = t.args;
  std::string name = syscall_name(t.syscall_nr);
  switch (t.wait) {
    case HangOracle::WaitKind::kPipeRead:
      return name + "(fd " + std::to_string(t.fd) + " → " + pipe_name(t.pipe_inode) + ")";
    case HangOracle::WaitKind::kPipeWrite:
      return name + "(fd " + std::to_string(t.fd) + " → " + pipe_name(t.pipe_inode) +
             ") on a full pipe";
    case HangOracle::WaitKind::kChildWait: {
      auto child_name = [&](int run_pid) {
        const HangOracle::TaskSample* child = run_process(tasks, run_pid);
        return child ? " (" + child->command + ")" : std::string();
      };
      int pid = static_cast<int>(a[0]);
      if (t.syscall_nr == kWaitid) {
        int idtype = static_cast<int>(a[0]);
        int id = static_cast<int>(a[1]);
        if (idtype == P_PID) {
          return "waitid(P_PID, " + std::to_string(id) + ") for child " + std::to_string(id) +
                 child_name(id);
        }
        if (idtype == P_PGID) {
          return "waitid(P_PGID, " + std::to_string(id) + ") for its children in group " +
                 std::to_string(id);
        }
        return "waitid(P_ALL) for its children";
      }
      if (pid > 0) {
        return "wait4(" + std::to_string(pid) + ") for child " + std::to_string(pid) +
               child_name(pid);
      }
      if (pid == -1) {
        return "wait4(-1) for its children";
      }
      if (pid == 0) {
        return "wait4(0) for its children in its process group";
      }
      return "wait4(" + std::to_string(pid) + ") for its children in group " + std::to_string(-pid);
    }
    case HangOracle::WaitKind::kSignalWait:
      return name + "() waiting for a signal";
    case HangOracle::WaitKind::kFutex: {
      std::uint64_t cmd = a[1] & kFutexCmdMask;
      if (cmd == kFutexLockPi || cmd == kFutexLockPi2) {
        return "futex lock at " + fmt::format("{:#x}", a[0]) + " (a priority-inheritance mutex)";
      }
      return "futex wait at " + fmt::format("{:#x}", a[0]) + " (a mutex, condition variable, semaphore or join)";
    }
    case HangOracle::WaitKind::kSemaphore:
      return name + "(semid " + std::to_string(static_cast<int>(a[0])) +
             ") on a System V semaphore";
    case HangOracle::WaitKind::kPoll: {
      std::string fds;
      for (const auto& [fd, inode] : t.polled) {
        fds += (fds.empty() ? "" : ", ") + std::to_string(fd) + " → " + pipe_name(inode);
      }
      return name + "(" + (fds.empty() ? std::string("no descriptors") : "fds " + fds) +
             ", no timeout)";
    }
    case HangOracle::WaitKind::kNotIndefinite:
      break;
  }
  return name;
}

bool is_process_of(const std::vector<HangOracle::TaskSample>& tasks, int pid,
                   HangOracle::WaitKind kind, std::uint64_t inode) {
  return std::any_of(tasks.begin(), tasks.end(), [&](const HangOracle::TaskSample& t) {
    return t.pid == pid && t.wait == kind && t.pipe_inode == inode;
  });
}

}  // namespace


HangOracle::WaitKind classify_syscall(long nr, const std::uint64_t args[6]) {
  using W = HangOracle::WaitKind;
  switch (nr) {
    case kRead:
    case kReadv:
      return W::kPipeRead;  // if the descriptor is a pipe: the oracle checks
    case kWrite:
    case kWritev:
      return W::kPipeWrite;
    case kWait4:
      return (args[2] & WNOHANG) ? W::kNotIndefinite : W::kChildWait;
    case kWaitid:
      return (args[3] & WNOHANG) ? W::kNotIndefinite : W::kChildWait;
    case kPause:
    case kRtSigsuspend:
      return W::kSignalWait;
    case kRtSigtimedwait:
      return args[2] == 0 ? W::kSignalWait : W::kNotIndefinite;
    case kFutex: {
      std::uint64_t cmd = args[1] & kFutexCmdMask;
      bool waits = cmd == kFutexWait || cmd == kFutexLockPi || cmd == kFutexWaitBitset ||
                   cmd == kFutexWaitRequeuePi || cmd == kFutexLockPi2;
      return waits && args[3] == 0 ? W::kFutex : W::kNotIndefinite;
    }
    case kSemop:
      return W::kSemaphore;
    case kSemtimedop:
      return args[3] == 0 ? W::kSemaphore : W::kNotIndefinite;
    case kPoll:
      return static_cast<std::int32_t>(args[2] & 0xffffffffu) < 0 ? W::kPoll : W::kNotIndefinite;
    case kPpoll:
      return args[2] == 0 ? W::kPoll : W::kNotIndefinite;
    case kSelect:
    case kPselect6:
      return args[4] == 0 ? W::kPoll : W::kNotIndefinite;
    case kEpollWait:
    case kEpollPwait:
      return static_cast<std::int32_t>(args[3] & 0xffffffffu) < 0 ? W::kPoll : W::kNotIndefinite;
    case kEpollPwait2:
      return args[3] == 0 ? W::kPoll : W::kNotIndefinite;
    default:
      // Sleeps, timed waits, sockets, and numbers we do not know, including
      // x32 calls (bit 30 set).
      return W::kNotIndefinite;
  }
}

HangOracle::HangOracle(pid_t keeper_pid, GraderPipes pipes, ProcFs& proc)
    : keeper_(keeper_pid), pipes_(pipes), proc_(proc) {}

std::optional<HangDiagnosis> HangOracle::sample(std::uint64_t stdin_written,
                                                std::uint64_t output_received, bool stdin_pending) {
#if !defined(__x86_64__)
  (void)stdin_written;
  (void)output_received;
  (void)stdin_pending;
  last_reason_ = "hang verdicts are only given on x86-64";
  return std::nullopt;
#else
  Snapshot snap;
  if (!take_snapshot(stdin_pending, &snap)) {
    previous_.reset();
    stable_ = 0;
    last_veto_.clear();
    return std::nullopt;
  }
  snap.stdin_written = stdin_written;
  snap.output_received = output_received;

  auto same_task = [](const TaskSample& a, const TaskSample& b) {
    return a.pid == b.pid && a.tid == b.tid && a.syscall_nr == b.syscall_nr &&
           std::equal(std::begin(a.args), std::end(a.args), std::begin(b.args)) &&
           a.pipe_inode == b.pipe_inode && a.polled == b.polled && a.cpu_ticks == b.cpu_ticks &&
           a.switches == b.switches;
  };
  bool unchanged = previous_ && previous_->processes == snap.processes &&
                   previous_->stdin_written == snap.stdin_written &&
                   previous_->output_received == snap.output_received &&
                   std::equal(previous_->tasks.begin(), previous_->tasks.end(), snap.tasks.begin(),
                              snap.tasks.end(), same_task);
  if (unchanged) {
    ++stable_;
  } else {
    stable_ = 1;
    first_hung_at_ = now_seconds();
  }
  previous_ = snap;
  if (stable_ < kStableSamples) {
    last_reason_ = std::to_string(stable_) + " of " + std::to_string(kStableSamples) +
                   " hung samples" + (last_veto_.empty() ? "" : "; " + last_veto_);
    return std::nullopt;
  }
  std::optional<HangDiagnosis> d = confirm(snap);
  if (!d) {
    // Confirmation is the costly part: start counting again from here.
    stable_ = 1;
    return std::nullopt;
  }
  d->hung_seconds = now_seconds() - first_hung_at_;
  char still[160];
  std::snprintf(still, sizeof still,
                "nothing of the run ran, and no byte moved to or from the grader, for %.2f s "
                "(%d samples)",
                d->hung_seconds, kStableSamples);
  d->evidence += still;
  last_reason_ = "hung";
  return d;
#endif
}

// The task that ended the previous sample usually ends this one too (a busy
// loop, a sleep): one or two reads instead of a walk of the whole tree.
bool HangOracle::quick_refusal(bool stdin_pending) {
  auto [pid, tid] = last_blocker_;
  if (pid == 0) {
    return false;
  }
  std::optional<std::string> s = proc_.read(task_dir(pid, tid) + "/stat");
  std::optional<TaskStat> st = s ? parse_stat(*s) : std::nullopt;
  if (!st || st->start_time != last_blocker_start_) {
    last_blocker_ = {0, 0};
    return false;
  }
  if (st->state != 'S') {
    if (st->state == 'Z' || st->state == 'X') {
      last_blocker_ = {0, 0};
      return false;
    }
    last_reason_ = who(pid, tid, st->comm) + " " + state_words(st->state);
    return true;
  }
  TaskSample t;
  if (!examine_task(pid, tid, stdin_pending, &t, nullptr)) {
    return true;  // examine_task said why
  }
  last_blocker_ = {0, 0};
  return false;
}

bool HangOracle::take_snapshot(bool stdin_pending, Snapshot* snap) {
  // The run's PID namespace is the keeper's: its NSpid line has one id per
  // level, the last being the keeper's pid there (1 in the full tier).
  if (!ns_level_) {
    std::optional<std::string> status = proc_.read("/proc/" + std::to_string(keeper_) + "/status");
    if (!status) {
      last_reason_ = "the keeper is gone";
      return false;
    }
    std::vector<int> ids = namespace_ids(*status, "NSpid");
    ns_level_ = ids.empty() ? 0 : ids.size() - 1;
  }
  if (quick_refusal(stdin_pending)) {
    return false;
  }
  // Without children files (an old kernel), every sample scans /proc.
  std::map<int, std::vector<int>> scanned;
  if (use_scan_) {
    std::optional<std::map<int, std::vector<int>>> all = children_by_scan(proc_);
    if (!all) {
      last_reason_ = "cannot scan /proc";
      return false;
    }
    scanned = std::move(*all);
  }
  // Breadth first from the keeper: a process's children are spread over the
  // children files of its threads (each child hangs off the thread that
  // forked it). The keeper's own threads are listed; another process's are
  // only when its leader's stat says it has more than one.
  std::deque<int> queue = {keeper_};
  int task_count = 0;
  while (!queue.empty()) {
    const int pid = queue.front();
    queue.pop_front();
    const bool is_keeper = pid == keeper_;
    auto list_tasks = [&](std::vector<int>* tids) {
      std::optional<std::vector<std::string>> names =
          proc_.list("/proc/" + std::to_string(pid) + "/task");
      if (!names) {
        last_reason_ =
            is_keeper ? "the keeper is gone" : "pid " + std::to_string(pid) + " went away";
        return false;
      }
      for (const std::string& t : *names) {
        int tid = all_digits(t) ? std::atoi(t.c_str()) : 0;
        if (tid > 0 && std::find(tids->begin(), tids->end(), tid) == tids->end()) {
          tids->push_back(tid);
        }
      }
      std::sort(tids->begin() + 1, tids->end());
      return true;
    };
    std::vector<int> tids = {pid};
    bool listed = false;
    if (is_keeper) {
      if (!list_tasks(&tids)) {
        return false;
      }
      listed = true;
    } else {
      snap->processes.insert(pid);
    }
    for (std::size_t i = 0; i < tids.size(); ++i) {
      const int tid = tids[i];
      if (!is_keeper) {
        if (++task_count > kMaxTasks) {
          last_reason_ = "more than " + std::to_string(kMaxTasks) + " tasks";
          return false;
        }
        TaskSample t;
        int threads = 0;
        if (!examine_task(pid, tid, stdin_pending, &t, &threads)) {
          return false;
        }
        if (!listed && (threads != 1 || t.state != 'S')) {
          if (!list_tasks(&tids)) {
            return false;
          }
          listed = true;
        }
        if (t.state == 'S') {
          snap->tasks.push_back(std::move(t));
        }
      }
      if (use_scan_) {
        if (i == 0) {
          for (int child : scanned[pid]) {
            queue.push_back(child);
          }
        }
        continue;
      }
      std::optional<std::string> kids = proc_.read(task_dir(pid, tid) + "/children");
      if (!kids) {
        // The thread ended (the tree is changing: no verdict now), or the
        // kernel has no children files: scan by parent pid from now on.
        if (proc_.read(task_dir(pid, tid) + "/stat")) {
          use_scan_ = true;
        }
        last_reason_ = "cannot read " + task_dir(pid, tid) + "/children";
        return false;
      }
      for (int child : parse_pids(*kids)) {
        queue.push_back(child);
      }
    }
  }
  if (snap->tasks.empty()) {
    last_reason_ = "no live task";
    return false;
  }
  std::sort(snap->tasks.begin(), snap->tasks.end(), [](const TaskSample& a, const TaskSample& b) {
    return std::make_pair(a.pid, a.tid) < std::make_pair(b.pid, b.tid);
  });
  return true;
}

// Reads one task. False (with last_reason_ and last_blocker_ set) when the
// task is not in an indefinite wait; true for a blocked task (state 'S') or
// a zombie (state 'Z', not a task of the run any more).
bool HangOracle::examine_task(int pid, int tid, bool stdin_pending, TaskSample* out, int* threads) {
  const std::string dir = task_dir(pid, tid);
  auto refuse = [&](const std::string& why, std::uint64_t start_time) {
    last_reason_ = why;
    last_blocker_ = {pid, tid};
    last_blocker_start_ = start_time;
    return false;
  };
  std::optional<std::string> stat_text = proc_.read(dir + "/stat");
  std::optional<TaskStat> st = stat_text ? parse_stat(*stat_text) : std::nullopt;
  if (!st) {
    last_reason_ = who(pid, tid, "?") + " went away";
    return false;
  }
  if (threads != nullptr) {
    *threads = st->threads;
  }
  out->pid = pid;
  out->tid = tid;
  out->command = st->comm;
  out->state = st->state;
  out->cpu_ticks = st->cpu_ticks;
  if (st->state == 'Z' || st->state == 'X') {
    return true;
  }
  const std::string name = who(pid, tid, st->comm);
  if (st->state != 'S') {
    return refuse(name + " " + state_words(st->state), st->start_time);
  }
  std::optional<std::string> sys_text = proc_.read(dir + "/syscall");
  std::optional<SyscallLine> sys = sys_text ? parse_syscall(*sys_text) : std::nullopt;
  if (!sys) {
    return refuse("cannot read " + dir + "/syscall", st->start_time);
  }
  if (sys->running) {
    return refuse(name + " is running", st->start_time);
  }
  if (sys->nr < 0) {
    return refuse(name + " sleeps outside a system call", st->start_time);
  }
  out->syscall_nr = sys->nr;
  std::copy(std::begin(sys->args), std::end(sys->args), std::begin(out->args));
  out->wait = classify_syscall(sys->nr, sys->args);
  if (out->wait == WaitKind::kNotIndefinite) {
    return refuse(name + " is in " + syscall_name(sys->nr) +
                      ", which ends by itself or by something outside the run",
                  st->start_time);
  }
  const std::string fd_dir = "/proc/" + std::to_string(pid) + "/fd/";
  // The pipe behind a descriptor, if it is one the run alone can act on.
  auto run_pipe = [&](int fd, bool reading, bool writing) -> std::optional<std::uint64_t> {
    std::optional<std::string> link = proc_.read_link(fd_dir + std::to_string(fd));
    std::optional<std::uint64_t> inode = link ? pipe_inode_of(*link) : std::nullopt;
    if (!inode) {
      refuse(name + " waits on fd " + std::to_string(fd) + " (" + link.value_or("unreadable") +
                 "), not an anonymous pipe",
             st->start_time);
      return std::nullopt;
    }
    if (writing && (*inode == pipes_.stdout_inode || *inode == pipes_.stderr_inode)) {
      refuse(name + " writes to the grader, which reads", st->start_time);
      return std::nullopt;
    }
    if (reading && stdin_pending && *inode == pipes_.stdin_inode) {
      refuse(name + " reads stdin, which the grader is still writing", st->start_time);
      return std::nullopt;
    }
    return inode;
  };
  if (out->wait == WaitKind::kPipeRead || out->wait == WaitKind::kPipeWrite) {
    out->fd = static_cast<int>(sys->args[0]);
    bool reading = out->wait == WaitKind::kPipeRead;
    std::optional<std::uint64_t> inode = run_pipe(out->fd, reading, !reading);
    if (!inode) {
      return false;
    }
    out->pipe_inode = *inode;
  } else if (out->wait == WaitKind::kPoll) {
    std::vector<int> fds;
    const std::uint64_t* a = sys->args;
    if (sys->nr == kPoll || sys->nr == kPpoll) {
      std::uint64_t n = a[1];
      if (n > kMaxPolledFds) {
        return refuse(name + " polls too many descriptors", st->start_time);
      }
      std::vector<std::int32_t> raw(2 * n);  // struct pollfd: int fd; short events, revents
      if (n > 0 && !proc_.read_memory(pid, a[0], raw.data(), raw.size() * 4)) {
        return refuse("cannot read the poll set of " + name, st->start_time);
      }
      for (std::uint64_t i = 0; i < n; ++i) {
        if (raw[2 * i] >= 0) {
          fds.push_back(raw[2 * i]);
        }
      }
    } else if (sys->nr == kSelect || sys->nr == kPselect6) {
      std::uint64_t n = a[0];
      if (n > kMaxPolledFds) {
        return refuse(name + " selects too many descriptors", st->start_time);
      }
      std::vector<std::uint64_t> words((n + 63) / 64);
      for (int set = 1; set <= 3; ++set) {
        if (a[set] == 0 || words.empty()) {
          continue;
        }
        if (!proc_.read_memory(pid, a[set], words.data(), words.size() * 8)) {
          return refuse("cannot read the select sets of " + name, st->start_time);
        }
        for (std::uint64_t fd = 0; fd < n; ++fd) {
          if (words[fd / 64] & (std::uint64_t{1} << (fd % 64))) {
            fds.push_back(static_cast<int>(fd));
          }
        }
      }
    } else {
      // epoll: the interest list is in the epoll descriptor's fdinfo, one
      // "tfd: FD events: .. data: .. pos:0 ino:HEX sdev:HEX" line per
      // watched file. FD is the number it was added under, so its inode
      // must still match what that number holds now.
      std::optional<std::string> info = proc_.read("/proc/" + std::to_string(pid) + "/fdinfo/" +
                                                   std::to_string(static_cast<int>(a[0])));
      if (!info) {
        return refuse("cannot read the epoll set of " + name, st->start_time);
      }
      std::istringstream lines(*info);
      std::string line;
      while (std::getline(lines, line)) {
        if (line.compare(0, 4, "tfd:") != 0) {
          continue;
        }
        int fd = std::atoi(line.c_str() + 4);
        std::size_t ino_at = line.find("ino:");
        if (ino_at == std::string::npos) {
          return refuse("cannot read the epoll set of " + name, st->start_time);
        }
        std::uint64_t ino = std::strtoull(line.c_str() + ino_at + 4, nullptr, 16);
        std::optional<std::uint64_t> inode = run_pipe(fd, true, true);
        if (!inode) {
          return false;
        }
        if (*inode != ino) {
          return refuse(name + " watches a file that fd " + std::to_string(fd) + " no longer holds",
                        st->start_time);
        }
        fds.push_back(fd);
      }
    }
    std::sort(fds.begin(), fds.end());
    fds.erase(std::unique(fds.begin(), fds.end()), fds.end());
    for (int fd : fds) {
      std::optional<std::uint64_t> inode = run_pipe(fd, true, true);
      if (!inode) {
        return false;
      }
      out->polled.emplace_back(fd, *inode);
    }
  }
  std::optional<std::string> status = proc_.read(dir + "/status");
  std::optional<std::uint64_t> vol =
      status ? status_field("\n" + *status, "voluntary_ctxt_switches") : std::nullopt;
  std::optional<std::uint64_t> nonvol =
      status ? status_field("\n" + *status, "nonvoluntary_ctxt_switches") : std::nullopt;
  if (!vol || !nonvol) {
    return refuse("cannot read " + dir + "/status", st->start_time);
  }
  out->switches = *vol + *nonvol;
  out->run_pid = pid;
  out->run_tid = tid;
  if (ns_level_.value_or(0) > 0) {
    const std::size_t level = *ns_level_;
    std::vector<int> tgids = namespace_ids(*status, "NStgid");
    std::vector<int> tids = namespace_ids(*status, "NSpid");
    if (tgids.size() <= level || tids.size() <= level) {
      return refuse("cannot read the pid of " + name + " in the run's namespace", st->start_time);
    }
    out->run_pid = tgids[level];
    out->run_tid = tids[level];
  }
  return true;
}

std::optional<HangDiagnosis> HangOracle::confirm(const Snapshot& snap) {
  auto decline = [&](const std::string& why) -> std::optional<HangDiagnosis> {
    last_reason_ = "not confirmed: " + why;
    last_veto_ = "the last candidate was " + last_reason_;
    return std::nullopt;
  };

  // 1. The tree, again, from every process's parent pid.
  std::optional<std::map<int, std::vector<int>>> children = children_by_scan(proc_);
  if (!children) {
    return decline("cannot scan /proc");
  }
  std::set<int> scanned;
  std::deque<int> queue = {keeper_};
  while (!queue.empty()) {
    int p = queue.front();
    queue.pop_front();
    for (int c : (*children)[p]) {
      if (scanned.insert(c).second) {
        queue.push_back(c);
      }
    }
  }
  if (scanned != snap.processes) {
    return decline("the process tree changed under the scan");
  }

  std::set<int> live;
  for (const TaskSample& t : snap.tasks) {
    live.insert(t.pid);
  }

  // 2. 64-bit x86-64 programs only: the syscall numbers are read in that table.
  bool run_has_posix_timers = false;
  for (int pid : live) {
    const std::string p = "/proc/" + std::to_string(pid);
    std::optional<std::string> elf = proc_.read(p + "/exe", 20);
    if (!elf || elf->size() < 20 ||
        elf->compare(0, 4,
                     "\x7f"
                     "ELF") != 0 ||
        (*elf)[4] != 2 || static_cast<unsigned char>((*elf)[18]) != 62 || (*elf)[19] != 0) {
      return decline("pid " + std::to_string(pid) + " is not a 64-bit x86-64 program");
    }
    // 3a. POSIX timers of the run (an armed one sends a signal).
    std::optional<std::string> timers = proc_.read(p + "/timers");
    if (!timers || timers->find("ID:") != std::string::npos) {
      run_has_posix_timers = true;
    }
  }
  // 3b. Armed timers anywhere: alarm() cannot be traced to its process.
  std::optional<std::string> timer_list = proc_.read("/proc/timer_list", 16 << 20);
  if (!timer_list) {
    return decline("cannot read /proc/timer_list to rule out alarm()");
  }
  if (timer_list->find(kAlarmTimer) != std::string::npos) {
    return decline("an alarm() or interval timer is armed on this machine");
  }
  if (run_has_posix_timers && (timer_list->find(kPosixTimer) != std::string::npos ||
                               timer_list->find(kAlarmClockTimer) != std::string::npos)) {
    return decline("a POSIX timer of the run may be armed");
  }

  // 4. Who holds the pipes the tasks wait on.
  std::set<std::uint64_t> waited;
  for (const TaskSample& t : snap.tasks) {
    if (t.pipe_inode != 0) {
      waited.insert(t.pipe_inode);
    }
    for (const auto& polled : t.polled) {
      waited.insert(polled.second);
    }
  }
  struct End {
    int pid;
    int fd;
    bool reads;
    bool writes;
  };
  std::map<std::uint64_t, std::vector<End>> ends;
  std::map<int, std::string> command;
  std::map<int, int> run_pid;  // host pid → the run's own (what a diagnosis shows)
  for (const TaskSample& t : snap.tasks) {
    command.emplace(t.pid, t.command);
    run_pid.emplace(t.pid, t.run_pid);
  }
  for (int pid : live) {
    const std::string p = "/proc/" + std::to_string(pid);
    std::optional<std::vector<std::string>> fds = proc_.list(p + "/fd");
    if (!fds) {
      return decline("cannot list " + p + "/fd");
    }
    for (const std::string& name : *fds) {
      std::optional<std::string> link = proc_.read_link(p + "/fd/" + name);
      std::optional<std::uint64_t> inode = link ? pipe_inode_of(*link) : std::nullopt;
      if (!inode || waited.count(*inode) == 0) {
        continue;
      }
      std::optional<std::string> info = proc_.read(p + "/fdinfo/" + name);
      std::size_t at = info ? info->find("flags:") : std::string::npos;
      if (at == std::string::npos) {
        return decline("cannot read " + p + "/fdinfo/" + name);
      }
      long mode = std::strtol(info->c_str() + at + 6, nullptr, 8) & O_ACCMODE;
      ends[*inode].push_back({pid, std::atoi(name.c_str()), mode != O_WRONLY, mode != O_RDONLY});
    }
  }
  auto holders = [&](std::uint64_t inode, bool writers) {
    std::vector<End> h;
    for (const End& e : ends[inode]) {
      if (writers ? e.writes : e.reads) {
        h.push_back(e);
      }
    }
    return h;
  };
  for (const TaskSample& t : snap.tasks) {
    // A reader with no writer left, or a writer with no reader, would not be
    // blocked: what we see is not what the kernel sees, so no verdict.
    if (t.wait == WaitKind::kPipeRead && holders(t.pipe_inode, true).empty()) {
      return decline(pipe_name(t.pipe_inode) + " has no write end open in the run");
    }
    if (t.wait == WaitKind::kPipeWrite && holders(t.pipe_inode, false).empty()) {
      return decline(pipe_name(t.pipe_inode) + " has no read end open in the run");
    }
  }

  // 5. The diagnosis.
  HangDiagnosis d;
  std::map<int, std::string> calls;  // pid → the first task's call, for sentences
  for (const TaskSample& t : snap.tasks) {
    BlockedTask b;
    b.pid = t.run_pid;
    b.tid = t.run_tid;
    b.command = t.command;
    b.state = t.state;
    b.syscall_nr = t.syscall_nr;
    b.blocking_call = describe_call(t, snap.tasks);
    std::optional<std::string> wchan = proc_.read(task_dir(t.pid, t.tid) + "/wchan");
    b.wchan = wchan.value_or("");
    calls.emplace(t.pid, b.blocking_call);
    d.tasks.push_back(std::move(b));
  }
  auto process_name = [&](int pid) {
    return command[pid] + " (pid " + std::to_string(run_pid[pid]) + ")";
  };
  // A holder that waits only for children or signals will not write again
  // before the reader ends: what the reader waits for is EOF.
  auto passive = [&](int pid) {
    bool any = false;
    for (const TaskSample& t : snap.tasks) {
      if (t.pid == pid) {
        any = true;
        if (t.wait != WaitKind::kChildWait && t.wait != WaitKind::kSignalWait) {
          return false;
        }
      }
    }
    return any;
  };

  std::vector<std::string> eof_lines;
  std::set<std::uint64_t> eof_pipes;
  int summary_rank = 0;  // 2: a reader holds its own write end; 1: only passive holders
  for (const TaskSample& t : snap.tasks) {
    if (t.wait != WaitKind::kPipeRead) {
      continue;
    }
    std::vector<End> w = holders(t.pipe_inode, true);
    // The reader itself first: it is the usual culprit.
    std::stable_sort(w.begin(), w.end(), [&](const End& a, const End& b) {
      return is_process_of(snap.tasks, a.pid, WaitKind::kPipeRead, t.pipe_inode) &&
             !is_process_of(snap.tasks, b.pid, WaitKind::kPipeRead, t.pipe_inode);
    });
    bool self_held = false;
    bool all_passive = true;
    for (const End& e : w) {
      bool reader = is_process_of(snap.tasks, e.pid, WaitKind::kPipeRead, t.pipe_inode);
      self_held = self_held || reader;
      all_passive = all_passive && (reader || passive(e.pid));
    }
    if (!self_held && !all_passive) {
      continue;  // a holder may still write: that is a wait for data, not EOF
    }
    std::string line = who(t.run_pid, t.run_tid, t.command) + " blocked in " +
                       describe_call(t, snap.tasks) + "; write end held by: ";
    std::string summary;
    for (std::size_t i = 0; i < w.size(); ++i) {
      const End& e = w[i];
      bool reader = is_process_of(snap.tasks, e.pid, WaitKind::kPipeRead, t.pipe_inode);
      line += (i ? ", " : "") + std::string("pid ") + std::to_string(run_pid[e.pid]) + " (" +
              command[e.pid] + ") fd " + std::to_string(e.fd) +
              (reader ? " [the reader itself]" : "");
      if (i < kNamedHolders) {
        bool last = i + 1 == w.size();
        summary += (i == 0 ? ""
                    : last ? ", and in "
                           : ", in ") +
                   process_name(e.pid) + (reader ? " itself" : "") + ", on fd " +
                   std::to_string(e.fd);
      } else if (i == kNamedHolders) {
        std::size_t more = w.size() - i;
        summary += ", and on " + std::to_string(more) +
                   (more == 1 ? " more descriptor" : " more descriptors");
      }
      if (eof_pipes.count(t.pipe_inode) == 0) {
        d.holders.push_back({run_pid[e.pid], e.fd, command[e.pid], reader, t.pipe_inode});
      }
    }
    eof_pipes.insert(t.pipe_inode);
    eof_lines.push_back(line);
    int rank = self_held ? 2 : 1;
    if (rank > summary_rank) {
      summary_rank = rank;
      d.summary = summary;
    }
    d.kind = FindingKind::kEofHang;
  }

  std::ostringstream ev;
  if (d.kind == FindingKind::kEofHang) {
    for (const std::string& l : eof_lines) {
      ev << l << "\n";
    }
    bool others = false;
    for (const BlockedTask& b : d.tasks) {
      bool listed = std::any_of(snap.tasks.begin(), snap.tasks.end(), [&](const TaskSample& t) {
        return t.run_pid == b.pid && t.run_tid == b.tid && t.wait == WaitKind::kPipeRead &&
               eof_pipes.count(t.pipe_inode);
      });
      if (!listed) {
        ev << (others ? "" : "other tasks:\n") << "  " << who(b.pid, b.tid, b.command) << " "
           << b.blocking_call << "\n";
        others = true;
      }
    }
  } else {
    d.kind = FindingKind::kDeadlock;
    // Who waits for whom, told from the most telling task.
    const TaskSample* writer = nullptr;
    const TaskSample* reader = nullptr;
    const TaskSample* futex = nullptr;
    const TaskSample* signal = nullptr;
    for (const TaskSample& t : snap.tasks) {
      if (t.wait == WaitKind::kPipeWrite && !writer) writer = &t;
      if (t.wait == WaitKind::kPipeRead && !reader) reader = &t;
      if ((t.wait == WaitKind::kFutex || t.wait == WaitKind::kSemaphore) && !futex) futex = &t;
      if (t.wait == WaitKind::kSignalWait && !signal) signal = &t;
    }
    // "relay (pid 100) (wait4(101) for child 101)"; "cat (pid 101) itself"
    // for the waiting task's own process.
    auto holder_words = [&](std::uint64_t inode, bool writers, int waiting_pid) {
      std::vector<End> h = holders(inode, writers);
      std::set<int> pids;
      std::string s;
      for (const End& e : h) {
        if (pids.insert(e.pid).second) {
          s += (s.empty() ? "" : ", ") + process_name(e.pid) +
               (e.pid == waiting_pid ? " itself" : " (" + calls[e.pid] + ")");
        }
      }
      return s;
    };
    if (writer) {
      d.summary = process_name(writer->pid) + " waits to write into a full pipe (" +
                  pipe_name(writer->pipe_inode) + ") whose read end is open only in " +
                  holder_words(writer->pipe_inode, false, writer->pid) + ", which never reads it";
    } else if (reader) {
      d.summary = process_name(reader->pid) + " waits for data on " +
                  pipe_name(reader->pipe_inode) + " from " +
                  holder_words(reader->pipe_inode, true, reader->pid) + ", which waits itself";
    } else if (futex) {
      d.summary =
          "every thread waits on a lock, condition variable or semaphore that no running "
          "thread will release or signal (" +
          process_name(futex->pid) + ": " + describe_call(*futex, snap.tasks) + ")";
    } else if (signal) {
      d.summary = process_name(signal->pid) +
                  " waits for a signal that no running process will "
                  "send";
    } else {
      d.summary = "every process waits for a child that is itself waiting";
    }
    for (const BlockedTask& b : d.tasks) {
      ev << who(b.pid, b.tid, b.command) << " " << b.blocking_call << "\n";
    }
  }
  d.evidence = ev.str();
  return d;
}

}  // namespace ipcgrade
