#include "harness/checkers/reaper.h"

#include <string>
#include <tuple>

#include <catch2/catch.hpp>

#include "harness/checkers/checker.h"

using namespace ipcgrade;
using Catch::Matchers::Contains;

namespace {

CheckVerdict check(const std::string& k, const std::string& out) {
  return check_reaper(CheckInput{"", out, {k}});
}

}  // namespace

TEST_CASE("reaper's expected sum adds i % 256 over every child",
          "[harness][checkers][reaper]") {
  auto k = GENERATE(0u, 1u, 2u, 7u, 200u, 255u, 256u, 257u, 1000u, 4099u);
  std::uint64_t sum = 0;
  for (std::uint64_t i = 0; i < k; ++i) {
    sum += i % 256;
  }
  CAPTURE(k);
  CHECK(reaper_expected_sum(k) == sum);
}

TEST_CASE("reaper accepts the exact line for every child count",
          "[harness][checkers][reaper]") {
  using Row = std::tuple<std::string, std::string>;
  auto [k, line] = GENERATE(table<std::string, std::string>({
      Row{"0", "reaped 0 sum 0\n"},
      Row{"1", "reaped 1 sum 0\n"},
      Row{"7", "reaped 7 sum 21\n"},
      Row{"200", "reaped 200 sum 19900\n"},
      Row{"300", "reaped 300 sum 33586\n"},
      Row{"7", "reaped 7 sum 21"},  // the last line's newline may be missing
  }));
  CAPTURE(k, line);
  CHECK(check(k, line).ok);
}

TEST_CASE("reaper is registered under its name", "[harness][checkers][reaper]") {
  const Checker* c = find_checker("reaper");
  REQUIRE(c != nullptr);
  CHECK(c->check == &check_reaper);
}

TEST_CASE("reaper explains each wrong output", "[harness][checkers][reaper]") {
  using Row = std::tuple<std::string, std::string, std::string, std::string>;
  auto [why, k, out, explanation] =
      GENERATE(table<std::string, std::string, std::string, std::string>({
          Row{"a short count is coalesced SIGCHLD reaped one at a time", "200",
              "reaped 150 sum 14000\n", "SIGCHLD signals coalesce"},
          Row{"a short count names what was reaped", "7", "reaped 3 sum 3\n",
              "Only 3 of 7 children"},
          Row{"a count above K is a double count", "7", "reaped 8 sum 21\n", "counted twice"},
          Row{"a raw status word makes the sum 256 times too large", "7",
              "reaped 7 sum 5376\n", "WEXITSTATUS(st)"},
          Row{"any other wrong sum", "7", "reaped 7 sum 28\n", "instead of 21"},
          Row{"nothing printed", "1", "", "Nothing was printed"},
          Row{"nothing printed with no children", "0", "", "Nothing was printed"},
          Row{"the line printed twice", "1", "reaped 1 sum 0\nreaped 1 sum 0\n",
              "not that one line"},
          Row{"other words", "1", "reaped: 1, sum: 0\n", "not that one line"},
          Row{"a sign on a number", "1", "reaped +1 sum 0\n", "not that one line"},
      }));
  CAPTURE(why, k, out);
  CheckVerdict v = check(k, out);
  CHECK_FALSE(v.ok);
  CHECK(v.kind == FindingKind::kWrongOutput);
  CHECK_THAT(v.message, Contains("reaper " + k + " should print exactly one line"));
  CHECK_THAT(v.message, Contains(explanation));
  CHECK_THAT(v.evidence, Contains("expected \"reaped " + k + " sum "));
}

TEST_CASE("reaper without a child count blames the lab, not the student",
          "[harness][checkers][reaper]") {
  auto args = GENERATE(std::vector<std::string>{}, std::vector<std::string>{"many"},
                       std::vector<std::string>{"1", "2"});
  CheckVerdict v = check_reaper(CheckInput{"", "reaped 1 sum 0\n", args});
  CHECK_FALSE(v.ok);
  CHECK_THAT(v.message, Contains("the lab's test is misconfigured"));
}
