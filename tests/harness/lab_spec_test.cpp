#include "harness/lab_spec.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <random>
#include <sstream>

#include "harness/checkers/checker.h"
#include "tests/harness/temp_dir.h"

using namespace ipcgrade;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// The complete example of docs/lab-format.md, so the documentation is
// checked by the same loader that grades.
std::string documented_example() {
  std::ifstream in(fs::path(IPCGRADE_SOURCE_DIR) / "docs" / "lab-format.md");
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  const std::string start_marker = "<!-- example lab.yaml";
  std::size_t start = doc.find(start_marker);
  REQUIRE(start != std::string::npos);
  start = doc.find("```yaml\n", start);
  REQUIRE(start != std::string::npos);
  start += 8;
  const std::size_t end =
      doc.find("```\n<!-- end of example lab.yaml -->", start);
  REQUIRE(end != std::string::npos);
  return doc.substr(start, end - start);
}

// Writes the example lab with the files it names into `dir`/lab.
fs::path write_example_lab(const TempDir& tmp) {
  tmp.write("lab/lab.yaml", documented_example());
  tmp.write("lab/inputs/big.txt", std::string(5000, 'x') + "\n");
  tmp.write("lab/expected/head10.txt", std::string(10, 'x'));
  tmp.write("lab/starter/Makefile", "all: relay\n");
  return tmp.path() / "lab";
}

// Five lines of a valid lab; the tests list starts on line 6.
const std::string kHead =
    "lab: demo\n"
    "title: Demo\n"
    "programs:\n"
    "  - {name: relay, sources: relay.c}\n"
    "tests:\n";

const std::string kOneTest =
    "  - name: t1\n"
    "    program: relay\n";

}  // namespace

TEST_CASE("the documented example lab loads with every field as written",
          "[harness][lab_spec]") {
  TempDir tmp;
  const fs::path dir = write_example_lab(tmp);
  Result<LabSpec> lab = load_lab(dir);
  INFO(lab.status().message());
  REQUIRE(lab.ok());

  CHECK(lab->name == "relay-demo");
  CHECK(lab->title == "Relay: pipe(), fork(), dup2(), exec");
  CHECK(lab->dir == dir);
  CHECK(lab->file == dir / "lab.yaml");
  CHECK(lab->hash.size() == 64);
  REQUIRE(lab->programs.size() == 1);
  CHECK(lab->programs[0].name == "relay");
  CHECK(lab->programs[0].sources == "relay.c");

  CHECK(lab->build.command == std::vector<std::string>{"make"});
  CHECK(lab->build.starter_dir == dir / "starter");
  CHECK(lab->build.limits.wall == 60s);
  CHECK(lab->build.limits.cpu == 120s);
  CHECK(lab->build.limits.output_bytes == (1u << 20));
  CHECK(lab->build.limits.memory_bytes == (2ull << 30));

  CHECK(lab->limits.wall == 10s);
  CHECK(lab->limits.memory_bytes == (256u << 20));
  CHECK(lab->limits.processes == Limits{}.processes);

  REQUIRE(lab->tests.size() == 7);
  const TestSpec& hello = lab->tests[0];
  CHECK(hello.name == "relay-cat-hello");
  CHECK(hello.description == "one line passes through cat unchanged");
  CHECK(hello.program == "relay");
  CHECK(hello.args == std::vector<std::string>{"cat"});
  CHECK(hello.stdin_spec.kind == StdinSpec::Kind::kText);
  CHECK(hello.stdin_spec.text == "hello\n");
  CHECK(hello.expect.exit_status == 0);
  CHECK(hello.expect.stdout_expect.kind == OutputExpect::Kind::kText);
  CHECK(hello.expect.stdout_expect.value == "hello\n");
  CHECK(hello.expect.stderr_expect.kind == OutputExpect::Kind::kAny);
  CHECK(hello.points == 1);
  CHECK_FALSE(hello.hidden);
  CHECK(hello.repeat == 1);
  CHECK(hello.limits.wall == 10s);
  CHECK_FALSE(hello.faults.any());
  CHECK(hello.line == 15);

  const TestSpec& empty = lab->tests[1];
  CHECK(empty.stdin_spec.kind == StdinSpec::Kind::kText);
  CHECK(empty.stdin_spec.text.empty());
  CHECK(empty.expect.stdout_expect.kind == OutputExpect::Kind::kText);
  CHECK(empty.expect.stdout_expect.value.empty());

  const TestSpec& big = lab->tests[2];
  CHECK(big.stdin_spec.kind == StdinSpec::Kind::kGenerate);
  CHECK(big.stdin_spec.bytes == (1u << 20));
  CHECK(big.stdin_spec.seed == 7);
  CHECK(big.stdin_spec.alphabet == StdinSpec::Alphabet::kBinary);
  CHECK(big.stdin_spec.chunk == 1000);
  CHECK(big.expect.stdout_expect.kind == OutputExpect::Kind::kStdin);
  CHECK(big.expect.stdout_expect.finding == FindingKind::kShortIo);
  CHECK(big.faults.short_io);
  CHECK(big.faults.eintr);
  CHECK(big.faults.seed == 1);
  CHECK(big.points == 2);
  CHECK(big.repeat == 3);

  const TestSpec& epipe = lab->tests[3];
  CHECK(epipe.args == std::vector<std::string>{"head", "-c", "10"});
  CHECK(epipe.stdin_spec.kind == StdinSpec::Kind::kFile);
  CHECK(epipe.stdin_spec.file == dir / "inputs" / "big.txt");
  CHECK(epipe.expect.exit_status == 0);
  CHECK(epipe.expect.exit_finding == FindingKind::kSigpipe);
  CHECK(epipe.expect.stdout_expect.kind == OutputExpect::Kind::kFile);
  CHECK(epipe.expect.stdout_expect.file == dir / "expected" / "head10.txt");
  CHECK(epipe.expect.stderr_expect.kind == OutputExpect::Kind::kContains);
  CHECK(epipe.expect.stderr_expect.value == "Broken pipe");
  CHECK(epipe.expect.stderr_expect.times == 1);
  CHECK(epipe.expect.stderr_expect.finding == FindingKind::kSigpipe);
  CHECK(epipe.hidden);
  CHECK(epipe.limits.wall == 20s);
  CHECK(epipe.limits.memory_bytes == (256u << 20));

  const TestSpec& missing = lab->tests[4];
  CHECK(missing.expect.exit_status == 127);
  CHECK(missing.expect.stderr_expect.kind == OutputExpect::Kind::kRegex);
  CHECK(missing.expect.stderr_expect.value ==
        "relay: cannot run no-such-command: .*\n");
  CHECK_FALSE(missing.expect.stderr_expect.finding.has_value());

  const TestSpec& sort = lab->tests[5];
  CHECK(sort.stdin_spec.alphabet == StdinSpec::Alphabet::kText);
  CHECK(sort.stdin_spec.seed == 1);
  CHECK(sort.expect.stdout_expect.kind == OutputExpect::Kind::kCommand);
  CHECK(sort.expect.stdout_expect.value == "sort");

  const TestSpec& fds = lab->tests[6];
  CHECK_FALSE(fds.expect.exit_status.has_value());
  CHECK(fds.expect.stdout_expect.kind == OutputExpect::Kind::kChecker);
  CHECK(fds.expect.stdout_expect.value == "fd-list");
  CHECK(fds.expect.stdout_expect.finding == FindingKind::kFdLeak);

  CHECK(lab->max_score() == 8);
  REQUIRE(lab->find_program("relay") != nullptr);
  CHECK(lab->find_program("relay")->sources == "relay.c");
  CHECK(lab->find_program("pipeline") == nullptr);
}

