// The keeper: one small process per run that owns everything a student's
// program starts, and reports how it ended.
//
// Theory of operation
// -------------------
// Three kinds of process take part in one run:
//
//   grader  ──(Boost.Process v2: stdin/stdout/stderr pipes, status pipe fd 3)──►
//   keeper  (`ipcgrade __keeper ...`: its own session, child subreaper)
//     └─ main (the student's program: own process group, rlimits, default
//              signal dispositions, empty mask, only fds 0-2)
//          └─ whatever main forks; anything orphaned is re-parented to the
//             keeper, never to init, because the keeper is a subreaper.
//
// Two pipes connect keeper and grader besides the student's stdio:
//   - the error pipe (keeper-internal, close-on-exec): main's set-up errors
//     (chdir, setrlimit, execve) travel back as an errno before exec;
//   - the status pipe (fd 3 in the keeper, never inherited by main): one
//     JSON object per line — {"event":"started"}, then exactly one
//     {"event":"ended",...} with the KeeperReport.
// The keeper redirects its own 0-2 to /dev/null right after forking main, so
// the grader sees EOF on stdout/stderr exactly when the student's processes
// have all closed them.
//
// The keeper waits for signals only (all blocked, taken with sigwaitinfo):
//   SIGCHLD  an exited child. Orphans adopted while main runs are reaped as
//            init would reap them. When main has exited, every other child of
//            the keeper was main's (or its descendants'): a zombie among them
//            is a child main never reaped; one still running after a short
//            grace is an orphan. Then the sweep.
//   SIGTERM  the grader asks the run to end now (timeout, output flood, hang);
//            also sent by the kernel if the grader dies (PR_SET_PDEATHSIG).
// The sweep SIGKILLs main's process group and every child of the keeper,
// reaps them, and repeats until the keeper has no child left: descendants of
// a killed process are re-parented to the keeper and caught in the next
// round, including ones that called setsid(). Then the keeper writes the
// report and exits 0. Nothing of the run outlives the keeper.
//
// The full tier (sandbox/namespaces.h) adds one process. The keeper the
// grader starts (the *outer* keeper) unshares the run's namespaces and forks
// the *inner* keeper, which is pid 1 of the new PID namespace, builds the
// sandbox's root and then does everything described above; main is pid 2.
//
//   grader ── outer keeper (host namespaces: own session; forwards the
//             │             grader's SIGTERM, exits when the inner does)
//             └─ inner keeper (pid 1, init and reaper of the run)
//                  └─ main (+ no_new_privs, no capabilities, seccomp)
//
// The outer keeper writes one line before anything else of the run:
// {"event":"sandbox","tier":"full","init_pid":P}, P being the inner
// keeper's pid as the grader sees it: the hang oracle walks the run's tasks
// from there. Pids in the report (main_pid, zombies, orphans) are the
// sandbox's own. A signal sent from inside the sandbox to pid 1 is ignored
// (si_pid != 0): only the grader, through the outer keeper, ends a run. When
// the inner keeper exits, the kernel kills whatever is left in the
// namespace, and the IPC namespace and /dev/shm go with it; so, before it
// exits, the inner keeper runs the epilogue it was given (the IPC leak sweep,
// harness/run_observer.h), inside the namespaces, and puts its result in the
// report under "inside".
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "sandbox/limits.h"
#include "sandbox/wait_status.h"

namespace ipcgrade {

// What the keeper must start. Serialised as the keeper's command line.
struct KeeperRequest {
  std::vector<std::string> argv;  // argv[0] is executed as given, from `cwd`
  std::filesystem::path cwd;
  Limits limits;                  // wall and output are the grader's business
  // The full tier (namespaces, seccomp, no capabilities); these three lists
  // are its file system (sandbox/namespaces.h), unused by the reduced tier.
  bool full_tier = false;
  std::vector<std::filesystem::path> writable;  // besides nothing: cwd must be here
  std::vector<std::filesystem::path> readable;
  std::vector<std::filesystem::path> hidden;
};

struct LeftoverProcess {
  int pid = 0;
  std::string command;  // /proc/PID/cmdline, spaces between words
};

struct KeeperReport {
  int main_pid = -1;
  // main could not be started: the errno of the failing set-up step.
  int setup_errno = 0;
  std::string setup_step;  // "execve", "chdir", "setrlimit", "drop privileges", "seccomp"
  std::optional<WaitStatus> status;  // how main ended
  bool stopped_on_request = false;   // ended by SIGTERM from the grader
  double user_seconds = 0;           // CPU of main and every descendant
  double system_seconds = 0;
  long max_rss_kib = 0;
  std::vector<LeftoverProcess> zombies;  // exited, never reaped by main
  std::vector<LeftoverProcess> orphans;  // still running after main ended
  std::string tier = "reduced";          // "full" when the outer keeper said so
  int init_pid = 0;                      // full tier: the inner keeper, grader's pid
  nlohmann::json inside;                 // full tier: what the epilogue returned
};

// What the epilogue of a full-tier run knows. It runs in the inner keeper
// after every process of the run was killed and reaped.
struct KeeperEpilogueContext {
  int main_pid = 0;            // as the sandbox numbers it
  std::int64_t started = 0;    // seconds (CLOCK_REALTIME) when main was started
  std::int64_t ended = 0;
};
using KeeperEpilogue = nlohmann::json (*)(const KeeperEpilogueContext&);

// The keeper's arguments after "__keeper" for `request`.
std::vector<std::string> keeper_arguments(const KeeperRequest& request);

// The keeper process's main(): argv as given after "__keeper". Returns the
// process exit code (0 when it reported; 70 when it could not even do that).
// `epilogue` (may be null) runs at the end of every full-tier run.
// `__keeper --probe` runs the capability probe instead (sandbox/capabilities.h).
int keeper_main(const std::vector<std::string>& args, KeeperEpilogue epilogue = nullptr);

// Parses the status pipe's bytes. An internal error if the keeper broke.
Result<KeeperReport> parse_keeper_status(const std::string& status_bytes);

}  // namespace ipcgrade
