// reaper: judges the output of the signals lab's `reaper K` (contract:
// shared/lab-contracts.md). A correct run prints exactly one line,
//
//   reaped K sum S
//
// where K is the test's single argument and S = sum over i < K of (i % 256),
// the exit statuses of children 0..K-1. A short count is explained in terms
// of SIGCHLD coalescing (a handler that reaps one child per signal loses the
// children whose signals merged); a wrong sum with the right count points at
// the status decoding (the raw waitpid word instead of WEXITSTATUS).
//
// A pure function of the output and the test's arguments; thread-safe.
#pragma once

#include <cstdint>

#include "harness/checkers/checker.h"

namespace ipcgrade {

CheckVerdict check_reaper(const CheckInput& input);

// The sum of the exit statuses of children 0..k-1 (child i exits i % 256).
std::uint64_t reaper_expected_sum(std::uint64_t k);

}  // namespace ipcgrade