TEST_CASE("the format documentation names every checker and finding kind",
          "[harness][lab_spec]") {
  std::ifstream in(fs::path(IPCGRADE_SOURCE_DIR) / "docs" / "lab-format.md");
  std::stringstream text;
  text << in.rdbuf();
  for (const Checker& checker : all_checkers()) {
    CAPTURE(checker.name);
    CHECK_THAT(text.str(), Contains("`" + std::string(checker.name) + "`"));
  }
  for (FindingKind kind : all_finding_kinds()) {
    CAPTURE(to_string(kind));
    CHECK_THAT(text.str(), Contains("`" + std::string(to_string(kind)) + "`"));
  }
}

TEST_CASE("a minimal lab gets every documented default",
          "[harness][lab_spec]") {
  TempDir tmp;
  tmp.write("lab/lab.yaml", kHead + kOneTest);
  Result<LabSpec> lab = load_lab(tmp.path() / "lab" / "lab.yaml");
  INFO(lab.status().message());
  REQUIRE(lab.ok());
  CHECK(lab->build.command == std::vector<std::string>{"make"});
  CHECK(lab->build.starter_dir.empty());
  CHECK(lab->build.limits.wall == 120s);
  CHECK(lab->build.limits.processes == 256);
  CHECK(lab->build.limits.open_files == 1024);
  CHECK(lab->build.limits.file_size_bytes == (256u << 20));
  const Limits defaults;
  CHECK(lab->limits.wall == defaults.wall);
  CHECK(lab->limits.memory_bytes == defaults.memory_bytes);
  REQUIRE(lab->tests.size() == 1);
  const TestSpec& test = lab->tests[0];
  CHECK(test.line == 6);
  CHECK(test.args.empty());
  CHECK(test.stdin_spec.kind == StdinSpec::Kind::kText);
  CHECK(test.stdin_spec.text.empty());
  CHECK(test.stdin_spec.chunk == 0);
  CHECK(test.expect.exit_status == 0);
  CHECK_FALSE(test.expect.exit_finding.has_value());
  CHECK(test.expect.stdout_expect.kind == OutputExpect::Kind::kAny);
  CHECK(test.expect.stderr_expect.kind == OutputExpect::Kind::kAny);
  CHECK(test.points == 1);
  CHECK_FALSE(test.hidden);
  CHECK(test.repeat == 1);
  CHECK(test.limits.cpu == defaults.cpu);
  CHECK(test.limits.output_bytes == defaults.output_bytes);
  CHECK_FALSE(test.faults.any());

  SECTION("a starter folder is used without being named") {
    tmp.write("lab/starter/Makefile", "all:\n");
    Result<LabSpec> with_starter = load_lab(tmp.path() / "lab");
    REQUIRE(with_starter.ok());
    CHECK(with_starter->build.starter_dir == tmp.path() / "lab" / "starter");
  }
  SECTION("starter: \"\" turns the default starter off") {
    tmp.write("lab/starter/Makefile", "all:\n");
    tmp.write("lab/lab.yaml", kHead + kOneTest + "build: {starter: \"\"}\n");
    Result<LabSpec> without = load_lab(tmp.path() / "lab");
    INFO(without.status().message());
    REQUIRE(without.ok());
    CHECK(without->build.starter_dir.empty());
  }
}

