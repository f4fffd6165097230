// End-to-end tests of `ipcgrade grade`: the real binary on the shipped pipes
// lab's reference solution and known-buggy variants, as a user runs it.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "grader/store.h"
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

const fs::path kPipes = fs::path(IPCGRADE_SOURCE_DIR) / "labs" / "pipes";

json parse(const std::string& s) {
  json j = json::parse(s, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

void write_file(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

}  // namespace

TEST_CASE("the pipes reference solution gets full marks on 20 consecutive gradings",
          "[grader][e2e][slow]") {
  for (int i = 0; i < 20; ++i) {
    CAPTURE(i);
    auto run = run_ipcgrade({"grade", "--lab", "pipes", kPipes.string() + "/solution",
                             "--format", "json"});
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    json report = parse(run.out);
    CHECK(report["score"] == report["max_score"]);
    CHECK(report["max_score"].get<double>() > 0);
    CHECK(report["findings"].empty());
    CHECK(report["status"] == "complete");
  }
}

// Every lab under labs/ (whatever labs exist when the suite runs) passes
// its own self-test: the reference at full marks on a few gradings (the 20
// in a row above are for pipes; `ipcgrade validate LAB` runs 20 by default)
// and each known-buggy variant caught with its declared kind, or marked
// pending. See validate_test.cpp for validate's own behaviour.
TEST_CASE("every shipped lab passes validate with its reference at full marks and no variant missed",
          "[grader][e2e][slow][validate]") {
  const fs::path labs = fs::path(IPCGRADE_SOURCE_DIR) / "labs";
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(labs)) {
    if (e.is_directory() && fs::exists(e.path() / "lab.yaml")) {
      dirs.push_back(e.path());
    }
  }
  std::sort(dirs.begin(), dirs.end());
  REQUIRE_FALSE(dirs.empty());
  for (const fs::path& dir : dirs) {
    CAPTURE(dir.filename().string());
    Result<LabSpec> lab = load_lab(dir);
    REQUIRE(lab.ok());
    Result<std::vector<VariantSpec>> variants = load_variants(lab.value());
    REQUIRE(variants.ok());
    // A lab takes 1-4 minutes on 2 loaded cores (shm, the slowest, 258 s).
    auto run = run_ipcgrade({"validate", dir.string(), "--runs", "3", "--format", "json"}, 1800);
    INFO(run.err);
    CHECK(run.exit_code == 0);
    json r = parse(run.out);
    CHECK(r["reference"]["full_marks"] == 3);
    CHECK(r["reference"]["failures"].empty());
    REQUIRE(r["variants"].size() == variants->size());
    std::set<std::string> kinds_caught;
    for (std::size_t i = 0; i < variants->size(); ++i) {
      const VariantSpec& v = variants.value()[i];
      const json& row = r["variants"][i];
      CAPTURE(v.name, row.dump());
      CHECK(row["name"] == v.name);
      std::string verdict = row["verdict"].get<std::string>();
      if (v.pending.empty()) {
        CHECK(verdict == "caught");  // caught today, with exactly the declared kind
      } else {
        CHECK(verdict != "miss");
        CHECK(verdict != "error");
        if (verdict == "pending") {
          WARN("pending, not caught yet: " << v.name << ": " << v.pending);
        }
      }
      if (verdict == "caught") {
        kinds_caught.insert(row["matched"].get<std::string>());
      }
    }
    if (dir.filename() == "pipes") {
      // The pipes variants cover the kinds issue 2 asked for.
      for (const char* k :
           {"sigpipe", "short-io", "zombie", "fd-leak", "wrong-output", "eof-hang", "deadlock"}) {
        CHECK(kinds_caught.count(k) == 1);
      }
    }
  }
}

TEST_CASE("the JSON report has every documented field", "[grader][e2e]") {
  auto run = run_ipcgrade({"grade", "--lab", "pipes",
                           (kPipes / "buggy" / "relay-wrong-exit-status").string(), "--test",
                           "relay-exit-status", "--test", "relay-cat-1byte", "--format", "json"});
  REQUIRE(run.exit_code == 1);
  json r = parse(run.out);
  for (const char* key : {"lab", "submission", "submission_hash", "lab_hash", "grader_version",
                          "started_at", "score", "max_score", "status", "sandbox_tier", "sandbox_lacks", "build",
                          "tests", "findings"}) {
    CAPTURE(key);
    CHECK(r.contains(key));
  }
  CHECK(r["lab"] == "pipes");
  CHECK(r["max_score"] == 2);
  REQUIRE(r["tests"].size() == 2);
  for (const auto& t : r["tests"]) {
    for (const char* key : {"name", "program", "status", "score", "max_score", "output"}) {
      CAPTURE(key);
      CHECK(t.contains(key));
    }
  }
  REQUIRE(r["findings"].size() >= 1);
  const auto& f = r["findings"][0];
  CHECK(f["kind"] == "wrong-output");
  CHECK(f["test"] == "relay-exit-status");
  CHECK(f["program"] == "relay");
  CHECK_THAT(f["message"].get<std::string>(), Contains("exit with status 3"));
  CHECK_THAT(f["repro"].get<std::string>(), Contains("./relay sh -c 'exit 3'"));
  CHECK_FALSE(f["evidence"].get<std::string>().empty());
}

TEST_CASE("several submissions give a JSON array and one summary row each", "[grader][e2e]") {
  std::vector<std::string> common = {"grade", "--lab", "pipes",
                                     (kPipes / "solution").string(),
                                     (kPipes / "buggy" / "relay-exec-fail-silent").string(),
                                     "--test", "relay-exec-fail"};
  auto json_run = run_ipcgrade([&] { auto a = common; a.push_back("--format"); a.push_back("json"); return a; }());
  REQUIRE(json_run.exit_code == 1);
  json arr = parse(json_run.out);
  REQUIRE(arr.is_array());
  REQUIRE(arr.size() == 2);
  CHECK(arr[0]["score"] == arr[0]["max_score"]);
  CHECK(arr[1]["score"] == 0);
  auto text_run = run_ipcgrade(common);
  CHECK(text_run.exit_code == 1);
  CHECK_THAT(text_run.out, Contains("relay-exec-fail-silent"));
  CHECK_THAT(text_run.out, Contains("wrong-output"));
  CHECK(text_run.out.find("\x1b[") == std::string::npos);  // no colour when piped
}

TEST_CASE("grading into SQLite keeps every grading of a submission", "[grader][e2e][store]") {
  TempDir tmp;
  fs::path db = tmp.path() / "grades.db";
  std::string sub = (kPipes / "buggy" / "relay-wrong-exit-status").string();
  for (int i = 0; i < 2; ++i) {
    auto run = run_ipcgrade({"grade", "--lab", "pipes", sub, "--test", "relay-exit-status",
                             "--db", db.string(), "--format", "json"});
    REQUIRE(run.exit_code == 1);
  }
  Result<std::unique_ptr<Store>> store = Store::open(db, Store::Mode::kReadOnly);
  REQUIRE(store.ok());
  auto history = store.value()->history(sub);
  REQUIRE(history.ok());
  REQUIRE(history->size() == 2);
  Result<Report> last = store.value()->load_run(history->back().run_id);
  REQUIRE(last.ok());
  CHECK(last->lab == "pipes");
  CHECK(last->score == 0);
  CHECK(last->max_score == 1);
  REQUIRE(last->findings.size() == 1);
  CHECK(last->findings[0].kind == FindingKind::kWrongOutput);
  CHECK(last->submission_hash.size() == 64);
}

TEST_CASE("a submission that does not build scores 0 with a build finding and a complete report",
          "[grader][e2e]") {
  TempDir tmp;
  write_file(tmp.path() / "broken" / "relay.c", "int main(void) { return undefined_thing; }\n");
  write_file(tmp.path() / "broken" / "pipeline.c", "int main(void) { return 0; }\n");
  auto run = run_ipcgrade({"grade", "--lab", "pipes", (tmp.path() / "broken").string(),
                           "--format", "json"});
  REQUIRE(run.exit_code == 1);
  json r = parse(run.out);
  CHECK(r["status"] == "complete");
  CHECK(r["score"] == 0);
  CHECK(r["build"]["ok"] == false);
  REQUIRE(r["findings"].size() == 1);
  CHECK(r["findings"][0]["kind"] == "build");
  CHECK_THAT(r["findings"][0]["evidence"].get<std::string>(), Contains("relay.c:1"));
  CHECK(r["tests"].size() == 44);
}

TEST_CASE("input errors exit 2 with a message that names the problem", "[grader][e2e]") {
  SECTION("an unknown lab") {
    auto run = run_ipcgrade({"grade", "--lab", "no-such-lab", "."});
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.err, Contains("no-such-lab"));
  }
  SECTION("a submission directory that does not exist") {
    auto run = run_ipcgrade({"grade", "--lab", "pipes", "/nonexistent/submission"});
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.err, Contains("/nonexistent/submission"));
  }
  SECTION("a malformed lab.yaml names the file, the line and the field") {
    TempDir tmp;
    write_file(tmp.path() / "lab" / "lab.yaml",
               "lab: broken\ntitle: x\nprograms: [{name: p}]\ntests:\n  - name: t\n    program: p\n"
               "    expect: {exit: zero}\n");
    auto run = run_ipcgrade({"grade", "--lab", (tmp.path() / "lab").string(), "."});
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.err, Contains("lab.yaml:7"));
    CHECK_THAT(run.err, Contains("expect.exit"));
  }
  SECTION("a database that is not ours is refused and left untouched") {
    TempDir tmp;
    fs::path db = tmp.path() / "notes.db";
    write_file(db, "these are my notes, not a database\n");
    auto run = run_ipcgrade({"grade", "--lab", "pipes", (kPipes / "solution").string(), "--db",
                             db.string(), "--test", "relay-usage"});
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.err, Contains("notes.db"));
    std::ifstream in(db);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(content == "these are my notes, not a database\n");
  }
  SECTION("an unknown option") {
    auto run = run_ipcgrade({"grade", "--lab", "pipes", "--bogus", "."});
    CHECK(run.exit_code == 2);
  }
}

TEST_CASE("every subcommand has help, and labs lists the shipped labs", "[grader][e2e]") {
  for (const char* cmd : {"grade", "labs", "gen"}) {
    CAPTURE(cmd);
    auto run = run_ipcgrade({cmd, "--help"});
    CHECK(run.exit_code == 0);
    CHECK_THAT(run.out, Contains("Usage") || Contains("usage") || Contains("OPTIONS"));
  }
  auto labs = run_ipcgrade({"labs"});
  CHECK(labs.exit_code == 0);
  CHECK_THAT(labs.out, Contains("pipes"));
  CHECK_THAT(labs.out, Contains("relay"));
  CHECK_THAT(labs.out, Contains("pipeline"));
}

TEST_CASE("gen prints the same bytes every time for a seed", "[grader][e2e]") {
  auto a = run_ipcgrade({"gen", "--bytes", "100000", "--seed", "7"});
  auto b = run_ipcgrade({"gen", "--bytes", "100000", "--seed", "7"});
  auto c = run_ipcgrade({"gen", "--bytes", "100000", "--seed", "8"});
  CHECK(a.exit_code == 0);
  CHECK(a.out.size() == 100000);
  CHECK(a.out == b.out);
  CHECK(a.out != c.out);
}
