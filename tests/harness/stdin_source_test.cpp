#include "harness/stdin_source.h"

#include <catch2/catch.hpp>

using namespace ipcgrade;

TEST_CASE("generated input is the same for a seed and differs between seeds", "[harness][stdin]") {
  std::string a = generate_bytes(100003, 7, StdinSpec::Alphabet::kBinary);
  CHECK(a.size() == 100003);
  CHECK(a == generate_bytes(100003, 7, StdinSpec::Alphabet::kBinary));
  CHECK(a != generate_bytes(100003, 8, StdinSpec::Alphabet::kBinary));
  // A prefix of a longer input is the shorter input: sizes do not reshuffle.
  CHECK(generate_bytes(1000, 7, StdinSpec::Alphabet::kBinary) == a.substr(0, 1000));
}

TEST_CASE("generated text is lowercase words in newline-terminated lines", "[harness][stdin]") {
  std::string t = generate_bytes(5000, 3, StdinSpec::Alphabet::kText);
  REQUIRE(t.size() == 5000);
  CHECK(t.back() == '\n');
  for (char c : t) {
    CHECK(((c >= 'a' && c <= 'z') || c == ' ' || c == '\n'));
  }
}

TEST_CASE("shell quoting survives quotes and spaces", "[harness][stdin]") {
  CHECK(shell_quote("cat") == "cat");
  CHECK(shell_quote("exit 3") == "'exit 3'");
  CHECK(shell_quote("it's") == "'it'\\''s'");
  CHECK(shell_quote("") == "''");
  StdinSpec gen;
  gen.kind = StdinSpec::Kind::kGenerate;
  gen.bytes = 1048576;
  gen.seed = 7;
  CHECK(stdin_shell_command(gen) == "ipcgrade gen --bytes 1048576 --seed 7");
}
