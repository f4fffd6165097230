// prodcons: judges the stdout of `prodcons P C N CAP` (the prodcons lab,
// shared/lab-contracts.md). The output is not one fixed string: which
// consumer takes which item, and how the lines interleave, depend on the
// schedule. What does not depend on it, and is checked here:
//   - every line is `j x` (j a consumer index 0..C-1, x an integer), except
//     one final `done T` with T = P*N, which is the last line;
//   - the items printed are exactly {0, ..., P*N-1}, each once (the first
//     missing, duplicated and out-of-range items are named, with counts);
//   - within one consumer's lines, the items of one producer (x / N) are
//     increasing: producer i puts them in that order, a FIFO buffer hands
//     them out in that order, and a thread prints in the order it takes.
// Fields may be separated by runs of blanks and a line may end in "\r" or
// lack its final newline: none of that is what the lab teaches, and a
// stricter reading could only fail a program whose concurrency is right.
//
// The check is linear in the output and in P*N (one pass over the lines,
// one over the items), so outputs of hundreds of thousands of lines cost
// milliseconds. The args are the test's (P C N CAP); arguments the checker
// cannot read are reported as a fault of the lab, never as the student's.
#pragma once

#include "harness/checkers/checker.h"

namespace ipcgrade {

CheckVerdict check_prodcons(const CheckInput& input);

}  // namespace ipcgrade
