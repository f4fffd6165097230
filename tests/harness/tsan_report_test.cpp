// Tests of harness/tsan_report.h on real ThreadSanitizer logs (tiny
// programs compiled here with gcc -fsanitize=thread and run directly) and on
// hostile input, and of the TSan pass end to end through grade_submission.
#include "harness/tsan_report.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "harness/grading.h"
#include "harness/tsan_pass.h"
#include "sandbox/sandbox.h"
#include "tests/harness/temp_dir.h"

namespace ipcgrade {
namespace {

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using Catch::Matchers::Matches;

constexpr const char* kRacy = R"c(#include <pthread.h>
#include <stdio.h>

static long counter;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *adder(void *arg) {
  for (int i = 0; i < 100000; i++) {
    pthread_mutex_lock(&lock);
    counter++;
    pthread_mutex_unlock(&lock);
  }
  return arg;
}

static void *sloppy(void *arg) {
  for (int i = 0; i < 100000; i++) {
    counter++;
  }
  return arg;
}

int main(void) {
  pthread_t a, b;
  pthread_create(&a, NULL, adder, NULL);
  pthread_create(&b, NULL, sloppy, NULL);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  printf("%ld\n", counter > 0 ? 1L : 0L);
  return 0;
}
)c";

constexpr const char* kCorrect = R"c(#include <pthread.h>
#include <stdio.h>

static long counter;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *adder(void *arg) {
  for (int i = 0; i < 100000; i++) {
    pthread_mutex_lock(&lock);
    counter++;
    pthread_mutex_unlock(&lock);
  }
  return arg;
}

int main(void) {
  pthread_t a, b;
  pthread_create(&a, NULL, adder, NULL);
  pthread_create(&b, NULL, adder, NULL);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  printf("%ld\n", counter > 0 ? 1L : 0L);
  return 0;
}
)c";

constexpr const char* kInversion = R"c(#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t first = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t second = PTHREAD_MUTEX_INITIALIZER;

static void *forward(void *arg) {
  pthread_mutex_lock(&first);
  pthread_mutex_lock(&second);
  pthread_mutex_unlock(&second);
  pthread_mutex_unlock(&first);
  return arg;
}

static void *backward(void *arg) {
  pthread_mutex_lock(&second);
  pthread_mutex_lock(&first);
  pthread_mutex_unlock(&first);
  pthread_mutex_unlock(&second);
  return arg;
}

int main(void) {
  pthread_t a, b;
  pthread_create(&a, NULL, forward, NULL);
  pthread_join(a, NULL);
  pthread_create(&b, NULL, backward, NULL);
  pthread_join(b, NULL);
  puts("1");
  return 0;
}
)c";

std::string read_all(const fs::path& dir) {
  std::string all;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::ifstream in(entry.path());
    std::ostringstream s;
    s << in.rdbuf();
    all += s.str();
  }
  return all;
}

// Compiles `source` as prog.c in `dir` with TSan, runs it once, and returns
// its TSan log (the text of every log file).
std::string tsan_log_of(const TempDir& dir, const char* source) {
  dir.write("src/prog.c", source);
  const fs::path src = dir.path() / "src";
  fs::create_directories(dir.path() / "logs");
  const std::string build = "cd '" + src.string() +
                            "' && gcc -fsanitize=thread -g -O1 -pthread -o prog prog.c";
  REQUIRE(std::system(build.c_str()) == 0);
  const std::string run = "cd '" + src.string() + "' && TSAN_OPTIONS='log_path=" +
                          (dir.path() / "logs" / "tsan").string() +
                          " exitcode=0 halt_on_error=0 second_deadlock_stack=1 "
                          "detect_deadlocks=1' ./prog > /dev/null";
  REQUIRE(std::system(run.c_str()) == 0);
  return read_all(dir.path() / "logs");
}

TsanContext context_for(const TempDir& dir) {
  return TsanContext{"racy-test", "prog", "cd sub && make", dir.path() / "src"};
}

