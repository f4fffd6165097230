#include "harness/tsan_report.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>

namespace ipcgrade {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t kMaxLine = 4096;
constexpr std::size_t kMaxSections = 64;
constexpr std::size_t kMaxFrames = 64;
constexpr std::size_t kFramesShown = 6;
constexpr const char* kWarning = "WARNING: ThreadSanitizer: ";

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isdigit(c) != 0;
  });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

int small_number(std::string_view digits) {
  if (!all_digits(digits) || digits.size() > 7) {
    return 0;
  }
  return std::stoi(std::string(digits));
}

// "#1 consumer /tmp/x/prodcons.c:133:5 (prodcons+0x1bf3)"; nullopt if the
// line is not a frame.
std::optional<TsanFrame> parse_frame(std::string_view line) {
  if (line.empty() || line.front() != '#') {
    return std::nullopt;
  }
  std::size_t space = line.find(' ');
  if (space == std::string_view::npos || !all_digits(line.substr(1, space - 1))) {
    return std::nullopt;
  }
  std::string_view rest = trim(line.substr(space + 1));
  TsanFrame frame;
  if (!rest.empty() && rest.back() == ')') {
    std::size_t open = rest.rfind(" (");
    if (open != std::string_view::npos) {
      std::string_view module = rest.substr(open + 2, rest.size() - open - 3);
      frame.module = std::string(module.substr(0, module.find('+')));
      rest = trim(rest.substr(0, open));
    }
  }
  std::size_t last_space = rest.rfind(' ');
  std::string_view location;
  if (last_space == std::string_view::npos) {
    frame.function = std::string(rest);
  } else {
    frame.function = std::string(trim(rest.substr(0, last_space)));
    location = rest.substr(last_space + 1);
  }
  // file:line or file:line:column, read from the right.
  if (!location.empty() && location != "<null>") {
    std::string_view file = location;
    std::size_t colon = file.rfind(':');
    if (colon != std::string_view::npos && all_digits(file.substr(colon + 1))) {
      std::string_view before = file.substr(0, colon);
      std::size_t colon2 = before.rfind(':');
      if (colon2 != std::string_view::npos && all_digits(before.substr(colon2 + 1))) {
        frame.line = small_number(before.substr(colon2 + 1));
        file = before.substr(0, colon2);
      } else {
        frame.line = small_number(file.substr(colon + 1));
        file = before;
      }
    }
    frame.file = std::string(file);
  }
  return frame;
}

// ---------------------------------------------------------------------------
// Interpretation.
// ---------------------------------------------------------------------------

struct SourceRoots {
  std::vector<std::string> prefixes;  // each ending in '/'

  explicit SourceRoots(const fs::path& root) {
    if (root.empty()) {
      return;
    }
    std::error_code ec;
    for (const fs::path& p : {root, fs::weakly_canonical(root, ec)}) {
      std::string s = p.lexically_normal().string();
      if (!s.empty() && s.back() != '/') {
        s += '/';
      }
      if (!s.empty() && std::find(prefixes.begin(), prefixes.end(), s) == prefixes.end()) {
        prefixes.push_back(s);
      }
    }
  }

  // The file relative to the submission, or nullopt when it is not the
  // student's (a library, a system header, libtsan's own sources).
  std::optional<std::string> relative(const std::string& file) const {
    if (file.empty()) {
      return std::nullopt;
    }
    std::string normal = fs::path(file).lexically_normal().string();
    for (const std::string& prefix : prefixes) {
      if (starts_with(normal, prefix) && normal.size() > prefix.size()) {
        return normal.substr(prefix.size());
      }
    }
    return std::nullopt;
  }
};

struct Site {
  std::string function;
  std::string file;  // relative to the submission
  int line = 0;
  std::string where() const { return file + ":" + std::to_string(line); }
  std::string described() const { return where() + " in " + function; }
};

std::vector<Site> student_frames(const TsanSection& section, const SourceRoots& roots) {
  std::vector<Site> sites;
  for (const TsanFrame& frame : section.frames) {
    if (std::optional<std::string> rel = roots.relative(frame.file)) {
      sites.push_back(Site{frame.function, *rel, frame.line});
    }
  }
  return sites;
}

