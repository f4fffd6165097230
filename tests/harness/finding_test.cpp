#include "harness/finding.h"

#include <catch2/catch.hpp>

using namespace ipcgrade;

TEST_CASE("every finding kind round-trips through its public name", "[harness]") {
  REQUIRE(all_finding_kinds().size() == 17);
  for (FindingKind k : all_finding_kinds()) {
    auto parsed = parse_finding_kind(to_string(k));
    REQUIRE(parsed.has_value());
    CHECK(*parsed == k);
  }
  CHECK(to_string(FindingKind::kEofHang) == "eof-hang");
  CHECK_FALSE(parse_finding_kind("segfault").has_value());
}

TEST_CASE("merging keeps the judge's finding first and drops a second one of the same kind",
          "[harness][finding]") {
  Finding judge;
  judge.kind = FindingKind::kFdLeak;
  judge.test = "t";
  judge.program = "pipeline";
  Finding seen = judge;
  seen.evidence = "pid 1 exec'd cat";
  Finding other = judge;
  other.kind = FindingKind::kSignalUnsafe;
  std::vector<Finding> all = {judge};
  merge_findings(all, {seen, other, other});
  REQUIRE(all.size() == 2);
  CHECK(all[0].kind == FindingKind::kFdLeak);
  CHECK(all[0].evidence.empty());
  CHECK(all[1].kind == FindingKind::kSignalUnsafe);
}
