#include "base/sha256.h"

#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

using namespace ipcgrade;
using Catch::Matchers::Contains;

TEST_CASE("the digest of the empty message is the NIST value",
          "[base][sha256]") {
  CHECK(sha256_hex("") ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("the digest of 'abc' is the NIST value", "[base][sha256]") {
  CHECK(sha256_hex("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE(
    "the 448-bit message that forces a second padding block hashes correctly",
    "[base][sha256]") {
  CHECK(
      sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("one million 'a' fed in odd-size pieces gives the NIST digest",
          "[base][sha256]") {
  const std::string piece(997, 'a');
  Sha256 hasher;
  std::size_t left = 1000000;
  std::size_t sizes[] = {1, 63, 64, 65, 997, 7, 128};
  std::size_t i = 0;
  while (left > 0) {
    std::size_t n = std::min({sizes[i % 7], left, piece.size()});
    hasher.update(std::string_view(piece.data(), n));
    left -= n;
    ++i;
  }
  CHECK(hasher.hex_digest() ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE(
    "messages of every length around a block boundary hash the same whole or "
    "split",
    "[base][sha256]") {
  for (std::size_t len = 50; len <= 130; ++len) {
    std::string msg(len, 'x');
    for (std::size_t k = 0; k < len; ++k) {
      msg[k] = static_cast<char>('a' + (k * 7) % 26);
    }
    for (std::size_t split = 0; split <= len; split += 13) {
      CAPTURE(len, split);
      Sha256 hasher;
      hasher.update(std::string_view(msg).substr(0, split));
      hasher.update(std::string_view(msg).substr(split));
      CHECK(hasher.hex_digest() == sha256_hex(msg));
    }
  }
}

TEST_CASE("sha256_file hashes a file's bytes and names a missing file",
          "[base][sha256]") {
  char tmpl[] = "/tmp/ipcgrade-sha256-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  const std::filesystem::path dir = tmpl;

  SECTION("a file holding 'abc' has the digest of 'abc'") {
    const auto file = dir / "abc.txt";
    {
      std::ofstream out(file, std::ios::binary);
      out << "abc";
    }
    auto digest = sha256_file(file);
    REQUIRE(digest.ok());
    CHECK(*digest == sha256_hex("abc"));
  }

  SECTION("a file larger than the read buffer hashes like its content") {
    const auto file = dir / "big.bin";
    std::string content(200000, '\0');
    for (std::size_t k = 0; k < content.size(); ++k) {
      content[k] = static_cast<char>(k * 31 % 251);
    }
    {
      std::ofstream out(file, std::ios::binary);
      out.write(content.data(), static_cast<std::streamsize>(content.size()));
    }
    auto digest = sha256_file(file);
    REQUIRE(digest.ok());
    CHECK(*digest == sha256_hex(content));
  }

  SECTION("a missing file is an invalid-input error that names the path") {
    const auto file = dir / "no-such-file";
    auto digest = sha256_file(file);
    REQUIRE_FALSE(digest.ok());
    CHECK(digest.status().code() == Status::Code::kInvalidInput);
    CHECK_THAT(digest.status().message(), Contains(file.string()));
  }

  std::filesystem::remove_all(dir);
}
