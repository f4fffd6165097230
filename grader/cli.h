// The command-line interface: parses arguments (CLI11) and runs one
// subcommand. Exit codes, documented in README.md:
//   0  graded, full marks (or a command that succeeded)
//   1  graded, and a submission lost points
//   2  usage error or invalid input (a bad lab.yaml, a missing directory,
//      a database that is not ours)
//   3  internal error: the grader itself failed; no score was produced
#pragma once

namespace ipcgrade {

enum ExitCode { kExitOk = 0, kExitLostPoints = 1, kExitUsage = 2, kExitInternal = 3 };

int run_cli(int argc, char** argv);

}  // namespace ipcgrade
