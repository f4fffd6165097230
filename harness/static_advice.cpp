#include "harness/static_advice.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <optional>
#include <regex>
#include <set>

#include "harness/runner.h"

namespace ipcgrade {
namespace fs = std::filesystem;
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kMaxSources = 64;
constexpr std::uint64_t kMaxOutput = 1u << 20;

// The calls whose failure changes what these labs' programs do. Calls that
// fail only on a programming error already caught elsewhere (unlock,
// signal, broadcast, sem_post, the destroy and attr_init calls) are left
// out: checking them is good practice, but a note on every one buries the
// notes that matter, even in the reference solutions.
const std::vector<std::string>& checked_functions() {
  static const std::vector<std::string> kFunctions = {
      "read", "write", "pipe", "pipe2", "fork", "dup", "dup2", "close", "waitpid", "wait",
      "sem_wait", "sem_init",
      "pthread_create", "pthread_join", "pthread_mutex_init", "pthread_mutex_lock",
      "pthread_mutexattr_setpshared", "pthread_cond_init", "pthread_cond_wait",
      "pthread_condattr_setpshared", "pthread_sigmask"};
  return kFunctions;
}

// Why the result matters, for the functions a student meets in these labs.
std::string why_check(const std::string& function) {
  if (function == "read" || function == "write") {
    return "it may move fewer bytes than asked, or fail with -1 (EINTR, EPIPE...): loop on "
           "the count and look at errno";
  }
  if (function == "waitpid" || function == "wait" || function == "sem_wait") {
    return "-1 with errno EINTR means a signal interrupted the wait: retry it";
  }
  if (function == "fork") {
    return "-1 means no child was created";
  }
  if (function.rfind("pthread_", 0) == 0) {
    return "pthread functions return an error number (not -1) when they fail";
  }
  return "-1 means it failed, and errno says why";
}

std::string identifier_at(const fs::path& file, int line, int column) {
  std::ifstream in(file);
  std::string text;
  for (int i = 0; i < line && std::getline(in, text); ++i) {
  }
  if (!in || column < 1 || static_cast<std::size_t>(column) > text.size()) {
    return "";
  }
  std::size_t i = static_cast<std::size_t>(column - 1);
  std::size_t end = i;
  while (end < text.size() &&
         (std::isalnum(static_cast<unsigned char>(text[end])) != 0 || text[end] == '_')) {
    ++end;
  }
  return text.substr(i, end - i);
}

std::optional<std::string> relative_to(const std::string& file,
                                       const std::vector<std::string>& prefixes) {
  std::string normal = fs::path(file).lexically_normal().string();
  for (const std::string& prefix : prefixes) {
    if (normal.rfind(prefix, 0) == 0 && normal.size() > prefix.size()) {
      return normal.substr(prefix.size());
    }
  }
  return std::nullopt;
}

fs::path find_clang_tidy(const StaticAdviceOptions& options) {
  if (!options.clang_tidy.empty()) {
    return ::access(options.clang_tidy.c_str(), X_OK) == 0 ? options.clang_tidy : fs::path();
  }
  for (const char* dir : {"/usr/local/bin", "/usr/bin", "/bin"}) {
    fs::path candidate = fs::path(dir) / "clang-tidy";
    if (::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return fs::path();
}

Advice note(const std::string& check, const std::string& message) {
  Advice advice;
  advice.tool = "clang-tidy";
  advice.check = check;
  advice.message = message;
  return advice;
}

}  // namespace

std::string checked_functions_option() {
  std::string option;
  for (const std::string& f : checked_functions()) {
    option += (option.empty() ? "::" : ";::") + f;
  }
  return option;
}

std::vector<Advice> parse_clang_tidy_output(std::string_view output, const fs::path& source_root) {
  static const std::regex kDiagnostic(
      R"(^(.+):([0-9]{1,7}):([0-9]{1,7}): (warning|note): (.*?)(?: \[([A-Za-z0-9_.,-]+)\])?$)");
  std::vector<std::string> prefixes;
  std::error_code ec;
  for (const fs::path& p : {source_root, fs::weakly_canonical(source_root, ec)}) {
    std::string s = p.lexically_normal().string();
    if (!s.empty() && s.back() != '/') {
      s += '/';
    }
    prefixes.push_back(s);
  }
  std::vector<Advice> items;
  std::set<std::string> seen;
  bool last_kept = false;  // whether the last warning became an item (its notes follow)
  std::size_t start = 0;
  while (start < output.size()) {
    std::size_t end = output.find('\n', start);
    if (end == std::string_view::npos) {
      end = output.size();
    }
    std::string line(output.substr(start, end - start));
    start = end + 1;
    // A cheap filter first: std::regex is slow and recursive on long lines.
    if (line.size() > 1024 || (line.find(": warning: ") == std::string::npos &&
                               line.find(": note: ") == std::string::npos)) {
      continue;
    }
    std::smatch m;
    if (!std::regex_match(line, m, kDiagnostic)) {
      continue;
    }
    const std::string severity = m[4];
    const std::string message = m[5];
    const int line_no = std::stoi(m[2]);
    const int column = std::stoi(m[3]);
    std::optional<std::string> rel = relative_to(m[1], prefixes);
    if (severity == "note") {
      // "function 'on_int' registered here as signal handler": where to look.
      if (last_kept && rel && message.find("registered here as signal handler") != std::string::npos) {
        items.back().message += " (the handler is installed at " + *rel + ":" +
                                std::to_string(line_no) + ")";
      }
      continue;
    }
    last_kept = false;
    const std::string checks = m[6];
    const std::string check = checks.substr(0, checks.find(','));
    if (!rel || (check != "bugprone-signal-handler" && check != "bugprone-unused-return-value")) {
      continue;
    }
    Advice advice;
    advice.tool = "clang-tidy";
    advice.check = check;
    advice.file = *rel;
    advice.line = line_no;
    if (check == "bugprone-unused-return-value") {
      const std::string function = identifier_at(fs::path(m[1].str()), line_no, column);
      advice.message = function.empty()
                           ? "the result of this call is never looked at"
                           : "the result of " + function + "() is never looked at: " +
                                 why_check(function);
    } else {
      advice.message = message + ": a signal handler may only call async-signal-safe "
                                 "functions (write, kill, setting a volatile sig_atomic_t flag)";
    }
    const std::string key = advice.check + "\n" + advice.file + "\n" +
                            std::to_string(advice.line) + "\n" + advice.message;
    if (seen.insert(key).second) {
      items.push_back(std::move(advice));
      last_kept = true;
    }
  }
  return items;
}

Result<std::vector<Advice>> clang_tidy_advice(const Sandbox& sandbox, const LabSpec& lab,
                                              const fs::path& source_root,
                                              const StaticAdviceOptions& options) {
  const fs::path tool = find_clang_tidy(options);
  if (tool.empty()) {
    return std::vector<Advice>{note("clang-tidy-missing",
                                    "clang-tidy is not installed on the grading machine, so "
                                    "no static advice was made.")};
  }
  // The sources, in a stable order, split by language.
  std::vector<std::string> c_files;
  std::vector<std::string> cxx_files;
  std::error_code ec;
  std::vector<fs::path> all;
  for (fs::recursive_directory_iterator it(source_root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec) && !it->is_symlink(ec)) {
      all.push_back(it->path());
    }
  }
  std::sort(all.begin(), all.end());
  for (const fs::path& p : all) {
    const std::string ext = p.extension().string();
    if (c_files.size() + cxx_files.size() >= kMaxSources) {
      break;
    }
    if (ext == ".c") {
      c_files.push_back(p.lexically_relative(source_root).string());
    } else if (ext == ".cc" || ext == ".cpp" || ext == ".cxx" || ext == ".C") {
      cxx_files.push_back(p.lexically_relative(source_root).string());
    }
  }
  const std::string config = "{Checks: '-*,bugprone-signal-handler,bugprone-unused-return-value',"
                             " CheckOptions: [{key: bugprone-unused-return-value.CheckedFunctions,"
                             " value: '" + checked_functions_option() + "'}]}";
  std::vector<Advice> items;
  std::vector<Advice> notes;
  for (int language = 0; language < 2; ++language) {
    const std::vector<std::string>& files = language == 0 ? c_files : cxx_files;
    if (files.empty()) {
      continue;
    }
    RunRequest req;
    req.argv = {tool.string(), "--quiet", "--config=" + config, "--header-filter=.*"};
    req.argv.insert(req.argv.end(), files.begin(), files.end());
    req.argv.push_back("--");
    req.argv.push_back(language == 0 ? "-std=gnu11" : "-std=gnu++17");
    req.argv.push_back("-pthread");
    req.argv.push_back("-I.");
    req.cwd = source_root;
    req.env = default_environment(source_root);
    req.limits = lab.build.limits;
    req.limits.wall = std::min<std::chrono::milliseconds>(req.limits.wall, 60s);
    req.limits.cpu = std::min<std::chrono::milliseconds>(req.limits.cpu, 60s);
    req.limits.output_bytes = kMaxOutput;
    Result<RunResult> run = run_sandboxed(sandbox, req);
    if (!run.ok()) {
      return run.status().WithContext("running clang-tidy");
    }
    if (run->keeper.setup_errno != 0) {
      notes.push_back(note("clang-tidy-failed", "clang-tidy could not be started, so no static "
                                                "advice was made."));
      continue;
    }
    if (run->ending != RunResult::Ending::kExited) {
      notes.push_back(note("clang-tidy-failed",
                           "clang-tidy did not finish within its limits; the advice below may "
                           "be incomplete."));
    }
    std::vector<Advice> found = parse_clang_tidy_output(run->stdout_data, source_root);
    items.insert(items.end(), found.begin(), found.end());
  }
  if (items.size() > options.max_items) {
    const std::size_t more = items.size() - options.max_items;
    items.resize(options.max_items);
    notes.push_back(note("clang-tidy-more", std::to_string(more) +
                                                " more items of the same checks are not shown."));
  }
  items.insert(items.end(), notes.begin(), notes.end());
  return items;
}

}  // namespace ipcgrade
