// The keeper process; see keeper.h for the theory of operation.
#include "sandbox/keeper.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sandbox/capabilities.h"
#include "sandbox/namespaces.h"
#include "sandbox/seccomp_filter.h"

extern char** environ;

namespace ipcgrade {
namespace {

constexpr int kStatusFd = 3;
// How long a process left behind by main may take to finish exiting before
// it counts as still running (an orphan) rather than an unreaped child.
constexpr int kLeftoverGraceMs = 200;

using nlohmann::json;

void write_all(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return;  // the grader went away; nothing left to tell
    }
    done += static_cast<size_t>(n);
  }
}

void emit(const json& j) { write_all(kStatusFd, j.dump() + "\n"); }

std::string read_small_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The state letter of /proc/PID/stat (R, S, D, Z, T...), or 0 if gone.
char proc_state(int pid) {
  std::string stat = read_small_file("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) {
    return 0;
  }
  return stat[paren + 2];
}

std::string proc_command(int pid) {
  std::string cmd = read_small_file("/proc/" + std::to_string(pid) + "/cmdline");
  while (!cmd.empty() && cmd.back() == '\0') {
    cmd.pop_back();
  }
  std::replace(cmd.begin(), cmd.end(), '\0', ' ');
  if (cmd.empty()) {  // zombies have no cmdline; their name stays
    cmd = read_small_file("/proc/" + std::to_string(pid) + "/comm");
    while (!cmd.empty() && cmd.back() == '\n') {
      cmd.pop_back();
    }
    if (!cmd.empty()) {
      cmd = "[" + cmd + "]";
    }
  }
  return cmd;
}

// The keeper's children, from /proc/PID/task/PID/children (the keeper is
// single-threaded). A hint only: see the sweep.
std::vector<int> children_of_self() {
  std::vector<int> kids;
  pid_t self = ::getpid();
  std::istringstream in(read_small_file("/proc/" + std::to_string(self) + "/task/" +
                                        std::to_string(self) + "/children"));
  int pid;
  while (in >> pid) {
    kids.push_back(pid);
  }
  return kids;
}

// The keeper's children by a scan of every /proc/PID/stat: slower, for
// kernels without the children file and for when it reads empty.
std::vector<int> children_by_scan() {
  std::vector<int> kids;
  pid_t self = ::getpid();
  DIR* d = ::opendir("/proc");
  if (d == nullptr) {
    return kids;
  }
  while (dirent* e = ::readdir(d)) {
    int p = std::atoi(e->d_name);
    if (p <= 0) {
      continue;
    }
    std::string stat = read_small_file("/proc/" + std::to_string(p) + "/stat");
    size_t paren = stat.rfind(')');
    if (paren == std::string::npos) {
      continue;
    }
    std::istringstream rest(stat.substr(paren + 2));
    char state;
    int ppid;
    if (rest >> state >> ppid && ppid == self) {
      kids.push_back(p);
    }
  }
  ::closedir(d);
  return kids;
}

// Processes the user already runs, so RLIMIT_NPROC (counted per user) gives
// the run its own budget on top of them.
// RLIMIT_NPROC counts the user's tasks, threads included: every thread of
// every process of `uid` (the Threads: line of /proc/P/status).
int count_tasks_of_uid(uid_t uid) {
  int count = 0;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) {
    return 0;
  }
  while (dirent* e = ::readdir(d)) {
    if (std::atoi(e->d_name) <= 0) {
      continue;
    }
    const std::string dir = "/proc/" + std::string(e->d_name);
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0 || st.st_uid != uid) {
      continue;
    }
    int threads = 1;
    std::ifstream status(dir + "/status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.compare(0, 8, "Threads:") == 0) {
        threads = std::max(1, std::atoi(line.c_str() + 8));
        break;
      }
    }
    count += threads;
  }
  ::closedir(d);
  return count;
}

bool main_has_exited(pid_t main_pid) {
  siginfo_t w;
  std::memset(&w, 0, sizeof w);
  return ::waitid(P_PID, main_pid, &w, WEXITED | WNOHANG | WNOWAIT) == 0 && w.si_pid == main_pid;
}

