// Checker: a named semantic check of one output stream, for labs whose
// output is not one fixed string. lab.yaml names a checker with
// `stdout: {checker: NAME}`; the loader rejects names not registered here.
//
// A checker is a pure function of what the run produced; it never sees
// anything the student's program could have written elsewhere.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/finding.h"

namespace ipcgrade {

struct CheckInput {
  std::string_view stdin_data;
  std::string_view output;       // the stream being checked
  std::vector<std::string> args; // the test's argv[1..]
};

struct CheckVerdict {
  bool ok = true;
  FindingKind kind = FindingKind::kWrongOutput;  // when !ok
  std::string message;   // student-facing: what was expected, what came
  std::string evidence;  // short excerpt
};

struct Checker {
  std::string_view name;
  std::string_view summary;  // one line for `ipcgrade labs` and the docs
  CheckVerdict (*check)(const CheckInput& input);
};

// Helpers the checkers share.
// A whole decimal number with nothing around it (no sign, no spaces), at
// most `max`; nullopt otherwise.
std::optional<std::uint64_t> parse_count(std::string_view s, std::uint64_t max);
// `s` as a student would recognise it in a message: quoted, control bytes
// escaped, cut after `max` characters with "...".
std::string quoted(std::string_view s, std::size_t max);

// The registered checker called `name`, or nullptr.
const Checker* find_checker(std::string_view name);
const std::vector<Checker>& all_checkers();

}  // namespace ipcgrade