TEST_CASE("durations and sizes are read in every documented unit",
          "[harness][lab_spec]") {
  auto [written, wall_ms, memory] =
      GENERATE(table<std::string, long, std::uint64_t>({
          {"{wall: 10, memory: 4096}", 10000, 4096},
          {"{wall: 0.25, memory: 512B}", 250, 512},
          {"{wall: 500ms, memory: 64KiB}", 500, 64ull << 10},
          {"{wall: 10s, memory: 8MiB}", 10000, 8ull << 20},
          {"{wall: 2m, memory: 1GiB}", 120000, 1ull << 30},
          {"{wall: 1.5s, memory: 3 GiB}", 1500, 3ull << 30},
          {"{wall: 1ms, memory: 1}", 1, 1},
      }));
  CAPTURE(written);
  TempDir tmp;
  tmp.write("lab/lab.yaml", kHead + kOneTest + "limits: " + written + "\n");
  Result<LabSpec> lab = load_lab(tmp.path() / "lab");
  INFO(lab.status().message());
  REQUIRE(lab.ok());
  CHECK(lab->limits.wall == std::chrono::milliseconds(wall_ms));
  CHECK(lab->limits.memory_bytes == memory);
  CHECK(lab->tests[0].limits.wall == std::chrono::milliseconds(wall_ms));
}

TEST_CASE("a test's limits override the lab's one field at a time",
          "[harness][lab_spec]") {
  TempDir tmp;
  tmp.write("lab/lab.yaml", kHead +
                                "  - name: t1\n"
                                "    program: relay\n"
                                "    limits: {cpu: 3s, open_files: 16}\n"
                                "limits: {wall: 5s, cpu: 4s, processes: 32}\n");
  Result<LabSpec> lab = load_lab(tmp.path() / "lab");
  INFO(lab.status().message());
  REQUIRE(lab.ok());
  const Limits& limits = lab->tests[0].limits;
  CHECK(limits.wall == 5s);
  CHECK(limits.cpu == 3s);
  CHECK(limits.processes == 32);
  CHECK(limits.open_files == 16);
  CHECK(limits.memory_bytes == Limits{}.memory_bytes);
}

