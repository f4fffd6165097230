#include "harness/checkers/prodcons.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "harness/checkers/checker.h"

using namespace ipcgrade;
using Catch::Matchers::Contains;

namespace {

struct Taken {
  int consumer;
  long long item;
};

std::string lines_of(const std::vector<Taken>& taken, const std::string& done) {
  std::string out;
  for (const Taken& t : taken) {
    out += std::to_string(t.consumer) + " " + std::to_string(t.item) + "\n";
  }
  return out + done;
}

// A run of a correct program under a random schedule: producers put their
// items in order into one FIFO queue of `cap` slots, consumers take from its
// head, and each consumer's lines reach stdout in its own order but mixed at
// random with the others' (they print outside the lock).
std::vector<Taken> fifo_run(int p, int c, long long n, std::size_t cap, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<long long> next(p, 0);
  std::deque<long long> queue;
  std::vector<std::deque<long long>> pending(c);  // taken, not printed yet
  std::vector<Taken> out;
  long long left = static_cast<long long>(p) * n;
  long long printed = 0;
  while (printed < static_cast<long long>(p) * n) {
    int action = static_cast<int>(rng() % 3);
    if (action == 0 && queue.size() < cap) {
      int i = static_cast<int>(rng() % p);
      if (next[i] < n) {
        queue.push_back(i * n + next[i]++);
      }
    } else if (action == 1 && !queue.empty()) {
      pending[rng() % c].push_back(queue.front());
      queue.pop_front();
      --left;
    } else {
      int j = static_cast<int>(rng() % c);
      if (!pending[j].empty()) {
        out.push_back({j, pending[j].front()});
        pending[j].pop_front();
        ++printed;
      }
    }
  }
  return out;
}

CheckVerdict check(const std::string& output, std::vector<std::string> args) {
  return check_prodcons(CheckInput{"", output, std::move(args)});
}

}  // namespace

TEST_CASE("the prodcons checker is registered under its lab's name", "[checkers][prodcons]") {
  const Checker* checker = find_checker("prodcons");
  REQUIRE(checker != nullptr);
  CHECK(checker->check == &check_prodcons);
}

TEST_CASE("correct runs under many schedules pass the prodcons checker",
          "[checkers][prodcons]") {
  auto shape = GENERATE(table<int, int, long long, std::size_t>({
      {1, 1, 10, 1},
      {3, 2, 50, 1},
      {2, 7, 20, 3},
      {16, 16, 40, 1},
      {4, 1, 100, 16},
      {2, 64, 10, 1},
  }));
  int p = std::get<0>(shape), c = std::get<1>(shape);
  long long n = std::get<2>(shape);
  std::size_t cap = std::get<3>(shape);
  unsigned seed = GENERATE(1u, 2u, 3u);
  CAPTURE(p, c, n, cap, seed);
  std::string out =
      lines_of(fifo_run(p, c, n, cap, seed), "done " + std::to_string(p * n) + "\n");
  CheckVerdict v = check(out, {std::to_string(p), std::to_string(c), std::to_string(n),
                               std::to_string(cap)});
  CAPTURE(v.message);
  CHECK(v.ok);
}

TEST_CASE("with no items the whole correct output is done 0", "[checkers][prodcons]") {
  CHECK(check("done 0\n", {"3", "2", "0", "1"}).ok);

  CheckVerdict empty = check("", {"3", "2", "0", "1"});
  CHECK_FALSE(empty.ok);
  CHECK(empty.kind == FindingKind::kWrongOutput);
  CHECK_THAT(empty.message, Contains("no `done 0` line"));
  CHECK_THAT(empty.evidence, Contains("stdout is empty"));

  CheckVerdict item = check("0 0\ndone 0\n", {"3", "2", "0", "1"});
  CHECK_FALSE(item.ok);
  CHECK_THAT(item.message, Contains("line 1: \"0 0\" has item 0"));
  CHECK_THAT(item.message, Contains("with N = 0 there are no items at all"));
}

TEST_CASE("blanks between fields and a missing final newline are accepted",
          "[checkers][prodcons]") {
  CHECK(check("0 0\n1  1\n0\t2\r\n 1 3 \ndone 4", {"2", "2", "2", "1"}).ok);
}

