// The fd-leak observation at exec (harness/shim/shim_observe_exec.c), and
// end to end through `ipcgrade grade`: the pipes reference keeps full marks
// and a variant that leaks pipe ends into its stages is told so at exec.
#include <catch2/catch.hpp>
#include <string>

#include "tests/harness/shim/observe_testutil.h"
#include "tests/support/cli.h"

using namespace ipcgrade;
using namespace ipcgrade::observe_testutil;

TEST_CASE("a pipe left open across exec is reported with its fd, target and the exec'd program",
          "[harness][shim][observe]") {
  ObservedRun r = run_observed("observe_exec", {"leak"});
  INFO(r.run.describe());
  REQUIRE(r.run.exited_ok());  // it became `true`
  REQUIRE(r.events.fd_leaks.size() == 2);
  for (const FdLeakEvent& e : r.events.fd_leaks) {
    CHECK((e.fd == 3 || e.fd == 4));
    CHECK_THAT(e.target, Catch::StartsWith("pipe:["));
    CHECK(e.exec == "true");
  }
}

TEST_CASE("descriptors that are close-on-exec or closed are not reported",
          "[harness][shim][observe]") {
  std::string mode = GENERATE("cloexec", "closed");
  CAPTURE(mode);
  ObservedRun r = run_observed("observe_exec", {mode});
  INFO(r.run.describe());
  REQUIRE(r.run.exited_ok());
  REQUIRE(r.events.fd_leaks.empty());
  REQUIRE(r.log.records.empty());
}

TEST_CASE("an exec that fails withdraws its fd-leak records: no program inherited anything",
          "[harness][shim][observe]") {
  ObservedRun r = run_observed("observe_exec", {"missing"});
  INFO(r.run.describe());
  REQUIRE(r.run.end == shim_testutil::CapturedRun::End::kExited);
  REQUIRE(r.run.exit_code == 127);
  REQUIRE(!r.log.records.empty());  // written, then withdrawn
  REQUIRE(r.events.fd_leaks.empty());
}

TEST_CASE("the pipes reference still gets full marks with every observation on",
          "[harness][shim][observe][e2e]") {
  testing::CliRun run = testing::run_ipcgrade({"grade", "--lab", "pipes", "labs/pipes/solution"});
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  REQUIRE_THAT(run.out, Catch::Contains("score       65/65"));
}

TEST_CASE("a pipeline that leaks read ends into its stages gets fd-leak at exec",
          "[harness][shim][observe][e2e]") {
  testing::CliRun run =
      testing::run_ipcgrade({"grade", "--lab", "pipes", "labs/pipes/buggy/pipeline-leaks-read-ends",
                             "--test", "pipeline-two-stages", "--format", "json"});
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 1);
  REQUIRE_THAT(run.out, Catch::Contains("\"kind\": \"fd-leak\""));
  REQUIRE_THAT(run.out, Catch::Contains("exec'd cat with fd 3 (pipe:["));
}