// Reaps orphans adopted while main runs, as init would. Returns true once
// main has exited (main itself is left to be reaped by the caller). The
// kernel re-parents main's children in the same step that makes main
// waitable, so a zombie found while main is not yet waitable was adopted
// earlier and is not main's unreaped child.
bool reap_adopted_until_main_exits(pid_t main_pid) {
  for (;;) {
    if (main_has_exited(main_pid)) {
      return true;
    }
    siginfo_t w;
    std::memset(&w, 0, sizeof w);
    if (::waitid(P_ALL, 0, &w, WEXITED | WNOHANG | WNOWAIT) != 0 || w.si_pid == 0) {
      return false;
    }
    if (w.si_pid == main_pid || main_has_exited(main_pid)) {
      return true;
    }
    ::waitpid(w.si_pid, nullptr, WNOHANG);
  }
}

void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (::nanosleep(&ts, &ts) == -1 && errno == EINTR) {
  }
}

struct Parsed {
  KeeperRequest request;
  std::string error;
};

Parsed parse_args(const std::vector<std::string>& args) {
  Parsed p;
  size_t i = 0;
  auto number = [&](const std::string& s) -> long long {
    try {
      return std::stoll(s);
    } catch (...) {
      p.error = "bad number '" + s + "'";
      return 0;
    }
  };
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (i + 1 >= args.size()) {
      p.error = "option " + a + " needs a value";
      return p;
    }
    const std::string& v = args[++i];
    if (a == "--cwd") {
      p.request.cwd = v;
    } else if (a == "--cpu-ms") {
      p.request.limits.cpu = std::chrono::milliseconds(number(v));
    } else if (a == "--memory") {
      // RLIM_INFINITY (all ones, too large for number()) is "no limit": the
      // ThreadSanitizer pass asks for it (harness/tsan_pass.h).
      p.request.limits.memory_bytes = v == std::to_string(RLIM_INFINITY) ? RLIM_INFINITY : number(v);
    } else if (a == "--file-size") {
      p.request.limits.file_size_bytes = number(v);
    } else if (a == "--processes") {
      p.request.limits.processes = static_cast<int>(number(v));
    } else if (a == "--open-files") {
      p.request.limits.open_files = static_cast<int>(number(v));
    } else if (a == "--tier") {
      p.request.full_tier = v == "full";
    } else if (a == "--writable") {
      p.request.writable.push_back(v);
    } else if (a == "--readable") {
      p.request.readable.push_back(v);
    } else if (a == "--hidden") {
      p.request.hidden.push_back(v);
    } else {
      p.error = "unknown option " + a;
      return p;
    }
  }
  p.request.argv.assign(args.begin() + std::min(i, args.size()), args.end());
  if (p.request.argv.empty() && p.error.empty()) {
    p.error = "no command";
  }
  return p;
}

struct SetupError {
  int step;  // index into kSteps
  int err;
};
const char* const kSteps[] = {"chdir", "setrlimit", "execve", "drop privileges", "seccomp"};

}  // namespace

std::vector<std::string> keeper_arguments(const KeeperRequest& r) {
  std::vector<std::string> a = {
      "--cwd", r.cwd.string(),
      "--cpu-ms", std::to_string(r.limits.cpu.count()),
      "--memory", std::to_string(r.limits.memory_bytes),
      "--file-size", std::to_string(r.limits.file_size_bytes),
      "--processes", std::to_string(r.limits.processes),
      "--open-files", std::to_string(r.limits.open_files)};
  if (r.full_tier) {
    a.insert(a.end(), {"--tier", "full"});
    for (const auto& [flag, paths] : {std::pair{"--writable", &r.writable},
                                      std::pair{"--readable", &r.readable},
                                      std::pair{"--hidden", &r.hidden}}) {
      for (const auto& path : *paths) {
        a.insert(a.end(), {flag, path.string()});
      }
    }
  }
  a.push_back("--");
  a.insert(a.end(), r.argv.begin(), r.argv.end());
  return a;
}

