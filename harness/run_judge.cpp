#include "harness/run_judge.h"

#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <regex>
#include <sstream>

#include "harness/checkers/checker.h"

namespace ipcgrade {
namespace {

// std::regex recurses per character; keep it away from huge streams.
constexpr std::size_t kMaxRegexInput = 256 * 1024;

std::string last_lines(const std::string& s, int n) {
  std::size_t pos = s.size();
  for (int i = 0; i <= n && pos > 0; ++i) {
    pos = s.rfind('\n', pos - 1);
    if (pos == std::string::npos) {
      pos = 0;
      break;
    }
  }
  return printable_excerpt(s.substr(pos == 0 ? 0 : pos + 1), 400);
}

std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f s", s);
  return buf;
}

std::string bytes_word(std::size_t n) {
  return std::to_string(n) + (n == 1 ? " byte" : " bytes");
}

Finding make(const JudgeInput& in, FindingKind kind, std::string message, std::string evidence) {
  Finding f;
  f.kind = kind;
  f.test = in.test.name;
  f.program = in.test.program;
  f.message = std::move(message);
  f.evidence = std::move(evidence);
  f.repro = in.repro;
  return f;
}

// Step 6: CPU wanted while the program could only wait: during stdin pauses
// once it had taken all its input (the busiest task was runnable for at
// least half of at least 0.3 s of such windows), or over the whole run when the test
// sets expect.max_cpu (CPU seconds per wall second, runs of 0.2 s or more).
void check_busy_wait(const JudgeInput& in, std::vector<Finding>& out) {
  const TestSpec& t = in.test;
  const RunResult& r = in.run;
  constexpr double kMinWindowSeconds = 0.3;
  constexpr double kBusyShare = 0.5;
  const char* advice =
      " Waiting in a loop that checks a flag, a counter or a non-blocking read keeps a CPU busy "
      "and slows every other process down; block instead: read() on a blocking descriptor, "
      "pthread_cond_wait() in a while loop, sem_wait(), sigsuspend() or waitpid().";
  if (r.busy_wait && r.busy_wait->window_seconds >= kMinWindowSeconds &&
      r.busy_wait->busiest_runnable_seconds >= kBusyShare * r.busy_wait->window_seconds) {
    const BusyWaitMeasure& m = *r.busy_wait;
    out.push_back(make(in, FindingKind::kBusyWait,
                       "./" + t.program + " kept a CPU busy while it could only wait for input." +
                           advice,
                       m.busiest_command + " (pid " + std::to_string(m.busiest_pid) + ", thread " +
                           std::to_string(m.busiest_tid) + ") was running or ready to run for " +
                           seconds(m.busiest_runnable_seconds) + " (" +
                           seconds(m.busiest_cpu_seconds) + " on a CPU) of " +
                           seconds(m.window_seconds) + " in " + std::to_string(m.windows) +
                           " pauses of the input, after it had taken all the input so far"));
    return;
  }
  constexpr double kMinRunSeconds = 0.2;
  if (t.expect.max_cpu && r.ending == RunResult::Ending::kExited &&
      r.wall_seconds >= kMinRunSeconds) {
    const double cpu = r.keeper.user_seconds + r.keeper.system_seconds;
    if (cpu > *t.expect.max_cpu * r.wall_seconds) {
      std::ostringstream limit;
      limit << *t.expect.max_cpu;
      out.push_back(make(in, FindingKind::kBusyWait,
                         "./" + t.program + " used more CPU than waiting allows: this test's "
                         "processes spend most of their time waiting for each other, so a "
                         "correct solution uses at most " + limit.str() +
                         " s of CPU per second." + advice,
                         seconds(cpu) + " of CPU (user " + seconds(r.keeper.user_seconds) +
                             ", system " + seconds(r.keeper.system_seconds) + ") in " +
                             seconds(r.wall_seconds) + " of wall time"));
    }
  }
}

int count_lines_containing(const std::string& s, const std::string& needle) {
  int count = 0;
  std::istringstream in(s);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(needle) != std::string::npos) {
      ++count;
    }
  }
  return count;
}

