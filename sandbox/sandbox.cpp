#include "sandbox/sandbox.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace ipcgrade {

namespace {

// What `auto` picks when the machine gives the full tier.
constexpr IsolationChoice kAutoTier = IsolationChoice::kReduced;

}  // namespace

std::optional<IsolationChoice> parse_isolation_choice(const std::string& word) {
  if (word == "auto") {
    return IsolationChoice::kAuto;
  }
  if (word == "reduced") {
    return IsolationChoice::kReduced;
  }
  if (word == "full") {
    return IsolationChoice::kFull;
  }
  return std::nullopt;
}

Result<Sandbox> Sandbox::probe(const std::filesystem::path& keeper_binary,
                               const SandboxOptions& options) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(keeper_binary, ec) ||
      ::access(keeper_binary.c_str(), X_OK) != 0) {
    return Status::Internal("the keeper binary " + keeper_binary.string() +
                            " is missing or not executable");
  }
  IsolationChoice choice = options.isolation;
  std::string chosen_by = "--isolation";
  if (choice == IsolationChoice::kAuto) {
    if (const char* env = std::getenv("IPCGRADE_ISOLATION"); env != nullptr && *env != '\0') {
      std::optional<IsolationChoice> c = parse_isolation_choice(env);
      if (!c) {
        return Status::InvalidInput(std::string("IPCGRADE_ISOLATION is '") + env +
                                    "'; use auto, reduced or full");
      }
      choice = *c;
      chosen_by = "IPCGRADE_ISOLATION";
    }
  }
  Result<CapabilityReport> caps = probe_capabilities(keeper_binary);
  if (!caps.ok()) {
    return caps.status();
  }
  Sandbox s;
  s.capabilities_ = caps.value();
  s.hidden_ = options.hidden;
  const bool available = s.capabilities_.full_available();
  const std::string missing = s.capabilities_.missing();
  if (choice == IsolationChoice::kFull && !available) {
    return Status::InvalidInput("the full isolation tier is not available on this machine: " +
                                missing + "; `ipcgrade doctor` says how to get it");
  }
  const IsolationChoice picked =
      choice == IsolationChoice::kAuto ? (available ? kAutoTier : IsolationChoice::kReduced)
                                       : choice;
  if (picked == IsolationChoice::kFull) {
    s.tier_ = "full";
    s.lacking_ = missing;  // what is optional: cgroup-v2
  } else {
    s.tier_ = "reduced";
    if (choice == IsolationChoice::kReduced) {
      s.lacking_ = "forced by " + chosen_by + " reduced";
      if (!missing.empty()) {
        s.lacking_ += "; " + missing;
      }
    } else if (!available) {
      s.lacking_ = missing;
    } else {
      s.lacking_ = "the full tier is available but not the default yet (--isolation full)";
      if (!missing.empty()) {
        s.lacking_ += "; " + missing;
      }
    }
  }

  int fd = ::open(keeper_binary.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd == -1) {
    return Status::FromErrno("cannot open the keeper binary " + keeper_binary.string(), errno);
  }
  // Above 0-2 and the keeper's status descriptor 3, which the launcher
  // overwrites in the child.
  int high = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
  ::close(fd);
  if (high == -1) {
    return Status::FromErrno("cannot keep the keeper binary open", errno);
  }
  fd = high;
  s.keeper_fd_ = std::make_shared<ScopedFd>(fd);
  s.keeper_exec_path_ = "/proc/self/fd/" + std::to_string(fd);
  return s;
}

std::string Sandbox::description() const {
  return lacking_.empty() ? tier_ : tier_ + " (" + lacking_ + ")";
}

std::vector<std::string> Sandbox::arguments(const KeeperRequest& request) const {
  KeeperRequest r = request;
  r.full_tier = tier_ == "full";
  if (r.full_tier) {
    r.hidden.insert(r.hidden.end(), hidden_.begin(), hidden_.end());
  }
  std::vector<std::string> args = {"__keeper"};
  std::vector<std::string> rest = keeper_arguments(r);
  args.insert(args.end(), rest.begin(), rest.end());
  return args;
}

}  // namespace ipcgrade
