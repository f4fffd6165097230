#include "harness/builder.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "tests/harness/temp_dir.h"

using namespace ipcgrade;
namespace fs = std::filesystem;

namespace {
void write(const fs::path& p, const std::string& s) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << s;
}
}  // namespace

TEST_CASE("a submission is copied without symlinks or .git, and hashed by content",
          "[harness][builder]") {
  TempDir tmp;
  fs::path sub = tmp.path() / "sub";
  write(sub / "relay.c", "int main(void){return 0;}\n");
  write(sub / "src" / "util.c", "int x;\n");
  write(sub / ".git" / "config", "[core]\n");
  fs::create_symlink("/etc/passwd", sub / "secret");
  Result<std::string> h1 = copy_submission(sub, tmp.path() / "copy1");
  REQUIRE(h1.ok());
  CHECK(fs::exists(tmp.path() / "copy1" / "relay.c"));
  CHECK(fs::exists(tmp.path() / "copy1" / "src" / "util.c"));
  CHECK_FALSE(fs::exists(tmp.path() / "copy1" / ".git"));
  CHECK_FALSE(fs::exists(fs::symlink_status(tmp.path() / "copy1" / "secret")));
  Result<std::string> h2 = copy_submission(sub, tmp.path() / "copy2");
  REQUIRE(h2.ok());
  CHECK(h1.value() == h2.value());
  write(sub / "relay.c", "int main(void){return 1;}\n");
  Result<std::string> h3 = copy_submission(sub, tmp.path() / "copy3");
  CHECK(h3.value() != h1.value());
}

TEST_CASE("a submission over the copy limits is refused with a clear message",
          "[harness][builder]") {
  TempDir tmp;
  fs::path sub = tmp.path() / "big";
  for (int i = 0; i < 5; ++i) {
    write(sub / ("f" + std::to_string(i)), std::string(1000, 'x'));
  }
  CopyLimits limits;
  limits.max_files = 3;
  Result<std::string> r = copy_submission(sub, tmp.path() / "copy", limits);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kInvalidInput);
  CHECK_THAT(r.status().message(), Catch::Matchers::Contains("too large"));
  Result<std::string> missing = copy_submission(tmp.path() / "nope", tmp.path() / "c2");
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.status().message(), Catch::Matchers::Contains("not a directory"));
}

TEST_CASE("the first compiler errors are picked out of a build log", "[harness][builder]") {
  std::string log =
      "gcc -c relay.c\nrelay.c: In function 'main':\nrelay.c:3:10: error: 'x' undeclared\n"
      "make: *** [Makefile:4: relay] Error 1\n";
  std::string e = first_build_errors(log);
  CHECK_THAT(e, Catch::Matchers::Contains("relay.c:3:10: error: 'x' undeclared"));
  CHECK(e.find("In function") == std::string::npos);
}
