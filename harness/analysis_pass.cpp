#include "harness/analysis_pass.h"

#include "harness/static_advice.h"
#include "harness/tsan_pass.h"

namespace ipcgrade {
namespace fs = std::filesystem;
namespace {

// A racy program gives one report per racing pair of lines; a few are
// enough to act on, and the rest would bury the other findings.
constexpr std::size_t kMaxTsanFindingsPerTest = 3;

Status add_tsan(const Sandbox& sandbox, const LabSpec& lab, const fs::path& submission,
                const fs::path& scratch, GradingOutcome* outcome) {
  std::vector<TsanTestPlan> plan;
  for (const TestOutcome& t : outcome->tests) {
    if (t.test->tsan && t.internal_error.empty() && t.repetitions > 0) {
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
      std::vector<Finding> findings = result.findings;
      if (findings.size() > kMaxTsanFindingsPerTest) {
        const std::size_t more = findings.size() - kMaxTsanFindingsPerTest;
        findings.resize(kMaxTsanFindingsPerTest);
        findings.back().evidence +=
            "(and " + std::to_string(more) + " more such reports in this run, not shown)\n";
      }
      for (const Finding& f : findings) {
        t.output += "\nunder ThreadSanitizer: " + std::string(to_string(f.kind)) + ": " +
                    f.message;
        t.findings.push_back(f);
      }
    }
  }
  outcome->advice.insert(outcome->advice.end(), pass->advice.begin(), pass->advice.end());
  return Status::Ok();
}

}  // namespace

Status run_analyses(const Sandbox& sandbox, const LabSpec& lab, const fs::path& submission,
                    const fs::path& scratch, const fs::path& build_dir, GradingOutcome* outcome) {
  if (!outcome->build.ok) {
    return Status::Ok();
  }
  Status s = add_tsan(sandbox, lab, submission, scratch, outcome);
  if (!s.ok()) {
    return s;
  }
  if (lab.advice.clang_tidy) {
    Result<std::vector<Advice>> advice = clang_tidy_advice(sandbox, lab, build_dir);
    if (!advice.ok()) {
      return advice.status();
    }
    outcome->advice.insert(outcome->advice.end(), advice->begin(), advice->end());
  }
  return Status::Ok();
}

}  // namespace ipcgrade
