#include "harness/checkers/checker.h"

#include "harness/run_judge.h"

#include "harness/checkers/fd_list.h"
#include "harness/checkers/pingpong.h"
#include "harness/checkers/reaper.h"
#include "harness/checkers/shmcopy.h"
#include "harness/checkers/shmcount.h"
#include "harness/checkers/prodcons.h"

namespace ipcgrade {

const std::vector<Checker>& all_checkers() {
  static const std::vector<Checker> checkers = {
      {"fd-list",
       "`ls /proc/self/fd` output: only 0, 1, 2 and ls's own directory "
       "descriptor; any other number is a leaked descriptor (fd-leak)",
       &check_fd_list},
      {"pingpong",
       "the signals lab's `pingpong N`: exactly `child: N`, `parent: N`, `child exited 0` "
       "in that order; explains lost signals and a child killed before it was ready",
       &check_pingpong},
      {"reaper",
       "the signals lab's `reaper K`: exactly `reaped K sum S`, S the sum of i % 256 for "
       "i < K; explains a short count (coalesced SIGCHLD) and a raw status sum",
       &check_reaper},
      {"prodcons",
       "`prodcons P C N CAP` output: `j x` lines whose items are exactly 0..P*N-1, each "
       "producer's items in increasing order within each consumer (FIFO), then `done P*N`",
       &check_prodcons},
      {"shmcount",
       "the shm lab's `shmcount K N`: exactly `counter K*N`; a smaller value is lost "
       "updates (race), 0 is a counter in private memory",
       &check_shmcount},
      {"shmcopy",
       "the shm lab's `shmcopy [CHUNK]`: stdout byte for byte stdin; says where it differs "
       "and whether the copy stops early (the last partial chunk), has a gap or repeats a chunk",
       &check_shmcopy},
  };
  return checkers;
}

const Checker* find_checker(std::string_view name) {
  for (const Checker& c : all_checkers()) {
    if (c.name == name) {
      return &c;
    }
  }
  return nullptr;
}

std::optional<std::uint64_t> parse_count(std::string_view s, std::uint64_t max) {
  if (s.empty() || s.size() > 19) {
    return std::nullopt;
  }
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v > max) {
    return std::nullopt;
  }
  return v;
}

std::string quoted(std::string_view s, std::size_t max) {
  std::string text = printable_excerpt(std::string(s.substr(0, max)), 4 * max);
  return "\"" + text + (s.size() > max ? "..." : "") + "\"";
}

}  // namespace ipcgrade
