// The short_io fault of the preload shim: real partial reads and writes on
// pipes. Each test runs a fixture from fixtures/ (or a system tool) with
// LD_PRELOAD=libipcgrade_shim.so and checks what really went through the
// pipe, not only what the program was told.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/harness/shim/shim_testutil.h"

using namespace ipcgrade::shim_testutil;

namespace {

constexpr long kMiB = 1 << 20;

// Runs pipe_writer with the given arguments under env.
CapturedRun run_writer(std::vector<std::string> args,
                       std::map<std::string, std::string> env) {
  RunRequest request;
  request.argv = {fixture_path("pipe_writer")};
  request.argv.insert(request.argv.end(), args.begin(), args.end());
  request.env = std::move(env);
  return run_captured(request);
}

// Runs a pipe_reader build on stdin under env, reading chunk bytes a call.
CapturedRun run_reader(const std::string& fixture, long chunk,
                       std::string input,
                       std::map<std::string, std::string> env) {
  RunRequest request;
  request.argv = {fixture_path(fixture), std::to_string(chunk)};
  request.stdin_data = std::move(input);
  request.env = std::move(env);
  return run_captured(request);
}

// Counts the reads that returned fewer bytes than were waiting, for a
// reader whose whole input was in the pipe before it started. Fails if any
// read returned more than it could have, or if the bytes do not add up.
int count_short_reads(const std::vector<long>& returned, long chunk,
                      long input) {
  int shorts = 0;
  long left = input;
  for (long r : returned) {
    long whole = std::min(chunk, left);
    REQUIRE(r <= whole);
    if (r == 0) {
      break;
    }
    shorts += r < whole ? 1 : 0;
    left -= r;
  }
  REQUIRE(left == 0);
  return shorts;
}

}  // namespace

TEST_CASE("the shim library is built where the grader looks for it",
          "[harness][shim]") {
  REQUIRE(shim_path() == std::string(IPCGRADE_SHIM_PATH));
  REQUIRE(access(shim_path().c_str(), R_OK) == 0);
}

TEST_CASE(
    "one large write to a pipe comes back short, and only that much "
    "really went through",
    "[harness][shim]") {
  int shorts = 0;
  for (int seed = 1; seed <= 20; ++seed) {
    CAPTURE(seed);
    CapturedRun run =
        run_writer({"once", std::to_string(kMiB)},
                   shim_env("short_io,seed=" + std::to_string(seed)));
    INFO(run.describe());
    REQUIRE(run.exited_ok());
    std::vector<long> returned = parse_returned(run.err);
    REQUIRE(returned.size() == 1);
    long r = returned[0];
    REQUIRE(r >= 1);
    REQUIRE(r <= kMiB);
    REQUIRE(run.out.size() == static_cast<std::size_t>(r));
    REQUIRE(run.out == pattern_bytes(r));
    shorts += r < kMiB ? 1 : 0;
  }
  // Half the writes are cut on average; the seeds are fixed, so this is
  // deterministic.
  CHECK(shorts >= 5);
  CHECK(shorts <= 15);
}

TEST_CASE("a write loop delivers every byte intact under short_io",
          "[harness][shim]") {
  auto [mode, chunk] = GENERATE(table<std::string, long>({
      {"loop", kMiB},
      {"loop", 8192},
      {"writev_loop", 0},
  }));
  CAPTURE(mode, chunk);
  std::vector<std::string> args = {mode, std::to_string(kMiB)};
  if (mode == "loop") {
    args.push_back(std::to_string(chunk));
  }
  long asked = mode == "loop" ? chunk : kMiB;
  int shorts = 0;
  for (int seed = 1; seed <= 6; ++seed) {
    CAPTURE(seed);
    CapturedRun run =
        run_writer(args, shim_env("short_io,seed=" + std::to_string(seed)));
    INFO(run.describe());
    REQUIRE(run.exited_ok());
    REQUIRE(run.out == pattern_bytes(kMiB));
    long left = kMiB;
    for (long r : parse_returned(run.err)) {
      shorts += r < std::min(asked, left) ? 1 : 0;
      left -= r;
    }
    CHECK(left == 0);
  }
  CHECK(shorts > 0);
}

