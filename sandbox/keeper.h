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
// A later full tier runs the keeper as init of fresh PID/IPC/mount/network
// namespaces; the protocol stays the same.
#pragma once

#include <filesystem>
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
};

struct LeftoverProcess {
  int pid = 0;
  std::string command;  // /proc/PID/cmdline, spaces between words
};

struct KeeperReport {
  int main_pid = -1;
  // main could not be started: the errno of the failing set-up step.
  int setup_errno = 0;
  std::string setup_step;  // "execve", "chdir", "setrlimit"
  std::optional<WaitStatus> status;  // how main ended
  bool stopped_on_request = false;   // ended by SIGTERM from the grader
  double user_seconds = 0;           // CPU of main and every descendant
  double system_seconds = 0;
  long max_rss_kib = 0;
  std::vector<LeftoverProcess> zombies;  // exited, never reaped by main
  std::vector<LeftoverProcess> orphans;  // still running after main ended
};

// The keeper's arguments after "__keeper" for `request`.
std::vector<std::string> keeper_arguments(const KeeperRequest& request);

// The keeper process's main(): argv as given after "__keeper". Returns the
// process exit code (0 when it reported; 70 when it could not even do that).
int keeper_main(const std::vector<std::string>& args);

// Parses the status pipe's bytes. An internal error if the keeper broke.
Result<KeeperReport> parse_keeper_status(const std::string& status_bytes);

}  // namespace ipcgrade
