#include "harness/checkers/shmcopy.h"

#include <filesystem>
#include <string>

#include <catch2/catch.hpp>

#include "harness/checkers/checker.h"
#include "harness/lab_spec.h"
#include "base/sha256.h"

using namespace ipcgrade;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

// Distinct, non-repeating bytes: position i holds a pseudo-random value, so
// any 16 bytes occur once (as the grader's generated binary input does).
std::string data(std::size_t n, std::uint32_t seed = 7) {
  std::string s(n, '\0');
  std::uint64_t x = 0x9e3779b97f4a7c15ULL * (seed + 1);
  for (std::size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s[i] = static_cast<char>(x >> 24);
  }
  return s;
}

CheckVerdict check(const std::string& in, const std::string& out,
                   std::vector<std::string> args = {}) {
  return check_shmcopy(CheckInput{in, out, std::move(args)});
}

}  // namespace

TEST_CASE("shmcopy accepts an exact copy of every size, 0 bytes included",
          "[harness][checkers][shmcopy]") {
  auto n = GENERATE(as<std::size_t>{}, 0, 1, 4096, 4097, 1 << 20);
  CAPTURE(n);
  std::string in = data(n);
  CheckVerdict v = check(in, in, {"4096"});
  CHECK(v.ok);
  CHECK(v.message.empty());
}

TEST_CASE("shmcopy is registered under its name", "[harness][checkers][shmcopy]") {
  const Checker* c = find_checker("shmcopy");
  REQUIRE(c != nullptr);
  CHECK(c->check == &check_shmcopy);
}

TEST_CASE("output for empty input is wrong and says the input was empty",
          "[harness][checkers][shmcopy]") {
  CheckVerdict v = check("", "x");
  REQUIRE_FALSE(v.ok);
  CHECK(v.kind == FindingKind::kWrongOutput);
  CHECK_THAT(v.message, Contains("input was empty"));
  CHECK_THAT(v.evidence, Contains("input 0 bytes, output 1 byte"));
}

TEST_CASE("no output for one byte of input is a copy that stops early",
          "[harness][checkers][shmcopy]") {
  CheckVerdict v = check("x", "");
  REQUIRE_FALSE(v.ok);
  CHECK(v.kind == FindingKind::kWrongOutput);
  CHECK_THAT(v.message, Contains("the last 1 byte is missing"));
  CHECK_THAT(v.message, Contains("the last, partial chunk"));
  CHECK_THAT(v.evidence, Contains("first difference at byte 0"));
}

TEST_CASE("losing the last partial chunk is named as such, with offset and lengths",
          "[harness][checkers][shmcopy]") {
  std::string in = data(8 * 4096 + 123);
  CheckVerdict v = check(in, in.substr(0, 8 * 4096), {"4096"});
  REQUIRE_FALSE(v.ok);
  CHECK(v.kind == FindingKind::kWrongOutput);
  CHECK_THAT(v.message, Contains("stops early"));
  CHECK_THAT(v.message, Contains("the last 123 bytes are missing"));
  CHECK_THAT(v.message, Contains("the last, partial chunk"));
  CHECK_THAT(v.evidence, Contains("input 32891 bytes, output 32768 bytes"));
  CHECK_THAT(v.evidence, Contains("first difference at byte 32768 (CHUNK 4096)"));
}

TEST_CASE("a copy that stops in the middle is a prefix, not the last chunk",
          "[harness][checkers][shmcopy]") {
  std::string in = data(100000);
  CheckVerdict v = check(in, in.substr(0, 5000), {"4096"});
  REQUIRE_FALSE(v.ok);
  CHECK_THAT(v.message, Contains("stops early"));
  CHECK_THAT(v.message, Contains("too soon"));
}

