#include "grader/validation.h"

#include <catch2/catch.hpp>

namespace ipcgrade {
namespace {

VariantSpec declares(FindingKind kind) {
  VariantSpec spec;
  spec.name = "reaper-check-then-pause";
  spec.finding = kind;
  spec.caught_by = {"reaper-7-perturbed"};
  return spec;
}

Report lost_points_with(const Finding& f) {
  Report report;
  report.score = 2;
  report.max_score = 4;
  report.findings.push_back(f);
  return report;
}

Finding race_whose_failing_runs(std::optional<FindingKind> kind) {
  Finding f;
  f.kind = FindingKind::kRace;
  f.test = "reaper-7-perturbed";
  f.program = "reaper";
  f.failing_kind = kind;
  return f;
}

TEST_CASE("a race whose failing runs deadlocked catches a variant that declares deadlock",
          "[grader][validate]") {
  VariantResult v = judge_variant(declares(FindingKind::kDeadlock),
                                  lost_points_with(race_whose_failing_runs(FindingKind::kDeadlock)));
  CHECK(v.verdict == VariantVerdict::kCaught);
  REQUIRE(v.matched);
  CHECK(*v.matched == FindingKind::kDeadlock);
  REQUIRE(v.by_declared_tests);
  CHECK(*v.by_declared_tests);
}

TEST_CASE("a race whose failing runs gave another kind does not catch a deadlock variant",
          "[grader][validate]") {
  VariantResult v =
      judge_variant(declares(FindingKind::kDeadlock),
                    lost_points_with(race_whose_failing_runs(FindingKind::kWrongOutput)));
  CHECK(v.verdict == VariantVerdict::kMiss);
  VariantResult bare = judge_variant(declares(FindingKind::kDeadlock),
                                     lost_points_with(race_whose_failing_runs(std::nullopt)));
  CHECK(bare.verdict == VariantVerdict::kMiss);
}

TEST_CASE("a race still catches a variant that declares race", "[grader][validate]") {
  VariantResult v = judge_variant(declares(FindingKind::kRace),
                                  lost_points_with(race_whose_failing_runs(FindingKind::kDeadlock)));
  CHECK(v.verdict == VariantVerdict::kCaught);
  REQUIRE(v.matched);
  CHECK(*v.matched == FindingKind::kRace);
}

TEST_CASE("a deadlock finding at full marks catches nothing", "[grader][validate]") {
  Finding f = race_whose_failing_runs(FindingKind::kDeadlock);
  Report report = lost_points_with(f);
  report.score = report.max_score;
  VariantResult v = judge_variant(declares(FindingKind::kDeadlock), report);
  CHECK(v.verdict == VariantVerdict::kMiss);
}

}  // namespace
}  // namespace ipcgrade
