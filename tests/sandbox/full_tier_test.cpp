// The full isolation tier, from inside: real runs through the runner, each
// checking one wall of the sandbox, and the reduced tier when it is forced.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "harness/runner.h"
#include "sandbox/sandbox.h"
#include "tests/harness/temp_dir.h"

using namespace ipcgrade;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

const Sandbox& full_sandbox() {
  static Sandbox s = [] {
    Result<Sandbox> r = Sandbox::probe(IPCGRADE_BINARY, SandboxOptions{IsolationChoice::kFull, {}});
    INFO((r.ok() ? std::string() : r.status().message()));
    REQUIRE(r.ok());  // CI runs as root on Debian 12: the full tier is there
    return r.value();
  }();
  return s;
}

RunResult run_in(const Sandbox& sandbox, const fs::path& cwd, const std::string& script) {
  RunRequest r;
  r.argv = {"/bin/bash", "-c", script};
  r.cwd = cwd;
  r.env = default_environment(cwd);
  Result<RunResult> res = run_sandboxed(sandbox, r);
  REQUIRE(res.ok());
  REQUIRE(res->keeper.setup_errno == 0);
  return res.value();
}

}  // namespace

TEST_CASE("inside the full tier a program sees pid 1 as its init", "[sandbox][full]") {
  TempDir dir;
  RunResult r = run_in(full_sandbox(), dir.path(),
                       "echo $$; grep '^PPid:' /proc/1/status; ls /proc | grep -c '^[0-9]'");
  CHECK(r.keeper.tier == "full");
  CHECK(r.keeper.init_pid > 0);
  // The shell is main, pid 2; pid 1 (the keeper) has no parent in here; and
  // no process of the machine is visible: the keeper, the shell, grep, ls.
  CHECK(r.stdout_data == "2\nPPid:\t0\n4\n");
}

TEST_CASE("inside the full tier the lab folder and the grader's files are not there",
          "[sandbox][full]") {
  TempDir dir;
  TempDir elsewhere;  // a sibling scratch folder of the grader's
  elsewhere.write("secret.txt", "hidden test\n");
  const fs::path lab = fs::path(IPCGRADE_SOURCE_DIR) / "labs" / "pipes";
  REQUIRE(fs::exists(lab / "lab.yaml"));
  RunResult r = run_in(full_sandbox(), dir.path(),
                       "cat " + (lab / "lab.yaml").string() + " || echo no-lab; cat " +
                           (elsewhere.path() / "secret.txt").string() + " || echo no-secret");
  CHECK(r.stdout_data == "no-lab\nno-secret\n");
}

TEST_CASE("inside the full tier nothing outside the run's folder is writable",
          "[sandbox][full]") {
  TempDir dir;
  RunResult r = run_in(full_sandbox(), dir.path(),
                       "echo x > /usr/ipcgrade-x || echo no-usr; echo x > /ipcgrade-x || echo "
                       "no-root; echo x > /etc/ipcgrade-x || echo no-etc; echo kept > here.txt; "
                       "echo private > /tmp/ipcgrade-full-tier-test && cat "
                       "/tmp/ipcgrade-full-tier-test");
  CHECK(r.stdout_data == "no-usr\nno-root\nno-etc\nprivate\n");
  CHECK_THAT(r.stderr_data, Contains("Read-only file system"));
  // The run's folder is the real one; its /tmp was its own.
  std::ifstream kept(dir.path() / "here.txt");
  std::string line;
  CHECK((std::getline(kept, line) && line == "kept"));
  CHECK_FALSE(fs::exists("/tmp/ipcgrade-full-tier-test"));
  CHECK_FALSE(fs::exists("/usr/ipcgrade-x"));
}

TEST_CASE("inside the full tier a run whose folder is /tmp itself sees the host's /tmp",
          "[sandbox][full]") {
  // Regression: a recursive bind of /tmp brought the staging root along.
  TempDir dir;
  dir.write("visible.txt", "yes\n");
  RunResult r = run_in(full_sandbox(), "/tmp", "cat " + (dir.path() / "visible.txt").string());
  CHECK(r.stdout_data == "yes\n");
}

TEST_CASE("inside the full tier a loopback service outside cannot be reached",
          "[sandbox][full]") {
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  REQUIRE(listener >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(listener, 4) == 0);
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  const std::string port = std::to_string(ntohs(addr.sin_port));
  TempDir dir;
  const std::string connect = "(echo hi > /dev/tcp/127.0.0.1/" + port +
                              ") 2>/dev/null && echo connected || echo refused";
  RunResult inside = run_in(full_sandbox(), dir.path(), connect);
  CHECK(inside.stdout_data == "refused\n");
  CHECK(::accept(listener, nullptr, nullptr) == -1);
  // The same command in the reduced tier does reach it: the test can fail.
  static Sandbox reduced =
      Sandbox::probe(IPCGRADE_BINARY, SandboxOptions{IsolationChoice::kReduced, {}}).value();
  RunResult outside = run_in(reduced, dir.path(), connect);
  CHECK(outside.stdout_data == "connected\n");
  int conn = ::accept(listener, nullptr, nullptr);
  CHECK(conn >= 0);
  if (conn >= 0) {
    ::close(conn);
  }
  ::close(listener);
}