TEST_CASE(
    "every malformed test field is reported with its file, line and field",
    "[harness][lab_spec]") {
  // Each row: the tests list (starting on line 6), then the line, the field
  // path and the problem the message must name.
  auto [tests, line, field,
        problem] = GENERATE(table<std::string, int, std::string, std::string>({
      {kOneTest + "    expect: {exit: zero}\n", 8, "tests[0].expect.exit",
       "expected an integer 0..255 or 'any', got 'zero'"},
      {kOneTest + "    expect: {exit: 256}\n", 8, "tests[0].expect.exit",
       "expected an integer 0..255 or 'any', got '256'"},
      {kOneTest + "    expect:\n      exit: -1\n", 9, "tests[0].expect.exit",
       "expected an integer 0..255 or 'any', got '-1'"},
      {kOneTest + "    stdn: x\n", 8, "tests[0]",
       "unknown field 'stdn' (did you mean 'stdin'?)"},
      {kOneTest + "    frobnicate: x\n", 8, "tests[0]",
       "unknown field 'frobnicate' (expected one of: name, description, "
       "program"},
      {"  - name: t1\n    program: rely\n", 7, "tests[0].program",
       "unknown program 'rely' (did you mean 'relay'?)"},
      {"  - name: t1\n    args: [cat]\n", 6, "tests[0]",
       "missing required field 'program'"},
      {"  - program: relay\n", 6, "tests[0]", "missing required field 'name'"},
      {kOneTest + kOneTest, 8, "tests[1]",
       "test 't1' is declared twice (first at line 6)"},
      {"  - name: T1\n    program: relay\n", 6, "tests[0].name",
       "a test name uses lowercase letters"},
      {"  - name: -x\n    program: relay\n", 6, "tests[0].name",
       "starting with a letter or digit, got '-x'"},
      {kOneTest + "    points: -1\n", 8, "tests[0].points",
       "expected a number 0..1000000, got '-1'"},
      {kOneTest + "    points: \"one\\ntwo\"\n", 8, "tests[0].points",
       "expected a number 0..1000000, got 'one\\ntwo'"},
      {kOneTest + "    points: 1e9\n", 8, "tests[0].points",
       "expected a number 0..1000000, got '1e9'"},
      {kOneTest + "    repeat: 0\n", 8, "tests[0].repeat",
       "expected an integer 1..1000, got '0'"},
      {kOneTest + "    repeat: 99999999999999999999999\n", 8, "tests[0].repeat",
       "expected an integer 1..1000, got '99999999999999999999999'"},
      {kOneTest + "    visibility: hiden\n", 8, "tests[0].visibility",
       "got 'hiden' (did you mean 'hidden'?)"},
      {kOneTest + "    limits: {wall: ten}\n", 8, "tests[0].limits.wall",
       "expected a duration such as 500ms, 10s or 2m"},
      {kOneTest + "    limits: {wall: 0}\n", 8, "tests[0].limits.wall",
       "must be at least 1ms, got '0'"},
      {kOneTest + "    limits: {wall: 2h}\n", 8, "tests[0].limits.wall",
       "expected a duration"},
      {kOneTest + "    limits: {cpu: 90000s}\n", 8, "tests[0].limits.cpu",
       "must be at most 24 hours"},
      {kOneTest + "    limits: {memory: 1GB}\n", 8, "tests[0].limits.memory",
       "unknown size unit 'GB' in '1GB': use B, KiB, MiB or GiB"},
      {kOneTest + "    limits: {memory: 0.5GiB}\n", 8, "tests[0].limits.memory",
       "expected a whole number of GiB (write 512MiB rather than 0.5GiB)"},
      {kOneTest + "    limits: {memory: 99999999999GiB}\n", 8,
       "tests[0].limits.memory",
       "must be at most 1024GiB, got '99999999999GiB'"},
      {kOneTest + "    limits: {output: 0}\n", 8, "tests[0].limits.output",
       "must be at least 1 byte"},
      {kOneTest + "    limits: {processes: 0}\n", 8,
       "tests[0].limits.processes", "expected an integer 1..1048576, got '0'"},
      {kOneTest + "    limits: {open_files: many}\n", 8,
       "tests[0].limits.open_files",
       "expected an integer 1..1048576, got 'many'"},
      {kOneTest + "    limits: {wal: 1s}\n", 8, "tests[0].limits",
       "unknown field 'wal' (did you mean 'wall'?)"},
      {kOneTest + "    stdin: {text: a, file: inputs/in.txt}\n", 8,
       "tests[0].stdin.file",
       "give only one of text, file, generate (found both 'text' and 'file')"},
      {kOneTest + "    stdin: {chunk: 4}\n", 8, "tests[0].stdin",
       "needs one of: text, file, generate"},
      {kOneTest + "    stdin: {text: a, chunk: 0}\n", 8, "tests[0].stdin.chunk",
       "must be at least 1 byte"},
      {kOneTest + "    stdin:\n", 8, "tests[0].stdin",
       "got nothing (write \"\" for no input)"},
      {kOneTest + "    stdin: [a]\n", 8, "tests[0].stdin",
       "expected a map of fields"},
      {kOneTest + "    stdin: {file: missing.bin}\n", 8, "tests[0].stdin.file",
       "cannot use 'missing.bin'"},
      {kOneTest + "    stdin: {file: ../outside.txt}\n", 8,
       "tests[0].stdin.file", "'../outside.txt' leads outside the lab folder"},
      {kOneTest + "    stdin: {file: ../../no/such/file}\n", 8,
       "tests[0].stdin.file",
       "'../../no/such/file' leads outside the lab folder"},
      {kOneTest + "    stdin: {file: inputs/escape}\n", 8,
       "tests[0].stdin.file", "'inputs/escape' leads outside the lab folder"},
      {kOneTest + "    stdin: {file: /etc/passwd}\n", 8, "tests[0].stdin.file",
       "'/etc/passwd' must be a path relative to the lab folder"},
      {kOneTest + "    stdin: {file: inputs}\n", 8, "tests[0].stdin.file",
       "'inputs' is not a regular file"},
      {kOneTest + "    stdin: {generate: {bytes: 2GiB}}\n", 8,
       "tests[0].stdin.generate.bytes", "must be at most 1GiB"},
      {kOneTest + "    stdin: {generate: {seed: 3}}\n", 8,
       "tests[0].stdin.generate", "missing required field 'bytes'"},
      {kOneTest + "    stdin: {generate: {bytes: 10, alphabet: ascii}}\n", 8,
       "tests[0].stdin.generate.alphabet",
       "expected one of binary, text, got 'ascii'"},
      {kOneTest + "    stdin: {generate: {bytes: 10, seed: -1}}\n", 8,
       "tests[0].stdin.generate.seed", "expected an integer >= 0, got '-1'"},
      {kOneTest + "    stdin: {text: a}\n    stdin: b\n", 9, "tests[0].stdin",
       "appears twice (first at line 8)"},
      {kOneTest + "    expect: {stdout: {regex: \"a(\"}}\n", 8,
       "tests[0].expect.stdout.regex", "the regex 'a(' does not compile"},
      {kOneTest + "    expect: {stdout: {contains: x, times: -2}}\n", 8,
       "tests[0].expect.stdout.times",
       "expected an integer 0..1000000000, got '-2'"},
      {kOneTest + "    expect: {stdout: {text: x, times: 2}}\n", 8,
       "tests[0].expect.stdout.times", "'times' goes only with 'contains'"},
      {kOneTest + "    expect: {stdout: {checker: fd-lst}}\n", 8,
       "tests[0].expect.stdout.checker",
       "unknown checker 'fd-lst' (did you mean 'fd-list'?)"},
      {kOneTest + "    expect: {stdout: {stdin: false}}\n", 8,
       "tests[0].expect.stdout.stdin", "only 'stdin: true' means something"},
      {kOneTest + "    expect: {stdout: {command: \"\"}}\n", 8,
       "tests[0].expect.stdout.command", "must not be empty"},
      {kOneTest + "    expect: {stdout: {file: expected}}\n", 8,
       "tests[0].expect.stdout.file", "'expected' is not a regular file"},
      {kOneTest + "    expect: {stdout: {finding: crash}}\n", 8,
       "tests[0].expect.stdout",
       "needs one of: text, file, regex, contains, stdin, command, checker"},
      {kOneTest + "    expect:\n      stdout:\n", 9, "tests[0].expect.stdout",
       "got nothing (write \"\" to require empty output"},
      {kOneTest +
           "    expect:\n      stderr: {contains: pipe, finding: sigpip}\n",
       9, "tests[0].expect.stderr.finding",
       "unknown finding kind 'sigpip' (did you mean 'sigpipe'?)"},
      {kOneTest + "    expect: {exit_finding: segv}\n", 8,
       "tests[0].expect.exit_finding",
       "unknown finding kind 'segv' (expected one of: build, wrong-output"},
      {kOneTest + "    expect: {stdout: x, sdterr: y}\n", 8, "tests[0].expect",
       "unknown field 'sdterr' (did you mean 'stderr'?)"},
      {kOneTest + "    faults: {short_io: maybe}\n", 8,
       "tests[0].faults.short_io", "expected true or false, got 'maybe'"},
      {kOneTest + "    faults: {eintr: true, sed: 3}\n", 8, "tests[0].faults",
       "unknown field 'sed' (did you mean 'seed'?)"},
      {kOneTest + "    stdin: {text: abc, pause: 100ms}\n", 8, "tests[0].stdin.pause",
       "a pause goes between chunks: add 'chunk: SIZE'"},
      {kOneTest + "    stdin: {text: abc, chunk: 1, pause: 11s}\n", 8, "tests[0].stdin.pause",
       "at most 10s between chunks"},
      {kOneTest + "    expect: {max_cpu: 0}\n", 8, "tests[0].expect.max_cpu",
       "expected a number 0.01..64, got '0'"},
      {kOneTest + "    expect: {max_cpu: lots}\n", 8, "tests[0].expect.max_cpu",
       "expected a number 0.01..64, got 'lots'"},
      {kOneTest + "    args: cat\n", 8, "tests[0].args",
       "expected a list, got 'cat'"},
      {kOneTest + "    args: [[a]]\n", 8, "tests[0].args[0]",
       "expected text, got a list"},
      {kOneTest + "    description:\n", 8, "tests[0].description",
       "expected text, got nothing"},
      {"  - just-a-name\n", 6, "tests[0]", "expected a map of fields"},
  }));
  CAPTURE(tests);
  TempDir tmp;
  tmp.write("outside.txt", "secret\n");
  tmp.write("lab/inputs/in.txt", "in\n");
  tmp.write("lab/expected/out.txt", "out\n");
  fs::create_symlink("../../outside.txt",
                     tmp.path() / "lab" / "inputs" / "escape");
  const fs::path file = tmp.write("lab/lab.yaml", kHead + tests);

  Result<LabSpec> lab = load_lab(file);
  REQUIRE_FALSE(lab.ok());
  CHECK(lab.status().code() == Status::Code::kInvalidInput);
  CHECK_THAT(lab.status().message(),
             StartsWith(file.string() + ":" + std::to_string(line) + ": " +
                        field + ": "));
  CHECK_THAT(lab.status().message(), Contains(problem));
}

