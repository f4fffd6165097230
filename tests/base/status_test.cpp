#include "base/status.h"

#include <catch2/catch.hpp>

using ipcgrade::Result;
using ipcgrade::Status;

TEST_CASE("a default status is ok and an error keeps its code and message", "[base]") {
  CHECK(Status().ok());
  Status s = Status::InvalidInput("labs/x/lab.yaml:3: tests: must be a list");
  CHECK_FALSE(s.ok());
  CHECK(s.code() == Status::Code::kInvalidInput);
  CHECK(s.WithContext("loading lab").message() ==
        "loading lab: labs/x/lab.yaml:3: tests: must be a list");
}

TEST_CASE("a result holds either a value or the error that replaced it", "[base]") {
  Result<int> good(7);
  REQUIRE(good.ok());
  CHECK(*good == 7);
  Result<int> bad(Status::Internal("no disk"));
  CHECK_FALSE(bad.ok());
  CHECK(bad.status().code() == Status::Code::kInternal);
}
