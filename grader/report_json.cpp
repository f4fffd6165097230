#include "grader/report_json.h"

#include "base/utf8.h"

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <utility>

namespace ipcgrade {
namespace {

using nlohmann::json;

std::string_view type_name(const json& value) {
  if (value.is_number()) {
    return "a number";
  }
  if (value.is_string()) {
    return "a string";
  }
  if (value.is_boolean()) {
    return "a boolean";
  }
  if (value.is_array()) {
    return "an array";
  }
  if (value.is_object()) {
    return "an object";
  }
  return "null";
}

// Reads the keys of one JSON object into a Report, remembering the first
// problem so the caller can read every field and check once. `where` is the
// object's place in the document ("", "build", "tests[2]").
class ObjectReader {
 public:
  ObjectReader(const json& object, std::string where) : object_(object), where_(std::move(where)) {
    if (!object_.is_object()) {
      fail_at(where_.empty() ? "the document" : where_,
              "expected an object, got " + std::string(type_name(object_)));
    }
  }

  const Status& status() const { return status_; }

  void read(const char* key, std::string* out) {
    if (const json* value = find(key, /*required=*/true)) {
      if (value->is_string()) {
        *out = value->get<std::string>();
      } else {
        wrong_type(key, "a string", *value);
      }
    }
  }

  void read_optional(const char* key, std::string* out) {
    if (const json* value = find(key, /*required=*/false)) {
      if (value->is_string()) {
        *out = value->get<std::string>();
      } else {
        wrong_type(key, "a string", *value);
      }
    }
  }

  void read(const char* key, double* out) {
    if (const json* value = find(key, /*required=*/true)) {
      if (value->is_number()) {
        *out = value->get<double>();
      } else {
        wrong_type(key, "a number", *value);
      }
    }
  }

  void read(const char* key, bool* out) {
    if (const json* value = find(key, /*required=*/true)) {
      if (value->is_boolean()) {
        *out = value->get<bool>();
      } else {
        wrong_type(key, "a boolean", *value);
      }
    }
  }

  // A count: an integer from 0 to INT_MAX.
  void read(const char* key, int* out) {
    const json* value = find(key, /*required=*/true);
    if (value == nullptr) {
      return;
    }
    bool in_range = false;
    if (value->is_number_unsigned()) {
      in_range = value->get<std::uint64_t>() <=
                 static_cast<std::uint64_t>(std::numeric_limits<int>::max());
    } else if (value->is_number_integer()) {
      const auto v = value->get<std::int64_t>();
      in_range = v >= 0 && v <= std::numeric_limits<int>::max();
    }
    if (in_range) {
      *out = value->get<int>();
    } else {
      wrong_type(key, "a non-negative integer", *value);
    }
  }

  // A string from a fixed vocabulary.
  void read_one_of(const char* key, std::initializer_list<std::string_view> allowed,
                   std::string* out) {
    std::string value;
    read(key, &value);
    if (!status_.ok()) {
      return;
    }
    for (std::string_view name : allowed) {
      if (name == value) {
        *out = value;
        return;
      }
    }
    std::string names;
    for (std::string_view name : allowed) {
      names += names.empty() ? "" : ", ";
      names += name;
    }
    fail_at(path(key), "expected one of " + names + ", got \"" + valid_utf8(value) + "\"");
  }

  // The array or object under `key`, or nullptr (and a failure) if absent or
  // of another type.
  const json* child(const char* key, bool want_array) {
    const json* value = find(key, /*required=*/true);
    if (value == nullptr) {
      return nullptr;
    }
    if (want_array ? !value->is_array() : !value->is_object()) {
      wrong_type(key, want_array ? "an array" : "an object", *value);
      return nullptr;
    }
    return value;
  }

  std::string path(std::string_view key) const {
    return where_.empty() ? std::string(key) : where_ + "." + std::string(key);
  }

  void fail_at(const std::string& place, const std::string& problem) {
    if (status_.ok()) {
      status_ = Status::InvalidInput("malformed JSON report: " + place + ": " + problem);
    }
  }

