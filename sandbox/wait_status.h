// WaitStatus: how a process ended, as a value (never a raw `int status`).
// Either it exited with a code, or it was killed by a signal. shell_status()
// gives the contract's convention: the code, or 128+S for signal S.
#pragma once

#include <string>

namespace ipcgrade {

class WaitStatus {
 public:
  enum class Type { kExited, kSignaled };

  static WaitStatus Exited(int code) { return WaitStatus(Type::kExited, code); }
  static WaitStatus Signaled(int signal) { return WaitStatus(Type::kSignaled, signal); }
  // From the status word of waitpid()/wait4(); a stopped or continued status
  // is not an ending and must not be passed here.
  static WaitStatus FromRaw(int raw);

  Type type() const { return type_; }
  bool exited() const { return type_ == Type::kExited; }
  bool signaled() const { return type_ == Type::kSignaled; }
  int exit_code() const { return exited() ? value_ : -1; }
  int signal() const { return signaled() ? value_ : 0; }
  int shell_status() const { return exited() ? value_ : 128 + value_; }

  // "exited 3" or "killed by SIGPIPE (signal 13)".
  std::string ToString() const;

  bool operator==(const WaitStatus& o) const { return type_ == o.type_ && value_ == o.value_; }

 private:
  WaitStatus(Type type, int value) : type_(type), value_(value) {}
  Type type_;
  int value_;
};

// "SIGPIPE" for 13; "signal 77" for a number with no name.
std::string signal_name(int signal);

}  // namespace ipcgrade
