// `ipcgrade labs`: lists the shipped labs with their programs and points.
#include <fmt/format.h>

#include <algorithm>
#include <iostream>

#include "grader/cli.h"
#include "grader/commands/command.h"
#include "harness/lab_spec.h"

namespace ipcgrade {
namespace fs = std::filesystem;

void add_labs_command(CLI::App& app, const CliContext& ctx, int* exit_code) {
  CLI::App* cmd = app.add_subcommand("labs", "List the shipped labs with their programs and points.");
  cmd->callback([&ctx, exit_code] {
    std::vector<fs::path> dirs;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(ctx.labs_root, ec)) {
      if (e.is_directory() && fs::exists(e.path() / "lab.yaml")) {
        dirs.push_back(e.path());
      }
    }
    if (ec) {
      std::cerr << "ipcgrade: cannot read the labs folder " << ctx.labs_root.string() << ": "
                << ec.message() << "\n";
      *exit_code = kExitUsage;
      return;
    }
    std::sort(dirs.begin(), dirs.end());
    std::cout << "Labs in " << ctx.labs_root.string() << ":\n";
    *exit_code = kExitOk;
    for (const fs::path& d : dirs) {
      Result<LabSpec> lab = load_lab(d);
      if (!lab.ok()) {
        std::cout << fmt::format("\n  {:<10} BROKEN: {}\n", d.filename().string(),
                                 lab.status().message());
        *exit_code = kExitUsage;
        continue;
      }
      double hidden_points = 0;
      int hidden = 0;
      for (const TestSpec& t : lab->tests) {
        if (t.hidden) {
          ++hidden;
          hidden_points += t.points;
        }
      }
      std::cout << fmt::format("\n  {:<10} {}\n", lab->name, lab->title);
      std::cout << fmt::format("  {:<10} {} tests ({} hidden), {} points ({} hidden)\n", "",
                               lab->tests.size(), hidden, lab->max_score(), hidden_points);
      for (const ProgramSpec& p : lab->programs) {
        double points = 0;
        int tests = 0;
        for (const TestSpec& t : lab->tests) {
          if (t.program == p.name) {
            points += t.points;
            ++tests;
          }
        }
        std::cout << fmt::format("  {:<10}   {:<12} {:>3} tests {:>5} points  ({})\n", "",
                                 p.name, tests, points, p.sources.empty() ? "-" : p.sources);
      }
    }
  });
}

}  // namespace ipcgrade
