// shmcount: judges the output of `shmcount K N` (the shm lab). The only
// correct output is the one line `counter V\n` with V = K*N, K and N taken
// from the test's own arguments (so a test must pass exactly those two).
//
// A wrong value is explained by what it most likely means:
//   0 < V < K*N   additions were lost: two workers read the same value and
//                 both wrote value+1 (the lock missing, or not shared)
//                 -> `race`, with the number of lost updates;
//   V == 0        no addition reached the parent: the counter lives in
//                 private memory (malloc, the stack, MAP_PRIVATE)
//                 -> `wrong-output`;
//   V > K*N       more additions than asked (a worker that falls back into
//                 the fork loop) -> `wrong-output`.
// Anything that is not the one line is `wrong-output`. A test's `finding:`
// in lab.yaml, when set, replaces these kinds.
//
// A pure function of the output and the args; safe from any thread.
#pragma once

#include "harness/checkers/checker.h"

namespace ipcgrade {

CheckVerdict check_shmcount(const CheckInput& input);

}  // namespace ipcgrade
