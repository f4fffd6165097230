#include "harness/run_observer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace ipcgrade {
namespace fs = std::filesystem;

namespace {

std::vector<IpcLeak> leaks_from_json(const nlohmann::json& list) {
  std::vector<IpcLeak> leaks;
  if (!list.is_array()) {
    return leaks;
  }
  for (const nlohmann::json& j : list) {
    IpcLeak l;
    l.kind = j.value("kind", "");
    l.name = j.value("name", "");
    l.prog = j.value("prog", "");
    l.pid = j.value("pid", 0L);
    l.from_backstop = j.value("from_backstop", false);
    l.removed = j.value("removed", false);
    l.remove_error = j.value("remove_error", "");
    leaks.push_back(std::move(l));
  }
  return leaks;
}

}  // namespace

nlohmann::json sweep_ipc_inside_sandbox(const KeeperEpilogueContext& context) {
  ShimEvents events;
  if (const char* log = std::getenv("IPCGRADE_LOG"); log != nullptr && *log != '\0') {
    Result<ShimLog> read = read_shim_log(log);
    if (read.ok()) {
      events = classify_shim_events(read.value());
    }
  }
  IpcSnapshot after = take_ipc_snapshot();
  RunIdentity who;
  who.pids = events.pids;
  who.pids.insert(context.main_pid);
  // The namespace is the run's alone: every process that touched an object
  // in it was the run's, and so is every /dev/shm entry.
  for (const auto* table : {&after.shm, &after.msg}) {
    for (const auto& [id, o] : *table) {
      for (long pid : {o.cpid, o.lspid, o.lrpid}) {
        if (pid > 0) {
          who.pids.insert(pid);
        }
      }
    }
  }
  who.uid = ::geteuid();
  who.uid_exclusive = true;
  who.started = context.started;
  who.ended = context.ended;
  nlohmann::json leaks = nlohmann::json::array();
  for (const IpcLeak& l : sweep_ipc_leaks(events.ipc, IpcSnapshot(), after, who)) {
    leaks.push_back({{"kind", l.kind},
                     {"name", l.name},
                     {"prog", l.prog},
                     {"pid", l.pid},
                     {"from_backstop", l.from_backstop},
                     {"removed", l.removed},
                     {"remove_error", l.remove_error}});
  }
  return {{"ipc_leaks", leaks}};
}

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
  std::vector<IpcLeak> leaks;
  if (run.keeper.inside.is_object() && run.keeper.inside.contains("ipc_leaks")) {
    leaks = leaks_from_json(run.keeper.inside["ipc_leaks"]);  // swept inside the sandbox
  } else {
    IpcSnapshot after = take_ipc_snapshot();
    leaks = sweep_ipc_leaks(out.events.ipc, before_, after, who);
  }
  std::vector<Finding> ipc = ipc_leak_findings(leaks, context);
  out.findings.insert(out.findings.end(), ipc.begin(), ipc.end());
  return out;
}

}  // namespace ipcgrade
