#include "grader/text_report.h"

#include <pty.h>
#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "base/scoped_fd.h"
#include "tests/grader/sample_report.h"

using namespace ipcgrade;
using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

bool has_line(const std::string& text, const std::string& wanted) {
  for (std::string line : lines_of(text)) {
    line.erase(0, line.find_first_not_of(' '));
    if (line == wanted) {
      return true;
    }
  }
  return false;
}

// The sample with every test visible and every finding carrying a repro, so
// that nothing is withheld.
Report visible_report() {
  Report report = testing::sample_report();
  report.status = "complete";
  report.internal_error.clear();
  for (TestReport& test : report.tests) {
    test.hidden = false;
  }
  report.findings[1].repro = "cd subs/x && make -s && printf '%s' abc | ./relay cat; echo \"exit status $?\"";
  return report;
}

Report passing_report(const std::string& submission) {
  Report report;
  report.lab = "pipes";
  report.submission = submission;
  report.sandbox_tier = "reduced";
  report.score = 10;
  report.max_score = 10;
  report.build_ok = true;
  TestReport test;
  test.name = "relay copies stdin";
  test.program = "relay";
  test.status = "passed";
  test.score = 10;
  test.max_score = 10;
  test.output = "ok";
  test.passed_repetitions = 1;
  report.tests.push_back(test);
  return report;
}

Finding finding_of(FindingKind kind, const std::string& test) {
  Finding finding;
  finding.kind = kind;
  finding.test = test;
  finding.program = "relay";
  finding.message = "something went wrong";
  return finding;
}

