// End-to-end tests of `ipcgrade validate`: the real binary on the shipped
// pipes lab, and on tiny labs written into a temporary folder whose
// reference and variants are made right or wrong on purpose.
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "harness/lab_spec.h"
#include "harness/variant_spec.h"
#include "tests/harness/temp_dir.h"
#include "tests/support/cli.h"

using namespace ipcgrade;
using ipcgrade::testing::run_ipcgrade;
using nlohmann::json;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

json parse(const std::string& s) {
  json j = json::parse(s, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

// greet prints "hello" and exits 0, or 3 when given any argument. Two tests,
// one per behaviour, so a variant can break one and keep the other.
const char* kTinyLab = R"(lab: tiny
title: "a tiny lab for validate's tests"
programs:
  - {name: greet, sources: greet.c}
tests:
  - name: greet-hello
    program: greet
    expect: {stdout: "hello\n"}
  - name: greet-status
    program: greet
    args: [fail]
    expect: {exit: 3, stdout: "hello\n"}
)";

const char* kMakefile = "greet: greet.c\n\tcc -o greet greet.c\n";

const char* kRightGreet =
    "#include <stdio.h>\nint main(int argc, char **argv) {\n  (void)argv;\n"
    "  puts(\"hello\");\n  return argc > 1 ? 3 : 0;\n}\n";

// Ignores its argument: greet-status fails with wrong-output, greet-hello passes.
const char* kStatusAlwaysZero =
    "#include <stdio.h>\nint main(void) {\n  puts(\"hello\");\n  return 0;\n}\n";

struct TinyLab {
  TempDir tmp;
  fs::path dir() const { return tmp.path() / "tiny"; }

  TinyLab() {
    tmp.write("tiny/lab.yaml", kTinyLab);
    submission("solution", kRightGreet);
  }
  void submission(const std::string& where, const char* source) const {
    tmp.write("tiny/" + where + "/Makefile", kMakefile);
    tmp.write("tiny/" + where + "/greet.c", source);
  }
  void variant(const std::string& name, const std::string& yaml,
               const char* source = kStatusAlwaysZero) const {
    submission("buggy/" + name, source);
    tmp.write("tiny/buggy/" + name + "/variant.yaml", yaml);
  }
};

std::map<std::string, json> rows_by_name(const json& report) {
  std::map<std::string, json> rows;
  for (const json& v : report["variants"]) {
    rows[v["name"].get<std::string>()] = v;
  }
  return rows;
}

}  // namespace

TEST_CASE("validate passes the shipped pipes lab and lists every variant with its verdict",
          "[grader][e2e][validate][slow]") {
  const fs::path pipes = fs::path(IPCGRADE_SOURCE_DIR) / "labs" / "pipes";
  Result<LabSpec> lab = load_lab(pipes);
  REQUIRE(lab.ok());
  Result<std::vector<VariantSpec>> variants = load_variants(lab.value());
  REQUIRE(variants.ok());

  auto run = run_ipcgrade({"validate", "pipes", "--runs", "2"});
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.out, Contains("2/2 gradings with full marks"));
  CHECK_THAT(run.out, Contains("validate pipes: passed"));
  for (const VariantSpec& v : variants.value()) {
    CAPTURE(v.name);
    // One table row per variant, with its declared kind and a verdict.
    std::size_t at = run.out.find("\n  " + v.name + " ");
    REQUIRE(at != std::string::npos);
    std::string row = run.out.substr(at + 1, run.out.find('\n', at + 1) - at - 1);
    CHECK_THAT(row, Contains(std::string(to_string(v.finding))));
    CHECK((row.find(" caught ") != std::string::npos || row.find(" interim ") != std::string::npos ||
           row.find(" PENDING ") != std::string::npos));
    CHECK(row.find(" MISS ") == std::string::npos);
  }
  // One progress line per grading on stderr: 2 reference runs and each variant.
  std::size_t lines = 0;
  for (char c : run.err) {
    lines += c == '\n';
  }
  CHECK(lines == 2 + variants->size());
}

