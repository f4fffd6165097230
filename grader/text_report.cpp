#include "grader/text_report.h"

#include "base/utf8.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <utility>

namespace ipcgrade {
namespace {

constexpr std::size_t kWidth = 80;

// ---------------------------------------------------------------------------
// Making students' text inert.
//
// A program under test writes whatever it likes, and its bytes reach the
// report through test output, evidence, even file names. Printed raw, an ESC
// sequence could clear the instructor's screen, recolour the rest of the
// report or rewrite a line above; a carriage return could overwrite "FAIL"
// with "PASS". So every field is decoded as UTF-8 and whatever a terminal
// would act on instead of display becomes a visible escape:
//   C0 controls and DEL          \x1b, \r, \t (\t expanded in blocks)
//   bytes that are not UTF-8     \xff (one per byte)
//   C1 controls (U+0080-U+009F)  \u009b  (some terminals take U+009B as CSI)
//   bidirectional overrides      \u202e  (they reorder what is displayed)
// Backslashes are left alone so that repro commands stay copyable.
// ---------------------------------------------------------------------------

bool is_bidi_control(std::uint32_t code) {
  return (code >= 0x202A && code <= 0x202E) || (code >= 0x2066 && code <= 0x2069);
}

// Columns a code point takes in a terminal: 0 for combining marks, 2 for the
// East Asian wide and emoji ranges, 1 otherwise. An approximation of
// wcwidth() that does not depend on the locale the grader runs in.
std::size_t code_point_width(std::uint32_t code) {
  if ((code >= 0x0300 && code <= 0x036F) || (code >= 0x200B && code <= 0x200F) ||
      (code >= 0xFE00 && code <= 0xFE0F)) {
    return 0;
  }
  if ((code >= 0x1100 && code <= 0x115F) || (code >= 0x2E80 && code <= 0x303E) ||
      (code >= 0x3041 && code <= 0xA4CF) || (code >= 0xAC00 && code <= 0xD7A3) ||
      (code >= 0xF900 && code <= 0xFAFF) || (code >= 0xFE30 && code <= 0xFE4F) ||
      (code >= 0xFF00 && code <= 0xFF60) || (code >= 0xFFE0 && code <= 0xFFE6) ||
      (code >= 0x1F300 && code <= 0x1F64F) || (code >= 0x1F900 && code <= 0x1F9FF) ||
      (code >= 0x20000 && code <= 0x3FFFD)) {
    return 2;
  }
  return 1;
}

// Display width of text that went through inert() (valid UTF-8, no controls).
std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::uint32_t code = 0;
    const std::size_t length = decode_utf8(text, i, &code);
    if (length == 0) {
      ++width;
      ++i;
    } else {
      width += code_point_width(code);
      i += length;
    }
  }
  return width;
}

void append_hex_escape(std::string* out, unsigned char byte) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "\\x%02x", byte);
  out->append(buffer);
}

void append_unicode_escape(std::string* out, std::uint32_t code) {
  char buffer[12];
  std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(code));
  out->append(buffer);
}

enum class Shape {
  kLine,   // one line: a newline becomes \n, a tab \t
  kBlock,  // lines kept as they are: newlines kept, tabs expanded to spaces
};

std::string inert(std::string_view in, Shape shape) {
  std::string out;
  out.reserve(in.size());
  std::size_t column = 0;  // within the current line, for tab stops
  std::size_t i = 0;
  while (i < in.size()) {
    std::uint32_t code = 0;
    const std::size_t length = decode_utf8(in, i, &code);
    if (length == 0) {
      append_hex_escape(&out, static_cast<unsigned char>(in[i]));
      column += 4;
      ++i;
      continue;
    }
    const std::size_t before = out.size();
    if (code == '\n' && shape == Shape::kBlock) {
      out.push_back('\n');
      column = 0;
      i += length;
      continue;
    }
    if (code == '\t' && shape == Shape::kBlock) {
      const std::size_t spaces = 8 - column % 8;
      out.append(spaces, ' ');
      column += spaces;
      i += length;
      continue;
    }
    if (code == '\n') {
      out.append("\\n");
    } else if (code == '\t') {
      out.append("\\t");
    } else if (code == '\r') {
      out.append("\\r");
    } else if (code < 0x20 || code == 0x7F) {
      append_hex_escape(&out, static_cast<unsigned char>(code));
    } else if ((code >= 0x80 && code <= 0x9F) || is_bidi_control(code)) {
      append_unicode_escape(&out, code);
    } else {
      out.append(in.substr(i, length));
      column += code_point_width(code);
      i += length;
      continue;
    }
    column += out.size() - before;  // escapes are ASCII
    i += length;
  }
  return out;
}

