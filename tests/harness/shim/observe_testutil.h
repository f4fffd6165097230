// Test support for the shim's observations: runs a fixture of fixtures/
// with the shim preloaded, a fresh empty log (IPCGRADE_LOG) and the
// fixture's folder as the student's folder (IPCGRADE_STUDENT_DIR), and
// returns how it ran and the events it logged. Header-only.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "harness/shim_events.h"
#include "tests/harness/shim/shim_testutil.h"

namespace ipcgrade::observe_testutil {

struct ObservedRun {
  shim_testutil::CapturedRun run;
  ShimLog log;
  ShimEvents events;
};

inline ObservedRun run_observed(const std::string& fixture, std::vector<std::string> args,
                                const std::string& faults = "") {
  std::string exe = shim_testutil::fixture_path(fixture);
  char tmpl[] = "/tmp/ipcgrade-observe-XXXXXX";
  int fd = mkstemp(tmpl);
  REQUIRE(fd >= 0);
  ::close(fd);
  std::string log_path = tmpl;
  shim_testutil::RunRequest request;
  request.argv = {exe};
  request.argv.insert(request.argv.end(), args.begin(), args.end());
  request.env = {{"LD_PRELOAD", shim_testutil::shim_path()},
                 {"IPCGRADE_LOG", log_path},
                 {"IPCGRADE_STUDENT_DIR", std::filesystem::path(exe).parent_path().string()}};
  if (!faults.empty()) {
    request.env["IPCGRADE_FAULTS"] = faults;
  }
  ObservedRun out;
  out.run = shim_testutil::run_captured(request);
  Result<ShimLog> log = read_shim_log(log_path);
  ::unlink(log_path.c_str());
  REQUIRE(log.ok());
  out.log = log.value();
  out.events = classify_shim_events(out.log);
  return out;
}

}  // namespace ipcgrade::observe_testutil
