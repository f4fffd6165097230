// YamlField: one value of a YAML file the grader reads (lab.yaml,
// variant.yaml) together with where it came from: the file as the user named
// it, its 1-based line, and its field path ("tests[3].expect.exit"). The
// reading functions below turn a field into a typed value or into an
// InvalidInput Status whose message is always
//   <file>:<line>: <field path>: <problem>
// so every loader reports errors the same way, pointing at the fix.
//
// yaml-cpp throws on a conversion it does not like; nothing here lets it:
// each function looks at the node's type and parses scalars itself. Numbers,
// durations and sizes follow the units documented in docs/lab-format.md.
//
// A YamlField is a cheap value (yaml-cpp nodes are reference-counted). Not
// thread-safe: yaml-cpp nodes share state without locks.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "harness/finding.h"

namespace ipcgrade {

class YamlField {
 public:
  // The document's top level, starting at `line`.
  YamlField(std::string file, YAML::Node node, int line = 1);

  const YAML::Node& node() const { return node_; }
  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }
  int line() const { return line_; }

  bool is_null() const { return node_.IsNull(); }
  bool is_scalar() const { return node_.IsScalar(); }
  bool is_map() const { return node_.IsMap(); }
  bool is_list() const { return node_.IsSequence(); }

  // How the value looks, for "got ..." in messages: 'zero', a list, a map,
  // nothing.
  std::string describe() const;

  // "<file>:<line>: <path>: <problem>" as an InvalidInput Status.
  Status error(const std::string& problem) const;
  // The usual type mismatch: "expected <what>, got <describe()>".
  Status expected(const std::string& what) const;

  // A member of this map or an element of this list.
  YamlField member(const std::string& key, YAML::Node value, int line) const;
  YamlField element(std::size_t index, YAML::Node value) const;
  // This field, reported at another line (a key's, inside a map).
  YamlField at_line(int line) const;

 private:
  YamlField(std::string file, YAML::Node node, std::string path, int line);

  std::string file_;
  YAML::Node node_;
  std::string path_;
  int line_;
};

// The members of one YAML map, checked once: the field is a map, every key
// is a plain name among `allowed` (a typo gets "did you mean"), and no key
// appears twice.
class YamlMap {
 public:
  static Result<YamlMap> read(const YamlField& field,
                              const std::vector<std::string_view>& allowed);

  const YamlField& field() const { return field_; }
  bool has(std::string_view key) const;
  // The member called `key`, or nullopt when absent.
  std::optional<YamlField> get(std::string_view key) const;
  // The member called `key`; absent is an error at the map's line.
  Result<YamlField> require(std::string_view key) const;

 private:
  explicit YamlMap(YamlField field) : field_(std::move(field)) {}

  struct Member {
    std::string name;
    int key_line;
    YamlField value;
  };

  YamlField field_;
  std::vector<Member> members_;
};

// A YAML file read whole: its bytes (for hashing) and its one document.
struct YamlDocument {
  std::string bytes;
  YamlField root;
};

// Reads and parses `file`, named `shown` in messages (the path as the user
// gave it). A file that is missing, not regular, over 16MiB, not valid YAML
// (file:line:column), empty, or holding more than one document is an
// InvalidInput error; `needs` completes "the file is empty; ..." ("a lab
// needs at least ...").
Result<YamlDocument> load_yaml_document(const std::filesystem::path& file,
                                        const std::string& shown,
                                        const std::string& needs);

// Reads the member `key` of `map` with `read` (one of the functions below)
// into `*out` when present; an absent member leaves `*out`, its default,
// alone.
template <typename T, typename Read>
Status read_member(const YamlMap& map, std::string_view key, Read read,
                   T* out) {
  std::optional<YamlField> field = map.get(key);
  if (!field) {
    return Status::Ok();
  }
  auto value = read(*field);
  if (!value.ok()) {
    return value.status();
  }
  *out = std::move(*value);
  return Status::Ok();
}

// The first error among independent reads written as one expression
// (a braced list is evaluated left to right), or ok.
Status first_error(std::initializer_list<Status> results);

// The elements of a list (a single value is not a list: an error).
Result<std::vector<YamlField>> read_list(const YamlField& field);

// A scalar as text. Null ("key:" with nothing after it) is an error that
// suggests "" for empty text.
Result<std::string> read_string(const YamlField& field);
// A scalar that must not be empty.
Result<std::string> read_nonempty_string(const YamlField& field);
// true or false.
Result<bool> read_bool(const YamlField& field);
// A whole number in [min, max], written in decimal digits.
Result<std::uint64_t> read_unsigned(const YamlField& field, std::uint64_t min,
                                    std::uint64_t max);
// A decimal number in [min, max] ("1", "0.5").
Result<double> read_number(const YamlField& field, double min, double max);
// A duration: a number of seconds ("10", "0.5") or a number with a unit
// ms, s or m ("500ms", "10s", "2m"); at least 1ms, at most 24 hours.
Result<std::chrono::milliseconds> read_duration(const YamlField& field);
// A size: a whole number of bytes ("4096") or with a binary unit B, KiB,
// MiB or GiB ("64KiB", "1GiB"), in [min, max] bytes.
Result<std::uint64_t> read_size(const YamlField& field, std::uint64_t min,
                                std::uint64_t max);
// One of `choices`, with "did you mean" for a near miss.
Result<std::string> read_choice(const YamlField& field,
                                const std::vector<std::string_view>& choices);
// A finding kind's public name (shared/findings.md).
Result<FindingKind> read_finding_kind(const YamlField& field);

// The candidate closest to `word` when it is a likely typo of it
// (a small edit distance), or nullopt.
std::optional<std::string> nearest_name(
    std::string_view word, const std::vector<std::string_view>& candidates);
// " (did you mean 'x'?)" or " (expected one of: a, b, c)", for messages.
std::string suggestion_text(std::string_view word,
                            const std::vector<std::string_view>& candidates);

}  // namespace ipcgrade
