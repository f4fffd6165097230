// pingpong: judges the output of the signals lab's `pingpong N` (contract:
// shared/lab-contracts.md). A correct run prints exactly three lines, in
// this order:
//
//   child: N          the SIGUSR1 signals the child received
//   parent: N         the SIGUSR2 answers the parent received
//   child exited 0    the child's exit status, as the shell gives it
//
// N comes from the test's single argument. When the output is wrong the
// verdict says what the numbers mean in signal terms: fewer than N is a lost
// signal (signals of one kind do not queue), `child exited 138` is a child
// killed by SIGUSR1 (128 + 10) before its handler was installed or the
// signal blocked, and so on. Every verdict is `wrong-output`: a mistake that
// shows only on some schedules becomes `race` when the test's repetitions
// disagree (the judge does that, not the checker).
//
// A pure function of the output and the test's arguments; thread-safe.
#pragma once

#include "harness/checkers/checker.h"

namespace ipcgrade {

CheckVerdict check_pingpong(const CheckInput& input);

}  // namespace ipcgrade
