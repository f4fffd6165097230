#include "harness/run_judge.h"

#include <signal.h>

#include <catch2/catch.hpp>

using namespace ipcgrade;
using Catch::Matchers::Contains;

namespace {

TestSpec relay_test() {
  TestSpec t;
  t.name = "relay-head-epipe";
  t.program = "relay";
  t.expect.exit_status = 0;
  t.expect.stdout_expect.kind = OutputExpect::Kind::kText;
  t.expect.stdout_expect.value = "0123456789";
  return t;
}

RunResult exited(int code, std::string out) {
  RunResult r;
  r.keeper.status = WaitStatus::Exited(code);
  r.stdout_data = std::move(out);
  return r;
}

std::vector<Finding> judge(const TestSpec& t, const RunResult& r, const std::string& in = "") {
  return judge_run(JudgeInput{t, in, r, nullptr, nullptr, "repro-cmd"});
}

}  // namespace

TEST_CASE("a run that did everything right has no finding", "[harness][judge]") {
  CHECK(judge(relay_test(), exited(0, "0123456789")).empty());
}

TEST_CASE("death by SIGPIPE is a sigpipe finding, not a crash or wrong output",
          "[harness][judge]") {
  RunResult r;
  r.keeper.status = WaitStatus::Signaled(SIGPIPE);
  auto f = judge(relay_test(), r);
  REQUIRE(f.size() == 1);
  CHECK(f[0].kind == FindingKind::kSigpipe);
  CHECK(f[0].repro == "repro-cmd");
  CHECK_THAT(f[0].evidence, Contains("141"));
}

TEST_CASE("a segmentation fault is a crash", "[harness][judge]") {
  RunResult r;
  r.keeper.status = WaitStatus::Signaled(SIGSEGV);
  auto f = judge(relay_test(), r);
  REQUIRE(f.size() == 1);
  CHECK(f[0].kind == FindingKind::kCrash);
  CHECK_THAT(f[0].message, Contains("SIGSEGV"));
}

TEST_CASE("a killed child whose status the test expects is not a crash", "[harness][judge]") {
  TestSpec t = relay_test();
  t.expect.exit_status = 143;
  t.expect.stdout_expect.kind = OutputExpect::Kind::kAny;
  RunResult r;
  r.keeper.status = WaitStatus::Signaled(SIGTERM);
  CHECK(judge(t, r).empty());
}

TEST_CASE("a wrong exit status and wrong stdout are each reported", "[harness][judge]") {
  auto f = judge(relay_test(), exited(1, "0123"));
  REQUIRE(f.size() == 2);
  CHECK(f[0].kind == FindingKind::kWrongOutput);
  CHECK_THAT(f[0].message, Contains("exit with status 0"));
  CHECK(f[1].kind == FindingKind::kWrongOutput);
  CHECK_THAT(f[1].evidence, Contains("ends early"));
}

TEST_CASE("a mismatch carries the test's own finding kind", "[harness][judge]") {
  TestSpec t = relay_test();
  t.expect.stdout_expect.kind = OutputExpect::Kind::kStdin;
  t.expect.stdout_expect.finding = FindingKind::kShortIo;
  auto f = judge(t, exited(0, "abcXef"), "abcdef");
  REQUIRE(f.size() == 1);
  CHECK(f[0].kind == FindingKind::kShortIo);
  CHECK_THAT(f[0].evidence, Contains("first difference at byte 3"));
}

TEST_CASE("stderr must hold the required line exactly as often as asked", "[harness][judge]") {
  TestSpec t = relay_test();
  t.expect.stderr_expect.kind = OutputExpect::Kind::kContains;
  t.expect.stderr_expect.value = "Broken pipe";
  t.expect.stderr_expect.times = 1;
  t.expect.stderr_expect.finding = FindingKind::kSigpipe;
  RunResult once = exited(0, "0123456789");
  once.stderr_data = "relay: write: Broken pipe\n";
  CHECK(judge(t, once).empty());
  RunResult twice = once;
  twice.stderr_data += "relay: write: Broken pipe\n";
  auto f = judge(t, twice);
  REQUIRE(f.size() == 1);
  CHECK(f[0].kind == FindingKind::kSigpipe);
}

TEST_CASE("a timeout is reported alone, with the time used", "[harness][judge]") {
  RunResult r;
  r.ending = RunResult::Ending::kTimedOut;
  r.keeper.status = WaitStatus::Signaled(SIGKILL);
  r.wall_seconds = 10.01;
  auto f = judge(relay_test(), r);
  REQUIRE(f.size() == 1);
  CHECK(f[0].kind == FindingKind::kTimeout);
  CHECK_THAT(f[0].evidence, Contains("wall 10.01 s"));
}

TEST_CASE("children left behind are zombie and orphan findings", "[harness][judge]") {
  RunResult r = exited(0, "0123456789");
  r.keeper.zombies = {{101, "[cat]"}};
  r.keeper.orphans = {{102, "sleep 100"}};
  auto f = judge(relay_test(), r);
  REQUIRE(f.size() == 2);
  CHECK(f[0].kind == FindingKind::kZombie);
  CHECK_THAT(f[0].evidence, Contains("101"));
  CHECK(f[1].kind == FindingKind::kOrphan);
  CHECK_THAT(f[1].evidence, Contains("sleep 100"));
}

TEST_CASE("excerpts escape control bytes so they cannot reach a terminal", "[harness][judge]") {
  CHECK(printable_excerpt("a\x1b[31mb\n") == "a\\x1b[31mb\\n");
}

TEST_CASE("a task that burns CPU while the program waits for input is a busy-wait",
          "[harness][judge]") {
  RunResult r = exited(0, "0123456789");
  r.busy_wait = BusyWaitMeasure{5, 0.5, 0.46, 0.12, 300, 301, "copy"};
  auto f = judge(relay_test(), r);
  REQUIRE(f.size() == 1);
  CHECK(f[0].kind == FindingKind::kBusyWait);
  CHECK_THAT(f[0].evidence, Contains("copy (pid 300, thread 301)"));
  CHECK_THAT(f[0].evidence, Contains("5 pauses"));
}

TEST_CASE("a little CPU during input pauses, or too short a pause, is not a busy-wait",
          "[harness][judge]") {
  RunResult r = exited(0, "0123456789");
  r.busy_wait = BusyWaitMeasure{5, 0.5, 0.2, 0.2, 300, 301, "copy"};  // 40%
  CHECK(judge(relay_test(), r).empty());
  r.busy_wait = BusyWaitMeasure{2, 0.2, 0.2, 0.2, 300, 301, "copy"};  // windows under 0.3 s
  CHECK(judge(relay_test(), r).empty());
}

TEST_CASE("a run over the test's CPU-per-second budget is a busy-wait, a short run never",
          "[harness][judge]") {
  TestSpec t = relay_test();
  t.expect.max_cpu = 0.5;
  RunResult r = exited(0, "0123456789");
  r.wall_seconds = 1.0;
  r.keeper.user_seconds = 0.7;
  r.keeper.system_seconds = 0.2;
  auto f = judge(t, r);
  REQUIRE(f.size() == 1);
  CHECK(f[0].kind == FindingKind::kBusyWait);
  CHECK_THAT(f[0].evidence, Contains("of CPU (user 0.7"));

  r.keeper.user_seconds = 0.3;  // 0.5 s per second: within the budget
  CHECK(judge(t, r).empty());

  r.keeper.user_seconds = 0.15;  // busy, but the run is too short to judge
  r.keeper.system_seconds = 0.0;
  r.wall_seconds = 0.1;
  CHECK(judge(t, r).empty());
}
