#include "tests/harness/shim/shim_testutil.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "base/scoped_fd.h"

extern char** environ;

namespace ipcgrade::shim_testutil {
namespace {

struct Pipe {
  ScopedFd read_end;
  ScopedFd write_end;
};

Pipe make_pipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
  }
  return Pipe{ScopedFd(fds[0]), ScopedFd(fds[1])};
}

// Ignores SIGPIPE for its lifetime, so feeding a child that closed its
// stdin gives EPIPE instead of killing the test binary.
class SigpipeIgnored {
 public:
  SigpipeIgnored() {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ignore, &old_);
  }
  ~SigpipeIgnored() { sigaction(SIGPIPE, &old_, nullptr); }
  SigpipeIgnored(const SigpipeIgnored&) = delete;
  SigpipeIgnored& operator=(const SigpipeIgnored&) = delete;

 private:
  struct sigaction old_ {};
};

std::vector<std::string> child_environment(
    const std::map<std::string, std::string>& overrides) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    std::string key = entry.substr(0, entry.find('='));
    if (key == "LD_PRELOAD" || key == "IPCGRADE_FAULTS" ||
        overrides.count(key) != 0) {
      continue;
    }
    env.push_back(std::move(entry));
  }
  for (const auto& [key, value] : overrides) {
    env.push_back(key + "=" + value);
  }
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) {
    out.push_back(s.data());
  }
  out.push_back(nullptr);
  return out;
}

// Writes as much of data[*offset..] as the non-blocking fd takes now.
// Returns false once feeding is over (all written, or the reader is gone).
bool feed(int fd, const std::string& data, std::size_t* offset) {
  while (*offset < data.size()) {
    ssize_t n = ::write(fd, data.data() + *offset, data.size() - *offset);
    if (n > 0) {
      *offset += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      return true;
    } else {
      return false;  // EPIPE: the child closed its stdin
    }
  }
  return false;
}

// Reads what is there; returns false at end of file.
bool drain(int fd, std::string* into) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      into->append(buf, static_cast<std::size_t>(n));
      return true;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    return n < 0 && errno == EAGAIN;
  }
}

// The private directory of compiled fixtures, removed at exit.
class FixtureDir {
 public:
  FixtureDir() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "ipcgrade-shim-XXXXXX")
            .string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
    }
    path_ = tmpl;
  }
  ~FixtureDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  FixtureDir(const FixtureDir&) = delete;
  FixtureDir& operator=(const FixtureDir&) = delete;

  const std::string& path() const { return path_; }
  std::map<std::string, std::string>& built() { return built_; }

 private:
  std::string path_;
  std::map<std::string, std::string> built_;
};

}  // namespace

std::string CapturedRun::describe() const {
  std::ostringstream s;
  switch (end) {
    case End::kExited:
      s << "exited " << exit_code;
      break;
    case End::kSignaled:
      s << "killed by signal " << term_signal;
      break;
    case End::kTimedOut:
      s << "timed out";
      break;
    case End::kNotStarted:
      s << "not started";
      break;
  }
  s << "; " << out.size() << " bytes on stdout; stderr: " << err.substr(0, 300);
  return s.str();
}

