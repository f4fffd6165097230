#include "grader/validation.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <sstream>

#include "base/utf8.h"
#include "grader/scoring.h"
#include "harness/run_judge.h"

namespace ipcgrade {
namespace fs = std::filesystem;

namespace {

const KindFound* find_kind(const std::vector<KindFound>& found, FindingKind kind) {
  for (const KindFound& k : found) {
    if (k.kind == kind) {
      return &k;
    }
  }
  return nullptr;
}

std::string test_label(const std::string& test) { return test.empty() ? "build" : test; }

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const std::string& s : items) {
    out += (out.empty() ? "" : sep) + s;
  }
  return out;
}

// "a, b, c +2": at most `max` names, then how many more.
std::string short_list(const std::vector<std::string>& tests, std::size_t max = 3) {
  std::vector<std::string> shown;
  for (std::size_t i = 0; i < tests.size() && i < max; ++i) {
    shown.push_back(test_label(tests[i]));
  }
  std::string out = join(shown, ", ");
  if (tests.size() > max) {
    out += " +" + std::to_string(tests.size() - max);
  }
  return out;
}

std::string first_line(const std::string& s, std::size_t max = 160) {
  std::string line = s.substr(0, s.find('\n'));
  if (line.size() > max) {
    line = line.substr(0, max - 3) + "...";
  }
  return printable_excerpt(line, max);
}

std::string seconds_text(double s) { return fmt::format("{:.1f} s", s); }

std::string score_text(double score, double max) { return fmt::format("{}/{}", score, max); }

bool full_marks(const Report& r) {
  return r.status == "complete" && r.score == r.max_score && r.findings.empty();
}

Report grade_once(const Sandbox& sandbox, const LabSpec& lab, const fs::path& dir,
                  const GradeOptions& options, std::string* input_error) {
  ReportContext rctx{dir.string(), now_iso8601(), sandbox.tier(), sandbox.lacking()};
  Result<GradingOutcome> outcome = grade_submission(sandbox, lab, dir, options);
  if (!outcome.ok()) {
    if (outcome.status().code() == Status::Code::kInvalidInput) {
      *input_error = outcome.status().message();
    }
    return internal_error_report(lab, rctx, outcome.status().message());
  }
  return make_report(lab, outcome.value(), rctx);
}

void add_reference_run(const LabSpec& lab, const Report& report, ReferenceResult* ref) {
  ++ref->runs;
  ref->slowest_seconds = std::max(ref->slowest_seconds, report.duration_seconds);
  if (full_marks(report)) {
    ++ref->full_marks;
  }
  for (const TestReport& t : report.tests) {
    if (t.wall_seconds > ref->slowest_test_seconds) {
      ref->slowest_test_seconds = t.wall_seconds;
      ref->slowest_test = t.name;
      for (const TestSpec& spec : lab.tests) {
        if (spec.name == t.name) {
          ref->slowest_test_limit = std::chrono::duration<double>(spec.limits.wall).count();
        }
      }
    }
  }
  // Each failing test once per run, with its first finding; a 0-point test
  // that fails still shows up through its finding.
  std::vector<std::string> failed_here;
  for (const Finding& f : report.findings) {
    if (std::find(failed_here.begin(), failed_here.end(), f.test) != failed_here.end()) {
      continue;
    }
    failed_here.push_back(f.test);
    auto it = std::find_if(ref->failures.begin(), ref->failures.end(),
                           [&](const ReferenceFailure& rf) { return rf.test == f.test; });
    if (it == ref->failures.end()) {
      ref->failures.push_back(ReferenceFailure{f.test, 1, f});
    } else {
      ++it->failed_runs;
    }
  }
  for (const TestReport& t : report.tests) {
    if (t.status == "failed" &&
        std::find(failed_here.begin(), failed_here.end(), t.name) == failed_here.end()) {
      Finding none;
      none.test = t.name;
      none.message = "failed without a finding: " + t.output;
      ref->failures.push_back(ReferenceFailure{t.name, 1, none});
    }
  }
  // Keep the lab's order (build first), whatever order the runs found them in.
  auto rank = [&](const std::string& test) {
    for (std::size_t i = 0; i < lab.tests.size(); ++i) {
      if (lab.tests[i].name == test) {
        return static_cast<long>(i);
      }
    }
    return -1L;
  };
  std::stable_sort(ref->failures.begin(), ref->failures.end(),
                   [&](const ReferenceFailure& a, const ReferenceFailure& b) {
                     return rank(a.test) < rank(b.test);
                   });
}

