// Benchmark, not a test: what the fault and schedule machinery does to the
// shipped labs, measured through the grader itself (grade_submission, the
// same code `ipcgrade grade` runs). It prints three tables:
//   1. Fairness: every test of every lab's reference solution, run N times
//      (default 200) with schedule perturbation added to whatever faults
//      the test plans, each run with its own seed. Any failure is a bug of
//      the grader or of the lab; the benchmark exits 1 if it finds one.
//   2. Detection: every known-buggy variant, on each test its variant.yaml
//      names in `caught_by`, run R times (default 20) with the test's own
//      plan minus perturbation and R times plus it: the failure rate of one
//      run each way, and the chance that one grading with the lab's own
//      plan and repetition count catches the variant, 1 - (1 - p)^repeat.
//      Findings that the shim *observes* (signal-unsafe, fd-leak...) are
//      merged over a test's repetitions, so for them the rate is measured
//      over R separate gradings of one run each.
//   3. Hang verdicts: every variant that declares eof-hang or deadlock, run
//      L times (default 10) on its first caught_by test that hangs, straight
//      through the runner with the test's fault plan: how long after the
//      first hung sample the oracle gave its verdict (the hang formed at
//      most one 100 ms sampling interval before that sample), the median
//      over all of them, and how many runs reached the wall clock instead.
//    Then what sampling costs: the grader's CPU time over a run of sleeping
//    programs with the oracle on and off.
// The shim's own overhead is printed by bench_shim_overhead.
//
// Usage: bench_labs_under_faults [--runs N] [--variant-runs R]
//          [--latency-runs L] [--part fairness|detection|latency]... [LAB...]
// LAB defaults to the four shipped labs. Progress goes to stderr, tables to
// stdout.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "base/scratch_dir.h"
#include "harness/builder.h"
#include "harness/grading.h"
#include "harness/lab_spec.h"
#include "harness/test_request.h"
#include "harness/runner.h"
#include "harness/stdin_source.h"
#include "harness/variant_spec.h"
#include "sandbox/sandbox.h"

namespace fs = std::filesystem;
using namespace ipcgrade;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

const TestSpec* find_test(const LabSpec& lab, const std::string& name) {
  for (const TestSpec& t : lab.tests) {
    if (t.name == name) {
      return &t;
    }
  }
  return nullptr;
}

// A copy of the lab whose one test `name` runs `repeat` times with
// perturbation on or off, no ThreadSanitizer pass (it is not a run of the
// test) and the lab's other faults as planned.
LabSpec variant_of_lab(const LabSpec& lab, const std::string& name, int repeat, bool perturb) {
  LabSpec copy = lab;
  copy.tests.clear();
  for (const TestSpec& t : lab.tests) {
    if (t.name == name) {
      TestSpec one = t;
      one.repeat = repeat;
      one.faults.perturb = perturb;
      one.tsan = false;
      copy.tests.push_back(one);
    }
  }
  return copy;
}

struct Tally {
  int runs = 0;
  int failed = 0;
  std::string first_failure;  // kind and message of the first failing run
  std::vector<FindingKind> kinds;
};

// Grades `submission` on the one test, repeat times; counts the runs that
// failed. Observed findings (merged over the runs) count as one failure of
// the grading when no run failed on its own: `observed` says so.
Result<Tally> grade_one(const Sandbox& sandbox, const LabSpec& lab, const fs::path& submission,
                        const std::string& test, int repeat, bool perturb, bool* observed) {
  LabSpec one = variant_of_lab(lab, test, repeat, perturb);
  GradeOptions options;
  options.shim_path = IPCGRADE_SHIM_PATH;
  options.static_advice = false;
  Result<GradingOutcome> g = grade_submission(sandbox, one, submission, options);
  if (!g.ok()) {
    return g.status();
  }
  Tally tally;
  if (!g->build.ok) {
    return Status::Internal(submission.string() + " did not build: " + g->build.output);
  }
  const TestOutcome& o = g->tests.at(0);
  if (!o.internal_error.empty()) {
    return Status::Internal(test + ": " + o.internal_error);
  }
  tally.runs = o.repetitions;
  tally.failed = o.repetitions - o.passed;
  if (observed != nullptr) {
    *observed = tally.failed == 0 && !o.findings.empty();
  }
  for (const Finding& f : o.findings) {
    tally.kinds.push_back(f.kind);
  }
  if (!o.findings.empty()) {
    tally.first_failure =
        fmt::format("[{}] {}", to_string(o.findings.front().kind), o.findings.front().message);
  }
  return tally;
}