CapturedRun run_captured(const RunRequest& request) {
  CapturedRun run;
  // Everything the child needs is built before fork.
  std::vector<std::string> argv_strings = request.argv;
  std::vector<std::string> env_strings = child_environment(request.env);
  std::vector<char*> argv = c_strings(argv_strings);
  std::vector<char*> envp = c_strings(env_strings);

  SigpipeIgnored sigpipe_ignored;
  Pipe in = make_pipe();
  Pipe out = make_pipe();
  Pipe err = make_pipe();
  Pipe exec_error = make_pipe();
  for (int fd : {in.write_end.get(), out.read_end.get(), err.read_end.get()}) {
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
  std::size_t fed = 0;
  bool feeding = feed(in.write_end.get(), request.stdin_data, &fed);
  if (!feeding) {
    in.write_end.reset();
  }

  pid_t pid = fork();
  if (pid < 0) {
    run.err = std::string("fork: ") + std::strerror(errno);
    return run;
  }
  if (pid == 0) {
    // Only async-signal-safe calls from here to exec.
    setpgid(0, 0);
    dup2(in.read_end.get(), 0);
    dup2(out.write_end.get(), 1);
    dup2(err.write_end.get(), 2);
    for (int fd = 3; fd < 1024; ++fd) {
      if (fd != exec_error.write_end.get()) {
        close(fd);
      }
    }
    signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execvpe(argv[0], argv.data(), envp.data());
    int e = errno;
    ssize_t ignored = write(exec_error.write_end.get(), &e, sizeof e);
    (void)ignored;
    _exit(127);
  }
  in.read_end.reset();
  out.write_end.reset();
  err.write_end.reset();
  exec_error.write_end.reset();
  int exec_errno = 0;
  ssize_t got;
  do {
    got = read(exec_error.read_end.get(), &exec_errno, sizeof exec_errno);
  } while (got < 0 && errno == EINTR);

  auto deadline = std::chrono::steady_clock::now() + request.timeout;
  bool out_open = true;
  bool err_open = true;
  bool timed_out = false;
  while (out_open || err_open) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      kill(-pid, SIGKILL);
      break;
    }
    struct pollfd fds[3] = {
        {feeding ? in.write_end.get() : -1, POLLOUT, 0},
        {out_open ? out.read_end.get() : -1, POLLIN, 0},
        {err_open ? err.read_end.get() : -1, POLLIN, 0},
    };
    int n = poll(fds, 3, static_cast<int>(left.count()));
    if (n < 0 && errno != EINTR) {
      break;
    }
    if (feeding && fds[0].revents != 0) {
      feeding = feed(in.write_end.get(), request.stdin_data, &fed);
      if (!feeding) {
        in.write_end.reset();  // end of file for the child
      }
    }
    if (out_open && fds[1].revents != 0) {
      out_open = drain(out.read_end.get(), &run.out);
    }
    if (err_open && fds[2].revents != 0) {
      err_open = drain(err.read_end.get(), &run.err);
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  kill(-pid, SIGKILL);  // anything of the group that outlived its leader

  if (got == static_cast<ssize_t>(sizeof exec_errno)) {
    run.end = CapturedRun::End::kNotStarted;
    run.err =
        "cannot run " + request.argv[0] + ": " + std::strerror(exec_errno);
  } else if (timed_out) {
    run.end = CapturedRun::End::kTimedOut;
  } else if (WIFEXITED(status)) {
    run.end = CapturedRun::End::kExited;
    run.exit_code = WEXITSTATUS(status);
  } else {
    run.end = CapturedRun::End::kSignaled;
    run.term_signal = WTERMSIG(status);
  }
  return run;
}

std::string shim_path() { return IPCGRADE_BUILD_DIR "/libipcgrade_shim.so"; }

std::map<std::string, std::string> shim_env(const std::string& faults) {
  return {{"LD_PRELOAD", shim_path()}, {"IPCGRADE_FAULTS", faults}};
}

std::map<std::string, std::string> student_env(const std::string& faults) {
  std::map<std::string, std::string> env = shim_env(faults);
  env["IPCGRADE_STUDENT_DIR"] =
      std::filesystem::path(fixture_path("eintr_probe")).parent_path().string();
  return env;
}

ShimLogFile::ShimLogFile() {
  std::string tmpl =
      (std::filesystem::temp_directory_path() / "ipcgrade-shimlog-XXXXXX").string();
  int fd = mkstemp(tmpl.data());
  if (fd < 0) {
    throw std::runtime_error(std::string("mkstemp: ") + std::strerror(errno));
  }
  close(fd);
  path_ = tmpl;
}

ShimLogFile::~ShimLogFile() { unlink(path_.c_str()); }

std::vector<std::string> ShimLogFile::records() const {
  std::ifstream in(path_);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
  }
  return lines;
}

std::string fixture_path(const std::string& name) {
  static FixtureDir dir;
  auto found = dir.built().find(name);
  if (found != dir.built().end()) {
    return found->second;
  }
  std::string source = name;
  std::vector<std::string> flags = {"-std=gnu11", "-O2", "-Wall", "-Wextra",
                                    "-pthread"};
  if (name == "pipe_reader_fortified") {
    source = "pipe_reader";
    flags.push_back("-D_FORTIFY_SOURCE=2");
  }
  std::string binary = dir.path() + "/" + name;
  RunRequest cc;
  cc.argv = {"cc"};
  cc.argv.insert(cc.argv.end(), flags.begin(), flags.end());
  cc.argv.insert(
      cc.argv.end(),
      {"-o", binary,
       IPCGRADE_SOURCE_DIR "/tests/harness/shim/fixtures/" + source + ".c"});
  CapturedRun built = run_captured(cc);
  if (!built.exited_ok()) {
    throw std::runtime_error("building fixture " + name +
                             " failed: " + built.describe() + "\n" + built.err);
  }
  dir.built()[name] = binary;
  return binary;
}

std::string pattern_bytes(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    s[i] = static_cast<char>(i % 251);
  }
  return s;
}

std::vector<long> parse_returned(const std::string& report) {
  std::istringstream in(report.substr(0, report.find('\n')));
  std::string word;
  std::vector<long> values;
  in >> word;
  if (word != "returned") {
    return values;
  }
  long v;
  while (in >> v) {
    values.push_back(v);
  }
  return values;
}

}  // namespace ipcgrade::shim_testutil