std::string got_text(const VariantResult& v) {
  if (!v.input_error.empty()) {
    return "cannot be graded: " + first_line(v.input_error);
  }
  if (v.verdict == VariantVerdict::kError) {
    return "grader error: " + first_line(v.internal_error);
  }
  if (v.found.empty()) {
    return "nothing (" + score_text(v.score, v.max_score) + ")";
  }
  std::vector<std::string> parts;
  for (const KindFound& k : v.found) {
    parts.push_back(std::string(to_string(k.kind)) + " by " + short_list(k.tests));
  }
  return join(parts, "; ");
}

// The table's verdict: to_string's word, in capitals where the lab author
// must act (PENDING, MISS, ERROR).
std::string verdict_label(VariantVerdict v) {
  std::string word(to_string(v));
  if (v != VariantVerdict::kCaught && v != VariantVerdict::kInterim) {
    std::transform(word.begin(), word.end(), word.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  }
  return word;
}

nlohmann::json text(const std::string& s) { return valid_utf8(s); }

}  // namespace

std::string_view to_string(VariantVerdict verdict) {
  switch (verdict) {
    case VariantVerdict::kCaught: return "caught";
    case VariantVerdict::kInterim: return "interim";
    case VariantVerdict::kPending: return "pending";
    case VariantVerdict::kMiss: return "miss";
    case VariantVerdict::kError: return "error";
  }
  return "error";
}

int ValidationResult::count(VariantVerdict verdict) const {
  return static_cast<int>(std::count_if(variants.begin(), variants.end(),
                                        [&](const VariantResult& v) { return v.verdict == verdict; }));
}

bool ValidationResult::internal_error() const {
  return !reference.internal_error.empty() ||
         std::any_of(variants.begin(), variants.end(),
                     [](const VariantResult& v) { return !v.internal_error.empty(); });
}

bool ValidationResult::input_error() const {
  return !reference.input_error.empty() ||
         std::any_of(variants.begin(), variants.end(),
                     [](const VariantResult& v) { return !v.input_error.empty(); });
}

bool ValidationResult::passed() const {
  return reference.passed() && count(VariantVerdict::kMiss) == 0 && !internal_error() &&
         !input_error();
}

Result<std::vector<VariantSpec>> select_variants(const std::vector<VariantSpec>& all,
                                                 const std::vector<std::string>& names,
                                                 const LabSpec& lab) {
  if (names.empty()) {
    return all;
  }
  std::vector<VariantSpec> chosen;
  for (const std::string& name : names) {
    auto it = std::find_if(all.begin(), all.end(),
                           [&](const VariantSpec& v) { return v.name == name; });
    if (it == all.end()) {
      std::vector<std::string> known;
      for (const VariantSpec& v : all) {
        known.push_back(v.name);
      }
      return Status::InvalidInput("lab " + lab.name + " has no buggy variant '" + name +
                                  "' (under " + (lab.dir / "buggy").string() + "): " +
                                  (known.empty() ? std::string("it has none")
                                                 : "known: " + join(known, ", ")));
    }
    if (std::none_of(chosen.begin(), chosen.end(),
                     [&](const VariantSpec& v) { return v.name == name; })) {
      chosen.push_back(*it);
    }
  }
  return chosen;
}

