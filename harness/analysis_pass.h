// The analyses that run beside the graded runs of one submission, once its
// tests are done: the ThreadSanitizer pass (harness/tsan_pass.h) for the
// tests a lab marks `tsan: true`, whose race and deadlock findings join
// those tests' outcomes (so the tests fail), and static advice
// (harness/static_advice.h) when the lab's `advice.clang_tidy` is on. Both
// add advice to the GradingOutcome; advice never changes a score.
//
// Called by grade_submission on its own thread, after the tests loop.
#pragma once

#include <filesystem>

#include "base/status.h"
#include "harness/grading.h"
#include "harness/lab_spec.h"
#include "sandbox/sandbox.h"

namespace ipcgrade {

// `scratch` is the grading's scratch folder (the TSan copy goes in a new
// folder under it); `build_dir` is the graded build (static advice reads its
// sources; only with `static_advice` and when the lab asks for it). A
// Status only when the grader failed.
Status run_analyses(const Sandbox& sandbox, const LabSpec& lab,
                    const std::filesystem::path& submission, const std::filesystem::path& scratch,
                    const std::filesystem::path& build_dir, bool static_advice,
                    GradingOutcome* outcome);

}  // namespace ipcgrade
