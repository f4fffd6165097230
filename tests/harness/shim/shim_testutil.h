// Test support for the preload shim: runs a program with the shim's
// environment and captures what it does, and builds the small C fixture
// programs of tests/harness/shim/fixtures/ at test time.
//
// run_captured() forks and execs one program (in its own process group),
// feeds it stdin from a pipe and collects stdout and stderr from pipes, so
// all three of its standard descriptors are FIFOs: exactly what short_io
// acts on. It is meant for Catch2's single test thread; while it runs,
// SIGPIPE is ignored in the test process (a child may close stdin early).
//
// Fixtures are compiled once per test binary run into a private temporary
// directory, removed at exit.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace ipcgrade::shim_testutil {

struct RunRequest {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH
  // Set on top of the test's own environment, from which LD_PRELOAD and
  // IPCGRADE_FAULTS are always removed first.
  std::map<std::string, std::string> env;
  std::string stdin_data;  // as much as fits is in the pipe before exec
  std::chrono::seconds timeout{60};
};

// How a captured run ended, and what it printed.
struct CapturedRun {
  enum class End { kExited, kSignaled, kTimedOut, kNotStarted };
  End end = End::kNotStarted;
  int exit_code = -1;   // kExited
  int term_signal = 0;  // kSignaled
  std::string out;
  std::string err;  // for kNotStarted: why

  bool exited_ok() const { return end == End::kExited && exit_code == 0; }
  // One line for INFO(): how it ended and the start of stderr.
  std::string describe() const;
};

CapturedRun run_captured(const RunRequest& request);

// build-dir/libipcgrade_shim.so
std::string shim_path();

// The environment of a fault run: LD_PRELOAD=shim, IPCGRADE_FAULTS=faults.
std::map<std::string, std::string> shim_env(const std::string& faults);

// The environment of a fault run in which the fixtures are the student's
// programs: shim_env(faults) plus IPCGRADE_STUDENT_DIR = the folder the
// fixtures are compiled into (eintr and perturb act only there).
std::map<std::string, std::string> student_env(const std::string& faults);

// A temporary file for IPCGRADE_LOG, removed when it goes out of scope.
class ShimLogFile {
 public:
  ShimLogFile();
  ~ShimLogFile();
  ShimLogFile(const ShimLogFile&) = delete;
  ShimLogFile& operator=(const ShimLogFile&) = delete;
  const std::string& path() const { return path_; }
  // The records, one line each, in the order written.
  std::vector<std::string> records() const;

 private:
  std::string path_;
};

// The path of a compiled fixture: "pipe_writer", "pipe_reader",
// "pipe_reader_fortified" (pipe_reader.c with -D_FORTIFY_SOURCE=2),
// "errno_probe". Throws with the compiler's output if the build fails.
std::string fixture_path(const std::string& name);

// The fixtures' byte pattern: byte i is i % 251.
std::string pattern_bytes(std::size_t n);

// The numbers after "returned" on the first line of a fixture's report.
std::vector<long> parse_returned(const std::string& report);

}  // namespace ipcgrade::shim_testutil