// Sets or unsets one environment variable for the life of the guard.
class EnvGuard {
 public:
  explicit EnvGuard(const char* name) : name_(name) {
    if (const char* value = ::getenv(name)) {
      saved_ = value;
    }
  }
  EnvGuard(const EnvGuard&) = delete;
  EnvGuard& operator=(const EnvGuard&) = delete;
  ~EnvGuard() {
    if (saved_) {
      ::setenv(name_, saved_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  void set(const char* value) { ::setenv(name_, value, 1); }
  void unset() { ::unsetenv(name_); }

 private:
  const char* name_;
  std::optional<std::string> saved_;
};

}  // namespace

TEST_CASE("a report without colour contains no ANSI codes", "[grader][text_report]") {
  Report report = visible_report();
  report.findings[0].evidence = "\x1b[2J\x1b[31mgotcha\x1b[0m";
  report.tests[1].output = "\x1b]0;title\x07";

  const std::string text = render_text_report(report, TextStyle{});

  CHECK(text.find('\x1b') == std::string::npos);
  CHECK_THAT(text, Contains("PASS") && Contains("FAIL") && Contains("ERROR"));
}

TEST_CASE("a report with colour marks tests green, red and yellow under bold headings",
          "[grader][text_report]") {
  TextStyle style;
  style.colour = true;

  const std::string text = render_text_report(visible_report(), style);

  CHECK_THAT(text, Contains("\x1b[32mPASS\x1b[0m"));
  CHECK_THAT(text, Contains("\x1b[31mFAIL\x1b[0m"));
  CHECK_THAT(text, Contains("\x1b[33mERROR\x1b[0m"));
  CHECK_THAT(text, Contains("\x1b[1mTests\x1b[0m"));
  CHECK_THAT(text, Contains("\x1b[1mFindings\x1b[0m"));
}

TEST_CASE("every finding of a visible test shows its kind, message, evidence and repro",
          "[grader][text_report]") {
  const Report report = visible_report();

  const std::string text = render_text_report(report, TextStyle{});

  for (const Finding& finding : report.findings) {
    CAPTURE(finding.message);
    CHECK_THAT(text, Contains("[" + std::string(to_string(finding.kind)) + "]"));
    CHECK_THAT(text, Contains(finding.message));
    if (!finding.repro.empty()) {
      // On a line of its own, so it can be copied whole.
      CHECK(has_line(text, finding.repro));
    }
  }
  CHECK_THAT(text, Contains("[eintr] relay survives EINTR (relay)"));
  CHECK_THAT(text, Contains("[fd-leak] relay copies stdin (relay)"));
  CHECK(has_line(text, "injected EINTR on read(0, ...) #3"));
  CHECK(has_line(text, "/proc/1234/fd/4 -> pipe:[123]"));
}

TEST_CASE("findings are grouped by test in the order their tests were first found",
          "[grader][text_report]") {
  Report report = passing_report("subs/x");
  report.findings = {finding_of(FindingKind::kTimeout, "a"), finding_of(FindingKind::kZombie, "b"),
                     finding_of(FindingKind::kFdLeak, "a")};

  const std::string text = render_text_report(report, TextStyle{});

  const auto timeout = text.find("[timeout] a");
  const auto leak = text.find("[fd-leak] a");
  const auto zombie = text.find("[zombie] b");
  REQUIRE(timeout != std::string::npos);
  REQUIRE(leak != std::string::npos);
  REQUIRE(zombie != std::string::npos);
  CHECK(timeout < leak);
  CHECK(leak < zombie);
}

TEST_CASE("a hidden test shows its name and score but not its output, evidence or repro",
          "[grader][text_report]") {
  const Report report = testing::sample_report();  // "relay survives EINTR" is hidden
  const Finding& hidden_finding = report.findings[0];
  REQUIRE(report.tests[1].hidden);
  REQUIRE(hidden_finding.test == report.tests[1].name);

  const std::string text = render_text_report(report, TextStyle{});

  CHECK_THAT(text, Contains("relay survives EINTR"));
  CHECK_THAT(text, Contains("2.5/10  hidden  (passed 3/8 runs)"));
  CHECK_THAT(text, Contains("[eintr] relay survives EINTR (relay), hidden test"));
  CHECK_THAT(text, Contains(hidden_finding.message));
  CHECK_THAT(text, !Contains("expected 4096 bytes"));
  CHECK_THAT(text, !Contains("xxxxxxxx"));
  CHECK_THAT(text, !Contains("injected EINTR"));
  CHECK_THAT(text, !Contains(hidden_finding.repro));
  CHECK_THAT(text, !Contains("--seed 42"));
}

TEST_CASE("control bytes from a student's program are shown as visible escapes",
          "[grader][text_report]") {
  using Row = std::tuple<std::string, std::string, std::string>;
  const auto [what, evidence, shown] = GENERATE(table<std::string, std::string, std::string>({
      Row{"ESC of a CSI sequence", "a\x1b[2Jb", "a\\x1b[2Jb"},
      Row{"carriage return", "PASS\rFAIL", "PASS\\rFAIL"},
      Row{"backspace", "ok\bX", "ok\\x08X"},
      Row{"bell", "ding\a", "ding\\x07"},
      Row{"DEL",
          "a\x7f"
          "b",
          "a\\x7fb"},
      Row{"C1 CSI as UTF-8",
          "a\xc2\x9b"
          "31mb",
          "a\\u009b31mb"},
      Row{"a lone C1 byte",
          "a\x9b"
          "31mb",
          "a\\x9b31mb"},
      Row{"right-to-left override",
          "a\xe2\x80\xae"
          "b",
          "a\\u202eb"},
      Row{"a NUL", std::string("a\0b", 3), "a\\x00b"},
  }));
  CAPTURE(what);
  Report report = visible_report();
  report.findings[1].evidence = evidence;
  TextStyle style;
  style.colour = true;  // our own codes are present; the student's must not be

  const std::string text = render_text_report(report, style);

  CHECK(has_line(text, shown));
  CHECK_THAT(text, !Contains(evidence));
}

TEST_CASE("escapes also cover names, submissions and build output", "[grader][text_report]") {
  Report report = visible_report();
  report.submission = "subs/\x1b[8mhidden";
  report.tests[0].name = "copies\x1b[2K";
  report.build_ok = false;
  report.build_output = "relay.c:1: error\x1b[1A";

  const std::string plain = render_text_report(report, TextStyle{});
  const std::string table = render_summary_table({report}, TextStyle{});

  CHECK(plain.find('\x1b') == std::string::npos);
  CHECK(table.find('\x1b') == std::string::npos);
  CHECK_THAT(plain, Contains("subs/\\x1b[8mhidden"));
  CHECK_THAT(plain, Contains("copies\\x1b[2K"));
  CHECK_THAT(plain, Contains("relay.c:1: error\\x1b[1A"));
  CHECK_THAT(table, Contains("subs/\\x1b[8mhidden"));
}

TEST_CASE("an internal-error report says the grader failed and that no score can be trusted",
          "[grader][text_report]") {
  const Report report = testing::sample_report();
  REQUIRE(report.status == "internal-error");

  const std::string text = render_text_report(report, TextStyle{});

  CHECK_THAT(text, Contains("GRADER ERROR: the grader itself failed, not the submission."));
  CHECK_THAT(text, Contains(report.internal_error));
  CHECK_THAT(text, Contains("No score in this report should be trusted"));
  CHECK_THAT(text, Contains("7.5/20 (not to be trusted: the grader failed)"));
  CHECK_THAT(text, !Contains("All tests passed."));
  // It comes before the tests, where a student reads first.
  CHECK(text.find("GRADER ERROR") < text.find("Tests"));
}

TEST_CASE("the closing line says all tests passed or how many failed", "[grader][text_report]") {
  SECTION("a passing submission") {
    const std::string text = render_text_report(passing_report("subs/alice"), TextStyle{});
    CHECK_THAT(text, EndsWith("\nAll tests passed.\n"));
  }
  SECTION("a submission that failed one of three tests, one not judged") {
    const std::string text = render_text_report(visible_report(), TextStyle{});
    CHECK_THAT(
        text,
        Contains("\n1 of 3 tests failed; fix the findings above, starting with the first.\n"));
    CHECK_THAT(text, Contains("1 of 3 tests could not be judged by the grader"));
    CHECK_THAT(text, !Contains("All tests passed."));
  }
  SECTION("a submission that did not build and ran no tests") {
    Report report = passing_report("subs/bob");
    report.tests.clear();
    report.build_ok = false;
    report.build_output = "relay.c:3:1: error: expected ';' before '}' token\n\tfoo();\n";
    const std::string text = render_text_report(report, TextStyle{});
    CHECK_THAT(text, Contains("the submission did not build"));
    CHECK_THAT(text, Contains("\n    relay.c:3:1: error: expected ';' before '}' token\n"));
    CHECK_THAT(text, Contains("\n            foo();\n"));  // the tab expanded, not raw
    CHECK_THAT(text, EndsWith("fix the build first.\n"));
  }
}

TEST_CASE("scores show only the decimals they need", "[grader][text_report]") {
  Report report = visible_report();
  report.tests[2].score = 1.0 / 3.0;

  const std::string text = render_text_report(report, TextStyle{});

  CHECK_THAT(text, Contains("score       7.5/20 "));
  CHECK_THAT(text, Contains(" 5/5"));
  CHECK_THAT(text, Contains(" 0.33/5"));
  CHECK_THAT(text, !Contains(".0/"));
  CHECK_THAT(text, !Contains("/5.0"));
}

TEST_CASE("messages wrap at 80 columns while evidence lines stay whole", "[grader][text_report]") {
  Report report = visible_report();
  std::string message;
  for (int i = 0; i < 40; ++i) {
    message += "word" + std::to_string(i) + " ";
  }
  const std::string long_evidence(200, 'e');
  report.findings[1].message = message;
  report.findings[1].evidence = long_evidence;

  const std::string text = render_text_report(report, TextStyle{});

  CHECK(has_line(text, long_evidence));
  for (const std::string& line : lines_of(text)) {
    if (line.find("word") != std::string::npos) {
      CAPTURE(line);
      CHECK(line.size() <= 80);
      CHECK_THAT(line, Catch::Matchers::StartsWith("    word"));
    }
  }
  CHECK_THAT(text, Contains("word39"));
}

TEST_CASE("the summary table has one row per submission with aligned columns",
          "[grader][text_report]") {
  Report bob = passing_report("subs/bob-with-a-longer-name");
  bob.score = 7.5;
  bob.tests[0].status = "failed";
  bob.tests[0].score = 7.5;
  bob.findings = {finding_of(FindingKind::kTimeout, "relay copies stdin"),
                  finding_of(FindingKind::kFdLeak, "relay copies stdin"),
                  finding_of(FindingKind::kTimeout, "relay copies stdin")};
  Report carol = passing_report("subs/carol");
  carol.build_ok = false;
  carol.score = 0;
  const std::vector<Report> reports = {passing_report("subs/alice"), bob, carol,
                                       testing::sample_report()};

  const std::string table = render_summary_table(reports, TextStyle{});
  const std::vector<std::string> lines = lines_of(table);

  REQUIRE(lines.size() >= 5);
  const std::string& header = lines[0];
  CHECK(header.rfind("submission", 0) == 0);
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"subs/alice", "passed"},
      {"subs/bob-with-a-longer-name", "failed"},
      {"subs/carol", "build failed"},
      {testing::sample_report().submission, "grader error"}};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::string& line = lines[i + 1];
    CAPTURE(line);
    CHECK(line.rfind(rows[i].first, 0) == 0);
    CHECK(line.find(rows[i].second) == header.find("status"));
    // Scores are right-aligned under "score".
    const std::size_t score_end = header.find("score") + std::string("score").size();
    CHECK(line[score_end] == ' ');
    CHECK(line[score_end - 1] != ' ');
  }
  CHECK(lines[1].find("10/10") != std::string::npos);
  CHECK(lines[2].find("7.5/10") != std::string::npos);
  CHECK(lines[2].substr(header.find("findings")) == "timeout x2, fd-leak");
  CHECK(lines[1].substr(header.find("findings")) == "-");
  // The grader's failure is not the student's score.
  CHECK(lines[4].find("-/20") != std::string::npos);
  CHECK(lines[4].find("7.5/20") == std::string::npos);
  CHECK_THAT(table, Contains("4 submissions: 1 passed, 2 failed, 1 not graded (grader error)"));
}

