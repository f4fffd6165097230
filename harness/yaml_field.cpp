#include "harness/yaml_field.h"

#include <yaml-cpp/depthguard.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

namespace ipcgrade {
namespace {

constexpr std::uint64_t kKiB = 1024;
constexpr std::uint64_t kMiB = kKiB * 1024;
constexpr std::uint64_t kGiB = kMiB * 1024;
constexpr std::uint64_t kMaxDocumentBytes = 16 * kMiB;
constexpr std::int64_t kMaxDurationMs = 24LL * 3600 * 1000;

// yaml-cpp gives a null value the position of the token after it, often the
// next line; the key's own line is where the instructor will look.
int value_line(const YAML::Node& value, int key_line) {
  if (value.IsNull() || value.Mark().line < 0) {
    return key_line;
  }
  return value.Mark().line + 1;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
    s.remove_prefix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
    s.remove_suffix(1);
  }
  return s;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return c >= '0' && c <= '9'; });
}

// A plain decimal: digits, optionally one '.' and more digits. No sign, no
// exponent, no hex: what an instructor means by a number.
std::optional<double> parse_decimal(std::string_view s) {
  std::size_t dot = s.find('.');
  std::string_view whole = s.substr(0, dot);
  std::string_view frac =
      dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
  if (whole.empty() && frac.empty()) {
    return std::nullopt;
  }
  if ((!whole.empty() && !all_digits(whole)) ||
      (!frac.empty() && !all_digits(frac))) {
    return std::nullopt;
  }
  if (s.size() > 40) {
    return std::nullopt;
  }
  return std::strtod(std::string(s).c_str(), nullptr);
}

std::optional<std::uint64_t> parse_whole(std::string_view s) {
  if (!all_digits(s)) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) {
    return std::nullopt;
  }
  return value;
}

std::string format_number(double value) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.15g", value);
  return buf;
}

std::string format_size(std::uint64_t bytes) {
  if (bytes != 0 && bytes % kGiB == 0) {
    return std::to_string(bytes / kGiB) + "GiB";
  }
  if (bytes != 0 && bytes % kMiB == 0) {
    return std::to_string(bytes / kMiB) + "MiB";
  }
  if (bytes != 0 && bytes % kKiB == 0) {
    return std::to_string(bytes / kKiB) + "KiB";
  }
  return std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
}

std::string integer_range(std::uint64_t min, std::uint64_t max) {
  if (max == std::numeric_limits<std::uint64_t>::max()) {
    return "an integer >= " + std::to_string(min);
  }
  return "an integer " + std::to_string(min) + ".." + std::to_string(max);
}