TEST_CASE("a data race in a real TSan log becomes one race finding naming both lines",
          "[harness][tsan]") {
  TempDir dir;
  const std::string log = tsan_log_of(dir, kRacy);
  std::vector<TsanReport> reports = parse_tsan_log(log);
  REQUIRE_FALSE(reports.empty());
  CHECK(reports.front().kind == "data race");

  TsanVerdicts verdicts = interpret_tsan_reports(reports, context_for(dir));
  REQUIRE(verdicts.findings.size() == 1);
  const Finding& f = verdicts.findings.front();
  CHECK(f.kind == FindingKind::kRace);
  CHECK(f.test == "racy-test");
  CHECK(f.program == "prog");
  CHECK(f.repro == "cd sub && make");
  // Both accesses, relative to the submission: line 10 (locked) and 18
  // (or 17, the loop's line: -O1 may move the increment into it).
  CHECK_THAT(f.message, Contains("prog.c:10 in adder"));
  CHECK_THAT(f.message, Matches(".*prog\\.c:1[78] in sloppy.*"));
  // Which lock is missing, and where it was made.
  CHECK_THAT(f.message, Contains("holds no lock"));
  CHECK_THAT(f.message, Contains("global 'counter'"));
  CHECK_THAT(f.evidence, Contains("in sloppy"));
  CHECK_THAT(f.message, Contains("first seen at prog.c:9"));
  // No path of the grader's scratch folder, no libtsan frame.
  CHECK_THAT(f.message + f.evidence, !Contains(dir.path().string()));
  CHECK_THAT(f.evidence, !Contains("libtsan"));
}

TEST_CASE("a correct locked counter gives no TSan report at all", "[harness][tsan]") {
  TempDir dir;
  const std::string log = tsan_log_of(dir, kCorrect);
  CHECK(parse_tsan_log(log).empty());
  CHECK(interpret_tsan_reports(parse_tsan_log(log), context_for(dir)).findings.empty());
}

// Advice, not a deadlock finding: TSan reports both orders even when the
// two paths can never overlap, which a correct program may do.
TEST_CASE("a lock-order inversion is advice with both orders, never a finding",
          "[harness][tsan]") {
  TempDir dir;
  const std::string log = tsan_log_of(dir, kInversion);
  std::vector<TsanReport> reports = parse_tsan_log(log);
  REQUIRE(reports.size() == 1);
  CHECK_THAT(reports.front().kind, Contains("lock-order-inversion"));
  TsanVerdicts verdicts = interpret_tsan_reports(reports, context_for(dir));
  CHECK(verdicts.findings.empty());
  REQUIRE(verdicts.advice.size() == 1);
  const Advice& a = verdicts.advice.front();
  CHECK(a.check == "lock-order-inversion");
  CHECK(a.file == "prog.c");
  CHECK_THAT(a.message, Contains("prog.c:9 in forward"));
  CHECK_THAT(a.message, Contains("prog.c:17 in backward"));
  CHECK_THAT(a.message, Contains("one fixed order"));
}

TEST_CASE("the same racing pair reported twice is one finding", "[harness][tsan]") {
  TempDir dir;
  const std::string log = tsan_log_of(dir, kRacy);
  std::vector<TsanReport> reports = parse_tsan_log(log + log);
  REQUIRE(reports.size() >= 2);
  CHECK(interpret_tsan_reports(reports, context_for(dir)).findings.size() == 1);
}

TEST_CASE("a race with no frame in the submission's sources is advice, not a finding",
          "[harness][tsan]") {
  const std::string log =
      "==================\n"
      "WARNING: ThreadSanitizer: data race (pid=1)\n"
      "  Write of size 4 at 0x1 by thread T1:\n"
      "    #0 memcpy /build/glibc/string.c:10 (libc.so.6+0x10)\n"
      "  Previous read of size 4 at 0x1 by main thread:\n"
      "    #0 strlen /build/glibc/strlen.c:5 (libc.so.6+0x20)\n"
      "SUMMARY: ThreadSanitizer: data race\n"
      "==================\n";
  TsanVerdicts verdicts =
      interpret_tsan_reports(parse_tsan_log(log), TsanContext{"t", "p", "", "/nowhere/sub"});
  CHECK(verdicts.findings.empty());
  REQUIRE(verdicts.advice.size() == 1);
  CHECK(verdicts.advice.front().tool == "tsan");
  CHECK(verdicts.advice.front().check == "data race");
}

