#include "base/scratch_dir.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <cerrno>
#include <vector>

namespace ipcgrade {

Result<ScratchDir> ScratchDir::create(const std::string& prefix) {
  const char* tmp = ::getenv("TMPDIR");
  std::filesystem::path base = (tmp != nullptr && *tmp != '\0') ? tmp : "/tmp";
  std::string pattern = (base / (prefix + "-XXXXXX")).string();
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) {
    return Status::FromErrno("cannot create a scratch directory under " + base.string(), errno);
  }
  return ScratchDir(std::filesystem::path(buf.data()));
}

ScratchDir::~ScratchDir() {
  if (path_.empty()) {
    return;
  }
  // A submission may have left directories without write or search
  // permission; give them back so everything can be removed.
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(
           path_, std::filesystem::directory_options::skip_permission_denied, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) {
      ::chmod(it->path().c_str(), 0700);
    }
  }
  ::chmod(path_.c_str(), 0700);
  std::filesystem::remove_all(path_, ec);
}

}  // namespace ipcgrade
