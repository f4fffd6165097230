// Test support: runs the built `ipcgrade` binary as a user would, under the
// same sandbox the grader uses for students (so nothing it starts survives
// the test), and returns its exit code and output.
#pragma once

#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "harness/runner.h"

namespace ipcgrade::testing {

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline CliRun run_ipcgrade(const std::vector<std::string>& args, int wall_seconds = 600) {
  // Always the reduced tier: it contains the grader under test (nothing it
  // starts survives), while the grader must see the test's temporary labs
  // and databases and make its own sandboxes, as it does on a real machine.
  static Sandbox sandbox =
      Sandbox::probe(IPCGRADE_BINARY, SandboxOptions{IsolationChoice::kReduced, {}}).value();
  RunRequest r;
  r.argv = {IPCGRADE_BINARY};
  r.argv.insert(r.argv.end(), args.begin(), args.end());
  r.cwd = IPCGRADE_SOURCE_DIR;
  r.env = default_environment(IPCGRADE_SOURCE_DIR);
  r.limits.wall = std::chrono::seconds(wall_seconds);
  r.limits.cpu = std::chrono::seconds(wall_seconds);
  // No address-space limit on the grader itself: the limits it sets for
  // its runs must be reachable (a lab may ask for 8GiB, ThreadSanitizer
  // needs no limit at all), and a process cannot raise its hard limit.
  r.limits.memory_bytes = RLIM_INFINITY;
  r.limits.processes = 4096;
  r.limits.open_files = 4096;
  r.limits.file_size_bytes = 1ull << 30;
  Result<RunResult> res = run_sandboxed(sandbox, r);
  REQUIRE(res.ok());
  REQUIRE(res->ending == RunResult::Ending::kExited);
  REQUIRE(res->keeper.status.has_value());
  CliRun out;
  out.exit_code = res->keeper.status->shell_status();
  out.out = res->stdout_data;
  out.err = res->stderr_data;
  return out;
}

}  // namespace ipcgrade::testing
