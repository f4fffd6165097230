// Sandbox: what the runner needs to start one student program safely on this
// machine. It probes the machine once and says which isolation tier it gives;
// the runner never calls unshare, setrlimit or prctl itself.
//
// Tiers:
//   reduced  rlimits, own session and process group, a keeper that is a
//            child subreaper and sweeps every descendant, default signal
//            dispositions, only descriptors 0-2.
//   full     the reduced tier's keeper as pid 1 of fresh PID, IPC, mount,
//            network and UTS namespaces (a user namespace too when not
//            root), a read-only allow-list root with private size-limited
//            /tmp and /dev/shm and the run's folder as the only other
//            writable place, loopback only, no capabilities, no new
//            privileges, a seccomp filter (sandbox/namespaces.h,
//            sandbox/seccomp_filter.h, sandbox/keeper.h). cgroup v2 limits
//            are not applied yet: the probe records whether a delegated
//            cgroup exists, and the report says the tier lacked it.
//
// Which tier runs: probe() tries every feature for real
// (sandbox/capabilities.h) and then follows the choice: `full` refuses to
// run without the full tier (an error naming what is missing: never a
// silent downgrade), `reduced` always gives reduced, `auto` gives
// kAutoTier's pick when the machine allows it. When the choice is `auto`,
// the environment variable IPCGRADE_ISOLATION (reduced|full|auto) decides
// instead, so a whole test suite can run in either tier.
//
// A Sandbox is an immutable value; any thread may use it.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/scoped_fd.h"
#include "base/status.h"
#include "sandbox/capabilities.h"
#include "sandbox/keeper.h"

namespace ipcgrade {

enum class IsolationChoice { kAuto, kReduced, kFull };

// "auto", "reduced", "full"; nullopt for anything else.
std::optional<IsolationChoice> parse_isolation_choice(const std::string& word);

struct SandboxOptions {
  IsolationChoice isolation = IsolationChoice::kAuto;
  // Folders that must never be visible inside the full tier even if they
  // lie in an allowed tree (the lab folder, the database's folder).
  std::vector<std::filesystem::path> hidden;
};

class Sandbox {
 public:
  // `keeper_binary` is the ipcgrade executable (it runs `__keeper`).
  static Result<Sandbox> probe(const std::filesystem::path& keeper_binary,
                               const SandboxOptions& options = SandboxOptions());

  // "full" or "reduced".
  const std::string& tier() const { return tier_; }
  // What the tier that runs lacks, in words ("" when nothing): the missing
  // features, and for a reduced tier the reason it was chosen.
  const std::string& lacking() const { return lacking_; }
  // "full", or "reduced (no user namespaces: ...)": tier and lacks in one.
  std::string description() const;
  const CapabilityReport& capabilities() const { return capabilities_; }

  // The command that starts a keeper for `request`. The binary is held open
  // from probe() on and executed through /proc/self/fd, so replacing or
  // rebuilding it in the middle of a batch does not break the batch; the
  // launcher must keep keeper_fd() open in the child (it is close-on-exec).
  const std::filesystem::path& executable() const { return keeper_exec_path_; }
  int keeper_fd() const { return keeper_fd_ ? keeper_fd_->get() : -1; }
  // The full tier fills in the tier and the hidden folders.
  std::vector<std::string> arguments(const KeeperRequest& request) const;

 private:
  std::filesystem::path keeper_exec_path_;
  std::shared_ptr<ScopedFd> keeper_fd_;  // shared: a Sandbox is a copyable value
  std::string tier_ = "reduced";
  std::string lacking_;
  CapabilityReport capabilities_;
  std::vector<std::filesystem::path> hidden_;
};

}  // namespace ipcgrade