std::string stack_text(const std::vector<Site>& sites, const std::string& indent) {
  std::string out;
  for (std::size_t i = 0; i < sites.size() && i < kFramesShown; ++i) {
    out += indent + (i == 0 ? "at " : "called from ") + sites[i].described() + "\n";
  }
  if (sites.size() > kFramesShown) {
    out += indent + "...\n";
  }
  return out;
}

struct Access {
  std::string operation;  // "read", "write", "atomic write"...
  std::string thread;     // "thread T2", "main thread"
  std::vector<std::string> mutexes;
  std::vector<Site> stack;
};

// "Previous write of size 8 at 0x7b04 by thread T2 (mutexes: write M0, read M1)"
Access parse_access(const TsanSection& section, const SourceRoots& roots) {
  Access access;
  std::string_view h = section.heading;
  std::string_view op = h.substr(0, h.find(" of size"));
  if (starts_with(op, "Previous ")) {
    op.remove_prefix(9);
  }
  for (char c : op) {
    access.operation += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  std::size_t by = h.find(" by ");
  if (by != std::string_view::npos) {
    std::string_view who = h.substr(by + 4);
    std::size_t paren = who.find(" (");
    access.thread = std::string(trim(who.substr(0, paren)));
    if (paren != std::string_view::npos) {
      std::string_view list = who.substr(paren + 2);
      if (starts_with(list, "mutexes: ")) {
        list.remove_prefix(9);
        list = list.substr(0, list.find(')'));
        // "write M0, read M1"
        std::size_t start = 0;
        while (start < list.size()) {
          std::size_t comma = list.find(',', start);
          std::string_view item =
              trim(list.substr(start, comma == std::string_view::npos ? std::string_view::npos
                                                                      : comma - start));
          std::size_t sp = item.rfind(' ');
          std::string name(item.substr(sp == std::string_view::npos ? 0 : sp + 1));
          if (!name.empty() && access.mutexes.size() < 16) {
            access.mutexes.push_back(name);
          }
          if (comma == std::string_view::npos) {
            break;
          }
          start = comma + 1;
        }
      }
    }
  }
  access.stack = student_frames(section, roots);
  return access;
}

bool is_access_heading(const std::string& heading) {
  return heading.find(" of size ") != std::string::npos && heading.find(" by ") != std::string::npos;
}

std::string first_word_after(const std::string& text, const std::string& prefix) {
  if (!starts_with(text, prefix)) {
    return "";
  }
  std::string_view rest = std::string_view(text).substr(prefix.size());
  return std::string(rest.substr(0, rest.find(' ')));
}

std::string site_or_unknown(const std::vector<Site>& stack) {
  return stack.empty() ? std::string("an unknown place (outside your sources)")
                       : stack.front().described();
}

std::string held_text(const Access& a) {
  if (a.mutexes.empty()) {
    return "holding no lock";
  }
  std::string s = "holding ";
  for (std::size_t i = 0; i < a.mutexes.size(); ++i) {
    s += (i == 0 ? "" : ", ") + a.mutexes[i];
  }
  return s;
}

std::string mutex_name(const std::string& id, const std::map<std::string, std::string>& created) {
  auto it = created.find(id);
  return it == created.end() ? "mutex " + id
                             : "mutex " + id + " (first seen at " + it->second + ")";
}

// Which lock is missing, in words.
std::string lock_hint(const Access& a, const Access& b,
                      const std::map<std::string, std::string>& created) {
  auto only_in = [](const Access& x, const Access& y) {
    std::vector<std::string> out;
    for (const std::string& m : x.mutexes) {
      if (std::find(y.mutexes.begin(), y.mutexes.end(), m) == y.mutexes.end()) {
        out.push_back(m);
      }
    }
    return out;
  };
  if (a.mutexes.empty() && b.mutexes.empty()) {
    return "Neither access holds a lock: guard this data with one mutex, taken around every "
           "access to it, reads included.";
  }
  const std::vector<std::string> a_only = only_in(a, b);
  const std::vector<std::string> b_only = only_in(b, a);
  if (b.mutexes.empty() && !a_only.empty()) {
    return "The " + b.operation + " at " + site_or_unknown(b.stack) +
           " holds no lock while the " + a.operation + " holds " + mutex_name(a_only[0], created) +
           ": take that mutex around the " + b.operation + " too.";
  }
  if (a.mutexes.empty() && !b_only.empty()) {
    return "The " + a.operation + " at " + site_or_unknown(a.stack) +
           " holds no lock while the " + b.operation + " holds " + mutex_name(b_only[0], created) +
           ": take that mutex around the " + a.operation + " too.";
  }
  return "The two accesses hold different locks (" + held_text(a) + " vs " + held_text(b) +
         "): one and the same mutex must guard this data everywhere.";
}

struct Keyed {
  std::string key;
  Finding finding;
};

std::optional<Keyed> race_finding(const TsanReport& report, const SourceRoots& roots,
                                  const TsanContext& context) {
  std::vector<Access> accesses;
  std::string location;
  std::map<std::string, std::string> mutex_created;
  std::map<std::string, std::string> thread_created;
  for (const TsanSection& section : report.sections) {
    if (is_access_heading(section.heading)) {
      if (accesses.size() < 2) {
        accesses.push_back(parse_access(section, roots));
      }
    } else if (starts_with(section.heading, "Location is ")) {
      if (location.empty()) {
        location = section.heading.substr(12);
        while (!location.empty() && location.back() == '.') {
          location.pop_back();  // "stack of main thread."
        }
        // Drop addresses: they change from run to run and mean nothing here.
        std::size_t at = location.find(" at 0x");
        if (at != std::string::npos) {
          std::size_t after = location.find(' ', at + 4);
          location.erase(at, after == std::string::npos ? std::string::npos : after - at);
        }
        std::size_t module = location.rfind(" (");
        if (module != std::string::npos && location.back() == ')' &&
            location.find("+0x", module) != std::string::npos) {
          location.erase(module);  // " (prog+0x40a8)"
        }
        std::vector<Site> sites = student_frames(section, roots);
        if (!sites.empty()) {
          location += ", at " + sites.front().where();
        }
      }
    } else if (starts_with(section.heading, "Mutex ")) {
      std::string id = first_word_after(section.heading, "Mutex ");
      std::vector<Site> sites = student_frames(section, roots);
      if (!id.empty() && !sites.empty()) {
        mutex_created.emplace(id, sites.front().where());
      }
    } else if (starts_with(section.heading, "Thread ")) {
      std::string id = first_word_after(section.heading, "Thread ");
      std::vector<Site> sites = student_frames(section, roots);
      if (!id.empty() && !sites.empty()) {
        thread_created.emplace(id, sites.front().where());
      }
    }
  }
  if (accesses.size() < 2 || (accesses[0].stack.empty() && accesses[1].stack.empty())) {
    return std::nullopt;  // nothing in the student's code to point at
  }
  // The earlier access first: it reads as a story.
  const Access& first = accesses[1];
  const Access& second = accesses[0];
  const bool use_after_free = starts_with(report.kind, "heap-use-after-free");

  Keyed out;
  std::string a = first.stack.empty() ? "?" : first.stack.front().where();
  std::string b = second.stack.empty() ? "?" : second.stack.front().where();
  out.key = "race " + std::min(a, b) + " " + std::max(a, b);

  std::string what = location.empty() ? "shared memory" : location;
  auto thread_text = [&](const Access& x) {
    std::string t = x.thread.empty() ? "a thread" : x.thread;
    std::string id = first_word_after(x.thread, "thread ");
    auto it = thread_created.find(id);
    if (it != thread_created.end()) {
      t += ", started at " + it->second;
    }
    return t;
  };
  Finding& f = out.finding;
  f.kind = FindingKind::kRace;
  f.test = context.test;
  f.program = context.program;
  f.message =
      std::string(use_after_free
                      ? "ThreadSanitizer saw memory freed by one thread while another still used "
                        "it, with nothing ordering the two ("
                      : "ThreadSanitizer saw a data race: two threads used the same memory at "
                        "the same time, at least one of them writing, with nothing ordering "
                        "the two accesses (") +
      what + "). The " + first.operation + " at " + site_or_unknown(first.stack) + " (" +
      thread_text(first) + ", " + held_text(first) + ") and the " + second.operation + " at " +
      site_or_unknown(second.stack) + " (" + thread_text(second) + ", " + held_text(second) +
      "). " + lock_hint(first, second, mutex_created);
  std::string evidence = "ThreadSanitizer: " + report.kind + " on " + what + "\n";
  evidence += "  " + first.operation + " by " + (first.thread.empty() ? "?" : first.thread) +
              ", " + held_text(first) + ":\n" + stack_text(first.stack, "    ");
  evidence += "  " + second.operation + " by " + (second.thread.empty() ? "?" : second.thread) +
              ", " + held_text(second) + ":\n" + stack_text(second.stack, "    ");
  for (const auto& [id, where] : mutex_created) {
    evidence += "  mutex " + id + " first seen at " + where + "\n";
  }
  f.evidence = evidence;
  f.repro = context.repro;
  return out;
}

// A lock-order inversion is advice, never a finding: ThreadSanitizer
// reports two orders seen anywhere in the run, even when the two paths can
// never overlap (main taking the locks in the other order after joining
// every thread is correct). A deadlock that does happen is caught by the
// hang oracle in the graded runs. Keyed by the sites, like a race.
std::optional<Advice> inversion_advice(const TsanReport& report, const SourceRoots& roots) {
  std::string cycle;
  std::vector<std::string> lines;
  bool any_student_frame = false;
  Site first;
  std::string pending;  // "thread T1 locks M1 at x.c:6 while holding M0"
  for (const TsanSection& section : report.sections) {
    const std::string& h = section.heading;
    std::vector<Site> stack = student_frames(section, roots);
    std::string where = stack.empty() ? std::string("?") : stack.front().described();
    if (!stack.empty() && !any_student_frame) {
      any_student_frame = true;
      first = stack.front();
    }
    if (starts_with(h, "Cycle in lock order graph: ")) {
      // Addresses dropped: "M0 => M1 => M0".
      std::string_view rest = std::string_view(h).substr(27);
      std::string clean;
      std::size_t i = 0;
      while (i < rest.size()) {
        if (rest.substr(i, 3) == " (0") {
          std::size_t close = rest.find(')', i);
          i = close == std::string_view::npos ? rest.size() : close + 1;
          continue;
        }
        clean.push_back(rest[i++]);
      }
      cycle = clean;
    } else if (starts_with(h, "Mutex ") && h.find(" acquired here while holding mutex ") !=
                                                std::string::npos) {
      // "Mutex M1 acquired here while holding mutex M0 in thread T1"
      std::string taken = first_word_after(h, "Mutex ");
      std::size_t holding = h.find(" while holding mutex ");
      std::string held = first_word_after(h.substr(holding), " while holding mutex ");
      std::size_t in = h.find(" in ", holding);
      std::string thread = in == std::string::npos ? "a thread" : h.substr(in + 4);
      if (!pending.empty()) {
        lines.push_back(pending);
      }
      pending = thread + " locks " + taken + " at " + where + " while holding " + held;
    } else if (starts_with(h, "Mutex ") && h.find(" previously acquired ") != std::string::npos) {
      if (!pending.empty()) {
        pending += " (locked at " + where + ")";
        lines.push_back(pending);
        pending.clear();
      }
    }
  }
  if (!pending.empty()) {
    lines.push_back(pending);
  }
  if (!any_student_frame || lines.empty()) {
    return std::nullopt;
  }
  std::string story;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    story += (i == 0 ? "" : "; and ") + lines[i];
  }
  Advice advice;
  advice.tool = "tsan";
  advice.check = "lock-order-inversion";
  advice.file = first.file;
  advice.line = first.line;
  advice.message = "ThreadSanitizer saw mutexes taken in opposite orders" +
                   (cycle.empty() ? std::string() : " (a cycle " + cycle + ")") + ": " + story +
                   ". If these paths can run at the same moment, each waits for a mutex the "
                   "other holds, forever; if they cannot (one runs only after the other "
                   "threads are joined), this is harmless. Either way, taking the mutexes in "
                   "one fixed order everywhere removes the doubt.";
  return advice;
}

