// FakeProc: a made-up /proc for tests of what reads it through ProcFs
// (harness/proc_fs.h): files and links by path, directories derived from
// them, and helpers that lay out a task the way the kernel does.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "harness/proc_fs.h"

namespace ipcgrade {


class FakeProc : public ProcFs {
 public:
  std::map<std::string, std::string> files;
  std::map<std::string, std::string> links;
  // Pid or tid (as this /proc numbers it) → its number in a PID namespace
  // below, as the full isolation tier makes (the keeper is 1 there). Set it
  // before task(): status files then carry two ids on their NStgid and
  // NSpid lines ("NSpid:\t101\t2"), as the kernel writes them; a task not
  // in the map, or an empty map, gets one (no namespace: the reduced tier).
  std::map<int, int> inner_pids;

  std::optional<std::string> read(const std::string& path, std::size_t max) override {
    auto it = files.find(path);
    if (it == files.end()) {
      return std::nullopt;
    }
    return it->second.substr(0, max);
  }
  std::optional<std::string> read_link(const std::string& path) override {
    auto it = links.find(path);
    if (it == links.end()) {
      return std::nullopt;
    }
    return it->second;
  }
  std::optional<std::vector<std::string>> list(const std::string& dir) override {
    std::set<std::string> names;
    const std::string prefix = dir + "/";
    for (const auto* m : {&files, &links}) {
      for (const auto& [path, value] : *m) {
        if (path.compare(0, prefix.size(), prefix) == 0) {
          std::string rest = path.substr(prefix.size());
          names.insert(rest.substr(0, rest.find('/')));
        }
      }
    }
    if (names.empty()) {
      return std::nullopt;
    }
    return std::vector<std::string>(names.begin(), names.end());
  }
  bool read_memory(int, std::uint64_t, void*, std::size_t) override { return false; }

  // "101" or, in a namespace, "101\t2": the ids of an NSpid line.
  std::string ids(int id) const {
    auto it = inner_pids.find(id);
    return std::to_string(id) + (it == inner_pids.end() ? "" : "\t" + std::to_string(it->second));
  }

  // One task, asleep (or not) in `syscall` ("0 0x0 ..." as the kernel
  // prints it). A thread group leader also gets the process-wide files.
  void task(int pid, int tid, int ppid, const std::string& comm, char state,
            const std::string& syscall, std::uint64_t switches = 5) {
    const std::string p = "/proc/" + std::to_string(pid);
    const std::string t = p + "/task/" + std::to_string(tid);
    const std::string stat = std::to_string(tid) + " (" + comm + ") " + state + " " +
                             std::to_string(ppid) +
                             " 1 1 0 -1 4194304 100 0 0 0 7 3 0 0 20 0 1 0 12345 2990080 421";
    files[t + "/stat"] = stat;
    files[t + "/syscall"] = syscall;
    const std::string status = "Name:\t" + comm + "\nState:\t" + state + "\nNStgid:\t" +
                               ids(pid) + "\nNSpid:\t" + ids(tid) +
                               "\nvoluntary_ctxt_switches:\t" + std::to_string(switches) +
                               "\nnonvoluntary_ctxt_switches:\t1\n";
    files[t + "/status"] = status;
    files[t + "/wchan"] = "anon_pipe_read";
    files.emplace(t + "/children", "");
    if (pid == tid) {
      files[p + "/stat"] = stat;
      files[p + "/status"] = status;
      files[p + "/exe"] = std::string(
          "\x7f"
          "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0",
          20);
      files[p + "/timers"] = "";
      const std::string parent =
          "/proc/" + std::to_string(ppid) + "/task/" + std::to_string(ppid) + "/children";
      files[parent] += std::to_string(pid) + " ";
    }
  }
  // The task's voluntary context switches become `switches` (it woke up).
  void set_switches(int pid, int tid, std::uint64_t switches) {
    std::string& status =
        files["/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/status"];
    const std::string key = "\nvoluntary_ctxt_switches:\t";
    std::size_t at = status.find(key);
    if (at == std::string::npos) {
      status += key.substr(1) + std::to_string(switches) + "\n";
      return;
    }
    std::size_t end = status.find('\n', at + key.size());
    status.replace(at + key.size(), end - at - key.size(), std::to_string(switches));
  }
  // fd `fd` of `pid` → `link`, opened with `flags` (octal, as in fdinfo).
  void fd(int pid, int fd, const std::string& link, const std::string& flags) {
    const std::string p = "/proc/" + std::to_string(pid);
    links[p + "/fd/" + std::to_string(fd)] = link;
    files[p + "/fdinfo/" + std::to_string(fd)] = "pos:\t0\nflags:\t" + flags + "\nmnt_id:\t15\n";
  }
};

}  // namespace ipcgrade