TEST_CASE("a variant that declares a kind the grader does not give is a MISS and validate exits 1",
          "[grader][e2e][validate]") {
  TinyLab lab;
  lab.variant("status-declared-as-zombie",
              "description: \"exit status ignored\"\nfinding: zombie\n");
  lab.variant("status-right-kind",
              "description: \"exit status ignored\"\nfinding: wrong-output\n"
              "caught_by: [greet-status]\n");
  lab.variant("no-bug-at-all", "description: \"identical to the reference\"\nfinding: wrong-output\n",
              kRightGreet);

  SECTION("in the text table") {
    auto run = run_ipcgrade({"validate", lab.dir().string(), "--runs", "1"});
    INFO(run.out << run.err);
    CHECK(run.exit_code == 1);
    CHECK_THAT(run.out, Contains("MISS"));
    CHECK_THAT(run.out, Contains("lost points only to other kinds"));
    CHECK_THAT(run.out, Contains("but it got full marks"));
    CHECK_THAT(run.out, Contains("validate tiny: FAILED"));
    CHECK_THAT(run.out, Contains("1 caught, 0 interim, 0 pending, 2 missed of 3 variants"));
  }
  SECTION("in JSON") {
    auto run = run_ipcgrade({"validate", lab.dir().string(), "--runs", "1", "--format", "json"});
    INFO(run.out << run.err);
    CHECK(run.exit_code == 1);
    json r = parse(run.out);
    CHECK(r["passed"] == false);
    CHECK(r["reference"]["full_marks"] == 1);
    auto rows = rows_by_name(r);
    REQUIRE(rows.size() == 3);
    CHECK(rows["status-declared-as-zombie"]["verdict"] == "miss");
    CHECK(rows["status-declared-as-zombie"]["found"][0]["kind"] == "wrong-output");
    CHECK(rows["status-declared-as-zombie"]["found"][0]["tests"] ==
          json::array({"greet-status"}));
    CHECK(rows["no-bug-at-all"]["verdict"] == "miss");
    CHECK(rows["no-bug-at-all"]["found"].empty());
    CHECK(rows["status-right-kind"]["verdict"] == "caught");
    CHECK(rows["status-right-kind"]["by_caught_by_tests"] == true);
    CHECK(r["summary"]["miss"] == 2);
  }
}

TEST_CASE("a reference solution that loses points makes validate exit 1 naming the failing test",
          "[grader][e2e][validate]") {
  TinyLab lab;
  lab.submission("solution", kStatusAlwaysZero);
  auto run = run_ipcgrade({"validate", lab.dir().string(), "--runs", "2"});
  INFO(run.out << run.err);
  CHECK(run.exit_code == 1);
  CHECK_THAT(run.out, Contains("0/2 gradings with full marks"));
  CHECK_THAT(run.out, Contains("FAIL greet-status in 2 of 2 gradings: [wrong-output]"));
  CHECK(run.out.find("FAIL greet-hello") == std::string::npos);
  CHECK_THAT(run.out, Contains("validate tiny: FAILED: reference 0/2 full marks"));
}