// Optimal string alignment distance: a swap of two neighbours costs one, as
// it does in a typist's hands ("exti" for "exit").
std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1,
                                          std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) {
    d[i][0] = i;
  }
  for (std::size_t j = 0; j <= m; ++j) {
    d[0][j] = j;
  }
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      d[i][j] = std::min(
          {d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (same ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

std::string join(const std::vector<std::string_view>& names) {
  std::string out;
  for (std::string_view name : names) {
    if (!out.empty()) {
      out += ", ";
    }
    out += name;
  }
  return out;
}

}  // namespace

YamlField::YamlField(std::string file, YAML::Node node, int line)
    : YamlField(std::move(file), std::move(node), std::string(), line) {}

YamlField::YamlField(std::string file, YAML::Node node, std::string path,
                     int line)
    : file_(std::move(file)),
      node_(std::move(node)),
      path_(std::move(path)),
      line_(line) {}

std::string YamlField::describe() const {
  if (node_.IsNull()) {
    return "nothing";
  }
  if (node_.IsSequence()) {
    return "a list";
  }
  if (node_.IsMap()) {
    return "a map";
  }
  // One line, whatever the value holds: newlines and tabs are shown escaped
  // so a message stays "file:line: field: problem".
  std::string shown;
  for (char c : node_.Scalar()) {
    if (shown.size() >= 40) {
      shown += "...";
      break;
    }
    if (c == '\n') {
      shown += "\\n";
    } else if (c == '\t') {
      shown += "\\t";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      shown += '?';
    } else {
      shown += c;
    }
  }
  return "'" + shown + "'";
}

Status YamlField::error(const std::string& problem) const {
  std::string where = file_ + ":" + std::to_string(line_) + ": ";
  if (!path_.empty()) {
    where += path_ + ": ";
  }
  return Status::InvalidInput(where + problem);
}

Status YamlField::expected(const std::string& what) const {
  return error("expected " + what + ", got " + describe());
}

YamlField YamlField::member(const std::string& key, YAML::Node value,
                            int line) const {
  std::string path = path_.empty() ? key : path_ + "." + key;
  return YamlField(file_, std::move(value), std::move(path), line);
}

YamlField YamlField::at_line(int line) const {
  return YamlField(file_, node_, path_, line);
}

YamlField YamlField::element(std::size_t index, YAML::Node value) const {
  int line = value_line(value, line_);
  return YamlField(file_, std::move(value),
                   path_ + "[" + std::to_string(index) + "]", line);
}

Result<YamlMap> YamlMap::read(const YamlField& field,
                              const std::vector<std::string_view>& allowed) {
  if (!field.is_map()) {
    return field.expected("a map of fields (" + join(allowed) + ")");
  }
  YamlMap map(field);
  for (auto it = field.node().begin(); it != field.node().end(); ++it) {
    // Copies, not references: the iterator's operator-> returns a temporary.
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    const int key_line =
        key.Mark().line >= 0 ? key.Mark().line + 1 : field.line();
    // Problems with a key are problems of the map that holds it, at the
    // key's line.
    const YamlField at_key = field.at_line(key_line);
    if (!key.IsScalar()) {
      return at_key.error("a field name must be a plain word, got " +
                          YamlField(field.file(), key, key_line).describe());
    }
    const std::string& name = key.Scalar();
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      return at_key.error("unknown field '" + name + "'" +
                          suggestion_text(name, allowed));
    }
    for (const Member& seen : map.members_) {
      if (seen.name == name) {
        return field.member(name, value, key_line)
            .error("appears twice (first at line " +
                   std::to_string(seen.key_line) + ")");
      }
    }
    map.members_.push_back(
        Member{name, key_line,
               field.member(name, value, value_line(value, key_line))});
  }
  return map;
}

bool YamlMap::has(std::string_view key) const { return get(key).has_value(); }

std::optional<YamlField> YamlMap::get(std::string_view key) const {
  for (const Member& member : members_) {
    if (member.name == key) {
      return member.value;
    }
  }
  return std::nullopt;
}

Result<YamlField> YamlMap::require(std::string_view key) const {
  std::optional<YamlField> found = get(key);
  if (!found) {
    return field_.error("missing required field '" + std::string(key) + "'");
  }
  return *found;
}

Result<YamlDocument> load_yaml_document(const std::filesystem::path& file,
                                        const std::string& shown,
                                        const std::string& needs) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    return Status::InvalidInput(shown + ": not a regular file");
  }
  const std::uintmax_t size = std::filesystem::file_size(file, ec);
  if (!ec && size > kMaxDocumentBytes) {
    return Status::InvalidInput(
        shown + ": " + std::to_string(size) +
        " bytes is too large for a YAML file the grader reads (at "
        "most 16MiB)");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return Status::InvalidInput(shown +
                                ": cannot open: " + std::strerror(errno));
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) {
    return Status::InvalidInput(shown +
                                ": cannot read: " + std::strerror(errno));
  }

  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(bytes.str());
  } catch (const YAML::DeepRecursion& e) {
    return Status::InvalidInput(shown + ":" + std::to_string(e.mark.line + 1) +
                                ":" + std::to_string(e.mark.column + 1) +
                                ": lists or maps are nested too deeply (" +
                                std::to_string(e.depth()) + " levels)");
  } catch (const YAML::ParserException& e) {
    return Status::InvalidInput(shown + ":" + std::to_string(e.mark.line + 1) +
                                ":" + std::to_string(e.mark.column + 1) +
                                ": YAML syntax error: " + e.msg);
  }
  if (documents.empty() || documents[0].IsNull()) {
    return Status::InvalidInput(shown + ":1: the file is empty; " + needs);
  }
  if (documents.size() > 1) {
    const int line = std::max(documents[1].Mark().line, 0) + 1;
    return Status::InvalidInput(
        shown + ":" + std::to_string(line) +
        ": the file must hold one YAML document; remove the "
        "second one (after '---')");
  }
  const int first_line = std::max(documents[0].Mark().line, 0) + 1;
  return YamlDocument{bytes.str(), YamlField(shown, documents[0], first_line)};
}