TEST_CASE(
    "every malformed top-level field is reported with its file, line and field",
    "[harness][lab_spec]") {
  // A field of "" means the problem is the whole file's ("<file>:<line>: ...").
  auto [yaml, line, field,
        problem] = GENERATE(table<std::string, int, std::string, std::string>({
      {"lab: Demo\n" + kHead.substr(10) + kOneTest, 1, "lab",
       "a lab name uses only lowercase letters, digits and '-', got 'Demo'"},
      {"lab: demo\nprograms: [{name: relay}]\ntests: [{name: t, program: "
       "relay}]\n",
       1, "", "missing required field 'title'"},
      {"title: T\nprograms: [{name: relay}]\ntests: [{name: t, program: "
       "relay}]\n",
       1, "", "missing required field 'lab'"},
      {kHead.substr(0, 22) + "tittle: x\n" + kHead.substr(22) + kOneTest, 3, "",
       "unknown field 'tittle' (did you mean 'title'?)"},
      {"lab: demo\ntitle: \"\"\nprograms: [{name: relay}]\ntests: [{name: t, "
       "program: relay}]\n",
       2, "title", "must not be empty"},
      {"lab: demo\ntitle: T\nprograms: []\ntests: [{name: t, program: "
       "relay}]\n",
       3, "programs", "a lab needs at least one program"},
      {"lab: demo\ntitle: T\nprograms: relay\ntests: [{name: t, program: "
       "relay}]\n",
       3, "programs", "expected a list, got 'relay'"},
      {"lab: demo\ntitle: T\nprograms:\n  - {name: relay}\n  - {name: relay}\n"
       "tests: [{name: t, program: relay}]\n",
       5, "programs[1].name",
       "program 'relay' is declared twice (first at line 4)"},
      {"lab: demo\ntitle: T\nprograms:\n  - {name: \"re lay\"}\n"
       "tests: [{name: t, program: relay}]\n",
       4, "programs[0].name", "a program name uses only letters, digits"},
      {"lab: demo\ntitle: T\nprograms:\n  - {name: ..}\ntests: [{name: t, "
       "program: ..}]\n",
       4, "programs[0].name", "cannot be '.' or '..'"},
      {"lab: demo\ntitle: T\nprograms:\n  - {name: relay, source: relay.c}\n"
       "tests: [{name: t, program: relay}]\n",
       4, "programs[0]", "unknown field 'source' (did you mean 'sources'?)"},
      {kHead + "tests: []\n", 6, "tests", "appears twice (first at line 5)"},
      {"lab: demo\ntitle: T\nprograms: [{name: relay}]\ntests: []\n", 4,
       "tests", "a lab needs at least one test"},
      {kHead + kOneTest + "build: {command: []}\n", 8, "build.command",
       "the build command needs at least one word"},
      {kHead + kOneTest + "build: {command: [make, \"\"]}\n", 8,
       "build.command[1]", "must not be empty"},
      {kHead + kOneTest + "build:\n  starter: nope\n", 9, "build.starter",
       "cannot use 'nope'"},
      {kHead + kOneTest + "build:\n  starter: inputs/in.txt\n", 9,
       "build.starter", "'inputs/in.txt' is not a folder"},
      {kHead + kOneTest + "build: {limits: {wall: 2h}}\n", 8,
       "build.limits.wall", "expected a duration"},
      {kHead + kOneTest + "build: make\n", 8, "build",
       "expected a map of fields"},
      {kHead + kOneTest + "limits:\n  cpu: -1s\n", 9, "limits.cpu",
       "expected a duration"},
      {kHead + kOneTest + "limits:\n  memory: 512MB\n", 9, "limits.memory",
       "unknown size unit 'MB'"},
      {"- lab: demo\n", 1, "",
       "expected a map of fields (lab, title, programs, build, "
       "limits, tests, advice), got a list"},
      {"just some words\n", 1, "", "expected a map of fields"},
      {kHead + kOneTest + "---\nlab: other\n", 9, "",
       "must hold one YAML document"},
      {"# only a comment\n", 1, "", "the file is empty"},
      {"", 1, "", "the file is empty"},
      {"lab: demo\n  title: x\n", 2, "", "YAML syntax error"},
      {"lab: demo\ntitle: {a: [1, 2}\n", 2, "", "YAML syntax error"},
      {"lab: " + std::string(3000, '[') + std::string(3000, ']') + "\n", 1, "",
       "nested too deeply"},
  }));
  CAPTURE(yaml);
  TempDir tmp;
  tmp.write("lab/inputs/in.txt", "in\n");
  const fs::path file = tmp.write("lab/lab.yaml", yaml);

  Result<LabSpec> lab = load_lab(tmp.path() / "lab");
  REQUIRE_FALSE(lab.ok());
  CHECK(lab.status().code() == Status::Code::kInvalidInput);
  const std::string where = file.string() + ":" + std::to_string(line) + ":";
  CHECK_THAT(lab.status().message(), StartsWith(where));
  if (!field.empty()) {
    CHECK_THAT(lab.status().message(), StartsWith(where + " " + field + ": "));
  }
  CHECK_THAT(lab.status().message(), Contains(problem));
}