Advice other_advice(const TsanReport& report, const SourceRoots& roots,
                    const TsanContext& context) {
  Advice advice;
  advice.tool = "tsan";
  std::string kind = report.kind;
  std::size_t paren = kind.find(" (");
  advice.check = kind.substr(0, paren);
  std::string where;
  for (const TsanSection& section : report.sections) {
    std::vector<Site> stack = student_frames(section, roots);
    if (!stack.empty()) {
      advice.file = stack.front().file;
      advice.line = stack.front().line;
      where = " at " + stack.front().described();
      break;
    }
  }
  advice.message = "ThreadSanitizer reported a " + kind + where + " while running test " +
                   context.test;
  if (advice.check == "thread leak") {
    advice.message += ": a thread was started there and never joined (nor detached)";
  }
  advice.message += ".";
  return advice;
}

}  // namespace

std::vector<TsanReport> parse_tsan_log(std::string_view text, std::size_t max_reports) {
  std::vector<TsanReport> reports;
  TsanReport* current = nullptr;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    std::string_view raw = text.substr(start, end - start);
    start = end + 1;
    if (raw.size() > kMaxLine) {
      continue;
    }
    std::string_view line = trim(raw);
    if (line.empty()) {
      continue;
    }
    if (starts_with(line, kWarning)) {
      if (reports.size() >= max_reports) {
        break;
      }
      std::string_view kind = line.substr(std::string_view(kWarning).size());
      std::size_t pid = kind.rfind(" (pid=");
      if (pid != std::string_view::npos) {
        kind = kind.substr(0, pid);
      }
      reports.push_back(TsanReport{std::string(trim(kind)), {}});
      current = &reports.back();
      continue;
    }
    if (starts_with(line, "==================") || starts_with(line, "SUMMARY: ") ||
        starts_with(line, "ThreadSanitizer: ")) {
      current = nullptr;
      continue;
    }
    if (current == nullptr) {
      continue;
    }
    if (std::optional<TsanFrame> frame = parse_frame(line)) {
      if (!current->sections.empty() && current->sections.back().frames.size() < kMaxFrames) {
        current->sections.back().frames.push_back(std::move(*frame));
      }
      continue;
    }
    if (current->sections.size() >= kMaxSections) {
      continue;
    }
    std::string heading(line);
    if (!heading.empty() && heading.back() == ':') {
      heading.pop_back();
    }
    current->sections.push_back(TsanSection{heading, {}});
  }
  return reports;
}

