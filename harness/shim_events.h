// Shim events: what the preloaded library (harness/shim/) recorded during
// one run, read back from its log and turned into findings.
//
// The log is one record per line, written by harness/shim/shim_log.c:
//   ev=<event> pid=<pid> tid=<tid> prog=<name> t=<ns> <key>=<value>...
// with values %XX-escaped (t, CLOCK_MONOTONIC when written, may be absent). It is HOSTILE input: the student's program can
// write into the same file. So reading is capped (kShimLogMaxBytes, and
// kShimLogMaxRecords records), a line that does not parse is skipped and
// counted, every number is range-checked, and nothing read here can make the
// grader touch a file outside the objects the events name (see ipc_leak.h
// for how those are checked before anything is removed).
//
// Events (one struct each, below): signal-unsafe, not-pshared, fd-leak (with
// exec-failed withdrawing an attempt), ipc-create/ipc-remove, eintr (written
// by the EINTR fault), busy-wait (written by the stall fault). Unknown events are kept as records and ignored.
// With the fault plan's `trace` item (only `ipcgrade repro` asks for it) the
// shim also writes short-io, stall and perturb-summary records: grading
// ignores them, harness/shim_record_text.h words them.
//
// All functions are pure except read_shim_log (reads a file) and
// addr2line_symbolizer (runs addr2line under the sandbox). Thread-compatible.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "harness/finding.h"
#include "sandbox/sandbox.h"

namespace ipcgrade {

inline constexpr std::size_t kShimLogMaxBytes = 4 << 20;
inline constexpr std::size_t kShimLogMaxRecords = 20000;
inline constexpr std::size_t kShimRecordMaxBytes = 2048;

struct ShimRecord {
  std::string event;
  long pid = 0;
  long tid = 0;
  std::string prog;
  std::uint64_t monotonic_ns = 0;             // t=: when written; 0 if not given
  std::map<std::string, std::string> fields;  // unescaped values
  bool truncated = false;                      // the shim cut it (trunc=1)
};

struct ShimLog {
  std::vector<ShimRecord> records;
  std::size_t malformed_lines = 0;  // skipped
  bool capped = false;              // bytes or records beyond the caps ignored
};

// Parses the log's bytes; never fails (bad lines are skipped and counted).
ShimLog parse_shim_log(std::string_view bytes);

// Parses one record: a line without its newline; nullopt if it does not
// parse (longer than kShimRecordMaxBytes, a bad field, no ev/pid/prog).
// parse_shim_log's parser, for readers that take the log a piece at a time
// (shim_log_follower.h).
std::optional<ShimRecord> parse_shim_record(std::string_view line);

// Reads at most kShimLogMaxBytes of the file (not following a symlink) and
// parses it. An internal error if the file cannot be opened: the grader
// created it, so its absence is the grader's failure.
Result<ShimLog> read_shim_log(const std::filesystem::path& path);

struct SignalUnsafeEvent {
  long pid = 0;
  std::string prog;
  std::string func;  // printf, malloc...
  int sig = 0;
  std::optional<std::uint64_t> handler_off;  // in the executable (addr2line)
};

struct NotPsharedEvent {
  long pid = 0;
  std::string prog;
  std::string what;  // mutex, cond, rwlock, barrier, semaphore
  std::uint64_t addr = 0;
  std::string map;   // the mapping's path, or "anonymous"
};

struct FdLeakEvent {
  long pid = 0;
  std::string prog;
  int fd = -1;
  std::string target;  // what /proc/PID/fd/N pointed to: pipe:[123], a path
  std::string exec;    // the program being exec'd, as the call named it
};

struct IpcEvent {
  bool create = true;  // ipc-create or ipc-remove
  long pid = 0;
  std::string prog;
  std::string kind;  // shm, sem, mq, fifo, sysv-shm, sysv-sem, sysv-msg
  std::string name;  // POSIX name ("/x") or, for a FIFO, its absolute path
  std::optional<long> id;              // SysV
  std::optional<std::uint64_t> key;    // SysV
  std::optional<std::uint64_t> ino;    // POSIX objects and FIFOs
};

struct EintrEvent {
  long pid = 0;
  std::string prog;
  std::string call;    // read, write, waitpid, sem_wait...
  std::string target;  // "fd=3", "pid=123", "sem=0x..." (the call's object)
};

// Written by the stall fault (harness/shim/shim_stall.c): while `prog`
// (pid) paused before waking `waiter_pid`, a task of that process stayed
// runnable for most of the pause.
struct BusyWaitEvent {
  long pid = 0;
  std::string prog;     // the stalling program
  std::string call;     // kill, pthread_mutex_unlock
  long waiter_pid = 0;
  long waiter_tid = 0;
  std::string waiter;   // its comm
  long runnable_us = 0;
  long stall_us = 0;
};

struct ShimEvents {
  std::vector<SignalUnsafeEvent> signal_unsafe;
  std::vector<NotPsharedEvent> not_pshared;
  std::vector<FdLeakEvent> fd_leaks;  // failed exec attempts already removed
  std::vector<IpcEvent> ipc;          // in log order
  std::vector<EintrEvent> eintr;
  std::vector<BusyWaitEvent> busy_waits;
  std::set<long> pids;                // every pid that wrote a record
  std::size_t malformed = 0;          // malformed lines and events
};

// Types the records; a record of a known event with missing or bad fields
// is counted as malformed and dropped.
ShimEvents classify_shim_events(const ShimLog& log);

// Names the code at `offset` of executable `exe`: "on_usr1 (pingpong.c:42)",
// or nullopt. A seam: tests pass a fake.
using Symbolizer =
    std::function<std::optional<std::string>(const std::filesystem::path& exe, std::uint64_t offset)>;

// Runs `addr2line -f -e EXE 0xOFF` under the sandbox, with small limits.
Symbolizer addr2line_symbolizer(const Sandbox& sandbox);

struct ObservationContext {
  std::string test;
  std::string program;  // the test's program
  std::string repro;
  std::filesystem::path build_dir;  // where the student's executables are
  Symbolizer symbolize;             // may be empty
};

// Findings for signal-unsafe, not-pshared (kind race) and fd-leak events,
// one per program and cause (a handler, a kind of object, a program that
// execs), with evidence capped to a few lines. Events from programs that
// are not in build_dir are ignored (the shim logs only student programs).
std::vector<Finding> observation_findings(const ShimEvents& events,
                                          const ObservationContext& context);

// "EINTR injected into read (fd=3) in relay (pid 12); ..." for up to `max`
// injections, and how many more; empty when there were none. For findings
// that want to name "the injected EINTR and the call it hit".
std::string describe_eintr_injections(const ShimEvents& events, std::size_t max = 3);


}  // namespace ipcgrade