TEST_CASE("a lost item is reported with the first missing item and the count",
          "[checkers][prodcons]") {
  // 2 producers of 5: items 0..9; 7 and 8 never come.
  std::string out = "0 0\n1 5\n0 1\n1 6\n0 2\n0 3\n0 4\n1 9\ndone 10\n";
  CheckVerdict v = check(out, {"2", "2", "5", "1"});
  REQUIRE_FALSE(v.ok);
  CHECK(v.kind == FindingKind::kWrongOutput);
  CHECK_THAT(v.message, Contains("2 of the 10 items never came"));
  CHECK_THAT(v.message, Contains("the first missing is item 7 (producer 1's item number 2)"));
  CHECK_THAT(v.message, Contains("Hold the mutex"));
  CHECK_THAT(v.evidence, Contains("expected 10 item lines (items 0..9, each once)"));
  CHECK_THAT(v.evidence, Contains("received 9 lines (8 item, 1 done, 0 other)"));
}

TEST_CASE("an item taken twice is reported with both lines", "[checkers][prodcons]") {
  std::string out = "0 0\n1 1\n0 2\n1 2\ndone 4\n";
  CheckVerdict v = check(out, {"1", "2", "4", "2"});
  REQUIRE_FALSE(v.ok);
  CHECK_THAT(v.message, Contains("1 item line repeats an item already printed"));
  CHECK_THAT(v.message, Contains("the first repeated item is 2, taken on line 3 and again on line 4"));
  CHECK_THAT(v.message, Contains("Also: 1 of the 4 items never came: the first missing is item 3"));
  CHECK_THAT(v.evidence, Contains("line 3: \"0 2\""));
  CHECK_THAT(v.evidence, Contains("line 4: \"1 2\""));
}

TEST_CASE("a LIFO buffer is reported with the consumer, both items and their lines",
          "[checkers][prodcons]") {
  // One producer puts 0..3; a stack hands out 1 before 0 and 3 before 2.
  std::string out = "0 1\n0 0\n1 3\n1 2\ndone 4\n";
  CheckVerdict v = check(out, {"1", "2", "4", "2"});
  REQUIRE_FALSE(v.ok);
  CHECK(v.kind == FindingKind::kWrongOutput);
  CHECK_THAT(v.message,
             Contains("consumer 0 printed item 1 (line 1) before item 0 (line 2), though "
                      "producer 0 puts 0 first (2 such pairs)"));
  CHECK_THAT(v.message, Contains("FIFO"));
  CHECK_THAT(v.evidence, Contains("line 1: \"0 1\""));
  CHECK_THAT(v.evidence, Contains("line 2: \"0 0\""));
}

TEST_CASE("items of different producers or consumers may come in any order",
          "[checkers][prodcons]") {
  // Producer 0's items 0 and 1 went to different consumers, and consumer 0
  // printed 1 before consumer 1 printed 0 (both print outside the lock).
  CHECK(check("0 1\n1 0\n0 3\n1 2\ndone 4\n", {"2", "2", "2", "1"}).ok);
  // Producer 1's items (2, 3) before producer 0's (0, 1) within consumer 0.
  CHECK(check("0 2\n0 0\n0 3\n0 1\ndone 4\n", {"2", "1", "2", "4"}).ok);
}

TEST_CASE("a consumer index outside 0..C-1 is reported", "[checkers][prodcons]") {
  CheckVerdict v = check("0 0\n3 1\ndone 2\n", {"1", "3", "2", "1"});
  REQUIRE_FALSE(v.ok);
  CHECK_THAT(v.message,
             Contains("line 2: \"3 1\" names consumer 3, but with C = 3 the consumers are 0..2"));
}

TEST_CASE("consumers numbered from 1 are accepted: the contract does not fix the base",
          "[checkers][prodcons]") {
  CHECK(check("1 0\n3 1\n2 2\n3 3\ndone 4\n", {"2", "3", "2", "1"}).ok);
}

TEST_CASE("consumers numbered both from 0 and up to C are C+1 consumers: reported",
          "[checkers][prodcons]") {
  CheckVerdict v = check("0 0\n3 1\n1 2\n2 3\ndone 4\n", {"2", "3", "2", "1"});
  REQUIRE_FALSE(v.ok);
  CHECK_THAT(v.message, Contains("line 2: \"3 1\" names consumer 3"));
  // The item on that line still counts as taken: nothing is missing.
  CHECK_THAT(v.message, !Contains("never"));
}

