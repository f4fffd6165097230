// `ipcgrade repro SUBMISSION --lab LAB --test NAME [--seed S]`: runs one test
// of one submission again, exactly as grading ran it, and shows what
// happened. It is the command in every finding's `repro` field.
//
// Without --seed the test runs as graded: every repetition, repetition r
// with fault seed faults.seed + r, so a race shows its pass rate again.
// With --seed S it runs once with fault seed S: the seed of the failing
// repetition that a finding names, so one seeded fault plan is replayed.
//
// Grading goes through grade_submission() on a copy of the lab that holds
// the one test (with --seed: repeat 1, that seed), and the result is shown
// with the ordinary text report, so hidden tests keep their secrets here too.
//
// While each run goes on, the run's shim log is followed
// (harness/shim_log_follower.h) and every record is printed as it is
// appended, one plain line each (harness/shim_record_text.h): the faults
// injected (EINTR, short transfers, stall pauses, perturbation totals) and
// what the shim observed (signal-unsafe calls, objects not shared between
// processes, descriptors leaked into an exec, IPC objects created and
// removed), with the time since the run started, the pid and the program:
//   +0.132s pid 4121 relay: read(fd 0) failed with EINTR (injected, 1 of at most 3 in a row)
// The follower's thread prints them while the grading thread waits for the
// run; it is stopped (and has printed the rest) before the run is judged,
// so the lines of a run always come before the next run's and the report.
// A run that injects a great deal shows its first kLiveLinesPerRun lines
// and counts the rest.
//
// Exit codes: 1 the failure reproduced (the test failed, or the submission
// did not build), 0 the test passed, 2 usage or input error (an unknown test
// is named), 3 internal error of the grader.
#include <fmt/format.h>
#include <time.h>
#include <unistd.h>

#include <iostream>
#include <map>
#include <memory>
#include <optional>

#include "grader/cli.h"
#include "grader/commands/command.h"
#include "grader/scoring.h"
#include "grader/text_report.h"
#include "harness/grading.h"
#include "harness/lab_spec.h"
#include "harness/repro_command.h"
#include "harness/run_judge.h"
#include "harness/shim_log_follower.h"
#include "harness/shim_record_text.h"
#include "harness/stdin_source.h"
#include "harness/yaml_field.h"
#include "sandbox/sandbox.h"

namespace ipcgrade {
namespace fs = std::filesystem;

namespace {

struct ReproArgs {
  std::string submission;
  std::string lab;
  std::string test;
  std::optional<std::uint64_t> seed;
};

std::string stdin_description(const StdinSpec& s) {
  std::string what;
  switch (s.kind) {
    case StdinSpec::Kind::kText:
      what = s.text.empty() ? "empty" : fmt::format("{} bytes of text", s.text.size());
      break;
    case StdinSpec::Kind::kFile:
      what = "the file " + s.file.filename().string();
      break;
    case StdinSpec::Kind::kGenerate:
      what = fmt::format("{} generated {} bytes (seed {})", s.bytes,
                         s.alphabet == StdinSpec::Alphabet::kText ? "text" : "binary", s.seed);
      break;
  }
  if (s.chunk > 0) {
    what += fmt::format(", fed {} bytes at a time", s.chunk);
  }
  return what;
}

std::string faults_description(const FaultPlan& plan) {
  std::string out;
  for (const FaultKind& k : fault_kinds()) {
    if (plan.*k.planned) {
      out += (out.empty() ? "" : ", ") + std::string(k.words);
    }
  }
  return out;
}

// Past this many lines a run's records are counted, not shown: enough for
// any failure to show how it started, few enough to keep the report in
// sight.
constexpr std::size_t kLiveLinesPerRun = 200;

// What the records of one event are, for "(N more not shown: ...)".
std::string record_noun(const std::string& event) {
  static const std::map<std::string, std::string> kNouns = {
      {"eintr", "injected EINTR"},
      {"short-io", "short transfers"},
      {"stall", "stall pauses"},
      {"perturb-summary", "perturbation totals"},
      {"signal-unsafe", "signal-unsafe calls"},
      {"fd-leak", "leaked descriptors"},
      {"ipc-create", "IPC objects created"},
      {"ipc-remove", "IPC objects removed"},
  };
  auto it = kNouns.find(event);
  return it == kNouns.end() ? event : it->second;
}

std::uint64_t monotonic_ns() {
  struct timespec now {};
  ::clock_gettime(CLOCK_MONOTONIC, &now);  // the shim's t= clock
  return static_cast<std::uint64_t>(now.tv_sec) * 1000000000u +
         static_cast<std::uint64_t>(now.tv_nsec);
}

std::string offset_text(std::uint64_t since_ns) {
  return fmt::format("+{:.3f}s", static_cast<double>(since_ns) / 1e9);
}

// The live view of one test's runs: a follower per run, started and
// stopped by grading's run_starting/run_ended, printing to stdout. Used by
// the grading thread; its sink runs on the follower's thread, which never
// overlaps with the grading thread's printing (start prints before the
// follower exists, end after it was joined).
class LiveRuns {
 public:
  LiveRuns(const TestSpec& test, std::uint64_t first_seed)
      : test_(test), first_seed_(first_seed) {
    wording_.hide_names = test.hidden;
  }

