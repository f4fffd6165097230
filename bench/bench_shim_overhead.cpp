// Benchmark, not a test: prints what the shim's faults cost and what they
// find.
//   1. Overhead of the preloaded shim with no fault planned, against a plain
//      run, on a pipe-heavy and a mutex-heavy program (median of many runs;
//      the target is at most 10%); and the cost of `perturb` on the same
//      programs.
//   2. Detection per perturbation strategy: for each buggy program (the
//      race fixtures of tests/harness/shim/fixtures and the known-buggy lab
//      variants that a schedule can expose), how many of N seeded runs fail
//      without perturbation and with each strategy (random, pct, mix).
//   3. Fairness: correct programs (the fixtures' correct modes and the lab
//      references) run many times under the default `perturb` plus `eintr`;
//      the failure count must be 0.
// Usage: bench_shim_overhead [overhead-runs] [detection-runs] [fairness-runs]
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

const char* kShim = IPCGRADE_SHIM_PATH;
const std::string kSource = IPCGRADE_SOURCE_DIR;

struct Outcome {
  int status = -1;  // exit status, 128+S, or -1 if it could not start
  std::string out;
  double ms = 0;
  double cpu_ms = 0;  // user + system time of the whole process tree
};

// Runs argv (killed after limit_s seconds) with extra environment entries;
// stdout goes to a file read back afterwards.
Outcome run(const std::vector<std::string>& argv, const std::vector<std::string>& env_extra,
            const fs::path& out_file, int limit_s = 10) {
  std::vector<std::string> args = {"timeout", "-s", "KILL", std::to_string(limit_s)};
  args.insert(args.end(), argv.begin(), argv.end());
  std::vector<char*> cargs;
  for (auto& a : args) {
    cargs.push_back(a.data());
  }
  cargs.push_back(nullptr);
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string s(*e);
    if (s.rfind("LD_PRELOAD=", 0) != 0 && s.rfind("IPCGRADE_", 0) != 0) {
      env.push_back(s);
    }
  }
  env.insert(env.end(), env_extra.begin(), env_extra.end());
  std::vector<char*> cenv;
  for (auto& e : env) {
    cenv.push_back(e.data());
  }
  cenv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  Outcome o;
  auto t = Clock::now();
  pid_t pid;
  if (posix_spawnp(&pid, "timeout", &fa, nullptr, cargs.data(), cenv.data()) == 0) {
    int st = 0;
    struct rusage ru {};
    while (wait4(pid, &st, 0, &ru) < 0) {
    }
    o.cpu_ms = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
               (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
    o.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  o.ms = std::chrono::duration<double, std::milli>(Clock::now() - t).count();
  posix_spawn_file_actions_destroy(&fa);
  std::ifstream in(out_file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  o.out = s.str();
  return o;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Builds C sources into dir (cc) or a lab folder copy (make).
bool cc(const fs::path& src, const fs::path& out, const fs::path& tmp) {
  Outcome o = run({"cc", "-std=gnu11", "-O2", "-pthread", "-o", out.string(), src.string()}, {},
                  tmp / "cc.out", 120);
  return o.status == 0;
}

bool make_copy(const fs::path& from, const fs::path& to, const fs::path& tmp) {
  fs::create_directories(to);
  fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  Outcome o = run({"make", "-s", "-C", to.string()}, {}, tmp / "make.out", 120);
  return o.status == 0;
}

const char* kPipeHeavy = R"(
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>
int main(void) {
  int p[2]; static char buf[4096];
  if (pipe(p)) return 1;
  if (fork() == 0) { close(p[1]); while (read(p[0], buf, sizeof buf) > 0) {} _exit(0); }
  close(p[0]);
  for (int i = 0; i < 100000; i++) { if (write(p[1], buf, sizeof buf) < 0) return 1; }
  close(p[1]); wait(0); return 0;
}
)";

const char* kMutexHeavy = R"(
#include <pthread.h>
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER; static long c;
static void *w(void *a) { (void)a; for (int i = 0; i < 1000000; i++) {
  pthread_mutex_lock(&m); c++; pthread_mutex_unlock(&m); } return 0; }
int main(void) { pthread_t t[2]; for (int i = 0; i < 2; i++) pthread_create(&t[i], 0, w, 0);
  for (int i = 0; i < 2; i++) pthread_join(t[i], 0); return c == 2000000 ? 0 : 1; }
)";

// A program under test: how to run it and how to tell a right run.
struct Case {
  std::string name;
  fs::path dir;  // IPCGRADE_STUDENT_DIR
  std::vector<std::string> argv;
  std::function<bool(const Outcome&)> right;
  int limit_s = 10;
};

bool exit_zero(const Outcome& o) { return o.status == 0; }

std::function<bool(const Outcome&)> exact(std::string text) {
  return [text](const Outcome& o) { return o.status == 0 && o.out == text; };
}

// prodcons P C N CAP: every item 0..T-1 exactly once, then "done T".
std::function<bool(const Outcome&)> prodcons_right(long total) {
  return [total](const Outcome& o) {
    if (o.status != 0) {
      return false;
    }
    std::vector<long> items;
    std::istringstream in(o.out);
    std::string line;
    bool done = false;
    while (std::getline(in, line)) {
      long j, x;
      if (line == "done " + std::to_string(total)) {
        done = true;
      } else if (std::sscanf(line.c_str(), "%ld %ld", &j, &x) == 2) {
        items.push_back(x);
      }
    }
    std::sort(items.begin(), items.end());
    if (!done || static_cast<long>(items.size()) != total) {
      return false;
    }
    for (long i = 0; i < total; i++) {
      if (items[i] != i) {
        return false;
      }
    }
    return true;
  };
}

int failures(const Case& c, const std::string& faults, int runs, const fs::path& tmp,
             double* ms = nullptr) {
  int failed = 0;
  std::vector<double> times;
  for (int seed = 1; seed <= runs; seed++) {
    std::vector<std::string> env = {"LD_PRELOAD=" + std::string(kShim),
                                    "IPCGRADE_STUDENT_DIR=" + c.dir.string(),
                                    "IPCGRADE_FAULTS=" + faults + (faults.empty() ? "" : ",") +
                                        "seed=" + std::to_string(seed)};
    Outcome o = run(c.argv, env, tmp / "case.out", c.limit_s);
    failed += c.right(o) ? 0 : 1;
    times.push_back(o.ms);
  }
  if (ms != nullptr) {
    *ms = median(times);
  }
  return failed;
}

}  // namespace