TEST_CASE("a YAML syntax error names the file, the line and the column",
          "[harness][lab_spec]") {
  TempDir tmp;
  const fs::path file =
      tmp.write("lab/lab.yaml", "lab: demo\ntitle: [unclosed\n");
  Result<LabSpec> lab = load_lab(file);
  REQUIRE_FALSE(lab.ok());
  CHECK(lab.status().code() == Status::Code::kInvalidInput);
  // "<file>:<line>:<column>: YAML syntax error: ..."
  CHECK_THAT(lab.status().message(), StartsWith(file.string() + ":"));
  const std::string rest =
      lab.status().message().substr(file.string().size() + 1);
  int line = 0;
  int column = 0;
  REQUIRE(std::sscanf(rest.c_str(), "%d:%d:", &line, &column) == 2);
  CHECK(line >= 2);
  CHECK(column >= 1);
  CHECK_THAT(rest, Contains("YAML syntax error"));
}

TEST_CASE("a path that is not a lab is an error naming the path",
          "[harness][lab_spec]") {
  TempDir tmp;
  SECTION("a missing path") {
    Result<LabSpec> lab = load_lab(tmp.path() / "nope");
    REQUIRE_FALSE(lab.ok());
    CHECK(lab.status().code() == Status::Code::kInvalidInput);
    CHECK_THAT(
        lab.status().message(),
        StartsWith((tmp.path() / "nope").string() + ": no such lab folder"));
  }
  SECTION("a folder without lab.yaml") {
    fs::create_directories(tmp.path() / "empty");
    Result<LabSpec> lab = load_lab(tmp.path() / "empty");
    REQUIRE_FALSE(lab.ok());
    CHECK_THAT(
        lab.status().message(),
        StartsWith((tmp.path() / "empty").string() + ": not a lab folder"));
    CHECK_THAT(lab.status().message(), Contains("no lab.yaml"));
  }
  SECTION("lab.yaml is a folder") {
    fs::create_directories(tmp.path() / "odd" / "lab.yaml");
    Result<LabSpec> lab = load_lab(tmp.path() / "odd");
    REQUIRE_FALSE(lab.ok());
    CHECK_THAT(lab.status().message(),
               StartsWith((tmp.path() / "odd" / "lab.yaml").string() +
                          ": not a regular file"));
  }
}

