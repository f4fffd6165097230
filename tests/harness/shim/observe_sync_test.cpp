// The not-pshared observation (harness/shim/shim_observe_sync.c): a mutex,
// condition variable or semaphore initialised without process sharing in
// memory that is shared with another process is reported; a process-shared
// one, or one in memory no other process shares, is not.
#include <catch2/catch.hpp>
#include <string>
#include <tuple>

#include "tests/harness/shim/observe_testutil.h"

using namespace ipcgrade;
using namespace ipcgrade::observe_testutil;

TEST_CASE("a private sync object in memory shared with a forked child is reported, and only then",
          "[harness][shim][observe]") {
  auto [kind, sharing, what, reported] = GENERATE(table<std::string, std::string, std::string, bool>({
      {"mutex", "shared-private", "mutex", true},
      {"mutex", "shared-pshared", "mutex", false},
      {"mutex", "private-private", "mutex", false},
      {"mutex", "shared-nofork", "mutex", false},
      {"cond", "shared-private", "cond", true},
      {"cond", "shared-pshared", "cond", false},
      {"sem", "shared-private", "semaphore", true},
      {"sem", "shared-pshared", "semaphore", false},
      {"sem", "private-private", "semaphore", false},
  }));
  CAPTURE(kind, sharing);
  ObservedRun r = run_observed("observe_sync", {kind, sharing});
  INFO(r.run.describe());
  REQUIRE(r.run.exited_ok());
  REQUIRE(r.run.out == "ok\n");
  if (reported) {
    REQUIRE(r.events.not_pshared.size() == 1);
    CHECK(r.events.not_pshared[0].what == what);
    CHECK(r.events.not_pshared[0].map == "anonymous");
    CHECK(r.events.not_pshared[0].addr != 0);
  } else {
    REQUIRE(r.events.not_pshared.empty());
  }
}

TEST_CASE("a not-pshared event becomes a race finding that says what to change",
          "[harness][shim][observe]") {
  ObservedRun r = run_observed("observe_sync", {"mutex", "shared-private"});
  REQUIRE(r.events.not_pshared.size() == 1);
  ObservationContext ctx;
  ctx.test = "t";
  ctx.program = "observe_sync";
  ctx.build_dir = std::filesystem::path(shim_testutil::fixture_path("observe_sync")).parent_path();
  std::vector<Finding> f = observation_findings(r.events, ctx);
  REQUIRE(f.size() == 1);
  CHECK(f[0].kind == FindingKind::kRace);
  CHECK(f[0].program == "observe_sync");
  REQUIRE_THAT(f[0].message, Catch::Contains("PTHREAD_PROCESS_SHARED"));
  REQUIRE_THAT(f[0].message, Catch::Contains("private futexes"));
  REQUIRE_THAT(f[0].evidence, Catch::Contains("anonymous MAP_SHARED mapping"));
}
