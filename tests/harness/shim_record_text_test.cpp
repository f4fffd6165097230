// The words `ipcgrade repro` prints for each shim record
// (harness/shim_record_text.h): what was injected or observed, with the
// sizes and objects a student needs, and nothing a hostile record could
// smuggle in.
#include "harness/shim_record_text.h"

#include <catch2/catch.hpp>
#include <string>

using namespace ipcgrade;
using Catch::Matchers::Contains;

namespace {

ShimRecord parsed(const std::string& line) {
  std::optional<ShimRecord> r = parse_shim_record(line);
  REQUIRE(r.has_value());
  return *r;
}

std::string words(const std::string& line, RecordWording w = {}) {
  std::optional<std::string> text = describe_shim_record(parsed(line), w);
  REQUIRE(text.has_value());
  return *text;
}

}  // namespace

TEST_CASE("each kind of shim record reads as one plain sentence", "[harness][shim_record_text]") {
  auto [line, expected] = GENERATE(table<std::string, std::string>({
      {"ev=eintr pid=5 tid=5 prog=relay t=1 call=read fd=3 in_row=1 max_in_row=3",
       "read(fd 3) failed with EINTR (injected, 1 of at most 3 in a row)"},
      {"ev=eintr pid=5 tid=5 prog=relay call=waitpid target=77",
       "waitpid(pid 77) failed with EINTR (injected)"},
      {"ev=short-io pid=5 tid=5 prog=relay call=write fd=4 asked=65536 cut=1200 n=1",
       "write(fd 4) of 65536 bytes cut short after at most 1200 (short write injected)"},
      {"ev=short-io pid=5 tid=5 prog=relay call=read fd=0 asked=4096 cut=17 n=16",
       "read(fd 0) asked for 4096 bytes, allowed at most 17 (short read injected); 16 short "
       "transfers so far in this thread, not all shown"},
      {"ev=stall pid=5 tid=5 prog=pingpong call=kill target=6 us=200000",
       "pauses 200 ms before kill(pid 6) (stall injected: whoever waits for it should sleep "
       "meanwhile)"},
      {"ev=busy-wait pid=5 tid=5 prog=pingpong call=kill waiter_pid=6 waiter_tid=6 "
       "waiter=pingpong runnable_us=190000 stall_us=200000",
       "while it paused, pingpong (pid 6) kept running or ready to run for 190 ms of 200 ms "
       "(busy-waiting)"},
      {"ev=perturb-summary pid=5 tid=5 prog=prod why=progress actions=8 sleeps=3 aligns=1 "
       "slept_us=1500 yields=4 handoffs=0 points=60",
       "schedule perturbed (injected), so far in this thread: 3 delays, 1 aligned start (1.5 ms "
       "in all), 4 yields over 60 calls"},
      {"ev=signal-unsafe pid=5 tid=5 prog=pingpong func=printf sig=10 handler_off=0x1189",
       "called printf() inside its handler for SIGUSR1: not async-signal-safe"},
      {"ev=not-pshared pid=5 tid=5 prog=shmcount what=mutex addr=0x7f00 map=anonymous",
       "initialised a mutex at 0x7f00 in anonymous shared memory without "
       "PTHREAD_PROCESS_SHARED"},
      {"ev=fd-leak pid=5 tid=5 prog=pipeline fd=4 target=pipe:[77] exec=/bin/cat try=1",
       "execs /bin/cat with fd 4 (pipe:[77]) still open: it leaks into the new program"},
      {"ev=ipc-create pid=5 tid=5 prog=shmcount kind=shm name=/count ino=12",
       "created POSIX shared memory /count"},
      {"ev=ipc-remove pid=5 tid=5 prog=shmcount kind=sysv-sem id=3",
       "removed System V semaphore set id 3"},
  }));
  CAPTURE(line);
  CHECK(words(line) == expected);
}

TEST_CASE("a perturbation summary says when the thread's budget ran out",
          "[harness][shim_record_text]") {
  CHECK_THAT(words("ev=perturb-summary pid=5 tid=5 prog=prod why=sleep-budget actions=90 "
                   "sleeps=60 aligns=0 slept_us=9990 yields=30 handoffs=2 points=400"),
             Contains("no more delays in this thread"));
}

TEST_CASE("for a hidden test the names that could tell what it runs are left out",
          "[harness][shim_record_text]") {
  RecordWording hidden{true};
  std::string exec =
      words("ev=fd-leak pid=5 tid=5 prog=pipeline fd=4 target=pipe:[77] exec=wc%20-c try=1",
            hidden);
  CHECK(exec.find("wc") == std::string::npos);
  CHECK_THAT(exec, Contains("fd 4 (pipe:[77])"));
  std::string fifo = words(
      "ev=ipc-create pid=5 tid=5 prog=relay kind=fifo path=/tmp/secret-name ino=4", hidden);
  CHECK(fifo == "created FIFO");
}

TEST_CASE("records that are unknown or lack what their sentence needs are not shown",
          "[harness][shim_record_text]") {
  auto line = GENERATE(as<std::string>{},
                       "ev=something-new pid=5 tid=5 prog=relay a=1",
                       "ev=eintr pid=5 tid=5 prog=relay fd=3",                   // no call
                       "ev=short-io pid=5 tid=5 prog=relay call=read fd=0 cut=4",  // no asked
                       "ev=signal-unsafe pid=5 tid=5 prog=p func=printf sig=99",  // no such signal
                       "ev=ipc-create pid=5 tid=5 prog=p kind=teapot name=/x");
  CAPTURE(line);
  CHECK_FALSE(describe_shim_record(parsed(line)).has_value());
}

TEST_CASE("control characters a program writes into a record are shown escaped",
          "[harness][shim_record_text]") {
  std::string text =
      words("ev=ipc-create pid=5 tid=5 prog=shm kind=shm name=/x%1B[2J%0Aforged%20line");
  CHECK(text.find('\x1b') == std::string::npos);
  CHECK(text.find('\n') == std::string::npos);
  CHECK_THAT(text, Contains("/x\\x1b[2J\\nforged line"));
}
