// The signal-unsafe observation (harness/shim/shim_observe_signals.c): a
// handler that calls printf or malloc is reported once per function, with
// where the handler is; safe handlers, jumps out of handlers and system
// programs are never reported, and the shim stays transparent.
#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "tests/harness/shim/observe_testutil.h"

using namespace ipcgrade;
using namespace ipcgrade::observe_testutil;

namespace {

std::set<std::string> functions(const ShimEvents& ev) {
  std::set<std::string> f;
  for (const SignalUnsafeEvent& e : ev.signal_unsafe) {
    f.insert(e.func);
  }
  return f;
}

}  // namespace

TEST_CASE("printf and malloc in a signal handler are reported once each, with the handler's place",
          "[harness][shim][observe]") {
  ObservedRun r = run_observed("observe_signals", {"printf", "10000"});
  INFO(r.run.describe());
  REQUIRE(r.run.exited_ok());
  REQUIRE(r.run.out.find("rounds 10000") != std::string::npos);
  REQUIRE(functions(r.events) == std::set<std::string>{"printf", "malloc", "free"});
  // 10000 rounds, yet one record per (signal, function).
  REQUIRE(r.events.signal_unsafe.size() == 3);
  for (const SignalUnsafeEvent& e : r.events.signal_unsafe) {
    CHECK(e.sig == 10);
    CHECK(e.prog == "observe_signals");
    REQUIRE(e.handler_off.has_value());
  }
  // The offset names the handler for addr2line.
  std::string exe = shim_testutil::fixture_path("observe_signals");
  shim_testutil::RunRequest a2l;
  char off[32];
  std::snprintf(off, sizeof off, "0x%llx",
                static_cast<unsigned long long>(*r.events.signal_unsafe[0].handler_off));
  a2l.argv = {"addr2line", "-f", "-e", exe, off};
  shim_testutil::CapturedRun named = shim_testutil::run_captured(a2l);
  REQUIRE(named.exited_ok());
  REQUIRE_THAT(named.out, Catch::StartsWith("handler_printf\n"));
}

TEST_CASE("a handler that only writes and sets a flag is not reported, and sigaction stays transparent",
          "[harness][shim][observe]") {
  ObservedRun r = run_observed("observe_signals", {"write", "1000"});
  INFO(r.run.describe());
  REQUIRE(r.run.exited_ok());  // exit 3 would mean the old action was not the program's
  REQUIRE(r.run.out == "rounds 1000\n");
  REQUIRE(r.events.signal_unsafe.empty());
  REQUIRE(r.log.malformed_lines == 0);
}

TEST_CASE("an SA_SIGINFO handler calling fprintf is reported and still gets its siginfo",
          "[harness][shim][observe]") {
  ObservedRun r = run_observed("observe_signals", {"siginfo", "3"});
  INFO(r.run.describe());
  REQUIRE(r.run.exited_ok());
  REQUIRE(r.run.out == "rounds 3\n");
  REQUIRE_THAT(r.run.err, Catch::Contains("signal 10 from "));
  REQUIRE(functions(r.events).count("fprintf") == 1);
}

TEST_CASE("code after a siglongjmp out of a handler is not taken for handler code",
          "[harness][shim][observe]") {
  ObservedRun r = run_observed("observe_signals", {"longjmp", "200"});
  INFO(r.run.describe());
  REQUIRE(r.run.exited_ok());
  REQUIRE(r.run.out == "rounds 200\n");
  REQUIRE(r.events.signal_unsafe.empty());
}

TEST_CASE("a system program's handlers are never observed", "[harness][shim][observe]") {
  // sh's trap runs echo (stdio, malloc) in a handler context of its own;
  // sh is not under the student's folder, so nothing is logged.
  std::string dir = std::filesystem::path(shim_testutil::fixture_path("observe_signals"))
                        .parent_path()
                        .string();
  char tmpl[] = "/tmp/ipcgrade-observe-XXXXXX";
  int fd = mkstemp(tmpl);
  REQUIRE(fd >= 0);
  ::close(fd);
  shim_testutil::RunRequest req;
  req.argv = {"/bin/sh", "-c", "trap 'echo caught' USR1; kill -USR1 $$; echo done"};
  req.env = {{"LD_PRELOAD", shim_testutil::shim_path()},
             {"IPCGRADE_LOG", tmpl},
             {"IPCGRADE_STUDENT_DIR", dir}};
  shim_testutil::CapturedRun run = shim_testutil::run_captured(req);
  Result<ShimLog> log = read_shim_log(tmpl);
  ::unlink(tmpl);
  REQUIRE(run.exited_ok());
  REQUIRE(run.out == "caught\ndone\n");
  REQUIRE(log.ok());
  REQUIRE(log->records.empty());
}
