// Tests of harness/static_advice.h: clang-tidy's warnings on a small
// submission become advice items with file:line, and its output is parsed
// defensively.
#include "harness/static_advice.h"

#include <unistd.h>

#include <catch2/catch.hpp>

#include "tests/harness/temp_dir.h"

namespace ipcgrade {
namespace {

namespace fs = std::filesystem;
using Catch::Matchers::Contains;

constexpr const char* kHandlerWithPrintf = R"c(#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static void on_int(int sig) {
  printf("caught %d\n", sig);
}

int main(void) {
  signal(SIGINT, on_int);
  write(1, "ready\n", 6);
  if (write(1, "checked\n", 8) != 8) {
    return 1;
  }
  return 0;
}
)c";

const Advice* find_check(const std::vector<Advice>& items, const std::string& check) {
  for (const Advice& a : items) {
    if (a.check == check) {
      return &a;
    }
  }
  return nullptr;
}

Sandbox& test_sandbox() {
  static Sandbox sandbox = Sandbox::probe(IPCGRADE_BINARY).value();
  return sandbox;
}

LabSpec minimal_lab(const TempDir& dir) {
  dir.write("lab/lab.yaml",
            "lab: advice-demo\ntitle: demo\nprograms: [{name: prog}]\n"
            "tests: [{name: t, program: prog}]\n");
  Result<LabSpec> lab = load_lab(dir.path() / "lab");
  REQUIRE(lab.ok());
  return *lab;
}

TEST_CASE("a signal handler calling printf gets a bugprone-signal-handler note with file:line",
          "[harness][advice]") {
  // scripts/deps.txt installs clang-tidy: a test that skipped without it
  // would pass on a machine that checks nothing.
  REQUIRE(::access("/usr/bin/clang-tidy", X_OK) == 0);
  TempDir dir;
  dir.write("sub/prog.c", kHandlerWithPrintf);
  Result<std::vector<Advice>> items =
      clang_tidy_advice(test_sandbox(), minimal_lab(dir), dir.path() / "sub");
  REQUIRE(items.ok());
  const Advice* handler = find_check(*items, "bugprone-signal-handler");
  REQUIRE(handler != nullptr);
  CHECK(handler->tool == "clang-tidy");
  CHECK(handler->file == "prog.c");
  CHECK(handler->line == 6);
  CHECK_THAT(handler->message, Contains("printf"));
  CHECK_THAT(handler->message, Contains("prog.c:10"));  // where it is installed
}

TEST_CASE("an unused write() result is noted, a checked one is not", "[harness][advice]") {
  // scripts/deps.txt installs clang-tidy: a test that skipped without it
  // would pass on a machine that checks nothing.
  REQUIRE(::access("/usr/bin/clang-tidy", X_OK) == 0);
  TempDir dir;
  dir.write("sub/prog.c", kHandlerWithPrintf);
  Result<std::vector<Advice>> items =
      clang_tidy_advice(test_sandbox(), minimal_lab(dir), dir.path() / "sub");
  REQUIRE(items.ok());
  std::vector<int> lines;
  for (const Advice& a : *items) {
    if (a.check == "bugprone-unused-return-value") {
      lines.push_back(a.line);
      CHECK(a.file == "prog.c");
      CHECK_THAT(a.message, Contains("write()"));
    }
  }
  CHECK(lines == std::vector<int>{11});
}

TEST_CASE("a missing clang-tidy is one note, never an error", "[harness][advice]") {
  TempDir dir;
  dir.write("sub/prog.c", kHandlerWithPrintf);
  StaticAdviceOptions options;
  options.clang_tidy = dir.path() / "no-such-clang-tidy";
  Result<std::vector<Advice>> items =
      clang_tidy_advice(test_sandbox(), minimal_lab(dir), dir.path() / "sub", options);
  REQUIRE(items.ok());
  REQUIRE(items->size() == 1);
  CHECK(items->front().check == "clang-tidy-missing");
  CHECK(items->front().file.empty());
  CHECK(items->front().line == 0);
}

TEST_CASE("clang-tidy output is parsed defensively", "[harness][advice]") {
  SECTION("warnings outside the submission, other checks and garbage are ignored") {
    const std::string out =
        "/usr/include/stdio.h:1:1: warning: x [bugprone-unused-return-value]\n"
        "/s/sub/a.c:3:1: warning: something else [readability-foo]\n"
        "/s/sub/a.c:notaline:1: warning: y [bugprone-signal-handler]\n"
        "garbage\n" +
        std::string(5000, 'z') + "\n";
    CHECK(parse_clang_tidy_output(out, "/s/sub").empty());
  }
  SECTION("the same warning twice is one item, and its note says where the handler is") {
    const std::string out =
        "/s/sub/a.c:6:3: warning: 'printf' may not be asynchronous-safe; calling it from a "
        "signal handler may be dangerous [bugprone-signal-handler,cert-sig30-c]\n"
        "/s/sub/a.c:13:18: note: function 'h' registered here as signal handler\n"
        "/s/sub/a.c:6:3: warning: 'printf' may not be asynchronous-safe; calling it from a "
        "signal handler may be dangerous [bugprone-signal-handler,cert-sig30-c]\n";
    std::vector<Advice> items = parse_clang_tidy_output(out, "/s/sub");
    REQUIRE(items.size() == 1);
    CHECK(items[0].file == "a.c");
    CHECK(items[0].line == 6);
    CHECK_THAT(items[0].message, Contains("a.c:13"));
  }
}

TEST_CASE("the checked functions option names every call the labs teach", "[harness][advice]") {
  const std::string option = checked_functions_option();
  for (const char* f : {"::read", "::write", "::pipe", "::fork", "::dup2", "::close", "::waitpid",
                        "::sem_wait", "::pthread_create", "::pthread_mutex_lock"}) {
    CAPTURE(f);
    CHECK_THAT(";" + option + ";", Contains(std::string(";") + f + ";"));
  }
}

}  // namespace
}  // namespace ipcgrade
