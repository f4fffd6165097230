// The RunRequest for one run of a lab test: the program and its arguments,
// run from the built submission's folder with the default environment, the
// test's input (fed in chunks with pauses if the test says so) and its
// limits; and the fault library's environment for that run. Grading, the
// ThreadSanitizer pass and the benchmarks build their runs here, so a test
// runs the same way wherever it runs. Plain functions; the caller owns the
// request and adds what is its own (the shim's log, TSAN_OPTIONS).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "harness/lab_spec.h"
#include "harness/runner.h"

namespace ipcgrade {

RunRequest test_request(const TestSpec& test, const std::filesystem::path& build_dir,
                        const std::string& input);

// LD_PRELOAD of the shim, IPCGRADE_STUDENT_DIR (faults go only into the
// programs built there) and, when the test plans faults, IPCGRADE_FAULTS
// with the run's seed and `plan_extra` appended (",trace" for repro).
std::vector<std::string> shim_environment(const std::filesystem::path& shim,
                                          const std::filesystem::path& build_dir,
                                          const FaultPlan& faults, std::uint64_t seed,
                                          const std::string& plan_extra = "");

}  // namespace ipcgrade
