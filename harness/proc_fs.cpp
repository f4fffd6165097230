#include "harness/proc_fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace ipcgrade {
namespace {

// The real /proc.

class SystemProcFs : public ProcFs {
 public:
  std::optional<std::string> read(const std::string& path, std::size_t max) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return std::nullopt;
    }
    std::string out;
    char buf[4096];
    bool failed = false;
    while (out.size() < max) {
      ssize_t n = ::read(fd, buf, std::min(sizeof buf, max - out.size()));
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0) {
        failed = true;
        break;
      }
      if (n == 0) {
        break;
      }
      out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    if (failed) {
      return std::nullopt;
    }
    return out;
  }

  std::optional<std::string> read_link(const std::string& path) override {
    char buf[4096];
    ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
    if (n < 0) {
      return std::nullopt;
    }
    return std::string(buf, static_cast<std::size_t>(n));
  }

  std::optional<std::vector<std::string>> list(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
      return std::nullopt;
    }
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
      if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
        names.emplace_back(e->d_name);
      }
    }
    ::closedir(d);
    return names;
  }

  bool read_memory(int pid, std::uint64_t address, void* out, std::size_t size) override {
    struct iovec local = {out, size};
    struct iovec remote = {reinterpret_cast<void*>(address), size};
    return ::process_vm_readv(pid, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(size);
  }
};

}  // namespace

ProcFs& ProcFs::system() {
  static SystemProcFs proc;
  return proc;
}

// "pid (comm) S ppid ... utime stime ... starttime ..."; comm may hold
// spaces and parentheses, so the fields start after the last ')'. Parsed by
// hand: this runs for every task on every sample.
std::optional<TaskStat> parse_stat(const std::string& s) {
  std::size_t open = s.find('(');
  std::size_t close = s.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open ||
      close + 3 >= s.size()) {
    return std::nullopt;
  }
  TaskStat t;
  t.comm = s.substr(open + 1, close - open - 1);
  t.state = s[close + 2];
  // Fields 4 (ppid) to 22 (starttime), 1-based as in proc(5).
  const char* p = s.c_str() + close + 3;
  std::uint64_t field[23] = {};
  for (int i = 4; i <= 22; ++i) {
    char* end = nullptr;
    field[i] = static_cast<std::uint64_t>(std::strtoll(p, &end, 10));
    if (end == p) {
      return std::nullopt;
    }
    p = end;
  }
  t.ppid = static_cast<int>(field[4]);
  t.cpu_ticks = field[14] + field[15];
  t.threads = static_cast<int>(field[20]);
  t.start_time = field[22];
  return t;
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<int> namespace_ids(const std::string& status, const std::string& key) {
  const std::string label = key + ":";
  std::size_t at = status.compare(0, label.size(), label) == 0 ? 0 : status.find("\n" + label);
  if (at == std::string::npos) {
    return {};
  }
  if (status[at] == '\n') {
    ++at;
  }
  std::vector<int> ids;
  const char* p = status.c_str() + at + label.size();
  for (;;) {
    while (*p == ' ' || *p == '\t') {
      ++p;
    }
    if (*p == '\n' || *p == '\0') {
      return ids;
    }
    char* end = nullptr;
    long id = std::strtol(p, &end, 10);
    if (end == p || id <= 0) {
      return {};
    }
    ids.push_back(static_cast<int>(id));
    p = end;
  }
}

std::string task_dir(int pid, int tid) {
  return "/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid);
}

// Every process's children, from the parent pid in every /proc/P/stat.
std::optional<std::map<int, std::vector<int>>> children_by_scan(ProcFs& proc) {
  std::optional<std::vector<std::string>> all = proc.list("/proc");
  if (!all) {
    return std::nullopt;
  }
  std::map<int, std::vector<int>> children;
  for (const std::string& name : *all) {
    if (!all_digits(name)) {
      continue;
    }
    std::optional<std::string> s = proc.read("/proc/" + name + "/stat");
    std::optional<TaskStat> st = s ? parse_stat(*s) : std::nullopt;
    if (st) {
      children[st->ppid].push_back(std::atoi(name.c_str()));
    }
  }
  for (auto& [parent, kids] : children) {
    std::sort(kids.begin(), kids.end());
  }
  return children;
}

}  // namespace ipcgrade
