// The ThreadSanitizer pass: for the tests a lab marks `tsan: true`, build a
// second scratch copy of the submission with TSan and run each of those
// tests once more under it, turning TSan's reports into findings
// (harness/tsan_report.h).
//
// Theory of operation
// -------------------
// Build. The submission is copied again (never the first build's folder,
// whose binaries the graded runs used) and built with the lab's build
// command plus make command-line overrides:
//     make CC='gcc -fsanitize=thread -g -O1' CXX='g++ -fsanitize=thread -g -O1'
// A command-line variable beats any plain assignment in the Makefile, and
// putting the flags into CC/CXX (not CFLAGS/LDFLAGS) keeps the student's own
// flags (-pthread, -std=...) and reaches the link step, which make's rules
// and nearly every hand-written rule do with $(CC). A Makefile that names
// gcc directly, uses `override CC`, or a build command that is not make,
// builds a program without TSan: the pass checks each program for the TSan
// runtime (the symbol __tsan_init) and, when it is missing or the build
// fails, says "TSan build not possible" as advice. Never a finding: the
// graded build already built the submission.
//
// Runs. Each chosen test runs once, without the fault library (TSan must be
// the first runtime in the process), with the test's limits except the
// address space (TSan reserves terabytes of shadow memory: no RLIMIT_AS)
// and a wall limit scaled for TSan's slowdown but bounded by how long the
// graded runs took (a run that hung there does not wait out three times
// its limit here). TSAN_OPTIONS sends the reports to a grader-owned folder
// (log_path), so the program's stderr stays its own; exitcode=0 and
// halt_on_error=0 let the run go on after a report: the verdict comes from
// the report files, never from the exit status or the output, which the
// graded runs judged already. TSan does not follow fork() well: labs must
// not ask for it on tests whose programs fork.
//
// Not thread-safe: one pass per grading, on the grading's thread.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/status.h"
#include "harness/advice.h"
#include "harness/finding.h"
#include "harness/lab_spec.h"
#include "sandbox/sandbox.h"

namespace ipcgrade {

// One test to run under TSan, and how long its slowest graded run took.
struct TsanTestPlan {
  const TestSpec* test = nullptr;
  double graded_wall_seconds = 0;
};

struct TsanTestResult {
  const TestSpec* test = nullptr;
  std::vector<Finding> findings;  // race
};

struct TsanPassOutcome {
  std::vector<TsanTestResult> tests;  // in plan order, the tests that ran
  std::vector<Advice> advice;         // build not possible, other report kinds
};

// The make arguments that instrument a build ("CC=gcc -fsanitize=thread ...").
std::vector<std::string> tsan_make_overrides();

// Whether the executable carries the TSan runtime (or links against it).
bool is_tsan_instrumented(const std::filesystem::path& executable);

// Builds `submission` into `work_dir`/submission and runs the planned tests.
// A Status only when the grader failed; everything the submission did is in
// the outcome.
Result<TsanPassOutcome> run_tsan_pass(const Sandbox& sandbox, const LabSpec& lab,
                                      const std::filesystem::path& submission,
                                      const std::filesystem::path& work_dir,
                                      const std::vector<TsanTestPlan>& plan);

}  // namespace ipcgrade