// Checks one stream; appends a finding on mismatch.
void check_stream(const JudgeInput& in, const char* stream, const std::string& actual,
                  const OutputExpect& ex, const std::string* command_output,
                  std::vector<Finding>& out) {
  FindingKind kind = ex.finding.value_or(FindingKind::kWrongOutput);
  std::string expected;
  bool exact = false;
  switch (ex.kind) {
    case OutputExpect::Kind::kAny:
      return;
    case OutputExpect::Kind::kText:
      expected = ex.value;
      exact = true;
      break;
    case OutputExpect::Kind::kStdin:
      expected = in.stdin_data;
      exact = true;
      break;
    case OutputExpect::Kind::kFile:
    case OutputExpect::Kind::kCommand:
      if (command_output == nullptr) {
        return;  // the caller failed to provide it; it reports that itself
      }
      expected = *command_output;
      exact = true;
      break;
    case OutputExpect::Kind::kRegex: {
      bool ok = false;
      if (actual.size() <= kMaxRegexInput) {
        try {
          ok = std::regex_match(actual, std::regex(ex.value, std::regex::ECMAScript));
        } catch (const std::regex_error&) {
          ok = false;
        }
      }
      if (!ok) {
        out.push_back(make(in, kind,
                           std::string(stream) + " does not have the form the lab requires (" +
                               ex.value + ").",
                           std::string(stream) + " was: \"" + printable_excerpt(actual, 400) +
                               "\""));
      }
      return;
    }
    case OutputExpect::Kind::kContains: {
      int n = count_lines_containing(actual, ex.value);
      bool ok = ex.times < 0 ? n >= 1 : n == ex.times;
      if (!ok) {
        std::string want = ex.times < 0 ? "at least one line" : (ex.times == 1 ? "exactly one line" : std::to_string(ex.times) + " lines");
        out.push_back(make(in, kind,
                           std::string(stream) + " should have " + want + " containing \"" +
                               ex.value + "\", but it has " + std::to_string(n) + ".",
                           std::string(stream) + " was: \"" + printable_excerpt(actual, 400) +
                               "\""));
      }
      return;
    }
    case OutputExpect::Kind::kChecker: {
      const Checker* checker = find_checker(ex.value);
      if (checker == nullptr) {
        return;  // the loader rejects unknown checkers
      }
      CheckInput ci{in.stdin_data, actual, in.test.args};
      CheckVerdict v = checker->check(ci);
      if (!v.ok) {
        out.push_back(make(in, ex.finding.value_or(v.kind), v.message, v.evidence));
      }
      return;
    }
  }
  if (exact && actual != expected) {
    std::string message = std::string(stream) + " is not what the lab expects: " +
                          bytes_word(expected.size()) + " expected, " +
                          bytes_word(actual.size()) + " received.";
    if (kind == FindingKind::kShortIo) {
      message +=
          " This test makes reads and writes on pipes move fewer bytes than asked (as the "
          "kernel may). Check every read() and write(): loop until all bytes are moved, and "
          "never treat a short count as the end of the data.";
    }
    out.push_back(make(in, kind, message, describe_difference(expected, actual)));
  }
}

// What to change, from what the deadlocked tasks wait in.
std::string deadlock_advice(const HangDiagnosis& h) {
  auto blocked_in = [&](const char* call) {
    return std::any_of(h.tasks.begin(), h.tasks.end(), [&](const BlockedTask& b) {
      return b.blocking_call.compare(0, std::strlen(call), call) == 0;
    });
  };
  if (blocked_in("write") || blocked_in("writev")) {
    return "A pipe holds only 64 KiB: once it is full, a writer blocks until someone reads. "
           "Start every process that reads a pipe before waiting for the one that writes it, and "
           "close every pipe end a process does not use: a read end kept open by a process that "
           "never reads (often the parent) keeps the writer blocked instead of giving it EPIPE.";
  }
  if (blocked_in("futex") || blocked_in("sem")) {
    return "Look for a lock taken in different orders, a lock never released, or a condition "
           "variable or semaphore that nobody signals or posts any more.";
  }
  if (blocked_in("sig") || blocked_in("pause")) {
    return "A signal that was sent before the receiver waited for it, or never sent, is waited "
           "for forever: block it before it can arrive and wait with sigsuspend. Signals of one "
           "kind do not queue: SIGCHLDs of children that end together arrive as one, so a "
           "SIGCHLD handler reaps in a loop, while (waitpid(-1, &st, WNOHANG) > 0), or the "
           "children it missed stay zombies and a count of them never completes.";
  }
  return "Look for a process that waits for a child while that child waits for it.";
}

}  // namespace

