// The subcommands of `ipcgrade`, one file each. Every add_*_command registers
// its subcommand on the CLI11 app; when the user picks it, its callback runs
// and stores the process exit code (grader/cli.h) in `*exit_code`.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>

namespace ipcgrade {

// Where things are, found once at start-up.
struct CliContext {
  std::filesystem::path self_exe;   // this binary (it is also the keeper)
  std::filesystem::path labs_root;  // the shipped labs/
  std::filesystem::path shim_path;  // libipcgrade_shim.so
};

void add_grade_command(CLI::App& app, const CliContext& ctx, int* exit_code);
void add_labs_command(CLI::App& app, const CliContext& ctx, int* exit_code);
void add_gen_command(CLI::App& app, const CliContext& ctx, int* exit_code);
void add_validate_command(CLI::App& app, const CliContext& ctx, int* exit_code);
void add_repro_command(CLI::App& app, const CliContext& ctx, int* exit_code);

}  // namespace ipcgrade
