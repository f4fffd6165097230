// End-to-end tests of `ipcgrade repro`: one test of one submission run again
// as grading ran it, and the reproduce command every finding now carries.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "tests/support/cli.h"

using ipcgrade::testing::run_ipcgrade;
using nlohmann::json;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
namespace fs = std::filesystem;

namespace {

const fs::path kPipes = fs::path(IPCGRADE_SOURCE_DIR) / "labs" / "pipes";

std::string variant(const char* name) { return (kPipes / "buggy" / name).string(); }

}  // namespace

TEST_CASE("repro of a failing test reproduces the failure and exits 1", "[grader][e2e][repro]") {
  auto run = run_ipcgrade({"repro", variant("relay-wrong-exit-status"), "--lab", "pipes",
                           "--test", "relay-exit-status"});
  INFO(run.out << run.err);
  CHECK(run.exit_code == 1);
  CHECK_THAT(run.out, Contains("runs     ./relay sh -c 'exit 3'"));
  CHECK_THAT(run.out, Contains("should exit with status 3, but it exited with 0"));
  CHECK_THAT(run.out, Contains("evidence:"));
  CHECK_THAT(run.out, Contains("Without the grader"));
  CHECK_THAT(run.out, Contains("./relay sh -c 'exit 3'; echo \"exit status $?\""));
  CHECK_THAT(run.out, Contains("Reproduced: relay-exit-status failed with wrong-output."));
  // Only the one test ran.
  CHECK(run.out.find("relay-cat-hello") == std::string::npos);
}

TEST_CASE("repro with the seed of a finding replays that fault plan once", "[grader][e2e][repro]") {
  auto run = run_ipcgrade({"repro", variant("relay-ignores-short-writes"), "--lab", "pipes",
                           "--test", "relay-short-io", "--seed", "11"});
  INFO(run.out << run.err);
  CHECK(run.exit_code == 1);
  CHECK_THAT(run.out, Contains("faults   short reads and writes, seed 11 (one run)"));
  CHECK_THAT(run.out, Contains("IPCGRADE_FAULTS=short_io,seed=11"));
  CHECK_THAT(run.out, Contains("with short-io"));
}

TEST_CASE("repro of a test the reference solution passes exits 0", "[grader][e2e][repro]") {
  auto run = run_ipcgrade({"repro", (kPipes / "solution").string(), "--lab", "pipes", "--test",
                           "relay-exit-status"});
  INFO(run.out << run.err);
  CHECK(run.exit_code == 0);
  CHECK_THAT(run.out, Contains("Not reproduced: relay-exit-status passed."));
}

TEST_CASE("repro refuses what it cannot run with exit 2 and names the problem",
          "[grader][e2e][repro]") {
  SECTION("an unknown test is named, with the nearest real name") {
    auto run = run_ipcgrade({"repro", (kPipes / "solution").string(), "--lab", "pipes", "--test",
                             "relay-exit-statuz"});
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.err, Contains("no test named 'relay-exit-statuz'"));
    CHECK_THAT(run.err, Contains("relay-exit-status"));
  }
  SECTION("a missing submission folder") {
    auto run = run_ipcgrade(
        {"repro", "/nonexistent/submission", "--lab", "pipes", "--test", "relay-exit-status"});
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.err, Contains("/nonexistent/submission"));
  }
  SECTION("no --test") {
    auto run = run_ipcgrade({"repro", (kPipes / "solution").string(), "--lab", "pipes"});
    CHECK(run.exit_code == 2);
  }
}

TEST_CASE("a finding's reproduce command is ipcgrade repro, with the shell form after it",
          "[grader][e2e][repro]") {
  auto run = run_ipcgrade({"grade", "--lab", "pipes", variant("relay-ignores-short-writes"),
                           "--test", "relay-short-io", "--format", "json"});
  REQUIRE(run.exit_code == 1);
  json r = json::parse(run.out);
  REQUIRE(r["findings"].size() >= 1);
  std::string repro = r["findings"][0]["repro"].get<std::string>();
  CHECK_THAT(repro, StartsWith("ipcgrade repro " + variant("relay-ignores-short-writes") +
                               " --lab pipes --test relay-short-io --seed 11\n"));
  CHECK_THAT(repro, Contains("\n# without the grader: cd "));
  CHECK_THAT(repro, Contains("IPCGRADE_STUDENT_DIR=\"$(pwd -P)\" IPCGRADE_FAULTS=short_io,seed=11 ./relay cat"));
}

namespace {

// Where the first line matching `pattern` starts in `out`, or npos.
std::size_t first_match(const std::string& out, const std::string& pattern) {
  std::smatch m;
  if (!std::regex_search(out, m, std::regex(pattern))) {
    return std::string::npos;
  }
  return static_cast<std::size_t>(m.position(0));
}

// An injected EINTR as repro prints it while the run goes on.
const char* const kLiveEintr =
    R"(\n  \+\d+\.\d{3}s pid \d+ relay: (read|write|waitpid)\([^)]*\) failed with EINTR )"
    R"(\(injected, [123] of at most 3 in a row\)\n)";

}  // namespace

TEST_CASE("repro shows each injected EINTR as it happens, before the result, and exits 1 "
          "when the failure reproduces",
          "[grader][e2e][repro]") {
  const std::string buggy = (kPipes / "buggy" / "relay-no-eintr-retry").string();
  auto run = run_ipcgrade({"repro", buggy, "--lab", "pipes", "--test", "relay-eintr"});
  INFO(run.out << run.err);
  CHECK(run.exit_code == 1);
  const std::size_t live = first_match(run.out, kLiveEintr);
  const std::size_t header = run.out.find("Run 1 (fault seed 13), as it happens:\n");
  const std::size_t ended = first_match(run.out, R"(\n  \+\d+\.\d{3}s the run ended\n)");
  const std::size_t report = run.out.find("ipcgrade report");
  REQUIRE(header != std::string::npos);
  REQUIRE(live != std::string::npos);
  REQUIRE(ended != std::string::npos);
  REQUIRE(report != std::string::npos);
  // The run's lines, then the end of the run, then the report and verdict.
  CHECK(header < live);
  CHECK(live < ended);
  CHECK(ended < report);
  CHECK(report < run.out.find("Reproduced: relay-eintr failed with eintr."));
}

TEST_CASE("repro of the reference solution under the same EINTR plan shows the injections "
          "and exits 0",
          "[grader][e2e][repro]") {
  auto run = run_ipcgrade(
      {"repro", (kPipes / "solution").string(), "--lab", "pipes", "--test", "relay-eintr"});
  INFO(run.out << run.err);
  CHECK(run.exit_code == 0);
  // The solution is interrupted too (it retries): the same kind of lines.
  const std::size_t live = first_match(run.out, kLiveEintr);
  REQUIRE(live != std::string::npos);
  CHECK(live < run.out.find("ipcgrade report"));
  CHECK_THAT(run.out, Contains("Not reproduced: relay-eintr passed."));
}

TEST_CASE("repro shows the short transfers it injects with their sizes", "[grader][e2e][repro]") {
  auto run = run_ipcgrade({"repro", variant("relay-ignores-short-writes"), "--lab", "pipes",
                           "--test", "relay-short-io", "--seed", "11"});
  INFO(run.out << run.err);
  CHECK(run.exit_code == 1);
  const std::size_t live = first_match(
      run.out, R"(\n  \+\d+\.\d{3}s pid \d+ relay: write\(fd \d+\) of \d+ bytes cut short )"
               R"(after at most \d+ \(short write injected\))");
  REQUIRE(live != std::string::npos);
  CHECK(live < run.out.find("ipcgrade report"));
}