Status first_error(std::initializer_list<Status> results) {
  for (const Status& s : results) {
    if (!s.ok()) {
      return s;
    }
  }
  return Status::Ok();
}

Result<std::vector<YamlField>> read_list(const YamlField& field) {
  if (!field.is_list()) {
    return field.expected("a list");
  }
  std::vector<YamlField> elements;
  std::size_t index = 0;
  for (auto it = field.node().begin(); it != field.node().end();
       ++it, ++index) {
    elements.push_back(field.element(index, *it));
  }
  return elements;
}

Result<std::string> read_string(const YamlField& field) {
  if (field.is_null()) {
    return field.error(
        "expected text, got nothing (write \"\" for empty text)");
  }
  if (!field.is_scalar()) {
    return field.expected("text");
  }
  return field.node().Scalar();
}

Result<std::string> read_nonempty_string(const YamlField& field) {
  Result<std::string> text = read_string(field);
  if (text.ok() && text->empty()) {
    return field.error("must not be empty");
  }
  return text;
}

Result<bool> read_bool(const YamlField& field) {
  if (field.is_scalar()) {
    const std::string& text = field.node().Scalar();
    if (text == "true" || text == "True" || text == "TRUE") {
      return true;
    }
    if (text == "false" || text == "False" || text == "FALSE") {
      return false;
    }
  }
  return field.expected("true or false");
}

Result<std::uint64_t> read_unsigned(const YamlField& field, std::uint64_t min,
                                    std::uint64_t max) {
  std::optional<std::uint64_t> value;
  if (field.is_scalar()) {
    value = parse_whole(trim(field.node().Scalar()));
  }
  if (!value || *value < min || *value > max) {
    return field.expected(integer_range(min, max));
  }
  return *value;
}

Result<double> read_number(const YamlField& field, double min, double max) {
  std::optional<double> value;
  if (field.is_scalar()) {
    value = parse_decimal(trim(field.node().Scalar()));
  }
  if (!value || *value < min || *value > max) {
    return field.expected("a number " + format_number(min) + ".." +
                          format_number(max));
  }
  return *value;
}

namespace {

// "64KiB" -> {"64", "KiB"}; "2.5 s" -> {"2.5", "s"}.
std::pair<std::string_view, std::string_view> split_number_and_unit(std::string_view text) {
  std::size_t unit_at = 0;
  while (unit_at < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[unit_at])) || text[unit_at] == '.')) {
    ++unit_at;
  }
  return {text.substr(0, unit_at), trim(text.substr(unit_at))};
}

}  // namespace