std::string percent(int failed, int runs) {
  return runs == 0 ? "-" : fmt::format("{:.1f}%", 100.0 * failed / runs);
}

// ---------------------------------------------------------------- fairness

int fairness(const Sandbox& sandbox, const std::vector<LabSpec>& labs, int runs) {
  std::cout << fmt::format("\n== Fairness: each reference test, {} perturbed runs ==\n", runs);
  std::cout << fmt::format("{:<10} {:<34} {:>6} {:>8} {:>9}\n", "lab", "test", "runs", "failed",
                           "seconds");
  int total_runs = 0;
  int total_failed = 0;
  int errors = 0;
  for (const LabSpec& lab : labs) {
    int lab_runs = 0;
    int lab_failed = 0;
    auto lab_started = Clock::now();
    for (const TestSpec& t : lab.tests) {
      auto started = Clock::now();
      bool observed = false;
      Result<Tally> tally = grade_one(sandbox, lab, lab.dir / "solution", t.name, runs, true,
                                      &observed);
      if (!tally.ok()) {
        std::cout << fmt::format("{:<10} {:<34} grader error: {}\n", lab.name, t.name,
                                 tally.status().message());
        ++errors;
        continue;
      }
      // A finding the shim observed fails the grading even when every run
      // passed on its own: count it as one failed run.
      lab_runs += tally->runs;
      lab_failed += tally->failed + (observed ? 1 : 0);
      std::cout << fmt::format("{:<10} {:<34} {:>6} {:>8} {:>9.1f}\n", lab.name, t.name,
                               tally->runs, tally->failed, since(started));
      if (tally->failed > 0 || !tally->kinds.empty()) {
        std::cout << "    " << tally->first_failure << "\n";
      }
      std::cout << std::flush;
    }
    std::cout << fmt::format("{:<10} {:<34} {:>6} {:>8} {:>9.1f}\n", lab.name, "(all tests)",
                             lab_runs, lab_failed, since(lab_started));
    total_runs += lab_runs;
    total_failed += lab_failed;
  }
  std::cout << fmt::format("references: {} failures in {} perturbed runs ({} grader errors)\n",
                           total_failed, total_runs, errors);
  return total_failed == 0 && errors == 0 ? 0 : 1;
}

// --------------------------------------------------------------- detection

