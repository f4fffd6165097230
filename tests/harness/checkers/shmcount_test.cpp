#include "harness/checkers/shmcount.h"

#include <cstdint>
#include <filesystem>
#include <string>

#include <catch2/catch.hpp>

#include "harness/checkers/checker.h"
#include "harness/lab_spec.h"

using namespace ipcgrade;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

CheckVerdict check(const std::string& k, const std::string& n, const std::string& out) {
  return check_shmcount(CheckInput{"", out, {k, n}});
}

}  // namespace

TEST_CASE("shmcount accepts counter K*N for every shape of run", "[harness][checkers][shmcount]") {
  auto [k, n, out] = GENERATE(table<std::string, std::string, std::string>({
      {"1", "0", "counter 0\n"},
      {"8", "0", "counter 0\n"},
      {"1", "1", "counter 1\n"},
      {"2", "1000", "counter 2000\n"},
      {"8", "100000", "counter 800000\n"},
      {"1024", "1000000000", "counter 1024000000000\n"},
  }));
  CAPTURE(k, n, out);
  CheckVerdict v = check(k, n, out);
  CHECK(v.ok);
  CHECK(v.message.empty());
}

TEST_CASE("shmcount is registered under its name", "[harness][checkers][shmcount]") {
  const Checker* c = find_checker("shmcount");
  REQUIRE(c != nullptr);
  CHECK(c->check == &check_shmcount);
}

TEST_CASE("a short count is a race that names how many additions were lost",
          "[harness][checkers][shmcount]") {
  CheckVerdict v = check("8", "100000", "counter 613447\n");
  REQUIRE_FALSE(v.ok);
  CHECK(v.kind == FindingKind::kRace);
  CHECK_THAT(v.message, Contains("186553 of 800000 additions were lost"));
  CHECK_THAT(v.message, Contains("PTHREAD_PROCESS_SHARED"));
  CHECK_THAT(v.evidence, Contains("printed `counter 613447`, expected `counter 800000`"));
}

TEST_CASE("a count short by one addition is still a lost update", "[harness][checkers][shmcount]") {
  CheckVerdict v = check("2", "1000", "counter 1999\n");
  REQUIRE_FALSE(v.ok);
  CHECK(v.kind == FindingKind::kRace);
  CHECK_THAT(v.message, Contains("1 of 2000 additions were lost"));
}

TEST_CASE("a counter still at 0 means private memory, not a race",
          "[harness][checkers][shmcount]") {
  CheckVerdict v = check("2", "1000", "counter 0\n");
  REQUIRE_FALSE(v.ok);
  CHECK(v.kind == FindingKind::kWrongOutput);
  CHECK_THAT(v.message, Contains("MAP_SHARED"));
  CHECK_THAT(v.message, Contains("own copy"));
}

TEST_CASE("a count above K*N is wrong output that asks about extra workers",
          "[harness][checkers][shmcount]") {
  CheckVerdict v = check("2", "1000", "counter 3000\n");
  REQUIRE_FALSE(v.ok);
  CHECK(v.kind == FindingKind::kWrongOutput);
  CHECK_THAT(v.message, Contains("1000 higher than K*N"));
  CHECK_THAT(v.message, Contains("_exit()"));
}

TEST_CASE("one counter line per process means workers fell into the parent's code",
          "[harness][checkers][shmcount]") {
  CheckVerdict v = check("2", "10", "counter 10\ncounter 20\ncounter 20\n");
  REQUIRE_FALSE(v.ok);
  CHECK(v.kind == FindingKind::kWrongOutput);
  CHECK_THAT(v.message, Contains("3 of them are `counter` lines"));
}

TEST_CASE("debugging lines on stdout are wrong output that points to stderr",
          "[harness][checkers][shmcount]") {
  CheckVerdict v = check("2", "10", "forked 2 workers\ncounter 20\n");
  REQUIRE_FALSE(v.ok);
  CHECK(v.kind == FindingKind::kWrongOutput);
  CHECK_THAT(v.message, Contains("stderr"));
}

TEST_CASE("malformed counter lines are wrong output", "[harness][checkers][shmcount]") {
  auto out = GENERATE(as<std::string>{}, "", "counter\n", "counter: 20\n", "Counter 20\n",
                      "counter 020\n", "counter  20\n", "counter 20 \n", "counter -20\n",
                      "20\n", "counter 99999999999999999999\n", "counter 20\r\n");
  CAPTURE(out);
  CheckVerdict v = check("2", "10", out);
  REQUIRE_FALSE(v.ok);
  CHECK(v.kind == FindingKind::kWrongOutput);
  CHECK_FALSE(v.message.empty());
}

// The contract names the line `counter V`, not its terminator; pingpong,
// reaper and prodcons accept a missing final newline too.
TEST_CASE("a right value without its final newline is accepted, a wrong one is not",
          "[harness][checkers][shmcount]") {
  CHECK(check("2", "10", "counter 20").ok);
  CheckVerdict v = check("2", "10", "counter 19");
  REQUIRE_FALSE(v.ok);
  CHECK(v.kind == FindingKind::kRace);
}

TEST_CASE("a test without the two numbers K N is blamed on the lab, never judged as right",
          "[harness][checkers][shmcount]") {
  auto args = GENERATE(std::vector<std::string>{}, std::vector<std::string>{"2"},
                       std::vector<std::string>{"two", "10"},
                       std::vector<std::string>{"2", "10", "3"});
  CheckVerdict v = check_shmcount(CheckInput{"", "counter 20\n", args});
  REQUIRE_FALSE(v.ok);
  CHECK_THAT(v.message, Contains("mistake in the lab"));
}

TEST_CASE("every shipped shm test judged by shmcount passes K N and keeps the checker's kinds",
          "[harness][checkers][shmcount]") {
  const fs::path dir = fs::path(IPCGRADE_SOURCE_DIR) / "labs" / "shm";
  Result<LabSpec> lab = load_lab(dir);
  INFO(lab.status().message());
  REQUIRE(lab.ok());
  int judged = 0;
  for (const TestSpec& t : lab->tests) {
    if (t.expect.stdout_expect.kind != OutputExpect::Kind::kChecker ||
        t.expect.stdout_expect.value != "shmcount") {
      continue;
    }
    CAPTURE(t.name);
    ++judged;
    REQUIRE(t.args.size() == 2);
    // The right answer for the test's own args passes, a short one is a race.
    const std::uint64_t k = std::stoull(t.args[0]);
    const std::uint64_t n = std::stoull(t.args[1]);
    CHECK(check(t.args[0], t.args[1], "counter " + std::to_string(k * n) + "\n").ok);
    CHECK_FALSE(t.expect.stdout_expect.finding.has_value());
  }
  CHECK(judged >= 8);
}
