// Sandbox: what the runner needs to start one student program safely on this
// machine. It probes the machine once and says which isolation tier it gives;
// the runner never calls unshare, setrlimit or prctl itself.
//
// Tiers (issue 5 adds "full": user, PID, IPC, mount and network namespaces,
// cgroup v2 and seccomp, behind this same interface):
//   reduced  rlimits, own session and process group, a keeper that is a
//            child subreaper and sweeps every descendant, default signal
//            dispositions, only descriptors 0-2.
//
// A Sandbox is an immutable value; any thread may use it.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/scoped_fd.h"
#include "base/status.h"
#include "sandbox/keeper.h"

namespace ipcgrade {

class Sandbox {
 public:
  // `keeper_binary` is the ipcgrade executable (it runs `__keeper`).
  static Result<Sandbox> probe(const std::filesystem::path& keeper_binary);

  const std::string& tier() const { return tier_; }
  // The command that starts a keeper for `request`. The binary is held open
  // from probe() on and executed through /proc/self/fd, so replacing or
  // rebuilding it in the middle of a batch does not break the batch; the
  // launcher must keep keeper_fd() open in the child (it is close-on-exec).
  const std::filesystem::path& executable() const { return keeper_exec_path_; }
  int keeper_fd() const { return keeper_fd_ ? keeper_fd_->get() : -1; }
  std::vector<std::string> arguments(const KeeperRequest& request) const;

 private:
  std::filesystem::path keeper_exec_path_;
  std::shared_ptr<ScopedFd> keeper_fd_;  // shared: a Sandbox is a copyable value
  std::string tier_ = "reduced";
};

}  // namespace ipcgrade
