// The shim's log, read back (harness/shim_events.h): records parse into
// typed events, hostile or broken lines are skipped and counted, sizes are
// capped, and each event becomes a finding a student can act on.
#include "harness/shim_events.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "tests/harness/temp_dir.h"

using namespace ipcgrade;

namespace {

// A build folder holding an executable named `prog`.
struct BuildDir {
  TempDir dir;
  explicit BuildDir(const std::string& prog) { std::ofstream(dir.path() / prog) << "elf"; }
  ObservationContext context() const {
    ObservationContext c;
    c.test = "pingpong-3";
    c.program = "pingpong";
    c.repro = "cd x && ./pingpong 3";
    c.build_dir = dir.path();
    return c;
  }
};

}  // namespace

TEST_CASE("a well-formed record parses with its fields unescaped", "[harness][shim_events]") {
  ShimLog log = parse_shim_log(
      "ev=fd-leak pid=12 tid=13 prog=pipeline fd=4 target=pipe:[77] exec=/bin/my%20cat try=1\n");
  REQUIRE(log.malformed_lines == 0);
  REQUIRE(log.records.size() == 1);
  const ShimRecord& r = log.records[0];
  CHECK(r.event == "fd-leak");
  CHECK(r.pid == 12);
  CHECK(r.tid == 13);
  CHECK(r.prog == "pipeline");
  CHECK(r.fields.at("exec") == "/bin/my cat");
  CHECK(r.fields.at("target") == "pipe:[77]");
}

TEST_CASE("malformed and hostile lines are skipped and counted, the good ones kept",
          "[harness][shim_events]") {
  std::string good = "ev=eintr pid=5 tid=5 prog=relay call=read fd=0\n";
  const char* bad[] = {
      "garbage\n",
      "pid=5 ev=eintr prog=relay\n",                       // ev not first
      "ev=eintr  pid=5 prog=relay\n",                      // two spaces
      "ev=eintr pid=five prog=relay\n",                    // not a number
      "ev=eintr pid=-3 prog=relay\n",                      // out of range
      "ev=eintr pid=5 prog=relay call=%zz\n",              // broken escape
      "ev=eintr pid=5 prog=relay call=%4\n",               // cut escape
      "ev=eintr pid=5 prog=relay call=a call=b\n",         // duplicate key
      "ev=eintr prog=relay call=read\n",                   // no pid
      "ev=eintr pid=5 call=read\n",                        // no prog
      "\n",
  };
  std::string bytes = good;
  for (const char* b : bad) {
    bytes += b;
  }
  bytes += std::string(5000, 'x') + "\n";  // longer than any record
  bytes += good;
  bytes += "ev=eintr pid=5 prog=relay call=wri";  // cut: no newline
  ShimLog log = parse_shim_log(bytes);
  CHECK(log.records.size() == 2);
  CHECK(log.malformed_lines == std::size(bad) + 2);
  CHECK_FALSE(log.capped);
}

TEST_CASE("a log flooded by the program is capped in bytes and in records",
          "[harness][shim_events]") {
  std::string line = "ev=eintr pid=5 tid=5 prog=relay call=read fd=0\n";
  std::string bytes;
  while (bytes.size() < kShimLogMaxBytes + 4096) {
    bytes += line;
  }
  ShimLog log = parse_shim_log(bytes);
  CHECK(log.capped);
  CHECK(log.records.size() <= kShimLogMaxRecords);
}

TEST_CASE("events from a name that is not a plain program name are dropped",
          "[harness][shim_events]") {
  ShimLog log = parse_shim_log(
      "ev=signal-unsafe pid=5 tid=5 prog=../../bin/sh func=printf sig=10 handler_off=0x10\n"
      "ev=signal-unsafe pid=5 tid=5 prog=pingpong func=printf sig=99 handler_off=0x10\n");
  ShimEvents ev = classify_shim_events(log);
  CHECK(ev.signal_unsafe.empty());
  CHECK(ev.malformed == 2);
}

TEST_CASE("fd-leak records of an exec that failed are withdrawn, others kept",
          "[harness][shim_events]") {
  ShimEvents ev = classify_shim_events(parse_shim_log(
      "ev=fd-leak pid=7 tid=7 prog=pipeline fd=3 target=pipe:[1] exec=nosuch try=1\n"
      "ev=exec-failed pid=7 tid=7 prog=pipeline try=1 errno=2\n"
      "ev=fd-leak pid=8 tid=8 prog=pipeline fd=3 target=pipe:[1] exec=cat try=1\n"));
  REQUIRE(ev.fd_leaks.size() == 1);
  CHECK(ev.fd_leaks[0].pid == 8);
  CHECK(ev.fd_leaks[0].exec == "cat");
}

