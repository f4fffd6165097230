// BusyWaitMeter: measures, for one run, how much CPU its tasks burn while
// the program can only wait for input. The runner feeds stdin in chunks
// with a pause after each (lab.yaml `stdin: {chunk, pause}`); during a
// pause a correct program has nothing to do once it has consumed the
// chunk, so its tasks sleep. A task that keeps running meanwhile is
// polling: a busy-wait.
//
// Theory of operation
// -------------------
// A pause opens a *window* only once the program has taken everything fed
// so far: the stdin pipe holds no unread byte (FIONREAD on the grader's
// write end), and at least a quarter of the pause has passed, so the chunk
// has had time to be handled. This holds for a reader blocked in read()
// and for one that polls with non-blocking reads alike. At that moment the
// meter records, for every task, how long it has been *runnable*: on a CPU
// or waiting in the run queue for one (/proc/P/task/T/schedstat: run time
// plus run-queue wait, in ns). When the pause ends, before the next chunk
// is written, it reads them again; the growth over the window is, per
// task, how long it wanted a CPU. Runnable time, not CPU time, because it
// does not depend on the load: a polling task on a busy machine gets
// little CPU but is runnable the whole time, while a task that blocks is
// neither. Tasks that came or went are left out: that can only
// under-count, never blame a correct program. The busiest task's runnable
// time summed over windows, against the windows' total wall time, is the
// evidence (with its CPU time); run_judge decides (busy-wait when it is
// at least half).
//
// The run's tasks are every thread of every descendant of the keeper, found
// by a scan of /proc/*/stat (ppid links, harness/proc_fs.h), never the
// keeper itself. One scan costs a few milliseconds; it happens twice per
// pause.
//
// A BusyWaitMeter belongs to one run and to the thread that drives it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "harness/proc_fs.h"

namespace ipcgrade {

// What a run's pauses showed.
struct BusyWaitMeasure {
  int windows = 0;             // pauses in which the run was seen waiting for input
  double window_seconds = 0;   // their total wall time
  double busiest_runnable_seconds = 0;  // the busiest task's runnable time over them
  double busiest_cpu_seconds = 0;       // and its CPU time
  int busiest_pid = 0;
  int busiest_tid = 0;
  std::string busiest_command;  // its /proc comm
};

class BusyWaitMeter {
 public:
  // `stdin_write_fd`: the grader's end of the run's stdin pipe.
  BusyWaitMeter(pid_t keeper_pid, int stdin_write_fd, ProcFs& proc = ProcFs::system());

  // A pause is on: opens the window if the program has taken all its input
  // so far. Returns true when the window is open.
  bool try_open();
  // The pause ends: closes an open window and adds it to the measure.
  void close();

  const BusyWaitMeasure& measure() const { return measure_; }

 private:
  struct Task {
    std::uint64_t cpu_ns = 0;
    std::uint64_t runnable_ns = 0;  // cpu_ns + run-queue wait
    std::string command;
  };
  struct Totals {
    double runnable = 0;
    double cpu = 0;
  };
  using TaskKey = std::pair<int, int>;  // (pid, tid)
  // Every live task of the run with its CPU ticks.
  std::map<TaskKey, Task> scan() const;

  pid_t keeper_pid_;
  int stdin_write_fd_;
  ProcFs& proc_;
  bool open_ = false;
  std::chrono::steady_clock::time_point opened_at_;
  std::map<TaskKey, Task> at_open_;
  std::map<TaskKey, Totals> by_task_;  // summed over windows
  BusyWaitMeasure measure_;
};

}  // namespace ipcgrade