TEST_CASE("pending variants are shown as caught, interim or pending and never fail validate",
          "[grader][e2e][validate]") {
  TinyLab lab;
  // Caught with the declared kind although still marked pending.
  lab.variant("pending-but-caught",
              "description: \"status ignored\"\nfinding: wrong-output\n"
              "pending: \"waiting for nothing\"\n");
  // Caught only with the interim kind.
  lab.variant("pending-interim",
              "description: \"status ignored\"\nfinding: zombie\ninterim_finding: wrong-output\n"
              "pending: \"needs a zombie detector\"\n");
  // Not caught with either kind.
  lab.variant("pending-open",
              "description: \"status ignored\"\nfinding: zombie\n"
              "pending: \"needs a zombie detector\"\n");
  // Caught, but by a test other than the one it names.
  lab.variant("caught-elsewhere",
              "description: \"status ignored\"\nfinding: wrong-output\ncaught_by: [greet-hello]\n");

  auto text = run_ipcgrade({"validate", lab.dir().string(), "--runs", "1"});
  INFO(text.out << text.err);
  CHECK(text.exit_code == 0);
  CHECK_THAT(text.out, Contains("caught with its declared kind: pending can be cleared"));
  CHECK_THAT(text.out, Contains("pending: needs a zombie detector"));
  CHECK_THAT(text.out, Contains("PENDING"));
  CHECK_THAT(text.out,
             Contains("caught only by greet-status, not by its caught_by tests (greet-hello)"));
  CHECK_THAT(text.out, Contains("2 caught, 1 interim, 1 pending, 0 missed of 4 variants"));

  auto js = run_ipcgrade({"validate", lab.dir().string(), "--no-reference", "--format", "json"});
  INFO(js.out << js.err);
  CHECK(js.exit_code == 0);
  json r = parse(js.out);
  CHECK(r["reference"]["graded"] == false);
  auto rows = rows_by_name(r);
  CHECK(rows["pending-but-caught"]["verdict"] == "caught");
  CHECK(rows["pending-interim"]["verdict"] == "interim");
  CHECK(rows["pending-interim"]["matched"] == "wrong-output");
  CHECK(rows["pending-open"]["verdict"] == "pending");
  CHECK(rows["pending-open"]["matched"].is_null());
  CHECK(rows["caught-elsewhere"]["verdict"] == "caught");
  CHECK(rows["caught-elsewhere"]["by_caught_by_tests"] == false);
}

TEST_CASE("validate checks only the variants named with --variant", "[grader][e2e][validate]") {
  TinyLab lab;
  lab.variant("kept", "description: \"status ignored\"\nfinding: wrong-output\n");
  lab.variant("skipped", "description: \"status ignored\"\nfinding: zombie\n");
  auto run = run_ipcgrade(
      {"validate", lab.dir().string(), "--no-reference", "--variant", "kept", "--format", "json"});
  INFO(run.out << run.err);
  CHECK(run.exit_code == 0);
  json r = parse(run.out);
  REQUIRE(r["variants"].size() == 1);
  CHECK(r["variants"][0]["name"] == "kept");

  auto unknown = run_ipcgrade({"validate", lab.dir().string(), "--variant", "nope"});
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Contains("no buggy variant 'nope'"));
  CHECK_THAT(unknown.err, Contains("kept, skipped"));
}

TEST_CASE("a broken lab makes validate exit 2 naming the file", "[grader][e2e][validate]") {
  TinyLab lab;
  SECTION("a variant.yaml with an unknown finding kind") {
    lab.variant("bad-kind", "description: \"x\"\nfinding: leaky\n");
    auto run = run_ipcgrade({"validate", lab.dir().string()});
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.err, Contains((lab.dir() / "buggy" / "bad-kind" / "variant.yaml").string() +
                                 ":2"));
    CHECK_THAT(run.err, Contains("finding"));
    CHECK(run.out.empty());
  }
  SECTION("a variant folder without variant.yaml") {
    lab.submission("buggy/undeclared", kStatusAlwaysZero);
    auto run = run_ipcgrade({"validate", lab.dir().string()});
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.err, Contains("undeclared"));
  }
  SECTION("a lab without a reference solution") {
    fs::remove_all(lab.dir() / "solution");
    auto run = run_ipcgrade({"validate", lab.dir().string()});
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.err, Contains("solution"));
  }
  SECTION("a lab.yaml with a bad field") {
    lab.tmp.write("tiny/lab.yaml", std::string(kTinyLab) + "    repeat: many\n");
    auto run = run_ipcgrade({"validate", lab.dir().string()});
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.err, Contains("lab.yaml:13"));
  }
  SECTION("a run count of zero") {
    auto run = run_ipcgrade({"validate", lab.dir().string(), "--runs", "0"});
    CHECK(run.exit_code == 2);
  }
}