TEST_CASE("the summary table is coloured only when asked", "[grader][text_report]") {
  const std::vector<Report> reports = {passing_report("subs/alice"), testing::sample_report()};
  TextStyle colour;
  colour.colour = true;

  CHECK(render_summary_table(reports, TextStyle{}).find('\x1b') == std::string::npos);
  const std::string coloured = render_summary_table(reports, colour);
  CHECK_THAT(coloured, Contains("\x1b[32mpassed\x1b[0m"));
  CHECK_THAT(coloured, Contains("\x1b[33mgrader error\x1b[0m"));
}

TEST_CASE("colour is wanted only on a terminal without NO_COLOR and with a capable TERM",
          "[grader][text_report]") {
  EnvGuard no_colour("NO_COLOR");
  EnvGuard term("TERM");
  term.set("xterm-256color");

  SECTION("a pipe is never a terminal") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    ScopedFd read_end(fds[0]);
    ScopedFd write_end(fds[1]);
    no_colour.unset();
    CHECK_FALSE(colour_wanted(write_end.get()));
    no_colour.set("1");
    CHECK_FALSE(colour_wanted(write_end.get()));
  }
  SECTION("a terminal, depending on NO_COLOR and TERM") {
    int master = -1;
    int slave = -1;
    if (::openpty(&master, &slave, nullptr, nullptr, nullptr) != 0) {
      WARN("no pseudo-terminal available; only the pipe case was checked");
      return;
    }
    ScopedFd master_fd(master);
    ScopedFd slave_fd(slave);

    no_colour.unset();
    CHECK(colour_wanted(slave_fd.get()));
    no_colour.set("");
    CHECK(colour_wanted(slave_fd.get()));  // empty counts as unset (no-color.org)
    no_colour.set("1");
    CHECK_FALSE(colour_wanted(slave_fd.get()));
    no_colour.unset();
    term.set("dumb");
    CHECK_FALSE(colour_wanted(slave_fd.get()));
  }
}
