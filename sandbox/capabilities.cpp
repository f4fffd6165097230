// See capabilities.h for what is tried and how.
#include "sandbox/capabilities.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sandbox/namespaces.h"
#include "sandbox/seccomp_filter.h"

namespace ipcgrade {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kRequired[] = {"user-namespace", "pid-namespace",  "ipc-namespace",
                                     "network-namespace", "mount-namespace", "sandbox-root",
                                     "loopback",       "no-new-privs",   "seccomp"};
// The probe as a whole may take this long before it counts as broken.
constexpr int kProbeTimeoutMs = 10000;

std::string read_small_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

std::string errno_text(int err) { return std::strerror(err); }

void write_line(int fd, const std::string& name, bool ok, const std::string& detail) {
  std::string line = name + "\t" + (ok ? "1" : "0") + "\t" + detail + "\n";
  ssize_t ignored = ::write(fd, line.data(), line.size());
  (void)ignored;
}

// Runs `body(fd)` in a child that reports lines on fd; returns them, plus
// one line for `fallback_name` if the child died without a word.
std::vector<std::string> trial(const std::function<void(int)>& body) {
  std::vector<std::string> lines;
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) {
    return lines;
  }
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(p[0]);
    body(p[1]);
    ::_exit(0);
  }
  ::close(p[1]);
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(p[0], buf, sizeof buf)) != 0) {
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      break;
    }
    text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(p[0]);
  if (pid > 0) {
    while (::waitpid(pid, nullptr, 0) == -1 && errno == EINTR) {
    }
  }
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
  }
  return lines;
}

std::string userns_sysctls() {
  std::string out;
  for (const char* path : {"/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
                           "/proc/sys/kernel/unprivileged_userns_clone",
                           "/proc/sys/user/max_user_namespaces"}) {
    std::string v = read_small_file(path);
    if (!v.empty()) {
      std::string name = std::string(path).substr(std::strlen("/proc/sys/"));
      std::replace(name.begin(), name.end(), '/', '.');
      out += (out.empty() ? "" : ", ") + name + "=" + v;
    }
  }
  return out;
}

void try_unshare(int fd, const std::string& name, int flag) {
  int flags = flag;
  if (::geteuid() != 0 && flag != CLONE_NEWUSER) {
    flags |= CLONE_NEWUSER;
  }
  if (::unshare(flags) == 0) {
    write_line(fd, name, true, "");
    return;
  }
  int e = errno;
  std::string detail = "unshare: " + errno_text(e);
  if (flag == CLONE_NEWUSER || ::geteuid() != 0) {
    std::string sysctls = userns_sysctls();
    if (!sysctls.empty()) {
      detail += " (" + sysctls + ")";
    }
  }
  write_line(fd, name, false, detail);
}

// In a process inside the sandbox: what a student's program would meet.
void check_inside(int fd, const fs::path& scratch) {
  std::string pid_detail;
  bool pid_ok = ::getpid() == 2 && ::access("/proc/1/comm", R_OK) == 0;
  write_line(fd, "pid-namespace", pid_ok,
             pid_ok ? "" : "inside, getpid() is " + std::to_string(::getpid()));
  // The root is read-only, the scratch folder and /tmp are writable, and
  // /dev/shm takes a shared-memory object.
  std::string root_problem;
  int f = ::open("/ipcgrade-probe", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (f >= 0) {
    ::close(f);
    root_problem = "/ is writable inside";
  } else if (errno != EROFS) {
    root_problem = "writing / failed with " + errno_text(errno) + ", not EROFS";
  }
  for (const fs::path& dir : {scratch, fs::path("/tmp")}) {
    const std::string file = (dir / "probe").string();
    int w = ::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (w < 0 && root_problem.empty()) {
      root_problem = "cannot write in " + dir.string() + ": " + errno_text(errno);
    }
    if (w >= 0) {
      ::close(w);
    }
  }
  int shm = ::shm_open("/ipcgrade-probe", O_RDWR | O_CREAT | O_EXCL, 0600);
  if (shm < 0 && root_problem.empty()) {
    root_problem = "shm_open in /dev/shm: " + errno_text(errno);
  }
  if (shm >= 0) {
    ::close(shm);
    ::shm_unlink("/ipcgrade-probe");
  }
  write_line(fd, "sandbox-root", root_problem.empty(), root_problem);

  std::string net_problem;
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener, 1) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    net_problem = "listen on 127.0.0.1: " + errno_text(errno);
  } else {
    int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c < 0 || ::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      net_problem = "connect to 127.0.0.1: " + errno_text(errno);
    }
    if (c >= 0) {
      ::close(c);
    }
  }
  if (listener >= 0) {
    ::close(listener);
  }
  write_line(fd, "loopback", net_problem.empty(), net_problem);

  int err = drop_privileges();
  bool nnp = err == 0 && ::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1;
  write_line(fd, "no-new-privs", nnp, err != 0 ? errno_text(err) : nnp ? "" : "not set");
  Result<SeccompFilter> filter = SeccompFilter::build();
  if (!filter.ok()) {
    write_line(fd, "seccomp", false, filter.status().message());
    return;
  }
  if (int e = filter->load(); e != 0) {
    write_line(fd, "seccomp", false, "seccomp_load: " + errno_text(e));
    return;
  }
  errno = 0;
  long r = ::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
  bool denied = r == -1 && errno == EPERM;
  write_line(fd, "seccomp", denied,
             denied ? "" : "ptrace was not denied (" + errno_text(errno) + ")");
}