  void run_starting(const fs::path& log, int repetition) {
    shown_ = 0;
    not_shown_.clear();
    std::cout << "Run " << repetition + 1;
    if (test_.repeat > 1) {
      std::cout << " of " << test_.repeat;
    }
    if (test_.faults.any()) {
      std::cout << " (fault seed " << first_seed_ + static_cast<std::uint64_t>(repetition) << ")";
    }
    std::cout << ", as it happens:\n" << std::flush;
    started_ns_ = monotonic_ns();
    Result<std::unique_ptr<ShimLogFollower>> follower =
        ShimLogFollower::start(log, [this](const ShimRecord& r) { show(r); });
    if (!follower.ok()) {
      // The run goes on and is judged as always; only the live view is lost.
      std::cout << "  (cannot show it live: " << follower.status().message() << ")\n";
      return;
    }
    follower_ = std::move(follower.value());
  }

  void run_ended() {
    const std::uint64_t ended_ns = monotonic_ns();
    if (!follower_) {
      return;
    }
    ShimLogFollower::Totals totals = follower_->stop();
    follower_.reset();
    std::string end = "  " + offset_text(ended_ns - started_ns_) + " the run ended";
    if (shown_ == 0 && not_shown_.empty()) {
      end += totals.records == 0 ? ": nothing was injected or observed"
                                 : ": nothing injected or observed that is worth a line";
    }
    std::cout << end << "\n";
    if (!not_shown_.empty()) {
      std::string counts;
      std::size_t total = 0;
      for (const auto& [event, n] : not_shown_) {
        counts += (counts.empty() ? "" : ", ") + fmt::format("{} {}", n, record_noun(event));
        total += n;
      }
      std::cout << "  (" << total << " more not shown: " << counts << ")\n";
    }
    if (totals.capped) {
      std::cout << "  (the log reached its size limit: later records were not read)\n";
    }
    std::cout << "\n" << std::flush;
  }

 private:
  void show(const ShimRecord& r) {
    std::optional<std::string> words = describe_shim_record(r, wording_);
    if (!words) {
      return;
    }
    if (shown_ >= kLiveLinesPerRun) {
      ++not_shown_[r.event];
      return;
    }
    ++shown_;
    const std::uint64_t at = r.monotonic_ns != 0 ? r.monotonic_ns : monotonic_ns();
    // The thread too when it is not the main one: threads share the pid.
    std::cout << "  " << offset_text(at > started_ns_ ? at - started_ns_ : 0) << " pid " << r.pid
              << (r.tid != 0 && r.tid != r.pid ? fmt::format(" thread {}", r.tid) : std::string())
              << " " << printable_excerpt(r.prog, 64) << ": " << *words << "\n"
              << std::flush;
  }

