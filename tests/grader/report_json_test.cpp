#include "grader/report_json.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

#include "tests/grader/sample_report.h"

using namespace ipcgrade;
using Catch::Matchers::Contains;
using nlohmann::json;

namespace {

std::set<std::string> keys_of(const json& object) {
  std::set<std::string> keys;
  for (auto it = object.begin(); it != object.end(); ++it) {
    keys.insert(it.key());
  }
  return keys;
}

}  // namespace

TEST_CASE("a report's JSON has every documented key and no other", "[grader][json]") {
  const json doc = to_json(testing::sample_report());

  CHECK(keys_of(doc) == std::set<std::string>{"lab", "lab_hash", "submission", "submission_hash",
                                              "grader_version", "started_at", "duration_seconds",
                                              "sandbox_tier", "sandbox_lacks", "status", "internal_error", "score",
                                              "max_score", "build", "tests", "findings", "advice"});
  CHECK(keys_of(doc["build"]) == std::set<std::string>{"ok", "output"});
  REQUIRE(doc["tests"].size() == 3);
  for (const json& test : doc["tests"]) {
    CHECK(keys_of(test) == std::set<std::string>{"name", "program", "status", "score", "max_score",
                                                 "output", "visibility", "repetitions",
                                                 "passed_repetitions", "wall_seconds"});
  }
  REQUIRE(doc["findings"].size() == 3);
  for (const json& finding : doc["findings"]) {
    CHECK(keys_of(finding) ==
          std::set<std::string>{"kind", "test", "program", "message", "evidence", "repro"});
  }

  SECTION("values use the public vocabulary and JSON types") {
    CHECK(doc["status"] == "internal-error");
    CHECK(doc["build"]["ok"] == true);
    CHECK(doc["score"] == 7.5);
    CHECK(doc["tests"][0]["visibility"] == "public");
    CHECK(doc["tests"][1]["visibility"] == "hidden");
    CHECK(doc["tests"][1]["status"] == "failed");
    CHECK(doc["tests"][1]["repetitions"].is_number_integer());
    CHECK(doc["tests"][1]["passed_repetitions"] == 3);
    CHECK(doc["findings"][0]["kind"] == "eintr");
    CHECK(doc["findings"][1]["kind"] == "fd-leak");
    CHECK(doc["findings"][2]["kind"] == "build");
  }
}

TEST_CASE("internal_error appears only when it is set", "[grader][json]") {
  Report report = testing::sample_report();
  report.status = "complete";
  report.internal_error.clear();
  const json doc = to_json(report);
  CHECK_FALSE(doc.contains("internal_error"));
  CHECK(doc["status"] == "complete");

  Result<Report> back = report_from_json(doc);
  REQUIRE(back.ok());
  CHECK(back->internal_error.empty());
}

TEST_CASE("a report survives a trip through JSON text", "[grader][json]") {
  const Report report = testing::sample_report();
  const std::string text = to_json(report).dump(2);
  Result<Report> back = report_from_json(json::parse(text));
  REQUIRE(back.ok());
  testing::check_same_report(report, *back);
}

