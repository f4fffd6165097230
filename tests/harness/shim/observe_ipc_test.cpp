// IPC objects (harness/shim/shim_observe_ipc.c and harness/ipc_leak.h): an
// object created and not removed is reported as ipc-leak and removed by the
// grader; one removed by the program is not; the backstop blames a run only
// for objects it can prove are the run's.
#include <fcntl.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "harness/ipc_leak.h"
#include "tests/harness/shim/observe_testutil.h"
#include "tests/harness/temp_dir.h"

using namespace ipcgrade;
using namespace ipcgrade::observe_testutil;

namespace {

std::string unique_name(const std::string& what) {
  return "/ipcgrade-test-" + what + "-" + std::to_string(::getpid());
}

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

RunIdentity identity_of(const ObservedRun& r) {
  RunIdentity id;
  id.pids = r.events.pids;
  id.uid = ::geteuid();
  return id;
}

}  // namespace

TEST_CASE("a POSIX object or FIFO left behind is an ipc-leak, and the grader removes it",
          "[harness][shim][observe]") {
  std::string kind = GENERATE("shm", "sem", "fifo");
  CAPTURE(kind);
  TempDir tmp;
  std::string name = kind == "fifo" ? tmp.path().string() + "/fifo" : unique_name(kind);
  std::string file = kind == "shm"   ? "/dev/shm" + name
                     : kind == "sem" ? "/dev/shm/sem." + name.substr(1)
                                     : name;
  IpcSnapshot before = take_ipc_snapshot();
  ObservedRun r = run_observed("observe_ipc", {kind, name, "keep"});
  INFO(r.run.describe());
  REQUIRE(r.run.exited_ok());
  REQUIRE(exists(file));
  std::vector<IpcLeak> leaks =
      sweep_ipc_leaks(r.events.ipc, before, take_ipc_snapshot(), identity_of(r));
  REQUIRE(leaks.size() == 1);
  CHECK(leaks[0].kind == kind);
  CHECK(leaks[0].name == name);
  CHECK(leaks[0].removed);
  CHECK_FALSE(exists(file));

  ObservationContext ctx;
  ctx.test = "t";
  ctx.program = "observe_ipc";
  std::vector<Finding> f = ipc_leak_findings(leaks, ctx);
  REQUIRE(f.size() == 1);
  CHECK(f[0].kind == FindingKind::kIpcLeak);
  REQUIRE_THAT(f[0].message, Catch::Contains(name));
  REQUIRE_THAT(f[0].evidence, Catch::Contains("the grader removed it"));
}

TEST_CASE("an object the program removed itself is no leak", "[harness][shim][observe]") {
  std::string kind = GENERATE("shm", "sem", "fifo", "sysv-shm", "sysv-sem", "sysv-msg");
  CAPTURE(kind);
  TempDir tmp;
  std::string name = kind == "fifo"                        ? tmp.path().string() + "/fifo"
                     : kind == "shm" || kind == "sem" ? unique_name(kind)
                                                      : "-";
  IpcSnapshot before = take_ipc_snapshot();
  ObservedRun r = run_observed("observe_ipc", {kind, name, "remove"});
  INFO(r.run.describe());
  REQUIRE(r.run.exited_ok());
  bool created = false, removed = false;
  for (const IpcEvent& e : r.events.ipc) {
    (e.create ? created : removed) = true;
  }
  REQUIRE(created);
  REQUIRE(removed);
  REQUIRE(sweep_ipc_leaks(r.events.ipc, before, take_ipc_snapshot(), identity_of(r)).empty());
}

TEST_CASE("a System V object left behind is an ipc-leak, and the grader removes it",
          "[harness][shim][observe]") {
  std::string kind = GENERATE("sysv-shm", "sysv-sem", "sysv-msg");
  CAPTURE(kind);
  IpcSnapshot before = take_ipc_snapshot();
  ObservedRun r = run_observed("observe_ipc", {kind, "-", "keep"});
  INFO(r.run.describe());
  REQUIRE(r.run.exited_ok());
  long id = std::stol(r.run.out);
  IpcSnapshot after = take_ipc_snapshot();
  const auto& table = kind == "sysv-shm" ? after.shm : kind == "sysv-sem" ? after.sem : after.msg;
  REQUIRE(table.count(id) == 1);
  RunIdentity who = identity_of(r);
  who.started = ::time(nullptr) - 5;
  who.ended = ::time(nullptr);
  std::vector<IpcLeak> leaks = sweep_ipc_leaks(r.events.ipc, before, after, who);
  REQUIRE(leaks.size() == 1);
  CHECK(leaks[0].kind == kind);
  CHECK(leaks[0].removed);
  IpcSnapshot later = take_ipc_snapshot();
  const auto& now = kind == "sysv-shm" ? later.shm : kind == "sysv-sem" ? later.sem : later.msg;
  CHECK(now.count(id) == 0);
}