TEST_CASE("a line that is not an item line nor done is reported with its number",
          "[checkers][prodcons]") {
  SECTION("two item lines torn into each other") {
    CheckVerdict v = check("0 0\n0 1 1\n2\ndone 3\n", {"1", "2", "3", "1"});
    REQUIRE_FALSE(v.ok);
    CHECK_THAT(v.message, Contains("line 2: \"0 1 1\" is neither an item line"));
    CHECK_THAT(v.message, Contains("(2 such lines)"));
    CHECK_THAT(v.message, Contains("one stdio call"));
  }
  SECTION("an empty line") {
    CheckVerdict v = check("0 0\n\ndone 1\n", {"1", "1", "1", "1"});
    REQUIRE_FALSE(v.ok);
    CHECK_THAT(v.message, Contains("line 2: \"\" is neither"));
  }
  SECTION("words instead of numbers") {
    CheckVerdict v = check("consumer 0 took 0\ndone 1\n", {"1", "1", "1", "1"});
    REQUIRE_FALSE(v.ok);
    CHECK_THAT(v.message, Contains("line 1: \"consumer 0 took 0\" is neither"));
  }
  SECTION("done without a number") {
    CheckVerdict v = check("0 0\ndone\n", {"1", "1", "1", "1"});
    REQUIRE_FALSE(v.ok);
    CHECK_THAT(v.message, Contains("line 2: \"done\" is neither"));
  }
}

TEST_CASE("done must be printed once, last, with T = P*N", "[checkers][prodcons]") {
  const std::vector<std::string> args = {"2", "1", "2", "1"};
  SECTION("missing") {
    CheckVerdict v = check("0 0\n0 2\n0 1\n0 3\n", args);
    REQUIRE_FALSE(v.ok);
    CHECK_THAT(v.message, Contains("there is no `done 4` line (T = P*N = 2*2)"));
    CHECK_THAT(v.evidence, Contains("last line 4: \"0 3\""));
  }
  SECTION("with the wrong total") {
    CheckVerdict v = check("0 0\n0 2\n0 1\n0 3\ndone 2\n", args);
    REQUIRE_FALSE(v.ok);
    CHECK_THAT(v.message, Contains("line 5: \"done 2\" should be `done 4`: T = P*N = 2*2 = 4"));
  }
  SECTION("before the last item lines") {
    CheckVerdict v = check("0 0\n0 2\ndone 4\n0 1\n0 3\n", args);
    REQUIRE_FALSE(v.ok);
    CHECK_THAT(v.message, Contains("line 3: \"done 4\" is followed by 2 more lines"));
    CHECK_THAT(v.message, Contains("after joining every producer and consumer"));
  }
  SECTION("twice") {
    CheckVerdict v = check("0 0\n0 2\n0 1\n0 3\ndone 4\ndone 4\n", args);
    REQUIRE_FALSE(v.ok);
    CHECK_THAT(v.message, Contains("`done` is printed 2 times (first on line 5, last on line 6)"));
  }
}

TEST_CASE("an item outside 0..P*N-1 is reported", "[checkers][prodcons]") {
  CheckVerdict v = check("0 0\n0 -1\n0 99999999999999999999\ndone 1\n", {"1", "1", "1", "1"});
  REQUIRE_FALSE(v.ok);
  CHECK_THAT(v.message, Contains("line 2: \"0 -1\" has item -1, but the items are 0..0"));
  CHECK_THAT(v.message, Contains("(2 such lines)"));
}

TEST_CASE("test arguments the checker cannot read are blamed on the lab",
          "[checkers][prodcons]") {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {}, {"1", "1", "1"}, {"0", "1", "1", "1"}, {"1", "x", "1", "1"},
           {"1", "1", "1", "0"}, {"100000", "1", "100000", "1"}}) {
    CheckVerdict v = check("done 0\n", args);
    CHECK_FALSE(v.ok);
    CHECK_THAT(v.message, Contains("fault in the lab's lab.yaml, not in your program"));
  }
}

TEST_CASE("a few hundred thousand lines are checked in linear time", "[checkers][prodcons]") {
  // 400000 items; the LIFO case has an inversion on almost every line.
  const int p = 4;  // and 4 consumers
  const long long n = 100000;
  std::vector<Taken> fifo, lifo;
  for (long long k = 0; k < n; ++k) {
    for (int i = 0; i < p; ++i) {
      fifo.push_back({i, i * n + k});
      lifo.push_back({i, i * n + (n - 1 - k)});
    }
  }
  const std::vector<std::string> args = {"4", "4", "100000", "8"};
  auto start = std::chrono::steady_clock::now();
  CheckVerdict good = check(lines_of(fifo, "done 400000\n"), args);
  CheckVerdict bad = check(lines_of(lifo, "done 400000\n"), args);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(good.ok);
  REQUIRE_FALSE(bad.ok);
  CHECK_THAT(bad.message, Contains("consumer 0 printed item 99999 (line 1) before item 99998 "
                                   "(line 5)"));
  CHECK_THAT(bad.message, Contains("(399996 such pairs)"));
  // A quadratic check would take hours (1.6e11 steps); the linear one takes
  // a fraction of a second. The bound is loose so that a busy machine never
  // fails it; the speed itself belongs to benchmarks.
  CHECK(seconds < 60.0);
}
