#include "harness/shim_log_follower.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ipcgrade {
namespace fs = std::filesystem;

Result<std::unique_ptr<ShimLogFollower>> ShimLogFollower::start(const fs::path& log, Sink sink,
                                                                 std::chrono::milliseconds interval) {
  // O_NONBLOCK: should the path ever name a FIFO, a read must not wait.
  ScopedFd fd(::open(log.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (!fd.valid()) {
    return Status::Internal("cannot open the shim's log " + log.string() + " to follow it: " +
                            std::strerror(errno));
  }
  std::unique_ptr<ShimLogFollower> follower(
      new ShimLogFollower(std::move(fd), std::move(sink), interval));
  // The thread starts only once the object is complete and at its final
  // address (it is never moved: a unique_ptr owns it).
  follower->thread_ = std::thread(&ShimLogFollower::poll_loop, follower.get());
  return follower;
}

ShimLogFollower::ShimLogFollower(ScopedFd fd, Sink sink, std::chrono::milliseconds interval)
    : fd_(std::move(fd)), sink_(std::move(sink)), interval_(interval) {}

ShimLogFollower::~ShimLogFollower() { stop(); }

ShimLogFollower::Totals ShimLogFollower::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) {
    thread_.join();
  }
  return totals_;
}

void ShimLogFollower::poll_loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    read_available();
    lock.lock();
    wake_.wait_for(lock, interval_, [this] { return stopping_; });
  }
  lock.unlock();
  // The run is over: what the file holds now is all it will ever hold.
  read_available();
  if (!held_.empty() || skipping_) {
    ++totals_.malformed;  // a record without its newline was cut
    held_.clear();
    skipping_ = false;
  }
}

void ShimLogFollower::read_available() {
  char buf[65536];
  while (!totals_.capped && !totals_.failed) {
    const std::uint64_t room = kShimLogMaxBytes - totals_.bytes;
    if (room == 0) {
      totals_.capped = true;
      break;
    }
    const std::size_t want = room < sizeof buf ? static_cast<std::size_t>(room) : sizeof buf;
    ssize_t n = ::pread(fd_.get(), buf, want, static_cast<off_t>(offset_));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      totals_.failed = true;  // EIO and the like: the rest cannot be seen
      break;
    }
    if (n == 0) {
      break;  // caught up: the next poll reads what is appended meanwhile
    }
    offset_ += static_cast<std::uint64_t>(n);
    totals_.bytes += static_cast<std::uint64_t>(n);
    std::string_view bytes(buf, static_cast<std::size_t>(n));
    while (!bytes.empty() && !totals_.capped) {
      const std::size_t nl = bytes.find('\n');
      const std::string_view piece = bytes.substr(0, nl);
      if (skipping_) {
        // The rest of a line already too long to be a record.
      } else if (held_.size() + piece.size() > kShimRecordMaxBytes) {
        held_.clear();
        skipping_ = true;
      } else {
        held_.append(piece);
      }
      if (nl == std::string_view::npos) {
        break;  // the record's newline comes with a later read
      }
      bytes.remove_prefix(nl + 1);
      if (skipping_) {
        ++totals_.malformed;
        skipping_ = false;
      } else {
        take_line(held_);
        held_.clear();
      }
    }
  }
}

void ShimLogFollower::take_line(std::string_view line) {
  if (totals_.records >= kShimLogMaxRecords) {
    totals_.capped = true;
    return;
  }
  std::optional<ShimRecord> record = parse_shim_record(line);
  if (!record) {
    ++totals_.malformed;
    return;
  }
  ++totals_.records;
  if (sink_) {
    sink_(*record);
  }
}

}  // namespace ipcgrade
