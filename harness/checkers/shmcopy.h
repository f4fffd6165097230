// shmcopy: judges the output of `shmcopy [CHUNK]` (the shm lab): stdout must
// be byte for byte the test's stdin. On a mismatch the verdict says where
// the copy went wrong and how, in the lab's terms:
//   - the first differing offset, both lengths, and (above 64 KiB) the
//     SHA-256 of both streams, to compare with `sha256sum`;
//   - the shape of the damage: the output stops early (a prefix: the end of
//     data came too soon, often the last, partial chunk never handed over),
//     goes on after the end, has a gap (input bytes skipped, then the copy
//     resumes), repeats earlier bytes (a chunk written twice), or differs
//     (the buffer refilled before the child wrote it out).
// The kind is always `wrong-output`; a test's `finding:` in lab.yaml names
// the cause its faults point at (short-io, eintr, race).
//
// CHUNK is read from the test's args only to phrase the advice (default
// 4096). A pure function of its input; safe from any thread.
#pragma once

#include "harness/checkers/checker.h"

namespace ipcgrade {

CheckVerdict check_shmcopy(const CheckInput& input);

}  // namespace ipcgrade
