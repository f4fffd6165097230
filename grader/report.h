// Report: the graded result of one submission against one lab, as shown to
// students and instructors and stored in SQLite. A plain value, built by
// scoring.h from what the harness observed; report_json.h turns it into the
// public JSON documented in README.md ("The JSON report").
#pragma once

#include <string>
#include <vector>

#include "harness/advice.h"
#include "harness/finding.h"

namespace ipcgrade {

struct TestReport {
  std::string name;
  std::string program;
  // passed: full points. failed: the student's program lost points.
  // error: the grader could not run or judge it (never the student's fault;
  // the whole report is then incomplete and `ipcgrade grade` exits 3).
  std::string status;
  double score = 0;
  double max_score = 0;
  std::string output;  // a student-facing summary: what happened, excerpts
  bool hidden = false;
  int repetitions = 1;
  int passed_repetitions = 0;
  double wall_seconds = 0;  // of the slowest repetition
};

struct Report {
  std::string lab;              // lab name
  std::string lab_hash;
  std::string submission;       // the path as given
  std::string submission_hash;  // hex digest of the submission's files
  std::string grader_version;
  std::string started_at;       // ISO 8601 UTC
  double duration_seconds = 0;
  std::string sandbox_tier;     // "full" or "reduced" (sandbox/sandbox.h)
  std::string sandbox_lacks;    // what that tier lacked here, "" if nothing
  double score = 0;
  double max_score = 0;
  bool build_ok = false;
  std::string build_output;     // bounded excerpt
  // complete, or internal-error (then `internal_error` says what broke)
  std::string status = "complete";
  std::string internal_error;
  std::vector<TestReport> tests;
  std::vector<Finding> findings;
  // Remarks that cost no points (static analysis, the TSan pass): JSON `advice`.
  std::vector<Advice> advice;
};

}  // namespace ipcgrade
