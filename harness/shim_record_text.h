// The words for one shim record: what a student reads when `ipcgrade repro`
// shows a run's injections and observations as they happen
// ("read(fd 3) failed with EINTR (injected, 1 of at most 3 in a row)").
//
// One sentence per record kind the shim writes (harness/shim/: eintr,
// short-io, stall, perturb-summary, perturb, busy-wait, signal-unsafe,
// not-pshared, fd-leak, exec-failed, ipc-create, ipc-remove); records of
// any other event, or missing what their sentence needs, give nullopt (the
// log is hostile input: the program may write into it). Every string taken
// from a record is made printable and cut short. The pid, program name and
// time are left to the caller.
//
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "harness/shim_events.h"

namespace ipcgrade {

struct RecordWording {
  // For a hidden test: leave out the names a record carries that could tell
  // what the test runs (the program an exec starts, IPC object names and
  // FIFO paths, mapped files). What was injected or observed stays.
  bool hide_names = false;
};

std::optional<std::string> describe_shim_record(const ShimRecord& record,
                                                const RecordWording& wording = {});

}  // namespace ipcgrade