std::string inert_line(std::string_view in) { return inert(in, Shape::kLine); }

// ---------------------------------------------------------------------------
// Layout.
// ---------------------------------------------------------------------------

// "7.5", "10", "0.33": at most two decimals, no trailing zeros, no "-0".
std::string format_number(double value) {
  if (!std::isfinite(value)) {
    return "?";
  }
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.2f", value);
  std::string text = buffer;
  while (!text.empty() && text.back() == '0') {
    text.pop_back();
  }
  if (!text.empty() && text.back() == '.') {
    text.pop_back();
  }
  if (text == "-0") {
    text = "0";
  }
  return text;
}

std::string format_score(double score, double max_score) {
  return format_number(score) + "/" + format_number(max_score);
}

// ANSI codes, emitted only around our own text and only with colour on.
constexpr const char* kBold = "\x1b[1m";
constexpr const char* kRed = "\x1b[31m";
constexpr const char* kGreen = "\x1b[32m";
constexpr const char* kYellow = "\x1b[33m";
constexpr const char* kBoldYellow = "\x1b[1;33m";
constexpr const char* kReset = "\x1b[0m";

std::string paint(const std::string& text, const char* code, const TextStyle& style) {
  if (!style.colour || text.empty()) {
    return text;
  }
  return code + text + kReset;
}

std::string pad_right(const std::string& text, std::size_t width) {
  const std::size_t used = display_width(text);
  return used >= width ? text : text + std::string(width - used, ' ');
}

std::string pad_left(const std::string& text, std::size_t width) {
  const std::size_t used = display_width(text);
  return used >= width ? text : std::string(width - used, ' ') + text;
}

// Word-wraps already inert text to kWidth columns, every line starting with
// `prefix`. Newlines in the text start new paragraphs; a word longer than a
// line is left whole rather than cut.
void append_wrapped(std::string* out, const std::string& text, const std::string& prefix) {
  const std::size_t room = kWidth > display_width(prefix) ? kWidth - display_width(prefix) : 1;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) {
      end = text.size();
    }
    const std::string_view paragraph(text.data() + start, end - start);
    std::string line;
    std::size_t line_width = 0;
    std::size_t word_start = 0;
    bool any_line = false;
    while (word_start < paragraph.size()) {
      if (paragraph[word_start] == ' ') {
        ++word_start;
        continue;
      }
      std::size_t word_end = paragraph.find(' ', word_start);
      if (word_end == std::string_view::npos) {
        word_end = paragraph.size();
      }
      const std::string_view word = paragraph.substr(word_start, word_end - word_start);
      const std::size_t word_width = display_width(word);
      if (!line.empty() && line_width + 1 + word_width > room) {
        out->append(prefix + line + "\n");
        any_line = true;
        line.clear();
        line_width = 0;
      }
      if (!line.empty()) {
        line.push_back(' ');
        ++line_width;
      }
      line.append(word);
      line_width += word_width;
      word_start = word_end;
    }
    if (!line.empty() || !any_line) {
      out->append(line.empty() ? "\n" : prefix + line + "\n");
    }
    if (end == text.size()) {
      break;
    }
    start = end + 1;
  }
}

// Appends a block of a program's text (output, evidence, compiler messages)
// line by line under `prefix`, lines kept as they are apart from escapes.
void append_block(std::string* out, std::string_view text, const std::string& prefix) {
  std::string clean = inert(text, Shape::kBlock);
  while (!clean.empty() && clean.back() == '\n') {
    clean.pop_back();
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t end = clean.find('\n', start);
    const std::string line = clean.substr(start, end == std::string::npos ? end : end - start);
    out->append(line.empty() ? "\n" : prefix + line + "\n");
    if (end == std::string::npos) {
      break;
    }
    start = end + 1;
  }
}

bool grader_failed(const Report& report) { return report.status == "internal-error"; }

bool is_hidden_test(const Report& report, const std::string& test_name) {
  for (const TestReport& test : report.tests) {
    if (test.name == test_name && test.hidden) {
      return true;
    }
  }
  return false;
}

struct TestCounts {
  std::size_t total = 0;
  std::size_t failed = 0;
  std::size_t errors = 0;  // tests the grader could not judge
};

