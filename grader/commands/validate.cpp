// `ipcgrade validate LAB`: the lab's self-test (grader/validation.h). Grades
// the reference solution R times and every known-buggy variant once, prints
// a table of verdicts (text or JSON) on stdout and one progress line per
// grading on stderr.
//
// Exit codes, as for `grade`: 0 the reference got full marks every time and
// no variant is a miss; 1 otherwise; 2 a usage error or a broken lab
// (lab.yaml, a variant.yaml, a missing solution folder: the message names
// the file); 3 the grader itself failed.
#include <iostream>
#include <memory>

#include "grader/cli.h"
#include "grader/commands/command.h"
#include "grader/validation.h"
#include "harness/lab_spec.h"
#include "harness/variant_spec.h"
#include "sandbox/sandbox.h"

namespace ipcgrade {
namespace fs = std::filesystem;

namespace {

struct ValidateArgs {
  std::string lab;
  int runs = 20;
  std::vector<std::string> variants;
  bool no_reference = false;
  std::string format = "text";
};

int exit_code_for(const Status& s) {
  return s.code() == Status::Code::kInternal ? kExitInternal : kExitUsage;
}

int run_validate(const ValidateArgs& args, const CliContext& ctx) {
  const char* me = "ipcgrade validate: ";
  Result<fs::path> lab_dir = resolve_lab(args.lab, ctx.labs_root);
  if (!lab_dir.ok()) {
    std::cerr << me << lab_dir.status().message() << "\n";
    return kExitUsage;
  }
  Result<LabSpec> lab = load_lab(lab_dir.value());
  if (!lab.ok()) {
    std::cerr << me << lab.status().message() << "\n";
    return exit_code_for(lab.status());
  }
  // Every variant.yaml is checked even when only some variants are asked
  // for: a broken declaration is the lab's problem either way.
  Result<std::vector<VariantSpec>> all = load_variants(lab.value());
  if (!all.ok()) {
    std::cerr << me << all.status().message() << "\n";
    return exit_code_for(all.status());
  }
  Result<std::vector<VariantSpec>> chosen = select_variants(*all, args.variants, *lab);
  if (!chosen.ok()) {
    std::cerr << me << chosen.status().message() << "\n";
    return kExitUsage;
  }
  std::error_code ec;
  const fs::path solution = lab->dir / "solution";
  if (!args.no_reference && !fs::is_directory(solution, ec)) {
    std::cerr << me << solution.string()
              << ": the lab has no reference solution folder (put one there, or pass "
                 "--no-reference to check only the variants)\n";
    return kExitUsage;
  }
  Result<Sandbox> sandbox = Sandbox::probe(ctx.self_exe, sandbox_options(ctx, {lab_dir.value()}));
  if (!sandbox.ok()) {
    if (sandbox.status().code() == Status::Code::kInvalidInput) {  // --isolation full, refused
      std::cerr << me << sandbox.status().message() << "\n";
      return kExitUsage;
    }
    std::cerr << me << "internal error: " << sandbox.status().message() << "\n";
    return kExitInternal;
  }

  ValidationOptions options;
  options.reference_runs = args.runs;
  options.reference = !args.no_reference;
  options.grade.shim_path = ctx.shim_path;
  options.grade.lab_argument = args.lab;
  options.grade.static_advice = false;  // costs no points: nothing to validate
  options.progress = [](const std::string& line) { std::cerr << line << "\n" << std::flush; };
  ValidationResult result = validate_lab(sandbox.value(), lab.value(), chosen.value(), options);

  if (args.format == "json") {
    std::cout << validation_to_json(result).dump(2) << "\n";
  } else {
    std::cout << render_validation_text(result);
  }
  std::cout << std::flush;
  if (result.internal_error()) {
    return kExitInternal;
  }
  if (result.input_error()) {
    return kExitUsage;
  }
  return result.passed() ? kExitOk : kExitLostPoints;
}

}  // namespace

void add_validate_command(CLI::App& app, const CliContext& ctx, int* exit_code) {
  auto args = std::make_shared<ValidateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "validate",
      "Self-test of a lab, for its authors: grade the reference solution (LAB/solution)\n"
      "R times, requiring full marks every time, and every known-buggy variant\n"
      "(LAB/buggy/*/variant.yaml), requiring each to lose points with the finding it\n"
      "declares. One progress line per grading goes to stderr.\n"
      "Exit codes: 0 the lab passed, 1 the reference lost points or a variant was missed,\n"
      "2 usage error or a broken lab, 3 internal error of the grader.");
  cmd->add_option("lab", args->lab, "A shipped lab's name (see `ipcgrade labs`) or a lab folder")
      ->required();
  cmd->add_option("--runs", args->runs, "Gradings of the reference solution (default 20)")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--variant", args->variants, "Check only this variant (repeatable)");
  cmd->add_flag("--no-reference", args->no_reference, "Do not grade the reference solution");
  cmd->add_option("--format", args->format, "text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->callback([args, &ctx, exit_code] { *exit_code = run_validate(*args, ctx); });
}

}  // namespace ipcgrade