TEST_CASE("errors quote the path as the caller gave it",
          "[harness][lab_spec]") {
  TempDir tmp;
  tmp.write("lab/lab.yaml", "lab: Bad\n" + kHead.substr(10) + kOneTest);
  char* old_cwd = getcwd(nullptr, 0);
  REQUIRE(old_cwd != nullptr);
  REQUIRE(chdir(tmp.path().c_str()) == 0);
  Result<LabSpec> lab = load_lab("lab");
  REQUIRE(chdir(old_cwd) == 0);
  std::free(old_cwd);
  REQUIRE_FALSE(lab.ok());
  CHECK_THAT(lab.status().message(), StartsWith("lab/lab.yaml:1: lab: "));
}

TEST_CASE("the lab's hash covers lab.yaml, the files it names and the starter",
          "[harness][lab_spec]") {
  TempDir tmp;
  const fs::path dir = write_example_lab(tmp);
  auto hash = [&] {
    Result<LabSpec> lab = load_lab(dir);
    INFO(lab.status().message());
    REQUIRE(lab.ok());
    return lab->hash;
  };
  const std::string original = hash();
  CHECK(hash() == original);

  SECTION("a file outside what the lab names does not change it") {
    tmp.write("lab/README.md", "handout\n");
    tmp.write("lab/solution/relay.c", "int main(void) { return 0; }\n");
    CHECK(hash() == original);
  }
  SECTION("editing a stdin file changes it") {
    tmp.write("lab/inputs/big.txt", "other\n");
    CHECK(hash() != original);
  }
  SECTION("editing an expected-output file changes it") {
    tmp.write("lab/expected/head10.txt", "yyyyyyyyyy");
    CHECK(hash() != original);
  }
  SECTION("adding a starter file changes it") {
    tmp.write("lab/starter/relay.c", "/* TODO */\n");
    CHECK(hash() != original);
  }
  SECTION("editing lab.yaml, even a comment, changes it") {
    tmp.write("lab/lab.yaml", documented_example() + "# a comment\n");
    CHECK(hash() != original);
  }
}

