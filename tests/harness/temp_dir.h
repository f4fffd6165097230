// TempDir: a fresh folder from mkdtemp for one test, removed with
// everything in it when the TempDir goes away. Tests write small lab
// folders into it.
#pragma once

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace ipcgrade {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/ipcgrade-test-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path_ = std::filesystem::canonical(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Writes `content` to path()/relative, creating the folders on the way.
  std::filesystem::path write(const std::string& relative,
                              std::string_view content) const {
    const std::filesystem::path file = path_ / relative;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    REQUIRE(out.good());
    return file;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace ipcgrade
