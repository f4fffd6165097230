// Grading one submission against one lab: build it in a scratch copy, then
// run every test (each repetition) under the sandbox and judge each run.
// Produces TestOutcomes; scoring (grader/scoring.h) turns them into points.
//
// Repetitions: a test asked to run R times is judged on every run. If all
// runs agree, the test's findings are those of its first failing run. If
// some pass and some fail, the result depends on scheduling: one `race`
// finding with the pass rate, the first failing repetition (and its fault
// seed) and what that run got wrong. Two exceptions keep the failing run's
// own findings (with the pass rate added): tests that inject EINTR or short
// transfers (each repetition has its own fault seed, so runs differ by
// design), and failures made only of measured or observed kinds (busy-wait,
// zombie, orphan, fd-leak, ipc-leak, signal-unsafe), which one run can show
// and another miss.
//
// Observations: every run is preloaded with the shim and gets its own empty
// log (IPCGRADE_LOG, in the scratch folder); harness/run_observer.h reads it
// after the run and adds signal-unsafe, race (not-pshared), fd-leak and
// ipc-leak findings after the judge's own (a hang or crash stays first),
// once per test, over all repetitions. They fail the test even when the
// output was right, but do not decide whether a repetition passed, so they
// never turn into a `race` of their own. A missing shim is an internal
// error.
//
// Internal failures (the keeper could not start, a lab file vanished) stop
// nothing: the test is marked as an error with the reason, and the caller
// reports the grading as incomplete — never as the student's failure.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "harness/advice.h"
#include "harness/builder.h"
#include "harness/finding.h"
#include "harness/lab_spec.h"
#include "sandbox/sandbox.h"

namespace ipcgrade {

struct GradeOptions {
  std::vector<std::string> only_tests;  // empty: every test
  std::filesystem::path shim_path;      // the fault and observation library (LD_PRELOAD); required
  // How the user named the lab (`--lab` of the `ipcgrade repro` command in
  // each finding, harness/repro_command.h); empty: the shell form only.
  std::string lab_argument;
  // clang-tidy's advice on the sources (when the lab asks for it). Off where
  // nobody reads it: `validate` (which grades the same sources many times)
  // and `repro` (which re-runs one test).
  bool static_advice = true;
  // A live view of the runs (`ipcgrade repro`, with harness/shim_log_follower.h):
  // run_starting is called just before each run of a test starts, with
  // the run's shim log (created, empty) and its repetition (0-based);
  // run_ended just after that run ended, before it is judged. A watched
  // run's fault plan also has the shim's `trace` item, which logs short
  // transfers, stall pauses and perturbation totals too (bounded; no fault
  // decision changes). Unset (the default): nothing is called and nothing
  // more is logged.
  std::function<void(const std::filesystem::path& log, int repetition)> run_starting;
  std::function<void()> run_ended;
};

struct TestOutcome {
  const TestSpec* test = nullptr;
  int repetitions = 0;
  int passed = 0;
  std::vector<Finding> findings;
  std::string output;        // student-facing summary of what happened
  double wall_seconds = 0;   // the slowest repetition
  std::string internal_error;  // non-empty: the grader failed on this test
};

struct GradingOutcome {
  BuildOutcome build;
  std::vector<TestOutcome> tests;
  // Remarks that cost no points: static analysis, the ThreadSanitizer pass
  // (harness/analysis_pass.h).
  std::vector<Advice> advice;
  double seconds = 0;
};

Result<GradingOutcome> grade_submission(const Sandbox& sandbox, const LabSpec& lab,
                                        const std::filesystem::path& submission,
                                        const GradeOptions& options);

}  // namespace ipcgrade