TEST_CASE("resolve_lab finds shipped labs by name and lab folders by path",
          "[harness][lab_spec]") {
  TempDir tmp;
  const fs::path root = tmp.path() / "labs";
  tmp.write("labs/pipes/lab.yaml", "lab: pipes\n");
  tmp.write("labs/signals/lab.yaml", "lab: signals\n");
  fs::create_directories(root / "not-a-lab");
  tmp.write("mine/lab.yaml", "lab: mine\n");

  SECTION("a shipped lab's name") {
    Result<fs::path> path = resolve_lab("pipes", root);
    REQUIRE(path.ok());
    CHECK(*path == root / "pipes");
  }
  SECTION("a path with a slash") {
    Result<fs::path> path = resolve_lab((tmp.path() / "mine").string(), root);
    REQUIRE(path.ok());
    CHECK(*path == tmp.path() / "mine");
  }
  SECTION("a path to lab.yaml itself") {
    Result<fs::path> path =
        resolve_lab((tmp.path() / "mine" / "lab.yaml").string(), root);
    REQUIRE(path.ok());
    CHECK(*path == tmp.path() / "mine" / "lab.yaml");
  }
  SECTION("an unknown name lists the shipped labs") {
    Result<fs::path> path = resolve_lab("piped", root);
    REQUIRE_FALSE(path.ok());
    CHECK(path.status().code() == Status::Code::kInvalidInput);
    CHECK_THAT(path.status().message(),
               Contains("no lab called 'piped' in " + root.string()));
    CHECK_THAT(path.status().message(), Contains("did you mean 'pipes'?"));
    CHECK_THAT(path.status().message(),
               Contains("shipped labs: pipes, signals"));
    CHECK_THAT(path.status().message(), !Contains("not-a-lab"));
  }
  SECTION("a folder without lab.yaml is not a lab") {
    Result<fs::path> path = resolve_lab((root / "not-a-lab").string(), root);
    REQUIRE_FALSE(path.ok());
    CHECK_THAT(path.status().message(),
               Contains("not a lab folder: it has no lab.yaml"));
  }
  SECTION("a missing path") {
    Result<fs::path> path = resolve_lab("./nowhere", root);
    REQUIRE_FALSE(path.ok());
    CHECK_THAT(path.status().message(),
               StartsWith("./nowhere: no such lab folder"));
  }
  SECTION("an empty labs root says so") {
    Result<fs::path> path = resolve_lab("pipes", tmp.path() / "no-labs-here");
    REQUIRE_FALSE(path.ok());
    CHECK_THAT(path.status().message(), Contains("no labs found there"));
  }
}

TEST_CASE("no truncation or corruption of a lab file crashes the loader",
          "[harness][lab_spec]") {
  TempDir tmp;
  const fs::path dir = write_example_lab(tmp);
  const std::string example = documented_example();
  const std::string file = (dir / "lab.yaml").string();
  auto check_clean = [&](const std::string& yaml) {
    tmp.write("lab/lab.yaml", yaml);
    Result<LabSpec> lab = load_lab(dir);
    if (!lab.ok()) {
      CAPTURE(yaml);
      CHECK(lab.status().code() == Status::Code::kInvalidInput);
      CHECK_THAT(lab.status().message(), StartsWith(file + ":"));
    }
  };
  for (std::size_t length = 0; length <= example.size(); length += 7) {
    check_clean(example.substr(0, length));
  }
  std::mt19937 random(12345);
  const std::string noise = "{}[]:,-#&*!|>'\"%@` \n\tx0";
  for (int i = 0; i < 300; ++i) {
    std::string yaml = example;
    for (int k = 0; k < 3; ++k) {
      yaml[random() % yaml.size()] = noise[random() % noise.size()];
    }
    check_clean(yaml);
  }
}

TEST_CASE("the shipped pipes lab loads", "[harness][lab_spec]") {
  const fs::path dir = fs::path(IPCGRADE_SOURCE_DIR) / "labs" / "pipes";
  REQUIRE(fs::exists(dir / "lab.yaml"));
  Result<LabSpec> lab = load_lab(dir);
  INFO(lab.status().message());
  REQUIRE(lab.ok());
  CHECK(lab->name == "pipes");
  CHECK(lab->find_program("relay") != nullptr);
  CHECK(lab->find_program("pipeline") != nullptr);
  CHECK(lab->max_score() > 0);
}
