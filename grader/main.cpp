// ipcgrade's entry point: dispatches to one subcommand (grader/commands/).
// `__keeper` is internal: the runner re-executes this binary as the keeper
// of one run (sandbox/keeper.h) before any other set-up happens.
#include <cstring>
#include <string>
#include <vector>

#include "grader/cli.h"
#include "harness/run_observer.h"
#include "sandbox/keeper.h"

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "__keeper") == 0) {
    return ipcgrade::keeper_main(std::vector<std::string>(argv + 2, argv + argc),
                                 ipcgrade::sweep_ipc_inside_sandbox);
  }
  return ipcgrade::run_cli(argc, argv);
}
