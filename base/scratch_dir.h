// ScratchDir: a fresh private directory (mkdtemp, mode 0700) owned by one
// grading, removed with everything in it when the ScratchDir goes away.
// Submissions are copied and built here, never in place.
#pragma once

#include <filesystem>

#include "base/status.h"

namespace ipcgrade {

class ScratchDir {
 public:
  // Under $TMPDIR (or /tmp); `prefix` names what it is for.
  static Result<ScratchDir> create(const std::string& prefix);
  ScratchDir(ScratchDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  ScratchDir& operator=(ScratchDir&&) = delete;
  ScratchDir(const ScratchDir&) = delete;
  ~ScratchDir();

  const std::filesystem::path& path() const { return path_; }

 private:
  explicit ScratchDir(std::filesystem::path p) : path_(std::move(p)) {}
  std::filesystem::path path_;
};

}  // namespace ipcgrade
