#include "harness/checkers/pingpong.h"

#include <string>
#include <tuple>

#include <catch2/catch.hpp>

#include "harness/checkers/checker.h"

using namespace ipcgrade;
using Catch::Matchers::Contains;

namespace {

CheckVerdict check(const std::string& n, const std::string& out) {
  return check_pingpong(CheckInput{"", out, {n}});
}

}  // namespace

TEST_CASE("pingpong accepts the three exact lines for every round count",
          "[harness][checkers][pingpong]") {
  auto n = GENERATE(as<std::string>{}, "0", "1", "100", "10000");
  CAPTURE(n);
  CheckVerdict v = check(n, "child: " + n + "\nparent: " + n + "\nchild exited 0\n");
  CHECK(v.ok);
  CHECK(v.message.empty());
}

TEST_CASE("pingpong accepts a last line without its newline",
          "[harness][checkers][pingpong]") {
  CHECK(check("3", "child: 3\nparent: 3\nchild exited 0").ok);
}

TEST_CASE("pingpong is registered under its name", "[harness][checkers][pingpong]") {
  const Checker* c = find_checker("pingpong");
  REQUIRE(c != nullptr);
  CHECK(c->check == &check_pingpong);
}

TEST_CASE("pingpong explains each wrong output in signal terms",
          "[harness][checkers][pingpong]") {
  using Row = std::tuple<std::string, std::string, std::string, std::string>;
  auto [why, n, out, explanation] = GENERATE(table<std::string, std::string, std::string,
                                                   std::string>({
      Row{"a child killed by SIGUSR1 was not ready for it", "100",
          "parent: 0\nchild exited 138\n", "killed by SIGUSR1"},
      Row{"a child killed by SIGTERM had no SIGTERM handler yet", "0",
          "parent: 0\nchild exited 143\n", "killed by SIGTERM"},
      Row{"a child killed by SIGUSR2 got the parent's signal", "5",
          "parent: 0\nchild exited 140\n", "check which pid"},
      Row{"another signal is named", "5", "child: 5\nparent: 5\nchild exited 137\n",
          "killed by SIGKILL"},
      Row{"a child that exits 1 must exit 0", "5", "child: 5\nparent: 5\nchild exited 1\n",
          "exit 0"},
      Row{"fewer SIGUSR1 than sent is a lost signal", "100",
          "child: 97\nparent: 100\nchild exited 0\n", "a signal was lost"},
      Row{"more SIGUSR1 than sent is a double count", "10",
          "child: 11\nparent: 10\nchild exited 0\n", "counted twice"},
      Row{"fewer answers than rounds is a lost answer", "100",
          "child: 100\nparent: 99\nchild exited 0\n", "an answer was lost"},
      Row{"more answers than rounds", "10", "child: 10\nparent: 12\nchild exited 0\n",
          "more than the 10 rounds"},
      Row{"a missing child line", "4", "parent: 4\nchild exited 0\n", "no `child: R` line"},
      Row{"a missing parent line", "4", "child: 4\nchild exited 0\n", "no `parent: A` line"},
      Row{"a missing status line", "4", "child: 4\nparent: 4\n", "no `child exited S` line"},
      Row{"lines out of order", "4", "parent: 4\nchild: 4\nchild exited 0\n", "out of order"},
      Row{"a line printed twice", "4", "child: 4\nchild: 4\nparent: 4\nchild exited 0\n",
          "appears 2 times"},
      Row{"an extra line on stdout", "4", "child: 4\nround 1\nparent: 4\nchild exited 0\n",
          "Unexpected line \"round 1\""},
      Row{"nothing printed", "0", "", "no `child: R` line"},
      Row{"a trailing blank line", "2", "child: 2\nparent: 2\nchild exited 0\n\n",
          "Unexpected line"},
      Row{"a space too many", "2", "child:  2\nparent: 2\nchild exited 0\n",
          "Unexpected line"},
  }));
  CAPTURE(why, n, out);
  CheckVerdict v = check(n, out);
  CHECK_FALSE(v.ok);
  CHECK(v.kind == FindingKind::kWrongOutput);
  CHECK_THAT(v.message, Contains("pingpong " + n + " should print exactly"));
  CHECK_THAT(v.message, Contains(explanation));
  CHECK_THAT(v.evidence, Contains("expected \"child: " + n));
}

TEST_CASE("pingpong takes N from the test's argument, not from the output",
          "[harness][checkers][pingpong]") {
  CheckVerdict v = check("5", "child: 4\nparent: 4\nchild exited 0\n");
  CHECK_FALSE(v.ok);
  CHECK_THAT(v.message, Contains("4 SIGUSR1 of the 5 sent"));
}

TEST_CASE("pingpong without a round count blames the lab, not the student",
          "[harness][checkers][pingpong]") {
  auto args = GENERATE(std::vector<std::string>{}, std::vector<std::string>{"x"},
                       std::vector<std::string>{"1", "2"}, std::vector<std::string>{"-1"});
  CheckVerdict v = check_pingpong(CheckInput{"", "child: 1\nparent: 1\nchild exited 0\n", args});
  CHECK_FALSE(v.ok);
  CHECK_THAT(v.message, Contains("the lab's test is misconfigured"));
}
