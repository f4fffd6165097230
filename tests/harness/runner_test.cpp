#include "harness/runner.h"

#include <signal.h>

#include <catch2/catch.hpp>

#include "tests/harness/temp_dir.h"
#include "tests/support/proc_scan.h"

using namespace ipcgrade;
using Catch::Matchers::Contains;

namespace {

const Sandbox& test_sandbox() {
  static Sandbox s = Sandbox::probe(IPCGRADE_BINARY).value();
  return s;
}

RunResult run_sh(const std::string& script, const std::string& input = "",
                 Limits limits = Limits()) {
  RunRequest r;
  r.argv = {"/bin/sh", "-c", script};
  r.cwd = "/tmp";
  r.env = default_environment("/tmp");
  r.stdin_data = input;
  r.limits = limits;
  Result<RunResult> res = run_sandboxed(test_sandbox(), r);
  REQUIRE(res.ok());
  return res.value();
}

}  // namespace

TEST_CASE("a program's stdout, stderr and exit code are captured", "[harness][runner]") {
  RunResult r = run_sh("echo out; echo err >&2; exit 3");
  CHECK(r.ending == RunResult::Ending::kExited);
  REQUIRE(r.keeper.status.has_value());
  CHECK(*r.keeper.status == WaitStatus::Exited(3));
  CHECK(r.stdout_data == "out\n");
  CHECK(r.stderr_data == "err\n");
  CHECK(r.keeper.zombies.empty());
  CHECK(r.keeper.orphans.empty());
}

TEST_CASE("stdin far beyond a pipe buffer reaches the program intact", "[harness][runner]") {
  std::string input(8 << 20, '\0');
  for (size_t i = 0; i < input.size(); ++i) {
    input[i] = static_cast<char>((i * 2654435761u) >> 13);
  }
  RunResult r = run_sh("cat", input);
  CHECK(r.stdout_data.size() == input.size());
  CHECK(r.stdout_data == input);
  CHECK(r.stdin_written == input.size());
}

TEST_CASE("a program that never reads its stdin cannot block the grader", "[harness][runner]") {
  RunResult r = run_sh("echo done", std::string(4 << 20, 'x'));
  CHECK(r.ending == RunResult::Ending::kExited);
  CHECK(r.stdout_data == "done\n");
  CHECK(r.stdin_written < (4u << 20));
}

TEST_CASE("a program past its wall-clock limit is ended and leaves nothing behind",
          "[harness][runner]") {
  Limits l;
  l.wall = std::chrono::milliseconds(300);
  RunResult r = run_sh("echo started; sleep 4241; echo never", "", l);
  CHECK(r.ending == RunResult::Ending::kTimedOut);
  CHECK(r.keeper.stopped_on_request);
  CHECK(r.stdout_data == "started\n");
  CHECK(r.wall_seconds < 0.3 + 0.5);
  CHECK(testing::processes_with_marker("sleep 4241").empty());
}

TEST_CASE("an output flood is cut at the cap and ends the run", "[harness][runner]") {
  Limits l;
  l.output_bytes = 1 << 20;
  RunResult r = run_sh("yes flood", "", l);
  CHECK(r.ending == RunResult::Ending::kOutputLimit);
  CHECK(r.stdout_truncated);
  CHECK(r.stdout_data.size() == (1u << 20));
}

TEST_CASE("children still running when the program ends are orphans, and are killed",
          "[harness][runner]") {
  RunResult r = run_sh("sleep 4242 & setsid sleep 4243 & echo bye");
  CHECK(r.stdout_data == "bye\n");
  REQUIRE(r.keeper.orphans.size() == 2);
  // The name is read from /proc just before the sweep: "sleep 4242", or
  // "[sleep]" when only the name could be read.
  CHECK_THAT(r.keeper.orphans[0].command + r.keeper.orphans[1].command, Contains("sleep"));
  CHECK(testing::processes_with_marker("sleep 4242").empty());
  CHECK(testing::processes_with_marker("sleep 4243").empty());
}