TsanVerdicts interpret_tsan_reports(const std::vector<TsanReport>& reports,
                                    const TsanContext& context) {
  const SourceRoots roots(context.source_root);
  TsanVerdicts verdicts;
  std::set<std::string> seen;
  for (const TsanReport& report : reports) {
    std::optional<Keyed> keyed;
    const bool is_race =
        starts_with(report.kind, "data race") || starts_with(report.kind, "heap-use-after-free");
    if (is_race) {
      keyed = race_finding(report, roots, context);
    } else if (starts_with(report.kind, "lock-order-inversion")) {
      if (std::optional<Advice> advice = inversion_advice(report, roots)) {
        if (seen.insert("inversion " + advice->message).second) {
          verdicts.advice.push_back(std::move(*advice));
        }
        continue;
      }
    }
    if (keyed) {
      if (seen.insert(keyed->key).second) {
        verdicts.findings.push_back(std::move(keyed->finding));
      }
      continue;
    }
    // A race or inversion with nothing in the student's code, or another
    // kind of report: advice, never points.
    Advice advice = other_advice(report, roots, context);
    std::string key = "advice " + advice.check + " " + advice.file + ":" +
                      std::to_string(advice.line);
    if (seen.insert(key).second) {
      verdicts.advice.push_back(std::move(advice));
    }
  }
  return verdicts;
}

}  // namespace ipcgrade