int detection(const Sandbox& sandbox, const std::vector<LabSpec>& labs, int runs) {
  std::cout << fmt::format(
      "\n== Detection: each variant on its caught_by tests, {} runs without and with "
      "perturbation ==\n",
      runs);
  std::cout << fmt::format("{:<10} {:<32} {:<13} {:<28} {:>9} {:>9} {:>6} {:>9}\n", "lab",
                           "variant", "declared", "test", "plain", "perturbed", "repeat",
                           "caught");
  int errors = 0;
  std::vector<std::string> weak;  // a default grading catches them less than 99% of the time
  for (const LabSpec& lab : labs) {
    Result<std::vector<VariantSpec>> variants = load_variants(lab);
    if (!variants.ok()) {
      std::cout << "grader error: " << variants.status().message() << "\n";
      ++errors;
      continue;
    }
    for (const VariantSpec& v : *variants) {
      double best = -1;
      for (const std::string& test : v.caught_by) {
        const TestSpec* spec = find_test(lab, test);
        if (spec == nullptr) {
          continue;
        }
        int failed[2] = {0, 0};
        int total[2] = {0, 0};
        bool broken = false;
        for (int mode = 0; mode < 2 && !broken; ++mode) {
          bool observed = false;
          Result<Tally> t = grade_one(sandbox, lab, v.dir, test, runs, mode == 1, &observed);
          if (t.ok() && observed) {
            // The shim saw it, in some run: measure one run per grading.
            failed[mode] = 0;
            total[mode] = 0;
            for (int i = 0; i < runs && t.ok(); ++i) {
              bool seen = false;
              Result<Tally> once = grade_one(sandbox, lab, v.dir, test, 1, mode == 1, &seen);
              if (!once.ok()) {
                t = once;
                break;
              }
              ++total[mode];
              failed[mode] += (seen || once->failed > 0) ? 1 : 0;
            }
          } else if (t.ok()) {
            failed[mode] = t->failed;
            total[mode] = t->runs;
          }
          if (!t.ok()) {
            std::cout << fmt::format("{:<10} {:<32} {:<28} grader error: {}\n", lab.name, v.name,
                                     test, t.status().message());
            ++errors;
            broken = true;
          }
        }
        if (broken) {
          continue;
        }
        // One grading with the lab's own plan: its repetitions, perturbed
        // or not as the test says.
        const int lab_mode = spec->faults.perturb ? 1 : 0;
        double p = total[lab_mode] == 0 ? 0 : static_cast<double>(failed[lab_mode]) /
                                                  total[lab_mode];
        double caught = 1 - std::pow(1 - p, spec->repeat);
        best = std::max(best, caught);
        std::cout << fmt::format("{:<10} {:<32} {:<13} {:<28} {:>9} {:>9} {:>6} {:>8.1f}%\n",
                                 lab.name, v.name, to_string(v.finding), test,
                                 percent(failed[0], total[0]), percent(failed[1], total[1]),
                                 fmt::format("{}{}", spec->repeat, lab_mode ? "p" : ""),
                                 100 * caught)
                  << std::flush;
      }
      if (best < 0.99) {
        weak.push_back(lab.name + "/" + v.name);
      }
    }
  }
  std::cout << fmt::format(
      "plain/perturbed: the share of single runs that failed; repeat: the lab's repetitions "
      "(p: perturbed); caught: 1-(1-p)^repeat for one grading with the lab's plan.\n"
      "variants one grading catches less than 99% of the time: {}{} ({} grader errors)\n",
      weak.size(), weak.empty() ? "" : " (" + fmt::format("{}", fmt::join(weak, ", ")) + ")",
      errors);
  return errors == 0 ? 0 : 1;
}

// ----------------------------------------------------------------- latency