Result<std::chrono::milliseconds> read_duration(const YamlField& field) {
  const std::string kForm =
      "a duration such as 500ms, 10s or 2m (a plain number is seconds)";
  if (!field.is_scalar()) {
    return field.expected(kForm);
  }
  std::string_view text = trim(field.node().Scalar());
  auto [digits, unit] = split_number_and_unit(text);
  std::optional<double> number = parse_decimal(digits);
  double ms_per_unit = 0;
  if (unit.empty() || unit == "s") {
    ms_per_unit = 1000;
  } else if (unit == "ms") {
    ms_per_unit = 1;
  } else if (unit == "m") {
    ms_per_unit = 60000;
  }
  if (!number || ms_per_unit == 0) {
    return field.expected(kForm);
  }
  const double ms = std::round(*number * ms_per_unit);
  if (ms < 1) {
    return field.error("must be at least 1ms, got " + field.describe());
  }
  if (ms > static_cast<double>(kMaxDurationMs)) {
    return field.error("must be at most 24 hours, got " + field.describe());
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

Result<std::uint64_t> read_size(const YamlField& field, std::uint64_t min,
                                std::uint64_t max) {
  const std::string kForm = "a size such as 4096, 64KiB, 8MiB or 1GiB";
  if (!field.is_scalar()) {
    return field.expected(kForm);
  }
  std::string_view text = trim(field.node().Scalar());
  auto [digits, unit] = split_number_and_unit(text);
  std::uint64_t unit_bytes = 0;
  if (unit.empty() || unit == "B") {
    unit_bytes = 1;
  } else if (unit == "KiB") {
    unit_bytes = kKiB;
  } else if (unit == "MiB") {
    unit_bytes = kMiB;
  } else if (unit == "GiB") {
    unit_bytes = kGiB;
  } else if (!digits.empty() &&
             std::all_of(unit.begin(), unit.end(), [](char c) {
               return std::isalpha(static_cast<unsigned char>(c));
             })) {
    return field.error(
        "unknown size unit '" + std::string(unit) + "' in " + field.describe() +
        ": use B, KiB, MiB or GiB (binary units: 1MiB = 1048576 bytes)");
  }
  if (unit_bytes == 0 || digits.empty()) {
    return field.expected(kForm);
  }
  if (digits.find('.') != std::string_view::npos) {
    return field.error("expected a whole number of " +
                       std::string(unit.empty() ? "bytes" : unit) +
                       " (write 512MiB rather than 0.5GiB), got " +
                       field.describe());
  }
  std::optional<std::uint64_t> count = parse_whole(digits);
  if (!count || *count > max / unit_bytes) {
    return field.error("must be at most " + format_size(max) + ", got " +
                       field.describe());
  }
  const std::uint64_t bytes = *count * unit_bytes;
  if (bytes < min) {
    return field.error("must be at least " + format_size(min) + ", got " +
                       field.describe());
  }
  return bytes;
}

Result<std::string> read_choice(const YamlField& field,
                                const std::vector<std::string_view>& choices) {
  if (field.is_scalar()) {
    const std::string& text = field.node().Scalar();
    if (std::find(choices.begin(), choices.end(), text) != choices.end()) {
      return text;
    }
    if (std::optional<std::string> near = nearest_name(text, choices)) {
      return field.error("expected one of " + join(choices) + ", got " +
                         field.describe() + " (did you mean '" + *near + "'?)");
    }
  }
  return field.expected("one of " + join(choices));
}

Result<FindingKind> read_finding_kind(const YamlField& field) {
  Result<std::string> name = read_string(field);
  if (!name.ok()) {
    return name.status();
  }
  if (std::optional<FindingKind> kind = parse_finding_kind(*name)) {
    return *kind;
  }
  std::vector<std::string_view> names;
  for (FindingKind kind : all_finding_kinds()) {
    names.push_back(to_string(kind));
  }
  return field.error("unknown finding kind '" + *name + "'" +
                     suggestion_text(*name, names));
}

std::optional<std::string> nearest_name(
    std::string_view word, const std::vector<std::string_view>& candidates) {
  std::optional<std::string> best;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  for (std::string_view candidate : candidates) {
    std::size_t d = edit_distance(word, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = std::string(candidate);
    }
  }
  // Two edits at most, and never more than half the word: "foo" is not a
  // typo of "cpu".
  if (best && best_distance <= 2 && best_distance * 2 <= word.size()) {
    return best;
  }
  return std::nullopt;
}

std::string suggestion_text(std::string_view word,
                            const std::vector<std::string_view>& candidates) {
  if (std::optional<std::string> near = nearest_name(word, candidates)) {
    return " (did you mean '" + *near + "'?)";
  }
  return " (expected one of: " + join(candidates) + ")";
}

}  // namespace ipcgrade