 private:
  const json* find(const char* key, bool required) {
    if (!status_.ok()) {
      return nullptr;
    }
    auto it = object_.find(key);
    if (it == object_.end()) {
      if (required) {
        fail_at(path(key), "missing");
      }
      return nullptr;
    }
    return &*it;
  }

  void wrong_type(const char* key, std::string_view expected, const json& value) {
    fail_at(path(key),
            "expected " + std::string(expected) + ", got " + std::string(type_name(value)));
  }

  const json& object_;
  std::string where_;
  Status status_;
};

json test_to_json(const TestReport& test) {
  json doc = json::object();
  doc["name"] = valid_utf8(test.name);
  doc["program"] = valid_utf8(test.program);
  doc["status"] = valid_utf8(test.status);
  doc["score"] = test.score;
  doc["max_score"] = test.max_score;
  doc["output"] = valid_utf8(test.output);
  doc["visibility"] = test.hidden ? "hidden" : "public";
  doc["repetitions"] = test.repetitions;
  doc["passed_repetitions"] = test.passed_repetitions;
  doc["wall_seconds"] = test.wall_seconds;
  return doc;
}

json finding_to_json(const Finding& finding) {
  json doc = json::object();
  doc["kind"] = std::string(to_string(finding.kind));
  doc["test"] = valid_utf8(finding.test);
  doc["program"] = valid_utf8(finding.program);
  doc["message"] = valid_utf8(finding.message);
  doc["evidence"] = valid_utf8(finding.evidence);
  doc["repro"] = valid_utf8(finding.repro);
  return doc;
}

json advice_to_json(const Advice& advice) {
  json doc = json::object();
  doc["tool"] = valid_utf8(advice.tool);
  doc["check"] = valid_utf8(advice.check);
  doc["file"] = valid_utf8(advice.file);
  doc["line"] = advice.line;
  doc["message"] = valid_utf8(advice.message);
  return doc;
}

Status advice_from_json(const json& doc, const std::string& where, Advice* advice) {
  ObjectReader in(doc, where);
  in.read("tool", &advice->tool);
  in.read("check", &advice->check);
  in.read("file", &advice->file);
  in.read("line", &advice->line);
  in.read("message", &advice->message);
  return in.status();
}

Status test_from_json(const json& doc, const std::string& where, TestReport* test) {
  ObjectReader in(doc, where);
  in.read("name", &test->name);
  in.read("program", &test->program);
  in.read_one_of("status", {"passed", "failed", "error"}, &test->status);
  in.read("score", &test->score);
  in.read("max_score", &test->max_score);
  in.read("output", &test->output);
  std::string visibility;
  in.read_one_of("visibility", {"public", "hidden"}, &visibility);
  test->hidden = visibility == "hidden";
  in.read("repetitions", &test->repetitions);
  in.read("passed_repetitions", &test->passed_repetitions);
  in.read("wall_seconds", &test->wall_seconds);
  if (in.status().ok() && test->passed_repetitions > test->repetitions) {
    in.fail_at(in.path("passed_repetitions"),
               std::to_string(test->passed_repetitions) + " is more than the " +
                   std::to_string(test->repetitions) + " repetitions");
  }
  return in.status();
}

Status finding_from_json(const json& doc, const std::string& where, Finding* finding) {
  ObjectReader in(doc, where);
  std::string kind;
  in.read("kind", &kind);
  if (in.status().ok()) {
    if (auto parsed = parse_finding_kind(kind)) {
      finding->kind = *parsed;
    } else {
      in.fail_at(in.path("kind"),
                 "\"" + valid_utf8(kind) + "\" is not a finding kind of findings.md");
    }
  }
  in.read("test", &finding->test);
  in.read("program", &finding->program);
  in.read("message", &finding->message);
  in.read("evidence", &finding->evidence);
  in.read("repro", &finding->repro);
  return in.status();
}

Result<Report> report_from_json_unchecked(const json& document) {
  Report report;
  ObjectReader in(document, "");
  in.read("lab", &report.lab);
  in.read("lab_hash", &report.lab_hash);
  in.read("submission", &report.submission);
  in.read("submission_hash", &report.submission_hash);
  in.read("grader_version", &report.grader_version);
  in.read("started_at", &report.started_at);
  in.read("duration_seconds", &report.duration_seconds);
  in.read("sandbox_tier", &report.sandbox_tier);
  in.read_optional("sandbox_lacks", &report.sandbox_lacks);
  in.read_one_of("status", {"complete", "internal-error"}, &report.status);
  in.read_optional("internal_error", &report.internal_error);
  in.read("score", &report.score);
  in.read("max_score", &report.max_score);
  if (const json* build = in.child("build", /*want_array=*/false)) {
    ObjectReader build_in(*build, "build");
    build_in.read("ok", &report.build_ok);
    build_in.read("output", &report.build_output);
    if (!build_in.status().ok()) {
      return build_in.status();
    }
  }
  const json* tests = in.child("tests", /*want_array=*/true);
  const json* findings = in.child("findings", /*want_array=*/true);
  if (!in.status().ok()) {
    return in.status();
  }
  for (std::size_t i = 0; i < tests->size(); ++i) {
    TestReport test;
    Status s = test_from_json((*tests)[i], "tests[" + std::to_string(i) + "]", &test);
    if (!s.ok()) {
      return s;
    }
    report.tests.push_back(std::move(test));
  }
  for (std::size_t i = 0; i < findings->size(); ++i) {
    Finding finding;
    Status s = finding_from_json((*findings)[i], "findings[" + std::to_string(i) + "]", &finding);
    if (!s.ok()) {
      return s;
    }
    report.findings.push_back(std::move(finding));
  }
  // `advice` came later than the other keys: a report without it (an older
  // ipcgrade's) has none.
  if (document.contains("advice")) {
    const json* advice = in.child("advice", /*want_array=*/true);
    if (!in.status().ok()) {
      return in.status();
    }
    for (std::size_t i = 0; i < advice->size(); ++i) {
      Advice item;
      Status s = advice_from_json((*advice)[i], "advice[" + std::to_string(i) + "]", &item);
      if (!s.ok()) {
        return s;
      }
      report.advice.push_back(std::move(item));
    }
  }
  return report;
}

}  // namespace

json to_json(const Report& report) {
  json doc = json::object();
  doc["lab"] = valid_utf8(report.lab);
  doc["lab_hash"] = valid_utf8(report.lab_hash);
  doc["submission"] = valid_utf8(report.submission);
  doc["submission_hash"] = valid_utf8(report.submission_hash);
  doc["grader_version"] = valid_utf8(report.grader_version);
  doc["started_at"] = valid_utf8(report.started_at);
  doc["duration_seconds"] = report.duration_seconds;
  doc["sandbox_tier"] = valid_utf8(report.sandbox_tier);
  doc["sandbox_lacks"] = valid_utf8(report.sandbox_lacks);
  doc["status"] = valid_utf8(report.status);
  if (!report.internal_error.empty()) {
    doc["internal_error"] = valid_utf8(report.internal_error);
  }
  doc["score"] = report.score;
  doc["max_score"] = report.max_score;
  doc["build"] = {{"ok", report.build_ok}, {"output", valid_utf8(report.build_output)}};
  doc["tests"] = json::array();
  for (const TestReport& test : report.tests) {
    doc["tests"].push_back(test_to_json(test));
  }
  doc["findings"] = json::array();
  for (const Finding& finding : report.findings) {
    doc["findings"].push_back(finding_to_json(finding));
  }
  doc["advice"] = json::array();
  for (const Advice& advice : report.advice) {
    doc["advice"].push_back(advice_to_json(advice));
  }
  return doc;
}

json reports_to_json(const std::vector<Report>& reports) {
  if (reports.size() == 1) {
    return to_json(reports.front());
  }
  json all = json::array();
  for (const Report& report : reports) {
    all.push_back(to_json(report));
  }
  return all;
}

Result<Report> report_from_json(const json& document) {
  // Every access above is type-checked first; this is the backstop that keeps
  // a library exception from escaping on a shape we did not foresee.
  try {
    return report_from_json_unchecked(document);
  } catch (const json::exception& e) {
    return Status::InvalidInput(std::string("malformed JSON report: ") + e.what());
  }
}

}  // namespace ipcgrade