TEST_CASE("a signal-unsafe event becomes one finding naming the handler, the signal and the calls",
          "[harness][shim_events]") {
  BuildDir build("pingpong");
  ObservationContext c = build.context();
  std::uint64_t asked = 0;
  c.symbolize = [&](const std::filesystem::path& exe, std::uint64_t off) {
    CHECK(exe == build.dir.path() / "pingpong");
    asked = off;
    return std::optional<std::string>("on_usr1 (pingpong.c:42)");
  };
  ShimEvents ev = classify_shim_events(parse_shim_log(
      "ev=signal-unsafe pid=9 tid=9 prog=pingpong func=printf sig=10 handler_off=0x1189\n"
      "ev=signal-unsafe pid=9 tid=9 prog=pingpong func=malloc sig=10 handler_off=0x1189\n"
      "ev=signal-unsafe pid=10 tid=10 prog=pingpong func=printf sig=10 handler_off=0x1189\n"));
  std::vector<Finding> f = observation_findings(ev, c);
  REQUIRE(f.size() == 1);
  CHECK(asked == 0x1189);
  CHECK(f[0].kind == FindingKind::kSignalUnsafe);
  CHECK(f[0].test == "pingpong-3");
  CHECK(f[0].program == "pingpong");
  CHECK(f[0].repro == "cd x && ./pingpong 3");
  REQUIRE_THAT(f[0].message, Catch::Contains("on_usr1 (pingpong.c:42)"));
  REQUIRE_THAT(f[0].message, Catch::Contains("SIGUSR1"));
  REQUIRE_THAT(f[0].message, Catch::Contains("printf, malloc"));
  REQUIRE_THAT(f[0].message, Catch::Contains("write()"));
}

TEST_CASE("an event from a program that is not in the build folder gives no finding",
          "[harness][shim_events]") {
  BuildDir build("pingpong");
  ShimEvents ev = classify_shim_events(parse_shim_log(
      "ev=signal-unsafe pid=9 tid=9 prog=bash func=printf sig=10 handler_off=0x1189\n"
      "ev=fd-leak pid=9 tid=9 prog=sh fd=3 target=pipe:[1] exec=cat try=1\n"));
  REQUIRE(observation_findings(ev, build.context()).empty());
}

TEST_CASE("fd-leak events become one finding per program with each exec as evidence",
          "[harness][shim_events]") {
  BuildDir build("pipeline");
  ShimEvents ev = classify_shim_events(parse_shim_log(
      "ev=fd-leak pid=20 tid=20 prog=pipeline fd=3 target=pipe:[5] exec=cat try=1\n"
      "ev=fd-leak pid=20 tid=20 prog=pipeline fd=4 target=pipe:[5] exec=cat try=1\n"
      "ev=fd-leak pid=21 tid=21 prog=pipeline fd=3 target=pipe:[5] exec=wc try=1\n"));
  std::vector<Finding> f = observation_findings(ev, build.context());
  REQUIRE(f.size() == 1);
  CHECK(f[0].kind == FindingKind::kFdLeak);
  CHECK(f[0].program == "pipeline");
  REQUIRE_THAT(f[0].evidence, Catch::Contains("pid 20 exec'd cat with fd 3 (pipe:[5]), fd 4 (pipe:[5])"));
  REQUIRE_THAT(f[0].evidence, Catch::Contains("pid 21 exec'd wc with fd 3 (pipe:[5])"));
  REQUIRE_THAT(f[0].message, Catch::Contains("O_CLOEXEC"));
}

TEST_CASE("not-pshared events become a race finding per kind of object",
          "[harness][shim_events]") {
  BuildDir build("shmcount");
  ShimEvents ev = classify_shim_events(parse_shim_log(
      "ev=not-pshared pid=30 tid=30 prog=shmcount what=mutex addr=0x7f00 map=/dev/shm/c\n"
      "ev=not-pshared pid=30 tid=30 prog=shmcount what=semaphore addr=0x7f40 map=anonymous\n"));
  std::vector<Finding> f = observation_findings(ev, build.context());
  REQUIRE(f.size() == 2);
  CHECK(f[0].kind == FindingKind::kRace);
  REQUIRE_THAT(f[0].evidence, Catch::Contains("mutex at 0x7f00 in /dev/shm/c"));
  REQUIRE_THAT(f[1].message, Catch::Contains("an unnamed semaphore"));
  REQUIRE_THAT(f[1].message, Catch::Contains("sem_init(&sem, 1, value)"));
}

