// ProcFs: read access to /proc, and the few things read from it that more
// than one part of the harness needs: a task's stat line, and every
// process's children found by a scan of /proc/*/stat. The hang oracle
// (harness/hang_oracle.h) and the busy-wait meter (harness/busy_wait_meter.h)
// both walk the run's process tree with it; tests present a made-up tree
// through the same interface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ipcgrade {

// Read access to /proc, behind an interface so that tests can present a
// made-up process tree. Every method returns nullopt/false when the thing is
// gone or unreadable; a caller that cannot be sure then declines (the
// hang oracle gives no verdict, the busy-wait meter counts nothing).
class ProcFs {
 public:
  virtual ~ProcFs() = default;
  // The contents of a small file ("/proc/12/task/12/stat"), up to `max` bytes.
  virtual std::optional<std::string> read(const std::string& path, std::size_t max = 65536) = 0;
  // The target of a symbolic link ("/proc/12/fd/0" → "pipe:[4711]").
  virtual std::optional<std::string> read_link(const std::string& path) = 0;
  // The entry names of a directory, without "." and "..".
  virtual std::optional<std::vector<std::string>> list(const std::string& dir) = 0;
  // `size` bytes of process `pid`'s memory at `address` (poll's and
  // select's descriptor sets).
  virtual bool read_memory(int pid, std::uint64_t address, void* out, std::size_t size) = 0;

  // The machine's real /proc.
  static ProcFs& system();
};

// The fields of /proc/P[/task/T]/stat the harness uses.
struct TaskStat {
  std::string comm;
  char state = '?';
  int ppid = 0;
  std::uint64_t cpu_ticks = 0;  // utime + stime
  std::uint64_t start_time = 0;
  int threads = 0;
};

// Parses a stat line; nullopt when it is malformed.
std::optional<TaskStat> parse_stat(const std::string& s);

// True for a non-empty string of decimal digits (a pid or tid entry).
bool all_digits(const std::string& s);

// The ids of a "NSpid:" or "NStgid:" line of a status file ("NSpid:\t4711\t3"),
// outermost namespace first: one id per PID namespace the task is in, from
// the namespace of this /proc down to the task's own. Empty when the line
// is missing (kernels before 4.1) or malformed.
std::vector<int> namespace_ids(const std::string& status, const std::string& key);

// "/proc/PID/task/TID".
std::string task_dir(int pid, int tid);

// Every process's children (sorted), from the parent pid in every
// /proc/P/stat; nullopt when /proc cannot be listed. The children files of
// /proc are only a hint while processes come and go; this scan is not.
std::optional<std::map<int, std::vector<int>>> children_by_scan(ProcFs& proc);

}  // namespace ipcgrade
