// Validation: the self-test of a lab (`ipcgrade validate`), mutation testing
// for lab authors. It answers two questions with the grader itself:
//   1. Is the lab fair? Its reference solution (LAB/solution) must get full
//      marks, with no finding, on every one of R gradings.
//   2. Does it detect? Every known-buggy variant (LAB/buggy/<v>/ with its
//      variant.yaml) must lose points with the finding kind it declares.
//
// Grading goes through grade_submission() and make_report(), exactly as
// `ipcgrade grade` does: this file only compares what they give with what
// the variants declare. Verdicts for a variant:
//   caught   lost points with its declared `finding` (for a variant still
//            marked `pending`, the report says the mark can be cleared);
//   interim  pending, and lost points with its `interim_finding`;
//   pending  pending, and not caught with either kind: listed with the
//            reason, never counted as caught, not a failure;
//   miss     not pending and not caught with its declared kind (full marks,
//            or points lost only to other kinds): the lab fails validation;
//   error    the grader failed on it (an internal error, never a verdict).
//
// Plain values and free functions; validate_lab() runs gradings one after
// another on the calling thread.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/status.h"
#include "grader/report.h"
#include "harness/grading.h"
#include "harness/lab_spec.h"
#include "harness/variant_spec.h"
#include "sandbox/sandbox.h"

namespace ipcgrade {

struct ValidationOptions {
  int reference_runs = 20;         // gradings of the reference solution
  bool reference = true;           // false: skip the reference (--no-reference)
  std::vector<std::string> only_variants;  // empty: every variant
  GradeOptions grade;              // as for `ipcgrade grade` (shim path)
  // Called once per grading when it ends, with one line of progress
  // ("reference 3/20: 65/65 in 3.2 s"). May be empty.
  std::function<void(const std::string&)> progress;
};

// One test of the reference that failed in at least one grading.
struct ReferenceFailure {
  std::string test;    // empty for a build failure
  int failed_runs = 0;
  Finding first;       // the first finding it gave
};

struct ReferenceResult {
  bool ran = false;            // false with --no-reference
  std::filesystem::path dir;
  int runs = 0;                // gradings done
  int full_marks = 0;          // of them, full marks with no finding
  double slowest_seconds = 0;  // slowest whole grading, build included
  std::string slowest_test;    // the test with the slowest repetition over all runs
  double slowest_test_seconds = 0;
  double slowest_test_limit = 0;  // its wall-clock limit, in seconds
  std::vector<ReferenceFailure> failures;  // in the lab's test order
  std::string internal_error;  // non-empty: the grader failed
  std::string input_error;     // non-empty: the solution folder cannot be graded
  bool passed() const {
    return !ran || (internal_error.empty() && input_error.empty() && full_marks == runs);
  }
};

enum class VariantVerdict { kCaught, kInterim, kPending, kMiss, kError };
std::string_view to_string(VariantVerdict verdict);

// The tests that gave one finding kind.
struct KindFound {
  FindingKind kind = FindingKind::kWrongOutput;
  std::vector<std::string> tests;  // in report order, no duplicates; "" for build
  int count = 0;                   // findings of this kind
};

struct VariantResult {
  VariantSpec spec;
  VariantVerdict verdict = VariantVerdict::kMiss;
  double score = 0;
  double max_score = 0;
  double seconds = 0;
  std::vector<KindFound> found;  // in order of first appearance
  // The kind that earned the verdict (declared or interim), when caught.
  std::optional<FindingKind> matched;
  // Whether a `caught_by` test gave the matched kind; nullopt when the
  // variant declares no caught_by or was not caught.
  std::optional<bool> by_declared_tests;
  std::vector<std::string> notes;  // for the lab author, never failures
  std::string internal_error;  // with kError: the grader failed on it
  std::string input_error;     // with kError: its folder cannot be graded
};

struct ValidationResult {
  std::string lab;
  std::filesystem::path lab_dir;
  int reference_runs_asked = 0;
  ReferenceResult reference;
  std::vector<VariantResult> variants;
  double seconds = 0;

  int count(VariantVerdict verdict) const;
  bool internal_error() const;
  bool input_error() const;  // a folder that cannot be graded (too large...)
  // The reference got full marks every time and no variant is a miss.
  bool passed() const;
};

// Picks the variants to validate: all of them, or those named (an unknown
// name is InvalidInput listing the known ones).
Result<std::vector<VariantSpec>> select_variants(const std::vector<VariantSpec>& all,
                                                 const std::vector<std::string>& names,
                                                 const LabSpec& lab);

// The verdict for one graded variant (a complete report), with its
// found kinds and notes. Pure: no grading happens here.
VariantResult judge_variant(const VariantSpec& spec, const Report& report);

// Grades the reference R times and every given variant once.
ValidationResult validate_lab(const Sandbox& sandbox, const LabSpec& lab,
                              const std::vector<VariantSpec>& variants,
                              const ValidationOptions& options);

// The terminal table and the machine form (keys only ever added).
std::string render_validation_text(const ValidationResult& result);
nlohmann::json validation_to_json(const ValidationResult& result);

}  // namespace ipcgrade