TEST_CASE("the backstop removes a segment whose creator was the run's, without any shim record",
          "[harness][observe]") {
  IpcSnapshot before = take_ipc_snapshot();
  int id = ::shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
  REQUIRE(id >= 0);
  IpcSnapshot after = take_ipc_snapshot();
  RunIdentity run;
  run.pids = {::getpid()};
  run.started = ::time(nullptr) - 5;
  run.ended = ::time(nullptr);
  std::vector<IpcLeak> leaks = sweep_ipc_leaks({}, before, after, run);
  REQUIRE(leaks.size() == 1);
  CHECK(leaks[0].from_backstop);
  CHECK(leaks[0].removed);
  struct shmid_ds ds;
  CHECK(::shmctl(id, IPC_STAT, &ds) != 0);
}

TEST_CASE("the backstop never blames a run for another run's segment, nor removes it",
          "[harness][observe]") {
  IpcSnapshot before = take_ipc_snapshot();
  int id = ::shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
  REQUIRE(id >= 0);
  IpcSnapshot after = take_ipc_snapshot();
  RunIdentity other_run;
  other_run.pids = {1};  // not us: we play the other run here
  std::vector<IpcLeak> leaks = sweep_ipc_leaks({}, before, after, other_run);
  struct shmid_ds ds;
  bool still_there = ::shmctl(id, IPC_STAT, &ds) == 0;
  ::shmctl(id, IPC_RMID, nullptr);
  CHECK(leaks.empty());
  CHECK(still_there);
}

TEST_CASE("a new /dev/shm entry is not blamed on a run that shares its uid with others",
          "[harness][observe]") {
  std::string name = unique_name("backstop");
  IpcSnapshot before = take_ipc_snapshot();
  int fd = ::open(("/dev/shm" + name).c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
  REQUIRE(fd >= 0);
  ::close(fd);
  IpcSnapshot after = take_ipc_snapshot();
  RunIdentity run;
  run.pids = {::getpid()};
  run.uid = ::geteuid();
  run.uid_exclusive = false;
  std::vector<IpcLeak> shared_uid = sweep_ipc_leaks({}, before, after, run);
  bool still_there = exists("/dev/shm" + name);
  run.uid_exclusive = true;
  std::vector<IpcLeak> own_uid = sweep_ipc_leaks({}, before, after, run);
  ::unlink(("/dev/shm" + name).c_str());
  CHECK(shared_uid.empty());
  CHECK(still_there);
  REQUIRE(own_uid.size() == 1);
  CHECK(own_uid[0].name == name);
  CHECK(own_uid[0].removed);
}

TEST_CASE("a forged record cannot make the grader remove a file outside /dev/shm",
          "[harness][observe]") {
  TempDir tmp;
  std::string victim = tmp.path().string() + "/precious";
  { std::ofstream(victim) << "x"; }
  struct stat st;
  REQUIRE(::stat(victim.c_str(), &st) == 0);
  std::vector<IpcEvent> forged(3);
  forged[0].kind = "shm";
  forged[0].name = "/../../" + victim;
  forged[0].ino = st.st_ino;
  forged[1].kind = "fifo";  // a regular file, not a FIFO
  forged[1].name = victim;
  forged[1].ino = st.st_ino;
  forged[2].kind = "sem";
  forged[2].name = "/x/../../.." + victim;
  forged[2].ino = st.st_ino;
  RunIdentity run;
  REQUIRE(sweep_ipc_leaks(forged, IpcSnapshot{}, IpcSnapshot{}, run).empty());
  REQUIRE(exists(victim));
}
