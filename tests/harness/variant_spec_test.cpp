#include "harness/variant_spec.h"

#include <catch2/catch.hpp>

#include "tests/harness/temp_dir.h"

using namespace ipcgrade;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
namespace fs = std::filesystem;

namespace {

// A lab with two tests, loaded from `tmp`/lab.
LabSpec write_lab(const TempDir& tmp) {
  tmp.write("lab/lab.yaml",
            "lab: demo\n"
            "title: Demo\n"
            "programs: [{name: relay}]\n"
            "tests:\n"
            "  - {name: relay-cat-1byte, program: relay}\n"
            "  - {name: relay-head-epipe, program: relay}\n");
  Result<LabSpec> lab = load_lab(tmp.path() / "lab");
  INFO(lab.status().message());
  REQUIRE(lab.ok());
  return *lab;
}

}  // namespace

TEST_CASE("a lab without a buggy folder has no variants",
          "[harness][variant_spec]") {
  TempDir tmp;
  const LabSpec lab = write_lab(tmp);
  Result<std::vector<VariantSpec>> variants = load_variants(lab);
  REQUIRE(variants.ok());
  CHECK(variants->empty());
}

TEST_CASE("variants load in folder-name order with every field",
          "[harness][variant_spec]") {
  TempDir tmp;
  const LabSpec lab = write_lab(tmp);
  tmp.write("lab/buggy/write-end-open/variant.yaml",
            "description: \"the child keeps the pipe's write end open\"\n"
            "finding: eof-hang\n"
            "caught_by: [relay-cat-1byte]\n"
            "interim_finding: timeout\n"
            "pending: \"needs the hang oracle\"\n");
  tmp.write("lab/buggy/write-end-open/relay.c",
            "int main(void) { return 0; }\n");
  tmp.write("lab/buggy/no-epipe/variant.yaml",
            "description: dies of SIGPIPE\n"
            "finding: sigpipe\n");
  tmp.write("lab/buggy/README.md", "plain files here are not variants\n");

  Result<std::vector<VariantSpec>> variants = load_variants(lab);
  INFO(variants.status().message());
  REQUIRE(variants.ok());
  REQUIRE(variants->size() == 2);

  const VariantSpec& first = (*variants)[0];
  CHECK(first.name == "no-epipe");
  CHECK(first.dir == lab.dir / "buggy" / "no-epipe");
  CHECK(first.description == "dies of SIGPIPE");
  CHECK(first.finding == FindingKind::kSigpipe);
  CHECK(first.caught_by.empty());
  CHECK_FALSE(first.interim_finding.has_value());
  CHECK(first.pending.empty());

  const VariantSpec& second = (*variants)[1];
  CHECK(second.name == "write-end-open");
  CHECK(second.description == "the child keeps the pipe's write end open");
  CHECK(second.finding == FindingKind::kEofHang);
  CHECK(second.caught_by == std::vector<std::string>{"relay-cat-1byte"});
  CHECK(second.interim_finding == FindingKind::kTimeout);
  CHECK(second.pending == "needs the hang oracle");
}

TEST_CASE(
    "every malformed variant.yaml is reported with its file, line and field",
    "[harness][variant_spec]") {
  auto [yaml, line, field,
        problem] = GENERATE(table<std::string, int, std::string, std::string>({
      {"finding: eof-hang\n", 1, "", "missing required field 'description'"},
      {"description: d\n", 1, "", "missing required field 'finding'"},
      {"description: d\nfinding: eof-hnag\n", 2, "finding",
       "unknown finding kind 'eof-hnag' (did you mean 'eof-hang'?)"},
      {"description: d\nfinding: eof-hang\ncaught_by: [relay-cat-1bite]\n", 3,
       "caught_by[0]",
       "lab 'demo' has no test called 'relay-cat-1bite' (did you mean "
       "'relay-cat-1byte'?)"},
      {"description: d\nfinding: eof-hang\ncaught_by: relay-cat-1byte\n", 3,
       "caught_by", "expected a list, got 'relay-cat-1byte'"},
      {"description: d\nfinding: eof-hang\ninterim_finding: slow\n", 3,
       "interim_finding", "unknown finding kind 'slow'"},
      {"description: d\nfinding: eof-hang\npending: [a]\n", 3, "pending",
       "expected text, got a list"},
      {"description: d\nfinding: eof-hang\ncaugt_by: []\n", 3, "",
       "unknown field 'caugt_by' (did you mean 'caught_by'?)"},
      {"description: \"\"\nfinding: eof-hang\n", 1, "description",
       "must not be empty"},
      {"description:\nfinding: eof-hang\n", 1, "description",
       "expected text, got nothing"},
      {"- description: d\n", 1, "", "expected a map of fields"},
      {"", 1, "", "the file is empty"},
      {"description: [d\n", 2, "", "YAML syntax error"},
  }));
  CAPTURE(yaml);
  TempDir tmp;
  const LabSpec lab = write_lab(tmp);
  tmp.write("lab/buggy/a-fine-one/variant.yaml",
            "description: d\nfinding: race\n");
  tmp.write("lab/buggy/broken/variant.yaml", yaml);

  Result<std::vector<VariantSpec>> variants = load_variants(lab);
  REQUIRE_FALSE(variants.ok());
  CHECK(variants.status().code() == Status::Code::kInvalidInput);
  const std::string where =
      (lab.dir / "buggy" / "broken" / "variant.yaml").string() + ":" +
      std::to_string(line) + ":";
  CHECK_THAT(variants.status().message(), StartsWith(where));
  if (!field.empty()) {
    CHECK_THAT(variants.status().message(),
               StartsWith(where + " " + field + ": "));
  }
  CHECK_THAT(variants.status().message(), Contains(problem));
}

TEST_CASE("a variant folder without variant.yaml is an error naming the folder",
          "[harness][variant_spec]") {
  TempDir tmp;
  const LabSpec lab = write_lab(tmp);
  tmp.write("lab/buggy/undeclared/relay.c", "int main(void) { return 1; }\n");
  Result<std::vector<VariantSpec>> variants = load_variants(lab);
  REQUIRE_FALSE(variants.ok());
  CHECK(variants.status().code() == Status::Code::kInvalidInput);
  CHECK_THAT(variants.status().message(),
             StartsWith((lab.dir / "buggy" / "undeclared").string() + ": "));
  CHECK_THAT(variants.status().message(), Contains("needs a variant.yaml"));
}

TEST_CASE("a buggy entry that is a file, not a folder, is an error",
          "[harness][variant_spec]") {
  TempDir tmp;
  const LabSpec lab = write_lab(tmp);
  tmp.write("lab/buggy", "oops\n");
  Result<std::vector<VariantSpec>> variants = load_variants(lab);
  REQUIRE_FALSE(variants.ok());
  CHECK_THAT(variants.status().message(),
             StartsWith((lab.dir / "buggy").string() + ": expected a folder"));
}

TEST_CASE("the shipped pipes lab's variants load", "[harness][variant_spec]") {
  const fs::path dir = fs::path(IPCGRADE_SOURCE_DIR) / "labs" / "pipes";
  REQUIRE(fs::exists(dir / "lab.yaml"));
  Result<LabSpec> lab = load_lab(dir);
  INFO(lab.status().message());
  REQUIRE(lab.ok());
  Result<std::vector<VariantSpec>> variants = load_variants(*lab);
  INFO(variants.status().message());
  REQUIRE(variants.ok());
}