// The grader's own CPU time (every thread) over one run of `argv`, with the
// hang oracle on or off: the oracle's cost is the difference.
double grader_cpu_seconds(const Sandbox& sandbox, const std::vector<std::string>& argv,
                          bool detect_hangs, double* wall) {
  RunRequest req;
  req.argv = argv;
  req.cwd = fs::temp_directory_path();
  req.env = default_environment(req.cwd);
  req.limits.wall = std::chrono::seconds(30);
  req.detect_hangs = detect_hangs;
  struct rusage before {};
  struct rusage after {};
  getrusage(RUSAGE_SELF, &before);
  auto started = Clock::now();
  Result<RunResult> r = run_sandboxed(sandbox, req);
  *wall = since(started);
  getrusage(RUSAGE_SELF, &after);
  auto secs = [](const struct timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return r.ok() ? secs(after.ru_utime) + secs(after.ru_stime) - secs(before.ru_utime) -
                      secs(before.ru_stime)
                : -1;
}

// What sampling costs while a program runs and nothing hangs: a lone sleep,
// 32 sleeping children of a shell (the oracle stops at the first task that
// is not in an indefinite wait, and starts there next time), and a pipeline
// whose stages are often all blocked on pipes for an instant (the oracle
// walks the whole tree then).
void oracle_cost(const Sandbox& sandbox) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> programs = {
      {"sleep 4", {"/bin/sleep", "4"}},
      {"32 children sleeping 4 s",
       {"/bin/sh", "-c", "for i in $(seq 32); do sleep 4 & done; wait"}},
      {"a 6-stage pipeline moving 2 GiB",
       {"/bin/sh", "-c", "head -c 2G /dev/zero | cat | cat | cat | cat | wc -c"}},
  };
  for (const auto& [what, argv] : programs) {
    double wall_on = 0;
    double wall_off = 0;
    double on = grader_cpu_seconds(sandbox, argv, true, &wall_on);
    double off = grader_cpu_seconds(sandbox, argv, false, &wall_off);
    std::cout << fmt::format(
        "oracle cost, {}: grader CPU {:.3f} s with the oracle, {:.3f} s without, over {:.1f} s: "
        "{:.2f}% of one core\n",
        what, on, off, wall_on, 100 * (on - off) / wall_on);
  }
}