namespace {

// Where the keeper runs: in the grader's namespaces (the reduced tier), or as
// pid 1 of the run's own (the inner keeper of the full tier).
enum class KeeperRole { kHost, kInit };

// The tmpfs sizes of the full tier: /dev/shm may hold what one process may
// map (its address-space limit, at most 1 GiB), /tmp a generous 256 MiB.
SandboxRootPlan root_plan(const KeeperRequest& req) {
  SandboxRootPlan plan;
  plan.writable = req.writable;
  plan.readable = req.readable;
  plan.hidden = req.hidden;
  plan.shm_bytes = std::min<std::uint64_t>(req.limits.memory_bytes, 1ull << 30);
  plan.shm_bytes = std::max<std::uint64_t>(plan.shm_bytes, 64ull << 20);
  return plan;
}

int run_keeper(const KeeperRequest& req, KeeperRole role, KeeperEpilogue epilogue,
               rlim_t tasks_already_running);

// A keeper takes the signals it acts on (a child's end, the grader's stop
// request) with sigwaitinfo, never in a handler: blocks them and returns
// their set, and ignores SIGPIPE (the grader may close the status pipe
// first).
sigset_t block_keeper_signals() {
  sigset_t waited;
  sigemptyset(&waited);
  for (int s : {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT}) {
    sigaddset(&waited, s);
  }
  ::sigprocmask(SIG_BLOCK, &waited, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  return waited;
}

// The outer keeper of the full tier: unshare, fork pid 1, relay the
// grader's request to stop, exit when pid 1 does.
int run_outer_keeper(const KeeperRequest& req, KeeperEpilogue epilogue) {
  ::setsid();
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  const sigset_t waited = block_keeper_signals();
  // RLIMIT_NPROC counts the real user's tasks, which the new PID namespace's
  // /proc will not show: count them here.
  rlim_t running = ::geteuid() != 0 ? static_cast<rlim_t>(count_tasks_of_uid(::geteuid())) : 0;
  Status s = unshare_namespaces();
  if (!s.ok()) {
    emit({{"event", "error"}, {"message", "keeper: full tier: " + s.message()}});
    return 70;
  }
  pid_t init = ::fork();
  if (init == -1) {
    emit({{"event", "error"}, {"message", std::string("keeper: fork: ") + std::strerror(errno)}});
    return 70;
  }
  if (init == 0) {
    // The grader or the outer keeper gone: the whole namespace goes at once.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::sethostname("ipcgrade", 8);
    s = build_sandbox_root(root_plan(req));
    if (s.ok()) {
      s = bring_up_loopback();
    }
    if (!s.ok()) {
      emit({{"event", "error"}, {"message", "keeper: full tier: " + s.message()}});
      ::_exit(70);
    }
    ::_exit(run_keeper(req, KeeperRole::kInit, epilogue, running));
  }
  emit({{"event", "sandbox"}, {"tier", "full"}, {"init_pid", init}});
  ::close(kStatusFd);
  int devnull = ::open("/dev/null", O_RDWR);
  for (int fd = 0; fd <= 2; ++fd) {
    ::dup2(devnull, fd);
  }
  if (devnull > 2) {
    ::close(devnull);
  }
  for (;;) {
    siginfo_t si;
    int sig = ::sigwaitinfo(&waited, &si);
    if (sig == -1) {
      continue;
    }
    if (sig != SIGCHLD) {
      ::kill(init, SIGTERM);
      continue;
    }
    int raw = 0;
    pid_t got;
    while ((got = ::waitpid(init, &raw, WNOHANG)) == -1 && errno == EINTR) {
    }
    if (got == init) {
      return WIFEXITED(raw) ? WEXITSTATUS(raw) : 70;
    }
  }
}

}  // namespace

int keeper_main(const std::vector<std::string>& args, KeeperEpilogue epilogue) {
  if (::fcntl(kStatusFd, F_GETFD) == -1) {
    return 70;  // started by hand, not by the runner
  }
  // Only 0-2 and the status pipe may be open: whatever else the launcher let
  // through would reach the student's program (Boost 1.81's close_all skips
  // the gaps between whitelisted descriptors).
  ::syscall(SYS_close_range, kStatusFd + 1, ~0U, 0);
  ::fcntl(kStatusFd, F_SETFD, FD_CLOEXEC);
  if (!args.empty() && args[0] == "--probe") {
    return capability_probe_main(kStatusFd);
  }
  Parsed parsed = parse_args(args);
  if (!parsed.error.empty()) {
    emit({{"event", "error"}, {"message", "keeper: " + parsed.error}});
    return 70;
  }
  if (parsed.request.full_tier) {
    return run_outer_keeper(parsed.request, epilogue);
  }
  return run_keeper(parsed.request, KeeperRole::kHost, nullptr, 0);
}

namespace {

int run_keeper(const KeeperRequest& req, KeeperRole role, KeeperEpilogue epilogue,
               rlim_t tasks_already_running) {
  const bool full = role == KeeperRole::kInit;
  pid_t grader = ::getppid();
  if (!full) {
    ::setsid();
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  }
  const sigset_t waited = block_keeper_signals();
  bool grader_gone = !full && ::getppid() != grader;
  std::optional<SeccompFilter> filter;
  if (full) {
    Result<SeccompFilter> built = SeccompFilter::build();
    if (!built.ok()) {
      emit({{"event", "error"}, {"message", "keeper: " + built.status().message()}});
      return 70;
    }
    filter.emplace(std::move(built.value()));
  }

  // Everything the child needs is built before fork.
  std::vector<char*> argv;
  for (const std::string& a : req.argv) {
    argv.push_back(const_cast<char*>(a.c_str()));
  }
  argv.push_back(nullptr);
  std::string cwd = req.cwd.string();
  rlim_t nproc = static_cast<rlim_t>(req.limits.processes);
  if (full) {
    nproc += tasks_already_running;
  } else if (::geteuid() != 0) {
    nproc += static_cast<rlim_t>(count_tasks_of_uid(::geteuid()));
  }
  rlim_t cpu_seconds = static_cast<rlim_t>((req.limits.cpu.count() + 999) / 1000);
  struct {
    int resource;
    rlim_t soft, hard;
  } limits[] = {
      {RLIMIT_CPU, cpu_seconds, cpu_seconds + 1},
      {RLIMIT_AS, req.limits.memory_bytes, req.limits.memory_bytes},
      {RLIMIT_FSIZE, req.limits.file_size_bytes, req.limits.file_size_bytes},
      {RLIMIT_NPROC, nproc, nproc},
      {RLIMIT_NOFILE, static_cast<rlim_t>(req.limits.open_files),
       static_cast<rlim_t>(req.limits.open_files)},
      {RLIMIT_CORE, 0, 0},
  };

  int errpipe[2];
  if (::pipe2(errpipe, O_CLOEXEC) == -1) {
    emit({{"event", "error"}, {"message", std::string("keeper: pipe: ") + std::strerror(errno)}});
    return 70;
  }
  pid_t main_pid = ::fork();
  if (main_pid == -1) {
    emit({{"event", "error"}, {"message", std::string("keeper: fork: ") + std::strerror(errno)}});
    return 70;
  }
  if (main_pid == 0) {
    // Only async-signal-safe calls from here to execve.
    ::setpgid(0, 0);
    struct sigaction dfl;
    std::memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; ++s) {
      ::sigaction(s, &dfl, nullptr);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    SetupError e{0, 0};
    if (::chdir(cwd.c_str()) == -1) {
      e = {0, errno};
    }
    for (auto& l : limits) {
      struct rlimit rl = {l.soft, l.hard};
      if (e.err == 0 && ::setrlimit(l.resource, &rl) == -1) {
        e = {1, errno};
      }
    }
    if (e.err == 0 && full) {
      // After the rlimits (lowering them needs no capability, but keeps
      // the order obvious); the filter last, it forbids nothing used here.
      if (int err = drop_privileges(); err != 0) {
        e = {3, err};
      } else if (int err2 = filter->load(); err2 != 0) {
        e = {4, err2};
      }
    }
    if (e.err == 0) {
      ::execve(argv[0], argv.data(), environ);
      e = {2, errno};
    }
    ssize_t ignored = ::write(errpipe[1], &e, sizeof e);
    (void)ignored;
    ::_exit(127);
  }
  ::close(errpipe[1]);
  SetupError setup{0, 0};
  ssize_t n;
  while ((n = ::read(errpipe[0], &setup, sizeof setup)) == -1 && errno == EINTR) {
  }
  ::close(errpipe[0]);
  int devnull = ::open("/dev/null", O_RDWR);
  for (int fd = 0; fd <= 2; ++fd) {
    ::dup2(devnull, fd);
  }
  if (devnull > 2) {
    ::close(devnull);
  }
  emit({{"event", "started"}, {"pid", main_pid}});
  const std::int64_t started_at = static_cast<std::int64_t>(::time(nullptr));

  KeeperReport report;
  report.main_pid = main_pid;
  if (n == static_cast<ssize_t>(sizeof setup)) {
    report.setup_errno = setup.err;
    report.setup_step = kSteps[setup.step];
  }

  bool main_exited = report.setup_errno != 0;
  bool stop = grader_gone;
  while (!main_exited && !stop) {
    siginfo_t si;
    int sig = ::sigwaitinfo(&waited, &si);
    if (sig == -1) {
      continue;
    }
    if (sig == SIGCHLD) {
      main_exited = reap_adopted_until_main_exits(main_pid);
    } else if (!full || (si.si_pid == 0 && si.si_code == SI_USER)) {
      // As pid 1, a signal from inside the sandbox carries its sender's
      // pid; the outer keeper's kill() comes from outside the namespace (0).
      // sigqueue lets a sender write its own si_pid, but never with
      // SI_USER (the kernel refuses si_code >= 0 from another process).
      stop = true;
    }
  }

  std::map<int, std::string> leftover_names;
  if (main_exited && report.setup_errno == 0) {
    // Whatever is our child now, besides main, main left behind.
    std::vector<int> alive;
    std::vector<int> kids = children_of_self();
    if (kids.empty()) {
      kids = children_by_scan();
    }
    for (int pid : kids) {
      if (pid == main_pid) {
        continue;
      }
      leftover_names[pid] = proc_command(pid);
      if (proc_state(pid) == 'Z') {
        report.zombies.push_back({pid, leftover_names[pid]});
      } else {
        alive.push_back(pid);
      }
    }
    for (int waited_ms = 0; !alive.empty() && waited_ms < kLeftoverGraceMs; waited_ms += 5) {
      sleep_ms(5);
      for (auto it = alive.begin(); it != alive.end();) {
        char st = proc_state(*it);
        if (st == 'Z' || st == 0) {
          report.zombies.push_back({*it, leftover_names[*it]});
          it = alive.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (int pid : alive) {
      report.orphans.push_back({pid, leftover_names[pid]});
    }
  }
  report.stopped_on_request = stop;

  // The sweep: kill and reap until the kernel says the keeper has no child
  // left (ECHILD). /proc's children list is only a hint: it can miss
  // processes while others fork and exit, so it never decides when to stop.
  for (;;) {
    ::kill(-main_pid, SIGKILL);
    std::vector<int> kids = children_of_self();
    if (kids.empty()) {
      kids = children_by_scan();
    }
    for (int pid : kids) {
      ::kill(pid, SIGKILL);
    }
    bool reaped_any = false;
    bool no_children = false;
    for (;;) {
      int raw;
      struct rusage ru;
      pid_t got = ::wait4(-1, &raw, WNOHANG, &ru);
      if (got > 0) {
        reaped_any = true;
        if (got == main_pid) {
          report.status = WaitStatus::FromRaw(raw);
        }
        continue;
      }
      no_children = got == -1 && errno == ECHILD;
      break;
    }
    if (no_children) {
      break;
    }
    if (!reaped_any) {
      sleep_ms(1);
    }
  }
  if (!report.status && report.setup_errno == 0) {
    report.status = WaitStatus::Signaled(SIGKILL);  // reaped in an earlier round
  }

  struct rusage ru;
  ::getrusage(RUSAGE_CHILDREN, &ru);
  report.user_seconds = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
  report.system_seconds = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  report.max_rss_kib = ru.ru_maxrss;

  json ended = {{"event", "ended"},
                {"pid", report.main_pid},
                {"setup_errno", report.setup_errno},
                {"setup_step", report.setup_step},
                {"stopped_on_request", report.stopped_on_request},
                {"user_seconds", report.user_seconds},
                {"system_seconds", report.system_seconds},
                {"max_rss_kib", report.max_rss_kib}};
  if (report.status) {
    ended["status"] = {{"exited", report.status->exited()},
                       {"value", report.status->exited() ? report.status->exit_code()
                                                         : report.status->signal()}};
  }
  auto leftovers = [](const std::vector<LeftoverProcess>& v) {
    json a = json::array();
    for (const auto& p : v) {
      a.push_back({{"pid", p.pid}, {"command", p.command}});
    }
    return a;
  };
  ended["zombies"] = leftovers(report.zombies);
  ended["orphans"] = leftovers(report.orphans);
  if (full && epilogue != nullptr) {
    KeeperEpilogueContext ctx{report.main_pid, started_at,
                              static_cast<std::int64_t>(::time(nullptr))};
    try {
      ended["inside"] = epilogue(ctx);
    } catch (const std::exception& e) {
      emit({{"event", "error"}, {"message", std::string("keeper: epilogue: ") + e.what()}});
      return 70;
    }
  }
  emit(ended);
  return 0;
}

}  // namespace

Result<KeeperReport> parse_keeper_status(const std::string& bytes) {
  KeeperReport r;
  bool ended = false;
  std::istringstream in(bytes);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) {
      continue;
    }
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      return Status::Internal("keeper sent an unreadable status line: " + line.substr(0, 200));
    }
    std::string event = j.value("event", "");
    if (event == "error") {
      return Status::Internal(j.value("message", "keeper failed"));
    }
    if (event == "sandbox") {
      r.tier = j.value("tier", "reduced");
      r.init_pid = j.value("init_pid", 0);
    } else if (event == "started") {
      r.main_pid = j.value("pid", -1);
    } else if (event == "ended") {
      try {
        r.setup_errno = j.at("setup_errno").get<int>();
        r.setup_step = j.at("setup_step").get<std::string>();
        r.stopped_on_request = j.at("stopped_on_request").get<bool>();
        r.user_seconds = j.at("user_seconds").get<double>();
        r.system_seconds = j.at("system_seconds").get<double>();
        r.max_rss_kib = j.at("max_rss_kib").get<long>();
        if (j.contains("status")) {
          int value = j["status"].at("value").get<int>();
          r.status = j["status"].at("exited").get<bool>() ? WaitStatus::Exited(value)
                                                          : WaitStatus::Signaled(value);
        }
        if (j.contains("inside")) {
          r.inside = j["inside"];
        }
        for (const char* key : {"zombies", "orphans"}) {
          auto& dest = std::string(key) == "zombies" ? r.zombies : r.orphans;
          for (const auto& p : j.at(key)) {
            dest.push_back({p.at("pid").get<int>(), p.at("command").get<std::string>()});
          }
        }
      } catch (const std::exception& e) {
        return Status::Internal(std::string("keeper report is malformed: ") + e.what());
      }
      ended = true;
    }
  }
  if (!ended) {
    return Status::Internal("the keeper ended without a report (status: '" +
                            bytes.substr(0, 200) + "')");
  }
  return r;
}

}  // namespace ipcgrade
