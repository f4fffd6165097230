// End-to-end tests of `ipcgrade doctor`: the real binary, with the probe's
// test seam (IPCGRADE_PROBE_DISABLE) standing for a machine that lacks a
// feature.
#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <string>

#include "harness/runner.h"
#include "sandbox/sandbox.h"
#include "tests/harness/temp_dir.h"

using namespace ipcgrade;
using Catch::Matchers::Contains;

namespace {

RunResult doctor(const std::string& disabled) {
  static Sandbox sandbox =
      Sandbox::probe(IPCGRADE_BINARY, SandboxOptions{IsolationChoice::kReduced, {}}).value();
  RunRequest r;
  r.argv = {IPCGRADE_BINARY, "doctor"};
  r.cwd = IPCGRADE_SOURCE_DIR;
  r.env = default_environment(IPCGRADE_SOURCE_DIR);
  if (!disabled.empty()) {
    r.env.push_back("IPCGRADE_PROBE_DISABLE=" + disabled);
  }
  r.limits.wall = std::chrono::seconds(60);
  r.limits.memory_bytes = RLIM_INFINITY;
  Result<RunResult> res = run_sandboxed(sandbox, r);
  REQUIRE(res.ok());
  REQUIRE(res->keeper.status.has_value());
  return res.value();
}

}  // namespace

TEST_CASE("doctor names a missing feature, says how to get it, and exits 1", "[grader][doctor]") {
  RunResult r = doctor("user-namespace");
  CHECK(r.keeper.status->shell_status() == 1);
  CHECK_THAT(r.stdout_data, Contains("isolation tier on this machine: reduced"));
  CHECK_THAT(r.stdout_data, Contains("MISSING  user-namespace"));
  CHECK_THAT(r.stdout_data, Contains("disabled by IPCGRADE_PROBE_DISABLE"));
  CHECK_THAT(r.stdout_data, Contains("kernel.apparmor_restrict_unprivileged_userns=0"));
  CHECK_THAT(r.stdout_data, Contains("kernel.unprivileged_userns_clone=1"));
}

TEST_CASE("doctor exits 0 when the machine gives the full tier", "[grader][doctor]") {
  RunResult r = doctor("");
  CHECK(r.keeper.status->shell_status() == 0);
  CHECK_THAT(r.stdout_data, Contains("isolation tier on this machine: full"));
  CHECK_THAT(r.stdout_data, Contains("ok       seccomp"));
  // Without cgroup v2 the tier is still full, and doctor says how to get it.
  if (r.stdout_data.find("MISSING  cgroup-v2") != std::string::npos) {
    CHECK_THAT(r.stdout_data, Contains("Delegate=yes"));
  }
}
