// Runner: runs one command of a test under the sandbox and observes it.
//
// Theory of operation
// -------------------
// One run is one Asio event loop on the calling thread, driving:
//   - the keeper process (sandbox/keeper.h), started with Boost.Process v2;
//     it starts the student's program and reports how it ended on the
//     status pipe (fd 3 in the keeper, never seen by the student);
//   - the stdin feeder: writes the test's input asynchronously, in chunks if
//     asked, so a program that never reads cannot block the grader; stops
//     quietly at EPIPE (the program closed its stdin);
//   - two capped readers for stdout and stderr: bytes beyond the cap are not
//     kept, and the run is ended (an output flood is a resource-limit);
//   - the hang oracle (harness/hang_oracle.h), every 100 ms: it reads the
//     run's tasks in /proc and, once every one of them has been blocked in
//     a wait only the run could end, with nothing moving, for about 0.3 s,
//     gives a diagnosis (eof-hang or deadlock); the runner then ends the
//     run as for a timeout. It is told the grader's side of the story: the
//     inodes of the stdio pipes, the bytes moved, and whether stdin is
//     still being written (a reader waiting for the grader is not hung);
//   - the wall-clock timer: at the limit the runner asks the keeper to end
//     the run (SIGTERM); the keeper kills and reaps everything and still
//     reports. A keeper that does not answer within a few seconds is
//     SIGKILLed (a grader failure, reported as an internal error).
// The run is over when the keeper has exited and every pipe reached EOF.
//
// Errors: a Status is returned only when the grader failed (the keeper could
// not start or broke its protocol). Everything the student's program did is
// in the RunResult.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "harness/busy_wait_meter.h"
#include "harness/hang_oracle.h"
#include "sandbox/keeper.h"
#include "sandbox/limits.h"
#include "sandbox/sandbox.h"

namespace ipcgrade {

struct RunRequest {
  std::vector<std::string> argv;  // argv[0] is executed from cwd ("./relay")
  std::filesystem::path cwd;
  std::vector<std::string> env;   // "NAME=value", the whole environment
  std::string stdin_data;
  std::uint64_t stdin_chunk = 0;  // 0: write as much as the pipe takes
  // A pause after each chunk (with stdin_chunk > 0): input that arrives
  // slowly, as from a person typing.
  std::chrono::milliseconds stdin_pause{0};
  Limits limits;
  bool detect_hangs = true;  // run the hang oracle (off: only the wall clock ends a hang)
};

struct RunResult {
  enum class Ending {
    kExited,       // main ended by itself
    kTimedOut,     // the wall-clock limit ended it
    kOutputLimit,  // stdout or stderr passed the output cap
    kHang,         // the hang oracle found it blocked for good; see `hang`
  };
  Ending ending = Ending::kExited;
  KeeperReport keeper;
  std::string stdout_data;
  std::string stderr_data;
  bool stdout_truncated = false;
  bool stderr_truncated = false;
  std::uint64_t stdin_written = 0;
  bool stdin_closed_early = false;  // the program stopped reading (EPIPE)
  double wall_seconds = 0;
  std::optional<HangDiagnosis> hang;  // with Ending::kHang
  // CPU burnt while the program waited for input (stdin pauses); nullopt
  // when no pause saw the run waiting.
  std::optional<BusyWaitMeasure> busy_wait;
};

// The environment every student program gets: PATH, LC_ALL=C, HOME=cwd.
std::vector<std::string> default_environment(const std::filesystem::path& home);

Result<RunResult> run_sandboxed(const Sandbox& sandbox, const RunRequest& request);

}  // namespace ipcgrade