std::string printable_excerpt(const std::string& s, std::size_t max) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && out.size() < max; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (out.size() >= max && s.size() > 0) {
    out += "...";
  }
  return out;
}

std::string describe_difference(const std::string& expected, const std::string& actual) {
  std::size_t n = std::min(expected.size(), actual.size());
  std::size_t at = 0;
  while (at < n && expected[at] == actual[at]) {
    ++at;
  }
  std::size_t line = 1 + std::count(expected.begin(), expected.begin() + at, '\n');
  std::size_t from = at > 20 ? at - 20 : 0;
  std::ostringstream s;
  if (at == n && expected.size() > actual.size()) {
    s << "output ends early: the first " << bytes_word(at) << " are right, then " << bytes_word(expected.size() - at) << " are missing (line " << line << ").\n";
  } else if (at == n) {
    s << "output goes on after the expected end: " << bytes_word(actual.size() - at) << " too many, from byte " << at << " (line " << line << ").\n";
  } else {
    s << "first difference at byte " << at << " (line " << line << ").\n";
  }
  s << "expected: \"" << printable_excerpt(expected.substr(from, 60), 120) << "\"\n";
  s << "received: \"" << printable_excerpt(actual.substr(from, 60), 120) << "\"";
  return s.str();
}

std::vector<Finding> judge_run(const JudgeInput& in) {
  std::vector<Finding> out;
  const RunResult& r = in.run;
  const TestSpec& t = in.test;
  std::string usage = "wall " + seconds(r.wall_seconds) + ", CPU " +
                      seconds(r.keeper.user_seconds + r.keeper.system_seconds);

  if (r.ending == RunResult::Ending::kHang && r.hang) {
    const HangDiagnosis& h = *r.hang;
    std::string message = "./" + t.program;
    if (h.kind == FindingKind::kEofHang) {
      message += "'s reader never sees EOF: the write end of its pipe is still open in ";
      message += h.summary;
      message +=
          ". Close every pipe end a process does not use, in the child after dup2 and in the "
          "parent after forking (a reader holding its own write end waits forever).";
    } else {
      message +=
          " is deadlocked: every one of its processes and threads is blocked and none can "
          "wake another; ";
      message += h.summary + ". " + deadlock_advice(h);
    }
    out.push_back(make(in, h.kind, message,
                       h.evidence + "\n" + usage + "; stdin: " + std::to_string(r.stdin_written) +
                           " of " + bytes_word(in.stdin_data.size()) + " taken"));
    return out;
  }
  if (r.ending == RunResult::Ending::kTimedOut ||
      (r.ending == RunResult::Ending::kHang && !r.hang)) {
    out.push_back(make(
        in, FindingKind::kTimeout,
        "./" + t.program + " did not finish within " + seconds(t.limits.wall.count() / 1000.0) +
            " (a correct solution takes a small fraction of that). A program that hangs usually "
            "waits for EOF on a pipe whose write end is still open somewhere (in the reader "
            "itself, in the parent, or leaked into another child), or waits for a child that "
            "waits for it.",
        usage + "; stdin: " + std::to_string(r.stdin_written) + " of " +
            bytes_word(in.stdin_data.size()) + " taken; last output: \"" +
            last_lines(r.stdout_data, 3) + "\""));
    check_busy_wait(in, out);
    return out;
  }
  if (r.ending == RunResult::Ending::kOutputLimit) {
    out.push_back(make(in, FindingKind::kResourceLimit,
                       "./" + t.program + " printed more than the output limit of " +
                           bytes_word(t.limits.output_bytes) +
                           " and was stopped. Look for a loop that never ends, or data "
                           "written again and again.",
                       std::string(r.stdout_truncated ? "stdout" : "stderr") +
                           " reached the limit; " + usage));
    return out;
  }
  const WaitStatus status = r.keeper.status.value_or(WaitStatus::Signaled(SIGKILL));
  bool status_ok = !t.expect.exit_status || *t.expect.exit_status == status.shell_status();
  if (status.signaled() && !status_ok) {
    int sig = status.signal();
    double cpu = r.keeper.user_seconds + r.keeper.system_seconds;
    if (sig == SIGPIPE) {
      out.push_back(make(
          in, FindingKind::kSigpipe,
          "./" + t.program + " was killed by SIGPIPE: it wrote to a pipe whose reader had "
          "gone. The lab requires surviving that: ignore SIGPIPE (or handle it) and treat the "
          "EPIPE error from write() as the signal to stop writing.",
          status.ToString() + " (exit status 141)"));
    } else if (sig == SIGXCPU || sig == SIGXFSZ ||
               (sig == SIGKILL && cpu * 1000 >= static_cast<double>(t.limits.cpu.count()))) {
      out.push_back(make(in, FindingKind::kResourceLimit,
                         sig == SIGXFSZ ? "./" + t.program + " wrote a file larger than the limit of " + bytes_word(t.limits.file_size_bytes) + "."
                                        : "./" + t.program + " used more CPU time than the limit of " + seconds(t.limits.cpu.count() / 1000.0) + ": look for a loop that spins instead of blocking.",
                         status.ToString() + "; " + usage));
    } else {
      out.push_back(make(in, FindingKind::kCrash,
                         "./" + t.program + " was killed by " + signal_name(sig) +
                             ". Run the reproduce command under gdb or valgrind to see where.",
                         status.ToString() + "; " + usage + "; last stderr: \"" +
                             last_lines(r.stderr_data, 3) + "\""));
    }
    return out;
  }
  if (!status_ok) {
    out.push_back(make(in, t.expect.exit_finding.value_or(FindingKind::kWrongOutput),
                       "./" + t.program + " should exit with status " +
                           std::to_string(*t.expect.exit_status) + ", but it " +
                           (status.exited() ? "exited with " + std::to_string(status.exit_code())
                                            : "was " + status.ToString()) +
                           ". Remember: a child's status is its exit code, or 128+S when a "
                           "signal S killed it (WIFEXITED/WEXITSTATUS, WIFSIGNALED/WTERMSIG).",
                       status.ToString() + "; stderr: \"" + last_lines(r.stderr_data, 3) + "\""));
  }
  check_stream(in, "stdout", r.stdout_data, t.expect.stdout_expect, in.expected_stdout, out);
  check_stream(in, "stderr", r.stderr_data, t.expect.stderr_expect, in.expected_stderr, out);

  check_busy_wait(in, out);

  for (const LeftoverProcess& z : r.keeper.zombies) {
    out.push_back(make(in, FindingKind::kZombie,
                       "./" + t.program + " ended without reaping a child process: every fork() "
                       "needs a matching waitpid() (or wait()), or the child stays a zombie "
                       "while the parent lives.",
                       "pid " + std::to_string(z.pid) + " " + z.command +
                           " had exited and was still unreaped when ./" + t.program + " ended"));
  }
  for (const LeftoverProcess& o : r.keeper.orphans) {
    out.push_back(make(in, FindingKind::kOrphan,
                       "a process started by ./" + t.program + " was still running after it "
                       "ended. Wait for every child before exiting.",
                       "pid " + std::to_string(o.pid) + ": " + o.command));
  }
  return out;
}

}  // namespace ipcgrade