  const TestSpec& test_;
  std::uint64_t first_seed_;
  RecordWording wording_;
  std::uint64_t started_ns_ = 0;
  std::unique_ptr<ShimLogFollower> follower_;
  // Follower thread while a run goes on; the grading thread after it was joined.
  std::size_t shown_ = 0;
  std::map<std::string, std::size_t> not_shown_;
};

int run_repro(const ReproArgs& args, const CliContext& ctx) {
  const char* me = "ipcgrade repro: ";
  Result<fs::path> lab_dir = resolve_lab(args.lab, ctx.labs_root);
  if (!lab_dir.ok()) {
    std::cerr << me << lab_dir.status().message() << "\n";
    return kExitUsage;
  }
  Result<LabSpec> loaded = load_lab(lab_dir.value());
  if (!loaded.ok()) {
    std::cerr << me << loaded.status().message() << "\n";
    return loaded.status().code() == Status::Code::kInternal ? kExitInternal : kExitUsage;
  }
  // The lab reduced to the one test, run as asked.
  LabSpec lab = std::move(loaded.value());
  std::vector<std::string_view> names;
  TestSpec* test = nullptr;
  for (TestSpec& t : lab.tests) {
    names.push_back(t.name);
    if (t.name == args.test) {
      test = &t;
    }
  }
  if (test == nullptr) {
    std::cerr << me << "lab " << lab.name << " has no test named '" << args.test << "'"
              << suggestion_text(args.test, names) << " (`ipcgrade labs` lists the labs; the "
              << "test names are in " << lab.file.string() << ")\n";
    return kExitUsage;
  }
  std::error_code ec;
  if (!fs::is_directory(args.submission, ec)) {
    std::cerr << me << args.submission << ": no such submission folder\n";
    return kExitUsage;
  }
  const int graded_repeat = test->repeat;
  const std::uint64_t graded_seed = test->faults.seed;
  if (args.seed) {
    test->repeat = 1;
    test->faults.seed = *args.seed;
  }
  const std::uint64_t first_seed = test->faults.seed;
  TestSpec one = *test;
  lab.tests = {one};

  Result<Sandbox> sandbox = Sandbox::probe(ctx.self_exe);
  if (!sandbox.ok()) {
    std::cerr << me << "internal error: " << sandbox.status().message() << "\n";
    return kExitInternal;
  }
  const TextStyle style{colour_wanted(STDOUT_FILENO)};
  const TestSpec& t = lab.tests.front();

  std::cout << "Reproducing test " << t.name << " of lab " << lab.name << " on "
            << args.submission << "\n";
  if (t.hidden) {
    std::cout << "  (a hidden test: what it runs and what it printed are not shown)\n";
  } else {
    if (!t.description.empty()) {
      std::cout << "  checks   " << t.description << "\n";
    }
    std::string argv = "./" + t.program;
    for (const std::string& a : t.args) {
      argv += " " + shell_quote(a);
    }
    std::cout << "  runs     " << argv << "\n";
    std::cout << "  stdin    " << stdin_description(t.stdin_spec) << "\n";
  }
  if (t.faults.any()) {
    std::cout << "  faults   " << faults_description(t.faults);
    if (args.seed) {
      std::cout << ", seed " << first_seed << " (one run)\n";
    } else if (graded_repeat == 1) {
      std::cout << ", seed " << first_seed << "\n";
    } else {
      std::cout << fmt::format(", seeds {}..{} (one per repetition, as graded)\n", graded_seed,
                               graded_seed + static_cast<std::uint64_t>(graded_repeat) - 1);
    }
  } else if (args.seed) {
    std::cout << "  faults   none: this test injects no faults, so --seed changes nothing"
                 " (one run)\n";
  }
  if (t.repeat > 1) {
    std::cout << "  repeat   " << t.repeat << " runs, as graded\n";
  }
  std::cout << "\n" << std::flush;

  GradeOptions options;
  options.static_advice = false;  // one test again: the findings are what matter
  options.only_tests = {t.name};
  options.shim_path = ctx.shim_path;
  options.lab_argument = args.lab;
  LiveRuns live(t, first_seed);
  options.run_starting = [&live](const fs::path& log, int repetition) {
    live.run_starting(log, repetition);
  };
  options.run_ended = [&live] { live.run_ended(); };
  ReportContext rctx{args.submission, now_iso8601(), sandbox->tier(), sandbox->lacking()};
  Result<GradingOutcome> outcome =
      grade_submission(sandbox.value(), lab, args.submission, options);
  if (!outcome.ok()) {
    std::cerr << me << outcome.status().message() << "\n";
    return outcome.status().code() == Status::Code::kInvalidInput ? kExitUsage : kExitInternal;
  }
  Report report = make_report(lab, outcome.value(), rctx);
  // The findings' own reproduce commands are this command again; only the
  // seed of a failing repetition is news (when all repetitions ran), and
  // the shell form is printed once below.
  for (Finding& f : report.findings) {
    std::string first = f.repro.substr(0, f.repro.find('\n'));
    f.repro = (!args.seed && t.repeat > 1 && first.find(" --seed ") != std::string::npos)
                  ? first
                  : std::string();
  }
  std::cout << render_text_report(report, style);

  if (!t.hidden) {
    std::cout << "\nWithout the grader (shows what the test runs; judges nothing):\n  "
              << shell_repro_command(t, args.submission, ctx.shim_path, first_seed) << "\n";
    if (t.faults.any()) {
      std::cout << "  The faults come from the fault library, as above; `ipcgrade repro` also\n"
                   "  checks the result.\n";
    }
  }

  if (report.status != "complete") {
    std::cout << "\nNot reproduced: the grader failed (" << report.internal_error
              << "); this is not your program's fault.\n";
    return kExitInternal;
  }
  std::string kinds;
  for (const Finding& f : report.findings) {
    std::string k(to_string(f.kind));
    if (kinds.find(k) == std::string::npos) {
      kinds += (kinds.empty() ? "" : ", ") + k;
    }
  }
  const TestReport* tr = report.tests.empty() ? nullptr : &report.tests.front();
  if (!report.build_ok || (tr != nullptr && tr->status == "failed")) {
    std::cout << "\nReproduced: " << t.name << " failed"
              << (tr != nullptr && tr->repetitions > 1
                      ? fmt::format(" ({} of {} runs passed)", tr->passed_repetitions,
                                    tr->repetitions)
                      : std::string())
              << (kinds.empty() ? "" : " with " + kinds) << ".\n";
    return kExitLostPoints;
  }
  std::cout << "\nNot reproduced: " << t.name << " passed"
            << (tr != nullptr && tr->repetitions > 1
                    ? fmt::format(" ({} of {} runs)", tr->passed_repetitions, tr->repetitions)
                    : std::string())
            << ". A failure that comes and goes depends on scheduling: run it again, or run the"
               " whole test as graded (without --seed).\n";
  return kExitOk;
}

}  // namespace

void add_repro_command(CLI::App& app, const CliContext& ctx, int* exit_code) {
  auto args = std::make_shared<ReproArgs>();
  CLI::App* cmd = app.add_subcommand(
      "repro",
      "Run one test of one submission again, as grading ran it (same input, fault plan\n"
      "and seed), and show what happened: the run, the findings with their evidence.\n"
      "Every finding's reproduce command is one of these.\n"
      "Exit codes: 0 the test passed, 1 it failed (the failure reproduced), 2 usage or\n"
      "input error, 3 internal error of the grader.");
  cmd->add_option("submission", args->submission, "The submission folder")->required();
  cmd->add_option("--lab", args->lab, "A shipped lab's name (see `ipcgrade labs`) or a lab folder")
      ->required();
  cmd->add_option("--test", args->test, "The test to run")->required();
  cmd->add_option("--seed", args->seed,
                  "Run once with this fault seed (a finding names the seed of its failing run)");
  cmd->callback([args, &ctx, exit_code] { *exit_code = run_repro(*args, ctx); });
}

}  // namespace ipcgrade
