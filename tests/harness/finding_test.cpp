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