TEST_CASE("a thread leak is advice with the line that started the thread", "[harness][tsan]") {
  const std::string log =
      "WARNING: ThreadSanitizer: thread leak (pid=7)\n"
      "  Thread T1 (tid=8, finished) created by main thread at:\n"
      "    #0 pthread_create x.cpp:1 (libtsan.so.2+0x1)\n"
      "    #1 main /s/sub/main.c:12 (prog+0x2)\n";
  TsanVerdicts verdicts =
      interpret_tsan_reports(parse_tsan_log(log), TsanContext{"t", "p", "", "/s/sub"});
  CHECK(verdicts.findings.empty());
  REQUIRE(verdicts.advice.size() == 1);
  CHECK(verdicts.advice.front().file == "main.c");
  CHECK(verdicts.advice.front().line == 12);
  CHECK_THAT(verdicts.advice.front().message, Contains("never joined"));
}

TEST_CASE("malformed and hostile TSan logs are read without failing", "[harness][tsan]") {
  SECTION("empty and garbage text give no report") {
    CHECK(parse_tsan_log("").empty());
    CHECK(parse_tsan_log("hello\n#0 nothing\n  Read of size 4:\n\0\xff").empty());
  }
  SECTION("a report cut off in the middle keeps what was read") {
    const std::string log =
        "WARNING: ThreadSanitizer: data race (pid=1)\n"
        "  Write of size 4 at 0x1 by thread T1:\n"
        "    #0 worker /s/sub/a.c:5 (prog+";
    std::vector<TsanReport> reports = parse_tsan_log(log);
    REQUIRE(reports.size() == 1);
    REQUIRE(reports.front().sections.size() == 1);
    // One access only: not enough for a finding.
    CHECK(interpret_tsan_reports(reports, TsanContext{"t", "p", "", "/s/sub"}).findings.empty());
  }
  SECTION("frames parse with a column, without a file, and without a module") {
    const std::string log =
        "WARNING: ThreadSanitizer: data race (pid=1)\n"
        "  Read of size 4 at 0x1 by thread T1 (mutexes: write M3):\n"
        "    #0 worker /s/sub/a.c:5:7 (prog+0x1)\n"
        "    #1 <null> <null> (prog+0x2)\n"
        "    #2 helper\n"
        "  Previous write of size 4 at 0x1 by thread T2:\n"
        "    #0 other /s/sub/dir/b.c:9 (prog+0x3)\n";
    std::vector<TsanReport> reports = parse_tsan_log(log);
    REQUIRE(reports.size() == 1);
    REQUIRE(reports.front().sections.size() == 2);
    const std::vector<TsanFrame>& frames = reports.front().sections[0].frames;
    REQUIRE(frames.size() == 3);
    CHECK(frames[0].file == "/s/sub/a.c");
    CHECK(frames[0].line == 5);
    CHECK(frames[0].module == "prog");
    CHECK(frames[1].file.empty());
    CHECK(frames[2].function == "helper");
    TsanVerdicts verdicts = interpret_tsan_reports(reports, TsanContext{"t", "p", "", "/s/sub"});
    REQUIRE(verdicts.findings.size() == 1);
    CHECK_THAT(verdicts.findings.front().message, Contains("a.c:5 in worker"));
    CHECK_THAT(verdicts.findings.front().message, Contains("dir/b.c:9 in other"));
    CHECK_THAT(verdicts.findings.front().message, Contains("take that mutex around the write"));
  }
  SECTION("a path that climbs out of the submission is not the student's") {
    const std::string log =
        "WARNING: ThreadSanitizer: data race (pid=1)\n"
        "  Read of size 4 at 0x1 by thread T1:\n"
        "    #0 worker /s/sub/../secret/a.c:5 (prog+0x1)\n"
        "  Previous write of size 4 at 0x1 by thread T2:\n"
        "    #0 other /s/subway/b.c:9 (prog+0x3)\n";
    TsanVerdicts verdicts =
        interpret_tsan_reports(parse_tsan_log(log), TsanContext{"t", "p", "", "/s/sub"});
    CHECK(verdicts.findings.empty());
  }
  SECTION("huge lines, numbers and report counts are capped") {
    std::string log;
    for (int i = 0; i < 500; ++i) {
      log += "WARNING: ThreadSanitizer: data race (pid=1)\n";
      log += "  Read of size 4 at 0x1 by thread T1:\n";
      log += "    #0 f /s/sub/a.c:99999999999999999999 (prog+0x1)\n";
      log += std::string(100000, 'x') + "\n";
    }
    std::vector<TsanReport> reports = parse_tsan_log(log, 200);
    CHECK(reports.size() == 200);
    CHECK(reports.front().sections.front().frames.front().line == 0);
  }
}