TEST_CASE("ipc records are typed with their names, ids and inodes", "[harness][shim_events]") {
  ShimEvents ev = classify_shim_events(parse_shim_log(
      "ev=ipc-create pid=3 tid=3 prog=shmcount kind=shm name=/counter ino=77\n"
      "ev=ipc-create pid=3 tid=3 prog=shmcount kind=sysv-shm id=32769 key=0x1234\n"
      "ev=ipc-remove pid=3 tid=3 prog=shmcount kind=shm name=/counter\n"
      "ev=ipc-create pid=3 tid=3 prog=shmcount kind=bogus name=/x\n"));
  REQUIRE(ev.ipc.size() == 3);
  CHECK(ev.ipc[0].create);
  CHECK(ev.ipc[0].name == "/counter");
  CHECK(ev.ipc[0].ino == std::optional<std::uint64_t>(77));
  CHECK(ev.ipc[1].id == std::optional<long>(32769));
  CHECK(ev.ipc[1].key == std::optional<std::uint64_t>(0x1234));
  CHECK_FALSE(ev.ipc[2].create);
  CHECK(ev.malformed == 1);
}

TEST_CASE("the EINTR injections of a run are summarised with the call each hit",
          "[harness][shim_events]") {
  ShimEvents ev = classify_shim_events(parse_shim_log(
      "ev=eintr pid=4 tid=4 prog=relay call=write fd=4\n"
      "ev=eintr pid=4 tid=4 prog=relay call=waitpid pid_arg=5\n"
      "ev=eintr pid=4 tid=4 prog=relay call=read fd=0\n"));
  CHECK(describe_eintr_injections(ev, 2) ==
        "EINTR injected into write (fd=4) in relay (pid 4); EINTR injected into waitpid "
        "(pid_arg=5) in relay (pid 4); and 1 more");
  CHECK(describe_eintr_injections(ShimEvents{}).empty());
}

TEST_CASE("a missing log is the grader's error, not an empty run", "[harness][shim_events]") {
  Result<ShimLog> log = read_shim_log("/nonexistent/ipcgrade/shim.log");
  REQUIRE_FALSE(log.ok());
  CHECK(log.status().code() == Status::Code::kInternal);
}

TEST_CASE("a stall's busy-wait record becomes one busy-wait finding naming the waiter",
          "[harness][shim_events]") {
  BuildDir build("pingpong");
  ShimEvents ev = classify_shim_events(parse_shim_log(
      "ev=busy-wait pid=11 tid=11 prog=pingpong call=kill waiter_pid=10 waiter_tid=10 "
      "waiter=pingpong runnable_us=199000 stall_us=200100\n"
      "ev=busy-wait pid=11 tid=11 prog=pingpong call=kill waiter_pid=10 waiter_tid=10 "
      "waiter=pingpong runnable_us=198000 stall_us=200000\n"
      "ev=busy-wait pid=11 tid=11 prog=pingpong call=kill waiter_pid=x\n"));
  CHECK(ev.busy_waits.size() == 2);
  CHECK(ev.malformed == 1);
  std::vector<Finding> f = observation_findings(ev, build.context());
  REQUIRE(f.size() == 1);
  CHECK(f[0].kind == FindingKind::kBusyWait);
  CHECK_THAT(f[0].evidence, Catch::Contains("paused 200 ms before kill"));
  CHECK_THAT(f[0].evidence, Catch::Contains("running or ready to run for 199 ms"));
}

TEST_CASE("a busy-wait record under half the stall, or from a program not built here, is no finding",
          "[harness][shim_events]") {
  BuildDir build("pingpong");
  ShimEvents ev = classify_shim_events(parse_shim_log(
      "ev=busy-wait pid=11 tid=11 prog=pingpong call=kill waiter_pid=10 waiter_tid=10 "
      "waiter=pingpong runnable_us=90000 stall_us=200000\n"
      "ev=busy-wait pid=11 tid=11 prog=cat call=kill waiter_pid=10 waiter_tid=10 "
      "waiter=pingpong runnable_us=199000 stall_us=200000\n"));
  CHECK(observation_findings(ev, build.context()).empty());
}
