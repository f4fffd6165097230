// Sha256: the SHA-256 digest (FIPS 180-4), used to identify submissions and
// labs by content. Incremental: update() any number of times, then
// hex_digest() once. Not thread-safe; a value type.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/status.h"

namespace ipcgrade {

class Sha256 {
 public:
  Sha256();
  void update(std::string_view data);
  // Lowercase hex of the 32-byte digest. Call once.
  std::string hex_digest();

 private:
  void compress(const unsigned char block[64]);
  std::uint32_t h_[8];
  unsigned char buffer_[64];
  std::uint64_t length_ = 0;  // bytes hashed so far
  std::size_t buffered_ = 0;
};

std::string sha256_hex(std::string_view data);
// The digest of a file's bytes; an error names the file.
Result<std::string> sha256_file(const std::filesystem::path& path);

}  // namespace ipcgrade
