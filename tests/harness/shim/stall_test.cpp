// The stall fault of the preload shim: one long seeded pause per thread at
// a wake-up call, during which the stalling thread measures whether the
// tasks it would wake stay runnable (busy-wait). Checked with counts over
// seeded runs of fixtures/stall_waiter.c, never with timings.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/harness/shim/shim_testutil.h"

using namespace ipcgrade::shim_testutil;

namespace {

// The ev=busy-wait records of one run of stall_waiter MODE with `faults`.
std::vector<std::string> busy_records(const std::string& mode, const std::string& faults) {
  ShimLogFile log;
  auto env = student_env(faults);
  env["IPCGRADE_LOG"] = log.path();
  RunRequest request;
  request.argv = {fixture_path("stall_waiter"), mode, "100"};
  request.env = env;
  request.timeout = std::chrono::seconds(30);
  CapturedRun run = run_captured(request);
  INFO(run.describe());
  REQUIRE(run.exited_ok());
  std::vector<std::string> out;
  for (const std::string& rec : log.records()) {
    if (rec.rfind("ev=busy-wait ", 0) == 0) {
      out.push_back(rec);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("a waiter that sleeps through a stall is never called busy", "[shim][stall]") {
  for (int seed = 1; seed <= 5; ++seed) {
    INFO("seed " << seed);
    CHECK(busy_records("sleep", "stall,seed=" + std::to_string(seed)).empty());
  }
}

TEST_CASE("a waiter that polls through a stall is reported with its runnable time",
          "[shim][stall]") {
  int caught = 0;
  for (int seed = 1; seed <= 3; ++seed) {
    std::vector<std::string> recs = busy_records("spin", "stall,seed=" + std::to_string(seed));
    if (!recs.empty()) {
      ++caught;
      CHECK(recs.front().find(" call=pthread_mutex_unlock ") != std::string::npos);
      CHECK(recs.front().find(" runnable_us=") != std::string::npos);
    }
  }
  // The consumer polls through every pause of the producer; it can only be
  // missed when both threads' pauses overlap.
  CHECK(caught >= 2);
}

TEST_CASE("without the stall fault the shim never pauses nor reports busy-waiting",
          "[shim][stall]") {
  CHECK(busy_records("spin", "seed=1").empty());
}
