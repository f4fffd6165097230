// VariantSpec: one known-buggy variant of a lab's reference solution, from
// labs/<lab>/buggy/<variant>/variant.yaml. Each is one realistic student
// mistake and declares the finding the grader must report for it.
//
//   description: "the child keeps the pipe's write end open"
//   finding: eof-hang            # the kind it must produce
//   caught_by: [relay-cat-1byte] # tests expected to catch it (optional)
//   interim_finding: timeout     # accepted until `pending` work lands
//   pending: "needs the hang oracle (issue 4)"
//
// A variant folder holds a complete submission (sources and Makefile).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "harness/finding.h"
#include "harness/lab_spec.h"

namespace ipcgrade {

struct VariantSpec {
  std::string name;            // the folder's name
  std::filesystem::path dir;   // the submission to grade
  std::string description;
  FindingKind finding = FindingKind::kWrongOutput;
  std::vector<std::string> caught_by;
  std::optional<FindingKind> interim_finding;
  std::string pending;         // empty when the grader can catch it today
};

// Every variant under lab.dir/buggy, sorted by name. Errors name the file.
Result<std::vector<VariantSpec>> load_variants(const LabSpec& lab);

}  // namespace ipcgrade
