// Builder: copies a submission into a scratch directory and builds it there
// with the lab's build command, under the sandbox and the build's limits.
//
// The submission is never built in place and never trusted to stay small:
// the copy takes regular files and directories only (no symlinks, devices or
// FIFOs), skips .git, and stops at kMaxFiles files or kMaxBytes bytes. A
// submission without a Makefile gets the lab's starter Makefile. The build's
// output is bounded, and the result names the compiler's first errors.
//
// A failed build is not an error of the grader: it is a BuildOutcome with
// ok == false and a `build` finding. A Status is returned only when the
// grader failed, or the submission directory does not exist (InvalidInput).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "base/status.h"
#include "harness/finding.h"
#include "harness/lab_spec.h"
#include "sandbox/sandbox.h"

namespace ipcgrade {

struct BuildOutcome {
  bool ok = false;
  std::string output;            // bounded: the build's stdout and stderr
  std::optional<Finding> finding;  // the `build` finding when !ok
  std::string files_hash;        // sha256 over the copied files (path, bytes)
  double seconds = 0;
};

struct CopyLimits {
  int max_files = 2000;
  std::uint64_t max_bytes = 64ull << 20;
};

// Copies `submission` into `dest` (created) and hashes what was copied.
// InvalidInput when `submission` is not a directory or is over the limits.
Result<std::string> copy_submission(const std::filesystem::path& submission,
                                    const std::filesystem::path& dest,
                                    const CopyLimits& limits = CopyLimits());

// Copies and builds `submission` into `build_dir` (which must not exist).
Result<BuildOutcome> build_submission(const Sandbox& sandbox, const LabSpec& lab,
                                      const std::filesystem::path& submission,
                                      const std::filesystem::path& build_dir);

// The compiler's first error lines ("file:line:col: error: ...") of a build
// log, at most `max_lines`; the log's last lines when none look like errors.
std::string first_build_errors(const std::string& log, int max_lines = 12);

}  // namespace ipcgrade
