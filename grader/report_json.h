// The public JSON form of a Report: what `ipcgrade grade --json` prints and
// what the store keeps beside the rows of each grading run. The shape is a
// public interface, documented with an example in docs/json-report.md; keys
// are only ever added, never renamed or given a new meaning.
//
// Strings in the document are always valid UTF-8: bytes of a program's output
// that are not valid UTF-8 become U+FFFD, so a dump() of what to_json returns
// never throws. The exact bytes are kept by the store's rows, not by the JSON.
//
// Free functions over plain values; safe to call from any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "base/status.h"
#include "grader/report.h"

namespace ipcgrade {

// The report as one JSON object (docs/json-report.md).
nlohmann::json to_json(const Report& report);

// One object for one report; an array of objects for none or several.
nlohmann::json reports_to_json(const std::vector<Report>& reports);

// Reads back what to_json wrote. A document of the wrong shape (a missing
// key, a value of the wrong type, a status or finding kind outside the
// vocabulary) is InvalidInput naming the offending key, as in
// "tests[2].status: expected one of passed, failed, error, got \"ok\"".
// Keys it does not know are ignored, so newer documents still read.
Result<Report> report_from_json(const nlohmann::json& document);

}  // namespace ipcgrade
