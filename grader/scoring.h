// Scoring: turns what the harness observed (GradingOutcome) into a Report
// with points, following the lab's rubric: a test earns its points when
// every repetition passed with no finding; otherwise it earns none. A build
// failure scores 0 with the report still complete. A test the grader could
// not run is an `error`, earns nothing, and marks the whole report as an
// internal error (never a student's score).
#pragma once

#include <filesystem>
#include <string>

#include "grader/report.h"
#include "harness/grading.h"
#include "harness/lab_spec.h"

namespace ipcgrade {

struct ReportContext {
  std::string submission;  // as given on the command line
  std::string started_at;  // ISO 8601 UTC
  std::string sandbox_tier;
  std::string sandbox_lacks;  // what the tier lacked (Sandbox::lacking()), "" if nothing
};

Report make_report(const LabSpec& lab, const GradingOutcome& outcome, const ReportContext& ctx);

// A report for a submission that could not be graded at all because the
// grader failed (the reason is kept; the score is meaningless).
Report internal_error_report(const LabSpec& lab, const ReportContext& ctx,
                             const std::string& error);

// The current time as ISO 8601 UTC ("2026-11-21T22:40:00Z").
std::string now_iso8601();

}  // namespace ipcgrade
