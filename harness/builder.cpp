#include "harness/builder.h"

#include <sys/stat.h>

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <chrono>
#include <fstream>
#include <sstream>
#include <vector>

#include "base/sha256.h"
#include "harness/runner.h"
#include "harness/stdin_source.h"

namespace ipcgrade {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kBuildOutputShown = 16 * 1024;

std::string tail_lines(const std::string& log, int n) {
  std::vector<std::string> lines;
  std::istringstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
  }
  std::string out;
  for (std::size_t i = lines.size() > static_cast<std::size_t>(n) ? lines.size() - n : 0;
       i < lines.size(); ++i) {
    out += lines[i] + "\n";
  }
  return out;
}

}  // namespace

Result<std::string> copy_submission(const fs::path& submission, const fs::path& dest,
                                    const CopyLimits& limits) {
  std::error_code ec;
  if (!fs::is_directory(submission, ec)) {
    return Status::InvalidInput(submission.string() + ": not a directory (a submission is a "
                                "directory with a Makefile and sources)");
  }
  fs::create_directories(dest, ec);
  if (ec) {
    return Status::Internal("cannot create " + dest.string() + ": " + ec.message());
  }
  // Collect first, in a stable order, so the hash does not depend on the
  // order the file system lists entries in.
  std::vector<fs::path> files;
  std::vector<fs::path> dirs;
  std::uint64_t total = 0;
  fs::recursive_directory_iterator it(submission, fs::directory_options::none, ec);
  if (ec) {
    return Status::InvalidInput(submission.string() + ": cannot read: " + ec.message());
  }
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) {
      return Status::InvalidInput(submission.string() + ": cannot read: " + ec.message());
    }
    const fs::directory_entry& e = *it;
    fs::path rel = fs::relative(e.path(), submission, ec);
    if (e.is_symlink(ec)) {
      continue;  // never followed: it could point anywhere on the machine
    }
    if (e.is_directory(ec)) {
      if (rel.filename() == ".git") {
        it.disable_recursion_pending();
        continue;
      }
      dirs.push_back(rel);
      continue;
    }
    if (!e.is_regular_file(ec)) {
      continue;  // devices, FIFOs, sockets
    }
    total += e.file_size(ec);
    files.push_back(rel);
    if (static_cast<int>(files.size()) > limits.max_files || total > limits.max_bytes) {
      return Status::InvalidInput(
          submission.string() + ": too large to grade (more than " +
          std::to_string(limits.max_files) + " files or " +
          std::to_string(limits.max_bytes >> 20) + " MiB); remove build products and data files");
    }
  }
  std::sort(dirs.begin(), dirs.end());
  std::sort(files.begin(), files.end());
  for (const fs::path& d : dirs) {
    fs::create_directories(dest / d, ec);
  }
  Sha256 hash;
  for (const fs::path& f : files) {
    std::ifstream in(submission / f, std::ios::binary);
    if (!in) {
      return Status::InvalidInput((submission / f).string() + ": cannot read");
    }
    std::ostringstream s;
    s << in.rdbuf();
    std::string bytes = s.str();
    hash.update(f.generic_string());
    hash.update(std::string(1, '\0'));
    hash.update(std::to_string(bytes.size()));
    hash.update(std::string(1, '\0'));
    hash.update(bytes);
    std::ofstream out(dest / f, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      return Status::Internal("cannot write " + (dest / f).string());
    }
    struct stat st;
    if (::stat((submission / f).c_str(), &st) == 0) {
      ::chmod((dest / f).c_str(), (st.st_mode & 0777) | 0600);
    }
  }
  return hash.hex_digest();
}

std::string first_build_errors(const std::string& log, int max_lines) {
  std::istringstream in(log);
  std::string line;
  std::string out;
  int taken = 0;
  while (std::getline(in, line) && taken < max_lines) {
    if (line.find("error:") != std::string::npos || line.find("Error ") != std::string::npos ||
        line.find("undefined reference") != std::string::npos ||
        line.find("No rule to make target") != std::string::npos) {
      out += line + "\n";
      ++taken;
    }
  }
  return out.empty() ? tail_lines(log, max_lines) : out;
}

