#include "harness/repro_command.h"

#include "harness/stdin_source.h"

namespace ipcgrade {
namespace fs = std::filesystem;

std::string fault_plan_text(const FaultPlan& plan, std::uint64_t seed) {
  std::string items;
  for (const FaultKind& k : fault_kinds()) {
    if (plan.*k.planned) {
      items += std::string(k.key) + ",";
    }
  }
  return items + "seed=" + std::to_string(seed);
}

std::string grader_repro_command(const std::string& lab, const fs::path& submission,
                                 const TestSpec& test, std::uint64_t seed) {
  std::string cmd = "ipcgrade repro " + shell_quote(submission.string()) + " --lab " +
                    shell_quote(lab) + " --test " + shell_quote(test.name);
  if (test.faults.any()) {
    cmd += " --seed " + std::to_string(seed);
  }
  return cmd;
}

std::string shell_repro_command(const TestSpec& test, const fs::path& submission,
                                const fs::path& shim, std::uint64_t seed) {
  std::string env;
  if (test.faults.any()) {
    // The fault library injects EINTR and perturbation only into programs
    // under IPCGRADE_STUDENT_DIR (never into cat or sort): the folder we cd'd
    // to, symlinks resolved as /proc/self/exe has them.
    env = "LD_PRELOAD=" + shell_quote(shim.string()) + " IPCGRADE_STUDENT_DIR=\"$(pwd -P)\"" +
          " IPCGRADE_FAULTS=" + fault_plan_text(test.faults, seed);
  }
  return "cd " + shell_quote(submission.string()) + " && make -s && " +
         program_pipeline(test, env) + "; echo \"exit status $?\"";
}

std::string program_pipeline(const TestSpec& test, const std::string& env) {
  std::string cmd = stdin_shell_command(test.stdin_spec) + " | " + env + (env.empty() ? "" : " ") +
                    "./" + test.program;
  for (const std::string& a : test.args) {
    cmd += " " + shell_quote(a);
  }
  return cmd;
}

std::string finding_repro_command(const std::string& lab, const fs::path& submission,
                                  const TestSpec& test, const fs::path& shim,
                                  std::uint64_t seed) {
  std::string shell = shell_repro_command(test, submission, shim, seed);
  if (lab.empty()) {
    return shell;
  }
  return grader_repro_command(lab, submission, test, seed) + "\n# without the grader: " + shell;
}

}  // namespace ipcgrade