TEST_CASE("a daemon that keeps stdout open does not hang the grader", "[harness][runner]") {
  RunResult r = run_sh("(setsid sh -c 'sleep 4244' &) ; echo parent-done");
  CHECK(r.ending == RunResult::Ending::kExited);
  CHECK(r.stdout_data == "parent-done\n");
  CHECK(r.wall_seconds < 2.0);
  CHECK(testing::processes_with_marker("sleep 4244").empty());
}

TEST_CASE("a child that exited but was never reaped is reported as a zombie",
          "[harness][runner]") {
  // sh forks `true`, then becomes `sleep`, which never waits for it.
  RunResult r = run_sh("true & exec sleep 0.3");
  CHECK(*r.keeper.status == WaitStatus::Exited(0));
  REQUIRE(r.keeper.zombies.size() == 1);
  CHECK(r.keeper.orphans.empty());
}

TEST_CASE("the program starts with default signal dispositions and only fds 0-2",
          "[harness][runner]") {
  // The grader ignores SIGPIPE itself; the student's program must not inherit that.
  RunResult killed = run_sh("kill -PIPE $$; echo survived");
  REQUIRE(killed.keeper.status.has_value());
  CHECK(*killed.keeper.status == WaitStatus::Signaled(SIGPIPE));
  CHECK(killed.keeper.status->shell_status() == 141);
  RunResult fds = run_sh("ls /proc/self/fd");
  CHECK(fds.stdout_data == "0\n1\n2\n3\n");
  RunResult env = run_sh("env | sort");
  CHECK(env.stdout_data == "HOME=/tmp\nLANG=C\nLC_ALL=C\nPATH=/usr/local/bin:/usr/bin:/bin\nPWD=/tmp\n");
}

TEST_CASE("a program that cannot be executed is reported with its errno", "[harness][runner]") {
  RunRequest r;
  r.argv = {"./no-such-program"};
  r.cwd = "/tmp";
  r.env = default_environment("/tmp");
  Result<RunResult> res = run_sandboxed(test_sandbox(), r);
  REQUIRE(res.ok());
  CHECK(res->keeper.setup_errno == ENOENT);
  CHECK(res->keeper.setup_step == "execve");
}

TEST_CASE("a storm of forking processes is swept completely when the run ends",
          "[harness][runner]") {
  // Bounded on purpose: as root RLIMIT_NPROC does not bind, and an unbounded
  // fork bomb is the full tier's business (cgroup pids.max).
  Limits l;
  l.wall = std::chrono::milliseconds(2000);
  RunResult r = run_sh(
      "f() { if [ $1 -gt 0 ]; then f $(($1-1)) & f $(($1-1)) & fi; exec sleep 4245; }; "
      "f 6 & sleep 0.5; echo storm",
      "", l);
  CHECK(r.stdout_data == "storm\n");
  CHECK(r.keeper.orphans.size() >= 1);
  CHECK(testing::processes_with_marker("sleep 4245").empty());
}

TEST_CASE("replacing the grader's binary in the middle of a batch does not break it",
          "[harness][runner]") {
  TempDir tmp;
  std::filesystem::path copy = tmp.path() / "ipcgrade";
  std::filesystem::copy_file(IPCGRADE_BINARY, copy);
  Result<Sandbox> sandbox = Sandbox::probe(copy);
  REQUIRE(sandbox.ok());
  std::filesystem::remove(copy);  // as a rebuild or a package upgrade would
  RunRequest r;
  r.argv = {"/bin/sh", "-c", "echo still-here"};
  r.cwd = "/tmp";
  r.env = default_environment("/tmp");
  Result<RunResult> res = run_sandboxed(sandbox.value(), r);
  REQUIRE(res.ok());
  CHECK(res->stdout_data == "still-here\n");
}