// The real set-up, in fresh namespaces, with a throwaway scratch folder.
void try_sandbox(int fd, const fs::path& scratch) {
  Status s = unshare_namespaces();
  if (!s.ok()) {
    write_line(fd, "sandbox-root", false, s.message());
    return;
  }
  pid_t init = ::fork();
  if (init != 0) {
    while (init > 0 && ::waitpid(init, nullptr, 0) == -1 && errno == EINTR) {
    }
    return;
  }
  SandboxRootPlan plan;
  plan.writable = {scratch};
  plan.shm_bytes = 1 << 20;
  plan.tmp_bytes = 1 << 20;
  s = build_sandbox_root(plan);
  if (!s.ok()) {
    write_line(fd, "sandbox-root", false, s.message());
    ::_exit(0);
  }
  s = bring_up_loopback();
  if (!s.ok()) {
    write_line(fd, "loopback", false, s.message());
    ::_exit(0);
  }
  pid_t inside = ::fork();
  if (inside == 0) {
    check_inside(fd, scratch);
    ::_exit(0);
  }
  while (inside > 0 && ::waitpid(inside, nullptr, 0) == -1 && errno == EINTR) {
  }
  ::_exit(0);
}

// A delegated cgroup v2: our own cgroup in the unified hierarchy, where a
// child can be made and offers the pids and memory controllers.
Capability try_cgroup() {
  Capability c{"cgroup-v2", false, ""};
  std::string mount_point;
  std::ifstream mounts("/proc/self/mountinfo");
  std::string line;
  while (std::getline(mounts, line)) {
    std::size_t dash = line.find(" - ");
    if (dash == std::string::npos || line.compare(dash + 3, 8, "cgroup2 ") != 0) {
      continue;
    }
    std::istringstream fields(line);
    std::string id, parent, devno, root, point;
    fields >> id >> parent >> devno >> root >> point;
    mount_point = point;
    break;
  }
  if (mount_point.empty()) {
    c.detail = "no cgroup v2 file system is mounted";
    return c;
  }
  std::string own;
  std::ifstream self("/proc/self/cgroup");
  while (std::getline(self, line)) {
    if (line.rfind("0::", 0) == 0) {
      own = line.substr(3);
    }
  }
  const std::string dir = mount_point + (own == "/" ? "" : own);
  std::string controllers = read_small_file(dir + "/cgroup.controllers");
  std::istringstream words(controllers);
  bool pids = false, memory = false;
  std::string w;
  while (words >> w) {
    pids = pids || w == "pids";
    memory = memory || w == "memory";
  }
  if (!pids || !memory) {
    c.detail = "the cgroup v2 hierarchy at " + dir + " offers " +
               (controllers.empty() ? std::string("no controller") : "only " + controllers) +
               ": pids and memory are not delegated to it";
    return c;
  }
  const std::string child = dir + "/ipcgrade-probe-" + std::to_string(::getpid());
  if (::mkdir(child.c_str(), 0755) != 0) {
    c.detail = "cannot create a cgroup under " + dir + ": " + errno_text(errno);
    return c;
  }
  std::string offered = read_small_file(child + "/cgroup.controllers");
  int w_fd = ::open((child + "/pids.max").c_str(), O_WRONLY | O_CLOEXEC);
  bool writable = w_fd >= 0 && ::write(w_fd, "64", 2) == 2;
  if (w_fd >= 0) {
    ::close(w_fd);
  }
  ::rmdir(child.c_str());
  if (!writable) {
    c.detail = "a cgroup under " + dir + " gets controllers '" + offered +
               "' only: pids and memory are not enabled in its cgroup.subtree_control";
    return c;
  }
  c.ok = true;
  c.detail = dir;
  return c;
}

}  // namespace

