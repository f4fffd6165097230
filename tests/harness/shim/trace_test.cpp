// The shim's `trace` item (what `ipcgrade repro` shows live): short
// transfers and perturbation totals are logged, bounded per thread, and
// asking for them changes no fault decision.
#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "harness/shim_events.h"
#include "tests/harness/shim/shim_testutil.h"

using namespace ipcgrade::shim_testutil;
using ipcgrade::parse_shim_log;
using ipcgrade::ShimRecord;

namespace {

CapturedRun run_fixture(const std::string& name, std::vector<std::string> args,
                        std::map<std::string, std::string> env, std::string input = "") {
  RunRequest request;
  request.argv = {fixture_path(name)};
  request.argv.insert(request.argv.end(), args.begin(), args.end());
  request.env = std::move(env);
  request.stdin_data = std::move(input);
  request.timeout = std::chrono::seconds(30);
  return run_captured(request);
}

// The log's records of one event, parsed as the grader parses them.
std::vector<ShimRecord> records_of(const ShimLogFile& log, const std::string& event) {
  std::string bytes;
  for (const std::string& line : log.records()) {
    bytes += line + "\n";
  }
  std::vector<ShimRecord> out;
  for (ShimRecord& r : parse_shim_log(bytes).records) {
    if (r.event == event) {
      out.push_back(std::move(r));
    }
  }
  return out;
}

long field(const ShimRecord& r, const char* key) { return std::stol(r.fields.at(key)); }

}  // namespace

TEST_CASE("with trace a thread's short transfers are logged with their sizes, the first four "
          "and then every power of two",
          "[harness][shim][trace]") {
  // All the input is in the pipe before the reader starts, so what read()
  // returns depends on the cuts alone.
  const std::string input = pattern_bytes(60000);
  CapturedRun plain = run_fixture("pipe_reader", {"4096"}, shim_env("short_io,seed=7"), input);
  ShimLogFile log;
  auto env = shim_env("short_io,seed=7,trace");
  env["IPCGRADE_LOG"] = log.path();
  CapturedRun traced = run_fixture("pipe_reader", {"4096"}, env, input);
  INFO(plain.describe() << "\n" << traced.describe());
  REQUIRE(plain.exited_ok());
  REQUIRE(traced.exited_ok());
  // The same cuts with and without trace: every read() returned the same.
  CHECK(traced.err == plain.err);
  CHECK(traced.out == "bytes 60000 ok\n");

  std::vector<ShimRecord> cuts = records_of(log, "short-io");
  REQUIRE(cuts.size() >= 2);
  long expected_n = 1;
  for (const ShimRecord& r : cuts) {
    CAPTURE(r.fields);
    CHECK(r.fields.at("call") == "read");
    CHECK(field(r, "fd") == 0);
    CHECK(field(r, "asked") == 4096);
    CHECK(field(r, "cut") >= 1);
    CHECK(field(r, "cut") < 4096);
    CHECK(field(r, "n") == expected_n);
    CHECK(r.monotonic_ns > 0);
    expected_n = expected_n < 4 ? expected_n + 1 : expected_n * 2;
  }
}

TEST_CASE("without trace the shim logs no short transfer and no perturbation total",
          "[harness][shim][trace]") {
  ShimLogFile log;
  auto env = student_env("short_io,perturb,seed=7");
  env["IPCGRADE_LOG"] = log.path();
  CapturedRun run = run_fixture("pipe_reader", {"4096"}, env, pattern_bytes(60000));
  INFO(run.describe());
  REQUIRE(run.exited_ok());
  CHECK(records_of(log, "short-io").empty());
  CHECK(records_of(log, "perturb-summary").empty());
}

TEST_CASE("with trace each perturbed thread logs running totals at its 1st, 8th, 64th... "
          "action and when a budget runs out",
          "[harness][shim][trace]") {
  ShimLogFile log;
  auto env = student_env("perturb,seed=9,trace");
  env["IPCGRADE_LOG"] = log.path();
  CapturedRun run = run_fixture("race_split_rmw", {"whole", "2", "300"}, env);
  INFO(run.describe());
  REQUIRE(run.exited_ok());
  std::vector<ShimRecord> totals = records_of(log, "perturb-summary");
  REQUIRE_FALSE(totals.empty());
  std::map<long, long> last_actions;  // per thread
  std::map<long, int> per_thread;
  for (const ShimRecord& r : totals) {
    CAPTURE(r.fields);
    const long actions = field(r, "actions");
    const std::string why = r.fields.at("why");
    if (why == "progress") {
      CHECK((actions == 1 || actions == 8 || actions == 64 || actions == 512 || actions == 4096));
    } else {
      CHECK((why == "sleep-budget" || why == "yield-budget"));
    }
    CHECK(actions >= last_actions[r.tid]);  // running totals
    last_actions[r.tid] = actions;
    CHECK(field(r, "slept_us") <= 10000);  // the thread's sleep budget
    ++per_thread[r.tid];
  }
  for (const auto& [tid, n] : per_thread) {
    CAPTURE(tid);
    CHECK(n <= 7);  // 1, 8, 64, 512, 4096 and the two budgets
  }
}
