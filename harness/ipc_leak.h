// IPC leaks: after a run, find the shared-memory objects, semaphores,
// message queues and FIFOs the run left behind, report each, and remove it
// (the grader leaves nothing behind).
//
// Two sources, in order of trust:
//   1. The shim's records (shim_events.h, IpcEvent): an object recorded as
//      created that still exists *and is still the same object* (same inode
//      for POSIX objects and FIFOs; for System V the same id and key, not
//      present before the run, and for a segment created by a pid of the
//      run) is a leak. The records are hostile input, so a name is used
//      only after it has been checked to stay inside /dev/shm, and a FIFO
//      path only when it still is a FIFO with the recorded inode.
//   2. A backstop for objects created without the shim (static binaries):
//      snapshots of /dev/shm and /proc/sysvipc/{shm,msg} before and after
//      the run. Several runs may grade at once (-j), so the backstop blames
//      a run only for what it can prove is the run's: a new System V segment
//      whose creator pid (cpid) is a process of the run and whose creation
//      time falls in the run, a new message queue last used (lspid/lrpid)
//      by the run, a new /dev/shm entry only when the run had a uid of its
//      own. Semaphore sets carry no pid, so the backstop never blames them.
//      What it cannot prove is neither reported nor removed.
//
// Not thread-safe with respect to the objects it removes, by nature: call it
// once per run, after the run ended.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "harness/shim_events.h"

namespace ipcgrade {

struct IpcSnapshot {
  struct ShmFile {
    std::uint64_t ino = 0;
    uid_t uid = 0;
    std::int64_t ctime = 0;  // seconds
  };
  struct SysvObject {
    std::uint64_t key = 0;
    long cpid = 0;  // shm: creator; msg: 0
    long lspid = 0; // msg: last sender; shm: last attacher (lpid)
    long lrpid = 0; // msg: last receiver
    std::int64_t ctime = 0;
  };
  std::map<std::string, ShmFile> dev_shm;  // name in /dev/shm
  std::map<long, SysvObject> shm, sem, msg;  // by id
};

// Reads /dev/shm and /proc/sysvipc/{shm,sem,msg}. Missing sources give
// empty maps (a kernel without System V IPC).
IpcSnapshot take_ipc_snapshot(const std::string& dev_shm = "/dev/shm",
                              const std::string& sysvipc = "/proc/sysvipc");

// Parses one /proc/sysvipc table (its header line names the columns).
std::map<long, IpcSnapshot::SysvObject> parse_sysvipc_table(const std::string& text);

struct RunIdentity {
  std::set<long> pids;          // processes known to be the run's
  uid_t uid = 0;                // the uid the run's programs had
  bool uid_exclusive = false;   // no other run shares that uid
  std::int64_t started = 0;     // seconds, CLOCK_REALTIME
  std::int64_t ended = 0;
};

struct IpcLeak {
  std::string kind;      // shm, sem, mq, fifo, sysv-shm, sysv-sem, sysv-msg
  std::string name;      // "/x", a FIFO path, or "id 32769 (key 0x1234)"
  std::string prog;      // who created it, when known
  long pid = 0;
  bool from_backstop = false;
  bool removed = false;
  std::string remove_error;  // why it could not be removed
};

// Finds the leaks and removes them.
std::vector<IpcLeak> sweep_ipc_leaks(const std::vector<IpcEvent>& events,
                                     const IpcSnapshot& before, const IpcSnapshot& after,
                                     const RunIdentity& run,
                                     const std::string& dev_shm = "/dev/shm");

// One ipc-leak finding per object (capped), with what to change.
std::vector<Finding> ipc_leak_findings(const std::vector<IpcLeak>& leaks,
                                       const ObservationContext& context);

}  // namespace ipcgrade
