#include "sandbox/sandbox.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace ipcgrade {

Result<Sandbox> Sandbox::probe(const std::filesystem::path& keeper_binary) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(keeper_binary, ec) ||
      ::access(keeper_binary.c_str(), X_OK) != 0) {
    return Status::Internal("the keeper binary " + keeper_binary.string() +
                            " is missing or not executable");
  }
  Sandbox s;
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

std::vector<std::string> Sandbox::arguments(const KeeperRequest& request) const {
  std::vector<std::string> args = {"__keeper"};
  std::vector<std::string> rest = keeper_arguments(request);
  args.insert(args.end(), rest.begin(), rest.end());
  return args;
}

}  // namespace ipcgrade
