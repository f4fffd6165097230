#include "harness/grading.h"

#include <algorithm>
#include <cstring>
#include <chrono>
#include <fstream>
#include <sstream>

#include "base/scratch_dir.h"
#include "harness/analysis_pass.h"
#include "harness/repro_command.h"
#include "harness/run_observer.h"
#include "harness/run_judge.h"
#include "harness/runner.h"
#include "harness/stdin_source.h"
#include "harness/test_request.h"

namespace ipcgrade {
namespace fs = std::filesystem;

namespace {

Result<std::string> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    return Status::Internal("cannot read " + p.string());
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The expected bytes of a stream given as a file or a trusted command.
Result<std::string> expected_bytes(const Sandbox& sandbox, const OutputExpect& ex,
                                   const std::string& input, const fs::path& cwd) {
  if (ex.kind == OutputExpect::Kind::kFile) {
    return read_file(ex.file);
  }
  RunRequest req;
  req.argv = {"/bin/sh", "-c", ex.value};
  req.cwd = cwd;
  req.env = default_environment(cwd);
  req.stdin_data = input;
  Result<RunResult> r = run_sandboxed(sandbox, req);
  if (!r.ok()) {
    return r.status();
  }
  if (r->ending != RunResult::Ending::kExited) {
    return Status::Internal("the lab's expected-output command `" + ex.value + "` did not finish");
  }
  return r->stdout_data;
}

bool needs_expected(const OutputExpect& ex) {
  return ex.kind == OutputExpect::Kind::kFile || ex.kind == OutputExpect::Kind::kCommand;
}

std::string summarize_run(const RunResult& r, const std::vector<Finding>& findings) {
  std::ostringstream s;
  if (r.ending == RunResult::Ending::kHang) {
    s << "ended by the grader: hung (" << (r.hang ? r.hang->summary : std::string()) << ")";
  } else if (r.ending == RunResult::Ending::kTimedOut) {
    s << "ended by the grader: wall-clock limit";
  } else if (r.ending == RunResult::Ending::kOutputLimit) {
    s << "ended by the grader: output limit";
  } else {
    s << (r.keeper.status ? r.keeper.status->ToString() : std::string("no status"));
  }
  s << "; stdout " << r.stdout_data.size() << " bytes, stderr " << r.stderr_data.size()
    << " bytes; wall " << static_cast<int>(r.wall_seconds * 1000) << " ms";
  if (!r.stderr_data.empty()) {
    s << "\nstderr: \"" << printable_excerpt(r.stderr_data, 300) << "\"";
  }
  for (const Finding& f : findings) {
    s << "\n" << to_string(f.kind) << ": " << f.message;
  }
  return s.str();
}

TestOutcome run_test(const Sandbox& sandbox, const TestSpec& t, const fs::path& build_dir,
                     const fs::path& submission, const GradeOptions& options,
                     const fs::path& log_dir, int* run_counter) {
  TestOutcome outcome;
  outcome.test = &t;
  Result<std::string> input = materialize_stdin(t.stdin_spec);
  if (!input.ok()) {
    outcome.internal_error = input.status().message();
    return outcome;
  }
  // Expected bytes given as a file or a trusted command, computed once.
  std::string expected[2];
  const OutputExpect* streams[2] = {&t.expect.stdout_expect, &t.expect.stderr_expect};
  for (int i = 0; i < 2; ++i) {
    if (needs_expected(*streams[i])) {
      Result<std::string> e = expected_bytes(sandbox, *streams[i], *input, build_dir);
      if (!e.ok()) {
        outcome.internal_error = e.status().message();
        return outcome;
      }
      expected[i] = e.value();
    }
  }

  std::vector<Finding> first_failure;
  int first_failing_rep = -1;
  std::string first_output;
  // What the shim observed (signal-unsafe, not-pshared, fd-leak, ipc-leak),
  // over every repetition: a real bug even when the output was right, so it
  // fails the test, but it does not decide whether a repetition passed (a
  // handler that ran in only some runs is not a scheduling-dependent result).
  std::vector<Finding> observed;
  Symbolizer symbolize = addr2line_symbolizer(sandbox);
  for (int rep = 0; rep < t.repeat; ++rep) {
    std::uint64_t seed = t.faults.seed + static_cast<std::uint64_t>(rep);
    RunRequest req = test_request(t, build_dir, *input);
    // The shim observes every run (its records go to IPCGRADE_LOG); it
    // injects faults only when the test plans some, and only into the
    // submission's own programs (those under IPCGRADE_STUDENT_DIR).
    if (!options.shim_path.empty()) {
      for (std::string& e : shim_environment(options.shim_path, build_dir, t.faults, seed,
                                             options.run_starting ? ",trace" : "")) {
        req.env.push_back(std::move(e));
      }
    }
    Result<RunObserver> observer =
        RunObserver::start(log_dir, "run-" + std::to_string(++*run_counter));
    if (!observer.ok()) {
      outcome.internal_error = observer.status().message();
      return outcome;
    }
    req.env.push_back(observer->log_environment());
    if (options.run_starting) {
      // The observer's environment entry is the one place that names the log.
      const std::string entry = observer->log_environment();
      options.run_starting(entry.substr(entry.find('=') + 1), rep);
    }
    Result<RunResult> run = run_sandboxed(sandbox, req);
    if (options.run_ended) {
      options.run_ended();
    }
    if (!run.ok()) {
      outcome.internal_error = run.status().message();
      return outcome;
    }
    if (run->keeper.setup_errno != 0) {
      outcome.internal_error = "could not start ./" + t.program + " (" + run->keeper.setup_step +
                               ": " + std::strerror(run->keeper.setup_errno) + ")";
      return outcome;
    }
    JudgeInput ji{t,
                  *input,
                  *run,
                  needs_expected(*streams[0]) ? &expected[0] : nullptr,
                  needs_expected(*streams[1]) ? &expected[1] : nullptr,
                  finding_repro_command(options.lab_argument, submission, t,
                                        options.shim_path, seed)};
    std::vector<Finding> findings = judge_run(ji);
    Result<RunObserver::Outcome> seen =
        observer->finish(*run, ObservationContext{t.name, t.program, ji.repro, build_dir, symbolize});
    if (!seen.ok()) {
      outcome.internal_error = seen.status().message();
      return outcome;
    }
    if (!findings.empty() && !seen->events.eintr.empty()) {
      findings.front().evidence += "\ninjected: " + describe_eintr_injections(seen->events);
    }
    merge_findings(observed, seen->findings);
    ++outcome.repetitions;
    outcome.wall_seconds = std::max(outcome.wall_seconds, run->wall_seconds);
    if (findings.empty()) {
      ++outcome.passed;
      if (first_output.empty()) {
        first_output = summarize_run(*run, findings);
      }
    } else if (first_failing_rep < 0) {
      first_failing_rep = rep;
      first_failure = findings;
      first_output = summarize_run(*run, findings);
    }
  }
  outcome.output = first_output;
  if (outcome.passed == outcome.repetitions) {
    merge_findings(outcome.findings, observed);
    return outcome;
  }
  if (outcome.passed == 0) {
    outcome.findings = first_failure;
    merge_findings(outcome.findings, observed);
    return outcome;
  }
  const Finding& what = first_failure.front();
  // Not every disagreement is a schedule's doing. With EINTR or short
  // transfers injected, each repetition has its own fault seed, so runs
  // differ by design: the failing run's own diagnosis (eintr, short-io...)
  // is the one to act on. And detectors that measure (busy-wait) or
  // observe (zombie, orphan, leaks, signal-unsafe) can see a bug in one run
  // and miss it in another: their kind stands too. Only a result that
  // changes between runs of the same input otherwise is a race.
  const bool fault_seeded = t.faults.eintr || t.faults.short_io;
  const bool observed_kinds_only =
      std::all_of(first_failure.begin(), first_failure.end(), [](const Finding& f) {
        switch (f.kind) {
          case FindingKind::kBusyWait:
          case FindingKind::kZombie:
          case FindingKind::kOrphan:
          case FindingKind::kFdLeak:
          case FindingKind::kIpcLeak:
          case FindingKind::kSignalUnsafe:
            return true;
          default:
            return false;
        }
      });
  if (fault_seeded || observed_kinds_only) {
    outcome.findings = first_failure;
    for (Finding& f : outcome.findings) {
      f.evidence += "\n(failed in " + std::to_string(outcome.repetitions - outcome.passed) +
                    " of " + std::to_string(outcome.repetitions) +
                    " runs; first failing run #" + std::to_string(first_failing_rep + 1) +
                    (t.faults.any() ? ", fault seed " +
                                          std::to_string(t.faults.seed + first_failing_rep)
                                    : std::string()) +
                    ")";
    }
    merge_findings(outcome.findings, observed);
    return outcome;
  }
  Finding race;
  race.kind = FindingKind::kRace;
  race.test = t.name;
  race.program = t.program;
  race.message = "The result depends on scheduling: the same test passed in " +
                 std::to_string(outcome.passed) + " of " + std::to_string(outcome.repetitions) +
                 " runs. Look for shared state used without synchronisation, or an order of "
                 "events the program assumes but does not enforce. In the failing run: " +
                 what.message;
  race.evidence = "pass rate " + std::to_string(outcome.passed) + "/" +
                  std::to_string(outcome.repetitions) + "; first failing run #" +
                  std::to_string(first_failing_rep + 1) +
                  (t.faults.any() ? " (fault seed " +
                                        std::to_string(t.faults.seed + first_failing_rep) + ")"
                                  : std::string()) +
                  ": [" + std::string(to_string(what.kind)) + "] " + what.evidence;
  race.repro = what.repro;
  race.failing_kind = what.kind;
  outcome.findings = {race};
  merge_findings(outcome.findings, observed);
  return outcome;
}

}  // namespace

Result<GradingOutcome> grade_submission(const Sandbox& sandbox, const LabSpec& lab,
                                        const fs::path& submission, const GradeOptions& options) {
  auto started = std::chrono::steady_clock::now();
  for (const std::string& name : options.only_tests) {
    bool known = std::any_of(lab.tests.begin(), lab.tests.end(),
                             [&](const TestSpec& t) { return t.name == name; });
    if (!known) {
      return Status::InvalidInput("lab " + lab.name + " has no test named '" + name + "'");
    }
  }
  // Every run is observed through the shim: without it a finding could be
  // missed, which is the grader's failure, never the student's.
  std::error_code ec;
  if (options.shim_path.empty() || !fs::is_regular_file(options.shim_path, ec)) {
    return Status::Internal("the observation library " +
                            (options.shim_path.empty() ? std::string("libipcgrade_shim.so")
                                                       : options.shim_path.string()) +
                            " is missing; rebuild ipcgrade");
  }
  Result<ScratchDir> scratch = ScratchDir::create("ipcgrade-" + lab.name);
  if (!scratch.ok()) {
    return scratch.status();
  }
  fs::path build_dir = scratch->path() / "submission";
  Result<BuildOutcome> build = build_submission(sandbox, lab, submission, build_dir);
  if (!build.ok()) {
    return build.status();
  }
  GradingOutcome outcome;
  outcome.build = build.value();
  int run_counter = 0;
  for (const TestSpec& t : lab.tests) {
    if (!options.only_tests.empty() &&
        std::find(options.only_tests.begin(), options.only_tests.end(), t.name) ==
            options.only_tests.end()) {
      continue;
    }
    if (!outcome.build.ok) {
      TestOutcome skipped;
      skipped.test = &t;
      skipped.output = "not run: the submission did not build";
      outcome.tests.push_back(skipped);
      continue;
    }
    outcome.tests.push_back(run_test(sandbox, t, build_dir, submission, options,
                                     scratch->path() / "shim-logs", &run_counter));
  }
  // Beside the graded runs: the TSan pass and static advice.
  Status analysed =
      run_analyses(sandbox, lab, submission, scratch->path(), build_dir, options.static_advice,
                   &outcome);
  if (!analysed.ok()) {
    return analysed;
  }
  outcome.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return outcome;
}

}  // namespace ipcgrade