VariantResult judge_variant(const VariantSpec& spec, const Report& report) {
  VariantResult v;
  v.spec = spec;
  v.score = report.score;
  v.max_score = report.max_score;
  v.seconds = report.duration_seconds;
  if (report.status != "complete") {
    v.verdict = VariantVerdict::kError;
    v.internal_error = report.internal_error;
    return v;
  }
  auto count = [&](FindingKind kind, const std::string& test) {
    auto it = std::find_if(v.found.begin(), v.found.end(),
                           [&](const KindFound& k) { return k.kind == kind; });
    if (it == v.found.end()) {
      v.found.push_back(KindFound{kind, {}, 0});
      it = v.found.end() - 1;
    }
    ++it->count;
    if (std::find(it->tests.begin(), it->tests.end(), test) == it->tests.end()) {
      it->tests.push_back(test);
    }
  };
  for (const Finding& f : report.findings) {
    count(f.kind, f.test);
    // A race whose failing runs deadlocked found a deadlock too, in the
    // schedules where it happens: a lost wake-up that perturbation makes
    // likely fails in every run of one grading and in most runs of another.
    if (f.kind == FindingKind::kRace && f.failing_kind && *f.failing_kind != FindingKind::kRace) {
      count(*f.failing_kind, f.test);
    }
  }
  // The tests a variant names come first in what is shown.
  for (KindFound& k : v.found) {
    std::stable_partition(k.tests.begin(), k.tests.end(), [&](const std::string& t) {
      return std::find(spec.caught_by.begin(), spec.caught_by.end(), t) != spec.caught_by.end();
    });
  }
  const bool lost = report.score < report.max_score;
  const bool pending = !spec.pending.empty();
  if (lost && find_kind(v.found, spec.finding) != nullptr) {
    v.verdict = VariantVerdict::kCaught;
    v.matched = spec.finding;
    if (pending) {
      v.notes.push_back("caught with its declared kind: pending can be cleared");
    }
  } else if (pending) {
    if (lost && spec.interim_finding && find_kind(v.found, *spec.interim_finding) != nullptr) {
      v.verdict = VariantVerdict::kInterim;
      v.matched = spec.interim_finding;
    } else {
      v.verdict = VariantVerdict::kPending;
    }
  } else {
    v.verdict = VariantVerdict::kMiss;
  }
  if (spec.interim_finding && !pending) {
    v.notes.push_back("interim_finding has no effect without pending");
  }
  if (v.matched && !spec.caught_by.empty()) {
    const KindFound* k = find_kind(v.found, *v.matched);
    std::vector<std::string> by_declared;
    for (const std::string& t : k->tests) {
      if (std::find(spec.caught_by.begin(), spec.caught_by.end(), t) != spec.caught_by.end()) {
        by_declared.push_back(t);
      }
    }
    v.by_declared_tests = !by_declared.empty();
    if (by_declared.empty()) {
      v.notes.push_back("caught only by " + short_list(k->tests, 5) +
                        ", not by its caught_by tests (" + short_list(spec.caught_by, 5) + ")");
    }
  }
  return v;
}

