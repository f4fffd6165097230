// RunObserver: the grader's side of one run's observations. Before the run
// it creates the empty log the shim appends to (IPCGRADE_LOG: the shim opens
// it O_APPEND|O_NOFOLLOW without O_CREAT, so it must exist) in a directory
// the grader owns, and snapshots the IPC tables; after the run it reads the
// log (capped: the student's program can write into it too), turns the
// events into findings (shim_events.h), and finds, reports and removes the
// IPC objects the run left behind (ipc_leak.h).
//
// In the full tier the run has its own IPC namespace and /dev/shm, which
// vanish with it: the host's tables would show nothing. So the same sweep
// (sweep_ipc_inside_sandbox) runs inside, as the inner keeper's epilogue
// (sandbox/keeper.h), after every process of the run is gone; finish() then
// takes the leaks from the keeper's report instead of sweeping the host.
//
// One RunObserver per run, used by one thread. The log file is removed when
// the observer goes away.
#pragma once

#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "base/status.h"
#include "harness/finding.h"
#include "harness/ipc_leak.h"
#include "harness/runner.h"
#include "harness/shim_events.h"
#include "sandbox/keeper.h"

namespace ipcgrade {

class RunObserver {
 public:
  // Creates `dir`/`name`.log (fails if it exists: names are unique per run).
  static Result<RunObserver> start(const std::filesystem::path& dir, const std::string& name);
  RunObserver(RunObserver&& other) noexcept;
  RunObserver& operator=(RunObserver&&) = delete;
  RunObserver(const RunObserver&) = delete;
  ~RunObserver();

  // "IPCGRADE_LOG=<path>", for the run's environment.
  std::string log_environment() const;

  // After the run: the observation findings (signal-unsafe, race for
  // not-pshared, fd-leak, ipc-leak) and the typed events (for EINTR
  // evidence). An internal error only if the log vanished.
  struct Outcome {
    std::vector<Finding> findings;
    ShimEvents events;
  };
  Result<Outcome> finish(const RunResult& run, const ObservationContext& context);

 private:
  RunObserver(std::filesystem::path log, IpcSnapshot before, std::int64_t started)
      : log_(std::move(log)), before_(std::move(before)), started_(started) {}

  std::filesystem::path log_;
  IpcSnapshot before_;
  std::int64_t started_ = 0;
};

// The keeper epilogue of the full tier (see above): reads the run's shim log
// (IPCGRADE_LOG of the keeper's environment, when set) and sweeps the
// sandbox's own IPC namespace and /dev/shm, where everything is the run's.
// Returns {"ipc_leaks": [...]}, what finish() reads back.
nlohmann::json sweep_ipc_inside_sandbox(const KeeperEpilogueContext& context);

}  // namespace ipcgrade
