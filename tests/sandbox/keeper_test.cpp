#include "sandbox/keeper.h"

#include <catch2/catch.hpp>

using namespace ipcgrade;
using Catch::Matchers::Contains;

TEST_CASE("a keeper report is read back from its status lines", "[sandbox][keeper]") {
  std::string lines =
      "{\"event\":\"started\",\"pid\":42}\n"
      "{\"event\":\"ended\",\"pid\":42,\"setup_errno\":0,\"setup_step\":\"\","
      "\"stopped_on_request\":false,\"user_seconds\":0.5,\"system_seconds\":0.25,"
      "\"max_rss_kib\":1024,\"status\":{\"exited\":false,\"value\":13},"
      "\"zombies\":[{\"pid\":43,\"command\":\"[cat]\"}],\"orphans\":[]}\n";
  Result<KeeperReport> r = parse_keeper_status(lines);
  REQUIRE(r.ok());
  CHECK(r->main_pid == 42);
  REQUIRE(r->status.has_value());
  CHECK(*r->status == WaitStatus::Signaled(13));
  REQUIRE(r->zombies.size() == 1);
  CHECK(r->zombies[0].command == "[cat]");
  CHECK(r->user_seconds == 0.5);
}

TEST_CASE("a keeper that ended without a report is the grader's failure", "[sandbox][keeper]") {
  Result<KeeperReport> r = parse_keeper_status("{\"event\":\"started\",\"pid\":42}\n");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kInternal);
  Result<KeeperReport> garbage = parse_keeper_status("not json\n");
  REQUIRE_FALSE(garbage.ok());
  CHECK_THAT(garbage.status().message(), Contains("unreadable"));
}

TEST_CASE("the keeper's arguments carry the command after every limit", "[sandbox][keeper]") {
  KeeperRequest req;
  req.argv = {"./relay", "--", "cat"};
  req.cwd = "/tmp/x";
  std::vector<std::string> args = keeper_arguments(req);
  auto dashes = std::find(args.begin(), args.end(), "--");
  REQUIRE(dashes != args.end());
  CHECK(std::vector<std::string>(dashes + 1, args.end()) == req.argv);
  CHECK(keeper_main({}) == 70);  // no status descriptor: refuses to run
}
