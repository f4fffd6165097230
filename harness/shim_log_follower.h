// ShimLogFollower: reads one run's shim log (IPCGRADE_LOG, see
// harness/shim/shim_log.h) while the run goes on, and hands every complete
// record to a callback soon after the shim appended it. It is the live view
// of `ipcgrade repro`; grading itself reads each log once, after the run
// (run_observer.h), and never starts one.
//
// Theory of operation. Three parties touch the log. The run's processes
// append to it: the shim writes each record with one write(2) on an
// O_APPEND descriptor, so records never interleave, but a reader of a
// regular file does not wait for a write in progress and can see the first
// part of a record before the rest. The follower's own thread polls: every
// `interval` it reads whatever lies past the byte offset it reached, cuts
// it at newlines, parses each complete line with shim_events.h's
// parse_shim_record and calls the sink; the bytes after the last newline
// are held until the rest arrives. The thread that made the follower calls
// stop() once the run is over (the sandbox has then ended every process of
// it, so nothing more can be appended): the polling thread reads one last
// time, hands over everything that is left, and exits; stop() joins it. A
// held tail that never got its newline is a record the shim did not finish
// (a process killed mid-write, or the student's own bytes): counted as
// malformed and dropped, as parse_shim_log does.
//
// The log is hostile input (the program knows IPCGRADE_LOG and may write
// into it), so the follower keeps parse_shim_log's caps: at most
// kShimLogMaxBytes read and kShimLogMaxRecords records handed over, and a
// line longer than kShimRecordMaxBytes is skipped without being held.
//
// Threads: start(), stop() and the destructor are called by one owning
// thread. The sink runs on the follower's thread, one record at a time, and
// never after stop() has returned; it must not throw. The destructor stops
// (drains and joins).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/scoped_fd.h"
#include "base/status.h"
#include "harness/shim_events.h"

namespace ipcgrade {

class ShimLogFollower {
 public:
  using Sink = std::function<void(const ShimRecord&)>;

  // Between two polls: short enough that a line appears while the run is
  // still visibly doing what it shows, long enough to cost nothing.
  static constexpr std::chrono::milliseconds kDefaultInterval{25};

  struct Totals {
    std::size_t records = 0;    // handed to the sink
    std::size_t malformed = 0;  // complete lines that did not parse, and a cut tail
    std::uint64_t bytes = 0;    // read from the log
    bool capped = false;        // a cap was reached: the rest was ignored
    bool failed = false;        // a read failed (EIO...): the rest was not seen
  };

  // Opens `log` (it must exist: RunObserver creates it before the run; a
  // symlink is refused) and starts the polling thread. An internal error
  // if the file cannot be opened.
  static Result<std::unique_ptr<ShimLogFollower>> start(
      const std::filesystem::path& log, Sink sink,
      std::chrono::milliseconds interval = kDefaultInterval);

  ShimLogFollower(const ShimLogFollower&) = delete;
  ShimLogFollower& operator=(const ShimLogFollower&) = delete;
  ~ShimLogFollower();

  // Reads and hands over what is left, then joins the thread. Idempotent;
  // the totals are final once it returned.
  Totals stop();

 private:
  ShimLogFollower(ScopedFd fd, Sink sink, std::chrono::milliseconds interval);

  void poll_loop();
  // One pass: everything past offset_ (follower thread only).
  void read_available();
  void take_line(std::string_view line);

  ScopedFd fd_;
  Sink sink_;
  std::chrono::milliseconds interval_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;

  // Owned by the polling thread until it is joined.
  std::uint64_t offset_ = 0;
  std::string held_;        // the start of a record whose newline is still to come
  bool skipping_ = false;   // inside an over-long line: drop up to its newline
  Totals totals_;
};

}  // namespace ipcgrade