ValidationResult validate_lab(const Sandbox& sandbox, const LabSpec& lab,
                              const std::vector<VariantSpec>& variants,
                              const ValidationOptions& options) {
  auto started = std::chrono::steady_clock::now();
  ValidationResult result;
  result.lab = lab.name;
  result.lab_dir = lab.dir;
  result.reference_runs_asked = options.reference ? options.reference_runs : 0;
  auto progress = [&](const std::string& line) {
    if (options.progress) {
      options.progress(line);
    }
  };

  ReferenceResult& ref = result.reference;
  ref.dir = lab.dir / "solution";
  ref.ran = options.reference;
  for (int i = 0; options.reference && i < options.reference_runs; ++i) {
    std::string input_error;
    Report report = grade_once(sandbox, lab, ref.dir, options.grade, &input_error);
    if (report.status != "complete") {
      (input_error.empty() ? ref.internal_error : ref.input_error) = report.internal_error;
      progress(fmt::format("reference {}/{}: grader error: {}", i + 1, options.reference_runs,
                           first_line(report.internal_error)));
      break;
    }
    add_reference_run(lab, report, &ref);
    progress(fmt::format("reference {}/{}: {}{} in {}", i + 1, options.reference_runs,
                         score_text(report.score, report.max_score),
                         full_marks(report) ? "" : " FAILED", seconds_text(report.duration_seconds)));
  }

  int n = 0;
  for (const VariantSpec& spec : variants) {
    ++n;
    std::string input_error;
    Report report = grade_once(sandbox, lab, spec.dir, options.grade, &input_error);
    VariantResult v = judge_variant(spec, report);
    if (!input_error.empty()) {
      v.internal_error.clear();
      v.input_error = input_error;
    }
    progress(fmt::format("variant {}/{} {}: {} {} in {}", n, variants.size(), spec.name,
                         score_text(v.score, v.max_score), to_string(v.verdict),
                         seconds_text(v.seconds)));
    result.variants.push_back(std::move(v));
  }
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

std::string render_validation_text(const ValidationResult& r) {
  std::ostringstream out;
  out << "ipcgrade validate: lab " << r.lab << " (" << r.lab_dir.string() << ")\n\n";

  const ReferenceResult& ref = r.reference;
  out << "Reference solution";
  if (!ref.ran) {
    out << "\n  not graded (--no-reference)\n";
  } else {
    out << " (" << ref.dir.string() << ")\n";
    if (!ref.input_error.empty()) {
      out << "  cannot be graded: " << first_line(ref.input_error, 300) << "\n";
    }
    if (!ref.internal_error.empty()) {
      out << "  grader error after " << ref.runs << " gradings: " << first_line(ref.internal_error, 300)
          << "\n";
    }
    out << fmt::format("  {} {}/{} gradings with full marks; slowest grading {}", ref.passed() ? "ok  " : "FAIL",
                       ref.full_marks, ref.runs, seconds_text(ref.slowest_seconds));
    if (!ref.slowest_test.empty()) {
      out << fmt::format("; slowest test {} {:.2f} s (limit {})", ref.slowest_test,
                         ref.slowest_test_seconds, fmt::format("{} s", ref.slowest_test_limit));
    }
    out << "\n";
    for (const ReferenceFailure& f : ref.failures) {
      out << fmt::format("  FAIL {} in {} of {} gradings: [{}] {}\n", test_label(f.test),
                         f.failed_runs, ref.runs, to_string(f.first.kind),
                         first_line(f.first.message));
      if (!f.first.evidence.empty()) {
        out << "       evidence: " << first_line(f.first.evidence, 300) << "\n";
      }
    }
  }

  out << "\nVariants (" << r.variants.size() << ")\n";
  if (r.variants.empty()) {
    out << "  none: add buggy/<variant>/ folders with a variant.yaml so that validate can check\n"
           "  that the tests catch the mistakes they are meant to catch\n";
  } else {
    std::size_t wname = 7, wkind = 8, wverdict = 7;
    for (const VariantResult& v : r.variants) {
      wname = std::max(wname, v.spec.name.size());
      std::string expected(to_string(v.spec.finding));
      if (v.spec.interim_finding && !v.spec.pending.empty()) {
        expected += "/" + std::string(to_string(*v.spec.interim_finding));
      }
      wkind = std::max(wkind, expected.size());
    }
    out << fmt::format("  {:<{}}  {:<{}}  {:<{}}  {}\n", "variant", wname, "expected", wkind,
                       "verdict", wverdict, "got");
    for (const VariantResult& v : r.variants) {
      std::string expected(to_string(v.spec.finding));
      if (v.spec.interim_finding && !v.spec.pending.empty()) {
        expected += "/" + std::string(to_string(*v.spec.interim_finding));
      }
      out << fmt::format("  {:<{}}  {:<{}}  {:<{}}  {}\n", v.spec.name, wname, expected, wkind,
                         verdict_label(v.verdict), wverdict, got_text(v));
      if (v.verdict == VariantVerdict::kPending || v.verdict == VariantVerdict::kInterim) {
        out << "      pending: " << first_line(v.spec.pending, 300) << "\n";
      }
      if (v.verdict == VariantVerdict::kMiss) {
        out << "      expected " << to_string(v.spec.finding)
            << (v.score < v.max_score ? ", but it lost points only to other kinds"
                                      : ", but it got full marks")
            << ": " << first_line(v.spec.description, 300) << "\n";
      }
      for (const std::string& note : v.notes) {
        out << "      note: " << note << "\n";
      }
    }
  }

  out << "\n";
  std::string reference = !ref.ran ? "reference not graded"
                                   : fmt::format("reference {}/{} full marks", ref.full_marks,
                                                 ref.runs);
  const char* verdict = r.internal_error() ? "grader error" : r.passed() ? "passed" : "FAILED";
  out << fmt::format(
      "validate {}: {}: {}; {} caught, {} interim, {} pending, {} missed of {} variants{} in {}\n",
      r.lab, verdict, reference, r.count(VariantVerdict::kCaught),
      r.count(VariantVerdict::kInterim), r.count(VariantVerdict::kPending),
      r.count(VariantVerdict::kMiss), r.variants.size(),
      r.count(VariantVerdict::kError) > 0
          ? fmt::format(" ({} grader errors)", r.count(VariantVerdict::kError))
          : std::string(),
      seconds_text(r.seconds));
  return out.str();
}

nlohmann::json validation_to_json(const ValidationResult& r) {
  using nlohmann::json;
  const ReferenceResult& ref = r.reference;
  json reference = {{"graded", ref.ran},
                    {"dir", text(ref.dir.string())},
                    {"runs_asked", r.reference_runs_asked},
                    {"runs", ref.runs},
                    {"full_marks", ref.full_marks},
                    {"passed", ref.passed()},
                    {"slowest_seconds", ref.slowest_seconds},
                    {"slowest_test", ref.slowest_test},
                    {"slowest_test_seconds", ref.slowest_test_seconds},
                    {"slowest_test_limit_seconds", ref.slowest_test_limit},
                    {"internal_error", text(ref.internal_error)},
                    {"input_error", text(ref.input_error)},
                    {"failures", json::array()}};
  for (const ReferenceFailure& f : ref.failures) {
    reference["failures"].push_back({{"test", f.test},
                                     {"failed_runs", f.failed_runs},
                                     {"kind", std::string(to_string(f.first.kind))},
                                     {"message", text(f.first.message)},
                                     {"evidence", text(f.first.evidence)}});
  }
  json variants = json::array();
  for (const VariantResult& v : r.variants) {
    json found = json::array();
    for (const KindFound& k : v.found) {
      found.push_back(
          {{"kind", std::string(to_string(k.kind))}, {"tests", k.tests}, {"count", k.count}});
    }
    json item = {{"name", v.spec.name},
                 {"dir", text(v.spec.dir.string())},
                 {"description", text(v.spec.description)},
                 {"expected", std::string(to_string(v.spec.finding))},
                 {"interim_finding", v.spec.interim_finding
                                         ? json(std::string(to_string(*v.spec.interim_finding)))
                                         : json(nullptr)},
                 {"pending", text(v.spec.pending)},
                 {"caught_by", v.spec.caught_by},
                 {"verdict", std::string(to_string(v.verdict))},
                 {"matched", v.matched ? json(std::string(to_string(*v.matched))) : json(nullptr)},
                 {"by_caught_by_tests",
                  v.by_declared_tests ? json(*v.by_declared_tests) : json(nullptr)},
                 {"score", v.score},
                 {"max_score", v.max_score},
                 {"seconds", v.seconds},
                 {"found", found},
                 {"notes", v.notes},
                 {"internal_error", text(v.internal_error)},
                 {"input_error", text(v.input_error)}};
    variants.push_back(item);
  }
  return {{"lab", r.lab},
          {"lab_dir", text(r.lab_dir.string())},
          {"passed", r.passed()},
          {"reference", reference},
          {"variants", variants},
          {"summary",
           {{"variants", r.variants.size()},
            {"caught", r.count(VariantVerdict::kCaught)},
            {"interim", r.count(VariantVerdict::kInterim)},
            {"pending", r.count(VariantVerdict::kPending)},
            {"miss", r.count(VariantVerdict::kMiss)},
            {"error", r.count(VariantVerdict::kError)}}},
          {"seconds", r.seconds}};
}

}  // namespace ipcgrade
