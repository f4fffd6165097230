// Status and Result<T>: how errors cross module boundaries in ipcgrade.
//
// A Status is either ok or carries a Code and a message that names what went
// wrong and where (a file, a line, a field). The code says *whose* fault it
// is, which decides the grader's exit code:
//   kInvalidInput  the user's input is wrong (a lab.yaml, an argument, a
//                  database that is not ours): exit 2, never a crash.
//   kInternal      the grader itself broke (a broken invariant, the sandbox
//                  could not start, no disk space): exit 3, never a score.
// A student's program failing is *not* an error: it is a Finding.
//
// Status and Result are plain values; const methods may be called from any
// thread without synchronisation.
#pragma once

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace ipcgrade {

class Status {
 public:
  enum class Code { kOk, kInvalidInput, kInternal };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidInput(std::string message) {
    return Status(Code::kInvalidInput, std::move(message));
  }
  static Status Internal(std::string message) {
    return Status(Code::kInternal, std::move(message));
  }
  // An OS call failed on the grader's side: "context: strerror(err)".
  static Status FromErrno(const std::string& context, int err) {
    return Status(Code::kInternal, context + ": " + std::strerror(err));
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // Prefixes the message with more context ("loading labs/pipes: ...").
  Status WithContext(const std::string& context) const {
    if (ok()) {
      return *this;
    }
    return Status(code_, context + ": " + message_);
  }

  std::string ToString() const {
    switch (code_) {
      case Code::kOk:
        return "ok";
      case Code::kInvalidInput:
        return "invalid input: " + message_;
      case Code::kInternal:
        return "internal error: " + message_;
    }
    return message_;
  }

 private:
  Status(Code code, std::string message)
      : code_(code), message_(std::move(message)) {}

  Code code_ = Code::kOk;
  std::string message_;
};

// Either a value or a non-ok Status.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace ipcgrade
