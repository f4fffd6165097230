#include "harness/busy_wait_meter.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <vector>

namespace ipcgrade {

BusyWaitMeter::BusyWaitMeter(pid_t keeper_pid, int stdin_write_fd, ProcFs& proc)
    : keeper_pid_(keeper_pid), stdin_write_fd_(stdin_write_fd), proc_(proc) {}

std::map<BusyWaitMeter::TaskKey, BusyWaitMeter::Task> BusyWaitMeter::scan() const {
  std::map<TaskKey, Task> tasks;
  std::optional<std::map<int, std::vector<int>>> children = children_by_scan(proc_);
  if (!children) {
    return tasks;
  }
  // The run: every descendant of the keeper, never the keeper itself.
  std::vector<int> run;
  std::vector<int> todo = {static_cast<int>(keeper_pid_)};
  while (!todo.empty()) {
    int parent = todo.back();
    todo.pop_back();
    auto kids = children->find(parent);
    if (kids != children->end()) {
      run.insert(run.end(), kids->second.begin(), kids->second.end());
      todo.insert(todo.end(), kids->second.begin(), kids->second.end());
    }
  }
  const std::uint64_t ns_per_tick = 1000000000ULL / static_cast<std::uint64_t>(sysconf(_SC_CLK_TCK));
  for (int pid : run) {
    std::optional<std::vector<std::string>> tids =
        proc_.list("/proc/" + std::to_string(pid) + "/task");
    if (!tids) {
      continue;
    }
    for (const std::string& name : *tids) {
      if (!all_digits(name)) {
        continue;
      }
      const std::string dir = task_dir(pid, std::atoi(name.c_str()));
      std::optional<std::string> stat_text = proc_.read(dir + "/stat");
      std::optional<TaskStat> st = stat_text ? parse_stat(*stat_text) : std::nullopt;
      if (!st || st->state == 'Z') {
        continue;
      }
      Task t;
      t.command = st->comm;
      // schedstat: "<ns on cpu> <ns waiting on a run queue> <timeslices>".
      std::optional<std::string> sched = proc_.read(dir + "/schedstat");
      std::istringstream in(sched.value_or(""));
      std::uint64_t on_cpu = 0, waiting = 0;
      if (in >> on_cpu >> waiting) {
        t.cpu_ns = on_cpu;
        t.runnable_ns = on_cpu + waiting;
      } else {  // no schedstat: CPU ticks, which can only under-count
        t.cpu_ns = st->cpu_ticks * ns_per_tick;
        t.runnable_ns = t.cpu_ns;
      }
      tasks[{pid, std::atoi(name.c_str())}] = t;
    }
  }
  return tasks;
}

bool BusyWaitMeter::try_open() {
  if (open_) {
    return true;
  }
  int unread = -1;
  if (ioctl(stdin_write_fd_, FIONREAD, &unread) != 0 || unread != 0) {
    return false;
  }
  std::map<TaskKey, Task> tasks = scan();
  open_ = true;
  opened_at_ = std::chrono::steady_clock::now();
  at_open_ = std::move(tasks);
  return true;
}

void BusyWaitMeter::close() {
  if (!open_) {
    return;
  }
  open_ = false;
  std::map<TaskKey, Task> now = scan();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - opened_at_).count();
  measure_.windows++;
  measure_.window_seconds += seconds;
  for (const auto& [key, task] : now) {
    auto before = at_open_.find(key);
    if (before == at_open_.end() || task.runnable_ns < before->second.runnable_ns ||
        task.cpu_ns < before->second.cpu_ns) {
      continue;
    }
    Totals& total = by_task_[key];
    total.runnable += static_cast<double>(task.runnable_ns - before->second.runnable_ns) / 1e9;
    total.cpu += static_cast<double>(task.cpu_ns - before->second.cpu_ns) / 1e9;
    if (total.runnable > measure_.busiest_runnable_seconds) {
      measure_.busiest_runnable_seconds = total.runnable;
      measure_.busiest_cpu_seconds = total.cpu;
      measure_.busiest_pid = key.first;
      measure_.busiest_tid = key.second;
      measure_.busiest_command = task.command;
    }
  }
  at_open_.clear();
}

}  // namespace ipcgrade