bool required_for_full(const std::string& feature) {
  for (const char* r : kRequired) {
    if (feature == r) {
      return true;
    }
  }
  return false;
}

bool CapabilityReport::full_available() const {
  for (const char* r : kRequired) {
    const Capability* c = find(r);
    if (c == nullptr || !c->ok) {
      return false;
    }
  }
  return true;
}

std::string CapabilityReport::missing() const {
  std::string out;
  for (const Capability& c : features) {
    if (!c.ok) {
      out += (out.empty() ? "" : "; ") + c.name + (c.detail.empty() ? "" : " (" + c.detail + ")");
    }
  }
  return out;
}

const Capability* CapabilityReport::find(const std::string& name) const {
  for (const Capability& c : features) {
    if (c.name == name) {
      return &c;
    }
  }
  return nullptr;
}

int capability_probe_main(int status_fd) {
  std::map<std::string, Capability> found;
  std::vector<std::string> order = {"user-namespace", "pid-namespace", "ipc-namespace",
                                    "network-namespace", "mount-namespace", "sandbox-root",
                                    "loopback", "no-new-privs", "seccomp", "cgroup-v2"};
  auto take = [&](const std::vector<std::string>& lines) {
    for (const std::string& line : lines) {
      std::size_t a = line.find('\t');
      std::size_t b = line.find('\t', a == std::string::npos ? a : a + 1);
      if (a == std::string::npos || b == std::string::npos) {
        continue;
      }
      Capability c{line.substr(0, a), line.substr(a + 1, b - a - 1) == "1", line.substr(b + 1)};
      auto it = found.find(c.name);
      // A failure stands over an earlier success (pid-namespace: unshare
      // worked, but pid 1 was not what the run would see).
      if (it == found.end() || (it->second.ok && !c.ok)) {
        found[c.name] = c;
      }
    }
  };
  if (::geteuid() == 0) {
    found["user-namespace"] = {"user-namespace", true, "not needed: running as root"};
  } else {
    take(trial([](int fd) { try_unshare(fd, "user-namespace", CLONE_NEWUSER); }));
  }
  take(trial([](int fd) { try_unshare(fd, "pid-namespace", CLONE_NEWPID); }));
  take(trial([](int fd) { try_unshare(fd, "ipc-namespace", CLONE_NEWIPC); }));
  take(trial([](int fd) { try_unshare(fd, "network-namespace", CLONE_NEWNET); }));
  take(trial([](int fd) { try_unshare(fd, "mount-namespace", CLONE_NEWNS); }));

  char scratch_template[] = "/tmp/ipcgrade-probe-XXXXXX";
  const char* scratch = ::mkdtemp(scratch_template);
  if (scratch == nullptr) {
    found["sandbox-root"] = {"sandbox-root", false,
                             "cannot make a scratch folder in /tmp: " + errno_text(errno)};
  } else {
    take(trial([&](int fd) { try_sandbox(fd, scratch); }));
    const std::string file = std::string(scratch) + "/probe";
    if (::access(file.c_str(), F_OK) != 0 && found.count("sandbox-root") != 0 &&
        found["sandbox-root"].ok) {
      found["sandbox-root"] = {"sandbox-root", false,
                               "a file written in the scratch folder inside did not appear outside"};
    }
    ::unlink(file.c_str());
    ::rmdir(scratch);
  }
  found["cgroup-v2"] = try_cgroup();

  // The test seam: features named here count as missing, untried.
  if (const char* off = std::getenv("IPCGRADE_PROBE_DISABLE"); off != nullptr) {
    std::istringstream names{std::string(off)};
    std::string name;
    while (std::getline(names, name, ',')) {
      if (!name.empty()) {
        found[name] = {name, false, "disabled by IPCGRADE_PROBE_DISABLE"};
      }
    }
  }
  // What could not be tried because an earlier step failed.
  const Capability* root = found.count("sandbox-root") ? &found["sandbox-root"] : nullptr;
  std::string blocker = root != nullptr && !root->ok ? "sandbox-root failed" : "the probe died";
  json features = json::array();
  for (const std::string& name : order) {
    auto it = found.find(name);
    Capability c = it != found.end() ? it->second : Capability{name, false, "not tried: " + blocker};
    features.push_back({{"name", c.name}, {"ok", c.ok}, {"detail", c.detail}});
  }
  std::string text = json{{"event", "probe"}, {"features", features}}.dump() + "\n";
  ssize_t ignored = ::write(status_fd, text.data(), text.size());
  (void)ignored;
  return 0;
}

