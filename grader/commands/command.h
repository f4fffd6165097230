// The subcommands of `ipcgrade`, one file each. Every add_*_command registers
// its subcommand on the CLI11 app; when the user picks it, its callback runs
// and stores the process exit code (grader/cli.h) in `*exit_code`.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "sandbox/sandbox.h"

namespace ipcgrade {

// Where things are, found once at start-up.
struct CliContext {
  std::filesystem::path self_exe;   // this binary (it is also the keeper)
  std::filesystem::path labs_root;  // the shipped labs/
  std::filesystem::path shim_path;  // libipcgrade_shim.so
  // --isolation of grade, validate and repro (or IPCGRADE_ISOLATION):
  // "auto", "reduced" or "full" (sandbox/sandbox.h).
  std::string isolation = "auto";
};

// The sandbox options of a command that runs submissions: the tier asked
// for, and the folders that must stay invisible inside (the lab, the
// database's folder).
inline SandboxOptions sandbox_options(const CliContext& ctx,
                                      std::vector<std::filesystem::path> hidden) {
  SandboxOptions o;
  o.isolation = parse_isolation_choice(ctx.isolation).value_or(IsolationChoice::kAuto);
  o.hidden = std::move(hidden);
  return o;
}

void add_grade_command(CLI::App& app, const CliContext& ctx, int* exit_code);
void add_labs_command(CLI::App& app, const CliContext& ctx, int* exit_code);
void add_gen_command(CLI::App& app, const CliContext& ctx, int* exit_code);
void add_validate_command(CLI::App& app, const CliContext& ctx, int* exit_code);
void add_repro_command(CLI::App& app, const CliContext& ctx, int* exit_code);
void add_doctor_command(CLI::App& app, const CliContext& ctx, int* exit_code);

}  // namespace ipcgrade
