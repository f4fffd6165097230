// Benchmark, not a test: prints what the grader's machinery costs.
//   1. One run of a command under the sandbox (keeper, pipes, Asio loop)
//      against the same command started directly (posix_spawn + waitpid),
//      median and 90th percentile of many runs.
//   2. The time to grade one `pipes` submission (the reference solution,
//      every test), median of several gradings.
// Usage: bench_runner_overhead [runs] [gradings]
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "harness/grading.h"
#include "harness/lab_spec.h"
#include "harness/runner.h"

extern char** environ;
using namespace ipcgrade;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

struct Stats {
  double median, p90;
};

Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v[v.size() * 9 / 10]};
}

double run_direct(const char* const argv[]) {
  auto t = Clock::now();
  pid_t pid;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  if (posix_spawn(&pid, argv[0], &fa, nullptr, const_cast<char* const*>(argv), environ) != 0) {
    std::perror("posix_spawn");
    std::exit(1);
  }
  int st;
  waitpid(pid, &st, 0);
  posix_spawn_file_actions_destroy(&fa);
  return ms_since(t);
}

}  // namespace

int main(int argc, char** argv) {
  int runs = argc > 1 ? std::atoi(argv[1]) : 300;
  int gradings = argc > 2 ? std::atoi(argv[2]) : 5;
  Result<Sandbox> sandbox = Sandbox::probe(IPCGRADE_BINARY);
  if (!sandbox.ok()) {
    std::fprintf(stderr, "%s\n", sandbox.status().message().c_str());
    return 1;
  }
  const char* const cmd[] = {"/bin/true", nullptr};
  std::vector<double> direct, sandboxed;
  for (int i = 0; i < runs; ++i) {
    direct.push_back(run_direct(cmd));
    RunRequest r;
    r.argv = {"/bin/true"};
    r.cwd = "/tmp";
    r.env = default_environment("/tmp");
    auto t = Clock::now();
    Result<RunResult> res = run_sandboxed(sandbox.value(), r);
    sandboxed.push_back(ms_since(t));
    if (!res.ok()) {
      std::fprintf(stderr, "%s\n", res.status().message().c_str());
      return 1;
    }
  }
  Stats d = stats(direct), s = stats(sandboxed);
  std::printf("per-run cost of /bin/true over %d runs (ms):\n", runs);
  std::printf("  direct (posix_spawn+waitpid)  median %7.3f   p90 %7.3f\n", d.median, d.p90);
  std::printf("  under the sandbox (keeper)    median %7.3f   p90 %7.3f\n", s.median, s.p90);
  std::printf("  grader overhead per test run  median %7.3f ms\n", s.median - d.median);

  Result<LabSpec> lab = load_lab(std::string(IPCGRADE_SOURCE_DIR) + "/labs/pipes");
  if (!lab.ok()) {
    std::fprintf(stderr, "%s\n", lab.status().message().c_str());
    return 1;
  }
  int test_runs = 0;
  for (const TestSpec& t : lab->tests) {
    test_runs += t.repeat;
  }
  std::vector<double> grades;
  GradeOptions opts;
  opts.shim_path = IPCGRADE_SHIM_PATH;
  for (int i = 0; i < gradings; ++i) {
    auto t = Clock::now();
    Result<GradingOutcome> g = grade_submission(
        sandbox.value(), lab.value(), std::string(IPCGRADE_SOURCE_DIR) + "/labs/pipes/solution",
        opts);
    grades.push_back(ms_since(t));
    if (!g.ok()) {
      std::fprintf(stderr, "%s\n", g.status().message().c_str());
      return 1;
    }
  }
  Stats g = stats(grades);
  std::printf("grading the pipes reference (build + %zu tests, %d runs), %d gradings (ms):\n",
              lab->tests.size(), test_runs, gradings);
  std::printf("  median %8.1f   p90 %8.1f\n", g.median, g.p90);
  return 0;
}
