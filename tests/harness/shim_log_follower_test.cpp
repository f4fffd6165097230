// The shim log follower (harness/shim_log_follower.h): records appended by
// another thread reach the sink while it still runs, a half-written record
// waits for its newline, and stop() hands over everything that is left.
#include "harness/shim_log_follower.h"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/scoped_fd.h"
#include "tests/harness/temp_dir.h"

using namespace ipcgrade;
using namespace std::chrono_literals;

namespace {

// What the sink saw, shared with the follower's thread.
class Seen {
 public:
  ShimLogFollower::Sink sink() {
    return [this](const ShimRecord& r) {
      std::lock_guard<std::mutex> lock(mu_);
      records_.push_back(r);
    };
  }
  std::vector<ShimRecord> records() {
    std::lock_guard<std::mutex> lock(mu_);
    return records_;
  }
  // Waits up to `limit` for at least n records.
  bool wait_for(std::size_t n, std::chrono::milliseconds limit = 3000ms) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (records().size() >= n) {
        return true;
      }
      std::this_thread::sleep_for(2ms);
    }
    return records().size() >= n;
  }

 private:
  std::mutex mu_;
  std::vector<ShimRecord> records_;
};

// Appends to the log as the shim does: O_APPEND, one write per call.
void append(const std::filesystem::path& log, const std::string& bytes) {
  ScopedFd fd(::open(log.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
  REQUIRE(fd.valid());
  REQUIRE(::write(fd.get(), bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
}

std::string record(int seq) {
  return "ev=eintr pid=42 tid=42 prog=relay t=" + std::to_string(1000 + seq) +
         " call=read fd=0 seq=" + std::to_string(seq) + "\n";
}

}  // namespace

TEST_CASE("records appended by another thread reach the sink while the run goes on",
          "[harness][shim_log_follower]") {
  TempDir dir;
  const auto log = dir.write("run.log", "");
  Seen seen;
  auto follower = ShimLogFollower::start(log, seen.sink(), 5ms);
  REQUIRE(follower.ok());

  constexpr int kRecords = 40;
  std::thread writer([&] {
    for (int i = 0; i < kRecords; ++i) {
      // Each record in two writes, the cut moving along the line: a poll
      // may land between them.
      const std::string r = record(i);
      const std::size_t cut = 1 + static_cast<std::size_t>(i) % (r.size() - 1);
      append(log, r.substr(0, cut));
      std::this_thread::sleep_for(1ms);
      append(log, r.substr(cut));
    }
  });
  // Live: the first records arrive before the writer is done and before stop().
  CHECK(seen.wait_for(1));
  writer.join();
  REQUIRE(seen.wait_for(kRecords));
  ShimLogFollower::Totals totals = follower.value()->stop();

  std::vector<ShimRecord> got = seen.records();
  REQUIRE(got.size() == static_cast<std::size_t>(kRecords));
  for (int i = 0; i < kRecords; ++i) {
    CAPTURE(i);
    // Whole records only, in the order written: a half-written one never
    // reached the sink.
    CHECK(got[i].event == "eintr");
    CHECK(got[i].prog == "relay");
    CHECK(got[i].monotonic_ns == static_cast<std::uint64_t>(1000 + i));
    CHECK(got[i].fields.at("fd") == "0");
    CHECK(got[i].fields.at("seq") == std::to_string(i));
  }
  CHECK(totals.records == static_cast<std::size_t>(kRecords));
  CHECK(totals.malformed == 0);
  CHECK_FALSE(totals.capped);
}

TEST_CASE("a record without its newline is held until the newline comes",
          "[harness][shim_log_follower]") {
  TempDir dir;
  const auto log = dir.write("run.log", "");
  Seen seen;
  auto follower = ShimLogFollower::start(log, seen.sink(), 2ms);
  REQUIRE(follower.ok());
  const std::string r = record(7);
  append(log, r.substr(0, r.size() - 1));  // all of it but the newline
  std::this_thread::sleep_for(60ms);        // many polls
  CHECK(seen.records().empty());
  append(log, "\n");
  REQUIRE(seen.wait_for(1));
  CHECK(seen.records().front().fields.at("seq") == "7");
  CHECK(follower.value()->stop().malformed == 0);
}

TEST_CASE("stop hands over everything appended since the last poll, and drops a cut tail",
          "[harness][shim_log_follower]") {
  TempDir dir;
  const auto log = dir.write("run.log", "");
  Seen seen;
  // A poll interval far longer than the test: only stop() can read these.
  auto follower = ShimLogFollower::start(log, seen.sink(), 60s);
  REQUIRE(follower.ok());
  std::this_thread::sleep_for(20ms);  // the first poll has found the file empty
  append(log, record(1) + record(2) + record(3) + "ev=eintr pid=42 prog=relay call=wri");
  ShimLogFollower::Totals totals = follower.value()->stop();
  std::vector<ShimRecord> got = seen.records();
  REQUIRE(got.size() == 3);
  CHECK(got[2].fields.at("seq") == "3");
  CHECK(totals.records == 3);
  CHECK(totals.malformed == 1);  // the record the writer never finished
  // Stopping again changes nothing and calls nothing.
  CHECK(follower.value()->stop().records == 3);
  CHECK(seen.records().size() == 3);
}

TEST_CASE("hostile lines in the log are skipped and counted, never held whole",
          "[harness][shim_log_follower]") {
  TempDir dir;
  const auto log = dir.write("run.log", "");
  Seen seen;
  auto follower = ShimLogFollower::start(log, seen.sink(), 2ms);
  REQUIRE(follower.ok());
  append(log, "garbage\n");
  append(log, std::string(3 * kShimRecordMaxBytes, 'x'));  // no newline yet
  std::this_thread::sleep_for(20ms);
  append(log, std::string(kShimRecordMaxBytes, 'y') + "\n" + record(5));
  ShimLogFollower::Totals totals = follower.value()->stop();
  REQUIRE(seen.records().size() == 1);
  CHECK(seen.records().front().fields.at("seq") == "5");
  CHECK(totals.malformed == 2);  // "garbage" and the over-long line
}

TEST_CASE("the follower stops and drains when it goes out of scope",
          "[harness][shim_log_follower]") {
  TempDir dir;
  const auto log = dir.write("run.log", "");
  Seen seen;
  {
    auto follower = ShimLogFollower::start(log, seen.sink(), 60s);
    REQUIRE(follower.ok());
    append(log, record(1) + record(2));
  }
  CHECK(seen.records().size() == 2);
}

TEST_CASE("a log that does not exist cannot be followed: the grader's error",
          "[harness][shim_log_follower]") {
  Seen seen;
  auto follower = ShimLogFollower::start("/nonexistent/ipcgrade/run.log", seen.sink());
  REQUIRE_FALSE(follower.ok());
  CHECK(follower.status().code() == Status::Code::kInternal);
}
