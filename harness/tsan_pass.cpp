#include "harness/tsan_pass.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <cstdint>
#include <fstream>
#include <limits>

#include "harness/builder.h"
#include "harness/repro_command.h"
#include "harness/runner.h"
#include "harness/stdin_source.h"
#include "harness/test_request.h"
#include "harness/tsan_report.h"

namespace ipcgrade {
namespace fs = std::filesystem;
namespace {

using namespace std::chrono_literals;

constexpr const char* kTsanCc = "gcc -fsanitize=thread -g -O1";
constexpr const char* kTsanCxx = "g++ -fsanitize=thread -g -O1";
constexpr std::uintmax_t kMaxLogBytes = 4u << 20;        // per log file
constexpr std::uintmax_t kMaxExecutableBytes = 256u << 20;

bool is_make(const std::vector<std::string>& command) {
  if (command.empty()) {
    return false;
  }
  const std::string name = fs::path(command[0]).filename().string();
  return name == "make" || name == "gmake";
}

Advice build_advice(const std::string& why) {
  Advice advice;
  advice.tool = "tsan";
  advice.check = "tsan-build";
  advice.message = "TSan build not possible: " + why +
                   " The tests that ask for ThreadSanitizer were not run under it; nothing "
                   "is deducted for this.";
  return advice;
}

// Reads every TSan log of one run (log_path gives "<prefix>.<pid>" files),
// each capped: the program can write into them too.
std::string read_logs(const fs::path& dir) {
  std::string all;
  std::error_code ec;
  std::vector<fs::path> files;
  for (fs::directory_iterator it(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file(ec)) {
      files.push_back(it->path());
    }
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::string text(kMaxLogBytes, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    all += text + "\n";
  }
  return all;
}

std::string tsan_repro(const TestSpec& t, const fs::path& submission) {
  return "cd " + shell_quote(submission.string()) + " && make -s -B CC=" + shell_quote(kTsanCc) +
         " CXX=" + shell_quote(kTsanCxx) + " && " +
         program_pipeline(t, "TSAN_OPTIONS='halt_on_error=0 second_deadlock_stack=1'") +
         "; make -s -B  # the last step rebuilds without ThreadSanitizer";
}

Limits tsan_limits(const TsanTestPlan& plan) {
  Limits limits = plan.test->limits;
  // No address-space limit: TSan maps terabytes of shadow memory it never
  // touches. The largest value the keeper may set is the grader's own hard
  // limit (a keeper cannot raise it); under a finite one TSan stops at
  // start and the pass says so as advice.
  // TSan wants RLIM_INFINITY itself: under any finite limit it re-executes
  // the program to lift it, which fails.
  // Root may raise a hard limit; anyone else keeps the grader's own.
  std::uint64_t largest = RLIM_INFINITY;
  struct rlimit as;
  if (::geteuid() != 0 && ::getrlimit(RLIMIT_AS, &as) == 0) {
    largest = as.rlim_max;
  }
  limits.memory_bytes = largest;
  // TSan slows a program that waits on locks by 2 to 5 times, one that
  // spins on them by far more. A run cut short is never a finding (its
  // reports so far still count), so the limit follows the graded runs.
  const auto scaled = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::duration<double>(5 * plan.graded_wall_seconds) + 2s);
  limits.wall = std::min(3 * plan.test->limits.wall, scaled);
  limits.cpu = 3 * plan.test->limits.cpu;
  limits.processes = plan.test->limits.processes + 8;  // TSan's background thread
  return limits;
}

}  // namespace

std::vector<std::string> tsan_make_overrides() {
  return {std::string("CC=") + kTsanCc, std::string("CXX=") + kTsanCxx};
}

bool is_tsan_instrumented(const fs::path& executable) {
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(executable, ec);
  if (ec || size > kMaxExecutableBytes) {
    return false;
  }
  std::ifstream in(executable, std::ios::binary);
  std::string bytes(static_cast<std::size_t>(size), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return in.gcount() == static_cast<std::streamsize>(size) &&
         bytes.find("__tsan_init") != std::string::npos;
}

Result<TsanPassOutcome> run_tsan_pass(const Sandbox& sandbox, const LabSpec& lab,
                                      const fs::path& submission, const fs::path& work_dir,
                                      const std::vector<TsanTestPlan>& plan) {
  TsanPassOutcome outcome;
  if (plan.empty()) {
    return outcome;
  }
  if (!is_make(lab.build.command)) {
    outcome.advice.push_back(build_advice("the lab builds with `" + lab.build.command[0] +
                                          "`, not make, so the grader cannot pass it the "
                                          "-fsanitize=thread flags."));
    return outcome;
  }
  LabSpec instrumented = lab;
  for (const std::string& arg : tsan_make_overrides()) {
    instrumented.build.command.push_back(arg);
  }
  const fs::path build_dir = work_dir / "submission";
  Result<BuildOutcome> build = build_submission(sandbox, instrumented, submission, build_dir);
  if (!build.ok()) {
    return build.status().WithContext("building with ThreadSanitizer");
  }
  if (!build->ok) {
    std::string first = first_build_errors(build->output, 3);
    while (!first.empty() && first.back() == '\n') {
      first.pop_back();
    }
    outcome.advice.push_back(build_advice(
        "the build with CC='" + std::string(kTsanCc) + "' failed (" +
        (first.empty() ? std::string("no output") : first) + ")."));
    return outcome;
  }
  std::vector<std::string> plain;  // programs built without TSan
  for (const ProgramSpec& p : lab.programs) {
    if (!is_tsan_instrumented(build_dir / p.name)) {
      plain.push_back(p.name);
    }
  }
  if (!plain.empty()) {
    std::string names;
    for (const std::string& n : plain) {
      names += (names.empty() ? "" : ", ") + n;
    }
    outcome.advice.push_back(build_advice(
        "the Makefile built " + names +
        " without -fsanitize=thread: it ignores `make CC=...`. Use $(CC) (or $(CXX)) in its "
        "rules, and `CC = gcc` rather than `override CC`, so that tools can change the "
        "compiler."));
  }

  int run = 0;
  for (const TsanTestPlan& item : plan) {
    const TestSpec& t = *item.test;
    if (std::find(plain.begin(), plain.end(), t.program) != plain.end()) {
      continue;
    }
    Result<std::string> input = materialize_stdin(t.stdin_spec);
    if (!input.ok()) {
      return input.status();
    }
    const fs::path log_dir = work_dir / ("tsan-logs-" + std::to_string(++run));
    std::error_code ec;
    fs::create_directories(log_dir, ec);
    if (ec) {
      return Status::Internal("cannot create " + log_dir.string() + ": " + ec.message());
    }
    RunRequest req = test_request(t, build_dir, *input);
    req.env.push_back("TSAN_OPTIONS=log_path=" + (log_dir / "tsan").string() +
                      " exitcode=0 halt_on_error=0 second_deadlock_stack=1 detect_deadlocks=1"
                      " history_size=4");
    req.limits = tsan_limits(item);
    Result<RunResult> result = run_sandboxed(sandbox, req);
    if (!result.ok()) {
      return result.status().WithContext("running " + t.name + " under ThreadSanitizer");
    }
    if (result->keeper.setup_errno != 0) {
      // The pass is advice beside the graded runs: a limit this machine
      // will not lift (a grader itself started under `ulimit -v`, say)
      // skips it, and the graded runs still stand.
      Advice skipped;
      skipped.tool = "tsan";
      skipped.check = "tsan-run";
      skipped.message = "ThreadSanitizer could not start ./" + t.program + " for test " + t.name +
                        " on this machine (" + result->keeper.setup_step + ": " +
                        std::strerror(result->keeper.setup_errno) +
                        "); nothing is deducted for this.";
      outcome.advice.push_back(std::move(skipped));
      continue;
    }
    const std::string log = read_logs(log_dir);
    std::vector<TsanReport> reports = parse_tsan_log(log);
    TsanVerdicts verdicts = interpret_tsan_reports(
        reports, TsanContext{t.name, t.program, tsan_repro(t, submission), build_dir});
    TsanTestResult tr;
    tr.test = &t;
    tr.findings = std::move(verdicts.findings);
    for (Advice& a : verdicts.advice) {
      outcome.advice.push_back(std::move(a));
    }
    if (log.find("FATAL: ThreadSanitizer") != std::string::npos ||
        result->stderr_data.find("ERROR: ThreadSanitizer") != std::string::npos ||
        result->stderr_data.find("FATAL: ThreadSanitizer") != std::string::npos) {
      Advice fatal;
      fatal.tool = "tsan";
      fatal.check = "tsan-run";
      fatal.message = "ThreadSanitizer could not run test " + t.name +
                      " on this machine (its runtime stopped); nothing is deducted for this.";
      outcome.advice.push_back(std::move(fatal));
    }
    outcome.tests.push_back(std::move(tr));
  }
  return outcome;
}

}  // namespace ipcgrade
