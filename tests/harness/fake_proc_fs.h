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
    files[t + "/status"] = "Name:\t" + comm + "\nState:\t" + state +
                           "\nvoluntary_ctxt_switches:\t" + std::to_string(switches) +
                           "\nnonvoluntary_ctxt_switches:\t1\n";
    files[t + "/wchan"] = "anon_pipe_read";
    files.emplace(t + "/children", "");
    if (pid == tid) {
      files[p + "/stat"] = stat;
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
  void set_switches(int pid, int tid, std::uint64_t switches) {
    files["/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/status"] =
        "Name:\tx\nvoluntary_ctxt_switches:\t" + std::to_string(switches) +
        "\nnonvoluntary_ctxt_switches:\t1\n";
  }
  // fd `fd` of `pid` → `link`, opened with `flags` (octal, as in fdinfo).
  void fd(int pid, int fd, const std::string& link, const std::string& flags) {
    const std::string p = "/proc/" + std::to_string(pid);
    links[p + "/fd/" + std::to_string(fd)] = link;
    files[p + "/fdinfo/" + std::to_string(fd)] = "pos:\t0\nflags:\t" + flags + "\nmnt_id:\t15\n";
  }
};

}  // namespace ipcgrade