Result<BuildOutcome> build_submission(const Sandbox& sandbox, const LabSpec& lab,
                                      const fs::path& submission, const fs::path& build_dir) {
  auto started = std::chrono::steady_clock::now();
  BuildOutcome outcome;
  Result<std::string> hash = copy_submission(submission, build_dir);
  if (!hash.ok()) {
    return hash.status();
  }
  outcome.files_hash = hash.value();

  std::error_code ec;
  bool has_makefile = fs::exists(build_dir / "Makefile", ec) ||
                      fs::exists(build_dir / "makefile", ec) ||
                      fs::exists(build_dir / "GNUmakefile", ec);
  std::string note;
  if (!has_makefile && !lab.build.starter_dir.empty() &&
      fs::exists(lab.build.starter_dir / "Makefile", ec)) {
    fs::copy_file(lab.build.starter_dir / "Makefile", build_dir / "Makefile", ec);
    if (ec) {
      return Status::Internal("cannot copy the starter Makefile: " + ec.message());
    }
    note = "(no Makefile in the submission: built with the lab's starter Makefile)\n";
  }

  RunRequest req;
  req.argv = lab.build.command;
  if (!req.argv.empty() && req.argv[0].find('/') == std::string::npos) {
    // The build command is looked up on PATH like a shell would.
    for (const char* dir : {"/usr/local/bin", "/usr/bin", "/bin"}) {
      if (::access((std::string(dir) + "/" + req.argv[0]).c_str(), X_OK) == 0) {
        req.argv[0] = std::string(dir) + "/" + req.argv[0];
        break;
      }
    }
  }
  req.cwd = build_dir;
  req.env = default_environment(build_dir);
  req.limits = lab.build.limits;
  Result<RunResult> run = run_sandboxed(sandbox, req);
  if (!run.ok()) {
    return run.status().WithContext("building " + submission.string());
  }
  const RunResult& r = run.value();
  std::string log = note + r.stdout_data + r.stderr_data;
  outcome.output = log.size() > kBuildOutputShown
                       ? log.substr(0, kBuildOutputShown) + "\n[... build output cut ...]\n"
                       : log;
  outcome.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  std::string what;
  if (r.keeper.setup_errno != 0) {
    return Status::Internal("cannot run the build command " + lab.build.command[0] + ": " +
                            std::strerror(r.keeper.setup_errno));
  } else if (r.ending == RunResult::Ending::kTimedOut) {
    what = "The build did not finish within " +
           std::to_string(lab.build.limits.wall.count() / 1000) +
           " s. Look for a Makefile rule that never ends or that waits for input.";
  } else if (r.ending == RunResult::Ending::kHang) {
    what = "The build hung: every process of it was blocked for good (" +
           (r.hang ? r.hang->summary : std::string("no diagnosis")) +
           "). Look for a Makefile rule that reads its input or waits for a program that "
           "never ends.";
  } else if (r.ending == RunResult::Ending::kOutputLimit) {
    what = "The build printed more than the allowed " +
           std::to_string(lab.build.limits.output_bytes >> 10) + " KiB of output.";
  } else if (!r.keeper.status || r.keeper.status->shell_status() != 0) {
    what = "`" + lab.build.command[0] + "` failed (" +
           (r.keeper.status ? r.keeper.status->ToString() : std::string("no status")) +
           "). Fix the first error the compiler reports; later errors often follow from it.";
  } else {
    std::vector<std::string> missing;
    for (const ProgramSpec& p : lab.programs) {
      fs::path exe = build_dir / p.name;
      if (!fs::is_regular_file(exe, ec) || ::access(exe.c_str(), X_OK) != 0) {
        missing.push_back(p.name);
      }
    }
    if (missing.empty()) {
      outcome.ok = true;
      return outcome;
    }
    std::string names;
    for (const std::string& m : missing) {
      names += (names.empty() ? "" : ", ") + m;
    }
    what = "The build succeeded but did not produce " + names +
           " in the submission's top directory. The Makefile's default target must build "
           "every program of the lab under its exact name.";
  }
  Finding f;
  f.kind = FindingKind::kBuild;
  f.message = what;
  f.evidence = first_build_errors(log);
  f.repro = "cd " + shell_quote(submission.string()) + " && make";
  outcome.finding = f;
  return outcome;
}

}  // namespace ipcgrade