Result<CapabilityReport> parse_capability_report(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("features")) {
    return Status::Internal("the capability probe sent an unreadable report: " +
                            text.substr(0, 200));
  }
  CapabilityReport r;
  try {
    for (const json& f : j.at("features")) {
      r.features.push_back({f.at("name").get<std::string>(), f.at("ok").get<bool>(),
                            f.at("detail").get<std::string>()});
    }
  } catch (const std::exception& e) {
    return Status::Internal(std::string("the capability probe's report is malformed: ") + e.what());
  }
  return r;
}

Result<CapabilityReport> probe_capabilities(const fs::path& keeper_binary) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) {
    return Status::FromErrno("capability probe: pipe", errno);
  }
  const std::string exe = keeper_binary.string();
  const char* argv[] = {"ipcgrade", "__keeper", "--probe", nullptr};
  // The probe's environment: PATH, and the test seam when it is set.
  const char* seam = std::getenv("IPCGRADE_PROBE_DISABLE");
  const std::string seam_env = seam != nullptr ? std::string("IPCGRADE_PROBE_DISABLE=") + seam : "";
  const char* envp[] = {"PATH=/usr/bin:/bin", seam != nullptr ? seam_env.c_str() : nullptr,
                        nullptr};
  pid_t pid = ::fork();
  if (pid == -1) {
    int e = errno;
    ::close(p[0]);
    ::close(p[1]);
    return Status::FromErrno("capability probe: fork", e);
  }
  if (pid == 0) {
    // Async-signal-safe only: the grader may have threads.
    // With fd 0 closed, pipe() may have given fd 3 itself: dup2 onto itself
    // would keep its close-on-exec flag, so clear it instead.
    if (p[1] == 3 ? ::fcntl(3, F_SETFD, 0) == -1 : ::dup2(p[1], 3) == -1) {
      ::_exit(127);
    }
    ::execve(exe.c_str(), const_cast<char* const*>(argv), const_cast<char* const*>(envp));
    ::_exit(127);
  }
  ::close(p[1]);
  std::string text;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kProbeTimeoutMs);
  bool timed_out = false;
  for (;;) {
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    deadline - std::chrono::steady_clock::now())
                                    .count());
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd pfd{p[0], POLLIN, 0};
    int ready = ::poll(&pfd, 1, left);
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready <= 0) {
      timed_out = ready == 0;
      break;
    }
    char buf[4096];
    ssize_t n = ::read(p[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(p[0]);
  if (timed_out) {
    ::kill(pid, SIGKILL);
  }
  int raw = 0;
  while (::waitpid(pid, &raw, 0) == -1 && errno == EINTR) {
  }
  if (timed_out) {
    return Status::Internal("the capability probe did not finish within " +
                            std::to_string(kProbeTimeoutMs / 1000) + " s");
  }
  return parse_capability_report(text);
}

}  // namespace ipcgrade
