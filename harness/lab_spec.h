// LabSpec: a lab as declared in labs/<lab>/lab.yaml, loaded and validated.
//
// load_lab() is the only way to get one. It never throws and never crashes on
// a malformed file: every problem is an InvalidInput Status naming the file,
// the line and the field ("labs/pipes/lab.yaml:42: tests[3].expect.exit: ...").
// The format is documented for instructors in README.md ("Writing a lab").
//
// Paths inside a LabSpec (input files, the starter folder) are absolute and
// have been checked to stay inside the lab's folder.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "harness/finding.h"
#include "sandbox/limits.h"

namespace ipcgrade {

// What a test feeds on the program's stdin.
struct StdinSpec {
  enum class Kind {
    kText,      // the literal `text` (possibly empty)
    kFile,      // the bytes of `file`
    kGenerate,  // `bytes` pseudo-random bytes from `seed` (see stdin_source.h)
  };
  enum class Alphabet {
    kBinary,  // every byte value
    kText,    // printable lines of lowercase words, '\n' terminated
  };
  Kind kind = Kind::kText;
  std::string text;
  std::filesystem::path file;
  std::uint64_t bytes = 0;
  std::uint64_t seed = 1;
  Alphabet alphabet = Alphabet::kBinary;
  // The feeder writes at most this many bytes per write (0: as much as the
  // pipe takes), so the program's reads return short counts.
  std::uint64_t chunk = 0;
  // With chunk: the feeder waits this long after each chunk, so the program
  // must wait for input; a task burning CPU meanwhile is a busy-wait.
  std::chrono::milliseconds pause{0};
};

// What one output stream (stdout or stderr) must be.
struct OutputExpect {
  enum class Kind {
    kAny,       // not checked
    kText,      // exactly `value`
    kFile,      // exactly the bytes of `file`
    kRegex,     // `value` (ECMAScript) matches the whole stream
    kContains,  // `value` occurs on exactly `times` lines (times < 0: >= 1)
    kStdin,     // exactly the test's stdin
    kCommand,   // exactly what the trusted shell command `value` prints when
                // given the test's stdin (run once per test, sandboxed)
    kChecker,   // the named semantic checker (harness/checkers/) decides
  };
  Kind kind = Kind::kAny;
  std::string value;
  std::filesystem::path file;
  int times = -1;
  // The finding a mismatch produces (the instructor's diagnosis for this
  // test); nullopt means wrong-output.
  std::optional<FindingKind> finding;
};

struct Expectation {
  std::optional<int> exit_status = 0;  // 128+S when killed; nullopt: any
  std::optional<FindingKind> exit_finding;  // finding on a wrong exit status
  OutputExpect stdout_expect;
  OutputExpect stderr_expect;
  // At most this much CPU time (all processes) per second of wall time over
  // the run; more is a busy-wait. nullopt: not checked.
  std::optional<double> max_cpu;
};

// Faults planned for a test (the fault library reads them from the
// environment the harness gives it).
struct FaultPlan {
  bool short_io = false;  // pipe reads and writes move fewer bytes than asked
  bool eintr = false;     // blocking reads, writes, waits fail with EINTR
  bool perturb = false;   // seeded delays and yields at synchronisation/IPC calls
  bool stall = false;     // one long pause per thread at a wake-up call (busy-wait)
  std::uint64_t seed = 1;
  bool any() const;
};

// The one list of fault kinds: the lab.yaml key under `faults`, which is
// also the fault library's IPCGRADE_FAULTS item, and the words for people.
struct FaultKind {
  const char* key;  // "short_io"
  bool FaultPlan::*planned;
  const char* words;  // "short reads and writes"
};
const std::vector<FaultKind>& fault_kinds();

struct TestSpec {
  std::string name;
  std::string description;
  std::string program;            // one of LabSpec::programs
  std::vector<std::string> args;  // argv[1..]
  StdinSpec stdin_spec;
  Expectation expect;
  double points = 1;
  bool hidden = false;  // visibility: hidden
  int repeat = 1;
  Limits limits;        // the lab's limits with this test's overrides
  FaultPlan faults;
  bool tsan = false;    // also run once under ThreadSanitizer (harness/tsan_pass.h)
  int line = 0;         // where the test starts in lab.yaml
};

struct ProgramSpec {
  std::string name;     // the executable the Makefile must produce
  std::string sources;  // where a student should look ("relay.c")
};

struct BuildSpec {
  std::vector<std::string> command{"make"};
  std::filesystem::path starter_dir;  // its Makefile builds submissions without one
  Limits limits;
};

// Analyses that give advice (never points): harness/static_advice.h.
struct AdviceSpec {
  bool clang_tidy = true;
};

struct LabSpec {
  std::string name;
  std::string title;
  std::filesystem::path dir;   // the lab's folder
  std::filesystem::path file;  // its lab.yaml
  std::string hash;            // hex digest of lab.yaml and every file it names
  std::vector<ProgramSpec> programs;
  BuildSpec build;
  Limits limits;               // defaults for every test
  std::vector<TestSpec> tests;
  AdviceSpec advice;

  double max_score() const;
  const ProgramSpec* find_program(const std::string& name) const;
};

// Loads `path`: a lab folder (containing lab.yaml) or a lab.yaml file.
Result<LabSpec> load_lab(const std::filesystem::path& path);

// A shipped lab's name ("pipes") or a path to a lab folder, resolved against
// `labs_root` (the shipped labs/ folder).
Result<std::filesystem::path> resolve_lab(const std::string& name_or_path,
                                          const std::filesystem::path& labs_root);

}  // namespace ipcgrade