int main(int argc, char** argv) {
  int overhead_runs = argc > 1 ? std::atoi(argv[1]) : 15;
  int detect_runs = argc > 2 ? std::atoi(argv[2]) : 20;
  int fair_runs = argc > 3 ? std::atoi(argv[3]) : 50;
  fs::path tmp = fs::temp_directory_path() / ("ipcgrade-bench-shim-" + std::to_string(getpid()));
  fs::create_directories(tmp);
  fs::path fixtures = kSource + "/tests/harness/shim/fixtures";
  fs::path fx = tmp / "fixtures";
  fs::create_directories(fx);
  {
    std::ofstream(tmp / "pipe_heavy.c") << kPipeHeavy;
    std::ofstream(tmp / "mutex_heavy.c") << kMutexHeavy;
  }
  bool ok = cc(tmp / "pipe_heavy.c", fx / "pipe_heavy", tmp) &&
            cc(tmp / "mutex_heavy.c", fx / "mutex_heavy", tmp);
  for (const char* f : {"race_fork_counter", "race_split_rmw", "race_cond_if", "race_pause"}) {
    ok = ok && cc(fixtures / (std::string(f) + ".c"), fx / f, tmp);
  }
  if (!ok) {
    std::fprintf(stderr, "bench_shim_overhead: cannot build the fixtures\n");
    return 1;
  }

  // 1. Overhead.
  std::printf("1. overhead (median of %d interleaved runs; wall ms, and CPU ms of the whole\n"
              "   process tree, which a loaded machine disturbs less)\n",
              overhead_runs);
  std::printf("   %-12s %8s %8s %8s %8s %8s | %8s %8s %8s\n", "program", "plain", "shim", "+%",
              "perturb", "x", "cpu", "cpu shim", "+%");
  for (const char* prog : {"pipe_heavy", "mutex_heavy"}) {
    std::vector<double> plain, shim, pert, plain_cpu, shim_cpu;
    std::string path = (fx / prog).string();
    for (int i = 0; i < overhead_runs; i++) {
      Outcome a = run({path}, {}, tmp / "o.out");
      Outcome b = run({path},
                      {"LD_PRELOAD=" + std::string(kShim), "IPCGRADE_STUDENT_DIR=" + fx.string()},
                      tmp / "o.out");
      plain.push_back(a.ms);
      plain_cpu.push_back(a.cpu_ms);
      shim.push_back(b.ms);
      shim_cpu.push_back(b.cpu_ms);
      pert.push_back(run({path},
                         {"LD_PRELOAD=" + std::string(kShim),
                          "IPCGRADE_STUDENT_DIR=" + fx.string(),
                          "IPCGRADE_FAULTS=perturb,seed=" + std::to_string(i + 1)},
                         tmp / "o.out")
                         .ms);
    }
    double p = median(plain), s = median(shim), q = median(pert);
    double pc = median(plain_cpu), sc = median(shim_cpu);
    std::printf("   %-12s %8.1f %8.1f %+7.1f%% %8.1f %7.2fx | %8.1f %8.1f %+7.1f%%\n", prog, p, s,
                100 * (s - p) / p, q, q / p, pc, sc, 100 * (sc - pc) / pc);
  }

  // The lab programs, built once.
  std::vector<Case> buggy = {
      {"fixture split read-modify-write", fx, {(fx / "race_split_rmw").string(), "split", "2", "200"}, exit_zero},
      {"fixture if around cond_wait", fx, {(fx / "race_cond_if").string(), "if", "200"}, exit_zero},
      {"fixture fork counter, no lock", fx, {(fx / "race_fork_counter").string(), "nolock", "4", "10000"}, exit_zero},
      {"fixture check-then-pause", fx, {(fx / "race_pause").string(), "pause", "20"}, exit_zero, 3},
  };
  std::vector<Case> correct = {
      {"fixture whole read-modify-write", fx, {(fx / "race_split_rmw").string(), "whole", "2", "200"}, exit_zero},
      {"fixture while around cond_wait", fx, {(fx / "race_cond_if").string(), "while", "200"}, exit_zero},
      {"fixture fork counter, locked", fx, {(fx / "race_fork_counter").string(), "locked", "3", "500"}, exit_zero},
      {"fixture sigsuspend ping-pong", fx, {(fx / "race_pause").string(), "sigsuspend", "20"}, exit_zero},
  };
  struct LabCase {
    std::string lab, folder, program;
    std::vector<std::string> args;
    std::function<bool(const Outcome&)> right;
    int limit_s;
  };
  std::vector<LabCase> lab_cases = {
      {"prodcons", "buggy/consumer-if-not-while", "prodcons", {"4", "4", "500", "1"}, prodcons_right(2000), 3},
      {"prodcons", "buggy/take-without-lock", "prodcons", {"4", "4", "500", "1"}, prodcons_right(2000), 3},
      {"prodcons", "buggy/one-condvar-signal", "prodcons", {"4", "4", "500", "1"}, prodcons_right(2000), 3},
      {"shm", "buggy/shmcount-no-lock", "shmcount", {"2", "10000"}, exact("counter 20000\n"), 3},
      {"shm", "buggy/shmcount-mutex-not-pshared", "shmcount", {"8", "1000"}, exact("counter 8000\n"), 3},
      {"signals", "buggy/pingpong-check-then-pause", "pingpong", {"100"}, exact("child: 100\nparent: 100\nchild exited 0\n"), 3},
      {"signals", "buggy/pingpong-no-handshake", "pingpong", {"100"}, exact("child: 100\nparent: 100\nchild exited 0\n"), 3},
      {"prodcons", "solution", "prodcons", {"4", "4", "500", "1"}, prodcons_right(2000), 10},
      {"shm", "solution", "shmcount", {"8", "1000"}, exact("counter 8000\n"), 10},
      {"signals", "solution", "pingpong", {"100"}, exact("child: 100\nparent: 100\nchild exited 0\n"), 10},
  };
  for (const LabCase& lc : lab_cases) {
    fs::path from = kSource + "/labs/" + lc.lab + "/" + lc.folder;
    fs::path to = tmp / "labs" / lc.lab / lc.folder;
    if (!fs::exists(from) || !make_copy(from, to, tmp)) {
      std::printf("   (skipped %s/%s: missing or does not build)\n", lc.lab.c_str(),
                  lc.folder.c_str());
      continue;
    }
    Case c{lc.lab + "/" + lc.folder, to, {(to / lc.program).string()}, lc.right, lc.limit_s};
    c.argv.insert(c.argv.end(), lc.args.begin(), lc.args.end());
    (lc.folder == "solution" ? correct : buggy).push_back(c);
  }

  // 2. Detection.
  std::printf("\n2. detection: failing runs out of %d (seeds 1..%d)\n", detect_runs, detect_runs);
  std::printf("   %-40s %6s %6s %6s %6s\n", "buggy program", "none", "random", "pct", "mix");
  int totals[4] = {0, 0, 0, 0};
  for (const Case& c : buggy) {
    int f[4];
    const char* plans[4] = {"", "perturb=random", "perturb=pct", "perturb=mix"};
    for (int i = 0; i < 4; i++) {
      f[i] = failures(c, plans[i], detect_runs, tmp);
      totals[i] += f[i];
    }
    std::printf("   %-40s %6d %6d %6d %6d\n", c.name.c_str(), f[0], f[1], f[2], f[3]);
    std::fflush(stdout);
  }
  std::printf("   %-40s %6d %6d %6d %6d\n", "total", totals[0], totals[1], totals[2], totals[3]);

  // 3. Fairness and cost on correct programs.
  std::printf("\n3. correct programs under perturb,eintr (default strategy): failures / runs, "
              "median ms without and with\n");
  int all_failed = 0, all_runs = 0;
  for (const Case& c : correct) {
    double plain_ms = 0, pert_ms = 0;
    failures(c, "", std::min(fair_runs, 10), tmp, &plain_ms);
    int f = failures(c, "perturb,eintr", fair_runs, tmp, &pert_ms);
    all_failed += f;
    all_runs += fair_runs;
    std::printf("   %-40s %3d / %-4d %7.1f ms %7.1f ms\n", c.name.c_str(), f, fair_runs, plain_ms,
                pert_ms);
    std::fflush(stdout);
  }
  std::printf("   total: %d failures in %d perturbed runs of correct programs\n", all_failed,
              all_runs);
  std::error_code ignored;
  fs::remove_all(tmp, ignored);
  return all_failed == 0 ? 0 : 1;
}
