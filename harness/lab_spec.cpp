// Loading lab.yaml. The bytes are read once, parsed by yaml-cpp, and the
// document is then walked field by field through YamlField, which turns
// every problem into an InvalidInput Status naming the file, the line and
// the field. Fields are read in dependency order (programs and the lab's
// limits before the tests that refer to them), not in the file's order.
//
// Files a lab names (stdin files, expected outputs, the starter folder) are
// resolved against the lab's folder with symlinks followed and must stay
// inside it: a lab must not be able to make the grader read /etc/shadow
// into a student's stdin. The lab's hash covers lab.yaml and all of them,
// so a report can say exactly which version of a lab graded it.
#include "harness/lab_spec.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <limits>
#include <map>
#include <regex>
#include <set>

#include "base/sha256.h"
#include "harness/checkers/checker.h"
#include "harness/yaml_field.h"

namespace ipcgrade {
namespace fs = std::filesystem;
namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t kKiB = 1024;
constexpr std::uint64_t kMiB = 1024 * kKiB;
constexpr std::uint64_t kGiB = 1024 * kMiB;
constexpr std::uint64_t kMaxLimitBytes = 1024 * kGiB;
constexpr std::uint64_t kMaxCount = 1u << 20;  // processes, open files
constexpr std::uint64_t kMaxGenerateBytes = kGiB;
constexpr std::uint64_t kMaxUint64 = std::numeric_limits<std::uint64_t>::max();
constexpr double kMaxPoints = 1e6;

// Building is heavier than running a lab program (a compiler, make's
// children), so the build has its own, larger defaults.
Limits build_default_limits() {
  Limits limits;
  limits.wall = 120s;
  limits.cpu = 120s;
  limits.memory_bytes = 2 * kGiB;
  limits.file_size_bytes = 256 * kMiB;
  limits.processes = 256;
  limits.open_files = 1024;
  limits.output_bytes = 1 * kMiB;
  return limits;
}

Result<std::string> read_matching(const YamlField& field,
                                  const std::regex& pattern,
                                  const std::string& rule) {
  Result<std::string> text = read_string(field);
  if (text.ok() && !std::regex_match(*text, pattern)) {
    return field.error(rule + ", got " + field.describe());
  }
  return text;
}

Result<std::string> read_lab_name(const YamlField& field) {
  static const std::regex kPattern("[a-z0-9-]+");
  return read_matching(
      field, kPattern,
      "a lab name uses only lowercase letters, digits and '-'");
}

Result<std::string> read_program_name(const YamlField& field) {
  static const std::regex kPattern("[A-Za-z0-9_.-]+");
  Result<std::string> name = read_matching(
      field, kPattern,
      "a program name uses only letters, digits, '_', '.' and '-'");
  if (name.ok() && (*name == "." || *name == "..")) {
    return field.error("a program name cannot be '.' or '..'");
  }
  return name;
}

Result<std::string> read_test_name(const YamlField& field) {
  static const std::regex kPattern("[a-z0-9][a-z0-9._-]*");
  return read_matching(
      field, kPattern,
      "a test name uses lowercase letters, digits, '.', '_' and '-', "
      "starting with a letter or digit");
}

bool is_inside(const fs::path& dir, const fs::path& path) {
  auto [in_dir, in_path] =
      std::mismatch(dir.begin(), dir.end(), path.begin(), path.end());
  return in_dir == dir.end();
}

// A file or folder named by lab.yaml: relative to the lab's folder, existing,
// and inside the folder once symlinks are resolved. The result is absolute.
Result<fs::path> read_lab_path(const YamlField& field, const fs::path& lab_dir,
                               bool want_folder) {
  Result<std::string> text = read_nonempty_string(field);
  if (!text.ok()) {
    return text.status();
  }
  const fs::path relative(*text);
  if (relative.is_absolute()) {
    return field.error("'" + *text +
                       "' must be a path relative to the lab folder " +
                       lab_dir.string());
  }
  // weakly_canonical resolves the symlinks of the part that exists, so an
  // escape is named as such even when its target is missing.
  std::error_code ec;
  const fs::path full = fs::weakly_canonical(lab_dir / relative, ec);
  if (!ec && !is_inside(lab_dir, full)) {
    return field.error(
        "'" + *text + "' leads outside the lab folder (to " + full.string() +
        "); keep every file the lab uses inside " + lab_dir.string());
  }
  if (ec || !fs::exists(full, ec)) {
    const std::string why = ec ? ec.message() : "no such file or folder";
    return field.error("cannot use '" + *text + "' (" +
                       (lab_dir / relative).string() + "): " + why);
  }
  if (want_folder && !fs::is_directory(full, ec)) {
    return field.error("'" + *text + "' is not a folder");
  }
  if (!want_folder && !fs::is_regular_file(full, ec)) {
    return field.error("'" + *text + "' is not a regular file");
  }
  return full;
}

// The one member of `map` among `forms` (stdin and output expectations are
// written in exactly one form); none or two is an error.
Result<std::string> one_form(const YamlMap& map,
                             const std::vector<std::string_view>& forms) {
  std::vector<std::string> present;
  for (std::string_view form : forms) {
    if (map.has(form)) {
      present.emplace_back(form);
    }
  }
  std::string list;
  for (std::string_view form : forms) {
    list += (list.empty() ? "" : ", ") + std::string(form);
  }
  if (present.empty()) {
    return map.field().error("needs one of: " + list);
  }
  if (present.size() > 1) {
    return map.get(present[1])
        ->error("give only one of " + list + " (found both '" + present[0] +
                "' and '" + present[1] + "')");
  }
  return present[0];
}

Status read_limits(const YamlField& field, Limits* limits) {
  Result<YamlMap> map =
      YamlMap::read(field, {"wall", "cpu", "memory", "file_size", "processes",
                            "open_files", "output"});
  if (!map.ok()) {
    return map.status();
  }
  auto size = [](const YamlField& f) {
    return read_size(f, 1, kMaxLimitBytes);
  };
  auto count = [](const YamlField& f) {
    return read_unsigned(f, 1, kMaxCount);
  };
  return first_error({
      read_member(*map, "wall", read_duration, &limits->wall),
      read_member(*map, "cpu", read_duration, &limits->cpu),
      read_member(*map, "memory", size, &limits->memory_bytes),
      read_member(*map, "file_size", size, &limits->file_size_bytes),
      read_member(*map, "processes", count, &limits->processes),
      read_member(*map, "open_files", count, &limits->open_files),
      read_member(*map, "output", size, &limits->output_bytes),
  });
}

Status read_generate(const YamlField& field, StdinSpec* spec) {
  Result<YamlMap> map = YamlMap::read(field, {"bytes", "seed", "alphabet"});
  if (!map.ok()) {
    return map.status();
  }
  Result<YamlField> bytes = map->require("bytes");
  if (!bytes.ok()) {
    return bytes.status();
  }
  std::string alphabet = "binary";
  Status s = first_error({
      read_member(
          *map, "bytes",
          [](const YamlField& f) { return read_size(f, 0, kMaxGenerateBytes); },
          &spec->bytes),
      read_member(
          *map, "seed",
          [](const YamlField& f) { return read_unsigned(f, 0, kMaxUint64); },
          &spec->seed),
      read_member(
          *map, "alphabet",
          [](const YamlField& f) {
            return read_choice(f, {"binary", "text"});
          },
          &alphabet),
  });
  spec->kind = StdinSpec::Kind::kGenerate;
  spec->alphabet = alphabet == "text" ? StdinSpec::Alphabet::kText
                                      : StdinSpec::Alphabet::kBinary;
  return s;
}

Status read_stdin(const YamlField& field, const fs::path& lab_dir,
                  StdinSpec* spec) {
  if (field.is_scalar()) {
    spec->kind = StdinSpec::Kind::kText;
    spec->text = field.node().Scalar();
    return Status::Ok();
  }
  if (field.is_null()) {
    return field.error(
        "expected text or a map with one of text, file, generate; got nothing "
        "(write \"\" for no input)");
  }
  Result<YamlMap> map =
      YamlMap::read(field, {"text", "file", "generate", "chunk", "pause"});
  if (!map.ok()) {
    return map.status();
  }
  Result<std::string> form = one_form(*map, {"text", "file", "generate"});
  if (!form.ok()) {
    return form.status();
  }
  Status s = read_member(
      *map, "chunk",
      [](const YamlField& f) { return read_size(f, 1, kMaxGenerateBytes); },
      &spec->chunk);
  if (s.ok()) {
    s = read_member(*map, "pause", read_duration, &spec->pause);
  }
  if (!s.ok()) {
    return s;
  }
  if (std::optional<YamlField> pause = map->get("pause")) {
    if (spec->chunk == 0) {
      return pause->error("a pause goes between chunks: add 'chunk: SIZE' to this stdin");
    }
    if (spec->pause > std::chrono::seconds(10)) {
      return pause->error("at most 10s between chunks");
    }
  }
  if (*form == "text") {
    spec->kind = StdinSpec::Kind::kText;
    return read_member(*map, "text", read_string, &spec->text);
  }
  if (*form == "file") {
    spec->kind = StdinSpec::Kind::kFile;
    return read_member(
        *map, "file",
        [&](const YamlField& f) { return read_lab_path(f, lab_dir, false); },
        &spec->file);
  }
  return read_generate(*map->get("generate"), spec);
}

Result<std::string> read_regex(const YamlField& field) {
  Result<std::string> text = read_string(field);
  if (!text.ok()) {
    return text;
  }
  try {
    std::regex compiled(*text, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return field.error("the regex " + field.describe() +
                       " does not compile: " + e.what());
  }
  return text;
}

Result<std::string> read_checker_name(const YamlField& field) {
  Result<std::string> name = read_nonempty_string(field);
  if (!name.ok() || find_checker(*name) != nullptr) {
    return name;
  }
  std::vector<std::string_view> names;
  for (const Checker& checker : all_checkers()) {
    names.push_back(checker.name);
  }
  return field.error("unknown checker '" + *name + "'" +
                     suggestion_text(*name, names));
}

Status read_output(const YamlField& field, const fs::path& lab_dir,
                   OutputExpect* expect) {
  if (field.is_scalar()) {
    expect->kind = OutputExpect::Kind::kText;
    expect->value = field.node().Scalar();
    return Status::Ok();
  }
  if (field.is_null()) {
    return field.error(
        "expected text or a map with one of text, file, regex, contains, "
        "stdin, command, checker; got nothing (write \"\" to require empty "
        "output, or leave the field out to not check it)");
  }
  const std::vector<std::string_view> forms = {
      "text", "file", "regex", "contains", "stdin", "command", "checker"};
  std::vector<std::string_view> keys = forms;
  keys.push_back("times");
  keys.push_back("finding");
  Result<YamlMap> map = YamlMap::read(field, keys);
  if (!map.ok()) {
    return map.status();
  }
  Result<std::string> form = one_form(*map, forms);
  if (!form.ok()) {
    return form.status();
  }
  if (std::optional<YamlField> times = map->get("times");
      times && *form != "contains") {
    return times->error("'times' goes only with 'contains'");
  }
  Status s = read_member(*map, "finding", read_finding_kind, &expect->finding);
  if (!s.ok()) {
    return s;
  }
  if (*form == "text") {
    expect->kind = OutputExpect::Kind::kText;
    return read_member(*map, "text", read_string, &expect->value);
  }
  if (*form == "file") {
    expect->kind = OutputExpect::Kind::kFile;
    return read_member(
        *map, "file",
        [&](const YamlField& f) { return read_lab_path(f, lab_dir, false); },
        &expect->file);
  }
  if (*form == "regex") {
    expect->kind = OutputExpect::Kind::kRegex;
    return read_member(*map, "regex", read_regex, &expect->value);
  }
  if (*form == "contains") {
    expect->kind = OutputExpect::Kind::kContains;
    return first_error({
        read_member(*map, "contains", read_nonempty_string, &expect->value),
        read_member(
            *map, "times",
            [](const YamlField& f) { return read_unsigned(f, 0, 1000000000); },
            &expect->times),
    });
  }
  if (*form == "stdin") {
    bool same = false;
    s = read_member(*map, "stdin", read_bool, &same);
    if (s.ok() && !same) {
      return map->get("stdin")->error(
          "only 'stdin: true' means something (the output must equal the "
          "test's stdin); leave the field out to not check the stream");
    }
    expect->kind = OutputExpect::Kind::kStdin;
    return s;
  }
  if (*form == "command") {
    expect->kind = OutputExpect::Kind::kCommand;
    return read_member(*map, "command", read_nonempty_string, &expect->value);
  }
  expect->kind = OutputExpect::Kind::kChecker;
  return read_member(*map, "checker", read_checker_name, &expect->value);
}

Result<std::optional<int>> read_exit(const YamlField& field) {
  if (field.is_scalar() && field.node().Scalar() == "any") {
    return std::optional<int>();
  }
  Result<std::uint64_t> status = read_unsigned(field, 0, 255);
  if (!status.ok()) {
    return field.expected("an integer 0..255 or 'any'");
  }
  return std::optional<int>(static_cast<int>(*status));
}

Status read_expect(const YamlField& field, const fs::path& lab_dir,
                   Expectation* expect) {
  Result<YamlMap> map =
      YamlMap::read(field, {"exit", "exit_finding", "stdout", "stderr", "max_cpu"});
  if (!map.ok()) {
    return map.status();
  }
  Status s = first_error({
      read_member(*map, "exit", read_exit, &expect->exit_status),
      read_member(*map, "exit_finding", read_finding_kind,
                  &expect->exit_finding),
      read_member(
          *map, "max_cpu", [](const YamlField& f) { return read_number(f, 0.01, 64); },
          &expect->max_cpu),
  });
  if (s.ok()) {
    if (std::optional<YamlField> out = map->get("stdout")) {
      s = read_output(*out, lab_dir, &expect->stdout_expect);
    }
  }
  if (s.ok()) {
    if (std::optional<YamlField> err = map->get("stderr")) {
      s = read_output(*err, lab_dir, &expect->stderr_expect);
    }
  }
  return s;
}

Status read_faults(const YamlField& field, FaultPlan* faults) {
  std::vector<std::string_view> keys = {"seed"};
  for (const FaultKind& k : fault_kinds()) {
    keys.emplace_back(k.key);
  }
  Result<YamlMap> map = YamlMap::read(field, keys);
  if (!map.ok()) {
    return map.status();
  }
  for (const FaultKind& k : fault_kinds()) {
    Status s = read_member(*map, k.key, read_bool, &(faults->*k.planned));
    if (!s.ok()) {
      return s;
    }
  }
  return read_member(
      *map, "seed", [](const YamlField& f) { return read_unsigned(f, 0, kMaxUint64); },
      &faults->seed);
}

Result<std::vector<std::string>> read_args(const YamlField& field) {
  Result<std::vector<YamlField>> items = read_list(field);
  if (!items.ok()) {
    return items.status();
  }
  std::vector<std::string> args;
  for (const YamlField& item : *items) {
    Result<std::string> arg = read_string(item);
    if (!arg.ok()) {
      return arg.status();
    }
    args.push_back(*arg);
  }
  return args;
}

Result<TestSpec> read_test(const YamlField& field, const LabSpec& lab) {
  Result<YamlMap> map = YamlMap::read(
      field, {"name", "description", "program", "args", "stdin", "expect",
              "points", "visibility", "repeat", "limits", "faults", "tsan"});
  if (!map.ok()) {
    return map.status();
  }
  TestSpec test;
  test.line = field.line();
  test.limits = lab.limits;
  // A test expects success unless it says otherwise.
  test.expect.exit_status = 0;
  std::string visibility = "public";
  Status s = first_error({
      map->require("name").status(),
      map->require("program").status(),
      read_member(*map, "name", read_test_name, &test.name),
      read_member(*map, "description", read_string, &test.description),
      read_member(*map, "program", read_string, &test.program),
      read_member(*map, "args", read_args, &test.args),
      read_member(
          *map, "points",
          [](const YamlField& f) { return read_number(f, 0, kMaxPoints); },
          &test.points),
      read_member(
          *map, "visibility",
          [](const YamlField& f) {
            return read_choice(f, {"public", "hidden"});
          },
          &visibility),
      read_member(
          *map, "repeat",
          [](const YamlField& f) { return read_unsigned(f, 1, 1000); },
          &test.repeat),
      read_member(*map, "tsan", read_bool, &test.tsan),
  });
  if (!s.ok()) {
    return s;
  }
  test.hidden = visibility == "hidden";
  if (lab.find_program(test.program) == nullptr) {
    std::vector<std::string_view> names;
    for (const ProgramSpec& program : lab.programs) {
      names.push_back(program.name);
    }
    return map->get("program")->error("unknown program '" + test.program + "'" +
                                      suggestion_text(test.program, names));
  }
  if (std::optional<YamlField> in = map->get("stdin")) {
    s = read_stdin(*in, lab.dir, &test.stdin_spec);
  }
  if (s.ok()) {
    if (std::optional<YamlField> expect = map->get("expect")) {
      s = read_expect(*expect, lab.dir, &test.expect);
    }
  }
  if (s.ok()) {
    if (std::optional<YamlField> limits = map->get("limits")) {
      s = read_limits(*limits, &test.limits);
    }
  }
  if (s.ok()) {
    if (std::optional<YamlField> faults = map->get("faults")) {
      s = read_faults(*faults, &test.faults);
    }
  }
  if (!s.ok()) {
    return s;
  }
  return test;
}

Status read_programs(const YamlField& field,
                     std::vector<ProgramSpec>* programs) {
  Result<std::vector<YamlField>> items = read_list(field);
  if (!items.ok()) {
    return items.status();
  }
  if (items->empty()) {
    return field.error("a lab needs at least one program");
  }
  std::map<std::string, int> first_line;
  for (const YamlField& item : *items) {
    Result<YamlMap> map = YamlMap::read(item, {"name", "sources"});
    if (!map.ok()) {
      return map.status();
    }
    ProgramSpec program;
    Status s = first_error({
        map->require("name").status(),
        read_member(*map, "name", read_program_name, &program.name),
        read_member(*map, "sources", read_string, &program.sources),
    });
    if (!s.ok()) {
      return s;
    }
    auto [seen, fresh] = first_line.emplace(program.name, item.line());
    if (!fresh) {
      return map->get("name")->error("program '" + program.name +
                                     "' is declared twice (first at line " +
                                     std::to_string(seen->second) + ")");
    }
    programs->push_back(std::move(program));
  }
  return Status::Ok();
}

Result<std::vector<std::string>> read_command(const YamlField& field) {
  Result<std::vector<YamlField>> items = read_list(field);
  if (!items.ok()) {
    return items.status();
  }
  if (items->empty()) {
    return field.error(
        "the build command needs at least one word, such as [make]");
  }
  std::vector<std::string> words;
  for (const YamlField& item : *items) {
    Result<std::string> word = read_nonempty_string(item);
    if (!word.ok()) {
      return word.status();
    }
    words.push_back(*word);
  }
  return words;
}

Status read_build(const YamlField& field, const fs::path& lab_dir,
                  BuildSpec* build) {
  Result<YamlMap> map = YamlMap::read(field, {"command", "starter", "limits"});
  if (!map.ok()) {
    return map.status();
  }
  // `starter: ""` turns off the default starter folder.
  auto read_starter = [&](const YamlField& f) -> Result<fs::path> {
    if (f.is_scalar() && f.node().Scalar().empty()) {
      return fs::path();
    }
    return read_lab_path(f, lab_dir, true);
  };
  Status s = first_error({
      read_member(*map, "command", read_command, &build->command),
      read_member(*map, "starter", read_starter, &build->starter_dir),
  });
  if (s.ok()) {
    if (std::optional<YamlField> limits = map->get("limits")) {
      s = read_limits(*limits, &build->limits);
    }
  }
  return s;
}

Status read_advice(const YamlField& field, AdviceSpec* advice) {
  Result<YamlMap> map = YamlMap::read(field, {"clang_tidy"});
  if (!map.ok()) {
    return map.status();
  }
  return read_member(*map, "clang_tidy", read_bool, &advice->clang_tidy);
}

// The hash is the SHA-256 of a manifest in sha256sum's format, one line per
// file ("<digest>  <path relative to the lab folder>"): lab.yaml first, then
// every other file in path order. Renaming a file changes the hash as much
// as editing it does.
Result<std::string> lab_hash(const LabSpec& lab, std::string_view yaml_bytes) {
  std::set<fs::path> files;
  for (const TestSpec& test : lab.tests) {
    if (test.stdin_spec.kind == StdinSpec::Kind::kFile) {
      files.insert(test.stdin_spec.file);
    }
    for (const OutputExpect* out :
         {&test.expect.stdout_expect, &test.expect.stderr_expect}) {
      if (out->kind == OutputExpect::Kind::kFile) {
        files.insert(out->file);
      }
    }
  }
  if (!lab.build.starter_dir.empty()) {
    std::error_code ec;
    fs::recursive_directory_iterator it(lab.build.starter_dir, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file(ec)) {
        files.insert(it->path());
      }
    }
    if (ec) {
      return Status::InvalidInput(
          lab.build.starter_dir.string() +
          ": cannot list the starter folder: " + ec.message());
    }
  }
  std::string manifest =
      sha256_hex(yaml_bytes) + "  " + lab.file.filename().string() + "\n";
  for (const fs::path& file : files) {
    Result<std::string> digest = sha256_file(file);
    if (!digest.ok()) {
      return digest.status();
    }
    manifest += *digest + "  " +
                file.lexically_relative(lab.dir).generic_string() + "\n";
  }
  return sha256_hex(manifest);
}

// The lab's starter/ folder, used when build.starter does not say otherwise.
Status find_default_starter(const YamlField& root, const fs::path& lab_dir,
                            fs::path* starter) {
  std::error_code ec;
  if (!fs::is_directory(lab_dir / "starter", ec)) {
    return Status::Ok();
  }
  *starter = fs::canonical(lab_dir / "starter", ec);
  if (ec || !is_inside(lab_dir, *starter)) {
    return root.error("the starter folder " + (lab_dir / "starter").string() +
                      " leads outside the lab folder; make it a real folder");
  }
  return Status::Ok();
}

Status read_lab(const YamlField& root, LabSpec* lab) {
  Result<YamlMap> map = YamlMap::read(
      root, {"lab", "title", "programs", "build", "limits", "tests", "advice"});
  if (!map.ok()) {
    return map.status();
  }
  Status s = first_error({
      map->require("lab").status(),
      map->require("title").status(),
      map->require("programs").status(),
      map->require("tests").status(),
      read_member(*map, "lab", read_lab_name, &lab->name),
      read_member(*map, "title", read_nonempty_string, &lab->title),
  });
  if (s.ok()) {
    s = read_programs(*map->get("programs"), &lab->programs);
  }
  lab->build.limits = build_default_limits();
  if (s.ok()) {
    s = find_default_starter(root, lab->dir, &lab->build.starter_dir);
  }
  if (s.ok()) {
    if (std::optional<YamlField> build = map->get("build")) {
      s = read_build(*build, lab->dir, &lab->build);
    }
  }
  if (s.ok()) {
    if (std::optional<YamlField> limits = map->get("limits")) {
      s = read_limits(*limits, &lab->limits);
    }
  }
  if (s.ok()) {
    if (std::optional<YamlField> advice = map->get("advice")) {
      s = read_advice(*advice, &lab->advice);
    }
  }
  if (!s.ok()) {
    return s;
  }

  const YamlField tests_field = *map->get("tests");
  Result<std::vector<YamlField>> items = read_list(tests_field);
  if (!items.ok()) {
    return items.status();
  }
  if (items->empty()) {
    return tests_field.error("a lab needs at least one test");
  }
  std::map<std::string, int> first_line;
  for (const YamlField& item : *items) {
    Result<TestSpec> test = read_test(item, *lab);
    if (!test.ok()) {
      return test.status();
    }
    auto [seen, fresh] = first_line.emplace(test->name, test->line);
    if (!fresh) {
      return item.error("test '" + test->name +
                        "' is declared twice (first at line " +
                        std::to_string(seen->second) + ")");
    }
    lab->tests.push_back(std::move(*test));
  }
  return Status::Ok();
}

Result<LabSpec> load_lab_file(const fs::path& file, const std::string& shown) {
  Result<YamlDocument> document = load_yaml_document(
      file, shown,
      "a lab needs at least the fields lab, title, programs and tests");
  if (!document.ok()) {
    return document.status();
  }

  // The folder is canonical; lab.yaml keeps its own name even when it is a
  // symlink, so the lab's files are looked up beside it.
  LabSpec lab;
  std::error_code ec;
  lab.dir = fs::canonical(fs::absolute(file, ec).parent_path(), ec);
  if (ec) {
    return Status::InvalidInput(shown + ": " + ec.message());
  }
  lab.file = lab.dir / file.filename();
  Status s = read_lab(document->root, &lab);
  if (!s.ok()) {
    return s;
  }
  Result<std::string> hash = lab_hash(lab, document->bytes);
  if (!hash.ok()) {
    return hash.status().WithContext(shown);
  }
  lab.hash = *hash;
  return lab;
}

std::vector<std::string> shipped_labs(const fs::path& labs_root) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(labs_root, ec);
       !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::error_code entry_ec;
    if (fs::is_regular_file(it->path() / "lab.yaml", entry_ec)) {
      names.push_back(it->path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

double LabSpec::max_score() const {
  double total = 0;
  for (const TestSpec& test : tests) {
    total += test.points;
  }
  return total;
}

const ProgramSpec* LabSpec::find_program(const std::string& name) const {
  for (const ProgramSpec& program : programs) {
    if (program.name == name) {
      return &program;
    }
  }
  return nullptr;
}

Result<LabSpec> load_lab(const fs::path& path) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (!fs::exists(status)) {
    return Status::InvalidInput(path.string() +
                                ": no such lab folder or lab.yaml");
  }
  fs::path file = path;
  if (fs::is_directory(status)) {
    file = path / "lab.yaml";
    if (!fs::exists(file, ec)) {
      return Status::InvalidInput(path.string() +
                                  ": not a lab folder: it has no lab.yaml");
    }
  }
  const std::string shown = file.string();
  // yaml-cpp throws on conversions and the standard library on allocation;
  // the walk above never asks yaml-cpp for a conversion, so anything caught
  // here is our own bug and is reported as such, never as a crash.
  try {
    return load_lab_file(file, shown);
  } catch (const YAML::Exception& e) {
    return Status::Internal(
        shown + ": the lab loader hit a yaml-cpp error: " + e.what());
  } catch (const std::exception& e) {
    return Status::Internal(shown + ": the lab loader failed: " + e.what());
  }
}

Result<fs::path> resolve_lab(const std::string& name_or_path,
                             const fs::path& labs_root) {
  std::error_code ec;
  if (name_or_path.empty()) {
    return Status::InvalidInput(
        "no lab given: name a shipped lab or a lab folder");
  }
  if (name_or_path.find('/') != std::string::npos ||
      fs::is_directory(name_or_path, ec)) {
    const fs::path path(name_or_path);
    if (fs::is_directory(path, ec)) {
      if (!fs::is_regular_file(path / "lab.yaml", ec)) {
        return Status::InvalidInput(name_or_path +
                                    ": not a lab folder: it has no lab.yaml");
      }
      return path;
    }
    if (fs::is_regular_file(path, ec)) {
      return path;
    }
    return Status::InvalidInput(name_or_path + ": no such lab folder");
  }
  const fs::path path = labs_root / name_or_path;
  if (fs::is_regular_file(path / "lab.yaml", ec)) {
    return path;
  }
  const std::vector<std::string> shipped = shipped_labs(labs_root);
  std::string message =
      "no lab called '" + name_or_path + "' in " + labs_root.string();
  if (shipped.empty()) {
    message += " (no labs found there)";
  } else {
    std::vector<std::string_view> names(shipped.begin(), shipped.end());
    if (std::optional<std::string> near = nearest_name(name_or_path, names)) {
      message += " (did you mean '" + *near + "'?)";
    }
    std::string list;
    for (const std::string& name : shipped) {
      list += (list.empty() ? "" : ", ") + name;
    }
    message += "; shipped labs: " + list;
  }
  return Status::InvalidInput(message);
}

const std::vector<FaultKind>& fault_kinds() {
  static const std::vector<FaultKind> kinds = {
      {"short_io", &FaultPlan::short_io, "short reads and writes"},
      {"eintr", &FaultPlan::eintr, "EINTR"},
      {"perturb", &FaultPlan::perturb, "schedule perturbation"},
      {"stall", &FaultPlan::stall, "a long pause per thread (busy-wait check)"},
  };
  return kinds;
}

bool FaultPlan::any() const {
  return std::any_of(fault_kinds().begin(), fault_kinds().end(),
                     [this](const FaultKind& k) { return this->*k.planned; });
}

}  // namespace ipcgrade