TEST_CASE(
    "one writev to a pipe is cut short for real, inside a piece or at "
    "a piece boundary",
    "[harness][shim]") {
  int inside_cuts = 0;
  int boundary_cuts = 0;
  for (int seed = 1; seed <= 20; ++seed) {
    CAPTURE(seed);
    CapturedRun run =
        run_writer({"writev_once", std::to_string(kMiB)},
                   shim_env("short_io,seed=" + std::to_string(seed)));
    INFO(run.describe());
    REQUIRE(run.exited_ok());
    std::vector<long> returned = parse_returned(run.err);
    REQUIRE(returned.size() == 1);
    REQUIRE(returned[0] >= 1);
    REQUIRE(run.out == pattern_bytes(returned[0]));
    if (returned[0] < kMiB) {
      // The fixture's pieces are kMiB / 40 bytes; the shim copies at most
      // 16 entries, so a cut past the 16th piece lands on a boundary.
      bool on_boundary = returned[0] % (kMiB / 40) == 0;
      CHECK((on_boundary || returned[0] < 16 * (kMiB / 40)));
      (on_boundary ? boundary_cuts : inside_cuts)++;
    }
  }
  CHECK(inside_cuts + boundary_cuts >= 5);
  CHECK(inside_cuts > 0);
  CHECK(boundary_cuts > 0);
}

TEST_CASE(
    "a program that ignores write's return value loses data under "
    "short_io",
    "[harness][shim]") {
  std::vector<std::string> args = {"ignore", std::to_string(kMiB), "65536"};
  SECTION("without faults the buggy program happens to work") {
    CapturedRun run = run_writer(args, shim_env(""));
    INFO(run.describe());
    REQUIRE(run.exited_ok());
    CHECK(run.out == pattern_bytes(kMiB));
  }
  SECTION("with short_io the reader gets fewer bytes") {
    CapturedRun run = run_writer(args, shim_env("short_io,seed=7"));
    INFO(run.describe());
    REQUIRE(run.exited_ok());
    CHECK(run.out.size() < static_cast<std::size_t>(kMiB));
  }
}

TEST_CASE("the shim follows fork and exec down a shell pipeline",
          "[harness][shim]") {
  std::string writer = fixture_path("pipe_writer");
  RunRequest request;
  request.env = shim_env("short_io,seed=11");
  SECTION("the buggy writer loses data behind sh and cat") {
    request.argv = {"/bin/sh", "-c",
                    "'" + writer + "' ignore 1048576 65536 | cat"};
    CapturedRun run = run_captured(request);
    INFO(run.describe());
    REQUIRE(run.exited_ok());
    CHECK(run.out.size() < static_cast<std::size_t>(kMiB));
  }
  SECTION("the looping writer loses nothing behind sh and cat") {
    request.argv = {"/bin/sh", "-c",
                    "'" + writer + "' loop 1048576 65536 | cat"};
    CapturedRun run = run_captured(request);
    INFO(run.describe());
    REQUIRE(run.exited_ok());
    CHECK(run.out == pattern_bytes(kMiB));
  }
}

TEST_CASE(
    "reads on a pipe return fewer bytes than are waiting, and a read "
    "loop still gets every byte",
    "[harness][shim]") {
  // pipe_reader_fortified reads through __read_chk, which the shim also
  // interposes.
  std::string reader = GENERATE("pipe_reader", "pipe_reader_fortified");
  CAPTURE(reader);
  if (reader == "pipe_reader_fortified") {
    RunRequest nm;
    nm.argv = {"nm", "-D", fixture_path(reader)};
    CapturedRun symbols = run_captured(nm);
    REQUIRE(symbols.exited_ok());
    REQUIRE(symbols.out.find("__read_chk") != std::string::npos);
  }
  SECTION("all input waiting in the pipe before the first read") {
    const long input = 60000;  // fits in a default 64 KiB pipe
    CapturedRun run = run_reader(reader, 4096, pattern_bytes(input),
                                 shim_env("short_io,seed=7"));
    INFO(run.describe());
    REQUIRE(run.exited_ok());
    CHECK(run.out == "bytes 60000 ok\n");
    CHECK(count_short_reads(parse_returned(run.err), 4096, input) > 0);
  }
  SECTION("4 MiB streamed through, read a MiB at a time") {
    CapturedRun run = run_reader(reader, kMiB, pattern_bytes(4 * kMiB),
                                 shim_env("short_io,seed=7"));
    INFO(run.describe());
    REQUIRE(run.exited_ok());
    CHECK(run.out == "bytes 4194304 ok\n");
  }
}