TestCounts count_tests(const Report& report) {
  TestCounts counts;
  counts.total = report.tests.size();
  for (const TestReport& test : report.tests) {
    if (test.status == "failed") {
      ++counts.failed;
    } else if (test.status != "passed") {
      ++counts.errors;  // "error", or a status this code does not know
    }
  }
  return counts;
}

std::string plural(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

void append_header(std::string* out, const Report& report, const TextStyle& style) {
  const TestCounts counts = count_tests(report);
  std::string score = format_score(report.score, report.max_score);
  if (grader_failed(report)) {
    score += " (not to be trusted: the grader failed)";
  } else if (counts.errors > 0) {
    score += " (incomplete: " + plural(counts.errors, "test was", "tests were") + " not judged)";
  }
  out->append(paint("ipcgrade report", kBold, style) + "\n");
  out->append("  lab         " + inert_line(report.lab) + "\n");
  out->append("  submission  " + inert_line(report.submission) + "\n");
  out->append("  score       " + score + "\n");
  out->append("  sandbox     " + inert_line(report.sandbox_tier) +
              (report.sandbox_lacks.empty() ? std::string()
                                            : " (lacks: " + inert_line(report.sandbox_lacks) + ")") +
              "\n");

  if (grader_failed(report)) {
    // Prominent without colour too: every line of it starts with "!!".
    std::string block;
    append_wrapped(&block, "GRADER ERROR: the grader itself failed, not the submission.", "!! ");
    append_wrapped(&block,
                   inert_line(report.internal_error.empty() ? "(no details were recorded)"
                                                            : report.internal_error),
                   "!!   ");
    append_wrapped(&block,
                   "No score in this report should be trusted; grade the submission again "
                   "once the grader is fixed.",
                   "!! ");
    out->append("\n");
    std::size_t start = 0;
    while (start < block.size()) {
      const std::size_t end = block.find('\n', start);
      out->append(paint(block.substr(start, end - start), kBoldYellow, style) + "\n");
      start = end + 1;
    }
  }
}

void append_build(std::string* out, const Report& report, const TextStyle& style) {
  out->append("\n" + paint("Build", kBold, style) + "\n");
  if (report.build_ok) {
    out->append("  " + paint("ok", kGreen, style) + "\n");
    return;
  }
  out->append("  " + paint("FAILED", kRed, style) + ": the submission did not build.");
  if (report.build_output.empty()) {
    out->append(" The build printed nothing.\n");
    return;
  }
  out->append(" The build said:\n");
  append_block(out, report.build_output, "    ");
}

// PASS / FAIL / ERROR as words, so the list reads without colour.
const char* test_mark(const TestReport& test) {
  if (test.status == "passed") {
    return "PASS";
  }
  if (test.status == "failed") {
    return "FAIL";
  }
  return "ERROR";
}

const char* test_mark_colour(const TestReport& test) {
  if (test.status == "passed") {
    return kGreen;
  }
  if (test.status == "failed") {
    return kRed;
  }
  return kYellow;
}

void append_tests(std::string* out, const Report& report, const TextStyle& style) {
  out->append("\n" + paint("Tests", kBold, style) + "\n");
  if (report.tests.empty()) {
    out->append("  no tests ran\n");
    return;
  }
  // Column widths: names are capped so that a typical line fits 80 columns;
  // a longer name pushes its own line rather than being cut.
  std::size_t name_width = 0;
  std::size_t program_width = 0;
  std::size_t score_width = 0;
  for (const TestReport& test : report.tests) {
    name_width = std::max(name_width, display_width(inert_line(test.name)));
    program_width = std::max(program_width, display_width(inert_line(test.program)));
    score_width = std::max(score_width, format_score(test.score, test.max_score).size());
  }
  name_width = std::min<std::size_t>(name_width, 32);
  program_width = std::min<std::size_t>(program_width, 16);

  for (const TestReport& test : report.tests) {
    // Padding goes outside the colour codes so that they take no columns.
    const std::string mark = test_mark(test);
    std::string line = "  " + paint(mark, test_mark_colour(test), style) +
                       std::string(7 - mark.size(), ' ') +
                       pad_right(inert_line(test.name), name_width) + "  " +
                       pad_right(inert_line(test.program), program_width) + "  " +
                       pad_left(format_score(test.score, test.max_score), score_width);
    if (test.hidden) {
      line += "  hidden";
    }
    if (test.repetitions > 1) {
      line += "  (passed " + std::to_string(test.passed_repetitions) + "/" +
              std::to_string(test.repetitions) + " runs)";
    }
    if (test.status != "passed" && test.status != "failed") {
      line += "  " + paint("not judged (grader error)", kYellow, style);
    }
    out->append(line + "\n");
    // A passing test's summary adds nothing to act on; a hidden test's
    // output would give the test away.
    if (!test.hidden && test.status != "passed" && !test.output.empty()) {
      append_block(out, test.output, "         ");
    }
  }
}

void append_finding(std::string* out, const Report& report, const Finding& finding,
                    const TextStyle& style) {
  std::string title = paint("[" + std::string(to_string(finding.kind)) + "]", kBold, style);
  if (!finding.test.empty()) {
    title += " " + inert_line(finding.test);
  }
  if (!finding.program.empty()) {
    title += " (" + inert_line(finding.program) + ")";
  }
  const bool hidden = !finding.test.empty() && is_hidden_test(report, finding.test);
  if (hidden) {
    title += ", hidden test";
  }
  out->append("  " + title + "\n");
  if (!finding.message.empty()) {
    append_wrapped(out, inert(finding.message, Shape::kBlock), "    ");
  }
  if (hidden) {
    out->append("    (evidence and repro command withheld: the test is hidden)\n");
    return;
  }
  if (!finding.evidence.empty()) {
    out->append("    evidence:\n");
    append_block(out, finding.evidence, "      ");
  }
  if (!finding.repro.empty()) {
    out->append("    reproduce:\n");
    append_block(out, finding.repro, "      ");
  }
}

void append_findings(std::string* out, const Report& report, const TextStyle& style) {
  out->append("\n" + paint("Findings", kBold, style) + "\n");
  if (report.findings.empty()) {
    out->append("  none\n");
    return;
  }
  // Grouped by test, the groups in the order their first finding came in
  // (the scorer lists the findings to fix first, first).
  std::vector<std::string> order;
  for (const Finding& finding : report.findings) {
    if (std::find(order.begin(), order.end(), finding.test) == order.end()) {
      order.push_back(finding.test);
    }
  }
  bool first = true;
  for (const std::string& test : order) {
    for (const Finding& finding : report.findings) {
      if (finding.test != test) {
        continue;
      }
      if (!first) {
        out->append("\n");
      }
      first = false;
      append_finding(out, report, finding, style);
    }
  }
}

// Remarks that cost no points, after the findings; absent when there are none.
void append_advice(std::string* out, const Report& report, const TextStyle& style) {
  if (report.advice.empty()) {
    return;
  }
  out->append("\n" + paint("Advice", kBold, style) + " (costs no points)\n");
  for (const Advice& advice : report.advice) {
    std::string where = advice.file.empty()
                            ? std::string()
                            : inert_line(advice.file) + ":" + std::to_string(advice.line) + ": ";
    append_wrapped(out,
                   where + inert(advice.message, Shape::kLine) + " [" +
                       inert_line(advice.tool) + " " + inert_line(advice.check) + "]",
                   "  ");
  }
}

void append_closing(std::string* out, const Report& report, const TextStyle& style) {
  const TestCounts counts = count_tests(report);
  std::vector<std::string> lines;
  if (counts.failed > 0) {
    lines.push_back(paint(std::to_string(counts.failed) + " of " +
                              plural(counts.total, "test", "tests") +
                              " failed; fix the findings above, starting with the first.",
                          kRed, style));
  } else if (counts.total == 0 && !report.build_ok) {
    lines.push_back(paint("No tests ran because the submission did not build; fix the build first.",
                          kRed, style));
  } else if (counts.total == 0) {
    lines.push_back("No tests ran.");
  } else if (counts.errors == 0 && !grader_failed(report)) {
    lines.push_back(paint("All tests passed.", kGreen, style));
  }
  if (counts.errors > 0) {
    lines.push_back(paint(std::to_string(counts.errors) + " of " +
                              plural(counts.total, "test", "tests") +
                              " could not be judged by the grader (not the "
                              "submission's fault).",
                          kYellow, style));
  }
  if (grader_failed(report)) {
    lines.push_back(
        paint("The grader failed (see the top); no score in this report should be trusted.",
              kBoldYellow, style));
  }
  out->append("\n");
  for (const std::string& line : lines) {
    out->append(line + "\n");
  }
}

// The one-word verdict of a submission in the summary table.
std::string submission_status(const Report& report) {
  const TestCounts counts = count_tests(report);
  if (grader_failed(report) || counts.errors > 0) {
    return "grader error";
  }
  if (!report.build_ok) {
    return "build failed";
  }
  if (counts.failed > 0 || report.score < report.max_score) {
    return "failed";
  }
  return "passed";
}

const char* status_colour(const std::string& status) {
  if (status == "passed") {
    return kGreen;
  }
  if (status == "grader error") {
    return kYellow;
  }
  return kRed;
}

// "timeout x2, fd-leak": kinds in the order they were first found.
std::string finding_counts(const Report& report) {
  std::vector<std::pair<std::string, int>> counts;
  for (const Finding& finding : report.findings) {
    const std::string kind(to_string(finding.kind));
    auto it = std::find_if(counts.begin(), counts.end(),
                           [&](const auto& entry) { return entry.first == kind; });
    if (it == counts.end()) {
      counts.emplace_back(kind, 1);
    } else {
      ++it->second;
    }
  }
  if (counts.empty()) {
    return "-";
  }
  std::string text;
  for (const auto& [kind, n] : counts) {
    if (!text.empty()) {
      text += ", ";
    }
    text += kind;
    if (n > 1) {
      text += " x" + std::to_string(n);
    }
  }
  return text;
}

}  // namespace

