// The perturb fault of the preload shim: seeded delays and yields at
// synchronisation and IPC calls. Decisions are checked through the
// perturb_trace item (one ev=perturb record per action); detection is
// checked with counts over many seeded runs of small buggy programs
// (fixtures/race_*.c), never with timings.
#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "tests/harness/shim/shim_testutil.h"

using namespace ipcgrade::shim_testutil;

namespace {

CapturedRun run_fixture(const std::string& name, std::vector<std::string> args,
                        std::map<std::string, std::string> env) {
  RunRequest request;
  request.argv = {fixture_path(name)};
  request.argv.insert(request.argv.end(), args.begin(), args.end());
  request.env = std::move(env);
  request.timeout = std::chrono::seconds(30);
  return run_captured(request);
}

// The actions of one traced run, per process: each process's records with
// the pid and tid left out, and the list sorted (pids differ between runs;
// the order in which processes write does not matter).
std::vector<std::string> traced_actions(const std::string& name,
                                        std::vector<std::string> args,
                                        const std::string& faults) {
  ShimLogFile log;
  auto env = student_env(faults + ",perturb_trace");
  env["IPCGRADE_LOG"] = log.path();
  CapturedRun run = run_fixture(name, args, env);
  INFO(run.describe());
  REQUIRE(run.exited_ok());
  std::map<std::string, std::string> per_pid;
  for (const std::string& rec : log.records()) {
    if (rec.rfind("ev=perturb ", 0) != 0) {
      continue;
    }
    std::size_t pid_at = rec.find(" pid=");
    std::string pid = rec.substr(pid_at + 5, rec.find(' ', pid_at + 5) - pid_at - 5);
    std::size_t act_at = rec.find(" act=");
    REQUIRE(act_at != std::string::npos);
    per_pid[pid] += rec.substr(act_at) + "\n";
  }
  std::vector<std::string> sequences;
  for (auto& [pid, seq] : per_pid) {
    sequences.push_back(seq);
  }
  std::sort(sequences.begin(), sequences.end());
  return sequences;
}

// How many of the runs with seeds 1..runs fail (exit status not 0).
int failures(const std::string& name, const std::vector<std::string>& args,
             const std::string& faults, int runs) {
  int failed = 0;
  for (int seed = 1; seed <= runs; ++seed) {
    std::string plan = faults.empty() ? "" : faults + ",";
    CapturedRun run =
        run_fixture(name, args, student_env(plan + "seed=" + std::to_string(seed)));
    REQUIRE(run.end != CapturedRun::End::kTimedOut);
    REQUIRE(run.end != CapturedRun::End::kNotStarted);
    failed += run.exited_ok() ? 0 : 1;
  }
  return failed;
}

}  // namespace

TEST_CASE("the same seed takes the same perturbation actions",
          "[harness][shim][perturb]") {
  SECTION("one thread") {
    std::vector<std::string> args = {"whole", "1", "300"};
    auto first = traced_actions("race_split_rmw", args, "perturb,seed=9");
    REQUIRE(first.size() == 1);
    REQUIRE(std::count(first[0].begin(), first[0].end(), '\n') >= 10);
    CHECK(traced_actions("race_split_rmw", args, "perturb,seed=9") == first);
    CHECK(traced_actions("race_split_rmw", args, "perturb,seed=10") != first);
  }
  SECTION("forked processes, each drawing its own sequence") {
    std::vector<std::string> args = {"locked", "3", "300"};
    auto first = traced_actions("race_fork_counter", args, "perturb,seed=5");
    REQUIRE(first.size() == 4);  // the parent and three children
    CHECK(std::adjacent_find(first.begin(), first.end()) == first.end());
    CHECK(traced_actions("race_fork_counter", args, "perturb,seed=5") == first);
  }
}

TEST_CASE("perturbation leaves programs outside the submission's folder alone",
          "[harness][shim][perturb]") {
  ShimLogFile log;
  auto env = shim_env("perturb,perturb_trace,seed=9");
  env["IPCGRADE_STUDENT_DIR"] = "/nonexistent/submission";
  env["IPCGRADE_LOG"] = log.path();
  CapturedRun run = run_fixture("race_split_rmw", {"whole", "2", "300"}, env);
  INFO(run.describe());
  REQUIRE(run.exited_ok());
  CHECK(log.records().empty());
}

TEST_CASE("perturbation exposes a lost update between threads in most runs",
          "[harness][shim][perturb]") {
  // Read and write each under the lock, but not together.
  std::vector<std::string> args = {"split", "2", "200"};
  int with = failures("race_split_rmw", args, "perturb", 20);
  int without = failures("race_split_rmw", args, "", 20);
  CAPTURE(with, without);
  CHECK(with >= 6);
  CHECK(without < with);
}

TEST_CASE("perturbation exposes `if` instead of `while` around a condition wait",
          "[harness][shim][perturb]") {
  std::vector<std::string> args = {"if", "200"};
  int with = failures("race_cond_if", args, "perturb", 20);
  int without = failures("race_cond_if", args, "", 20);
  CAPTURE(with, without);
  CHECK(with >= 6);
  CHECK(without < with);
}

TEST_CASE("a delay before pause exposes a check-then-pause signal race",
          "[harness][shim][perturb]") {
  // A lost round ends by the fixture's 1 s alarm; 8 seeds bound the time.
  std::vector<std::string> args = {"pause", "20"};
  int with = failures("race_pause", args, "perturb", 8);
  int without = failures("race_pause", args, "", 8);
  CAPTURE(with, without);
  CHECK(with >= 3);
  CHECK(without < with);
}

TEST_CASE("correct programs get the right result under every perturbation",
          "[harness][shim][perturb]") {
  auto [name, args] = GENERATE(table<std::string, std::vector<std::string>>({
      {"race_split_rmw", {"whole", "2", "200"}},
      {"race_cond_if", {"while", "200"}},
      {"race_fork_counter", {"locked", "3", "500"}},
      {"race_pause", {"sigsuspend", "20"}},
  }));
  std::string strategy = GENERATE("perturb", "perturb=random", "perturb=pct");
  CAPTURE(name, strategy);
  CHECK(failures(name, args, strategy + ",eintr", 10) == 0);
}