TEST_CASE("without short_io every transfer is whole", "[harness][shim]") {
  auto [what, preload, faults] =
      GENERATE(table<std::string, bool, std::string>({
          {"no shim at all", false, ""},
          {"shim without IPCGRADE_FAULTS", true, "<unset>"},
          {"empty IPCGRADE_FAULTS", true, ""},
          {"a seed but no fault", true, "seed=3"},
          {"near misses are not short_io", true,
           "short_iox,short,SHORT_IO,xshort_io,seed=1"},
      }));
  CAPTURE(what);
  std::map<std::string, std::string> env;
  if (preload) {
    env["LD_PRELOAD"] = shim_path();
    if (faults != "<unset>") {
      env["IPCGRADE_FAULTS"] = faults;
    }
  }
  SECTION("one write of 1 MiB returns 1 MiB") {
    CapturedRun run = run_writer({"once", std::to_string(kMiB)}, env);
    INFO(run.describe());
    REQUIRE(run.exited_ok());
    CHECK(parse_returned(run.err) == std::vector<long>{kMiB});
    CHECK(run.out.size() == static_cast<std::size_t>(kMiB));
  }
  SECTION("every read returns all that is waiting, up to the count") {
    const long input = 60000;
    CapturedRun run =
        run_reader("pipe_reader", 4096, pattern_bytes(input), env);
    INFO(run.describe());
    REQUIRE(run.exited_ok());
    CHECK(run.out == "bytes 60000 ok\n");
    CHECK(count_short_reads(parse_returned(run.err), 4096, input) == 0);
  }
}

TEST_CASE("a pipe write of at most PIPE_BUF bytes is never cut, as POSIX promises",
          "[harness][shim]") {
  // A correct program may write a short line in one write() (from a signal
  // handler, say): no real kernel cuts it, so neither does the shim.
  for (int seed = 1; seed <= 6; ++seed) {
    CAPTURE(seed);
    CapturedRun run = run_writer({"loop", "262144", "4096"},
                                 shim_env("short_io,seed=" + std::to_string(seed)));
    INFO(run.describe());
    REQUIRE(run.exited_ok());
    REQUIRE(run.out == pattern_bytes(262144));
    for (long r : parse_returned(run.err)) {
      CHECK(r == 4096);
    }
  }
}

TEST_CASE("the same seed gives the same short counts", "[harness][shim]") {
  std::vector<std::string> args = {"loop", "262144", "8192"};
  auto counts = [&](const std::string& faults) {
    CapturedRun run = run_writer(args, shim_env(faults));
    INFO(run.describe());
    REQUIRE(run.exited_ok());
    REQUIRE(run.out == pattern_bytes(262144));
    return parse_returned(run.err);
  };
  std::vector<long> first = counts("short_io,seed=42");
  REQUIRE(std::count_if(first.begin(), first.end(),
                        [](long r) { return r < 8192; }) > 1);
  CHECK(counts("short_io,seed=42") == first);
  SECTION("item order, blanks and hex do not change the seed") {
    CHECK(counts(" seed=0x2a , short_io,unknown=1") == first);
  }
  SECTION("another seed gives another sequence") {
    CHECK(counts("short_io,seed=43") != first);
  }
}

TEST_CASE("errno is set only by the real calls", "[harness][shim]") {
  std::string faults = GENERATE("short_io,seed=7", "short_io,seed=8", "");
  CAPTURE(faults);
  RunRequest request;
  request.argv = {fixture_path("errno_probe")};
  request.env = shim_env(faults);
  CapturedRun run = run_captured(request);
  INFO(run.describe());
  CHECK(run.out == "errno ok\n");
  CHECK(run.exited_ok());
}

TEST_CASE("threads each draw their own faults and lose nothing",
          "[harness][shim]") {
  CapturedRun run =
      run_writer({"threads", "4", "262144"}, shim_env("short_io,seed=5"));
  INFO(run.describe());
  REQUIRE(run.exited_ok());
  REQUIRE(run.err.rfind("threads ok shorts ", 0) == 0);
  CHECK(std::stol(run.err.substr(18)) > 0);
}

TEST_CASE("cat copies 4 MiB through pipes intact under short_io",
          "[harness][shim]") {
  std::string faults = GENERATE("short_io,seed=7", "short_io,seed=99");
  CAPTURE(faults);
  // Not the fixtures' pattern: a period that no chunk size divides.
  std::string input(4 * kMiB, '\0');
  unsigned x = 12345;
  for (char& c : input) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 16);
  }
  RunRequest request;
  request.argv = {"cat"};
  request.stdin_data = input;
  request.env = shim_env(faults);
  CapturedRun run = run_captured(request);
  INFO(run.describe());
  REQUIRE(run.exited_ok());
  CHECK(run.out.size() == input.size());
  CHECK(run.out == input);
}
