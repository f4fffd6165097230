#include "harness/busy_wait_meter.h"

#include <dirent.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

namespace ipcgrade {

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<int> numeric_entries(const std::string& dir) {
  std::vector<int> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    return out;
  }
  while (dirent* e = readdir(d)) {
    char* end = nullptr;
    long v = std::strtol(e->d_name, &end, 10);
    if (end != e->d_name && *end == '\0' && v > 0) {
      out.push_back(static_cast<int>(v));
    }
  }
  closedir(d);
  return out;
}

// Fields of a stat line after the command: "(comm) S ppid ..." → parts[0] is
// the state. Returns false on a malformed line.
bool parse_stat(const std::string& line, std::string* comm, std::vector<std::string>* rest) {
  std::size_t open = line.find('(');
  std::size_t close = line.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) {
    return false;
  }
  *comm = line.substr(open + 1, close - open - 1);
  std::istringstream in(line.substr(close + 1));
  std::string f;
  while (in >> f) {
    rest->push_back(f);
  }
  return rest->size() >= 13;  // state .. stime (fields 3..15)
}

}  // namespace

BusyWaitMeter::BusyWaitMeter(pid_t keeper_pid, int stdin_write_fd)
    : keeper_pid_(keeper_pid), stdin_write_fd_(stdin_write_fd) {}

std::map<BusyWaitMeter::TaskKey, BusyWaitMeter::Task> BusyWaitMeter::scan() const {
  // Processes of the run: descendants of the keeper by ppid.
  std::map<int, int> parent;
  for (int pid : numeric_entries("/proc")) {
    std::string comm;
    std::vector<std::string> rest;
    if (parse_stat(slurp("/proc/" + std::to_string(pid) + "/stat"), &comm, &rest)) {
      parent[pid] = std::atoi(rest[1].c_str());
    }
  }
  std::set<int> run;
  bool grew = true;
  while (grew) {
    grew = false;
    for (const auto& [pid, ppid] : parent) {
      if (!run.count(pid) && (ppid == keeper_pid_ || run.count(ppid))) {
        run.insert(pid);
        grew = true;
      }
    }
  }
  std::map<TaskKey, Task> tasks;
  for (int pid : run) {
    const std::string base = "/proc/" + std::to_string(pid);
    for (int tid : numeric_entries(base + "/task")) {
      const std::string tbase = base + "/task/" + std::to_string(tid);
      std::string comm;
      std::vector<std::string> rest;
      if (!parse_stat(slurp(tbase + "/stat"), &comm, &rest) || rest[0] == "Z") {
        continue;
      }
      Task t;
      t.command = comm;
      // schedstat: "<ns on cpu> <ns waiting on a run queue> <timeslices>".
      std::istringstream sched(slurp(tbase + "/schedstat"));
      std::uint64_t on_cpu = 0, waiting = 0;
      if (sched >> on_cpu >> waiting) {
        t.cpu_ns = on_cpu;
        t.runnable_ns = on_cpu + waiting;
      } else {  // no schedstat: CPU ticks, which can only under-count
        const std::uint64_t ns_per_tick = 1000000000ULL / sysconf(_SC_CLK_TCK);
        t.cpu_ns = (std::strtoull(rest[11].c_str(), nullptr, 10) +
                    std::strtoull(rest[12].c_str(), nullptr, 10)) *
                   ns_per_tick;
        t.runnable_ns = t.cpu_ns;
      }
      tasks[{pid, tid}] = t;
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
