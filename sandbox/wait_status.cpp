#include "sandbox/wait_status.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>

namespace ipcgrade {

WaitStatus WaitStatus::FromRaw(int raw) {
  if (WIFSIGNALED(raw)) {
    return Signaled(WTERMSIG(raw));
  }
  return Exited(WEXITSTATUS(raw));
}

std::string signal_name(int signal) {
  const char* abbrev = sigabbrev_np(signal);
  if (abbrev == nullptr) {
    return "signal " + std::to_string(signal);
  }
  return std::string("SIG") + abbrev;
}

std::string WaitStatus::ToString() const {
  if (exited()) {
    return "exited " + std::to_string(value_);
  }
  return "killed by " + signal_name(value_) + " (signal " + std::to_string(value_) + ")";
}

}  // namespace ipcgrade