int latency(const Sandbox& sandbox, const std::vector<LabSpec>& labs, int runs) {
  std::cout << fmt::format("\n== Hang verdicts: hanging variants, {} runs each ==\n", runs);
  std::cout << fmt::format("{:<10} {:<32} {:<24} {:>7} {:>9} {:>9} {:>8}\n", "lab", "variant",
                           "test", "verdict", "median s", "max s", "timeout");
  std::vector<double> all;
  int total_timeouts = 0;
  int errors = 0;
  for (const LabSpec& lab : labs) {
    Result<std::vector<VariantSpec>> variants = load_variants(lab);
    if (!variants.ok()) {
      ++errors;
      continue;
    }
    for (const VariantSpec& v : *variants) {
      if ((v.finding != FindingKind::kDeadlock && v.finding != FindingKind::kEofHang) ||
          v.caught_by.empty()) {
        continue;
      }
      Result<ScratchDir> scratch = ScratchDir::create("bench-hang");
      if (!scratch.ok()) {
        ++errors;
        continue;
      }
      fs::path build_dir = scratch->path() / "submission";
      Result<BuildOutcome> build = build_submission(sandbox, lab, v.dir, build_dir);
      if (!build.ok() || !build->ok) {
        std::cout << fmt::format("{:<10} {:<32} grader error: the variant did not build\n",
                                 lab.name, v.name);
        ++errors;
        continue;
      }
      // The first caught_by test that hangs in its first run (some hang
      // only in some schedules); then `runs` runs of it.
      const TestSpec* t = nullptr;
      std::vector<double> mine;
      int timeouts = 0;
      for (const std::string& name : v.caught_by) {
        const TestSpec* candidate = find_test(lab, name);
        Result<std::string> input =
            candidate ? materialize_stdin(candidate->stdin_spec) : Result<std::string>("");
        if (candidate == nullptr || !input.ok()) {
          continue;
        }
        for (int i = 0; i < runs; ++i) {
          // The test's own fault plan, as grading runs it (a lost wake-up
          // hangs only in the schedules perturbation makes).
          RunRequest req = test_request(*candidate, build_dir, *input);
          for (std::string& e : shim_environment(IPCGRADE_SHIM_PATH, build_dir, candidate->faults,
                                                 candidate->faults.seed + i)) {
            req.env.push_back(std::move(e));
          }
          Result<RunResult> r = run_sandboxed(sandbox, req);
          if (!r.ok()) {
            ++errors;
            break;
          }
          if (r->ending == RunResult::Ending::kHang && r->hang) {
            mine.push_back(r->hang->hung_seconds);
          } else if (r->ending == RunResult::Ending::kTimedOut) {
            ++timeouts;
          } else if (i == 0) {
            break;  // did not hang here: try the next test
          }
        }
        if (!mine.empty() || timeouts > 0) {
          t = candidate;
          break;
        }
      }
      if (t == nullptr) {
        std::cout << fmt::format("{:<10} {:<32} no caught_by test hung in its first run\n",
                                 lab.name, v.name);
        continue;
      }
      all.insert(all.end(), mine.begin(), mine.end());
      total_timeouts += timeouts;
      std::sort(mine.begin(), mine.end());
      std::cout << fmt::format("{:<10} {:<32} {:<24} {:>7} {:>9} {:>9} {:>8}\n", lab.name,
                               v.name, t->name, mine.size(),
                               mine.empty() ? "-" : fmt::format("{:.2f}", mine[mine.size() / 2]),
                               mine.empty() ? "-" : fmt::format("{:.2f}", mine.back()), timeouts)
                << std::flush;
    }
  }
  oracle_cost(sandbox);
  std::sort(all.begin(), all.end());
  if (!all.empty()) {
    std::cout << fmt::format(
        "hang verdicts: {} runs, median {:.2f} s after the first hung sample (at most {:.2f} s "
        "after the hang formed), 90th percentile {:.2f} s, slowest {:.2f} s; {} runs reached "
        "the wall clock instead ({} grader errors)\n",
        all.size(), all[all.size() / 2], all[all.size() / 2] + 0.1,
        all[std::min(all.size() - 1, all.size() * 9 / 10)], all.back(), total_timeouts, errors);
  }
  return errors == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"what faults and perturbation do to the shipped labs"};
  int runs = 200;
  int variant_runs = 20;
  int latency_runs = 10;
  std::vector<std::string> parts;
  std::vector<std::string> lab_names;
  app.add_option("--runs", runs, "perturbed runs of each reference test")->check(CLI::PositiveNumber);
  app.add_option("--variant-runs", variant_runs, "runs of each variant per mode")
      ->check(CLI::PositiveNumber);
  app.add_option("--latency-runs", latency_runs, "runs of each hanging variant")
      ->check(CLI::PositiveNumber);
  app.add_option("--part", parts, "fairness, detection or latency (default: all three)")
      ->check(CLI::IsMember({"fairness", "detection", "latency"}))
      ->allow_extra_args(false);
  app.add_option("labs", lab_names, "labs (default: pipes prodcons shm signals)");
  CLI11_PARSE(app, argc, argv);
  if (parts.empty()) {
    parts = {"fairness", "detection", "latency"};
  }
  if (lab_names.empty()) {
    lab_names = {"pipes", "prodcons", "shm", "signals"};
  }
  std::vector<LabSpec> labs;
  for (const std::string& name : lab_names) {
    Result<fs::path> dir = resolve_lab(name, fs::path(IPCGRADE_SOURCE_DIR) / "labs");
    Result<LabSpec> lab = dir.ok() ? load_lab(*dir) : Result<LabSpec>(dir.status());
    if (!lab.ok()) {
      std::cerr << lab.status().message() << "\n";
      return 2;
    }
    labs.push_back(std::move(*lab));
  }
  Result<Sandbox> sandbox = Sandbox::probe(IPCGRADE_BINARY);
  if (!sandbox.ok()) {
    std::cerr << sandbox.status().message() << "\n";
    return 2;
  }
  auto has = [&](const char* p) { return std::find(parts.begin(), parts.end(), p) != parts.end(); };
  int rc = 0;
  auto started = Clock::now();
  if (has("fairness")) {
    rc |= fairness(*sandbox, labs, runs);
  }
  if (has("detection")) {
    rc |= detection(*sandbox, labs, variant_runs);
  }
  if (has("latency")) {
    rc |= latency(*sandbox, labs, latency_runs);
  }
  std::cout << fmt::format("\nbench_labs_under_faults: {:.0f} s in all\n", since(started));
  return rc;
}
