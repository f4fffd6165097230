#include "harness/run_observer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ipcgrade {
namespace fs = std::filesystem;

Result<RunObserver> RunObserver::start(const fs::path& dir, const std::string& name) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return Status::Internal("cannot create the shim log folder " + dir.string() + ": " +
                            ec.message());
  }
  fs::path log = dir / (name + ".log");
  int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return Status::Internal("cannot create the shim log " + log.string() + ": " +
                            std::strerror(errno));
  }
  ::close(fd);
  IpcSnapshot before = take_ipc_snapshot();
  return RunObserver(log, std::move(before), static_cast<std::int64_t>(::time(nullptr)));
}

RunObserver::RunObserver(RunObserver&& other) noexcept
    : log_(std::move(other.log_)), before_(std::move(other.before_)), started_(other.started_) {
  other.log_.clear();
}

RunObserver::~RunObserver() {
  if (!log_.empty()) {
    std::error_code ignored;
    fs::remove(log_, ignored);
  }
}

std::string RunObserver::log_environment() const { return "IPCGRADE_LOG=" + log_.string(); }

Result<RunObserver::Outcome> RunObserver::finish(const RunResult& run,
                                                 const ObservationContext& context) {
  Result<ShimLog> log = read_shim_log(log_);
  if (!log.ok()) {
    return log.status();
  }
  Outcome out;
  out.events = classify_shim_events(log.value());
  out.findings = observation_findings(out.events, context);

  RunIdentity who;
  who.pids = out.events.pids;
  if (run.keeper.main_pid > 0) {
    who.pids.insert(run.keeper.main_pid);
  }
  who.uid = ::geteuid();
  who.uid_exclusive = false;  // the reduced tier runs every run as the grader's uid
  who.started = started_;
  who.ended = static_cast<std::int64_t>(::time(nullptr));
  IpcSnapshot after = take_ipc_snapshot();
  std::vector<IpcLeak> leaks = sweep_ipc_leaks(out.events.ipc, before_, after, who);
  std::vector<Finding> ipc = ipc_leak_findings(leaks, context);
  out.findings.insert(out.findings.end(), ipc.begin(), ipc.end());
  return out;
}

}  // namespace ipcgrade