// ---------------------------------------------------------------------------
// End to end: a one-program lab whose test asks for TSan.
// ---------------------------------------------------------------------------

void write_lab(const TempDir& dir) {
  dir.write("lab/lab.yaml",
            "lab: tsan-demo\n"
            "title: \"two threads and a counter\"\n"
            "programs:\n"
            "  - {name: prog, sources: prog.c}\n"
            "advice: {clang_tidy: false}\n"
            "tests:\n"
            "  - name: counts\n"
            "    program: prog\n"
            "    expect: {stdout: \"1\\n\"}\n"
            "    tsan: true\n");
  dir.write("lab/starter/Makefile",
            "CC = gcc\nCFLAGS = -std=gnu11 -Wall -g -pthread\n"
            "prog: prog.c\n\t$(CC) $(CFLAGS) -o $@ prog.c\n");
}

GradingOutcome grade(const TempDir& dir, const std::string& submission, const char* source) {
  dir.write(submission + "/prog.c", source);
  Result<LabSpec> lab = load_lab(dir.path() / "lab");
  REQUIRE(lab.ok());
  static Sandbox sandbox = Sandbox::probe(IPCGRADE_BINARY).value();
  GradeOptions options;
  options.shim_path = IPCGRADE_SHIM_PATH;
  Result<GradingOutcome> outcome = grade_submission(sandbox, *lab, dir.path() / submission, options);
  INFO(outcome.status().ToString());
  REQUIRE(outcome.ok());
  REQUIRE(outcome->build.ok);
  REQUIRE(outcome->tests.size() == 1);
  return std::move(*outcome);
}

TEST_CASE("grading a racy two-thread program under TSan gives a race finding with both lines",
          "[harness][tsan][e2e]") {
  TempDir dir;
  write_lab(dir);
  GradingOutcome outcome = grade(dir, "racy", kRacy);
  const TestOutcome& test = outcome.tests.front();
  // The output was right: only TSan saw the race.
  REQUIRE(test.passed == test.repetitions);
  REQUIRE(test.findings.size() == 1);
  CHECK(test.findings.front().kind == FindingKind::kRace);
  CHECK_THAT(test.findings.front().message, Contains("prog.c:10 in adder"));
  CHECK_THAT(test.findings.front().message, Matches(".*prog\\.c:1[78] in sloppy.*"));
  CHECK_THAT(test.findings.front().repro, Contains("-fsanitize=thread"));
}

TEST_CASE("grading a correct two-thread program under TSan gives no finding and no advice",
          "[harness][tsan][e2e]") {
  TempDir dir;
  write_lab(dir);
  GradingOutcome outcome = grade(dir, "correct", kCorrect);
  CHECK(outcome.tests.front().findings.empty());
  CHECK(outcome.advice.empty());
}

TEST_CASE("a Makefile that ignores CC gets 'TSan build not possible' advice, never a finding",
          "[harness][tsan][e2e]") {
  TempDir dir;
  write_lab(dir);
  dir.write("stubborn/Makefile", "prog: prog.c\n\tgcc -std=gnu11 -g -pthread -o prog prog.c\n");
  GradingOutcome outcome = grade(dir, "stubborn", kRacy);
  CHECK(outcome.tests.front().findings.empty());
  REQUIRE(outcome.advice.size() == 1);
  CHECK(outcome.advice.front().check == "tsan-build");
  CHECK_THAT(outcome.advice.front().message, Contains("TSan build not possible"));
}

}  // namespace
}  // namespace ipcgrade
