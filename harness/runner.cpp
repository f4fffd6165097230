// See runner.h for the theory of operation.
#include "harness/runner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <boost/asio.hpp>
#include <boost/process/v2/process.hpp>
#include <boost/process/v2/stdio.hpp>
#include <chrono>
#include <functional>
#include <mutex>
#include <sstream>

#include "base/scoped_fd.h"

namespace ipcgrade {
namespace {

namespace asio = boost::asio;
namespace bp = boost::process::v2;
using Clock = std::chrono::steady_clock;

// A keeper that does not finish its sweep this long after being asked is
// broken; it is SIGKILLed and the run is an internal error.
constexpr std::chrono::seconds kKeeperGrace{5};
constexpr int kStatusFd = 3;
// How often the hang oracle looks at the run: a verdict comes
// HangOracle::kStableSamples samples after a hang forms.
constexpr std::chrono::milliseconds kHangSampleInterval{100};
// How often a stdin pause looks for the run waiting for input.
constexpr std::chrono::milliseconds kBusyWaitProbeInterval{20};

// Hands the status pipe's write end to the keeper as fd 3. Runs after
// process_stdio has set up 0-2 (initialisers run in the order given).
struct StatusFdBinding {
  int fd;
  int keeper_binary_fd;  // executed as /proc/self/fd/N: must survive until execve
  bp::error_code on_setup(bp::posix::default_launcher& launcher, const bp::filesystem::path&,
                          const char* const*) {
    launcher.fd_whitelist.push_back(kStatusFd);
    if (keeper_binary_fd >= 0) {
      launcher.fd_whitelist.push_back(keeper_binary_fd);
    }
    return {};
  }
  bp::error_code on_exec_setup(bp::posix::default_launcher&, const bp::filesystem::path&,
                               const char* const*) {
    if (::dup2(fd, kStatusFd) == -1) {
      return bp::error_code(errno, bp::system_category());
    }
    return {};
  }
};

// The grader must never be killed by a reader closing a pipe, and its own
// 0-2 must be open so no pipe we create lands on them.
void prepare_grader_process() {
  static std::once_flag once;
  std::call_once(once, [] {
    ::signal(SIGPIPE, SIG_IGN);
    for (int fd = 0; fd <= 2; ++fd) {
      if (::fcntl(fd, F_GETFD) == -1) {
        ::open("/dev/null", O_RDWR);
      }
    }
  });
}

// A pipe end moved above the standard and status descriptors.
int raise_fd(int fd) {
  if (fd > kStatusFd) {
    return fd;
  }
  int high = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
  ::close(fd);
  return high;
}

std::uint64_t inode_of(int fd) {
  struct stat st;
  return ::fstat(fd, &st) == 0 ? static_cast<std::uint64_t>(st.st_ino) : 0;
}

// The value of NAME in an environment of "NAME=value" strings, or "".
std::string env_value(const std::vector<std::string>& env, const std::string& name) {
  for (const std::string& e : env) {
    if (e.size() > name.size() && e.compare(0, name.size(), name) == 0 && e[name.size()] == '=') {
      return e.substr(name.size() + 1);
    }
  }
  return "";
}

// The full tier's file system for one run (sandbox/namespaces.h): the run's
// folder is writable, and so is what the grader's own tools are told, through
// the environment, to write (the shim's log, IPCGRADE_LOG; ThreadSanitizer's
// log_path folder); the preloaded libraries (the shim) are readable. Nothing
// else of the grader's is there. The reduced tier ignores these lists.
void add_sandbox_paths(const RunRequest& request, KeeperRequest* k) {
  namespace fs = std::filesystem;
  k->writable.push_back(request.cwd);
  if (std::string log = env_value(request.env, "IPCGRADE_LOG"); !log.empty()) {
    k->writable.push_back(log);
  }
  std::istringstream tsan(env_value(request.env, "TSAN_OPTIONS"));
  std::string option;
  while (tsan >> option) {
    if (option.rfind("log_path=", 0) == 0 && option.size() > 9) {
      k->writable.push_back(fs::path(option.substr(9)).parent_path());
    }
  }
  std::string preload = env_value(request.env, "LD_PRELOAD");
  std::replace(preload.begin(), preload.end(), ':', ' ');
  std::istringstream libs(preload);
  std::string lib;
  std::error_code ec;
  while (libs >> lib) {
    if (lib[0] == '/' && fs::exists(lib, ec)) {
      k->readable.push_back(lib);
    }
  }
}

// The full tier's outer keeper names the run's init (the inner keeper) in
// its first status line; 0 until that line has arrived.
pid_t sandbox_init_pid(const std::string& status_bytes) {
  std::size_t at = status_bytes.find("\"init_pid\":");
  if (at == std::string::npos) {
    return 0;
  }
  return static_cast<pid_t>(std::atol(status_bytes.c_str() + at + 11));
}

}  // namespace

std::vector<std::string> default_environment(const std::filesystem::path& home) {
  return {"PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C", "LANG=C", "HOME=" + home.string()};
}

Result<RunResult> run_sandboxed(const Sandbox& sandbox, const RunRequest& request) {
  prepare_grader_process();
  RunResult result;
  asio::io_context ctx;
  asio::writable_pipe in(ctx);
  asio::readable_pipe out(ctx);
  asio::readable_pipe err(ctx);
  asio::readable_pipe status(ctx);

  int sp[2];
  if (::pipe2(sp, O_CLOEXEC) == -1) {
    return Status::FromErrno("runner: status pipe", errno);
  }
  ScopedFd status_write(raise_fd(sp[1]));
  int status_read = raise_fd(sp[0]);
  bp::error_code ec;
  status.assign(status_read, ec);
  if (ec) {
    ::close(status_read);
    return Status::Internal("runner: status pipe: " + ec.message());
  }

  KeeperRequest keeper_request;
  keeper_request.argv = request.argv;
  keeper_request.cwd = request.cwd;
  keeper_request.limits = request.limits;
  add_sandbox_paths(request, &keeper_request);
  const bool full_tier = sandbox.tier() == "full";
  std::vector<std::string> args = sandbox.arguments(keeper_request);
  Clock::time_point start = Clock::now();
  // The whole environment is the request's: nothing of the grader's leaks in.
  // (launcher.env rather than process_environment, whose implementation
  // Boost 1.81 leaves out of header-only builds.)
  std::vector<const char*> envp;
  for (const std::string& e : request.env) {
    envp.push_back(e.c_str());
  }
  envp.push_back(nullptr);
  bp::posix::default_launcher launcher;
  launcher.env = envp.data();
  auto proc = launcher(ctx.get_executor(), ec, sandbox.executable().string(), args,
                       bp::process_stdio{in, out, err}, StatusFdBinding{status_write.get(), sandbox.keeper_fd()});
  if (ec) {
    return Status::Internal("runner: cannot start the keeper " + sandbox.executable().string() +
                            ": " + ec.message());
  }
  status_write.reset();
  const pid_t keeper_pid = proc.id();

  bool keeper_done = false;
  bool stopping = false;
  bool keeper_killed = false;
  asio::steady_timer wall_timer(ctx);
  asio::steady_timer grace_timer(ctx);
  asio::steady_timer pause_timer(ctx);
  asio::steady_timer sample_timer(ctx);

  auto stop = [&](RunResult::Ending why) {
    if (stopping || keeper_done) {
      return;
    }
    stopping = true;
    result.ending = why;
    ::kill(keeper_pid, SIGTERM);
    grace_timer.expires_after(kKeeperGrace);
    grace_timer.async_wait([&](const bp::error_code& e) {
      if (!e && !keeper_done) {
        keeper_killed = true;
        ::kill(keeper_pid, SIGKILL);
      }
    });
  };

  // Busy-wait windows: during each stdin pause, once the run is seen
  // waiting for input (harness/busy_wait_meter.h).
  std::optional<BusyWaitMeter> meter;
  asio::steady_timer probe_timer(ctx);
  Clock::time_point pause_until{};
  std::function<void()> probe_later = [&] {
    probe_timer.expires_after(kBusyWaitProbeInterval);
    probe_timer.async_wait([&](const bp::error_code& e) {
      if (e || keeper_done || stopping || !meter || !in.is_open() ||
          Clock::now() + kBusyWaitProbeInterval >= pause_until) {
        return;
      }
      if (Clock::now() < pause_until - 3 * request.stdin_pause / 4 || !meter->try_open()) {
        probe_later();
      }
    });
  };

  // stdin
  const std::string& data = request.stdin_data;
  std::function<void()> feed = [&] {
    if (result.stdin_written >= data.size()) {
      in.close();
      return;
    }
    std::size_t n = data.size() - result.stdin_written;
    if (request.stdin_chunk > 0 && n > request.stdin_chunk) {
      n = request.stdin_chunk;
    }
    asio::async_write(in, asio::buffer(data.data() + result.stdin_written, n),
                      [&](const bp::error_code& e, std::size_t written) {
                        result.stdin_written += written;
                        if (e) {
                          result.stdin_closed_early = e == asio::error::broken_pipe;
                          in.close();
                          return;
                        }
                        if (request.stdin_pause.count() > 0 && request.stdin_chunk > 0 &&
                            result.stdin_written < data.size()) {
                          pause_until = Clock::now() + request.stdin_pause;
                          pause_timer.expires_after(request.stdin_pause);
                          pause_timer.async_wait([&](const bp::error_code& pe) {
                            probe_timer.cancel();
                            if (meter) {
                              meter->close();
                            }
                            if (!pe && in.is_open()) {
                              feed();
                            }
                          });
                          probe_later();
                          return;
                        }
                        feed();
                      });
  };
  // The oracle must know the grader's ends of the stdio pipes before the
  // feeder may close stdin.
  GraderPipes grader_pipes{inode_of(in.native_handle()), inode_of(out.native_handle()),
                           inode_of(err.native_handle())};
  if (request.stdin_pause.count() > 0 && request.stdin_chunk > 0) {
    meter.emplace(keeper_pid, in.native_handle());
  }
  feed();

  // stdout, stderr, status
  struct Capture {
    asio::readable_pipe* pipe;
    std::string* data;
    bool* truncated;
    std::uint64_t cap;
    std::array<char, 65536> buf;
  };
  Capture captures[] = {
      {&out, &result.stdout_data, &result.stdout_truncated, request.limits.output_bytes, {}},
      {&err, &result.stderr_data, &result.stderr_truncated, request.limits.output_bytes, {}},
  };
  std::uint64_t output_received = 0;
  std::function<void(Capture&)> read_more = [&](Capture& c) {
    c.pipe->async_read_some(asio::buffer(c.buf), [&](const bp::error_code& e, std::size_t n) {
      output_received += n;
      if (n > 0) {
        std::uint64_t room = c.cap > c.data->size() ? c.cap - c.data->size() : 0;
        c.data->append(c.buf.data(), std::min<std::uint64_t>(n, room));
        if (n > room) {
          *c.truncated = true;
          stop(RunResult::Ending::kOutputLimit);
        }
      }
      if (!e) {
        read_more(c);
      }
    });
  };
  for (Capture& c : captures) {
    read_more(c);
  }
  std::string status_bytes;
  std::array<char, 4096> status_buf;
  std::function<void()> read_status = [&] {
    status.async_read_some(asio::buffer(status_buf), [&](const bp::error_code& e, std::size_t n) {
      status_bytes.append(status_buf.data(), n);
      if (!e) {
        read_status();
      }
    });
  };
  read_status();

  wall_timer.expires_after(request.limits.wall);
  wall_timer.async_wait([&](const bp::error_code& e) {
    if (!e) {
      stop(RunResult::Ending::kTimedOut);
    }
  });

  // The hang oracle, from the first interval on (the keeper has started
  // main by then, or the sample finds no task and waits for the next). In
  // the full tier its root is the inner keeper (pid 1 of the run), known
  // once the outer keeper's first line has arrived: the run's tasks are
  // that keeper's descendants, never the keepers themselves.
  std::optional<HangOracle> oracle;
  if (request.detect_hangs && !full_tier) {
    oracle.emplace(keeper_pid, grader_pipes);
  }
  std::function<void()> sample_later = [&] {
    sample_timer.expires_after(kHangSampleInterval);
    sample_timer.async_wait([&](const bp::error_code& e) {
      if (e || keeper_done || stopping) {
        return;
      }
      if (!oracle) {
        pid_t init = sandbox_init_pid(status_bytes);
        if (init <= 0) {
          sample_later();
          return;
        }
        oracle.emplace(init, grader_pipes);
      }
      std::optional<HangDiagnosis> hang =
          oracle->sample(result.stdin_written, output_received, in.is_open());
      if (hang) {
        result.hang = std::move(hang);
        stop(RunResult::Ending::kHang);
        return;
      }
      sample_later();
    });
  };
  if (request.detect_hangs) {
    sample_later();
  }

  int keeper_exit = -1;
  proc.async_wait([&](const bp::error_code& e, int code) {
    keeper_done = true;
    keeper_exit = e ? -1 : code;
    result.wall_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    wall_timer.cancel();
    grace_timer.cancel();
    pause_timer.cancel();
    probe_timer.cancel();
    sample_timer.cancel();
    // Everything of the run is gone now: nothing more can be read from or
    // written to it beyond what the pipes still buffer.
    if (in.is_open()) {
      in.close();
    }
  });

  ctx.run();

  if (keeper_killed) {
    return Status::Internal("runner: the keeper did not end the run within " +
                            std::to_string(kKeeperGrace.count()) + " s of being asked");
  }
  Result<KeeperReport> report = parse_keeper_status(status_bytes);
  if (!report.ok()) {
    return report.status().WithContext("runner: keeper exited with " +
                                       std::to_string(keeper_exit));
  }
  result.keeper = std::move(report.value());
  if (meter && meter->measure().windows > 0) {
    result.busy_wait = meter->measure();
  }
  return result;
}

}  // namespace ipcgrade
