#include "grader/cli.h"

#include <limits.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "grader/commands/command.h"

namespace ipcgrade {
namespace fs = std::filesystem;

namespace {

CliContext find_context() {
  CliContext ctx;
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  ctx.self_exe = n > 0 ? fs::path(std::string(buf, static_cast<std::size_t>(n))) : fs::path();
  fs::path exe_dir = ctx.self_exe.parent_path();
  std::error_code ec;
  if (const char* env = std::getenv("IPCGRADE_LABS"); env != nullptr && *env != '\0') {
    ctx.labs_root = env;
  } else if (fs::is_directory(exe_dir.parent_path() / "labs", ec)) {
    ctx.labs_root = exe_dir.parent_path() / "labs";  // build/ipcgrade in a checkout
  } else {
    ctx.labs_root = fs::path(IPCGRADE_SOURCE_DIR) / "labs";
  }
  ctx.shim_path = fs::exists(exe_dir / "libipcgrade_shim.so", ec)
                      ? exe_dir / "libipcgrade_shim.so"
                      : fs::path(IPCGRADE_SHIM_PATH);
  return ctx;
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{
      "ipcgrade: an autograder for operating-systems labs on inter-process communication.\n"
      "Builds each submission, runs it under limits and isolation, and explains why an IPC\n"
      "program failed, with a command that reproduces it.\n\n"
      "Exit codes: 0 graded with full marks (or success), 1 a submission lost points,\n"
      "2 usage error or invalid input, 3 internal error of the grader.",
      "ipcgrade"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("ipcgrade ") + IPCGRADE_VERSION);
  CliContext ctx = find_context();
  int exit_code = kExitOk;
  add_grade_command(app, ctx, &exit_code);
  add_labs_command(app, ctx, &exit_code);
  add_gen_command(app, ctx, &exit_code);
  add_validate_command(app, ctx, &exit_code);
  add_repro_command(app, ctx, &exit_code);
  add_doctor_command(app, ctx, &exit_code);
  // One isolation option for every command that runs submissions.
  for (const char* name : {"grade", "validate", "repro"}) {
    app.get_subcommand(name)
        ->add_option("--isolation", ctx.isolation,
                     "isolation tier: auto (the default tier this machine gives), reduced, or\n"
                     "full (an error where the machine cannot give it; see `ipcgrade doctor`)")
        ->envname("IPCGRADE_ISOLATION")
        ->check(CLI::IsMember({"auto", "reduced", "full"}))
        ->capture_default_str()
        // Sandbox::probe() reads the same variable: a command that does not
        // pass its options on still runs the tier asked for.
        ->each([](const std::string& v) { ::setenv("IPCGRADE_ISOLATION", v.c_str(), 1); });
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "ipcgrade: internal error: " << e.what() << "\n";
    return kExitInternal;
  }
  return exit_code;
}

}  // namespace ipcgrade
