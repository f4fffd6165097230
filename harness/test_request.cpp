#include "harness/test_request.h"

#include "harness/repro_command.h"

namespace ipcgrade {

RunRequest test_request(const TestSpec& test, const std::filesystem::path& build_dir,
                        const std::string& input) {
  RunRequest req;
  req.argv = {"./" + test.program};
  req.argv.insert(req.argv.end(), test.args.begin(), test.args.end());
  req.cwd = build_dir;
  req.env = default_environment(build_dir);
  req.stdin_data = input;
  req.stdin_chunk = test.stdin_spec.chunk;
  req.stdin_pause = test.stdin_spec.pause;
  req.limits = test.limits;
  return req;
}

std::vector<std::string> shim_environment(const std::filesystem::path& shim,
                                          const std::filesystem::path& build_dir,
                                          const FaultPlan& faults, std::uint64_t seed,
                                          const std::string& plan_extra) {
  std::vector<std::string> env = {"LD_PRELOAD=" + shim.string(),
                                  "IPCGRADE_STUDENT_DIR=" + build_dir.string()};
  if (faults.any()) {
    env.push_back("IPCGRADE_FAULTS=" + fault_plan_text(faults, seed) + plan_extra);
  }
  return env;
}

}  // namespace ipcgrade