TEST_CASE("a skipped chunk is reported as a gap with where the copy goes on",
          "[harness][checkers][shmcopy]") {
  std::string in = data(5 * 1000);
  std::string out = in.substr(0, 2000) + in.substr(3000);
  CheckVerdict v = check(in, out, {"1000"});
  REQUIRE_FALSE(v.ok);
  CHECK_THAT(v.message, Contains("has a gap"));
  CHECK_THAT(v.message, Contains("1000 bytes of the input are skipped"));
  CHECK_THAT(v.message, Contains("from input byte 3000"));
  CHECK_THAT(v.evidence, Contains("first difference at byte 2000"));
}

TEST_CASE("a chunk written twice is reported as repeated data", "[harness][checkers][shmcopy]") {
  std::string in = data(5 * 1000);
  std::string out = in.substr(0, 2000) + in.substr(1000, 1000) + in.substr(2000);
  CheckVerdict v = check(in, out, {"1000"});
  REQUIRE_FALSE(v.ok);
  CHECK_THAT(v.message, Contains("repeats data"));
  CHECK_THAT(v.message, Contains("from offset 1000 again"));
}

TEST_CASE("the last chunk written again after the end is extra output that repeats input",
          "[harness][checkers][shmcopy]") {
  std::string in = data(3000);
  CheckVerdict v = check(in, in + in.substr(2000), {"1000"});
  REQUIRE_FALSE(v.ok);
  CHECK_THAT(v.message, Contains("then 1000 bytes more"));
  CHECK_THAT(v.message, Contains("written twice"));
}

TEST_CASE("bytes changed in place are reported as an overwritten buffer",
          "[harness][checkers][shmcopy]") {
  std::string in = data(10000);
  std::string out = in;
  std::string other = data(100, 99);
  out.replace(4000, 100, other);
  CheckVerdict v = check(in, out);
  REQUIRE_FALSE(v.ok);
  CHECK_THAT(v.message, Contains("differs from the input from byte 4000"));
  CHECK_THAT(v.message, Contains("overwrote the buffer"));
}

TEST_CASE("large streams carry both SHA-256 digests in the evidence, small ones do not",
          "[harness][checkers][shmcopy]") {
  std::string big = data(8 << 20);
  std::string damaged = big;
  damaged[5000000] = static_cast<char>(damaged[5000000] ^ 1);
  CheckVerdict v = check(big, damaged);
  REQUIRE_FALSE(v.ok);
  CHECK_THAT(v.evidence, Contains("first difference at byte 5000000"));
  CHECK_THAT(v.evidence, Contains("sha256 input " + sha256_hex(big)));
  CHECK_THAT(v.evidence, Contains("sha256 output " + sha256_hex(damaged)));

  CheckVerdict small = check("abc", "abd");
  REQUIRE_FALSE(small.ok);
  CHECK_THAT(small.evidence, !Contains("sha256"));
}

TEST_CASE("the chunk size for the advice defaults to 4096 without a CHUNK argument",
          "[harness][checkers][shmcopy]") {
  std::string in = data(4096 + 10);
  CheckVerdict v = check(in, in.substr(0, 4096));
  REQUIRE_FALSE(v.ok);
  CHECK_THAT(v.evidence, Contains("(CHUNK 4096)"));
  CHECK_THAT(v.message, Contains("the last, partial chunk"));
}

TEST_CASE("every shipped shm test judged by shmcopy passes at most a CHUNK argument",
          "[harness][checkers][shmcopy]") {
  const fs::path dir = fs::path(IPCGRADE_SOURCE_DIR) / "labs" / "shm";
  Result<LabSpec> lab = load_lab(dir);
  INFO(lab.status().message());
  REQUIRE(lab.ok());
  int judged = 0;
  for (const TestSpec& t : lab->tests) {
    if (t.expect.stdout_expect.kind != OutputExpect::Kind::kChecker ||
        t.expect.stdout_expect.value != "shmcopy") {
      continue;
    }
    CAPTURE(t.name);
    ++judged;
    CHECK(t.args.size() <= 1);
  }
  CHECK(judged >= 8);
}