bool colour_wanted(int fd) {
  if (::isatty(fd) != 1) {
    return false;
  }
  const char* no_colour = std::getenv("NO_COLOR");
  if (no_colour != nullptr && no_colour[0] != '\0') {
    return false;
  }
  const char* term = std::getenv("TERM");
  return term == nullptr || std::strcmp(term, "dumb") != 0;
}

std::string render_text_report(const Report& report, const TextStyle& style) {
  std::string out;
  append_header(&out, report, style);
  append_build(&out, report, style);
  append_tests(&out, report, style);
  append_findings(&out, report, style);
  append_advice(&out, report, style);
  append_closing(&out, report, style);
  return out;
}

std::string render_summary_table(const std::vector<Report>& reports, const TextStyle& style) {
  if (reports.empty()) {
    return "No submissions were graded.\n";
  }
  struct Row {
    std::string submission;
    std::string score;
    std::string status;
    std::string findings;
  };
  std::vector<Row> rows;
  rows.reserve(reports.size());
  for (const Report& report : reports) {
    Row row;
    row.submission = inert_line(report.submission);
    row.status = submission_status(report);
    // A score the grader failed to finish is not the student's score.
    row.score = row.status == "grader error" ? "-/" + format_number(report.max_score)
                                             : format_score(report.score, report.max_score);
    row.findings = finding_counts(report);
    rows.push_back(std::move(row));
  }
  std::size_t submission_width = std::string_view("submission").size();
  std::size_t score_width = std::string_view("score").size();
  std::size_t status_width = std::string_view("status").size();
  for (const Row& row : rows) {
    submission_width = std::max(submission_width, display_width(row.submission));
    score_width = std::max(score_width, display_width(row.score));
    status_width = std::max(status_width, display_width(row.status));
  }

  // Padding goes outside the colour codes so that they take no columns.
  std::string out =
      paint(pad_right("submission", submission_width) + "  " + pad_left("score", score_width) +
                "  " + pad_right("status", status_width) + "  findings",
            kBold, style) +
      "\n";
  std::size_t passed = 0;
  std::size_t failed = 0;
  std::size_t errors = 0;
  for (const Row& row : rows) {
    const std::string padding(status_width - display_width(row.status), ' ');
    out += pad_right(row.submission, submission_width) + "  " + pad_left(row.score, score_width) +
           "  " + paint(row.status, status_colour(row.status), style) + padding + "  " +
           row.findings + "\n";
    if (row.status == "passed") {
      ++passed;
    } else if (row.status == "grader error") {
      ++errors;
    } else {
      ++failed;
    }
  }

  std::string totals = plural(rows.size(), "submission", "submissions") + ": " +
                       std::to_string(passed) + " passed, " + std::to_string(failed) + " failed";
  if (errors > 0) {
    totals += ", " + paint(std::to_string(errors) + " not graded (grader error)", kYellow, style);
  }
  out += "\n" + totals + "\n";
  return out;
}

}  // namespace ipcgrade
