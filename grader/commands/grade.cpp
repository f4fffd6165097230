// `ipcgrade grade`: grades submissions against one lab, prints a report
// (text or JSON) and stores each graded submission in SQLite.
//
// One bad submission never stops the others: a missing directory is an
// input error for that one, a grader failure an internal error for that one;
// the exit code is the worst seen (3 internal > 2 input > 1 lost points > 0).
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>

#include "grader/cli.h"
#include "grader/commands/command.h"
#include "grader/report_json.h"
#include "grader/scoring.h"
#include "grader/store.h"
#include "grader/text_report.h"
#include "harness/grading.h"
#include "harness/lab_spec.h"
#include "sandbox/sandbox.h"

namespace ipcgrade {
namespace fs = std::filesystem;

namespace {

struct GradeArgs {
  std::string lab;
  std::vector<std::string> submissions;
  std::string db;
  std::string format = "text";
  std::string output;
  std::vector<std::string> tests;
};

int worse(int a, int b) {
  auto rank = [](int c) {
    switch (c) {
      case kExitInternal: return 3;
      case kExitUsage: return 2;
      case kExitLostPoints: return 1;
      default: return 0;
    }
  };
  return rank(a) >= rank(b) ? a : b;
}

int run_grade(const GradeArgs& args, const CliContext& ctx) {
  Result<fs::path> lab_dir = resolve_lab(args.lab, ctx.labs_root);
  if (!lab_dir.ok()) {
    std::cerr << "ipcgrade grade: " << lab_dir.status().message() << "\n";
    return kExitUsage;
  }
  Result<LabSpec> lab = load_lab(lab_dir.value());
  if (!lab.ok()) {
    std::cerr << "ipcgrade grade: " << lab.status().message() << "\n";
    return lab.status().code() == Status::Code::kInternal ? kExitInternal : kExitUsage;
  }
  std::vector<fs::path> hidden = {lab_dir.value()};
  if (!args.db.empty()) {
    hidden.push_back(fs::absolute(args.db).parent_path());
  }
  Result<Sandbox> sandbox = Sandbox::probe(ctx.self_exe, sandbox_options(ctx, hidden));
  if (!sandbox.ok()) {
    if (sandbox.status().code() == Status::Code::kInvalidInput) {  // --isolation full, refused
      std::cerr << "ipcgrade grade: " << sandbox.status().message() << "\n";
      return kExitUsage;
    }
    std::cerr << "ipcgrade grade: internal error: " << sandbox.status().message() << "\n";
    return kExitInternal;
  }
  std::unique_ptr<Store> store;
  if (!args.db.empty()) {
    Result<std::unique_ptr<Store>> opened = Store::open(args.db);
    if (!opened.ok()) {
      std::cerr << "ipcgrade grade: " << opened.status().message() << "\n";
      return opened.status().code() == Status::Code::kInternal ? kExitInternal : kExitUsage;
    }
    store = std::move(opened.value());
  }
  GradeOptions options;
  options.only_tests = args.tests;
  options.shim_path = ctx.shim_path;
  options.lab_argument = args.lab;

  int exit_code = kExitOk;
  std::vector<Report> reports;
  const bool several = args.submissions.size() > 1;
  for (const std::string& submission : args.submissions) {
    ReportContext rctx{submission, now_iso8601(), sandbox->tier(), sandbox->lacking()};
    if (several) {
      std::cerr << "grading " << submission << " ... " << std::flush;
    }
    Result<GradingOutcome> outcome =
        grade_submission(sandbox.value(), lab.value(), submission, options);
    Report report;
    if (!outcome.ok()) {
      if (outcome.status().code() == Status::Code::kInvalidInput) {
        if (several) {
          std::cerr << "skipped\n";
        }
        std::cerr << "ipcgrade grade: " << outcome.status().message() << "\n";
        exit_code = worse(exit_code, kExitUsage);
        continue;
      }
      report = internal_error_report(lab.value(), rctx, outcome.status().message());
    } else {
      report = make_report(lab.value(), outcome.value(), rctx);
    }
    if (report.status != "complete") {
      exit_code = worse(exit_code, kExitInternal);
    } else if (report.score < report.max_score) {
      exit_code = worse(exit_code, kExitLostPoints);
    }
    if (several) {
      std::cerr << report.score << "/" << report.max_score << " ("
                << static_cast<int>(report.duration_seconds * 10) / 10.0 << " s)\n";
    }
    if (store) {
      Result<std::int64_t> saved = store->save(report);
      if (!saved.ok()) {
        std::cerr << "ipcgrade grade: could not store the result of " << submission << ": "
                  << saved.status().message() << "\n";
        exit_code = worse(exit_code, kExitInternal);
      }
    }
    reports.push_back(std::move(report));
  }

  std::string text;
  const bool to_file = !args.output.empty();
  if (args.format == "json") {
    text = reports_to_json(reports).dump(2) + "\n";
  } else {
    TextStyle style{!to_file && colour_wanted(STDOUT_FILENO)};
    if (reports.size() == 1 && !several) {
      text = render_text_report(reports.front(), style);
    } else {
      text = render_summary_table(reports, style);
    }
  }
  if (to_file) {
    std::ofstream out(args.output, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) {
      std::cerr << "ipcgrade grade: cannot write " << args.output << "\n";
      return worse(exit_code, kExitUsage);
    }
  } else {
    std::cout << text << std::flush;
  }
  return exit_code;
}

}  // namespace

void add_grade_command(CLI::App& app, const CliContext& ctx, int* exit_code) {
  auto args = std::make_shared<GradeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "grade",
      "Build and grade submissions against a lab.\n"
      "Exit codes: 0 full marks, 1 a submission lost points, 2 usage or input error,\n"
      "3 internal error of the grader.");
  cmd->add_option("--lab", args->lab, "A shipped lab's name (see `ipcgrade labs`) or a lab folder")
      ->required();
  cmd->add_option("submissions", args->submissions, "Submission directories")->required();
  cmd->add_option("--db", args->db, "SQLite file to store the results in (created if missing)");
  cmd->add_option("--format", args->format, "text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--output", args->output, "Write the report to this file instead of stdout");
  cmd->add_option("--test", args->tests, "Run only this test (repeatable)");
  cmd->callback([args, &ctx, exit_code] { *exit_code = run_grade(*args, ctx); });
}

}  // namespace ipcgrade
