// Advice: a remark on a submission that costs no points. Static analysis
// (clang-tidy, harness/static_advice.h) and the ThreadSanitizer pass
// (harness/tsan_pass.h) produce it: a line of code worth a second look, or a
// note that an analysis could not be made ("clang-tidy is not installed",
// "TSan build not possible"). Unlike a Finding it has no fixed vocabulary of
// kinds and never changes a score; the report shows it beside the findings.
//
// A plain value; `file` is relative to the submission's folder, and empty
// (with line 0) for a note about the whole submission.
#pragma once

#include <string>

namespace ipcgrade {

struct Advice {
  std::string tool;     // "clang-tidy", "tsan"
  std::string check;    // "bugprone-signal-handler", "tsan-build", "thread leak"...
  std::string file;     // relative to the submission; empty: the whole submission
  int line = 0;         // 1-based; 0 with an empty file
  std::string message;  // what to look at and why
};

}  // namespace ipcgrade
