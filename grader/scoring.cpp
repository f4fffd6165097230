#include "grader/scoring.h"

#include <algorithm>
#include <ctime>

namespace ipcgrade {

namespace {

Report base_report(const LabSpec& lab, const ReportContext& ctx) {
  Report r;
  r.lab = lab.name;
  r.lab_hash = lab.hash;
  r.submission = ctx.submission;
  r.grader_version = IPCGRADE_VERSION;
  r.started_at = ctx.started_at;
  r.sandbox_tier = ctx.sandbox_tier;
  r.sandbox_lacks = ctx.sandbox_lacks;
  r.max_score = lab.max_score();
  return r;
}

}  // namespace

std::string now_iso8601() {
  std::time_t t = std::time(nullptr);
  std::tm tm;
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Report make_report(const LabSpec& lab, const GradingOutcome& outcome, const ReportContext& ctx) {
  Report r = base_report(lab, ctx);
  r.submission_hash = outcome.build.files_hash;
  r.duration_seconds = outcome.seconds;
  r.build_ok = outcome.build.ok;
  r.build_output = outcome.build.output;
  if (outcome.build.finding) {
    r.findings.push_back(*outcome.build.finding);
  }
  r.max_score = 0;
  for (const TestOutcome& t : outcome.tests) {
    TestReport tr;
    tr.name = t.test->name;
    tr.program = t.test->program;
    tr.max_score = t.test->points;
    tr.hidden = t.test->hidden;
    tr.repetitions = std::max(t.repetitions, 1);
    tr.passed_repetitions = t.passed;
    tr.wall_seconds = t.wall_seconds;
    tr.output = t.output;
    if (!t.internal_error.empty()) {
      tr.status = "error";
      tr.output = "the grader could not run this test: " + t.internal_error;
      r.status = "internal-error";
      r.internal_error += (r.internal_error.empty() ? "" : "; ") + t.test->name + ": " +
                          t.internal_error;
    } else if (outcome.build.ok && t.findings.empty() && t.passed == t.repetitions &&
               t.repetitions > 0) {
      tr.status = "passed";
      tr.score = t.test->points;
    } else {
      tr.status = "failed";
    }
    r.score += tr.score;
    r.max_score += tr.max_score;
    r.tests.push_back(tr);
    r.findings.insert(r.findings.end(), t.findings.begin(), t.findings.end());
  }
  r.advice = outcome.advice;
  return r;
}

Report internal_error_report(const LabSpec& lab, const ReportContext& ctx,
                             const std::string& error) {
  Report r = base_report(lab, ctx);
  r.status = "internal-error";
  r.internal_error = error;
  return r;
}

}  // namespace ipcgrade
