#include "harness/analysis_pass.h"

#include <algorithm>

#include "harness/static_advice.h"
#include "harness/tsan_pass.h"

namespace ipcgrade {
namespace fs = std::filesystem;
namespace {

// A racy program gives one report per racing pair of lines: the first of
// each kind is enough to act on, and the rest would bury other findings.
std::vector<Finding> first_of_each_kind(const std::vector<Finding>& findings) {
  std::vector<Finding> kept;
  std::vector<int> more;
  for (const Finding& f : findings) {
    auto it = std::find_if(kept.begin(), kept.end(),
                           [&](const Finding& k) { return k.kind == f.kind; });
    if (it == kept.end()) {
      kept.push_back(f);
      more.push_back(0);
    } else {
      ++more[static_cast<std::size_t>(it - kept.begin())];
    }
  }
  for (std::size_t i = 0; i < kept.size(); ++i) {
    if (more[i] > 0) {
      kept[i].evidence += "(and " + std::to_string(more[i]) +
                          " more such reports at other lines in this run: fix this one and "
                          "grade again)\n";
    }
  }
  return kept;
}

// A test whose graded runs hung or timed out would hang under TSan too,
// where the hang oracle cannot see it (TSan's own thread sleeps on a timer):
// its finding is known already, and the TSan run would only wait out its
// wall limit.
bool hung(const TestOutcome& t) {
  return std::any_of(t.findings.begin(), t.findings.end(), [](const Finding& f) {
    return f.kind == FindingKind::kDeadlock || f.kind == FindingKind::kEofHang ||
           f.kind == FindingKind::kTimeout;
  });
}

Status add_tsan(const Sandbox& sandbox, const LabSpec& lab, const fs::path& submission,
                const fs::path& scratch, GradingOutcome* outcome) {
  std::vector<TsanTestPlan> plan;
  for (const TestOutcome& t : outcome->tests) {
    if (t.test->tsan && t.internal_error.empty() && t.repetitions > 0 && !hung(t)) {
      plan.push_back(TsanTestPlan{t.test, t.wall_seconds});
    }
  }
  if (plan.empty()) {
    return Status::Ok();
  }
  Result<TsanPassOutcome> pass = run_tsan_pass(sandbox, lab, submission, scratch / "tsan", plan);
  if (!pass.ok()) {
    return pass.status();
  }
  for (const TsanTestResult& result : pass->tests) {
    for (TestOutcome& t : outcome->tests) {
      if (t.test != result.test || result.findings.empty()) {
        continue;
      }
      for (const Finding& f : first_of_each_kind(result.findings)) {
        t.output += "\nunder ThreadSanitizer: " + std::string(to_string(f.kind)) + ": " +
                    f.message;
      }
      // A test already failed as `race` by its repetitions keeps one race.
      merge_findings(t.findings, first_of_each_kind(result.findings));
    }
  }
  outcome->advice.insert(outcome->advice.end(), pass->advice.begin(), pass->advice.end());
  return Status::Ok();
}

}  // namespace

Status run_analyses(const Sandbox& sandbox, const LabSpec& lab, const fs::path& submission,
                    const fs::path& scratch, const fs::path& build_dir, bool static_advice,
                    GradingOutcome* outcome) {
  if (!outcome->build.ok) {
    return Status::Ok();
  }
  Status s = add_tsan(sandbox, lab, submission, scratch, outcome);
  if (!s.ok()) {
    return s;
  }
  if (static_advice && lab.advice.clang_tidy) {
    Result<std::vector<Advice>> advice = clang_tidy_advice(sandbox, lab, build_dir);
    if (!advice.ok()) {
      return advice.status();
    }
    outcome->advice.insert(outcome->advice.end(), advice->begin(), advice->end());
  }
  return Status::Ok();
}

}  // namespace ipcgrade