TEST_CASE("inside the full tier ptrace fails with EPERM and namespaces cannot be made",
          "[sandbox][full]") {
  TempDir dir;
  // x86-64: ptrace is 101 (PTRACE_TRACEME), unshare is 272 (CLONE_NEWNS).
  RunResult r = run_in(full_sandbox(), dir.path(),
                       "perl -e '$r = syscall(101, 0, 0, 0, 0); print \"$r $!\\n\"; "
                       "$u = syscall(272, 0x20000); print \"$u $!\\n\"'");
  CHECK(r.stdout_data == "-1 Operation not permitted\n-1 Operation not permitted\n");
  // The program still ends normally: denied, never killed.
  REQUIRE(r.keeper.status.has_value());
  CHECK(*r.keeper.status == WaitStatus::Exited(0));
}

TEST_CASE("inside the full tier System V and /dev/shm objects from outside are not seen",
          "[sandbox][full]") {
  int id = ::shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
  REQUIRE(id >= 0);
  const std::string name = "ipcgrade-full-tier-" + std::to_string(::getpid());
  int fd = ::open(("/dev/shm/" + name).c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  ::close(fd);
  TempDir dir;
  const std::string script = "grep -c -w '" + std::to_string(id) +
                             "' /proc/sysvipc/shm; ls /dev/shm | grep -c '" + name + "'; true";
  RunResult inside = run_in(full_sandbox(), dir.path(), script);
  static Sandbox reduced =
      Sandbox::probe(IPCGRADE_BINARY, SandboxOptions{IsolationChoice::kReduced, {}}).value();
  RunResult outside = run_in(reduced, dir.path(), script);
  ::shmctl(id, IPC_RMID, nullptr);
  ::unlink(("/dev/shm/" + name).c_str());
  CHECK(inside.stdout_data == "0\n0\n");
  CHECK(outside.stdout_data == "1\n1\n");
}

TEST_CASE("inside the full tier shared memory, semaphores and signals work across processes",
          "[sandbox][full]") {
  TempDir dir;
  // A POSIX semaphore (in /dev/shm) posted by a child, a signal to the
  // parent, and /proc of the namespace: the labs' reference solutions need
  // all three.
  RunResult r = run_in(full_sandbox(), dir.path(),
                       "perl -MPOSIX -e 'sysopen(F, \"/dev/shm/x\", O_CREAT|O_RDWR) or die; "
                       "print \"shm\\n\"; unlink \"/dev/shm/x\"'; "
                       "trap 'echo got-usr1' USR1; (kill -USR1 $$) ; wait; "
                       "test -r /proc/self/status && echo proc");
  CHECK(r.stdout_data == "shm\ngot-usr1\nproc\n");
}

TEST_CASE("the reduced tier is recorded when it is forced", "[sandbox][tier]") {
  Result<Sandbox> s = Sandbox::probe(IPCGRADE_BINARY, SandboxOptions{IsolationChoice::kReduced, {}});
  REQUIRE(s.ok());
  CHECK(s->tier() == "reduced");
  CHECK_THAT(s->lacking(), Contains("forced by --isolation reduced"));
  CHECK_THAT(s->description(), Contains("reduced (forced"));
  TempDir dir;
  RunResult r = run_in(s.value(), dir.path(), "echo $$");
  CHECK(r.keeper.tier == "reduced");
  CHECK(r.keeper.init_pid == 0);
  CHECK(r.stdout_data != "2\n");
}

TEST_CASE("asking for the full tier where a feature is missing is refused, never downgraded",
          "[sandbox][tier]") {
  // `auto` here, whatever tier the suite itself was asked to run.
  const char* asked = std::getenv("IPCGRADE_ISOLATION");
  const std::string saved = asked != nullptr ? asked : "";
  ::unsetenv("IPCGRADE_ISOLATION");
  ::setenv("IPCGRADE_PROBE_DISABLE", "seccomp", 1);
  Result<Sandbox> full = Sandbox::probe(IPCGRADE_BINARY, SandboxOptions{IsolationChoice::kFull, {}});
  Result<Sandbox> automatic = Sandbox::probe(IPCGRADE_BINARY);
  ::unsetenv("IPCGRADE_PROBE_DISABLE");
  if (asked != nullptr) {
    ::setenv("IPCGRADE_ISOLATION", saved.c_str(), 1);
  }
  REQUIRE_FALSE(full.ok());
  CHECK(full.status().code() == Status::Code::kInvalidInput);
  CHECK_THAT(full.status().message(), Contains("seccomp (disabled by IPCGRADE_PROBE_DISABLE)"));
  REQUIRE(automatic.ok());
  CHECK(automatic->tier() == "reduced");
  CHECK_THAT(automatic->lacking(), Contains("seccomp"));
}

TEST_CASE("the capability probe finds what the full tier needs on this machine",
          "[sandbox][tier]") {
  Result<CapabilityReport> caps = probe_capabilities(IPCGRADE_BINARY);
  REQUIRE(caps.ok());
  for (const char* name : {"user-namespace", "pid-namespace", "ipc-namespace",
                           "network-namespace", "mount-namespace", "sandbox-root", "loopback",
                           "no-new-privs", "seccomp", "cgroup-v2"}) {
    CAPTURE(name);
    const Capability* c = caps->find(name);
    REQUIRE(c != nullptr);
    CHECK((c->ok || !c->detail.empty()));  // a missing feature always says why
  }
  CHECK(caps->full_available());
  CHECK(required_for_full("seccomp"));
  CHECK_FALSE(required_for_full("cgroup-v2"));
}