TEST_CASE("bytes that are not UTF-8 become U+FFFD and the JSON still dumps", "[grader][json]") {
  Report report = testing::sample_report();
  report.tests[0].output = "ok \xff|\xe2\x82|\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80| é ✓";
  report.findings[0].evidence = std::string("tail cut mid-character: \xe6\x97");

  const json doc = to_json(report);
  std::string text;
  REQUIRE_NOTHROW(text = doc.dump());
  CHECK(doc["tests"][0]["output"] ==
        "ok \xEF\xBF\xBD|\xEF\xBF\xBD\xEF\xBF\xBD|\xEF\xBF\xBD\xEF\xBF\xBD|"
        "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD|\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD|"
        " é ✓");
  CHECK(doc["findings"][0]["evidence"] == "tail cut mid-character: \xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(report_from_json(json::parse(text)).ok());
}

TEST_CASE("several reports make an array and one report makes an object", "[grader][json]") {
  const Report report = testing::sample_report();
  CHECK(reports_to_json({report}).is_object());
  CHECK(reports_to_json({report}) == to_json(report));
  const json several = reports_to_json({report, report});
  REQUIRE(several.is_array());
  CHECK(several.size() == 2);
  CHECK(reports_to_json({}) == json::array());
}

TEST_CASE("keys a newer grader adds are ignored when reading", "[grader][json]") {
  json doc = to_json(testing::sample_report());
  doc["signed_by"] = "course staff";
  doc["tests"][0]["cpu_seconds"] = 0.5;
  doc["findings"][0]["severity"] = "high";
  Result<Report> back = report_from_json(doc);
  REQUIRE(back.ok());
  testing::check_same_report(testing::sample_report(), *back);
}

TEST_CASE("a malformed report document is rejected with a message naming the key",
          "[grader][json]") {
  // pointer: where to change the sample document; remove: delete the key
  // instead of setting it; expected: what the message must say.
  auto [pointer, remove, value, expected] = GENERATE(table<std::string, bool, json, std::string>({
      {"/lab", false, 5, "lab: expected a string, got a number"},
      {"/score", true, nullptr, "score: missing"},
      {"/score", false, "7.5", "score: expected a number, got a string"},
      {"/status", false, "done", "status: expected one of complete, internal-error"},
      {"/internal_error", false, json::array(), "internal_error: expected a string"},
      {"/build", false, "yes", "build: expected an object"},
      {"/build/ok", false, 1, "build.ok: expected a boolean"},
      {"/build/output", true, nullptr, "build.output: missing"},
      {"/tests", false, json::object(), "tests: expected an array"},
      {"/tests/1", false, 7, "tests[1]: expected an object"},
      {"/tests/1/status", false, "ok",
       "tests[1].status: expected one of passed, failed, error, got \"ok\""},
      {"/tests/0/visibility", false, "secret",
       "tests[0].visibility: expected one of public, hidden"},
      {"/tests/2/repetitions", false, -1, "tests[2].repetitions: expected a non-negative integer"},
      {"/tests/2/repetitions", false, 1.5, "tests[2].repetitions: expected a non-negative integer"},
      {"/tests/2/repetitions", false, 4294967296LL,
       "tests[2].repetitions: expected a non-negative integer"},
      {"/tests/1/passed_repetitions", false, 9,
       "tests[1].passed_repetitions: 9 is more than the 8"},
      {"/tests/0/wall_seconds", true, nullptr, "tests[0].wall_seconds: missing"},
      {"/findings", true, nullptr, "findings: missing"},
      {"/findings/2/kind", false, "segfault",
       "findings[2].kind: \"segfault\" is not a finding kind"},
      {"/findings/0/message", false, nullptr, "findings[0].message: expected a string, got null"},
  }));
  CAPTURE(pointer, value.dump());
  json doc = to_json(testing::sample_report());
  const json::json_pointer where(pointer);
  if (remove) {
    doc[where.parent_pointer()].erase(where.back());
  } else {
    doc[where] = value;
  }

  Result<Report> back = report_from_json(doc);
  REQUIRE_FALSE(back.ok());
  CHECK(back.status().code() == Status::Code::kInvalidInput);
  CHECK_THAT(back.status().message(), Contains("malformed JSON report"));
  CHECK_THAT(back.status().message(), Contains(expected));
}

TEST_CASE("a document that is not an object is not a report", "[grader][json]") {
  const json document = GENERATE(json(nullptr), json(42), json("report"), json::array());
  CAPTURE(document.dump());
  Result<Report> back = report_from_json(document);
  REQUIRE_FALSE(back.ok());
  CHECK(back.status().code() == Status::Code::kInvalidInput);
  CHECK_THAT(back.status().message(), Contains("the document: expected an object"));
}

TEST_CASE("the example in docs/json-report.md is a valid report that shows every key",
          "[grader][json]") {
  std::ifstream in(std::string(IPCGRADE_SOURCE_DIR) + "/docs/json-report.md");
  REQUIRE(in.good());
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t start = text.find("```json\n");
  REQUIRE(start != std::string::npos);
  const std::size_t end = text.find("```", start + 8);
  REQUIRE(end != std::string::npos);
  const json example = json::parse(text.substr(start + 8, end - start - 8));

  Result<Report> report = report_from_json(example);
  INFO(report.status().ToString());
  REQUIRE(report.ok());
  // The example is what to_json writes for it (internal_error aside, which
  // a complete report does not have).
  CHECK(to_json(*report) == example);
}
